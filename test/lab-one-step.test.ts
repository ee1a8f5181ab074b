/**
 * One training step (src/train/step.ts: TrainStep) for the lab, the CLI and the tests — checked by reading the
 * sources, no browser needed:
 * - the lab's page code (web/src/**) trains only through TrainStep: no `minimize`, `variableGrads`, `applyGradients`,
 *   `tf.train.*`, optimiser constructed or weight assigned outside it, no layers-model `fit`; it imports genlab from
 *   src/browser.ts only; and the pages that train construct a TrainStep;
 * - in src/, only step.ts computes gradients and applies them for training; the optimiser module (which builds the
 *   optimisers TrainStep uses) and the known exceptions below are the only other places that touch optimisers.
 * Each finding names its file and line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Ways of training other than TrainStep. */
const OTHER_TRAINING: { what: string; re: RegExp }[] = [
  { what: 'optimizer.minimize', re: /\bminimize\s*\(/ },
  { what: 'tf.variableGrads', re: /\bvariableGrads\s*\(/ },
  { what: 'optimizer.applyGradients', re: /\bapplyGradients\s*\(/ },
  { what: 'tf.train.* (an optimiser of its own)', re: /\btrain\s*\.\s*(adam|adamax|adagrad|adadelta|sgd|momentum|rmsprop)\b|\btf\s*\.\s*train\b/ },
  { what: 'createOptimizer (an optimiser outside TrainStep)', re: /\bcreateOptimizer\s*\(/ },
  { what: 'an optimiser constructed', re: /\bnew\s+[\w.]*(Optimizer|Adam|SGD|Momentum|RMSProp)\w*\s*[(<]/ },
  { what: 'a variable assigned', re: /(?<!\bObject)\.assign\s*\(/ },
  { what: 'a layers model trained by itself', re: /\.(fitDataset|trainOnBatch|compile)\s*\(/ },
];

interface Finding {
  file: string;
  line: number;
  what: string;
  text: string;
}

/** The source without comments, lines kept where they were (block comments become blank lines). */
export function stripComments(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Every match of `rules` in `source` (comments ignored), as file:line findings. */
export function scan(file: string, source: string, rules = OTHER_TRAINING): Finding[] {
  const out: Finding[] = [];
  stripComments(source)
    .split('\n')
    .forEach((text, i) => {
      for (const { what, re } of rules) if (re.test(text)) out.push({ file, line: i + 1, what, text: text.trim() });
    });
  return out;
}

const show = (fs: Finding[]): string => fs.map((f) => `  ${f.file}:${f.line}: ${f.what}: ${f.text}`).join('\n');

/** The .ts files under `dir` (relative to the repository, '/'-separated). */
function tsFiles(dir: string): string[] {
  return (readdirSync(join(ROOT, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => relative(ROOT, join(ROOT, dir, f)).split(sep).join('/'))
    .sort();
}
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

test('the scanner finds each way of training by file and line, and ignores comments', () => {
  const src = [
    '// optimizer.minimize(() => loss) in a comment is fine',
    '/* tf.variableGrads(f) in a block',
    '   comment, over two lines */',
    'const o = tf.train.adam(1e-3);',
    'o.minimize(() => loss, false, vars);',
    'const { grads } = tf.variableGrads(f, vars);',
    'o.applyGradients(grads);',
    'const p = createOptimizer(resolveOptimizerOptions({}));',
    'const q = new tf.AdamOptimizer(0.1, 0.9, 0.999);',
    'w.assign(tf.zeros([2]));',
    'Object.assign(el.dataset, { step: "1" });',
    'model.compile({ optimizer: "sgd", loss: "meanSquaredError" });',
    'const g = tf.grad((x) => f(x))(x); // a gradient to draw arrows with: fine',
    "const url = 'http://127.0.0.1/'; o.minimize(f);",
  ].join('\n');
  const found = scan('page.ts', src).map((f) => `${f.line} ${f.what}`);
  assert.deepEqual(found, [
    '4 tf.train.* (an optimiser of its own)',
    '5 optimizer.minimize',
    '6 tf.variableGrads',
    '7 optimizer.applyGradients',
    '8 createOptimizer (an optimiser outside TrainStep)',
    '9 an optimiser constructed',
    '10 a variable assigned',
    '12 a layers model trained by itself',
    '14 optimizer.minimize',
  ]);
});

test('the lab\'s page code trains only through TrainStep, imported from src/browser.ts', () => {
  const files = tsFiles('web/src');
  assert.ok(files.includes('web/src/kl.ts') && files.includes('web/src/lib/gan-live.ts'), `web/src: ${files.join(', ')}`);
  const findings = files.flatMap((f) => scan(f, read(f)));
  assert.equal(findings.length, 0, `the lab trains other than through TrainStep (src/train/step.ts, from src/browser.ts):\n${show(findings)}`);

  // genlab only through its browser entry (where TrainStep comes from), never a module of src/ directly.
  const imports = files.flatMap((f) =>
    stripComments(read(f))
      .split('\n')
      .flatMap((text, i) => {
        const m = /\bfrom\s+['"]([^'"]*\/src\/[^'"]*)['"]|import\s*\(\s*['"]([^'"]*\/src\/[^'"]*)['"]/.exec(text);
        const spec = m?.[1] ?? m?.[2];
        return spec && !/(^|\/)src\/browser\.js$/.test(spec) ? [{ file: f, line: i + 1, what: `imports ${spec}`, text: text.trim() }] : [];
      }),
  );
  assert.equal(imports.length, 0, `web/ imports genlab from src/browser.ts only:\n${show(imports)}`);

  // The pages that train do it with the one step.
  for (const f of ['web/src/kl.ts', 'web/src/lib/gan-live.ts']) {
    const code = stripComments(read(f));
    assert.match(code, /\bnew\s+TrainStep\s*\(/, `${f}: trains without constructing a TrainStep`);
    assert.match(code, /\.run\s*\(/, `${f}: never runs its TrainStep`);
  }
});

/**
 * Files of src/ that may touch optimisers besides the step, and why. Every entry must still need its exception (a
 * stale one fails the test, so the list stays true).
 */
const SRC_EXCEPTIONS: Record<string, string> = {
  // Builds the optimisers TrainStep uses (Adam with a fused update, SGD, momentum); FusedAdam overrides
  // applyGradients — the optimiser's own update, called by the step, not a training loop.
  'src/train/optimizers.ts': 'the optimisers themselves',
  // The MNIST feature classifier behind FID/KID/IS is a plain classifier, not a TrainableModel: it trains with its
  // own per-batch augmentation (random shifts), dropout masks and a cosine schedule to 5% of the rate, with
  // optimizer.minimize, and its weights ship in assets/ (`genlab classifier train` re-creates them). Moving it onto
  // TrainStep would change those weights and every image metric computed with them.
  'src/eval/mnist-classifier.ts': 'the MNIST feature classifier (eval), trained by its own loop',
  // The classifier two-sample test trains a throwaway classifier inside `genlab eval` (a measurement, not a model:
  // no loss groups, checkpoints or callbacks), three layers of raw variables fitted by optimizer.minimize and
  // disposed before the eval returns.
  'src/eval/two-sample.ts': 'the two-sample test’s throwaway classifier (eval), trained by its own loop',
};

test('src/: only src/train/step.ts computes gradients and applies them for training (known exceptions listed)', () => {
  // Weights are assigned legitimately in src/ (batch-norm statistics put back, historical averages, checkpoints).
  const rules = OTHER_TRAINING.filter((r) => r.what !== 'a variable assigned');
  const findings = tsFiles('src').flatMap((f) => scan(f, read(f), rules));
  const byFile = new Map<string, Finding[]>();
  for (const f of findings) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);

  // The one training step: variableGrads and applyGradients on each group's variables, its optimisers from createOptimizer.
  const step = (byFile.get('src/train/step.ts') ?? []).map((f) => f.what);
  for (const what of ['tf.variableGrads', 'optimizer.applyGradients']) assert.ok(step.includes(what), `src/train/step.ts no longer uses ${what}: ${step.join(', ')}`);
  byFile.delete('src/train/step.ts');

  // Gradients applied for training: nowhere else (the optimiser module only defines and forwards applyGradients).
  const gradientTraining = findings.filter(
    (f) => f.file !== 'src/train/step.ts' && (f.what === 'tf.variableGrads' || (f.what === 'optimizer.applyGradients' && !(f.file === 'src/train/optimizers.ts' && /\boverride\s+applyGradients|\bsuper\.applyGradients/.test(f.text)))),
  );
  assert.equal(gradientTraining.length, 0, `gradients applied for training outside src/train/step.ts:\n${show(gradientTraining)}`);

  for (const [file, why] of Object.entries(SRC_EXCEPTIONS)) {
    assert.ok(byFile.has(file), `${file} (${why}) no longer touches optimisers: remove its exception from this test`);
    byFile.delete(file);
  }
  const rest = [...byFile.values()].flat();
  assert.equal(rest.length, 0, `src/ trains other than through TrainStep (src/train/step.ts):\n${show(rest)}`);
});
