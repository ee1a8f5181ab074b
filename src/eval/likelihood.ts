/**
 * How likely is x under a VAE? The ELBO bounds log p(x) from below; importance sampling with q(z|x) as the proposal
 * (Burda et al. 2016, "Importance Weighted Autoencoders", §5; Rezende et al. 2014, appendix E) estimates it:
 *
 *   log p(x) ≈ log (1/k) Σᵢ p(x|zᵢ) p(zᵢ) / q(zᵢ|x),   zᵢ ~ q(z|x)
 *
 * The estimate is a lower bound in expectation (L_k) that rises towards log p(x) as k grows. The lecture's identity
 * log p(x) = ELBO + KL(q(z|x) ‖ p(z|x)) makes the gap −ELBO − NLL an estimate of how far q is from the true posterior.
 *
 * k samples are drawn in chunks (a running log-sum-exp carries the sum across chunks), so k = 5000 costs time but no
 * more memory than k = 100. All values are nats per example; bits/dim = NLL / (D · ln 2). For a Bernoulli decoder on
 * binary data these are proper probabilities; for a Gaussian decoder they are densities (they can be negative).
 */
import * as tf from '@tensorflow/tfjs-core';
import { badInput } from '../engine/errors.js';
import { Rng } from '../engine/rng.js';
import { exampleSize, type Dataset } from '../data/dataset.js';
import { resizeArea, toGray, type FloatImage } from '../data/image-ops.js';
import type { VAE } from '../models/vae.js';

export interface LikelihoodOptions {
  /** Importance samples per example. Default 100. */
  k?: number;
  /** Examples per batch. Default 100. */
  batchSize?: number;
  /** Seed of the samples z (and of dynamic binarisation). Default 0. */
  seed?: number;
  /** Most codes decoded in one call (k is split into chunks of ⌊maxRows / batch⌋ samples). Default 5000. */
  maxRows?: number;
  /** Called as the work goes on: `done` of `total` (importance samples drawn, over all examples). */
  onProgress?: (done: number, total: number) => void;
}

type Resolved = Required<Omit<LikelihoodOptions, 'onProgress'>>;

/** Averages over a dataset, nats per example. */
export interface LikelihoodReport {
  /** −ELBO = recon + kl (the k samples average the reconstruction term). */
  negElbo: number;
  /** E_q[−log p(x|z)]. */
  recon: number;
  /** KL(q(z|x) ‖ p(z)), closed form. */
  kl: number;
  /** −log p(x), importance-sampled with k samples. */
  nll: number;
  /** Standard error of `nll` over the examples (their spread / √count): how far another test set of this size may move it. */
  nllStdErr: number;
  /** nll / (D · ln 2). */
  bitsPerDim: number;
  k: number;
  /** negElbo − nll ≥ 0 (up to Monte Carlo noise): an estimate of KL(q(z|x) ‖ p(z|x)). */
  gap: number;
  /** Number of examples averaged. */
  count: number;
}

/** Per-example estimates. */
export interface PerExample {
  /** log p(x) estimates. */
  logPx: Float64Array;
  /** ELBO estimates (−recon − kl). */
  elbo: Float64Array;
  recon: Float64Array;
  kl: Float64Array;
}

