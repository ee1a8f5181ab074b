/**
 * `genlab score` against the shipped pokemon-vae and its reference.json: a held-out Pokémon sprite (a file of the
 * pokesprite-images package whose species is in the test split) gets its log p(x), bits/dim, a percentile among the
 * held-out Pokémon and a verdict, and outranks an MNIST digit saved as a PNG; the sprite's number is the reference's
 * own (every image is scored alone with the reference's k and seed); a malformed reference.json is a one-line error
 * with exit code 2; a model folder without one says how to get percentiles. The library's percentile and verdict
 * are checked on a small hand-made reference.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { loadMnist } from '../src/data/mnist.js';
import { loadPokemon, pokemonSpriteDir } from '../src/data/pokemon.js';
import { checkReferenceScores, formatShare, percentileAmong, referenceVerdict, type ReferenceScores } from '../src/eval/reference-scores.js';
import { ROOT } from './helpers/lab.js';
import { runMain } from './helpers/cli.js';

const MODEL = join(ROOT, 'assets', 'models', 'pokemon-vae');
let work: string;
let sprite: string;
let spriteIndex: number;
let digit: string;
let reference: ReferenceScores;

interface Row {
  input: string;
  logPx: number;
  bitsPerDim: number;
  percentile?: number;
  verdict?: string;
}

/** An 8-bit grey PNG of a [28, 28] digit in [0, 1], as MNIST stores it (white on black). */
function digitPng(values: Float32Array): Buffer {
  const png = new PNG({ width: 28, height: 28 });
  for (let i = 0; i < 784; i++) {
    const v = Math.round(values[i]! * 255);
    png.data.set([v, v, v, 255], i * 4);
  }
  return PNG.sync.write(png);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'genlab-score-percentile-'));
  reference = checkReferenceScores(JSON.parse(await readFile(join(MODEL, 'reference.json'), 'utf8')), 'reference.json');
  const pokemon = await loadPokemon({ seed: 0 });
  assert.equal(reference.heldOut.logPx.length, pokemon.names.test.length, 'the reference scores the whole test split');
  spriteIndex = 0;
  sprite = join(pokemonSpriteDir(), `${pokemon.names.test[spriteIndex]}.png`);
  const mnist = await loadMnist();
  digit = join(work, 'digit.png');
  await writeFile(digit, digitPng(mnist.test.data.subarray(0, 784)));
});

after(() => rm(work, { recursive: true, force: true }));

test('a held-out Pokémon sprite outranks an MNIST digit; its log p(x) is the reference’s own', async () => {
  const r = await runMain(['score', MODEL, sprite, digit, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const [s, d] = JSON.parse(r.stdout) as Row[];
  assert.ok(s && d && s.percentile !== undefined && d.percentile !== undefined, r.stdout);
  assert.ok(s.logPx > d.logPx, `sprite ${s.logPx} vs digit ${d.logPx}`);
  assert.ok(s.percentile > d.percentile, `sprite ${s.percentile} vs digit ${d.percentile}`);
  assert.equal(d.percentile, 0, 'a white-on-black digit is less likely than every held-out Pokémon');
  assert.match(d.verdict!, /not a Pokémon/);
  // Scored alone with the reference's k and seed: the same number, up to the file's 0.001 rounding and the backend's
  // (native, wasm and cpu agree within 0.004 nats on this sprite).
  assert.ok(Math.abs(s.logPx - reference.heldOut.logPx[spriteIndex]!) < 0.05, `${s.logPx} vs the reference's ${reference.heldOut.logPx[spriteIndex]}`);
  assert.equal(s.percentile, percentileAmong(reference, s.logPx));
});

test('the text output: log p(x), bits/dim, the percentile among held-out Pokémon and a verdict', async () => {
  const r = await runMain(['score', MODEL, sprite]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /: log p\(x\) -\d+\.\d nats, \d\.\d{4} bits\/dim\n/);
  assert.match(r.stdout, /\n {2}percentile among held-out Pokémon: (\d+|<1|>99)% — (more Pokémon-like than|less likely than|likelier than)/);
  assert.match(r.stdout, /reference: held-out Pokémon, .* \(--iw-k 100 --seed 0\)/);
});

test('a malformed reference.json is a one-line error with exit code 2; none at all says how to get one', async () => {
  const copy = join(work, 'model');
  await cp(MODEL, copy, { recursive: true });
  const bad = { ...reference, heldOut: { ...reference.heldOut, logPx: [1, 'x'] } };
  for (const content of ['{ not json', JSON.stringify(bad), JSON.stringify({ ...reference, format: 'something-else' })]) {
    await writeFile(join(copy, 'reference.json'), content);
    const r = await runMain(['score', copy, digit]);
    assert.equal(r.code, 2, `${content.slice(0, 40)}: exit ${r.code}`);
    assert.match(r.stderr, /^genlab: .*reference\.json: [^\n]+\n$/, r.stderr);
    assert.equal(r.stdout, '');
  }
  await rm(join(copy, 'reference.json'));
  const none = await runMain(['score', copy, digit]);
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stdout, /log p\(x\)/);
  assert.match(none.stdout, /no percentile: .* has no reference\.json/);
  assert.doesNotMatch(none.stdout, /percentile among/);
});

test('percentileAmong, formatShare and the verdicts on a small reference', () => {
  const ref = checkReferenceScores(
    { format: 'genlab-reference-scores', version: 1, k: 10, seed: 0, subject: 'Pokémon', heldOut: { name: 'p', label: 'held-out Pokémon', how: 'test', logPx: [-40, -30, -20, -10] }, contrasts: [] },
    'ref.json',
  );
  assert.equal(percentileAmong(ref, -50), 0);
  assert.equal(percentileAmong(ref, -25), 0.5);
  assert.equal(percentileAmong(ref, -30.005), 0.375, 'a tie (within 0.01 nats) counts half');
  assert.equal(percentileAmong(ref, 0), 1);
  assert.equal(referenceVerdict(ref, -50), 'less likely than all held-out Pokémon: not a Pokémon');
  assert.equal(referenceVerdict(ref, -15), 'more Pokémon-like than 75% of held-out Pokémon');
  assert.match(referenceVerdict(ref, 0), /^likelier than all held-out Pokémon/);
  assert.deepEqual([0, 0.004, 0.5, 0.996, 1].map(formatShare), ['0%', '<1%', '50%', '>99%', '100%']);
  assert.throws(() => checkReferenceScores({ ...ref, k: 0 }, 'ref.json'), /ref\.json: k: expected an integer >= 1/);
  assert.throws(() => checkReferenceScores({ ...ref, contrasts: [{ name: 'n' }] }, 'ref.json'), /contrasts\[0\]\.label/);
});
