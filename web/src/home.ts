/**
 * Home: the figures (from pages.ts) grouped under the lecture's sections, §1 to §5, each section with a line of what
 * it teaches and each figure a card with the lecture's explanation; and the latest runs of the runs board.
 */
import { listRuns, runPage, type RunsList } from './board/api.js';
import { statusBadge } from './board/status.js';
import { h } from './lib/dom.js';
import { COMPONENT_RGB, LECTURE, componentRgb, rgb } from './lib/colors.js';
import { PAGES, type PageInfo } from './lib/pages.js';
import { markReady, mountHeader } from './lib/shell.js';

/** What each section of the lecture (../shared/LECTURE.md) teaches, in a line, by its number. */
const SECTION_SUMMARIES: Record<number, string> = {
  1: 'An autoencoder’s codes leave gaps between training images; a VAE adds noise to its codes, a KL term stops that noise from collapsing, and every image gets a probability P(x).',
  2: 'A complex distribution as a weighted sum of Gaussians, fitted by EM — and the VAE as its infinite, distributed version: P(x) = ∫ P(z) P(x|z) dz.',
  3: 'A VAE learns to be close to its training images pixel by pixel: one stray pixel costs as much as one that extends the stroke.',
  4: 'A generator that never sees real data learns to fool a discriminator that tells real from generated — and the problems GANs meet: mode collapse, unstable training, vanishing gradients.',
  5: 'The VAE imitates its training images; the GAN creates images that are not in the database.',
};

/** A section of the lecture and its figures. */
interface LecturePart {
  number: number;
  /** "§4 GAN": the section as the pages name it, without a subsection's number. */
  title: string;
  pages: PageInfo[];
}

/**
 * PAGES grouped by the lecture's top-level section (§4.3 goes under §4), sections in their order and pages in
 * PAGES's order within each. A section is titled as a page names it without a subsection (else as its first page does).
 */
