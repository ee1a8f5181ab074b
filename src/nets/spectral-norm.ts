/**
 * Spectral normalisation (Miyato et al. 2018, "Spectral Normalization for Generative Adversarial Networks", §2.1–2.2
 * and Appendix A, Algorithm 1): every kernel W of a network is used as W̄ = W / σ(W), σ(W) its largest singular value,
 * so each dense layer is 1-Lipschitz (a conv layer about so: the reshaped kernel's norm is the paper's stand-in for
 * the convolution's) and, with 1-Lipschitz activations, so is the network.
 *
 * σ(W) is estimated by power iteration on the kernel as a matrix M = reshape(W, [−1, out]) — a dense kernel
 * [in, out] as it is, a conv kernel [kh, kw, in, out] as [kh·kw·in, out] (the paper's and PyTorch's reshape, up to a
 * permutation of rows, which leaves singular values alone) — with a persistent u ∈ R^out and v ∈ R^(kh·kw·in):
 *
 *   one iteration (no gradient):  v ← M u / ‖M u‖,  u ← Mᵀ v / ‖Mᵀ v‖
 *   every use:                    σ = vᵀ M u,  W̄ = W / σ       (u, v constants: ∇_M σ = v uᵀ, Miyato et al. §2.3)
 *
 * as `torch.nn.utils.parametrizations.spectral_norm` does (15 iterations when it is set up, then one per training
 * forward; here one per discriminator update, the model's choice). The gradient reaches W through both the division
 * and σ. The networks stay stock layers models: `apply(f)` runs `f` with each kernel's `read()` answering W̄, which is
 * what tfjs-layers' Dense and Conv2D (and genlab's faster classes) multiply by; the variables keep the raw W, which
 * the optimiser updates and `save` writes. u and v are the normaliser's own state, saved beside the networks by the
 * model that owns them, so a loaded network computes the same σ, bit for bit.
 *
 * Plain tfjs-core ops only: the same on every backend (native, wasm, cpu, and the browser's).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { badInput } from '../engine/errors.js';
import type { Rng } from '../engine/rng.js';
import { randomNormal } from '../engine/kernels/random.js';

/** Power iterations when the normaliser is set up (torch.nn.utils.parametrizations.spectral_norm's 15). */
export const SPECTRAL_NORM_INIT_ITERATIONS = 15;
/** Floor of the norms divided by (PyTorch's F.normalize eps). */
const EPS = 1e-12;

/** The part of tfjs-layers' LayerVariable this reads and overrides. */
type KernelVariable = tfl.LayerVariable;

/** The layer classes whose `kernel` is normalised: [in, out] or [kh, kw, in, out]. */
const NORMALISED_LAYERS = new Set(['Dense', 'Conv2D']);

/** The kernels of `nets` that spectral normalisation divides: every Dense and Conv2D kernel, in layer order. */
export function spectralNormKernels(nets: readonly (tfl.LayersModel | null)[]): KernelVariable[] {
  const out: KernelVariable[] = [];
  for (const net of nets) {
    if (!net) continue;
    for (const layer of net.layers) {
      const kernel = (layer as unknown as { kernel?: KernelVariable }).kernel;
      if (NORMALISED_LAYERS.has(layer.getClassName()) && kernel) out.push(kernel);
    }
  }
  return out;
}

/** A kernel as the matrix whose σ is taken: [rows, out]. */
function asMatrix(w: tf.Tensor): tf.Tensor2D {
  return tf.reshape(w, [-1, w.shape[w.rank - 1]!]);
}

/** A kernel's matrix size: [rows, out] (rows = the product of every dimension but the last). */
function matrixSize(k: KernelVariable): [number, number] {
  const shape = k.shape as number[];
  return [shape.slice(0, -1).reduce((a, b) => a * b, 1), shape[shape.length - 1]!];
}

/** The name of a kernel's u or v variable: the kernel's own (unique) name + `/sn_u` or `/sn_v`, for messages. */
function vectorName(k: KernelVariable, which: 'u' | 'v'): string {
  return `${k.name}/sn_${which}`;
}

/** x / max(‖x‖, ε). */
function normalise(x: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.maximum(tf.norm(x), EPS));
}

/** Spectral normalisation of a set of kernels: their power-iteration vectors and how to use W/σ(W) (module comment). */
export class SpectralNorm {
  private constructor(
    readonly kernels: readonly KernelVariable[],
    /** u_i ∈ R^out of kernel i. */
    readonly u: readonly tf.Variable[],
    /** v_i ∈ R^rows of kernel i. */
    readonly v: readonly tf.Variable[],
  ) {}

