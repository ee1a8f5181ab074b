/**
 * A folder of PNG/JPEG images as an 'images' Dataset.
 *
 * - Files: every `.png`, `.jpg`, `.jpeg` (any case) directly in the folder and in its immediate sub-folders (one
 *   level), sorted by relative path (code-unit order, so the result does not depend on the locale). Hidden entries
 *   (names starting with '.') are ignored.
 * - Classes: when the folder holds no images itself, only sub-folders (like torchvision's ImageFolder), each
 *   sub-folder that holds images is a class, in sorted order, and the Dataset gets class labels.
 * - Pixels: alpha is composited on white; `channels` defaults to 1 when every image is grey (R = G = B everywhere),
 *   else 3 (grey images are then replicated to RGB, colour images converted with BT.601 luma for channels 1).
 * - Size: with `size`, every image is scaled to fit a size×size square (aspect kept, padded with white); without it
 *   all images must have the first image's size.
 * - Budget: the headers of all files are read first, and a folder whose images hold more than MAX_FOLDER_PIXELS
 *   pixels, or would make more than MAX_DATASET_VALUES values, is refused before anything is decoded. Only regular
 *   files of at most MAX_IMAGE_FILE_BYTES are read.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { GenlabError, badFile, badInput } from '../engine/errors.js';
import { makeDataset, type Dataset, type Labels } from './dataset.js';
import { declaredImageSize } from './image-check.js';
import { MAX_PIXELS, decodeImage, type RgbaImage } from './image-decode.js';
import { compositeRgba, fitToSquare, toGray, type FloatImage } from './image-ops.js';
import { fsError, readBytes, readHead } from './idx.js';
import { DATASET_LIMIT_WHY, MAX_DATASET_VALUES, MAX_FOLDER_PIXELS, MAX_IMAGE_FILE_BYTES, formatCount } from './limits.js';

export interface ImageFolderOptions {
  /** Side of the square every image is fitted into; default: keep the first image's size (all must agree). */
  size?: number;
  /** Default: 1 when all images are grey, else 3. */
  channels?: 1 | 3;
}

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
/** Largest side accepted for `size`. */
const MAX_SIZE = 4096;

function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return !name.startsWith('.') && IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Loads every image of `dir` (see the module comment for the rules). */
export async function loadImageFolder(dir: string, options: ImageFolderOptions = {}): Promise<Dataset> {
  const { size, channels } = options;
  if (size !== undefined && !(Number.isInteger(size) && size >= 1 && size <= MAX_SIZE)) {
    throw badInput('size', `expected an integer from 1 to ${MAX_SIZE}, got ${size}`);
  }
  if (channels !== undefined && channels !== 1 && channels !== 3) throw badInput('channels', `expected 1 or 3, got ${String(channels)}`);
  let info;
  try {
    info = await stat(dir);
  } catch (e) {
    const err = fsError(dir, e);
    throw err.code === 'not-found' ? new GenlabError('not-found', `${dir}: no such folder`) : err;
  }
  if (!info.isDirectory()) throw badInput(dir, 'not a folder, expected a folder of .png/.jpg images');

  const { files, classOf, classes } = await listImages(dir);
  if (files.length === 0) throw badInput(dir, 'no images found (expected .png, .jpg or .jpeg files in the folder or its sub-folders)');

  await checkBudget(dir, files, size, channels);
  const decoded: { file: string; img: RgbaImage }[] = [];
  let allGrey = true;
  for (const file of files) {
    const bytes = await readBytes(file, MAX_IMAGE_FILE_BYTES);
    const img = decodeImage(bytes, file);
    if (!(img.width >= 1 && img.height >= 1) || img.data.length !== img.width * img.height * 4) {
      throw badFile(file, `unreadable image (${img.width}×${img.height} pixels, ${img.data.length} bytes)`);
    }
    if (allGrey && channels === undefined) allGrey = isGrey(img.data);
    decoded.push({ file, img });
  }
  const c = channels ?? (allGrey ? 1 : 3);
  const first = decoded[0]!;
  const width = size ?? first.img.width;
  const height = size ?? first.img.height;
  const exampleSize = width * height * c;
  if (decoded.length * exampleSize > MAX_DATASET_VALUES) {
    throw badInput(dir, `${decoded.length} images of ${width}×${height}×${c} are more than ${formatCount(MAX_DATASET_VALUES)} values (${DATASET_LIMIT_WHY})`);
  }
  const data = new Float32Array(decoded.length * exampleSize);
  decoded.forEach(({ file, img }, i) => {
    if (size === undefined && (img.width !== width || img.height !== height)) {
      throw badFile(file, `${img.width}×${img.height} pixels, expected ${width}×${height} like ${first.file} (pass a size to resize all images)`);
    }
    let f: FloatImage = compositeRgba(img.data, img.width, img.height);
    f = c === 1 ? toGray(f) : f;
    if (size !== undefined && (img.width !== size || img.height !== size)) f = fitToSquare(f, size);
    data.set(f.data, i * exampleSize);
    decoded[i] = { file, img: { width: 0, height: 0, data: new Uint8Array(0) } }; // free the RGBA as we go
  });
  const labels: Labels | undefined = classOf ? { kind: 'class', values: classOf, classes } : undefined;
  return makeDataset({ name: dir, kind: 'images', shape: [height, width, c], data, ...(labels ? { labels } : {}) });
}

