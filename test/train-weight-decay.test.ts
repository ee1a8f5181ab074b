/**
 * L2 weight decay applied in the optimiser's update (LossGroup.decay; train/step.ts, train/optimizers.ts) rather than
 * differentiated through the loss: training must be the same, float for float, as with the penalty (λ/2)·Σ‖W‖² in the
 * loss under autodiff — on the engine's backend (the fused Adam kernel on native) and on the cpu backend (the
 * fallback, g + λ·W as tensors), for Adam and plain SGD.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { loadDataset } from '../src/data/registry.js';
import { createModel } from '../src/models/kinds.js';
import type { LossTerms, TrainableModel } from '../src/models/model.js';
import { l2WeightDecay } from '../src/models/losses.js';
import type { OptimizerOptions } from '../src/train/optimizers.js';
import { firstN, trainSteps } from './helpers/models.js';

const engine = await initEngine();
const { train } = await loadDataset('mnist', { binarize: 'dynamic' });
const digits = firstN(train, 256);
const images = { shape: train.shape, kind: 'images' as const };
const LAMBDA = 3e-3; // large, so that a wrong decay moves the weights visibly within a few steps

/** The model's kernels (rank ≥ 2 trainable weights), the weights the decay applies to. */
const kernelsOf = (model: TrainableModel): tf.Variable[] => model.lossGroups()[0]!.variables.filter((v) => v.shape.length >= 2);

/** Every trained variable's values after `steps` steps of `kind` with the decay in the update or in the loss. */
async function trainedWeights(kind: string, decayIn: 'update' | 'loss', optimizer: OptimizerOptions, steps = 4): Promise<number[][]> {
  const config = { hidden: [32], latent: 4, autoregressive: true, weightDecay: decayIn === 'update' ? LAMBDA : 0 };
  const model = createModel(kind, config, images, new Rng(5));
  // The reference: autodiff through square and sum, the textbook penalty, added to the loss it differentiates.
  const kernels = kernelsOf(model);
  const objective = decayIn === 'loss'
    ? (terms: LossTerms): tf.Scalar => tf.add(terms.loss, tf.mul(tf.addN(kernels.map((w) => tf.sum(tf.square(w)))), LAMBDA / 2)) as tf.Scalar
    : undefined;
  await trainSteps(model, digits, { steps, batchSize: 32, seed: 1, ...optimizer, ...(objective ? { objective } : {}) });
  const values = model.lossGroups()[0]!.variables.map((v) => Array.from(v.dataSync()));
  model.dispose();
  return values;
}

for (const backend of [...new Set([engine.backend, 'cpu'])]) {
  for (const [name, optimizer] of [['Adam', { learningRate: 1e-2 }], ['SGD', { optimizer: 'sgd', learningRate: 0.05 }]] as const) {
    test(`weight decay in the update trains exactly as the penalty in the loss: ${name} on ${backend}`, async () => {
      await tf.setBackend(backend);
      try {
        for (const kind of ['iwae', 'ae']) {
          const folded = await trainedWeights(kind, 'update', optimizer);
          const reference = await trainedWeights(kind, 'loss', optimizer);
          assert.deepEqual(folded, reference, `${kind}: the same weights, float for float`);
          const undecayed = await trainedWeights(kind, 'loss', optimizer, 0);
          assert.notDeepEqual(folded, undecayed, `${kind}: training moved the weights`);
        }
      } finally {
        await tf.setBackend(engine.backend);
      }
    });
  }
}

test('the loss reports the penalty (λ/2)·Σ‖W‖² but does not differentiate it; the group decays the kernels only', () => {
  const [decayed, plain] = [LAMBDA, 0].map((weightDecay) => createModel('vae', { hidden: [16], latent: 2, weightDecay }, images, new Rng(2)));
  const [group] = decayed!.lossGroups();
  const kernels = kernelsOf(decayed!);
  assert.equal(group!.decay?.rate, LAMBDA);
  assert.deepEqual(group!.decay?.variables, kernels, 'the kernels, not the biases');
  assert.equal(plain!.lossGroups()[0]!.decay, undefined);
  const batch = { x: tf.tensor(digits.data.slice(0, 8 * 784), [8, 28, 28, 1]) };
  const lossAndGrads = (model: TrainableModel) => {
    const [g] = model.lossGroups();
    let penalty = 0;
    const { value, grads } = tf.variableGrads(() => {
      const terms = g!.loss(batch, new Rng(3), 0);
      penalty = terms['weightDecay']!.dataSync()[0]!;
      return terms.loss;
    }, g!.variables);
    const out = { loss: value.dataSync()[0]!, penalty, grads: g!.variables.map((v) => Array.from(grads[v.name]!.dataSync())) };
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  };
  const withDecay = lossAndGrads(decayed!);
  const without = lossAndGrads(plain!);
  const expected = l2WeightDecay(kernels, LAMBDA);
  assert.equal(withDecay.penalty, expected.dataSync()[0]);
  assert.ok(withDecay.penalty > 0.01, `penalty ${withDecay.penalty}`);
  assert.ok(Math.abs(withDecay.loss - (without.loss + withDecay.penalty)) < 1e-3, 'loss = data terms + penalty');
  assert.deepEqual(withDecay.grads, without.grads, 'the loss\'s gradient is the data terms\' alone');
  tf.dispose([batch.x, expected]);
  decayed!.dispose();
  plain!.dispose();
});
