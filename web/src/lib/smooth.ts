/**
 * TensorBoard's smoothing: an exponential moving average, debiased so the first values are not pulled towards 0
 * (the running average is divided by 1 − weightⁿ). `weight` in [0, 1): 0 returns the values as they are. Non-finite
 * values stay where they are and do not enter the average.
 */
export function smooth(values: readonly number[], weight: number): number[] {
  if (!(weight > 0)) return [...values];
  let avg = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    avg = avg * weight + (1 - weight) * v;
    n += 1;
    return avg / (1 - weight ** n);
  });
}
