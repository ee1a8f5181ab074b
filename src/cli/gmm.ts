/**
 * `genlab gmm fit | sample | score`: Gaussian mixture models fitted by EM, as scikit-learn's GaussianMixture.
 *
 *   genlab gmm fit data.csv -k 8 --out model.json --plot fit.png
 *   genlab gmm fit ring8 -k auto --json
 *   genlab gmm sample model.json -n 1000 --out samples.csv
 *   genlab gmm score model.json data.csv --out scores.csv
 */
import type { Command } from 'commander';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import {
  badFile,
  badInput,
  COVARIANCE_TYPES,
  encodeNpy,
  exampleSize,
  GaussianMixture,
  GenlabError,
  INIT_METHODS,
  loadDataset,
  readDelimitedFile,
  selectComponents,
  writeMixturePlot,
  type CovarianceType,
  type InitMethod,
  type Matrix,
  type SelectionRow,
} from '../index.js';
import { choiceOption, datasetOption, intOption, numberOption } from './options.js';
import { progressFor } from './progress.js';

/** Points loaded for the GMM commands. */
interface LoadedPoints extends Matrix {
  name: string;
}

/**
 * A delimited file (.csv/.tsv/.txt) is read in float64 and in file order (what scikit-learn fits when it reads the
 * same file); anything else — a .npy file, a built-in dataset name — through loadDataset, all of its rows (no test
 * split), images flattened to one row each.
 */
export async function loadPoints(spec: string, seed: number): Promise<LoadedPoints> {
  if (/\.(csv|tsv|txt)$/i.test(spec)) {
    const table = await readDelimitedFile(spec);
    return { name: spec, rows: table.rows, cols: table.cols, data: table.data };
  }
  const { train } = await loadDataset(spec, { seed, testFraction: 0 });
  return { name: train.name, rows: train.count, cols: exampleSize(train.shape), data: train.data };
}

