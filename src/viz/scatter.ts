/** Scatter plots of points (2-D, or the first two dims) and histograms of 1-D data, as Vega-Lite specs. */
import { badInput } from '../engine/errors.js';
import { writeChart, type TopLevelSpec } from './render.js';

export interface PointsPlotOptions {
  title?: string;
  /** A label per point (class or mode index), shown as colour. */
  labels?: ArrayLike<number | string>;
  /** Name of the colour legend. Default 'label'. */
  labelName?: string;
  /** Chart size in px (before PNG zoom). Default 360. */
  size?: number;
  /** Which two dims to plot. Default [0, 1]. */
  axes?: readonly [number, number];
  /** Most points to draw (an even subsample is taken beyond this, so charts stay light). Default 5000. */
  maxPoints?: number;
  /** Centres of the data's modes (a toy set's), drawn as black rings around the points (1-D: vertical rules). */
  modes?: readonly (readonly number[])[];
  /** Legend entry of the mode marks. Default 'mode centre'. */
  modesLabel?: string;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/**
 * A scatter plot of `points` (row-major, `dims` columns) for 2+ dims, a histogram for 1-D data.
 */
export function pointsChartSpec(points: ArrayLike<number>, dims: number, options: PointsPlotOptions = {}): TopLevelSpec {
  if (!(dims >= 1) || points.length % dims !== 0) throw badInput('scatter plot', `${points.length} values do not form rows of ${dims} dims`);
  const n = points.length / dims;
  const [ax, ay] = options.axes ?? [0, 1];
  if (dims > 1 && (ax >= dims || ay >= dims)) throw badInput('scatter plot', `axes [${ax}, ${ay}] outside ${dims} dims`);
  const step = Math.max(1, Math.ceil(n / (options.maxPoints ?? 5000)));
  const labelName = options.labelName ?? 'label';
  const values: Record<string, number | string>[] = [];
  for (let i = 0; i < n; i += step) {
    const row: Record<string, number | string> = { x: points[i * dims + ax]! };
    if (dims > 1) row['y'] = points[i * dims + ay]!;
    if (options.labels) row[labelName] = String(options.labels[i]);
    values.push(row);
  }
  const size = options.size ?? 360;
  const base = { $schema: SCHEMA, width: size, height: size, data: { values }, ...(options.title ? { title: options.title } : {}) };
  const distinct = new Set(values.map((v) => v[labelName])).size;
  // Many modes (grid25) make a legend longer than the chart: colours alone still show the structure.
  const color = options.labels ? { color: { field: labelName, type: 'nominal' as const, sort: 'ascending' as const, ...(distinct > 12 ? { legend: null } : {}) } } : {};
  const modes = (options.modes ?? []).map((c) => ({ x: c[dims > 1 ? ax : 0]!, ...(dims > 1 ? { y: c[ay]! } : {}), mark: options.modesLabel ?? 'mode centre' }));
  const modeLegend = { field: 'mark', type: 'nominal' as const, title: null, scale: { range: ['black'] } };
  if (dims === 1) {
    const bars = {
      mark: { type: 'bar', opacity: 0.7 },
      encoding: {
        x: { field: 'x', type: 'quantitative', bin: { maxbins: 80 }, title: 'x' },
        y: { aggregate: 'count', type: 'quantitative', stack: options.labels ? 'zero' : null },
        ...color,
      },
    };
    if (modes.length === 0) return { ...base, height: size / 2, ...bars } as TopLevelSpec;
    const { data, ...frame } = base;
    const rules = { data: { values: modes }, mark: { type: 'rule', strokeDash: [4, 3] }, encoding: { x: { field: 'x', type: 'quantitative' }, stroke: modeLegend } };
    return { ...frame, height: size / 2, layer: [{ data, ...bars }, rules], resolve: { scale: { color: 'independent' } } } as TopLevelSpec;
  }
  const dots = {
    mark: { type: 'circle', size: 8, opacity: 0.6 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: `x${ax}`, scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', title: `x${ay}`, scale: { zero: false } },
      ...color,
    },
  };
  if (modes.length === 0) return { ...base, ...dots } as TopLevelSpec;
  const { data, ...frame } = base;
  // Open rings, so that the real points at a mode's centre stay visible inside them.
  const rings = {
    data: { values: modes },
    mark: { type: 'point', shape: 'circle', size: 160, filled: false, strokeWidth: 1.5, opacity: 1 },
    encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, stroke: modeLegend },
  };
  return { ...frame, layer: [{ data, ...dots }, rings], resolve: { scale: { color: 'independent' } } } as TopLevelSpec;
}

/** Writes a scatter plot (or 1-D histogram) of points to a .png or .svg file. */
export async function writePointsPlot(file: string, points: ArrayLike<number>, dims: number, options: PointsPlotOptions = {}): Promise<void> {
  await writeChart(pointsChartSpec(points, dims, options), file);
}