function resolve(options: LikelihoodOptions): Resolved {
  const { k = 100, batchSize = 100, seed = 0, maxRows = 5000 } = options;
  if (!(Number.isInteger(k) && k >= 1)) throw badInput('k', `expected an integer >= 1, got ${k}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw badInput('batchSize', `expected an integer >= 1, got ${batchSize}`);
  if (!(Number.isInteger(maxRows) && maxRows >= 1)) throw badInput('maxRows', `expected an integer >= 1, got ${maxRows}`);
  return { k, batchSize, seed, maxRows };
}

/** log(exp a + exp b), elementwise and stable. */
function logAddExp(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const m = tf.maximum(a, b);
    return tf.add(m, tf.log(tf.add(tf.exp(tf.sub(a, m)), tf.exp(tf.sub(b, m)))));
  });
}

/**
 * Importance-sampled log p(x) and the ELBO terms of one batch x [n, ...dataShape]: k samples in chunks, one sync at
 * the end.
 */
async function batchEstimates(model: VAE, x: tf.Tensor, labels: tf.Tensor1D | undefined, rng: Rng, o: Resolved, tick: (samples: number) => void) {
  const n = x.shape[0]!;
  const chunk = Math.max(1, Math.min(o.k, Math.floor(o.maxRows / n)));
  let lse: tf.Tensor | null = null; // running log Σ_i w_i, [n]
  let llSum: tf.Tensor | null = null; // running Σ_i log p(x|z_i), [n]
  let kl: tf.Tensor | null = null; // [n]
  try {
    for (let done = 0; done < o.k; done += chunk) {
      const m = Math.min(chunk, o.k - done);
      const t = model.importanceTerms(x, m, rng, labels);
      const [nextLse, nextLl] = tf.tidy(() => {
        const chunkLse = tf.logSumExp(t.logWeights, 0); // [n]
        const chunkLl = tf.sum(t.logLikelihoods, 0); // [n]
        return [lse ? logAddExp(lse, chunkLse) : chunkLse, llSum ? tf.add(llSum, chunkLl) : chunkLl];
      });
      lse?.dispose();
      llSum?.dispose();
      lse = nextLse;
      llSum = nextLl;
      if (kl) t.kl.dispose();
      else kl = t.kl;
      t.logWeights.dispose();
      t.logLikelihoods.dispose();
      tick(n * m);
    }
    const [lseV, llV, klV] = await Promise.all([lse!.data(), llSum!.data(), kl!.data()]);
    const logK = Math.log(o.k);
    const logPx = Float64Array.from(lseV, (v) => v - logK);
    const recon = Float64Array.from(llV, (v) => -v / o.k);
    const klA = Float64Array.from(klV);
    const elbo = recon.map((r, i) => -r - klA[i]!);
    return { logPx, elbo, recon, kl: klA };
  } finally {
    lse?.dispose();
    llSum?.dispose();
    kl?.dispose();
  }
}

/**
 * Per-example log p(x) and ELBO terms for `count` examples in `data` (row-major [count, ...model.dataShape]).
 * `labels` (class indices) are required by a conditional model; without them a conditional model is scored by
 * marginalising the label uniformly: log p(x) = log (1/C) Σ_c p(x|c) (each class costs a full pass).
 */
export async function perExampleLikelihood(
  model: VAE,
  data: Float32Array,
  count: number,
  options: LikelihoodOptions & { labels?: Int32Array; transform?: (x: Float32Array, rng: Rng | undefined) => void } = {},
): Promise<PerExample> {
  const o = resolve(options);
  const size = exampleSize(model.dataShape);
  if (data.length !== count * size) throw badInput('likelihood', `${data.length} values for ${count} examples of shape [${model.dataShape.join(', ')}]`);
  const conditional = model.config.conditional;
  const classes = model.classes?.length ?? 0;
  if (options.labels && options.labels.length !== count) throw badInput('likelihood', `${options.labels.length} labels for ${count} examples`);
  const out: PerExample = { logPx: new Float64Array(count), elbo: new Float64Array(count), recon: new Float64Array(count), kl: new Float64Array(count) };
  const rng = new Rng(o.seed);
  const total = count * o.k * (conditional && !options.labels ? classes : 1);
  let done = 0;
  const tick = (samples: number): void => {
    done += samples;
    options.onProgress?.(done, total);
  };
  for (let start = 0; start < count; start += o.batchSize) {
    const n = Math.min(o.batchSize, count - start);
    const values = data.slice(start * size, (start + n) * size);
    options.transform?.(values, rng.fork());
    const x = tf.tensor(values, [n, ...model.dataShape]);
    try {
      if (!conditional || options.labels) {
        const labels = options.labels ? tf.tensor1d(options.labels.subarray(start, start + n), 'int32') : undefined;
        try {
          const est = await batchEstimates(model, x, labels, rng, o, tick);
          out.logPx.set(est.logPx, start);
          out.elbo.set(est.elbo, start);
          out.recon.set(est.recon, start);
          out.kl.set(est.kl, start);
        } finally {
          labels?.dispose();
        }
      } else {
        // p(x) = (1/C) Σ_c p(x|c): log-sum-exp over the classes of the per-class estimates.
        const perClass: Awaited<ReturnType<typeof batchEstimates>>[] = [];
        for (let c = 0; c < classes; c++) {
          const labels = tf.fill([n], c, 'int32') as tf.Tensor1D;
          try {
            perClass.push(await batchEstimates(model, x, labels, rng, o, tick));
          } finally {
            labels.dispose();
          }
        }
        for (let i = 0; i < n; i++) {
          const lp = perClass.map((e) => e.logPx[i]!);
          const m = Math.max(...lp);
          out.logPx[start + i] = m + Math.log(lp.reduce((s, v) => s + Math.exp(v - m), 0)) - Math.log(classes);
          // ELBO terms of the best class (a bound on log p(x|c*) + log p(c*), shown for information).
          const best = lp.indexOf(m);
          out.elbo[start + i] = perClass[best]!.elbo[i]! - Math.log(classes);
          out.recon[start + i] = perClass[best]!.recon[i]!;
          out.kl[start + i] = perClass[best]!.kl[i]!;
        }
      }
    } finally {
      x.dispose();
    }
  }
  return out;
}

const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;

/**
 * −ELBO, its terms and the importance-sampled NLL of a VAE, averaged over `data` (labels used by a conditional
 * model; the dataset's own batch transform, e.g. dynamic binarisation, is applied with a seeded generator).
 */
export async function evaluateLikelihood(model: VAE, data: Dataset, options: LikelihoodOptions = {}): Promise<LikelihoodReport> {
  const o = resolve(options);
  if (data.shape.join() !== model.dataShape.join()) {
    throw badInput(data.name, `examples of shape [${data.shape.join(', ')}], the model expects [${model.dataShape.join(', ')}]`);
  }
  if (data.count === 0) throw badInput(data.name, 'no examples to evaluate');
  const labels = model.config.conditional && data.labels?.kind === 'class' ? data.labels.values : undefined;
  if (model.config.conditional && !labels) throw badInput(data.name, 'a conditional model needs class labels');
  const est = await perExampleLikelihood(model, data.data, data.count, {
    ...o,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(labels ? { labels } : {}),
    ...(data.batchTransform ? { transform: data.batchTransform } : {}),
  });
  const nll = -mean(est.logPx);
  const spread = Math.sqrt(est.logPx.reduce((s, v) => s + (v + nll) ** 2, 0) / Math.max(1, data.count - 1));
  const recon = mean(est.recon);
  const kl = mean(est.kl);
  const negElbo = recon + kl;
  const nllStdErr = spread / Math.sqrt(data.count);
  return { negElbo, recon, kl, nll, nllStdErr, bitsPerDim: nll / (exampleSize(model.dataShape) * Math.LN2), k: o.k, gap: negElbo - nll, count: data.count };
}

/**
 * log p(x) estimates of `images` ([n, ...model.dataShape] as a tensor, or row-major values): the lecture's "is this
 * a Pokémon?" — images like the training data score high, others low. A conditional model marginalises the label.
 */
export async function scoreImages(model: VAE, images: tf.Tensor | Float32Array, options: LikelihoodOptions & { labels?: Int32Array } = {}): Promise<Float64Array> {
  const size = exampleSize(model.dataShape);
  const data = images instanceof Float32Array ? images : ((await images.data()) as Float32Array);
  if (!(images instanceof Float32Array) && images.shape.slice(1).join() !== model.dataShape.join()) {
    throw badInput('scoreImages', `expected images [n, ${model.dataShape.join(', ')}], got [${images.shape.join(', ')}]`);
  }
  if (data.length % size !== 0) throw badInput('scoreImages', `${data.length} values is not a whole number of images of [${model.dataShape.join(', ')}]`);
  return (await perExampleLikelihood(model, data, data.length / size, options)).logPx;
}

/**
 * Images of shape `from` converted to shape `to` ([height, width, channels] each): resampled by area averaging, grey
 * ↔ RGB by luma / replication (an alpha channel is dropped). For scoring other images with a model.
 */
export function conformImages(data: Float32Array, count: number, from: readonly number[], to: readonly number[]): Float32Array {
  if (from.length !== 3 || to.length !== 3) throw badInput('images', `expected [height, width, channels] shapes, got [${from.join(', ')}] → [${to.join(', ')}]`);
  const [h, w, c] = from as [number, number, number];
  const [th, tw, tc] = to as [number, number, number];
  if (![1, 3, 4].includes(c) || ![1, 3].includes(tc)) throw badInput('images', `cannot convert ${c} channels to ${tc}`);
  const size = h * w * c;
  if (data.length !== count * size) throw badInput('images', `${data.length} values for ${count} images of [${from.join(', ')}]`);
  if (h === th && w === tw && c === tc) return data.slice();
  const outSize = th * tw * tc;
  const out = new Float32Array(count * outSize);
  for (let i = 0; i < count; i++) {
    let img: FloatImage = { width: w, height: h, channels: c, data: data.subarray(i * size, (i + 1) * size) };
    if (c === 4) img = dropAlpha(img);
    if (img.width !== tw || img.height !== th) img = resizeArea(img, tw, th);
    if (tc === 1) img = toGray(img);
    const o = out.subarray(i * outSize, (i + 1) * outSize);
    if (img.channels === tc) o.set(img.data);
    else for (let p = 0; p < th * tw; p++) o.fill(img.data[p]!, p * 3, p * 3 + 3); // grey → RGB
  }
  return out;
}

function dropAlpha(img: FloatImage): FloatImage {
  const n = img.width * img.height;
  const data = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) for (let k = 0; k < 3; k++) data[p * 3 + k] = img.data[p * 4 + k]!;
  return { ...img, channels: 3, data };
}
