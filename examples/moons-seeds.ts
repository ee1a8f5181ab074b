/**
 * How robust is the lecture's moon figure? For code sizes 2 and 8 and several seeds, trains an AE and a VAE (same
 * networks) on moon images and prints the mean squared error per pixel of each one's halfway decoding (the middle of
 * the straight line between a full and a half moon's codes) against the true 45° moon.
 *
 *   node --import tsx examples/moons-seeds.ts [--seeds 3] [--epochs 40]      (about two minutes on two cores)
 *
 * One run (native backend): 2-D codes, seeds 0/1/2 → AE 0.007/0.054/0.030, VAE 0.017/0.013/0.021 (it depends on the
 * seed); 8-D codes → AE 0.049/0.050/0.049, VAE 0.036/0.031/0.029 (the VAE every time).
 */
import { parseArgs } from 'node:util';
import { createModel, describeEngine, fit, initEngine, loadMoons, renderMoon, Rng, tf } from 'genlab';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '3' }, epochs: { type: 'string', default: '40' } } });
const seeds = Number(values.seeds), epochs = Number(values.epochs);
const size = 28;
console.error(describeEngine(await initEngine()));
const data = loadMoons({ size, seed: 0 });
const info = { shape: data.train.shape, kind: 'images' as const };
const moon = (phase: number): Float32Array => renderMoon(phase, { size, brightness: 0.9 });
const ends = tf.tensor4d([...moon(0), ...moon(90)], [2, size, size, 1]);
const truth = moon(45);
const pixels = size * size;

for (const latent of [2, 8]) {
  for (let seed = 0; seed < seeds; seed++) {
    const errors: string[] = [];
    for (const kind of ['ae', 'vae'] as const) {
      const model = createModel(kind, { arch: 'mlp', hidden: [128, 32], latent }, info, new Rng(seed));
      await fit(model, data, { epochs, batchSize: 64, seed, learningRate: 1e-3 });
      const path = model.interpolate(ends, 9); // 9 steps: the 5th is halfway
      const decoded = (await path.data()) as Float32Array;
      path.dispose();
      let e = 0;
      for (let j = 0; j < pixels; j++) e += (decoded[4 * pixels + j]! - truth[j]!) ** 2;
      errors.push(`${kind} ${(e / pixels).toFixed(4)}`);
      model.dispose();
    }
    console.log(`latent ${latent}, seed ${seed}: halfway error ${errors.join(', ')}`);
  }
}
ends.dispose();
