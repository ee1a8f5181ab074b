/** Home: one card per figure (from pages.ts) with the lecture's explanation, and the latest runs of the runs board. */
import { listRuns, runPage, type RunsList } from './board/api.js';
import { statusBadge } from './board/status.js';
import { h } from './lib/dom.js';
import { COMPONENT_RGB, LECTURE, rgb } from './lib/colors.js';
import { PAGES } from './lib/pages.js';
import { markReady, mountHeader } from './lib/shell.js';

/** A small illustration per figure, drawn once. */
const THUMBS: Record<string, (ctx: CanvasRenderingContext2D, s: number) => void> = {
  'gmm.html': (ctx, s) => {
    const blobs = [
      [0.32, 0.38, 0.16, 0.08, 0.6],
      [0.68, 0.34, 0.1, 0.14, -0.3],
      [0.5, 0.72, 0.2, 0.07, 0.1],
    ] as const;
    let seed = 7;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    blobs.forEach(([x, y, a, b, t], k) => {
      const c = COMPONENT_RGB[k]!;
      for (let i = 0; i < 26; i++) {
        const u = Math.sqrt(-2 * Math.log(rand() + 1e-9)) * Math.cos(2 * Math.PI * rand()) * 0.5;
        const v = Math.sqrt(-2 * Math.log(rand() + 1e-9)) * Math.cos(2 * Math.PI * rand()) * 0.5;
        const px = x + u * a * Math.cos(t) - v * b * Math.sin(t);
        const py = y + u * a * Math.sin(t) + v * b * Math.cos(t);
        ctx.fillStyle = rgb(c, 0.75);
        ctx.beginPath(); ctx.arc(px * s, py * s, 2, 0, 2 * Math.PI); ctx.fill();
      }
      ctx.strokeStyle = rgb(c);
      ctx.lineWidth = 2;
      ctx.beginPath(); ctx.ellipse(x * s, y * s, a * s, b * s, t, 0, 2 * Math.PI); ctx.stroke();
    });
  },
  'kl.html': (ctx, s) => {
    const X = (v: number): number => ((v + 2.2) / 4.4) * s;
    const Y = (v: number): number => s - ((v + 1.3) / 6.3) * s;
    const curve = (f: (x: number) => number, color: string): void => {
      ctx.strokeStyle = color;
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      for (let i = 0; i <= 60; i++) {
        const x = -2.2 + (4.4 * i) / 60;
        if (i) ctx.lineTo(X(x), Y(f(x))); else ctx.moveTo(X(x), Y(f(x)));
      }
      ctx.stroke();
    };
    curve(Math.exp, LECTURE.blue);
    curve((x) => 1 + x, LECTURE.red);
    curve((x) => Math.exp(x) - 1 - x, LECTURE.green);
    ctx.fillStyle = LECTURE.green;
    ctx.beginPath(); ctx.arc(X(0), Y(0), 4, 0, 2 * Math.PI); ctx.fill();
  },
  'gan1d.html': (ctx, s) => {
    const X = (v: number): number => ((v + 4) / 8) * s;
    const Y = (v: number): number => s * 0.88 - v * s * 0.7;
    const line = (f: (x: number) => number, color: string, width: number): void => {
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.beginPath();
      for (let i = 0; i <= 80; i++) {
        const x = -4 + (8 * i) / 80;
        if (i) ctx.lineTo(X(x), Y(f(x))); else ctx.moveTo(X(x), Y(f(x)));
      }
      ctx.stroke();
    };
    const bump = (x: number, m: number, sd: number): number => Math.exp(-0.5 * ((x - m) / sd) ** 2);
    line((x) => 0.55 * bump(x, -0.6, 0.9), LECTURE.green, 2.5);
    line((x) => 0.5 + 0.32 * Math.tanh(0.9 * (x - 0.2)), LECTURE.blue, 2.5);
    ctx.fillStyle = LECTURE.ink;
    for (let i = 0; i < 22; i++) {
      const x = 1.3 + 0.9 * Math.sin(i * 2.39) + 0.5 * Math.cos(i * 1.3); // real data: right of the generator's bump
      ctx.beginPath(); ctx.arc(X(x), Y(0) + 3, 2.2, 0, 2 * Math.PI); ctx.fill();
    }
  },
  'gan2d.html': (ctx, s) => {
    const glow = ctx.createRadialGradient(s / 2, s / 2, s * 0.1, s / 2, s / 2, s * 0.48);
    glow.addColorStop(0, 'rgba(242, 142, 43, 0.28)');
    glow.addColorStop(0.55, 'rgba(255, 255, 255, 0)');
    glow.addColorStop(0.75, 'rgba(47, 111, 223, 0.3)');
    glow.addColorStop(1, 'rgba(255, 255, 255, 0)');
    ctx.fillStyle = glow;
    ctx.fillRect(0, 0, s, s);
    for (let k = 0; k < 8; k++) {
      const a = (k * Math.PI) / 4;
      const x = s / 2 + s * 0.32 * Math.cos(a), y = s / 2 + s * 0.32 * Math.sin(a);
      ctx.fillStyle = LECTURE.ink;
      ctx.beginPath(); ctx.arc(x, y, 3, 0, 2 * Math.PI); ctx.fill();
    }
    ctx.fillStyle = LECTURE.green;
    ctx.strokeStyle = '#c2185b';
    ctx.lineWidth = 1.2;
    for (let i = 0; i < 9; i++) {
      const a = 0.2 + i * 0.16, r = s * (0.16 + 0.02 * Math.sin(i));
      const x = s / 2 + r * Math.cos(a), y = s / 2 + r * Math.sin(a);
      ctx.beginPath(); ctx.arc(x, y, 3, 0, 2 * Math.PI); ctx.fill();
      ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + 9 * Math.cos(a), y + 9 * Math.sin(a)); ctx.stroke();
    }
  },
};

function thumb(href: string): HTMLCanvasElement {
  const canvas = h('canvas', { class: 'thumb', width: 280, height: 280, 'aria-hidden': 'true' });
  const ctx = canvas.getContext('2d');
  if (ctx) {
    ctx.scale(2, 2);
    THUMBS[href]?.(ctx, 140);
  }
  return canvas;
}

function renderFigures(): void {
  const list = document.getElementById('figures')!;
  for (const p of PAGES) {
    list.append(
      h(
        'a',
        { class: 'card', href: p.href },
        thumb(p.href),
        h('div', {}, h('div', { class: 'section' }, p.section), h('h2', {}, p.title), ...p.blurb.map((b) => h('p', {}, b)), h('p', { class: 'try' }, `${p.tryIt} →`)),
      ),
    );
  }
}

/** The latest runs of the runs folder (genlab lab --runs DIR), each linked to its page on the runs board. */
async function renderRuns(): Promise<void> {
  let list: RunsList;
  try {
    list = await listRuns();
  } catch {
    return;
  }
  if (!list.dir) return;
  const section = document.getElementById('runs')!;
  const body = section.querySelector('tbody')!;
  section.hidden = false;
  if (list.runs.length === 0) {
    body.append(h('tr', {}, h('td', { colspan: 5 }, `No runs in ${list.dir} yet: train one with genlab train vae --data mnist --out ${list.dir}/NAME.`)));
    return;
  }
  for (const r of list.runs.slice(0, 8)) {
    body.append(h('tr', {}, h('td', {}, h('a', { href: runPage(r.name) }, r.name)), h('td', {}, r.kind), h('td', {}, r.data), h('td', {}, statusBadge(r.status)), h('td', {}, String(r.epoch))));
  }
}

mountHeader('index.html');
renderFigures();
await renderRuns();
markReady();
