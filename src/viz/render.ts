/**
 * Rendering charts: Vega-Lite specs are compiled and rendered to SVG by Vega (headless, no canvas), and SVG is
 * rasterised to PNG by resvg. Charts are written as SVG or PNG according to the file's extension.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import { badInput } from '../engine/errors.js';

export type { TopLevelSpec } from 'vega-lite';

/** Renders a Vega-Lite spec to an SVG string. */
export async function vegaLiteToSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG to PNG at `scale` × its nominal size, with the system's fonts for text. */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    background: 'white',
  });
  return resvg.render().asPng();
}

/**
 * Rasterises SVG at its nominal size onto a transparent layer: RGBA bytes, premultiplied by alpha (resvg's pixmap),
 * `width` × `height` as the caller laid it out.
 */
export function svgToPixels(svg: string, width: number, height: number): Uint8Array {
  const image = new Resvg(svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render();
  if (image.width !== width || image.height !== height) throw new Error(`svgToPixels: rendered ${image.width}×${image.height}, expected ${width}×${height}`);
  return image.pixels;
}

/** Writes SVG text to `file` as SVG or PNG, chosen by the extension. */
export async function writeSvgOrPng(svg: string, file: string): Promise<void> {
  const ext = extname(file).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw badInput(file, `expected a .png or .svg file name, got '${ext || 'no extension'}'`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, ext === '.svg' ? svg : svgToPng(svg));
}

/** Renders a Vega-Lite chart to `file` (.svg or .png). */
export async function writeChart(spec: TopLevelSpec, file: string): Promise<void> {
  await writeSvgOrPng(await vegaLiteToSvg(spec), file);
}
