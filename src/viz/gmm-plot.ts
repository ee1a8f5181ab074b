/**
 * A fitted Gaussian mixture over its data, as a Vega-Lite chart: the points (2-D, or two chosen dims) coloured by
 * their most probable component, each component's 1σ and 2σ ellipses and its mean, with the weights in the legend.
 * The ellipses are those of each component's marginal on the two plotted dims (the 2 × 2 block of its covariance),
 * at r = 1 and 2 σ (math/gaussian.ts `covarianceEllipse`: semi-axes r·√λ along the eigenvectors).
 */
import { badInput } from '../engine/errors.js';
import { covarianceEllipse } from '../math/gaussian.js';
import { writeChart, type TopLevelSpec } from './render.js';

/** What the chart needs of a mixture (GaussianMixture provides it: weights, means, covarianceMatrix). */
export interface MixtureSummary {
  /** [K] */
  weights: readonly number[];
  /** [K][D] */
  means: readonly (readonly number[])[];
  /** Component k's full [D][D] covariance. */
  covarianceMatrix(k: number): number[][];
}

export interface MixturePlotOptions {
  title?: string;
  /** [N] component of each point (e.g. gmm.predict(points)), shown as colour. */
  labels?: ArrayLike<number>;
  /** Which two dims to plot. Default [0, 1]. */
  axes?: readonly [number, number];
  /** Chart size in px (before PNG zoom). Default 420. */
  size?: number;
  /** Most points to draw (an even subsample beyond this). Default 5000. */
  maxPoints?: number;
  /** Segments per ellipse. Default 72. */
  segments?: number;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Points of the r-σ ellipse of N(mean, cov) for a 2 × 2 covariance, closed (first = last). */
export function ellipsePoints(
  mean: readonly [number, number],
  cov: readonly (readonly number[])[],
  r: number,
  segments: number,
): [number, number][] {
  const { semiMajor: a, semiMinor: b, angle } = covarianceEllipse(cov, r);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const out: [number, number][] = [];
  for (let i = 0; i <= segments; i++) {
    const t = (2 * Math.PI * i) / segments;
    const u = a * Math.cos(t);
    const v = b * Math.sin(t);
    out.push([mean[0] + c * u - s * v, mean[1] + s * u + c * v]);
  }
  return out;
}

/** The chart of `points` (row-major, `dims` columns, dims ≥ 2) and the mixture's components. */
export function mixtureChartSpec(points: ArrayLike<number>, dims: number, mixture: MixtureSummary, options: MixturePlotOptions = {}): TopLevelSpec {
  if (!(dims >= 2)) throw badInput('plot', `needs points with at least 2 dims, got ${dims}`);
  if (points.length % dims !== 0) throw badInput('plot', `${points.length} values do not form rows of ${dims} dims`);
  const [ax, ay] = options.axes ?? [0, 1];
  if (ax >= dims || ay >= dims || ax === ay) throw badInput('plot', `axes [${ax}, ${ay}] must be two different dims below ${dims}`);
  const k = mixture.weights.length;
  const names = mixture.weights.map((w, j) => `${j}: w = ${w.toFixed(3)}`);
  const n = points.length / dims;
  const step = Math.max(1, Math.ceil(n / (options.maxPoints ?? 5000)));
  const pointRows: Record<string, number | string>[] = [];
  for (let i = 0; i < n; i += step) {
    const row: Record<string, number | string> = { x: points[i * dims + ax]!, y: points[i * dims + ay]! };
    if (options.labels) row['component'] = names[options.labels[i]!] ?? String(options.labels[i]);
    pointRows.push(row);
  }
  const ellipseRows: Record<string, number | string>[] = [];
  const meanRows: Record<string, number | string>[] = [];
  for (let j = 0; j < k; j++) {
    const mean = mixture.means[j]!;
    const cov = mixture.covarianceMatrix(j);
    const m: [number, number] = [mean[ax]!, mean[ay]!];
    const block = [[cov[ax]![ax]!, cov[ax]![ay]!], [cov[ay]![ax]!, cov[ay]![ay]!]];
    meanRows.push({ x: m[0], y: m[1], component: names[j]! });
    for (const r of [1, 2]) {
      ellipsePoints(m, block, r, options.segments ?? 72).forEach(([x, y], order) =>
        ellipseRows.push({ x, y, order, component: names[j]!, ellipse: `${j}-${r}`, sigma: `${r}σ` }),
      );
    }
  }
  const size = options.size ?? 420;
  const color = { field: 'component', type: 'nominal', sort: names, scale: { domain: names }, title: 'component (weight)' };
  const xy = {
    x: { field: 'x', type: 'quantitative', title: `x${ax}`, scale: { zero: false } },
    y: { field: 'y', type: 'quantitative', title: `x${ay}`, scale: { zero: false } },
  };
  return {
    $schema: SCHEMA,
    width: size,
    height: size,
    ...(options.title ? { title: options.title } : {}),
    layer: [
      {
        data: { values: pointRows },
        mark: { type: 'circle', size: 8, opacity: 0.45 },
        encoding: { ...xy, ...(options.labels ? { color } : { color: { value: '#888' } }) },
      },
      {
        data: { values: ellipseRows },
        mark: { type: 'line', strokeWidth: 1.6 },
        encoding: {
          ...xy,
          order: { field: 'order', type: 'quantitative' },
          detail: { field: 'ellipse', type: 'nominal' },
          color,
          strokeDash: { field: 'sigma', type: 'nominal', scale: { domain: ['1σ', '2σ'], range: [[1, 0], [5, 3]] }, title: 'ellipse' },
        },
      },
      {
        data: { values: meanRows },
        mark: { type: 'point', shape: 'cross', size: 60, filled: true, strokeWidth: 0.8, stroke: 'black' },
        encoding: { ...xy, color },
      },
    ],
  } as TopLevelSpec;
}

/** Writes the mixture chart to a .png or .svg file. */
export async function writeMixturePlot(
  file: string,
  points: ArrayLike<number>,
  dims: number,
  mixture: MixtureSummary,
  options: MixturePlotOptions = {},
): Promise<void> {
  await writeChart(mixtureChartSpec(points, dims, mixture, options), file);
}