/** Reads a model saved by `gmm fit --out`. */
export async function readModel(file: string): Promise<GaussianMixture<CovarianceType>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GenlabError('not-found', `${file}: no such model file`);
    throw badFile(file, `cannot be read (${code ?? (e as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw badFile(file, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  try {
    return GaussianMixture.fromJSON(json);
  } catch (e) {
    if (e instanceof GenlabError) throw badFile(file, `not a saved GMM: ${e.message.replace(/^GaussianMixture\.fromJSON:?\s*/, '')}`);
    throw e;
  }
}

/** Writes rows × cols values as .csv/.tsv (header row) or .npy (float32), chosen by the extension. */
async function writeTable(file: string, header: string[], rows: number, cols: number, value: (i: number, j: number) => number): Promise<void> {
  const ext = extname(file).toLowerCase();
  await mkdir(dirname(file), { recursive: true });
  if (ext === '.npy') {
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = value(i, j);
    await writeFile(file, encodeNpy([rows, cols], data));
    return;
  }
  if (ext !== '.csv' && ext !== '.tsv') throw badInput(file, `expected a .csv, .tsv or .npy file name, got '${ext || 'no extension'}'`);
  const sep = ext === '.tsv' ? '\t' : ',';
  const lines = [header.join(sep)];
  const cells = new Array<string>(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) cells[j] = String(value(i, j));
    lines.push(cells.join(sep));
  }
  await writeFile(file, lines.join('\n') + '\n');
}

const round = (v: number, digits = 6): number => Number(v.toFixed(digits));

function printTable(rows: SelectionRow[], bestK: number, criterion: string): string {
  const lines = ['    k          bic          aic  logLik/pt  iters  converged'];
  for (const r of rows) {
    lines.push(
      `${r.k === bestK ? '*' : ' '}${String(r.k).padStart(4)} ${r.bic.toFixed(2).padStart(12)} ${r.aic.toFixed(2).padStart(12)} ` +
        `${r.logLikelihood.toFixed(4).padStart(10)} ${String(r.iterations).padStart(6)}  ${r.converged ? 'yes' : 'no'}`,
    );
  }
  lines.push(`(* lowest ${criterion.toUpperCase()})`);
  return lines.join('\n');
}

interface FitFlags {
  components: number | 'auto';
  covariance: CovarianceType;
  init: InitMethod;
  nInit: number;
  maxIter: number;
  tol: number;
  regCovar: number;
  seed: number;
  threads?: number;
  range: [number, number];
  criterion: 'bic' | 'aic';
  out?: string;
  plot?: string;
  json?: boolean;
}

function componentsOption(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  return intOption('-k', 1, 1000, 'each component keeps a mean and a covariance')(value);
}

function rangeOption(value: string): [number, number] {
  const m = /^(\d+)(?::|-|\.\.)(\d+)$/.exec(value.trim());
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2]) : NaN;
  if (!(lo >= 1 && hi >= lo)) throw badInput('--range', `expected MIN:MAX with 1 <= MIN <= MAX, got '${value}'`);
  return [lo, hi];
}

async function fit(spec: string, flags: FitFlags): Promise<void> {
  const points = await loadPoints(spec, flags.seed);
  const warnings: string[] = [];
  const onWarning = (m: string) => {
    warnings.push(m);
    process.stderr.write(`genlab: warning: ${m}\n`);
  };
  const config = {
    covariance: flags.covariance,
    init: flags.init,
    nInit: flags.nInit,
    maxIter: flags.maxIter,
    tol: flags.tol,
    regCovar: flags.regCovar,
    seed: flags.seed,
    ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
    onWarning,
  };
  if (flags.plot !== undefined) {
    const ext = extname(flags.plot).toLowerCase();
    if (ext !== '.png' && ext !== '.svg') throw badInput('--plot', `expected a .png or .svg file name, got '${flags.plot}'`);
    if (points.cols < 2) throw badInput('--plot', `draws two dims of the points, but ${points.name} has ${points.cols}`);
  }
  if (flags.components !== 'auto' && flags.components > points.rows) {
    throw badInput('-k', `expected at most the number of points in ${points.name} (${points.rows}), got ${flags.components}`);
  }
  const t0 = performance.now();
  let gmm: GaussianMixture<CovarianceType>;
  let selection: { table: SelectionRow[]; bestK: number } | undefined;
  // Progress in EM iterations: maxIter per initialisation at most (a run that converges early skips the rest).
  const fits = flags.components === 'auto' ? Math.min(flags.range[1], points.rows) - flags.range[0] + 1 : 1;
  const perFit = flags.nInit * Math.max(1, flags.maxIter);
  const bar = progressFor(flags.components === 'auto' ? `gmm fit: K = ${flags.range[0]}…${flags.range[1]}` : `gmm fit: K = ${flags.components}`);
  let fitted = 0;
  const onIteration = ({ init, iteration }: { init: number; iteration: number }): void => bar.options.onProgress?.(fitted * perFit + init * Math.max(1, flags.maxIter) + iteration, fits * perFit);
  const onFit = (): void => bar.options.onProgress?.(++fitted * perFit, fits * perFit);
  try {
    if (flags.components === 'auto') {
      const result = selectComponents<CovarianceType>(points, { ...config, range: flags.range, criterion: flags.criterion, onIteration, onFit });
      gmm = result.best;
      selection = { table: result.table, bestK: result.bestK };
    } else {
      gmm = new GaussianMixture<CovarianceType>({ ...config, components: flags.components, onIteration }).fit(points);
    }
  } finally {
    bar.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  const logLikelihood = gmm.score(points);
  const n = points.rows;
  const report = {
    k: gmm.components,
    covariance: gmm.config.covariance,
    iterations: gmm.iterations,
    converged: gmm.converged,
    logLikelihood,
    bic: -2 * logLikelihood * n + gmm.parameterCount * Math.log(n),
    aic: -2 * logLikelihood * n + 2 * gmm.parameterCount,
    seconds: round(seconds, 4),
    ...(selection ? { selection: selection.table } : {}),
    ...(warnings.length ? { warnings } : {}),
  };
  if (flags.out) {
    await mkdir(dirname(flags.out), { recursive: true });
    await writeFile(flags.out, JSON.stringify(gmm.toJSON()) + '\n');
  }
  if (flags.plot) {
    await writeMixturePlot(flags.plot, points.data, points.cols, gmm, {
      labels: gmm.predict(points),
      title: `${points.name}: ${gmm.components} components (${gmm.config.covariance})`,
    });
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
    return;
  }
  const lines: string[] = [];
  if (selection) lines.push(printTable(selection.table, selection.bestK, flags.criterion), '');
  if (selection && selection.bestK === flags.range[1] && flags.range[1] < n) {
    lines.push(`note: K = ${selection.bestK} is the largest K tried: a wider --range (e.g. ${flags.range[0]}:${2 * flags.range[1]}) may find a better one`, '');
  }
  lines.push(
    `${points.name}: ${n} points × ${points.cols} dims, ${report.k} components (${report.covariance}), ` +
      `${report.converged ? 'converged' : 'NOT converged'} after ${report.iterations} iterations in ${seconds.toFixed(2)} s`,
    `mean log-likelihood ${logLikelihood.toFixed(4)} nats/point · BIC ${report.bic.toFixed(1)} · AIC ${report.aic.toFixed(1)}`,
    `weights ${gmm.weights.map((w) => w.toFixed(3)).join(' ')}`,
  );
  if (flags.out) lines.push(`model → ${flags.out}`);
  if (flags.plot) lines.push(`plot → ${flags.plot}`);
  process.stdout.write(lines.join('\n') + '\n');
}

async function sample(modelFile: string, flags: { n: number; seed: number; out: string; labels?: boolean; json?: boolean }): Promise<void> {
  const gmm = await readModel(modelFile);
  const { points, labels } = gmm.sample(flags.n, flags.seed);
  const d = points.cols;
  const header = Array.from({ length: d }, (_, j) => `x${j}`);
  if (flags.labels) header.push('component');
  await writeTable(flags.out, header, points.rows, header.length, (i, j) => (j < d ? points.data[i * d + j]! : labels[i]!));
  if (flags.json) process.stdout.write(JSON.stringify({ n: points.rows, dims: d, out: flags.out }) + '\n');
  else process.stdout.write(`${points.rows} points × ${d} dims → ${flags.out}\n`);
}

async function score(modelFile: string, spec: string, flags: { seed: number; out?: string; json?: boolean }): Promise<void> {
  const gmm = await readModel(modelFile);
  const points = await loadPoints(spec, flags.seed);
  if (points.cols !== gmm.dims) throw badInput(spec, `points have ${points.cols} dims, the model ${modelFile} has ${gmm.dims}`);
  const scores = gmm.scoreSamples(points);
  const labels = gmm.predict(points);
  let total = 0;
  for (const s of scores) total += s;
  const n = points.rows;
  const logLikelihood = total / n;
  if (flags.out) await writeTable(flags.out, ['log_density', 'component'], n, 2, (i, j) => (j === 0 ? scores[i]! : labels[i]!));
  const report = {
    n,
    logLikelihood,
    bic: -2 * total + gmm.parameterCount * Math.log(n),
    aic: -2 * total + 2 * gmm.parameterCount,
  };
  if (flags.json) process.stdout.write(JSON.stringify(report) + '\n');
  else {
    process.stdout.write(
      `${points.name}: ${n} points, mean log-likelihood ${logLikelihood.toFixed(4)} nats/point · BIC ${report.bic.toFixed(1)} · AIC ${report.aic.toFixed(1)}` +
        (flags.out ? `\nscores → ${flags.out}` : '') +
        '\n',
    );
  }
}

/** `genlab gmm fit|sample|score`. */
export function registerGmmCommands(program: Command): void {
  const gmm = program.command('gmm').description("Gaussian mixture models fitted by EM (scikit-learn's GaussianMixture)");

  gmm
    .command('fit')
    .description('fit a Gaussian mixture to points (a .csv/.tsv/.txt/.npy file or a dataset name)')
    .argument('<data>', 'points file or dataset name', datasetOption('data'))
    .requiredOption('-k, --components <K>', 'number of components, or "auto" to choose it by BIC/AIC', componentsOption)
    .option('--covariance <type>', `covariance type: ${COVARIANCE_TYPES.join(', ')}`, choiceOption('--covariance', COVARIANCE_TYPES), 'full')
    .option('--init <method>', `initialisation: ${INIT_METHODS.join(', ')}`, choiceOption('--init', INIT_METHODS), 'kmeans')
    .option('--n-init <N>', 'initialisations; the best lower bound is kept', intOption('--n-init', 1, 1000, 'each initialisation is a whole EM fit'), 1)
    .option('--max-iter <N>', 'EM iterations at most', intOption('--max-iter', 0, 1_000_000, 'EM converges long before'), 100)
    .option('--tol <X>', 'stop when the mean log-likelihood changes by less', numberOption('--tol', 0), 1e-3)
    .option('--reg-covar <X>', 'added to every variance', numberOption('--reg-covar', 0), 1e-6)
    .option('--seed <S>', 'seed of the initialisation', intOption('--seed', 0), 0)
    .option('--threads <N>', 'threads a fit shares its passes with (default 2 where there are 2 cores; any count gives the same result)', intOption('--threads', 1, 64, 'a pass has at most 64 chunks to share'))
    .option('--range <MIN:MAX>', 'with -k auto: the numbers of components to try', rangeOption, [1, 10])
    .option('--criterion <name>', 'with -k auto: bic or aic', choiceOption('--criterion', ['bic', 'aic'] as const), 'bic')
    .option('--out <model.json>', 'save the fitted model')
    .option('--plot <file>', 'draw the points and component ellipses (.png or .svg)')
    .option('--json', 'print one JSON object')
    .action((data: string, flags: FitFlags) => fit(data, flags));

  gmm
    .command('sample')
    .description('draw points from a saved model')
    .argument('<model>', 'model.json written by gmm fit --out')
    .requiredOption('-n <N>', 'number of points', intOption('-n', 1, 10_000_000, 'the points are drawn and written at once'))
    .option('--seed <S>', 'seed of the draw', intOption('--seed', 0), 0)
    .requiredOption('--out <file>', 'where to write them (.csv, .tsv or .npy)')
    .option('--labels', 'add a last column with the component of each point')
    .option('--json', 'print one JSON object')
    .action((model: string, flags: { n: number; seed: number; out: string; labels?: boolean; json?: boolean }) => sample(model, flags));

  gmm
    .command('score')
    .description('log-density of each point under a saved model')
    .argument('<model>', 'model.json written by gmm fit --out')
    .argument('<data>', 'points file or dataset name', datasetOption('data'))
    .option('--seed <S>', 'seed for generated datasets', intOption('--seed', 0), 0)
    .option('--out <file>', 'write log_density and component per point (.csv, .tsv or .npy)')
    .option('--json', 'print one JSON object')
    .action((model: string, data: string, flags: { seed: number; out?: string; json?: boolean }) => score(model, data, flags));
}
