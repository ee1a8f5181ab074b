/**
 * Saving and loading TF.js layers models as the standard `model.json` + `weights.bin` pair (what tfjs-node's
 * `file://` handler and the converter write), so a model trained in Node opens with stock `tf.loadLayersModel`
 * anywhere, the browser lab included. Writes are atomic: a folder is written aside and renamed into place.
 *
 * This is the one module through which saved models touch the file system: the model classes (src/models) read and
 * write their folders (networks, manifest, extra binary files) with the functions here and import no Node module, so
 * the browser build (web/vite.config.ts) stubs only this module's Node imports, not theirs.
 *
 * A model is read from a location: a folder on disk, or the http(s) URL of a folder (the lab serves run folders under
 * /runs/), which is fetched — in the browser, where the Node functions are stubs never called on that path, and in
 * Node alike. `loadModel('http://127.0.0.1:4173/runs/a/model')` therefore runs the models' own load code unchanged.
 * Writing is to disk only.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GenlabError, badFile } from './errors.js';
import { checkModelJson } from './model-check.js';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

/** True when `location` is an http(s) URL (read with fetch) rather than a path on disk. */
export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/**
 * Joins a location and path segments, for the model classes, which import no Node module themselves: node:path's
 * `join` for folders on disk, URL resolution below the folder for URLs.
 */
export function joinPath(...parts: string[]): string {
  const [base, ...rest] = parts;
  if (base === undefined || !isUrl(base)) return join(...parts);
  if (rest.length === 0) return base;
  return new URL(rest.map((p) => p.split('/').map(encodeURIComponent).join('/')).join('/'), base.endsWith('/') ? base : `${base}/`).href;
}

/** The bytes at `location` (a file, or a URL fetched without caching: runs replace their models), or null when absent. */
async function readAt(location: string): Promise<Uint8Array | null> {
  if (!isUrl(location)) return existsSync(location) ? readFile(location) : null;
  let res: Response;
  try {
    res = await fetch(location, { cache: 'no-store' });
  } catch (e) {
    throw new GenlabError('not-found', `${location}: cannot be fetched (${(e as Error).message.split('\n')[0]})`);
  }
  if (res.status === 404) return null;
  if (!res.ok) throw badFile(location, `HTTP ${res.status} ${res.statusText}`.trim());
  return new Uint8Array(await res.arrayBuffer());
}

