/**
 * The one place that knows about TF.js backends. Models, nets and the trainer never choose a backend: they call
 * `initEngine()` (or rely on whoever called it) and use `tf` as it is.
 *
 * Node: `native` (genlab's addon on oneDNN, ./native.ts) when it was built, else `wasm`, `cpu` as the last resort;
 * the fallback is said once, in `describeEngine`'s line. Browser: `webgpu` → `webgl` → `wasm` → `cpu`.
 * `GENLAB_BACKEND` (Node) or the `backend` option override the choice; an explicit choice that cannot start is an
 * error, never a silent fallback. Once the backend is chosen, initEngine installs the fast paths (./fast-paths/:
 * faster layer classes, gradients of genlab's ops, native gradients), and its result says which are in place.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-layers registers the gradients of every tfjs-core op when imported (tfjs-core's Node bundle does not), so
// models built from core ops alone still train.
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { GenlabError, badInput } from './errors.js';
import { describeFastPaths, installFastPaths, type FastPaths } from './fast-paths/index.js';
import { registerWasmTrainingKernels } from './kernels/index.js';

export const NODE_BACKENDS = ['native', 'wasm', 'cpu'] as const;
export const BROWSER_BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BROWSER_BACKENDS)[number] | 'native';

export interface EngineInfo {
  /** The active TF.js backend. */
  backend: BackendName;
  platform: 'node' | 'browser';
  /** Backends tried before this one, with the reason each failed (empty when the first choice worked). */
  fallbacks: { backend: BackendName; reason: string }[];
  /** The fast paths in place (./fast-paths/), as of the last initEngine call. */
  fastPaths: FastPaths;
}

export interface EngineOptions {
  /** Which backend to use; `auto` (the default) picks the fastest that starts. */
  backend?: BackendName | 'auto';
  /** Where the browser loads the wasm binaries from (a URL prefix ending in '/'); unused in Node. */
  wasmPath?: string;
}

let current: EngineInfo | null = null;

export const isBrowser = (): boolean => typeof window !== 'undefined' && typeof document !== 'undefined';

/** The backend order `auto` tries on this platform. */
export function preferredBackends(): readonly BackendName[] {
  return isBrowser() ? BROWSER_BACKENDS : NODE_BACKENDS;
}

function requestedBackend(options: EngineOptions): BackendName | 'auto' {
  const fromEnv = typeof process !== 'undefined' ? process.env?.['GENLAB_BACKEND'] : undefined;
  const requested = options.backend ?? (fromEnv === undefined || fromEnv === '' ? 'auto' : fromEnv);
  const valid = preferredBackends();
  if (requested !== 'auto' && !(valid as readonly string[]).includes(requested)) {
    const where = options.backend !== undefined ? '--backend' : 'GENLAB_BACKEND';
    throw badInput(where, `unknown backend '${requested}', expected one of: auto, ${valid.join(', ')}`);
  }
  return requested as BackendName | 'auto';
}

async function loadBrowserBackend(name: BackendName, options: EngineOptions): Promise<void> {
  if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (name === 'wasm' && options.wasmPath !== undefined) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(options.wasmPath);
  }
}

async function tryBackend(name: BackendName, options: EngineOptions): Promise<string | null> {
  try {
    if (isBrowser()) await loadBrowserBackend(name, options);
    if (name === 'native') {
      // A specifier bundlers leave alone: the browser build must not pull in the Node addon's loader.
      const specifier = './native.js';
      const native = (await import(/* @vite-ignore */ specifier)) as typeof import('./native.js');
      native.registerNativeBackend();
    }
    const ok = await tf.setBackend(name);
    if (!ok) return 'failed to initialise';
    await tf.ready();
    // Also with native: wasm stays registered in Node, and code that switches to it (tf.setBackend) must find it whole.
    if (name === 'wasm' || name === 'native') registerWasmTrainingKernels();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
}

/**
 * Starts TF.js on the requested backend (idempotent for the same request) and reports which one is active.
 * Throws a GenlabError when an explicitly requested backend cannot start.
 */
export async function initEngine(options: EngineOptions = {}): Promise<EngineInfo> {
  const requested = requestedBackend(options);
  // Production mode skips TF.js's debug-only checks and its console banner urging Node users to install
  // tfjs-node, which cannot be installed here (its install downloads a binary).
  if (!isBrowser()) tf.enableProdMode();
  if (current && (requested === 'auto' || requested === current.backend)) {
    // Cheap when all is in place; puts back what a copy of tfjs-layers evaluated since may have replaced.
    current.fastPaths = installFastPaths();
    return current;
  }
  const candidates = requested === 'auto' ? preferredBackends() : [requested];
  const fallbacks: EngineInfo['fallbacks'] = [];
  for (const name of candidates) {
    const reason = await tryBackend(name, options);
    if (reason === null) {
      current = { backend: name, platform: isBrowser() ? 'browser' : 'node', fallbacks, fastPaths: installFastPaths() };
      return current;
    }
    fallbacks.push({ backend: name, reason });
  }
  const detail = fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ');
  throw new GenlabError('unsupported', `engine: no TF.js backend could start (${detail})`);
}

/** The engine's state, or null before `initEngine` ran. */
export function engineInfo(): EngineInfo | null {
  return current;
}

/** One line for logs: `backend wasm (native unavailable: …); fast paths: 5 layers, 10 op gradients, shared tape saves`. */
export function describeEngine(info: EngineInfo): string {
  const fell = info.fallbacks.map((f) => `${f.backend} unavailable: ${f.reason}`).join('; ');
  return `backend ${info.backend}${fell ? ` (${fell})` : ''}; ${describeFastPaths(info.fastPaths)}`;
}
