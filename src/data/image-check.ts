/**
 * Structural checks of PNG and JPEG streams before they are decoded, refusing what PIL (libpng, libjpeg) refuses:
 * pngjs and jpeg-js decode some broken files without complaint (a PNG without IDAT or with random IDAT bytes to an
 * all-black image, a baseline JPEG marked progressive to grey noise), which would silently become training data.
 *
 * PNG: signature, chunks within the file with correct CRCs, IHDR first and valid, PLTE where the colour type needs
 * it, at least one IDAT, IEND; the IDAT stream must inflate (bounded) to exactly the scanline bytes the header
 * declares, with valid filter bytes. Data after IEND is ignored, as PIL does.
 * JPEG: SOI, segments within the file, one frame header (SOF) before the first scan, quantisation and Huffman tables
 * defined before the scans that use them, scan parameters valid for the frame's mode (a sequential frame has full
 * spectral scans, a progressive one DC-first or single-component AC scans), and an EOI after the last scan.
 * Corruption inside the entropy-coded data cannot be seen without decoding; PIL accepts it too.
 */
import { inflateSync } from 'node:zlib';
import { badFile } from '../engine/errors.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** Width and height as the header declares them (PNG's IHDR, JPEG's SOF), from the first bytes; null if not found. */
export function declaredImageSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (isPng(bytes)) {
    if (bytes.length < 24 || String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!) !== 'IHDR') return null;
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (isJpeg(bytes)) {
    let off = 2;
    while (off + 4 <= bytes.length) {
      if (bytes[off] !== 0xff) return null;
      const marker = bytes[off + 1]!;
      if (marker === 0xff) {
        off++;
        continue;
      }
      if (isSof(marker)) {
        if (off + 9 > bytes.length) return null;
        return { height: (bytes[off + 5]! << 8) | bytes[off + 6]!, width: (bytes[off + 7]! << 8) | bytes[off + 8]! };
      }
      if (marker === 0xda || marker === 0xd9) return null;
      off += 2 + ((bytes[off + 2]! << 8) | bytes[off + 3]!);
    }
  }
  return null;
}

// ---- PNG -----------------------------------------------------------------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Samples per pixel of each PNG colour type, and the bit depths it allows. */
const COLOR_TYPES: Record<number, { samples: number; depths: number[] }> = {
  0: { samples: 1, depths: [1, 2, 4, 8, 16] },
  2: { samples: 3, depths: [8, 16] },
  3: { samples: 1, depths: [1, 2, 4, 8] },
  4: { samples: 2, depths: [8, 16] },
  6: { samples: 4, depths: [8, 16] },
};

