/**
 * A pad to draw a digit on with the mouse (white on black, as MNIST), and the drawing as MNIST would have it: the
 * strokes' bounding box scaled to fit 20 × 20 (area averaging), placed in a 28 × 28 frame with its centre of mass at
 * the centre — the normalisation MNIST's digits went through — grey values in [0, 1].
 */
import { conformImages } from '../../../src/browser.js';

/** MNIST's frame, and the box its digits were scaled into. */
const FRAME = 28;
const BOX = 20;
/** Pixels darker than this do not count towards the bounding box (anti-aliasing fringes). */
const INK = 0.05;

export interface SketchEvents {
  /** After each piece of stroke (at most once per animation frame) and at the end of a stroke (`done`). */
  changed(done: boolean): void;
}

export class SketchPad {
  private readonly ctx: CanvasRenderingContext2D;
  private drawing = false;
  private last: [number, number] | null = null;
  private pending = 0;
  private inked = false;

  /** `size` backing pixels a side; `brush` the stroke width in those pixels. */
  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly events: SketchEvents,
    readonly size = 280,
    readonly brush = 22,
  ) {
    canvas.width = canvas.height = size;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('sketch pad: no 2-D canvas context');
    this.ctx = ctx;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      this.drawing = true;
      canvas.setPointerCapture(e.pointerId);
      this.last = this.at(e);
      this.line(this.last, this.last);
      this.schedule();
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.drawing) return;
      const p = this.at(e);
      this.line(this.last ?? p, p);
      this.last = p;
      this.schedule();
    });
    const end = (): void => {
      if (!this.drawing) return;
      this.drawing = false;
      this.last = null;
      cancelAnimationFrame(this.pending);
      this.pending = 0;
      this.events.changed(true);
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  /** Whether anything has been drawn since the last clear. */
  get empty(): boolean {
    return !this.inked;
  }

  clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.size, this.size);
    this.inked = false;
  }

  /** Paints a 28 × 28 grey image (values in [0, 1]) onto the pad, scaled up: a test digit to start from. */
  paint(image: ArrayLike<number>): void {
    const small = document.createElement('canvas');
    small.width = small.height = FRAME;
    const sctx = small.getContext('2d')!;
    const img = sctx.createImageData(FRAME, FRAME);
    for (let i = 0; i < FRAME * FRAME; i++) {
      const v = Math.round(255 * Math.min(1, Math.max(0, image[i]!)));
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
      img.data[4 * i + 3] = 255;
    }
    sctx.putImageData(img, 0, 0);
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.drawImage(small, 0, 0, this.size, this.size);
    this.inked = true;
  }

  /** The drawing as a 28 × 28 MNIST digit ([784] grey values in [0, 1]), or null while the pad is empty. */
  toMnist(): Float32Array | null {
    const { data } = this.ctx.getImageData(0, 0, this.size, this.size);
    const grey = new Float32Array(this.size * this.size);
    let x0 = this.size, x1 = -1, y0 = this.size, y1 = -1;
    for (let y = 0; y < this.size; y++) {
      for (let x = 0; x < this.size; x++) {
        const v = data[4 * (y * this.size + x)]! / 255;
        grey[y * this.size + x] = v;
        if (v > INK) {
          x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
        }
      }
    }
    if (x1 < 0) return null;
    const w = x1 - x0 + 1, h = y1 - y0 + 1;
    const crop = new Float32Array(w * h);
    for (let y = 0; y < h; y++) crop.set(grey.subarray((y0 + y) * this.size + x0, (y0 + y) * this.size + x0 + w), y * w);
    const scale = BOX / Math.max(w, h);
    const tw = Math.max(1, Math.round(w * scale)), th = Math.max(1, Math.round(h * scale));
    const small = conformImages(crop, 1, [h, w, 1], [th, tw, 1]);
    // Centre of mass → the frame's centre (kept inside the frame).
    let mass = 0, mx = 0, my = 0;
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const v = small[y * tw + x]!;
        mass += v; mx += v * (x + 0.5); my += v * (y + 0.5);
      }
    }
    const ox = Math.min(FRAME - tw, Math.max(0, Math.round(FRAME / 2 - mx / mass)));
    const oy = Math.min(FRAME - th, Math.max(0, Math.round(FRAME / 2 - my / mass)));
    const out = new Float32Array(FRAME * FRAME);
    for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) out[(oy + y) * FRAME + ox + x] = Math.min(1, Math.max(0, small[y * tw + x]!));
    return out;
  }

  private at(e: PointerEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * this.size) / (r.width || this.size), ((e.clientY - r.top) * this.size) / (r.height || this.size)];
  }

  private line(from: [number, number], to: [number, number]): void {
    const { ctx } = this;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = this.brush;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(from[0], from[1]);
    ctx.lineTo(to[0] + 0.01, to[1]); // a zero-length segment draws nothing: a click still leaves a dot
    ctx.stroke();
    this.inked = true;
  }

  /** One `changed(false)` per animation frame at most while drawing. */
  private schedule(): void {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      if (this.drawing) this.events.changed(false);
    });
  }
}