/**
 * The folder's budget, from the files' headers before any decoding: every declared size within the per-image limit,
 * the pixels of all images within MAX_FOLDER_PIXELS, the resulting dataset within MAX_DATASET_VALUES (counted with
 * the channels asked for, or 1), and without `size` every image of the first one's size.
 */
async function checkBudget(dir: string, files: string[], size: number | undefined, channels: 1 | 3 | undefined): Promise<void> {
  let pixels = 0;
  let first: { file: string; width: number; height: number } | null = null;
  for (const file of files) {
    let { bytes } = await readHead(file, 64 * 1024, MAX_IMAGE_FILE_BYTES);
    let dims = declaredImageSize(bytes);
    if (!dims && bytes.length === 64 * 1024) dims = declaredImageSize((bytes = await readBytes(file, MAX_IMAGE_FILE_BYTES))); // a JPEG with large metadata first
    if (!dims) continue; // no readable header: the decoder reports it
    const { width, height } = dims;
    if (width * height > MAX_PIXELS) throw badFile(file, `image of ${width}×${height} pixels is too large (at most ${formatCount(MAX_PIXELS)} pixels)`);
    pixels += width * height;
    if (pixels > MAX_FOLDER_PIXELS) {
      throw badInput(dir, `its images hold more than ${formatCount(MAX_FOLDER_PIXELS)} pixels (counted from their headers up to ${file}): a folder is decoded whole, 4 bytes a pixel (pass a smaller folder)`);
    }
    first ??= { file, width, height };
    if (size === undefined && (width !== first.width || height !== first.height)) {
      throw badFile(file, `${width}×${height} pixels, expected ${first.width}×${first.height} like ${first.file} (pass a size to resize all images)`);
    }
  }
  if (first) {
    const perExample = (size ?? first.width) * (size ?? first.height) * (channels ?? 1);
    if (files.length * perExample > MAX_DATASET_VALUES) {
      throw badInput(dir, `${files.length} images of ${size ?? first.width}×${size ?? first.height}×${channels ?? 1} are more than ${formatCount(MAX_DATASET_VALUES)} values (${DATASET_LIMIT_WHY})`);
    }
  }
}

function isGrey(rgba: Uint8Array): boolean {
  for (let p = 0; p < rgba.length; p += 4) if (rgba[p] !== rgba[p + 1] || rgba[p] !== rgba[p + 2]) return false;
  return true;
}

async function listImages(dir: string): Promise<{ files: string[]; classOf: Int32Array | null; classes: string[] }> {
  const entries = await readEntries(dir);
  const top = entries.filter((e) => !e.isDirectory() && isImageName(e.name)).map((e) => e.name).sort(byCodeUnits);
  const subdirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort(byCodeUnits);
  const nested: { sub: string; names: string[] }[] = [];
  for (const sub of subdirs) {
    const names = (await readEntries(join(dir, sub))).filter((e) => !e.isDirectory() && isImageName(e.name)).map((e) => e.name).sort(byCodeUnits);
    if (names.length > 0) nested.push({ sub, names });
  }
  if (top.length === 0 && nested.length > 0) {
    const files: string[] = [];
    const labels: number[] = [];
    nested.forEach(({ sub, names }, k) => {
      for (const n of names) {
        files.push(join(dir, sub, n));
        labels.push(k);
      }
    });
    return { files, classOf: Int32Array.from(labels), classes: nested.map((n) => n.sub) };
  }
  const rel = [...top, ...nested.flatMap(({ sub, names }) => names.map((n) => join(sub, n)))].sort(byCodeUnits);
  return { files: rel.map((r) => join(dir, r)), classOf: null, classes: [] };
}

async function readEntries(dir: string): Promise<import('node:fs').Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw fsError(dir, e);
  }
}


