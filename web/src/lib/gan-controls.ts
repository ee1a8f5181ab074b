/** Controls the GAN pages share: learning rates on a log10 slider. */

/** The learning rate a log10 range input stands for (value −2.7 → 2.0e−3). */
export function learningRate(input: HTMLInputElement): number {
  return Number((10 ** Number(input.value)).toPrecision(2));
}

/** A learning rate for a readout: 2e−3, 1e−4 … */
export function showRate(v: number): string {
  const [m, e] = v.toExponential(1).split('e');
  return `${m!.replace(/\.0$/, '')}e${e!.replace('+', '')}`.replace('-', '−');
}
