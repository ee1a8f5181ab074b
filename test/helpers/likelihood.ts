/** Checks shared by the VAE variants' tests: importance-sampled log p(x) against numerical integration, and the CLI. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { loadDataset } from '../../src/data/registry.js';
import { perExampleLikelihood } from '../../src/eval/likelihood.js';
import type { VAE } from '../../src/models/vae.js';
import { trainSteps } from './models.js';
import { runCli } from './cli.js';

/**
 * Trains `model` (2-D points) a little on two moons, so that its networks are far from their initial outputs, then
 * checks that the importance-sampled log p(x) of four points equals `exact` (numerical integration) within 0.015 nats
 * and that the ELBO stays below it.
 */
export async function checkAgainstIntegration(model: VAE, exact: (x: tf.Tensor2D) => number[] | Promise<number[]>): Promise<void> {
  await trainSteps(model, (await loadDataset('two-moons')).train, { steps: 300, batchSize: 64, learningRate: 1e-2 });
  const points = Float32Array.from([0.3, -0.2, 1.1, 0.4, -0.8, 0.9, 0.0, 0.0]);
  const x = tf.tensor2d(points, [4, 2]);
  const want = await exact(x);
  x.dispose();
  const sampled = await perExampleLikelihood(model, points, 4, { k: 4000, seed: 1 });
  want.forEach((e, i) => {
    assert.ok(Math.abs(sampled.logPx[i]! - e) < 0.015, `point ${i}: importance sampling ${sampled.logPx[i]}, integration ${e}`);
    assert.ok(sampled.elbo[i]! <= e + 0.015, `point ${i}: ELBO ${sampled.elbo[i]} above log p(x) ${e}`);
  });
}

/** `genlab train <kindAndFlags>` for one epoch of 256 static-binarised digits into `run`, then `genlab eval --iw-k 5`. */
export async function trainAndScoreWithCli(run: string, kindAndFlags: readonly string[]): Promise<void> {
  const common = ['--data', 'mnist', '--binarize', 'static', '--limit', '256', '--test-limit', '64', '--epochs', '1', '--batch-size', '64', '--quality-samples', '0'];
  const trained = await runCli(['train', ...kindAndFlags, ...common, '--out', run]);
  assert.equal(trained.code, 0, trained.stderr);
  const evaluated = await runCli(['eval', run, '--iw-k', '5', '--limit', '20', '--json']);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const r = JSON.parse(evaluated.stdout) as { nll: number; negElbo: number; k: number };
  assert.ok(r.k === 5 && Number.isFinite(r.nll) && r.nll <= r.negElbo + 1, evaluated.stdout);
}
