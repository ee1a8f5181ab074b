/**
 * Seeded randomness. Every random draw in genlab goes through an `Rng`, so the same seed gives the same result.
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, PractRand-clean, 128-bit state),
 * seeded through splitmix32 so that nearby seeds give unrelated streams.
 */

/** Complete state of an Rng: enough to resume a stream exactly (saved in checkpoints). */
export interface RngState {
  s: [number, number, number, number];
  /** Second value of the last Box–Muller pair, if unused. */
  spareNormal: number | null;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  /**
   * sfc32's four words as int32 in a typed array: the arithmetic is int32 anyway, and plain fields holding values
   * beyond V8's small integers are boxed numbers (a draw cost ≈ 3× more that way).
   */
  private readonly s = new Int32Array(4);
  private spareNormal: number | null = null;

  /** `seed` is any integer (taken modulo 2^32). */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`Rng: seed must be a finite number, got ${seed}`);
    const next = splitmix32(Math.floor(seed));
    for (let i = 0; i < 4; i++) this.s[i] = next();
    for (let i = 0; i < 12; i++) this.nextUint32(); // mix the state before the first draw
  }

  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }

  getState(): RngState {
    return { s: Array.from(this.s, (v) => v >>> 0) as [number, number, number, number], spareNormal: this.spareNormal };
  }

  setState(state: RngState): void {
    this.s.set(state.s.map((v) => v >>> 0)); // stored as int32: the same bits
    this.spareNormal = state.spareNormal;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const a = s[0]!, b = s[1]!, c = s[2]!, d = s[3]!;
    const t = (((a + b) | 0) + d) | 0;
    s[3] = (d + 1) | 0;
    s[0] = b ^ (b >>> 9);
    s[1] = (c + (c << 3)) | 0;
    s[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Index drawn with probabilities proportional to `weights` (non-negative, positive sum). */
  weightedIndex(weights: readonly number[]): number {
    let u = this.uniform() * weights.reduce((a, b) => a + b, 0);
    for (let k = 0; k < weights.length - 1; k++) {
      u -= weights[k]!;
      if (u < 0) return k;
    }
    return weights.length - 1;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1)) throw new RangeError(`Rng.int: n must be >= 1, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal draw (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fills `out` with standard normal draws and returns it. */
  normals<T extends Float32Array | Float64Array>(out: T): T {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** An integer seed for TF.js random ops and initialisers (which take a number seed), drawn from this stream. */
  tfSeed(): number {
    return this.nextUint32() % 2147483647;
  }

  /** An independent child generator, e.g. one per data loader, so that adding draws elsewhere changes nothing here. */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }
}
