/**
 * Schema checks of a TF.js layers model.json before TF.js sees it: TF.js trusts the file, and a corrupt one makes it
 * throw TypeErrors from deep inside, allocate what a forged shape says, or loop forever (a layer whose inputs form a
 * cycle: its functional-model deserialiser waits for nodes that can never be built). Checked here:
 *
 * - weightsManifest: a list of groups of relative paths (no `..`, not absolute) and weight specs (a name, a known
 *   dtype, a shape of non-negative integers whose product stays within MAX_WEIGHT_VALUES);
 * - modelTopology: a Sequential or functional model (nested ones too): every layer named once, every inbound node
 *   naming an existing layer and one of its nodes, input and output layers that exist, and no cycle.
 *
 * Pure (no Node module): engine/model-io.ts calls it once per model.json it reads.
 */
import { badFile } from './errors.js';

/** Most values one weight tensor may hold: 2^28 (1 GiB of float32), far above any network genlab builds. */
const MAX_WEIGHT_VALUES = 2 ** 28;
const DTYPES = ['float32', 'int32', 'bool', 'uint8', 'uint16', 'float16'];
/** Nested models deeper than this are not something genlab writes. */
const MAX_DEPTH = 16;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Throws a one-line bad-file error naming `file` unless `json` is a well-formed layers model.json. */
export function checkModelJson(file: string, json: unknown): void {
  const fail = (what: string): never => {
    throw badFile(file, what);
  };
  if (!isObject(json)) return fail('not a TF.js layers model (expected a JSON object)');
  checkManifest(json['weightsManifest'], fail);
  const topology = json['modelTopology'];
  if (!isObject(topology)) return fail('not a TF.js layers model (modelTopology is not an object)');
  // Keras writes { class_name, config } at the top, or under model_config.
  const model = isObject(topology['model_config']) ? topology['model_config'] : topology;
  checkModel(model, 0, fail);
}

function checkManifest(manifest: unknown, fail: (what: string) => never): void {
  if (!Array.isArray(manifest)) fail('weightsManifest is not a list');
  const names = new Set<string>();
  for (const group of manifest as unknown[]) {
    if (!isObject(group) || !Array.isArray(group['paths']) || !Array.isArray(group['weights'])) fail('weightsManifest: each group needs "paths" and "weights" lists');
    const g = group as { paths: unknown[]; weights: unknown[] };
    for (const p of g.paths) {
      if (typeof p !== 'string' || p === '' || p.startsWith('/') || p.startsWith('\\') || /(^|[\\/])\.\.([\\/]|$)/.test(p)) {
        fail(`weightsManifest: weights path ${JSON.stringify(p)} is not a file beside model.json`);
      }
    }
    for (const w of g.weights) {
      if (!isObject(w) || typeof w['name'] !== 'string') fail('weightsManifest: a weight without a name');
      const spec = w as { name: string; shape?: unknown; dtype?: unknown; quantization?: unknown };
      if (names.has(spec.name)) fail(`weightsManifest: weight ${spec.name} is listed twice`);
      names.add(spec.name);
      if (typeof spec.dtype !== 'string' || !DTYPES.includes(spec.dtype)) fail(`weightsManifest: weight ${spec.name} has dtype ${JSON.stringify(spec.dtype)}`);
      if (!Array.isArray(spec.shape) || spec.shape.length > 8 || !spec.shape.every(isCount)) fail(`weightsManifest: weight ${spec.name} has shape ${JSON.stringify(spec.shape)?.slice(0, 60)}`);
      const size = (spec.shape as number[]).reduce((a, b) => a * b, 1);
      if (size > MAX_WEIGHT_VALUES) fail(`weightsManifest: weight ${spec.name} of shape [${(spec.shape as number[]).join(', ')}] is larger than ${MAX_WEIGHT_VALUES} values`);
    }
  }
}

