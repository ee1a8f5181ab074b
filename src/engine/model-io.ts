/**
 * Saving and loading TF.js layers models as the standard `model.json` + `weights.bin` pair (what tfjs-node's
 * `file://` handler and the converter write), so a model trained in Node opens with stock `tf.loadLayersModel`
 * anywhere, the browser lab included. Writes are atomic: a folder is written aside and renamed into place.
 *
 * This is the one module through which saved models touch the file system: the model classes (src/models) read and
 * write their folders (networks, manifest, extra binary files) with the functions here and import no Node module, so
 * the browser build (web/vite.config.ts) stubs only this module's Node imports, not theirs.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GenlabError, badFile } from './errors.js';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

/** Joins path segments (node:path `join`), for the model classes, which import no Node module themselves. */
export function joinPath(...parts: string[]): string {
  return join(...parts);
}

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

/** Loads a layers model saved by `saveLayersModel` (or tfjs-node / the converter) from folder `dir`. */
export async function loadLayersModel(dir: string): Promise<tfl.LayersModel> {
  const file = join(dir, MODEL_FILE);
  if (!existsSync(file)) throw new GenlabError('not-found', `${file}: no saved model here (expected model.json and weights.bin)`);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as tf.io.ModelJSON;
  } catch (e) {
    throw badFile(file, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw badFile(file, 'not a TF.js layers model (modelTopology or weightsManifest missing)');
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const path of group.paths) {
      const bytes = await readFile(join(dir, path)).catch(() => {
        throw badFile(join(dir, path), 'weights file missing');
      });
      buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    }
  }
  const weightData = tf.io.concatenateArrayBuffers(buffers);
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * (s.dtype === 'float32' || s.dtype === 'int32' ? 4 : 1), 0);
  if (!specs.some((s) => s.quantization) && weightData.byteLength !== expected) {
    throw badFile(join(dir, WEIGHTS_FILE), `${weightData.byteLength} bytes of weights, expected ${expected}`);
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
  const path = join(dir, name);
  if (!existsSync(dir)) throw new GenlabError('not-found', `${dir}: no such model folder`);
  if (!existsSync(path)) throw new GenlabError('not-found', `${path}: missing, so ${dir} is not a saved genlab model`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw badFile(path, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return check(json, path);
}

/** The bytes of the extra file `name` of the saved model folder `dir`; a bad file `ifMissing` (the reason) when absent. */
export async function readModelBinaryFile(dir: string, name: string, ifMissing: string): Promise<ArrayBuffer> {
  const file = join(dir, name);
  if (!existsSync(file)) throw badFile(file, ifMissing);
  const bytes = await readFile(file);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
