/**
 * The house rules that a reader can check in the sources: the CLI is a client of the library (it imports only the
 * public entry, src/index.ts), and shared code asks what a model can do instead of what kind it is (no `instanceof`
 * a model class, no comparison with a kind's name outside the kinds table). Each finding names its file and line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_KINDS } from '../src/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const sources = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(ROOT, dir, f));
const lines = (file: string): string[] => readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).split('\n');

function findings(dirs: string[], bad: RegExp): string[] {
  return dirs.flatMap(sources).flatMap((file) =>
    lines(file).flatMap((text, i) => (bad.test(text.replace(/\/\/.*$/, '')) ? [`${relative(ROOT, file)}:${i + 1}: ${text.trim()}`] : [])),
  );
}

test('src/cli imports the library only through its public entry (src/index.ts)', () => {
  assert.deepEqual(findings(['src/cli'], /from '\.\.\/(?!index\.js')[^']*'/), []);
});

test('no branching on model kinds or classes in cli/, train/, eval/ or web/: capabilities decide', () => {
  const classes = /instanceof\s+(VAE|ConditionalVAE|GAN|VAEGAN|AdversarialBase|Autoencoder|DenoisingAutoencoder|LatentModelBase)\b/;
  const kindNames = new RegExp(`\\bkind\\s*[!=]==?\\s*'(${MODEL_KINDS.join('|')})'|'(${MODEL_KINDS.join('|')})'\\s*[!=]==?\\s*[\\w.]*kind\\b`);
  const datasetNames = /(dataName|data\.name|\.name)\s*[!=]==?\s*'(mnist|pokemon|moons|ring8|grid25|gauss1d)'/;
  const dirs = ['src/cli', 'src/train', 'src/eval', 'web/src'];
  assert.deepEqual(findings(dirs, classes), []);
  assert.deepEqual(findings(dirs, kindNames), []);
  assert.deepEqual(findings(dirs, datasetNames), []);
});
