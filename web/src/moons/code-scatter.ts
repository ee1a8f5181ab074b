/**
 * A model's 2-D codes of training moons, coloured by phase (viridis, 0° full to 160° crescent), with the straight
 * path between the full and the half moon's codes and the slider's point on it.
 */
import { LECTURE } from '../lib/colors.js';
import { boundsOf, Plane } from '../lib/plane.js';

/** Phases of the training moons, in degrees. */
export const PHASE_RANGE: readonly [number, number] = [0, 160];

/** Viridis, sampled at five stops: dark for the full moon, yellow for the thin crescent. */
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** The colour of a moon of phase `deg`. */
export function phaseColor(deg: number): string {
  const u = Math.min(1, Math.max(0, (deg - PHASE_RANGE[0]) / (PHASE_RANGE[1] - PHASE_RANGE[0]))) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(u));
  const f = u - i;
  const [a, b] = [VIRIDIS[i]!, VIRIDIS[i + 1]!];
  return `rgb(${a.map((v, k) => Math.round(v + f * (b[k]! - v))).join(', ')})`;
}

/** The colour scale as a CSS gradient, for the legend. */
export const phaseGradient = (): string => `linear-gradient(to right, ${VIRIDIS.map((c) => `rgb(${c.join(', ')})`).join(', ')})`;

export interface ScatterView {
  /** Codes of the training moons: [n × 2]. */
  codes: Float32Array;
  /** Their phases in degrees. */
  phases: ArrayLike<number>;
  /** Codes of the full and the half moon: [x0, y0, x1, y1]. */
  ends: Float32Array;
  /** The slider's point on the path. */
  at: [number, number];
}

export function drawCodeScatter(plane: Plane, view: ScatterView): void {
  const { codes, phases, ends, at } = view;
  const n = codes.length / 2;
  const all = new Float32Array(codes.length + 4);
  all.set(codes);
  all.set(ends, codes.length);
  plane.bounds = boundsOf(all, n + 2, 0.06);
  plane.begin();
  plane.grid();
  const { ctx } = plane;
  // Codes in phase order, so the crescents do not hide under the full moons drawn last.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => phases[a]! - phases[b]!);
  ctx.globalAlpha = 0.75;
  for (const i of order) {
    ctx.fillStyle = phaseColor(phases[i]!);
    ctx.beginPath();
    ctx.arc(plane.px(codes[2 * i]!), plane.py(codes[2 * i + 1]!), 2.2, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.globalAlpha = 1;

  const [x0, y0, x1, y1] = [plane.px(ends[0]!), plane.py(ends[1]!), plane.px(ends[2]!), plane.py(ends[3]!)];
  ctx.strokeStyle = LECTURE.red;
  ctx.lineWidth = 2.5;
  ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
  ctx.font = '600 12px system-ui, sans-serif';
  ctx.textBaseline = 'bottom';
  for (const [x, y, label, phase] of [[x0, y0, 'full', 0], [x1, y1, 'half', 90]] as const) {
    ctx.fillStyle = phaseColor(phase);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(x, y, 6, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
    ctx.fillStyle = LECTURE.ink;
    ctx.textAlign = x > plane.width - 40 ? 'right' : 'left';
    ctx.fillText(label, x + (ctx.textAlign === 'right' ? -9 : 9), y - 5);
  }
  ctx.fillStyle = '#fff';
  ctx.strokeStyle = LECTURE.red;
  ctx.lineWidth = 3;
  ctx.beginPath(); ctx.arc(plane.px(at[0]), plane.py(at[1]), 6.5, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
}