/** A Sequential or functional model's config (and the models nested in it). */
function checkModel(model: Json, depth: number, fail: (what: string) => never): void {
  if (depth > MAX_DEPTH) fail(`models nested more than ${MAX_DEPTH} deep`);
  const className = model['class_name'];
  const config = model['config'];
  if (typeof className !== 'string') fail('modelTopology: a model without class_name');
  // Old Sequential files hold the list of layers as the config itself.
  const layers = Array.isArray(config) ? config : isObject(config) ? config['layers'] : undefined;
  if (!Array.isArray(layers)) fail(`modelTopology: ${className} has no list of layers`);
  const list = layers as unknown[];
  for (const layer of list) {
    if (!isObject(layer) || typeof layer['class_name'] !== 'string') fail('modelTopology: a layer without class_name');
    const l = layer as Json;
    if (['Sequential', 'Model', 'Functional'].includes(l['class_name'] as string)) checkModel(l, depth + 1, fail);
  }
  if (className === 'Sequential') return; // layers in a list: no references to check, no cycle possible
  checkGraph(list as Json[], isObject(config) ? config : {}, fail);
}

/** A functional model's layers: names, references, and no cycle. */
function checkGraph(layers: Json[], config: Json, fail: (what: string) => never): void {
  const nodes = new Map<string, number>();
  for (const layer of layers) {
    const name = layer['name'] ?? (isObject(layer['config']) ? layer['config']['name'] : undefined);
    if (typeof name !== 'string' || name === '') fail('modelTopology: a layer without a name');
    if (nodes.has(name as string)) fail(`modelTopology: two layers are named ${name}`);
    const inbound = layer['inbound_nodes'] ?? [];
    if (!Array.isArray(inbound)) fail(`modelTopology: layer ${name}'s inbound_nodes is not a list`);
    // An input layer has its own node; any other layer one node per call (entry of inbound_nodes).
    nodes.set(name as string, Math.max(1, (inbound as unknown[]).length));
  }
  const ref = (r: unknown, where: string): string => {
    if (!Array.isArray(r) || typeof r[0] !== 'string' || !isCount(r[1]) || (r[2] !== undefined && !isCount(r[2]))) fail(`modelTopology: ${where} has a malformed reference ${JSON.stringify(r)?.slice(0, 60)}`);
    const [layer, node] = r as [string, number];
    const count = nodes.get(layer);
    if (count === undefined) fail(`modelTopology: ${where} refers to layer ${layer}, which the model does not have`);
    if (node >= count!) fail(`modelTopology: ${where} refers to node ${node} of layer ${layer}, which has ${count}`);
    return layer;
  };
  const edges = new Map<string, Set<string>>();
  for (const layer of layers) {
    const name = (layer['name'] ?? (layer['config'] as Json)['name']) as string;
    const from = new Set<string>();
    for (const node of (layer['inbound_nodes'] ?? []) as unknown[]) {
      // A node is a list of inbound tensors [layer, node, tensor, kwargs] (or, in newer files, { args: … }: checked by TF.js).
      if (!Array.isArray(node)) continue;
      for (const t of node) from.add(ref(t, `layer ${name}`));
    }
    edges.set(name, from);
  }
  for (const key of ['input_layers', 'output_layers']) {
    const list = config[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) fail(`modelTopology: ${key} is not a list`);
    // [name, node, tensor] for one, or a list of them.
    const refs = (list as unknown[]).length > 0 && typeof (list as unknown[])[0] === 'string' ? [list] : (list as unknown[]);
    for (const r of refs) ref(r, key);
  }
  // Depth-first search for a cycle (iterative: a forged file may chain thousands of layers).
  const state = new Map<string, 1 | 2>(); // 1: on the current path, 2: done
  for (const start of edges.keys()) {
    if (state.has(start)) continue;
    const stack: [string, Iterator<string>][] = [[start, edges.get(start)!.values()]];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const next = top[1].next();
      if (next.done) {
        state.set(top[0], 2);
        stack.pop();
        continue;
      }
      const s = state.get(next.value);
      if (s === 1) fail(`modelTopology: the inputs of layer ${next.value} form a cycle (through ${top[0]})`);
      if (s === undefined) {
        state.set(next.value, 1);
        stack.push([next.value, edges.get(next.value)!.values()]);
      }
    }
  }
}
