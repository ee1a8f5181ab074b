/**
 * GaussianMixture on several threads (src/models/gmm/pool.ts, chunks.ts): the fitted result is the same bits whatever
 * the thread count, the worker threads really take chunks, data too small to split stays on one thread, the pool is
 * started once and reused, and it never keeps the process alive.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/engine/rng.js';
import { GaussianMixture, type CovarianceType, type Matrix } from '../src/models/gmm.js';
import { teamTotals } from '../src/models/gmm/chunks.js';
import { defaultThreads, poolInfo, workersReady } from '../src/models/gmm/pool.js';
import { sharedWasmAvailable } from '../src/models/gmm/wasm/arena.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** n points in 3 dims from three seeded, overlapping Gaussian clusters. */
function mixture(n: number, seed: number): Matrix & { data: Float64Array } {
  const rng = new Rng(seed);
  const data = new Float64Array(n * 3);
  const z = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    const c = rng.int(3);
    rng.normals(z);
    data[3 * i] = 2 * c + z[0]!;
    data[3 * i + 1] = (c === 1 ? 3 : 0) + 0.5 * z[1]! + 0.3 * z[0]!;
    data[3 * i + 2] = -c + 1.5 * z[2]!;
  }
  return { rows: n, cols: 3, data };
}

/** Everything a fit produces that a user sees, as exact text (bits compared via JSON's round-trip doubles). */
function outcome(g: GaussianMixture<CovarianceType>, x: Matrix): string {
  return JSON.stringify({ model: g.toJSON(), labels: Array.from(g.predict(x)), warnings: g.warnings });
}

const canThread = sharedWasmAvailable() && defaultThreads() > 1;

describe('GaussianMixture threads', { skip: !canThread && 'no worker threads with shared WebAssembly memory here' }, () => {
  test('data too small to split, or the TypeScript kernels, run on one thread and start no worker', () => {
    const tiny = mixture(51, 1);
    const g = new GaussianMixture({ components: 3, threads: 2, seed: 1 }).fit(tiny);
    assert.equal(g.threadsUsed, 1);
    const js = new GaussianMixture({ components: 3, threads: 2, seed: 1, kernels: 'js' }).fit(mixture(20_001, 2));
    assert.equal(js.threadsUsed, 1);
    assert.equal(poolInfo().started, 0, 'no worker was started for them');
  });

  test('2 threads give the same bits as 1 (odd N, several chunks), for kmeans init and every covariance type', async () => {
    const x = mixture(20_001, 3); // 5 chunks of 4096 rows, the last one short
    new GaussianMixture({ components: 3, threads: 2 }).fit(x); // starts the pool
    await workersReady();
    for (const covariance of ['full', 'tied', 'diag', 'spherical'] as const) {
      // Chunks go to whichever thread is free first; on a loaded machine the main thread can take them all, which
      // would leave the comparison below with nothing threaded in it, so a fit is repeated until the worker took some.
      const fitTwo = () => new GaussianMixture({ components: 3, covariance, seed: 4, threads: 2 }).fit(x);
      let before = teamTotals.workerChunks;
      let two = fitTwo();
      for (let attempt = 1; attempt < 10 && teamTotals.workerChunks === before; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        before = teamTotals.workerChunks;
        two = fitTwo();
      }
      const took = teamTotals.workerChunks > before;
      assert.equal(two.threadsUsed, 2, covariance);
      assert.ok(took, `${covariance}: the worker took chunks`);
      const one = new GaussianMixture({ components: 3, covariance, seed: 4, threads: 1 }).fit(x);
      assert.equal(one.threadsUsed, 1);
      assert.ok(two.iterations > 1, `${covariance}: EM ran (${two.iterations} iterations)`);
      assert.equal(outcome(two, x), outcome(one, x), covariance);
    }
  });

  test('the same seed and threads give the same bits, fit after fit; the pool is started once and reused', async () => {
    const x = mixture(30_007, 5);
    const fits = [0, 1, 2].map(() => new GaussianMixture({ components: 4, seed: 9, threads: 2, init: 'kmeans' }).fit(x));
    await workersReady();
    const again = new GaussianMixture({ components: 4, seed: 9, threads: 2, init: 'kmeans' }).fit(x);
    for (const g of [...fits.slice(1), again]) assert.equal(outcome(g, x), outcome(fits[0]!, x));
    assert.deepEqual(poolInfo(), { alive: 1, started: 1 });
    // a different seed is a different fit (the comparison above can fail)
    assert.notEqual(outcome(new GaussianMixture({ components: 4, seed: 10, threads: 2 }).fit(x), x), outcome(again, x));
  });

  test('a fit that throws midway (onIteration) releases the workers: the next fit is the same as ever', async () => {
    const x = mixture(20_001, 7);
    const expected = outcome(new GaussianMixture({ components: 3, seed: 2, threads: 1 }).fit(x), x);
    await workersReady();
    const stop = new Error('stop at iteration 2');
    const failing = new GaussianMixture({ components: 3, seed: 2, threads: 2, onIteration: (i) => { if (i.iteration === 2) throw stop; } });
    assert.throws(() => failing.fit(x), (e) => e === stop);
    const before = teamTotals.workerChunks;
    assert.equal(outcome(new GaussianMixture({ components: 3, seed: 2, threads: 2 }).fit(x), x), expected);
    assert.ok(teamTotals.workerChunks > before, 'the worker took chunks again');
  });

  test('a process that fits on 2 threads exits by itself', () => {
    const gmm = new URL('../src/models/gmm.ts', import.meta.url).href;
    const code = [
      `const { GaussianMixture } = await import(${JSON.stringify(gmm)});`,
      'const data = new Float64Array(3 * 20000).map((_, i) => ((i * 7919) % 1000) / 100 + (i % 3));',
      'const g = new GaussianMixture({ components: 2, threads: 2, seed: 1 }).fit({ rows: 20000, cols: 3, data });',
      'await new Promise((resolve) => setTimeout(resolve, 300));', // the worker is up by now (or soon): it must not hold the process
      'new GaussianMixture({ components: 2, threads: 2, seed: 1 }).fit({ rows: 20000, cols: 3, data });',
      'console.log("fitted on", g.threadsUsed, "threads");',
    ].join('\n');
    const started = Date.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.signal, null, `killed after ${Date.now() - started} ms: the process did not exit by itself`);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /fitted on 2 threads/);
  });

  test('threads is validated: an integer from 1 to 64', () => {
    for (const bad of [0, -1, 1.5, 65, Number.NaN, '2']) {
      assert.throws(
        () => new GaussianMixture({ components: 2, threads: bad as number }),
        (e: Error) => /^GaussianMixture\.threads: expected an integer (>= 1|from 1 to 64), got /.test(e.message),
        String(bad),
      );
    }
    assert.equal(new GaussianMixture({ components: 2, threads: 3 }).config.threads, 3);
    assert.equal(new GaussianMixture({ components: 2 }).config.threads, defaultThreads());
  });
});