  /**
   * The normaliser of every kernel of `nets` (`spectralNormKernels`), u drawn from N(0, I) with seeds from `rng` and
   * normalised, then `iterations` power iterations (v follows from u in the first).
   */
  static create(nets: readonly (tfl.LayersModel | null)[], rng: Rng, iterations = SPECTRAL_NORM_INIT_ITERATIONS): SpectralNorm {
    const kernels = spectralNormKernels(nets);
    const u = kernels.map((k) => tf.tidy(() => tf.variable(normalise(randomNormal([matrixSize(k)[1]], rng.tfSeed())), false, vectorName(k, 'u'))));
    const v = kernels.map((k) => tf.tidy(() => tf.variable(tf.zeros([matrixSize(k)[0]]), false, vectorName(k, 'v'))));
    const sn = new SpectralNorm(kernels, u, v);
    sn.powerIteration(Math.max(1, iterations));
    return sn;
  }

  /** The normaliser of `nets` with saved vectors (copied; the caller keeps its tensors). Shapes are checked. */
  static restore(nets: readonly (tfl.LayersModel | null)[], saved: { u: readonly tf.Tensor[]; v: readonly tf.Tensor[] }, where: string): SpectralNorm {
    const kernels = spectralNormKernels(nets);
    if (saved.u.length !== kernels.length || saved.v.length !== kernels.length) {
      throw badInput(where, `${saved.u.length} u and ${saved.v.length} v vectors saved, the networks have ${kernels.length} kernels`);
    }
    kernels.forEach((k, i) => {
      const [rows, out] = matrixSize(k);
      if (saved.u[i]!.shape.join() !== `${out}` || saved.v[i]!.shape.join() !== `${rows}`) {
        throw badInput(where, `vectors of kernel ${i + 1} are [${saved.u[i]!.shape}] and [${saved.v[i]!.shape}], its matrix is ${rows} × ${out}`);
      }
    });
    return new SpectralNorm(
      kernels,
      saved.u.map((t, i) => tf.variable(t, false, vectorName(kernels[i]!, 'u'))),
      saved.v.map((t, i) => tf.variable(t, false, vectorName(kernels[i]!, 'v'))),
    );
  }

  /** `times` power iterations on every kernel's current W, updating u and v (no gradient flows through them). */
  powerIteration(times = 1): void {
    tf.tidy(() => {
      this.kernels.forEach((k, i) => {
        const m = asMatrix(k.read());
        let u: tf.Tensor = this.u[i]!;
        let v: tf.Tensor = this.v[i]!;
        for (let t = 0; t < times; t++) {
          v = normalise(tf.squeeze(tf.matMul(m, tf.reshape(u, [-1, 1])), [1])); // M u / ‖M u‖
          u = normalise(tf.squeeze(tf.matMul(m, tf.reshape(v, [-1, 1]), true), [1])); // Mᵀ v / ‖Mᵀ v‖
        }
        this.v[i]!.assign(v);
        this.u[i]!.assign(u);
      });
    });
  }

  /** σ_i = v_iᵀ M_i u_i of every kernel with the current vectors, differentiable in W (u, v constants). */
  sigmas(): tf.Scalar[] {
    return this.kernels.map((k, i) =>
      tf.tidy(() => tf.sum(tf.mul(this.v[i]!, tf.squeeze(tf.matMul(asMatrix(k.read()), tf.reshape(this.u[i]!, [-1, 1])), [1]))) as tf.Scalar),
    );
  }

  /** W_i / σ_i of every kernel (the caller owns them; call inside tf.tidy or dispose them). */
  normalisedKernels(): tf.Tensor[] {
    const sigmas = this.sigmas();
    const out = this.kernels.map((k, i) => tf.div(k.read(), sigmas[i]!));
    tf.dispose(sigmas);
    return out;
  }

  /**
   * Runs `f` with every kernel read as W/σ(W): the networks' layers multiply by the normalised kernels, the gradient
   * reaches the raw W through them. Call inside tf.tidy (the normalised kernels live in the caller's scope).
   */
  apply<T>(f: () => T): T {
    const normalised = this.normalisedKernels();
    const previous = this.kernels.map((k) => Object.getOwnPropertyDescriptor(k, 'read'));
    this.kernels.forEach((k, i) => {
      const w = normalised[i]!;
      Object.defineProperty(k, 'read', { value: () => w, configurable: true, writable: true, enumerable: false });
    });
    try {
      return f();
    } finally {
      this.kernels.forEach((k, i) => {
        const p = previous[i];
        if (p) Object.defineProperty(k, 'read', p);
        else delete (k as unknown as { read?: unknown }).read;
      });
    }
  }

  /** The vectors (the variables themselves, not copies), in kernel order: for saving. */
  vectors(): { u: readonly tf.Variable[]; v: readonly tf.Variable[] } {
    return { u: this.u, v: this.v };
  }

  dispose(): void {
    tf.dispose([...this.u, ...this.v]);
  }
}
