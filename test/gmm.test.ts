/**
 * GaussianMixture: EM's guarantees, recovery of known mixtures, model selection, sampling, serialisation, the
 * degenerate inputs, and agreement of the WebAssembly and TypeScript kernels.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GenlabError } from '../src/engine/errors.js';
import { Rng } from '../src/engine/rng.js';
import {
  COVARIANCE_TYPES,
  GaussianMixture,
  INIT_METHODS,
  kmeans,
  parameterCount,
  selectComponents,
  type CovarianceType,
  type GaussianMixtureJSON,
} from '../src/models/gmm.js';
import { Arena, wasmAvailable } from '../src/models/gmm/wasm/arena.js';
import { choleskyPacked } from '../src/math/linalg.js';
import { invertWithLogDet, referenceEmIteration } from '../bench/gmm-reference.js';

// ---- helpers ----

interface Truth {
  weights: number[];
  means: number[][];
  covs: number[][][];
}

/** n points from a known mixture, drawn with a seeded Rng: rows and the component of each. */
function draw(truth: Truth, n: number, seed: number): { rows: number[][]; labels: number[] } {
  const rng = new Rng(seed);
  const d = truth.means[0]!.length;
  const chol = truth.covs.map((c) => {
    const flat = Float64Array.from(c.flat());
    const l = new Float64Array((d * (d + 1)) / 2);
    assert.ok(choleskyPacked(flat, 0, d, l, 0));
    return l;
  });
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    let u = rng.uniform();
    let k = 0;
    while (k < truth.weights.length - 1 && u >= truth.weights[k]!) u -= truth.weights[k++]!;
    const z = Array.from({ length: d }, () => rng.normal());
    const x = truth.means[k]!.slice();
    for (let a = 0, r = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) x[a]! += chol[k]![r + b]! * z[b]!;
      r += a + 1;
    }
    rows.push(x);
    labels.push(k);
  }
  return { rows, labels };
}

/** A truth of the given covariance type: 3 well-separated components in 2-D. */
function truthOf(type: CovarianceType): Truth {
  const means = [
    [0, 0],
    [6, 1],
    [1, 7],
  ];
  const weights = [0.5, 0.3, 0.2];
  const full = [
    [
      [1.0, 0.6],
      [0.6, 0.8],
    ],
    [
      [0.5, -0.3],
      [-0.3, 1.5],
    ],
    [
      [2.0, 0.0],
      [0.0, 0.3],
    ],
  ];
  const covs: Record<CovarianceType, number[][][]> = {
    full,
    tied: [full[0]!, full[0]!, full[0]!],
    diag: [
      [
        [1.0, 0],
        [0, 0.5],
      ],
      [
        [0.4, 0],
        [0, 1.6],
      ],
      [
        [2.0, 0],
        [0, 0.3],
      ],
    ],
    spherical: [
      [
        [1.0, 0],
        [0, 1.0],
      ],
      [
        [0.5, 0],
        [0, 0.5],
      ],
      [
        [2.0, 0],
        [0, 2.0],
      ],
    ],
  };
  return { weights, means, covs: covs[type] };
}

/** The permutation of fitted components that matches each true component to the nearest fitted mean. */
function matchComponents(fitted: number[][], truth: number[][]): number[] {
  const perm: number[] = [];
  for (const m of truth) {
    let best = -1;
    let bestDist = Infinity;
    fitted.forEach((f, j) => {
      const dist = f.reduce((s, v, a) => s + (v - m[a]!) ** 2, 0);
      if (dist < bestDist && !perm.includes(j)) {
        bestDist = dist;
        best = j;
      }
    });
    perm.push(best);
  }
  return perm;
}

