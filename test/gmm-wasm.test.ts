/**
 * The GMM's WebAssembly kernels: the committed binary (kernels.generated.ts) is exactly what wabt assembles from the
 * .wat sources, and each kernel agrees with its TypeScript twin on small random problems.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { Rng } from '../src/engine/rng.js';
import { addLowerProduct, gatherComponent, mahalanobisPacked } from '../src/models/gmm/kernels.js';
import { KERNEL_MODULES_BASE64 } from '../src/models/gmm/wasm/kernels.generated.js';
import { kernelModuleBytes, type KernelModuleName } from '../src/models/gmm/wasm/kernels.js';
import { Arena, wasmAvailable, type WasmKernels } from '../src/models/gmm/wasm/arena.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WASM_DIR = join(ROOT, 'src/models/gmm/wasm');
const NAMES = Object.keys(KERNEL_MODULES_BASE64) as KernelModuleName[];

describe('wasm kernels: text and binary', () => {
  test('every .wat source is assembled into the generated module, and nothing else', () => {
    const sources = readdirSync(WASM_DIR)
      .filter((f) => f.endsWith('.wat'))
      .map((f) => f.slice(0, -'.wat'.length))
      .sort();
    assert.deepEqual([...NAMES].sort(), sources);
  });

  test('the committed bytes equal what wabt assembles from the .wat files now', async () => {
    const wabt = await wabtInit();
    const committed = kernelModuleBytes();
    for (const name of NAMES) {
      const file = join(WASM_DIR, `${name}.wat`);
      const module = wabt.parseWat(file, readFileSync(file, 'utf8'), { simd: true });
      try {
        module.validate();
        const fresh = module.toBinary({ log: false, write_debug_names: false }).buffer;
        assert.ok(
          Buffer.from(fresh).equals(Buffer.from(committed[name])),
          `${name}.wat differs from kernels.generated.ts: run node scripts/build-wasm.mjs`,
        );
      } finally {
        module.destroy();
      }
    }
  });

  test('node scripts/build-wasm.mjs --check agrees', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts/build-wasm.mjs'), '--check'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
  });

  test('the modules import only env.memory and together export exactly the kernels arena.ts declares', { skip: !wasmAvailable() && 'WebAssembly SIMD unavailable' }, () => {
    const exports: string[] = [];
    for (const bytes of Object.values(kernelModuleBytes())) {
      assert.ok(WebAssembly.validate(bytes));
      const mod = new WebAssembly.Module(bytes);
      assert.deepEqual(WebAssembly.Module.imports(mod), [{ module: 'env', name: 'memory', kind: 'memory' }]);
      exports.push(...WebAssembly.Module.exports(mod).map((e) => e.name));
    }
    const expected: (keyof WasmKernels)[] = [
      'addLowerProduct',
      'assign',
      'column',
      'diagAccumulate',
      'diagLogDensities',
      'gather',
      'mahalanobis4',
      'potential',
      'prepareDense',
      'softmaxRows',
      'transposeBlock',
    ];
    assert.deepEqual(exports.sort(), expected);
  });
});

// ---- each kernel against its TypeScript twin ----

const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string, rel = 1e-12) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i]! - b[i]!) <= rel * Math.max(1, Math.abs(b[i]!)), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
};

describe('wasm kernels agree with the TypeScript twins', { skip: !wasmAvailable() && 'WebAssembly SIMD unavailable' }, () => {
  const rng = new Rng(2024);
  const normals = (n: number, scale = 1) => Float64Array.from({ length: n }, () => scale * rng.normal());
  // odd and even dims (SIMD tails), row counts that are and are not multiples of 4
  const shapes = [
    [1, 8],
    [2, 13],
    [5, 24],
    [16, 37],
  ] as const;

  test('mahalanobis4 = mahalanobisPacked', () => {
    for (const [d, rows] of shapes) {
      const kCount = 3;
      const arena = Arena.create(1 << 20)!;
      const rows4 = rows & ~3;
      const x = arena.f64(rows * d);
      x.set(normals(rows * d, 2));
      const means = arena.f64(d);
      means.set(normals(d));
      const w = arena.f64((d * (d + 1)) / 2);
      w.set(normals(w.length, 0.5));
      const out = arena.f64(rows * kCount);
      const diff4 = arena.f64(4 * d);
      arena.kernels.mahalanobis4(x.byteOffset, d, rows4, means.byteOffset, w.byteOffset, -1.5, out.byteOffset + 8, kCount, diff4.byteOffset);
      const expected = new Float64Array(rows * kCount);
      mahalanobisPacked(x, d, 0, rows4, means, 0, w, 0, -1.5, expected, 1, kCount, new Float64Array(4 * d));
      close(out, expected, `d ${d}`);
    }
  });

  test('addLowerProduct = addLowerProduct (TypeScript)', () => {
    for (const [d, rows] of shapes) {
      const stride = rows + 3;
      const n = rows & ~1;
      const arena = Arena.create(1 << 20)!;
      const a = arena.f64(d * stride);
      a.set(normals(a.length));
      const b = arena.f64(d * stride);
      b.set(normals(b.length));
      const out = arena.f64(d * d);
      out.set(normals(d * d));
      const expected = Float64Array.from(out);
      arena.kernels.addLowerProduct(a.byteOffset, b.byteOffset, stride, n, d, out.byteOffset);
      addLowerProduct(a, b, stride, n, d, expected, 0);
      close(out, expected, `d ${d}`);
    }
  });

  test('gather = gatherComponent', () => {
    for (const [d, rows] of shapes) {
      const kCount = 3;
      const k = 1;
      const stride = rows + 1 + (rows % 2);
      const arena = Arena.create(1 << 20)!;
      const x = arena.f64(rows * d);
      x.set(normals(rows * d));
      const resp = arena.f64(rows * kCount);
      resp.set(Float64Array.from({ length: rows * kCount }, () => (rng.uniform() < 0.4 ? 0 : rng.uniform())));
      const shift = arena.f64(kCount * d);
      shift.set(normals(kCount * d));
      const nk = arena.f64(kCount);
      const sum = arena.f64(kCount * d);
      const diffT = arena.f64(d * stride);
      const weightedT = arena.f64(d * stride);
      const count = arena.kernels.gather(
        x.byteOffset,
        d,
        rows,
        resp.byteOffset + k * 8,
        kCount,
        shift.byteOffset + k * d * 8,
        diffT.byteOffset,
        weightedT.byteOffset,
        stride,
        nk.byteOffset + k * 8,
        sum.byteOffset + k * d * 8,
      );
      const stats = { nk: new Float64Array(kCount), sum: new Float64Array(kCount * d), second: new Float64Array(0), shift: Float64Array.from(shift) };
      const diffTs = new Float64Array(d * stride);
      const weightedTs = new Float64Array(d * stride);
      const expected = gatherComponent(stats, x, d, 0, rows, resp, k, kCount, diffTs, weightedTs, stride);
      assert.equal(count, expected, `d ${d}`);
      close(nk, stats.nk, `nk d ${d}`);
      close(sum, stats.sum, `sum d ${d}`);
      for (let a = 0; a < d; a++) {
        close(diffT.subarray(a * stride, a * stride + count), diffTs.subarray(a * stride, a * stride + count), `diffT d ${d}`);
        close(weightedT.subarray(a * stride, a * stride + count), weightedTs.subarray(a * stride, a * stride + count), `weightedT d ${d}`);
      }
    }
  });

  test('diagLogDensities and diagAccumulate = their formulas', () => {
    for (const [d, rows] of shapes) {
      const kCount = 3;
      const arena = Arena.create(1 << 20)!;
      const x = arena.f64(rows * d);
      x.set(normals(rows * d, 2));
      const means = arena.f64(kCount * d);
      means.set(normals(kCount * d));
      const w = arena.f64(kCount * d);
      w.set(Float64Array.from({ length: kCount * d }, () => 0.5 + rng.uniform()));
      const bases = arena.f64(kCount);
      bases.set(normals(kCount, 3));
      const out = arena.f64(rows * kCount);
      arena.kernels.diagLogDensities(x.byteOffset, d, rows, means.byteOffset, w.byteOffset, bases.byteOffset, kCount, out.byteOffset);
      const resp = arena.f64(rows * kCount);
      resp.set(Float64Array.from({ length: rows * kCount }, () => (rng.uniform() < 0.3 ? 0 : rng.uniform())));
      const nk = arena.f64(kCount);
      const sum = arena.f64(kCount * d);
      const second = arena.f64(kCount * d);
      arena.kernels.diagAccumulate(x.byteOffset, d, rows, resp.byteOffset, kCount, means.byteOffset, nk.byteOffset, sum.byteOffset, second.byteOffset);
      const expectedOut = new Float64Array(rows * kCount);
      const [eNk, eSum, eSecond] = [new Float64Array(kCount), new Float64Array(kCount * d), new Float64Array(kCount * d)];
      for (let i = 0; i < rows; i++) {
        for (let k = 0; k < kCount; k++) {
          let q = 0;
          const r = resp[i * kCount + k]!;
          eNk[k]! += r;
          for (let a = 0; a < d; a++) {
            const u = x[i * d + a]! - means[k * d + a]!;
            q += (u * w[k * d + a]!) ** 2;
            eSum[k * d + a]! += r * u;
            eSecond[k * d + a]! += r * u * u;
          }
          expectedOut[i * kCount + k] = bases[k]! - 0.5 * q;
        }
      }
      close(out, expectedOut, `log densities d ${d}`, 1e-11);
      close(nk, eNk, `nk d ${d}`, 1e-11);
      close(sum, eSum, `sum d ${d}`, 1e-11);
      close(second, eSecond, `second d ${d}`, 1e-11);
    }
  });

  test('potential = Σ min(closest, |x − point|²)', () => {
    for (const [d, rows] of shapes) {
      const arena = Arena.create(1 << 20)!;
      const x = arena.f64(rows * d);
      x.set(normals(rows * d));
      const point = arena.f64(d);
      point.set(normals(d));
      const closest = arena.f64(rows);
      closest.set(Float64Array.from({ length: rows }, () => 2 * d * rng.uniform()));
      const before = Float64Array.from(closest);
      const mins = Array.from({ length: rows }, (_, i) => {
        let s = 0;
        for (let a = 0; a < d; a++) s += (x[i * d + a]! - point[a]!) ** 2;
        return Math.min(s, before[i]!);
      });
      const total = mins.reduce((a, b) => a + b, 0);
      const tried = arena.kernels.potential(x.byteOffset, d, rows, point.byteOffset, closest.byteOffset, 0);
      assert.ok(Math.abs(tried - total) <= 1e-12 * total, `d ${d}`);
      close(closest, before, `closest unchanged d ${d}`, 0);
      arena.kernels.potential(x.byteOffset, d, rows, point.byteOffset, closest.byteOffset, 1);
      close(closest, mins, `closest updated d ${d}`);
    }
  });
});