/** `bytes` as a JSON value, or a bad-file error naming `location`. */
function parseJson(bytes: Uint8Array, location: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw badFile(location, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

/** The bytes of a file read by `readAt` as a standalone ArrayBuffer. */
const arrayBuffer = (bytes: Uint8Array): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/**
 * Replaces `dir` with the output of `write(tmpDir)` atomically: readers see the old folder or the new one, never a
 * half-written mix. (rename(2) of a directory onto an existing one is not allowed, so the old one is moved aside
 * first and removed after; a crash in between leaves `<dir>.old`, which `recoverAtomicDir` restores.)
 */
export async function writeDirAtomically(dir: string, write: (tmpDir: string) => Promise<void>): Promise<void> {
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}-${Date.now()}`);
  const old = `${dir}.old`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await write(tmp);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  await rm(old, { recursive: true, force: true });
  if (existsSync(dir)) await rename(dir, old);
  await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
}

/** If a crash happened between the two renames of `writeDirAtomically`, puts the previous folder back. */
export async function recoverAtomicDir(dir: string): Promise<void> {
  const old = `${dir}.old`;
  if (!existsSync(dir) && existsSync(old)) await rename(old, dir);
}

/** Writes a file atomically (temp file in the same folder, then rename). */
export async function writeFileAtomically(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/** Writes the artifacts of `model.save` into `dir` as model.json + weights.bin. */
async function writeArtifacts(dir: string, artifacts: tf.io.ModelArtifacts): Promise<void> {
  const weightData = artifacts.weightData
    ? new Uint8Array(tf.io.concatenateArrayBuffers(Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData]))
    : new Uint8Array(0);
  const modelJson = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
  };
  await writeFile(join(dir, WEIGHTS_FILE), weightData);
  await writeFile(join(dir, MODEL_FILE), JSON.stringify(modelJson));
}

/** Saves a layers model into folder `dir` (created or replaced atomically). */
export async function saveLayersModel(model: tfl.LayersModel, dir: string): Promise<void> {
  await writeDirAtomically(dir, async (tmp) => {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        await writeArtifacts(tmp, artifacts);
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
  });
}

/**
 * Loads a layers model saved by `saveLayersModel` (or tfjs-node / the converter) from `dir`: a folder, or the URL of
 * one (stock model.json + weights files either way).
 */
export async function loadLayersModel(dir: string): Promise<tfl.LayersModel> {
  const file = joinPath(dir, MODEL_FILE);
  const text = await readAt(file);
  if (!text) throw new GenlabError('not-found', `${file}: no saved model here (expected model.json and weights.bin)`);
  const json = parseJson(text, file) as tf.io.ModelJSON;
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw badFile(file, 'not a TF.js layers model (modelTopology or weightsManifest missing)');
  checkModelJson(file, json); // schema, references, no layer cycle (TF.js would loop forever on one)
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const path of group.paths) {
      const bytes = await readAt(joinPath(dir, path)).catch(() => null);
      if (!bytes) throw badFile(joinPath(dir, path), 'weights file missing');
      buffers.push(arrayBuffer(bytes));
    }
  }
  const weightData = tf.io.concatenateArrayBuffers(buffers);
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * (s.dtype === 'float32' || s.dtype === 'int32' ? 4 : 1), 0);
  if (!specs.some((s) => s.quantization) && weightData.byteLength !== expected) {
    throw badFile(joinPath(dir, WEIGHTS_FILE), `${weightData.byteLength} bytes of weights, expected ${expected}`);
  }
  try {
    return await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData, format: json.format }));
  } catch (e) {
    throw badFile(file, `cannot rebuild the model (${(e as Error).message.split('\n')[0]})`);
  }
}

/** A model folder as `writeModelDir` writes it. */
export interface ModelDirContents {
  /** Sub-folder name → network, each saved by `saveLayersModel` (in this order). */
  networks: Record<string, tfl.LayersModel>;
  /** Extra file name → bytes, written after the networks (e.g. a GAN's history.bin). */
  files?: Record<string, Uint8Array>;
  /** The manifest, written last as pretty-printed JSON (2 spaces, trailing newline) under `name`. */
  manifest: { name: string; content: object };
}

/** Writes a saved model's folder `dir` — its networks, extra files and manifest — replacing it atomically. */
export async function writeModelDir(dir: string, contents: ModelDirContents): Promise<void> {
  await writeDirAtomically(dir, async (tmp) => {
    for (const [name, model] of Object.entries(contents.networks)) await saveLayersModel(model, join(tmp, name));
    for (const [name, data] of Object.entries(contents.files ?? {})) await writeFile(join(tmp, name), data);
    await writeFile(join(tmp, contents.manifest.name), `${JSON.stringify(contents.manifest.content, null, 2)}\n`);
  });
}

/**
 * Reads the JSON manifest `name` of the saved model folder `dir` and hands it to `check`, which validates it (throwing
 * with the manifest's `path` in its message) and returns it typed. Fails as not-found when the folder or the manifest
 * is missing, and as a bad file when the manifest is not JSON.
 */
export async function readModelManifest<T>(dir: string, name: string, check: (json: unknown, path: string) => T): Promise<T> {
  const path = joinPath(dir, name);
  // A URL's folder cannot be asked whether it exists; its manifest missing says enough.
  if (!isUrl(dir) && !existsSync(dir)) throw new GenlabError('not-found', `${dir}: no such model folder`);
  const bytes = await readAt(path);
  if (!bytes) throw new GenlabError('not-found', `${path}: missing, so ${dir} is not a saved genlab model`);
  return check(parseJson(bytes, path), path);
}

/** The bytes of the extra file `name` of the saved model folder `dir`; a bad file `ifMissing` (the reason) when absent. */
export async function readModelBinaryFile(dir: string, name: string, ifMissing: string): Promise<ArrayBuffer> {
  const file = joinPath(dir, name);
  const bytes = await readAt(file);
  if (!bytes) throw badFile(file, ifMissing);
  return arrayBuffer(bytes);
}
