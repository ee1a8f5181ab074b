/**
 * How a LAPGAN (Denton et al. 2015) draws an image, coarse to fine: for a few seeds, one row per step of the pyramid —
 * the coarsest image G_0(z_0), then per finer level the band G_k adds (grey = 0, lighter = more ink) and the image it
 * makes, Ĩ_k = u(Ĩ_{k−1}) + band. Every picture is shown at the full size (nearest-neighbour enlargement).
 *
 *   genlab train lapgan --data mnist --epochs 2 --seed 0 --out runs/lapgan
 *   node --import tsx examples/lapgan-pyramid.ts --run runs/lapgan [--n 8] [--seed 0] [--out runs/lapgan/pyramid.png]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LAPGAN, Rng, initEngine, loadModel, openRun, tf, writeImageStrips, type ImageStrip } from 'genlab';

const { values } = parseArgs({ options: { run: { type: 'string' }, n: { type: 'string', default: '8' }, seed: { type: 'string', default: '0' }, out: { type: 'string' } } });
if (!values.run) throw new Error('--run: expected the run folder of a lapgan (genlab train lapgan … --out DIR)');
const n = Number(values.n), seed = Number(values.seed);
if (!(Number.isInteger(n) && n >= 1 && n <= 64)) throw new Error(`--n: expected an integer in [1, 64], got ${values.n}`);
if (!Number.isInteger(seed)) throw new Error(`--seed: expected an integer, got ${values.seed}`);

await initEngine();
const run = await openRun(values.run);
const model = await loadModel(run.modelDir);
if (!(model instanceof LAPGAN)) throw new Error(`--run: ${values.run} holds a ${model.kind} model, expected a lapgan`);
const shape = model.dataShape as [number, number, number];
const [h, w] = shape;

/** [n, h', w', c] at full size, as a strip of the grid. */
const row = (label: string, images: tf.Tensor4D): ImageStrip => {
  const full = tf.tidy(() => tf.image.resizeNearestNeighbor(images, [h, w]));
  const strip = { label, images: { data: full.dataSync() as Float32Array, count: n, shape } };
  full.dispose();
  return strip;
};

const z = model.noise(n, new Rng(seed));
const levels = model.generateLevels(z);
const strips: ImageStrip[] = [row(`level 0 (${levels[0]!.shape[1]}×${levels[0]!.shape[2]})`, levels[0]!)];
for (let k = 1; k < levels.length; k++) {
  // The band the level added, on a grey ground: u(Ĩ_{k−1}) and Ĩ_k differ by it (clipping aside).
  const coarse = tf.image.resizeNearestNeighbor(levels[k - 1]!, [levels[k]!.shape[1], levels[k]!.shape[2]]);
  const band = tf.tidy(() => tf.clipByValue(tf.add(tf.sub(levels[k]!, coarse), 0.5), 0, 1) as tf.Tensor4D);
  strips.push(row(`band ${k}`, band), row(`level ${k} (${levels[k]!.shape[1]}×${levels[k]!.shape[2]})`, levels[k]!));
  tf.dispose([coarse, band]);
}
const out = values.out ?? join(values.run, 'pyramid.png');
await writeImageStrips(out, strips, { title: `LAPGAN, coarse to fine · ${n} samples · seed ${seed}` });
tf.dispose([z, ...levels]);
model.dispose();
console.log(`lapgan-pyramid: ${levels.length} levels of ${n} samples → ${out}`);
