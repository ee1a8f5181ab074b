/**
 * The `genlab train` command line that reproduces a run, rebuilt from its manifest.json: the kind, the data and
 * their limits, every model option of the kind's config (defaults included: a later genlab may change a default),
 * the training plan and optimiser settings, the seed and the backend. The runs board shows it on a run's page.
 *
 *   genlab train vae --data mnist --out runs/a-rerun --epochs 2 --batch-size 64 --seed 0 … --latent 20 …
 *
 * --quality-samples is not in the manifest: the caller passes what the run's test records say (`qualitySamples`,
 * or 0 when the run logged no sample quality), so that the new run logs the same terms.
 */
import { KINDS, MODEL_OPTIONS, NODE_BACKENDS, isModelKind, optionFlag, type ModelOptionSpec } from '../index.js';

/** `value` quoted for a POSIX shell when it needs it. */
export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

type Json = Record<string, unknown>;
const record = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});

/** The flags of the model options `config` holds, for `kind` (options of other kinds, and derived fields, left out). */
function modelFlags(kind: string, config: Json): string[] {
  if (!isModelKind(kind)) return [];
  const out: string[] = [];
  for (const name of KINDS[kind].options) {
    const value = config[name];
    const spec = (MODEL_OPTIONS as Record<string, ModelOptionSpec>)[name];
    if (value === undefined || value === null || !spec) continue;
    const flag = optionFlag(name);
    if (spec.value.type === 'boolean') {
      if (value === true) out.push(flag);
      else if (spec.value.negatable) out.push(`--no-${flag.slice(2)}`);
    } else if (Array.isArray(value)) {
      if (value.length > 0) out.push(flag, value.join(','));
    } else {
      out.push(flag, String(value));
    }
  }
  return out;
}

/** The training flags of the manifest's resolved options (`optimizer`-specific ones only for that optimiser). */
function trainFlags(options: Json): string[] {
  const out: string[] = [];
  const add = (flag: string, v: unknown): void => {
    if (typeof v === 'number' || typeof v === 'string') out.push(flag, String(v));
  };
  if (typeof options['steps'] === 'number') add('--steps', options['steps']);
  else add('--epochs', options['epochs']);
  add('--batch-size', options['batchSize']);
  add('--optimizer', options['optimizer']);
  add('--lr', options['learningRate']);
  const groupRates = Object.entries(record(options['groupLearningRates'])).filter(([, lr]) => typeof lr === 'number');
  if (groupRates.length > 0) out.push('--group-lr', groupRates.map(([group, lr]) => `${group}=${String(lr)}`).join(','));
  if (options['optimizer'] === 'adam') {
    add('--beta1', options['beta1']);
    add('--beta2', options['beta2']);
  }
  if (options['optimizer'] === 'sgd') add('--momentum', options['momentum']);
  if (options['lrDecay'] !== undefined && options['lrDecay'] !== 'none') add('--lr-decay', options['lrDecay']);
  add('--checkpoint-every', options['checkpointEverySteps']);
  return out;
}

/**
 * The command line that trains the run of `manifest` again into `out` (a new folder: `genlab train` refuses to
 * overwrite a run), or null when the manifest does not say enough (no kind or no data). `qualitySamples`: the
 * samples behind each epoch's sample quality, when known (see above).
 */
export function reproduceCommand(manifest: unknown, out: string, qualitySamples?: number): string | null {
  const m = record(manifest);
  const kind = m['kind'];
  const data = record(m['data']);
  if (typeof kind !== 'string' || typeof data['name'] !== 'string') return null;
  const words = ['genlab', 'train', kind, '--data', data['name'], '--out', out];
  if (typeof data['binarize'] === 'string') words.push('--binarize', data['binarize']);
  if (typeof data['size'] === 'number') words.push('--size', String(data['size']));
  if (typeof data['limit'] === 'number') words.push('--limit', String(data['limit']));
  if (typeof data['testLimit'] === 'number') words.push('--test-limit', String(data['testLimit']));
  if (data['mirror'] === true) words.push('--mirror');
  words.push(...trainFlags(record(m['options'])));
  if (qualitySamples !== undefined) words.push('--quality-samples', String(qualitySamples));
  if (typeof m['seed'] === 'number') words.push('--seed', String(m['seed']));
  if (typeof m['backend'] === 'string' && (NODE_BACKENDS as readonly string[]).includes(m['backend'])) words.push('--backend', m['backend']);
  words.push(...modelFlags(kind, record(m['config'])));
  return words.map(shellWord).join(' ');
}