/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** Throws a one-line error naming `file` unless `bytes` is a structurally sound PNG (see the module comment). */
export function checkPng(bytes: Uint8Array, file: string): void {
  const fail = (what: string): never => {
    throw badFile(file, `corrupt PNG: ${what}`);
  };
  if (!isPng(bytes)) fail('no PNG signature');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 8;
  let ihdr: { width: number; height: number; depth: number; colorType: number; interlace: number } | null = null;
  let plte = false;
  let iend = false;
  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  while (!iend) {
    if (off + 12 > bytes.length) fail(off === bytes.length ? 'truncated (no IEND chunk)' : `truncated chunk header at byte ${off}`);
    const len = v.getUint32(off);
    const type = String.fromCharCode(bytes[off + 4]!, bytes[off + 5]!, bytes[off + 6]!, bytes[off + 7]!);
    if (!/^[A-Za-z]{4}$/.test(type)) fail(`invalid chunk type at byte ${off}`);
    if (len > 0x7fffffff || off + 12 + len > bytes.length) fail(`truncated ${type} chunk (declares ${len} bytes, ${bytes.length - off - 12} left)`);
    const data = bytes.subarray(off + 8, off + 8 + len);
    if (crc32(bytes.subarray(off + 4, off + 8 + len)) !== v.getUint32(off + 8 + len)) fail(`bad CRC of the ${type} chunk at byte ${off}`);
    if (!ihdr && type !== 'IHDR') fail(`first chunk is ${type}, expected IHDR`);
    switch (type) {
      case 'IHDR': {
        if (ihdr) fail('two IHDR chunks');
        if (len !== 13) fail(`IHDR of ${len} bytes, expected 13`);
        const dv = new DataView(data.buffer, data.byteOffset, 13);
        ihdr = { width: dv.getUint32(0), height: dv.getUint32(4), depth: data[8]!, colorType: data[9]!, interlace: data[12]! };
        const ct = COLOR_TYPES[ihdr.colorType];
        if (ihdr.width === 0 || ihdr.height === 0 || ihdr.width > 0x7fffffff || ihdr.height > 0x7fffffff) fail(`invalid size ${ihdr.width}×${ihdr.height}`);
        if (!ct || !ct.depths.includes(ihdr.depth)) fail(`invalid colour type ${ihdr.colorType} with bit depth ${ihdr.depth}`);
        if (data[10] !== 0 || data[11] !== 0 || ihdr.interlace > 1) fail('unknown compression, filter or interlace method');
        break;
      }
      case 'PLTE':
        if (len === 0 || len % 3 !== 0 || len > 768) fail(`PLTE of ${len} bytes`);
        if (idat.length > 0) fail('PLTE after IDAT');
        plte = true;
        break;
      case 'IDAT':
        idat.push(data);
        idatBytes += len;
        break;
      case 'IEND':
        iend = true;
        break;
      default:
        // An unknown critical chunk (upper-case first letter) cannot be skipped safely.
        if (type[0]! >= 'A' && type[0]! <= 'Z' && !['PLTE', 'IDAT'].includes(type)) fail(`unknown critical chunk ${type}`);
    }
    off += 12 + len;
  }
  const h = ihdr!;
  if (h.colorType === 3 && !plte) fail('palette image without a PLTE chunk');
  if (idat.length === 0) fail('no image data (no IDAT chunk)');
  const bitsPerPixel = h.depth * COLOR_TYPES[h.colorType]!.samples;
  const rows: { width: number; count: number }[] = [];
  if (h.interlace === 0) rows.push({ width: h.width, count: h.height });
  else {
    for (const [xs, ys, dx, dy] of ADAM7) {
      const w = h.width > xs ? Math.ceil((h.width - xs) / dx) : 0;
      const n = h.height > ys ? Math.ceil((h.height - ys) / dy) : 0;
      if (w > 0 && n > 0) rows.push({ width: w, count: n });
    }
  }
  const expected = rows.reduce((s, r) => s + r.count * (1 + Math.ceil((r.width * bitsPerPixel) / 8)), 0);
  const joined = new Uint8Array(idatBytes);
  let at = 0;
  for (const d of idat) {
    joined.set(d, at);
    at += d.length;
  }
  let raw: Uint8Array;
  try {
    // Bounded: a stream that inflates past the declared size is refused, not expanded.
    raw = inflateSync(joined, { maxOutputLength: expected + 1 });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') return fail(`more image data than ${h.width}×${h.height} pixels need`);
    return fail(`unreadable image data (${code === 'Z_BUF_ERROR' ? 'the compressed stream is cut short' : firstLine(e)})`);
  }
  if (raw.length !== expected) fail(`image data of ${raw.length} bytes, ${h.width}×${h.height} pixels need ${expected}`);
  let p = 0;
  for (const r of rows) {
    const stride = 1 + Math.ceil((r.width * bitsPerPixel) / 8);
    for (let y = 0; y < r.count; y++, p += stride) if (raw[p]! > 4) fail(`invalid filter type ${raw[p]} in row ${y + 1}`);
  }
}

// ---- JPEG ----------------------------------------------------------------------------------------------------------