/** ln Σₖ wₖ N(x | μₖ, Σₖ) by Gaussian elimination on each Σₖ (no Cholesky), for checking. */
function directLogDensity(x: number[], weights: number[], means: number[][], covs: number[][][]): number {
  const d = x.length;
  const terms = weights.map((w, k) => {
    const a = covs[k]!.map((row) => row.slice());
    const b = x.map((v, i) => v - means[k]![i]!);
    let logDet = 0;
    for (let c = 0; c < d; c++) {
      let p = c;
      for (let r = c + 1; r < d; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
      [a[c], a[p]] = [a[p]!, a[c]!];
      [b[c], b[p]] = [b[p]!, b[c]!];
      logDet += Math.log(Math.abs(a[c]![c]!));
      for (let r = c + 1; r < d; r++) {
        const f = a[r]![c]! / a[c]![c]!;
        for (let j = c; j < d; j++) a[r]![j]! -= f * a[c]![j]!;
        b[r]! -= f * b[c]!;
      }
    }
    const y = new Array<number>(d).fill(0);
    for (let r = d - 1; r >= 0; r--) {
      let s = b[r]!;
      for (let j = r + 1; j < d; j++) s -= a[r]![j]! * y[j]!;
      y[r] = s / a[r]![r]!;
    }
    const maha = y.reduce((s, v, i) => s + v * (x[i]! - means[k]![i]!), 0);
    return Math.log(w) - 0.5 * (d * Math.log(2 * Math.PI) + logDet + maha);
  });
  const m = Math.max(...terms);
  return m + Math.log(terms.reduce((s, t) => s + Math.exp(t - m), 0));
}

function assertGenlabError(fn: () => unknown, pattern: RegExp, code = 'bad-input'): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GenlabError, `expected a GenlabError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one-line message');
    return true;
  });
}

const kernelChoices = wasmAvailable() ? (['auto', 'js'] as const) : (['js'] as const);

// ---- EM ----

describe('EM', () => {
  const { rows } = draw(truthOf('full'), 600, 11);

  test('the lower bound never decreases, for every covariance type, init and kernel', () => {
    for (const kernels of kernelChoices) {
      for (const covariance of COVARIANCE_TYPES) {
        for (const init of INIT_METHODS) {
          const g = new GaussianMixture({ components: 3, covariance, init, tol: 0, maxIter: 40, seed: 3, kernels }).fit(rows);
          const h = g.lowerBoundHistory;
          assert.equal(h.length, 40);
          for (let i = 1; i < h.length; i++) {
            assert.ok(h[i]! >= h[i - 1]! - 1e-9 * Math.abs(h[i - 1]!), `${kernels} ${covariance} ${init}: bound fell at ${i}: ${h[i - 1]} → ${h[i]}`);
          }
          assert.ok(Number.isFinite(g.lowerBound));
        }
      }
    }
  });

  test('one EM iteration equals the textbook reference (bench/gmm-reference.ts), for both kernels', () => {
    const start = {
      weights: [0.2, 0.5, 0.3],
      means: [
        [0.5, 0.5],
        [5, 0],
        [0, 6],
      ],
      covariances: [
        [
          [2, 0.5],
          [0.5, 1],
        ],
        [
          [1, 0],
          [0, 1],
        ],
        [
          [1.5, -0.2],
          [-0.2, 0.7],
        ],
      ],
    };
    const expected = referenceEmIteration(rows, start);
    for (const kernels of kernelChoices) {
      const g = new GaussianMixture({
        components: 3,
        maxIter: 1,
        kernels,
        weightsInit: start.weights,
        meansInit: start.means,
        precisionsInit: start.covariances.map((c) => invertWithLogDet(c).inverse),
      }).fit(rows);
      assert.ok(Math.abs(g.lowerBound - expected.meanLogLikelihood) < 1e-12 * Math.abs(expected.meanLogLikelihood), kernels);
      g.weights.forEach((w, k) => assert.ok(Math.abs(w - expected.params.weights[k]!) < 1e-12));
      g.means.flat().forEach((v, i) => assert.ok(Math.abs(v - expected.params.means.flat()[i]!) < 1e-11));
      g.covariances.flat(2).forEach((v, i) => assert.ok(Math.abs(v - expected.params.covariances.flat(2)[i]!) < 1e-11, `${kernels} cov ${i}`));
    }
  });

  test('converges on well-separated data, and the lower bound approaches the final score', () => {
    const g = new GaussianMixture({ components: 3, seed: 1 }).fit(rows);
    assert.ok(g.converged);
    assert.ok(g.iterations >= 2 && g.iterations < 30, `iterations ${g.iterations}`);
    assert.deepEqual(g.warnings, []);
    assert.ok(Math.abs(g.score(rows) - g.lowerBound) < 1e-3);
  });

  test('non-convergence is a warning (and an onWarning call), not an error', () => {
    const seen: string[] = [];
    const g = new GaussianMixture({ components: 3, init: 'random', maxIter: 2, tol: 0, onWarning: (m) => seen.push(m) }).fit(rows);
    assert.equal(g.converged, false);
    assert.equal(g.iterations, 2);
    assert.equal(seen.length, 1);
    assert.deepEqual(g.warnings, seen);
    assert.match(seen[0]!, /did not converge in maxIter = 2 .*increase maxIter/);
  });

  test('nInit keeps the best restart (its first restart is the nInit = 1 fit)', () => {
    const one = new GaussianMixture({ components: 3, init: 'random', nInit: 1, seed: 7 }).fit(rows);
    const five = new GaussianMixture({ components: 3, init: 'random', nInit: 5, seed: 7 }).fit(rows);
    assert.ok(five.lowerBound >= one.lowerBound);
  });

  test('onIteration reports every iteration with its bound', () => {
    const infos: number[] = [];
    const g = new GaussianMixture({ components: 3, seed: 2, onIteration: (i) => infos.push(i.lowerBound) }).fit(rows);
    assert.deepEqual(infos, g.lowerBoundHistory);
  });

  test('warmStart continues from the fitted parameters', () => {
    const g = new GaussianMixture({ components: 3, init: 'random', maxIter: 3, tol: 0, warmStart: true, seed: 4 });
    g.fit(rows);
    const last = g.lowerBoundHistory.at(-1)!;
    g.fit(rows);
    assert.ok(g.lowerBoundHistory[0]! >= last - 1e-12, `restarted: ${g.lowerBoundHistory[0]} < ${last}`);
  });

  test('weightsInit, meansInit and precisionsInit set the starting point (maxIter 0 keeps it)', () => {
    const meansInit = [
      [0, 0],
      [5, 0],
      [0, 5],
    ];
    const g = new GaussianMixture({
      components: 3,
      maxIter: 0,
      weightsInit: [0.2, 0.3, 0.5],
      meansInit,
      precisionsInit: [
        [
          [2, 0],
          [0, 4],
        ],
        [
          [1, 0.5],
          [0.5, 1],
        ],
        [
          [1, 0],
          [0, 1],
        ],
      ],
    }).fit(rows);
    assert.deepEqual(g.means, meansInit);
    g.weights.forEach((w, i) => assert.ok(Math.abs(w - [0.2, 0.3, 0.5][i]!) < 1e-15));
    const c0 = g.covariances[0]!;
    assert.ok(Math.abs(c0[0]![0]! - 0.5) < 1e-12 && Math.abs(c0[1]![1]! - 0.25) < 1e-12 && Math.abs(c0[0]![1]!) < 1e-15);
    const c1 = g.covariances[1]!; // inverse of [[1, .5], [.5, 1]] = [[4/3, −2/3], [−2/3, 4/3]]
    assert.ok(Math.abs(c1[0]![1]! + 2 / 3) < 1e-12 && Math.abs(c1[1]![1]! - 4 / 3) < 1e-12);
    assert.equal(g.converged, false);
    assert.deepEqual(g.warnings, []);
  });
});

// ---- recovery and selection ----

describe('recovering a known mixture', () => {
  for (const covariance of COVARIANCE_TYPES) {
    test(`${covariance}: weights, means and covariances match the truth up to permutation`, () => {
      const truth = truthOf(covariance);
      const n = 4000;
      const { rows } = draw(truth, n, 21);
      const g = new GaussianMixture({ components: 3, covariance, seed: 5 }).fit(rows);
      const perm = matchComponents(g.means, truth.means);
      truth.weights.forEach((w, k) => {
        const j = perm[k]!;
        const nk = w * n;
        // sampling error: weights ~ √(w(1−w)/n), means ~ σ/√nₖ, covariances ~ σ²·√(2/nₖ); 5 standard errors
        assert.ok(Math.abs(g.weights[j]! - w) < 5 * Math.sqrt((w * (1 - w)) / n), `weight ${k}: ${g.weights[j]} vs ${w}`);
        const cov = g.covarianceMatrix(j);
        for (let a = 0; a < 2; a++) {
          const sd = Math.sqrt(truth.covs[k]![a]![a]!);
          assert.ok(Math.abs(g.means[j]![a]! - truth.means[k]![a]!) < (5 * sd) / Math.sqrt(nk), `mean ${k}[${a}]`);
          for (let b = 0; b < 2; b++) {
            const scale = Math.sqrt(truth.covs[k]![a]![a]! * truth.covs[k]![b]![b]!);
            const pooled = covariance === 'tied' ? n : covariance === 'spherical' ? 2 * nk : nk;
            assert.ok(Math.abs(cov[a]![b]! - truth.covs[k]![a]![b]!) < 5 * scale * Math.sqrt(2 / pooled), `cov ${k}[${a}][${b}]: ${cov[a]![b]} vs ${truth.covs[k]![a]![b]}`);
          }
        }
      });
    });
  }

  test('BIC selects the true number of components, and the table has every K', () => {
    const { rows } = draw(truthOf('full'), 1500, 31);
    const { table, best, bestK } = selectComponents(rows, { range: [1, 6], criterion: 'bic', seed: 0 });
    assert.equal(bestK, 3);
    assert.equal(best.components, 3);
    assert.deepEqual(
      table.map((r) => r.k),
      [1, 2, 3, 4, 5, 6],
    );
    for (const r of table) {
      assert.ok(Number.isFinite(r.bic) && Number.isFinite(r.aic) && Number.isFinite(r.logLikelihood));
      assert.equal(typeof r.converged, 'boolean');
      assert.ok(r.iterations >= 1);
    }
    const row3 = table[2]!;
    assert.ok(Math.abs(row3.bic - best.bic(rows)) < 1e-6 * Math.abs(row3.bic));
    assert.ok(Math.abs(row3.aic - best.aic(rows)) < 1e-6 * Math.abs(row3.aic));
  });

  test('selectComponents validates its range and criterion', () => {
    assertGenlabError(() => selectComponents([[1], [2]], { range: [3, 1] }), /range: expected \[min, max\]/);
    assertGenlabError(() => selectComponents([[1], [2]], { criterion: 'xyz' as 'bic' }), /criterion: expected 'bic' or 'aic', got 'xyz'/);
  });

  test('sample then fit round-trips (and the labels follow the weights)', () => {
    const truth = truthOf('full');
    const a = new GaussianMixture({ components: 3, seed: 1 }).fit(draw(truth, 3000, 41).rows);
    const n = 8000;
    const { points, labels } = a.sample(n, 9);
    assert.equal(points.rows, n);
    assert.equal(points.cols, 2);
    assert.equal(labels.length, n);
    a.weights.forEach((w, k) => {
      const share = labels.filter((l) => l === k).length / n;
      assert.ok(Math.abs(share - w) < 5 * Math.sqrt((w * (1 - w)) / n));
    });
    const b = new GaussianMixture({ components: 3, seed: 2 }).fit(points);
    const perm = matchComponents(b.means, a.means);
    a.means.forEach((m, k) => {
      const j = perm[k]!;
      assert.ok(Math.abs(b.weights[j]! - a.weights[k]!) < 0.03);
      m.forEach((v, i) => assert.ok(Math.abs(b.means[j]![i]! - v) < 0.15, `mean ${k}`));
      a.covarianceMatrix(k).forEach((row, r) => row.forEach((v, c) => assert.ok(Math.abs(b.covarianceMatrix(j)[r]![c]! - v) < 0.2)));
    });
    // same seed, same draw; no seed continues one stream
    assert.deepEqual(a.sample(10, 9).points.data, a.sample(10, 9).points.data);
    assert.notDeepEqual(a.sample(10).points.data, a.sample(10).points.data);
  });
});

// ---- densities, predictions, serialisation ----

describe('densities and predictions', () => {
  const truth: Truth = {
    weights: [0.6, 0.4],
    means: [
      [0, 0, 0],
      [3, -1, 2],
    ],
    covs: [
      [
        [1, 0.3, 0.1],
        [0.3, 2, -0.4],
        [0.1, -0.4, 0.7],
      ],
      [
        [0.5, 0, 0.2],
        [0, 0.5, 0],
        [0.2, 0, 1.2],
      ],
    ],
  };
  const { rows } = draw(truth, 1500, 51);

  for (const covariance of COVARIANCE_TYPES) {
    test(`${covariance}: scoreSamples agrees with a direct density computation`, () => {
      const g = new GaussianMixture({ components: 2, covariance, seed: 0 }).fit(rows);
      const covs = [0, 1].map((k) => g.covarianceMatrix(k));
      const probe = [rows[0]!, rows[7]!, [10, 10, 10], [-3, 0.5, 2]];
      const scores = g.scoreSamples(probe);
      probe.forEach((x, i) => {
        const direct = directLogDensity(x, g.weights, g.means, covs);
        assert.ok(Math.abs(scores[i]! - direct) < 1e-9 * Math.max(1, Math.abs(direct)), `${scores[i]} vs ${direct}`);
      });
      assert.ok(Math.abs(g.score(probe) - scores.reduce((a, b) => a + b) / probe.length) < 1e-12);
    });
  }

  test('predictProba rows sum to 1 and predict is their argmax', () => {
    const g = new GaussianMixture({ components: 2, seed: 0 }).fit(rows);
    const proba = g.predictProba(rows);
    const labels = g.predict(rows);
    assert.equal(proba.cols, 2);
    for (let i = 0; i < rows.length; i++) {
      const p0 = proba.data[2 * i]!;
      const p1 = proba.data[2 * i + 1]!;
      assert.ok(Math.abs(p0 + p1 - 1) < 1e-12);
      assert.equal(labels[i], p1 > p0 ? 1 : 0);
    }
    assert.deepEqual(g.fitPredict(rows), labels);
  });

  test('bic, aic and the parameter count follow their definitions', () => {
    const g = new GaussianMixture({ components: 2, seed: 0 }).fit(rows);
    const n = rows.length;
    assert.equal(g.parameterCount, 2 * 6 + 2 * 3 + 1);
    assert.equal(parameterCount('diag', 2, 3), 2 * 3 + 2 * 3 + 1);
    assert.equal(parameterCount('tied', 2, 3), 6 + 2 * 3 + 1);
    assert.equal(parameterCount('spherical', 2, 3), 2 + 2 * 3 + 1);
    assert.ok(Math.abs(g.bic(rows) - (-2 * g.score(rows) * n + 19 * Math.log(n))) < 1e-6);
    assert.ok(Math.abs(g.aic(rows) - (-2 * g.score(rows) * n + 38)) < 1e-6);
  });

  test('precisions and precisionsCholesky are consistent with the covariances', () => {
    const g = new GaussianMixture({ components: 2, seed: 0 }).fit(rows);
    const u = g.precisionsCholesky[0]!;
    const p = g.precisions[0]!;
    const c = g.covariances[0]!;
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        let uut = 0;
        let pc = 0;
        for (let m = 0; m < 3; m++) {
          uut += u[a]![m]! * u[b]![m]!;
          pc += p[a]![m]! * c[m]![b]!;
        }
        assert.ok(Math.abs(uut - p[a]![b]!) < 1e-9 * Math.abs(p[a]![a]!));
        assert.ok(Math.abs(pc - (a === b ? 1 : 0)) < 1e-9);
        if (a > b) assert.equal(u[a]![b], 0); // upper triangular, as scikit-learn's
      }
    }
  });

  test('toJSON / fromJSON round-trips to identical scores', () => {
    for (const covariance of COVARIANCE_TYPES) {
      const g = new GaussianMixture({ components: 2, covariance, seed: 0 }).fit(rows);
      const json = JSON.parse(JSON.stringify(g)) as GaussianMixtureJSON;
      assert.equal(json.kind, 'gmm');
      assert.equal(json.version, 1);
      const h = GaussianMixture.fromJSON(json);
      assert.deepEqual(h.scoreSamples(rows), g.scoreSamples(rows));
      assert.deepEqual(h.predict(rows), g.predict(rows));
      assert.equal(h.converged, g.converged);
      assert.deepEqual(h.lowerBoundHistory, g.lowerBoundHistory);
      assert.deepEqual(h.covariances, g.covariances);
    }
  });

  test('fromJSON rejects what is not a saved GMM, naming the field', () => {
    const json = new GaussianMixture({ components: 2, seed: 0 }).fit(rows).toJSON();
    assertGenlabError(() => GaussianMixture.fromJSON({ ...json, kind: 'vae' }), /expected kind 'gmm', got 'vae'/);
    assertGenlabError(() => GaussianMixture.fromJSON({ ...json, version: 7 }), /expected version 1, got 7/);
    assertGenlabError(() => GaussianMixture.fromJSON({ ...json, means: [[0, 0, 0]] }), /means: expected 2 rows of 3 numbers/);
    assertGenlabError(() => GaussianMixture.fromJSON({ ...json, covariances: [[[1]]] }), /covariances/);
    const bad = structuredClone(json);
    (bad.covariances as number[][][])[0]![0]![0] = -1;
    assertGenlabError(() => GaussianMixture.fromJSON(bad), /covariances: component 0 is not positive definite/);
  });

  test('Float32Array, Float64Array and number[][] inputs give the same fit', () => {
    const flat = Float64Array.from(rows.flat().map((v) => Math.fround(v)));
    const a = new GaussianMixture({ components: 2, seed: 0 }).fit({ rows: rows.length, cols: 3, data: Float32Array.from(flat) });
    const b = new GaussianMixture({ components: 2, seed: 0 }).fit({ rows: rows.length, cols: 3, data: flat });
    const c = new GaussianMixture({ components: 2, seed: 0 }).fit(rows.map((r) => r.map((v) => Math.fround(v))));
    assert.deepEqual(a.means, b.means);
    assert.deepEqual(b.means, c.means);
  });
});

// ---- degenerate inputs ----

describe('degenerate inputs', () => {
  test('K > N, empty data, ragged rows and non-finite cells are clear errors', () => {
    const g = new GaussianMixture({ components: 5 });
    assertGenlabError(() => g.fit([[1, 2], [3, 4]]), /GaussianMixture\.fit: components must be at most the number of points, got components = 5 for 2 rows/);
    assertGenlabError(() => g.fit([]), /data has 0 rows/);
    assertGenlabError(() => g.fit({ rows: 0, cols: 2, data: new Float64Array(0) }), /data has 0 rows/);
    assertGenlabError(() => g.fit({ rows: 3, cols: 2, data: new Float64Array(5) }), /data\.data has 5 values, expected rows × cols = 3 × 2 = 6/);
    assertGenlabError(() => g.fit([[1, 2], [3]]), /data row 1 has 1 values, expected 2/);
    const rows = Array.from({ length: 10 }, (_, i) => [i, i * 2]);
    rows[3]![1] = NaN;
    assertGenlabError(() => g.fit(rows), /non-finite value \(NaN\) at row 3, column 1/);
    rows[3]![1] = 0;
    rows[8]![0] = -Infinity;
    assertGenlabError(() => g.fit(rows), /non-finite value \(-Infinity\) at row 8, column 0/);
  });

  test('bad configuration values name the parameter, the constraint and the value', () => {
    const cases: [object, RegExp][] = [
      [{ components: 0 }, /GaussianMixture\.components: expected an integer >= 1, got 0/],
      [{ components: 2.5 }, /components: expected an integer >= 1, got 2\.5/],
      [{ components: 2, covariance: 'banana' }, /covariance: expected one of full, tied, diag, spherical, got 'banana'/],
      [{ components: 2, init: 'kmeans+' }, /init: expected one of kmeans, kmeans\+\+, random, random-from-data, got 'kmeans\+'/],
      [{ components: 2, tol: -1 }, /tol: expected a finite number >= 0, got -1/],
      [{ components: 2, regCovar: NaN }, /regCovar: expected a finite number >= 0, got NaN/],
      [{ components: 2, nInit: 0 }, /nInit: expected an integer >= 1, got 0/],
      [{ components: 2, maxIter: -1 }, /maxIter: expected an integer >= 0, got -1/],
      [{ components: 2, weightsInit: [0.5, 0.6] }, /weightsInit: expected weights that sum to 1, got a sum of 1\.1/],
      [{ components: 2, warmStart: 'yes' }, /warmStart: expected true or false, got yes/],
    ];
    for (const [config, pattern] of cases) {
      assertGenlabError(() => new GaussianMixture(config as { components: number }), pattern);
    }
  });

  test('methods of an unfitted model, and data of the wrong width, are clear errors', () => {
    const g = new GaussianMixture({ components: 1 });
    assertGenlabError(() => g.predict([[1, 2]]), /GaussianMixture\.predict: the model is not fitted yet; call fit\(data\) first/);
    assertGenlabError(() => g.means, /not fitted/);
    g.fit([[1, 2], [2, 3], [0, 1]]);
    assertGenlabError(() => g.scoreSamples([[1, 2, 3]]), /data has 3 columns, but the model was fitted on 2/);
  });

  test('duplicate points: every component collapses onto them, all outputs finite', () => {
    const rows = Array.from({ length: 50 }, () => [1.5, -2]);
    for (const covariance of COVARIANCE_TYPES) {
      const g = new GaussianMixture({ components: 3, covariance }).fit(rows);
      assert.ok(g.weights.every(Number.isFinite));
      assert.ok(g.means.flat().every((v) => Math.abs(v - (v > 0 ? 1.5 : -2)) < 1e-9));
      const s = g.scoreSamples([[1.5, -2], [0, 0]]);
      assert.ok(s.every(Number.isFinite), `${covariance}: ${s}`);
      assert.ok(g.sample(5).points.data.every(Number.isFinite));
    }
  });

  test('a cluster of duplicates among other points: finite, with the spike bounded by regCovar', () => {
    const { rows } = draw(truthOf('full'), 300, 61);
    for (let i = 0; i < 60; i++) rows.push([10, 10]);
    const g = new GaussianMixture({ components: 4, seed: 0 }).fit(rows);
    const spike = g.scoreSamples([[10, 10]])[0]!;
    assert.ok(Number.isFinite(spike));
    // a component on the duplicates has variance regCovar: density ≈ w / (2π · 1e-6)
    assert.ok(spike < Math.log(1 / (2 * Math.PI * 1e-6)) + 1e-6);
  });

  test('a constant column is fitted (its variance is regCovar); with regCovar = 0 it is a clear numeric error', () => {
    const rows = Array.from({ length: 200 }, (_, i) => [Math.sin(i) * 3, 5]);
    const g = new GaussianMixture({ components: 2, seed: 0 }).fit(rows);
    assert.ok(g.covariances.every((c) => Math.abs(c[1]![1]! - 1e-6) < 1e-12));
    assert.ok(g.scoreSamples(rows).every(Number.isFinite));
    assertGenlabError(
      () => new GaussianMixture({ components: 2, regCovar: 0, seed: 0 }).fit(rows),
      /ill-defined covariance .*try fewer components, a larger regCovar \(now 0\), or scaling the data/,
      'numeric',
    );
  });

  test('an empty component is re-seeded at the worst-explained point, with a warning', () => {
    const { rows } = draw(truthOf('full'), 600, 71);
    const seen: string[] = [];
    const g = new GaussianMixture({
      components: 4,
      maxIter: 30,
      meansInit: [
        [0, 0],
        [6, 1],
        [1, 7],
        [1e4, 1e4],
      ],
      onWarning: (m) => seen.push(m),
    }).fit(rows);
    assert.ok(seen.some((m) => /component 3 lost all its points at iteration 1; re-seeded it at the worst-explained point/.test(m)), seen.join('\n'));
    assert.ok(g.weights[3]! > 0.001, `weight ${g.weights[3]}`);
    assert.ok(g.means[3]!.every((v) => Math.abs(v) < 100));
    assert.ok(g.scoreSamples(rows).every(Number.isFinite));
  });
});

// ---- kernels ----

describe('kernels', { skip: !wasmAvailable() && 'WebAssembly SIMD unavailable' }, () => {
  test('WebAssembly and TypeScript kernels give the same fit, for every covariance type', () => {
    // 5 dims (odd: SIMD tails) and 2603 rows (several blocks, a partial group of four)
    const rng = new Rng(81);
    const rows = Array.from({ length: 2603 }, (_, i) => Array.from({ length: 5 }, (_, a) => (i % 3) * 4 + (a === i % 5 ? 2 : 0) + rng.normal()));
    for (const covariance of COVARIANCE_TYPES) {
      const [a, b] = (['auto', 'js'] as const).map((kernels) => new GaussianMixture({ components: 3, covariance, seed: 2, kernels }).fit(rows));
      assert.equal(a!.iterations, b!.iterations, covariance);
      a!.lowerBoundHistory.forEach((v, i) => assert.ok(Math.abs(v - b!.lowerBoundHistory[i]!) < 1e-10 * Math.abs(v), `${covariance} ${i}`));
      a!.means.flat().forEach((v, i) => assert.ok(Math.abs(v - b!.means.flat()[i]!) < 1e-9));
      const sa = a!.scoreSamples(rows);
      const sb = b!.scoreSamples(rows);
      sa.forEach((v, i) => assert.ok(Math.abs(v - sb[i]!) < 1e-10 * Math.max(1, Math.abs(v))));
    }
  });

  test("the kernel's log-sum-exp matches Math.exp to 2 ulp over the whole range, both SIMD lanes and the scalar tail", () => {
    const arena = Arena.create(1 << 22)!;
    const n = 20000;
    const v = arena.f64(n * 3);
    const logW = arena.f64(3);
    const max = arena.f64(n);
    const sum = arena.f64(n);
    const xs = Array.from({ length: n }, (_, i) => -745 * (i / n) ** 2);
    xs.forEach((x, i) => v.set([0, x, 0.999 * x], 3 * i));
    arena.kernels.softmaxRows(v.byteOffset, logW.byteOffset, n, 3, max.byteOffset, sum.byteOffset);
    xs.forEach((x, i) => {
      const e1 = Math.exp(x);
      const e2 = Math.exp(0.999 * x);
      const s = 1 + e1 + e2;
      assert.equal(max[i], 0);
      assert.ok(Math.abs(sum[i]! - s) <= 2 * Number.EPSILON * s);
      for (const [got, e] of [
        [v[3 * i + 1]!, e1],
        [v[3 * i + 2]!, e2],
      ] as const) {
        if (e > 1e-300) assert.ok(Math.abs(got - e / s) <= 4 * Number.EPSILON * (e / s), `exp(${x}): ${got} vs ${e / s}`);
        else assert.ok(got < 1e-290);
      }
    });
  });

  test('k-means: the labels are a Lloyd fixed point (each row at its nearest centre)', () => {
    const { rows } = draw(truthOf('full'), 1000, 91);
    const flat = Float64Array.from(rows.flat());
    const r = kmeans({ rows: 1000, cols: 2, data: flat }, 3, new Rng(1));
    for (let i = 0; i < 1000; i++) {
      const dist = [0, 1, 2].map((c) => (flat[2 * i]! - r.centers[2 * c]!) ** 2 + (flat[2 * i + 1]! - r.centers[2 * c + 1]!) ** 2);
      assert.equal(r.labels[i], dist.indexOf(Math.min(...dist)));
    }
  });
});
