/**
 * The code plane: the test digits' codes (posterior means) coloured by label over the prior N(0, I)'s 1, 2, 3 σ
 * circles, the region the manifold mosaic covers, a fitted GMM's ellipses, the decoded code's crosshair and the drawn
 * digit's code.
 */
import { componentRgb, LECTURE, rgb } from '../lib/colors.js';
import type { Plane } from '../lib/plane.js';

export interface MixtureView {
  weights: readonly number[];
  means: readonly (readonly number[])[];
  covariances: readonly (readonly (readonly number[])[])[];
}

export interface PlaneScene {
  /** [count·2] codes and their digit labels. */
  codes: Float32Array;
  labels: Int32Array | null;
  count: number;
  /** Half the side of the square the manifold's grid spans (its outer cells' centres). */
  gridExtent: number;
  mixture: MixtureView | null;
  crosshair: [number, number] | null;
  drawn: [number, number] | null;
}

const IDENTITY = [
  [1, 0],
  [0, 1],
];

/** Square bounds around the prior's 3σ circle and (most of) the codes, at most ±6. */
export function planeHalfWidth(codes: Float32Array, count: number): number {
  let r = 3.4;
  for (let i = 0; i < 2 * count; i++) r = Math.max(r, Math.min(6, Math.abs(codes[i]!) * 1.05));
  return r;
}

export function drawCodePlane(plane: Plane, scene: PlaneScene): void {
  const { ctx } = plane;
  plane.begin();
  plane.grid();

  // The prior's contours, in green: the GMM's ellipses are drawn in ink.
  ctx.strokeStyle = LECTURE.green;
  ctx.fillStyle = LECTURE.green;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'bottom';
  for (const s of [1, 2, 3]) {
    ctx.lineWidth = 1.5;
    ctx.setLineDash(s === 1 ? [] : [6, 4]);
    plane.ellipsePath([0, 0], IDENTITY, s);
    ctx.stroke();
    const a = Math.PI / 4;
    ctx.fillText(`${s}σ`, plane.px(s * Math.cos(a)) + 3, plane.py(s * Math.sin(a)) - 1);
  }
  ctx.setLineDash([]);

  // The manifold's region.
  const g = scene.gridExtent;
  ctx.strokeStyle = 'rgba(29, 35, 48, 0.35)';
  ctx.setLineDash([2, 4]);
  ctx.strokeRect(plane.px(-g), plane.py(g), plane.px(g) - plane.px(-g), plane.py(-g) - plane.py(g));
  ctx.setLineDash([]);

  // The codes, in a shuffled order already (the test subset is random), so no digit hides the others.
  for (let i = 0; i < scene.count; i++) {
    const label = scene.labels ? scene.labels[i]! : 0;
    ctx.fillStyle = rgb(componentRgb(label), 0.7);
    ctx.fillRect(plane.px(scene.codes[2 * i]!) - 1.5, plane.py(scene.codes[2 * i + 1]!) - 1.5, 3, 3);
  }

  if (scene.mixture) drawMixture(plane, scene.mixture);
  if (scene.crosshair) drawCrosshair(plane, scene.crosshair);
  if (scene.drawn) drawStar(plane, scene.drawn);
}

function drawMixture(plane: Plane, m: MixtureView): void {
  const { ctx } = plane;
  const maxWeight = Math.max(...m.weights);
  for (let k = 0; k < m.means.length; k++) {
    const w = 0.6 + (2.2 * m.weights[k]!) / maxWeight;
    for (const s of [1, 2]) {
      ctx.lineWidth = s === 1 ? w : 1;
      ctx.strokeStyle = 'rgba(29, 35, 48, 0.85)';
      ctx.setLineDash(s === 1 ? [] : [4, 3]);
      plane.ellipsePath(m.means[k]!, m.covariances[k]!, s);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.fillStyle = LECTURE.ink;
    ctx.beginPath();
    ctx.arc(plane.px(m.means[k]![0]!), plane.py(m.means[k]![1]!), 2.5, 0, 2 * Math.PI);
    ctx.fill();
  }
}

function drawCrosshair(plane: Plane, [x, y]: [number, number]): void {
  const { ctx } = plane;
  const px = plane.px(x), py = plane.py(y);
  ctx.strokeStyle = LECTURE.red;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(px, 0); ctx.lineTo(px, plane.height);
  ctx.moveTo(0, py); ctx.lineTo(plane.width, py);
  ctx.stroke();
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.arc(px, py, 6, 0, 2 * Math.PI);
  ctx.stroke();
}

/** The drawn digit's code: a star, so it stands out from the crosshair and the codes. */
function drawStar(plane: Plane, [x, y]: [number, number]): void {
  const { ctx } = plane;
  const cx = plane.px(x), cy = plane.py(y);
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const r = i % 2 === 0 ? 11 : 4.5;
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    ctx.lineTo(cx + r * Math.cos(a), cy + r * Math.sin(a));
  }
  ctx.closePath();
  ctx.fillStyle = '#ffd400';
  ctx.strokeStyle = LECTURE.ink;
  ctx.lineWidth = 1.5;
  ctx.fill();
  ctx.stroke();
}