function lectureParts(pages: readonly PageInfo[]): LecturePart[] {
  const parts = new Map<number, LecturePart>();
  for (const p of pages) {
    const m = /^§(\d+)(\.\d+)*\s*(.*)$/.exec(p.section);
    const number = m ? Number(m[1]) : Infinity;
    let part = parts.get(number);
    if (!part) parts.set(number, (part = { number, title: p.section, pages: [] }));
    if (m && m[2] === undefined && part.pages.every((q) => q.section !== part!.title)) part.title = p.section;
    part.pages.push(p);
  }
  return [...parts.values()].sort((a, b) => a.number - b.number);
}

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
  'moons.html': (ctx, s) => {
    // A full moon and a half moon, the straight line between their codes, and the moons a VAE decodes along it.
    const moon = (x: number, y: number, r: number, lit: number): void => {
      ctx.fillStyle = '#d9dde6';
      ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.fill();
      ctx.fillStyle = '#f2c94c';
      ctx.beginPath();
      ctx.arc(x, y, r, -Math.PI / 2, Math.PI / 2); // the lit right half, then the terminator back to the top
      ctx.ellipse(x, y, r * Math.abs(2 * lit - 1), r, 0, Math.PI / 2, -Math.PI / 2, lit < 0.5);
      ctx.fill();
      ctx.strokeStyle = LECTURE.ink;
      ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.stroke();
    };
    ctx.strokeStyle = LECTURE.muted;
    ctx.setLineDash([4, 4]);
    ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(s * 0.2, s * 0.32); ctx.lineTo(s * 0.8, s * 0.32); ctx.stroke();
    ctx.setLineDash([]);
    [1, 0.84, 0.67, 0.5].forEach((lit, i) => moon(s * (0.2 + 0.2 * i), s * 0.32, s * (i === 0 || i === 3 ? 0.12 : 0.085), lit));
    // The decode error along the path: the AE's (red) jumps between the codes, the VAE's (blue) stays low.
    const curve = (f: (t: number) => number, color: string): void => {
      ctx.strokeStyle = color;
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      for (let i = 0; i <= 40; i++) {
        const t = i / 40, x = s * (0.15 + 0.7 * t), y = s * (0.9 - 0.35 * f(t));
        if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      }
      ctx.stroke();
    };
    curve((t) => 0.1 + 0.85 * Math.sin(Math.PI * t) ** 2, LECTURE.red);
    curve((t) => 0.1 + 0.15 * Math.sin(Math.PI * t), LECTURE.blue);
  },
  'pokemon.html': (ctx, s) => {
    // Three histograms of log p(x) — noise, digits, Pokémon — and a drawn creature's score among them.
    const hist = (centre: number, spread: number, color: string): void => {
      ctx.fillStyle = color;
      for (let i = -4; i <= 4; i++) {
        const height = Math.exp(-0.5 * (i / 1.6) ** 2) * s * 0.3;
        ctx.fillRect(s * (centre + i * spread), s * 0.88 - height, s * spread * 0.85, height);
      }
    };
    hist(0.2, 0.022, 'rgba(107, 115, 133, 0.55)');
    hist(0.48, 0.024, 'rgba(47, 111, 223, 0.55)');
    hist(0.76, 0.026, 'rgba(31, 157, 85, 0.65)');
    ctx.strokeStyle = LECTURE.ink;
    ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(s * 0.06, s * 0.88); ctx.lineTo(s * 0.94, s * 0.88); ctx.stroke();
    // The creature: round body, two ears, eyes; its arrow points at its score.
    const cx = s * 0.74, cy = s * 0.28;
    ctx.fillStyle = '#f2c94c';
    ctx.beginPath();
    ctx.moveTo(cx - s * 0.09, cy - s * 0.05); ctx.lineTo(cx - s * 0.13, cy - s * 0.2); ctx.lineTo(cx - s * 0.02, cy - s * 0.09);
    ctx.moveTo(cx + s * 0.09, cy - s * 0.05); ctx.lineTo(cx + s * 0.13, cy - s * 0.2); ctx.lineTo(cx + s * 0.02, cy - s * 0.09);
    ctx.fill();
    ctx.beginPath(); ctx.ellipse(cx, cy, s * 0.12, s * 0.1, 0, 0, 2 * Math.PI); ctx.fill();
    ctx.strokeStyle = LECTURE.ink;
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.fillStyle = LECTURE.ink;
    for (const dx of [-0.045, 0.045]) { ctx.beginPath(); ctx.arc(cx + s * dx, cy - s * 0.01, 2.2, 0, 2 * Math.PI); ctx.fill(); }
    ctx.fillStyle = LECTURE.red;
    ctx.beginPath(); ctx.arc(cx - s * 0.085, cy + s * 0.03, 2.6, 0, 2 * Math.PI); ctx.arc(cx + s * 0.085, cy + s * 0.03, 2.6, 0, 2 * Math.PI); ctx.fill();
    ctx.strokeStyle = LECTURE.green;
    ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(cx, cy + s * 0.13); ctx.lineTo(cx + s * 0.02, s * 0.5); ctx.stroke();
    ctx.beginPath(); ctx.moveTo(cx + s * 0.02, s * 0.52); ctx.lineTo(cx - s * 0.01, s * 0.47); ctx.lineTo(cx + s * 0.05, s * 0.47); ctx.closePath();
    ctx.fillStyle = LECTURE.green;
    ctx.fill();
  },
  'latent.html': (ctx, s) => {
    // The prior's contours, and codes of ten digit classes clustered over it.
    ctx.strokeStyle = LECTURE.grid;
    ctx.lineWidth = 1.5;
    for (const r of [0.14, 0.26, 0.38]) { ctx.beginPath(); ctx.arc(s / 2, s / 2, s * r, 0, 2 * Math.PI); ctx.stroke(); }
    let seed = 11;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let k = 0; k < 10; k++) {
      const a = (k * 2 * Math.PI) / 10 + 0.3, r = s * (0.16 + 0.12 * (k % 3) / 2);
      const x = s / 2 + r * Math.cos(a), y = s / 2 + r * Math.sin(a);
      ctx.fillStyle = rgb(componentRgb(k), 0.8);
      for (let i = 0; i < 9; i++) {
        const u = (rand() - 0.5) * s * 0.11, v = (rand() - 0.5) * s * 0.05;
        ctx.beginPath(); ctx.arc(x + u * Math.cos(a) - v * Math.sin(a), y + u * Math.sin(a) + v * Math.cos(a), 2, 0, 2 * Math.PI); ctx.fill();
      }
    }
    // A clicked code, decoded.
    ctx.strokeStyle = LECTURE.ink;
    ctx.lineWidth = 2;
    ctx.beginPath(); ctx.arc(s * 0.62, s * 0.4, 5, 0, 2 * Math.PI); ctx.stroke();
    ctx.beginPath(); ctx.moveTo(s * 0.56, s * 0.4); ctx.lineTo(s * 0.68, s * 0.4); ctx.moveTo(s * 0.62, s * 0.34); ctx.lineTo(s * 0.62, s * 0.46); ctx.stroke();
  },
  'seven.html': (ctx, s) => {
    // A 7 on a pixel grid, with one pixel that extends the stroke (green) and one stray pixel (red).
    const n = 10, cell = (s * 0.8) / n, o = s * 0.1;
    ctx.strokeStyle = LECTURE.grid;
    ctx.lineWidth = 1;
    for (let i = 0; i <= n; i++) {
      ctx.beginPath(); ctx.moveTo(o + i * cell, o); ctx.lineTo(o + i * cell, o + n * cell); ctx.stroke();
      ctx.beginPath(); ctx.moveTo(o, o + i * cell); ctx.lineTo(o + n * cell, o + i * cell); ctx.stroke();
    }
    const seven = [[2, 2], [3, 2], [4, 2], [5, 2], [6, 2], [7, 2], [7, 3], [6, 4], [6, 5], [5, 6], [5, 7]];
    ctx.fillStyle = LECTURE.ink;
    for (const [c, r] of seven) ctx.fillRect(o + c! * cell + 1, o + r! * cell + 1, cell - 2, cell - 2);
    ctx.fillStyle = LECTURE.green;
    ctx.fillRect(o + 4 * cell + 1, o + 8 * cell + 1, cell - 2, cell - 2);
    ctx.fillStyle = LECTURE.red;
    ctx.fillRect(o + 1 * cell + 1, o + 7 * cell + 1, cell - 2, cell - 2);
  },
  'imitate.html': (ctx, s) => {
    // Samples above their nearest training images: the VAE's blurred near-copies (left), the GAN's new, crisp ones.
    const digit = (x: number, y: number, size: number, blur: number, bend: number): void => {
      ctx.save();
      ctx.fillStyle = '#111';
      ctx.fillRect(x, y, size, size);
      ctx.filter = blur > 0 ? `blur(${blur}px)` : 'none';
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = size * 0.13;
      ctx.lineCap = 'round';
      ctx.beginPath();
      ctx.ellipse(x + size / 2, y + size * 0.35, size * 0.18, size * 0.16, 0, 0, 2 * Math.PI); // a 9: loop and stem
      ctx.moveTo(x + size * 0.68, y + size * 0.38);
      ctx.quadraticCurveTo(x + size * (0.66 + bend), y + size * 0.65, x + size * 0.52, y + size * 0.85);
      ctx.stroke();
      ctx.restore();
    };
    const size = s * 0.3;
    for (const [col, blur, bend] of [[0, 2.5, 0], [1, 0, 0.2]] as const) {
      const x = s * (0.12 + 0.46 * col);
      digit(x, s * 0.1, size, blur, bend);
      digit(x, s * 0.56, size, 0, col ? -0.15 : 0);
      ctx.strokeStyle = col ? LECTURE.green : LECTURE.blue;
      ctx.lineWidth = 2.5;
      ctx.beginPath(); ctx.moveTo(x + size / 2, s * 0.1 + size + 3); ctx.lineTo(x + size / 2, s * 0.56 - 3); ctx.stroke();
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

function card(p: PageInfo): HTMLAnchorElement {
  return h(
    'a',
    { class: 'card', href: p.href },
    thumb(p.href),
    h('div', {}, h('div', { class: 'section' }, p.section), h('h2', {}, p.title), ...p.blurb.map((b) => h('p', {}, b)), h('p', { class: 'try' }, `${p.tryIt} →`)),
  );
}

/** The lecture's sections in order, each with its summary and its figures' cards. */
function renderFigures(): void {
  const list = document.getElementById('figures')!;
  for (const part of lectureParts(PAGES)) {
    const summary = SECTION_SUMMARIES[part.number];
    list.append(
      h(
        'section',
        { class: 'lecture-part', 'data-section': part.number, 'aria-label': part.title },
        h('div', { class: 'part-head' }, h('h2', {}, part.title), summary ? h('p', { class: 'summary' }, summary) : null),
        h('div', { class: 'figures' }, ...part.pages.map(card)),
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
