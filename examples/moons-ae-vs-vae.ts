/**
 * The lecture's first figure (§1, "Why a VAE?"): train an autoencoder and a VAE on moon images, encode a full moon
 * and a half moon, and decode the codes along the straight line between them. The AE's halfway code need not decode
 * to anything moon-like; the VAE, trained with noise on its codes, must decode codes near training codes sensibly.
 *
 *   node --import tsx examples/moons-ae-vs-vae.ts [--out runs/moons] [--epochs 30] [--latent 8] [--seed 0]
 *
 * Writes <out>/interpolation.png (rows: AE, VAE, and the true moons at the same phases) and prints, for each
 * model, the squared error between its halfway decode and a real moon at the halfway phase (45°).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createModel, describeEngine, fit, initEngine, loadMoons, progressBar, renderMoon, Rng, tf, writeImageStrips } from 'genlab';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'runs/moons' },
    epochs: { type: 'string', default: '30' },
    latent: { type: 'string', default: '8' },
    seed: { type: 'string', default: '0' },
  },
});
const epochs = Number(values.epochs), latent = Number(values.latent), seed = Number(values.seed);
const size = 28, steps = 9;

console.error(describeEngine(await initEngine()));
const data = loadMoons({ size, seed });
const info = { shape: data.train.shape, kind: 'images' as const };

// The two ends and the truth in between: canonical moons (centred, radius 0.35·size) at evenly spaced phases.
const phases = Array.from({ length: steps }, (_, i) => (90 * i) / (steps - 1));
const truth = new Float32Array(steps * size * size);
phases.forEach((p, i) => truth.set(renderMoon(p, { size, brightness: 0.9 }), i * size * size));
const ends = tf.tensor4d([...truth.subarray(0, size * size), ...truth.subarray((steps - 1) * size * size)], [2, size, size, 1]);

const strips: { label: string; images: { data: Float32Array; count: number; shape: [number, number, number] } }[] = [];
for (const kind of ['ae', 'vae'] as const) {
  const model = createModel(kind, { arch: 'mlp', hidden: [256, 64], latent }, info, new Rng(seed));
  console.error(`\ntraining ${kind} (latent ${latent}) on moons for ${epochs} epochs`);
  await fit(model, data, { epochs, batchSize: 64, seed, learningRate: 1e-3, callbacks: [progressBar()] });
  const path = model.interpolate(ends, steps);
  const decoded = (await path.data()) as Float32Array;
  path.dispose();
  const mid = (steps - 1) / 2;
  let err = 0;
  for (let j = 0; j < size * size; j++) err += (decoded[mid * size * size + j]! - truth[mid * size * size + j]!) ** 2;
  console.log(`${kind}: squared error of the halfway decode against a real 45° moon: ${err.toFixed(1)} (sum over ${size * size} pixels)`);
  strips.push({ label: kind.toUpperCase(), images: { data: decoded, count: steps, shape: [size, size, 1] } });
  model.dispose();
}
strips.push({ label: 'real', images: { data: truth, count: steps, shape: [size, size, 1] } });
ends.dispose();
const file = join(values.out!, 'interpolation.png');
await writeImageStrips(file, strips);
console.log(`wrote ${file}: full moon (left) to half moon (right), decoded along the line between their codes`);