function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Throws a one-line error naming `file` unless `bytes` is a structurally sound JPEG (see the module comment). */
export function checkJpeg(bytes: Uint8Array, file: string): void {
  const fail = (what: string): never => {
    throw badFile(file, `corrupt JPEG: ${what}`);
  };
  if (!isJpeg(bytes)) fail('no start-of-image marker');
  const n = bytes.length;
  let off = 2;
  let frame: { progressive: boolean; baseline: boolean; components: Map<number, number> } | null = null;
  const quant = new Set<number>();
  const huffman = new Set<string>();
  let scans = 0;
  for (;;) {
    if (off >= n) fail(scans === 0 ? 'truncated before the first scan' : 'truncated (no end-of-image marker)');
    if (bytes[off] !== 0xff) fail(`expected a marker at byte ${off}`);
    while (off < n && bytes[off] === 0xff) off++; // fill bytes
    if (off >= n) fail('truncated (no end-of-image marker)');
    const marker = bytes[off++]!;
    if (marker === 0xd9) break; // EOI
    if (marker === 0xd8) fail('a second start-of-image marker');
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (off + 2 > n) fail('truncated segment');
    const len = (bytes[off]! << 8) | bytes[off + 1]!;
    if (len < 2 || off + len > n) fail(`truncated segment 0x${marker.toString(16)} (declares ${len} bytes, ${n - off} left)`);
    const seg = bytes.subarray(off + 2, off + len);
    off += len;
    if (isSof(marker)) {
      if (frame) fail('two frame headers');
      if (marker === 0xc3 || marker >= 0xc5) fail(`unsupported JPEG process (SOF${(marker - 0xc0).toString(16)}: lossless, hierarchical or arithmetic)`);
      if (seg.length < 6) fail('short frame header');
      const precision = seg[0]!;
      const height = (seg[1]! << 8) | seg[2]!;
      const width = (seg[3]! << 8) | seg[4]!;
      const nf = seg[5]!;
      if (precision !== 8) fail(`${precision}-bit samples (8-bit expected)`);
      if (width === 0 || height === 0) fail(`invalid size ${width}×${height}`);
      if (nf < 1 || nf > 4 || seg.length !== 6 + 3 * nf) fail(`frame header with ${nf} components in ${seg.length} bytes`);
      const components = new Map<number, number>();
      for (let i = 0; i < nf; i++) {
        const id = seg[6 + 3 * i]!;
        const hs = seg[7 + 3 * i]! >> 4;
        const vs = seg[7 + 3 * i]! & 15;
        const tq = seg[8 + 3 * i]!;
        if (components.has(id)) fail(`component ${id} defined twice`);
        if (hs < 1 || hs > 4 || vs < 1 || vs > 4 || tq > 3) fail(`component ${id} has invalid sampling ${hs}×${vs} or table ${tq}`);
        components.set(id, tq);
      }
      frame = { progressive: marker === 0xc2, baseline: marker === 0xc0, components };
    } else if (marker === 0xdb) {
      let p = 0;
      while (p < seg.length) {
        const pq = seg[p]! >> 4;
        const tq = seg[p]! & 15;
        const size = 1 + 64 * (pq + 1);
        if (pq > 1 || tq > 3 || p + size > seg.length) fail('invalid quantisation table');
        quant.add(tq);
        p += size;
      }
    } else if (marker === 0xc4) {
      let p = 0;
      while (p < seg.length) {
        if (p + 17 > seg.length) fail('invalid Huffman table');
        const tc = seg[p]! >> 4;
        const th = seg[p]! & 15;
        let count = 0;
        for (let i = 1; i <= 16; i++) count += seg[p + i]!;
        if (tc > 1 || th > 3 || count > 256 || p + 17 + count > seg.length) fail('invalid Huffman table');
        huffman.add(`${tc}${th}`);
        p += 17 + count;
      }
    } else if (marker === 0xdd) {
      if (seg.length !== 2) fail('invalid restart interval');
    } else if (marker === 0xda) {
      if (!frame) fail('a scan before the frame header');
      const f = frame!;
      const ns = seg[0] ?? 0;
      if (ns < 1 || ns > 4 || seg.length !== 4 + 2 * ns) fail(`scan header with ${ns} components in ${seg.length} bytes`);
      const ss = seg[1 + 2 * ns]!;
      const se = seg[2 + 2 * ns]!;
      const ah = seg[3 + 2 * ns]! >> 4;
      const al = seg[3 + 2 * ns]! & 15;
      if (f.progressive) {
        // As libjpeg: a DC scan (Ss = 0) has Se = 0; an AC scan covers one component; refinements shift by one bit.
        const bad = ss === 0 ? se !== 0 : se < ss || se > 63 || ns !== 1;
        if (bad || ah > 13 || al > 13 || (ah !== 0 && al !== ah - 1)) fail(`progressive scan with invalid parameters (Ss ${ss}, Se ${se}, Ah ${ah}, Al ${al})`);
      } else if (ss !== 0 || se !== 63 || ah !== 0 || al !== 0) {
        fail(`sequential scan with progressive parameters (Ss ${ss}, Se ${se}, Ah ${ah}, Al ${al})`);
      }
      for (let i = 0; i < ns; i++) {
        const id = seg[1 + 2 * i]!;
        const td = seg[2 + 2 * i]! >> 4;
        const ta = seg[2 + 2 * i]! & 15;
        const tq = f.components.get(id);
        if (tq === undefined) fail(`scan of component ${id}, which the frame does not have`);
        if (!quant.has(tq!)) fail(`quantisation table ${tq} is not defined`);
        if (td > 3 || ta > 3 || (f.baseline && (td > 1 || ta > 1))) fail(`scan uses Huffman tables ${td}/${ta}`);
        if (ss === 0 && ah === 0 && !huffman.has(`0${td}`)) fail(`DC Huffman table ${td} is not defined`);
        if (se > 0 && !huffman.has(`1${ta}`)) fail(`AC Huffman table ${ta} is not defined`);
      }
      scans++;
      // Entropy-coded data: up to the next marker that is neither a stuffed 0xFF00 nor a restart marker.
      while (off < n) {
        if (bytes[off] === 0xff && off + 1 < n && bytes[off + 1] !== 0 && !(bytes[off + 1]! >= 0xd0 && bytes[off + 1]! <= 0xd7)) break;
        off++;
      }
      if (off >= n - 1) fail('truncated scan (no end-of-image marker)');
    }
  }
  if (!frame) fail('no frame header');
  if (scans === 0) fail('no scan');
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}
