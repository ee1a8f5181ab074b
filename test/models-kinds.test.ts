import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../src/engine/backend.js';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import { KINDS, MODEL_KINDS, MODEL_OPTIONS, can, capabilitiesOf, createModel, optionFlag, tf, type ModelOptions, type TrainableModel } from '../src/index.js';

await initEngine({ backend: 'cpu' });

const images = { shape: [8, 8, 1], kind: 'images' as const, classes: ['a', 'b'] };
/** Small networks for `kind`: a latent of 2 and one conv layer of 4 filters, where the kind takes them. */
const smallOptions = (kind: (typeof MODEL_KINDS)[number]): ModelOptions => ({
  ...(KINDS[kind].options.includes('latent') ? { latent: 2 } : {}),
  ...(KINDS[kind].options.includes('filters') ? { filters: [4] } : {}),
});

test('createModel is strict: an option the kind does not take is a one-line error naming the option and the kind', () => {
  assert.throws(
    () => createModel('vae', { pack: 4, loss: 'lsgan', featureMatching: true } as ModelOptions, images, new Rng(0)),
    (e: unknown) => e instanceof GenlabError && e.code === 'bad-input' && /^pack: not an option of vae \(its options: arch, hidden, latent, .*beta, klWarmup, topLatent, topHidden, flowSteps, flowHidden, vampPrior, emaDecay\)$/.test(e.message),
  );
  assert.throws(() => createModel('gan', { beta: 2 }, images, new Rng(0)), /beta: not an option of gan/);
  assert.throws(() => createModel('ae', { noise: 'gaussian' }, images, new Rng(0)), /noise: not an option of ae/);
  assert.throws(() => createModel('nope', {}, images, new Rng(0)), /unknown model kind 'nope'/);
});

test('the kinds table: every listed option is one the kind really configures, every option has a flag', () => {
  for (const kind of MODEL_KINDS) {
    const model = createModel(kind, smallOptions(kind), images, new Rng(0));
    const config = Object.keys(model.config);
    for (const option of KINDS[kind].options) {
      assert.ok(config.includes(option), `${kind}: '${option}' is listed but not in its config (${config.join(', ')})`);
      assert.ok(option in MODEL_OPTIONS, `${kind}: '${option}' has no description in MODEL_OPTIONS`);
    }
    model.dispose();
  }
  assert.equal(optionFlag('noiseAmount'), '--noise-amount');
  assert.equal(optionFlag('zeroCenteredPenalty'), '--zero-gp');
});

test('capabilities in the table match what each model has', () => {
  for (const kind of MODEL_KINDS) {
    const model = createModel(kind, smallOptions(kind), images, new Rng(0));
    const has = (m: string): boolean => typeof (model as unknown as Record<string, unknown>)[m] === 'function';
    const caps = capabilitiesOf(model);
    if (caps.includes('reconstruct')) assert.ok(has('reconstruct') && has('interpolate') && has('code') && has('decode'), `${kind} reconstructs`);
    if (caps.includes('generate')) assert.ok(has('generate') && has('noise'), `${kind} generates`);
    if (caps.includes('discriminate')) assert.ok(has('discriminate'), `${kind} discriminates`);
    if (caps.includes('upscale')) assert.ok(has('upscale') && has('downscale') && has('bicubic'), `${kind} upscales`);
    assert.equal(can(model, 'score'), KINDS[kind].family === 'vae', `${kind}: only the VAE family scores`);
    assert.equal(caps.includes('sample'), has('sample'), `${kind}: samples exactly when it has sample`);
    model.dispose();
  }
  // A library user's own model class: it samples when it has `sample`, and can do nothing else the table names.
  const own = { kind: 'mine', sample: () => tf.zeros([1]) } as unknown as TrainableModel;
  assert.deepEqual(capabilitiesOf(own), ['sample']);
  assert.deepEqual(capabilitiesOf({ kind: 'mine' }), []);
});
