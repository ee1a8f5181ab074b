/**
 * A drawing pad: strokes in a chosen colour and width on a transparent canvas shown over white. Left transparent, the
 * drawing is prepared like a sprite (trimmed to what was drawn, composited over white, fitted with a margin), so a
 * small doodle in a corner is judged at the size of a sprite.
 */
export class DrawPad {
  color = '#1d2330';
  width = 10;
  /** Called when a stroke ends. */
  onStroke: () => void = () => {};
  private readonly ctx: CanvasRenderingContext2D;
  private last: { x: number; y: number } | null = null;
  private strokes = 0;

  constructor(readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('draw pad: no 2-D canvas context');
    this.ctx = ctx;
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      this.last = this.at(e);
      this.segment(this.last, this.last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.last) return;
      const p = this.at(e);
      this.segment(this.last, p);
      this.last = p;
    });
    const end = (): void => {
      if (!this.last) return;
      this.last = null;
      this.strokes++;
      canvas.dataset['strokes'] = String(this.strokes);
      this.onStroke();
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  clear(): void {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.strokes = 0;
    this.canvas.dataset['strokes'] = '0';
  }

  /** The pointer in canvas pixels. */
  private at(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * this.canvas.width, y: ((e.clientY - r.top) / r.height) * this.canvas.height };
  }

  private segment(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const { ctx } = this;
    ctx.strokeStyle = this.color;
    ctx.lineWidth = this.width;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  }
}
