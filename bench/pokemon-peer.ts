/**
 * The 20×20 Pokémon GAN in PyTorch (bench/pokemon_gan_peer.py: genlab's recipe, with an RGB output or its palette head) for a fixed
 * wall time, measured as `genlab eval` measures a Pokémon run: the memorisation check against the training sprites and
 * their mirrors, colours, and the classifier two-sample test; with a grid of its first 64 samples and a person's blind
 * grid (32 held-out sprites, 32 samples; key beside it). Is the Pokémon grid genlab's limit or the machine's?
 *
 *   node --import tsx bench/pokemon-peer.ts [--minutes 25] [--out runs/peer-pokemon] [--seed 0] [--filters 32,64,128] [--threads 2] [--palette 8 --palette-entropy 1] [--blind-seed 0]
 *
 * Needs Debian's python3-torch (`apt-get install -y python3-torch`); run with nothing else on the machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initEngine } from '../src/engine/backend.js';
import { loadDataset } from '../src/data/registry.js';
import { withMirrorImages } from '../src/data/dataset.js';
import { memorisationQuality } from '../src/eval/sample-quality.js';
import { blindGrid } from '../src/eval/blind-test.js';
import { writeImageGrid } from '../src/viz/grid.js';

const SIZE = 20;
const MEASURED = 1000;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '25' },
    out: { type: 'string', default: 'runs/peer-pokemon' },
    seed: { type: 'string', default: '0' },
    filters: { type: 'string', default: '32,64,128' },
    threads: { type: 'string', default: '2' },
    palette: { type: 'string', default: '0' },
    'palette-entropy': { type: 'string', default: '0' },
    'blind-seed': { type: 'string', default: '0' },
  },
});
const seed = Number(values.seed);
await initEngine();
const { train, test } = await loadDataset('pokemon', { size: SIZE, seed });
const shape = [SIZE, SIZE, 3] as const;
await mkdir(values.out, { recursive: true });
const dataFile = join(values.out, 'train.f32');
await writeFile(dataFile, new Uint8Array(train.data.buffer, train.data.byteOffset, train.data.byteLength));
await writeFile(`${dataFile}.json`, JSON.stringify({ shape: [train.count, ...shape] }));

// The peer at its best: OpenBLAS free to pick its kernels (see ../shared/peer/README.md).
const { OPENBLAS_CORETYPE: _core, OPENBLAS_L2_SIZE: _l2, ...env } = process.env;
const script = new URL('./pokemon_gan_peer.py', import.meta.url).pathname;
const args = [script, '--data', dataFile, '--out', values.out, '--minutes', values.minutes, '--seed', values.seed, '--filters', values.filters, '--threads', values.threads, '--palette', values.palette, '--palette-entropy', values['palette-entropy'], '--samples', String(2 * MEASURED)];
const peer = spawnSync('/usr/bin/python3', args, { env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (peer.status !== 0) throw new Error(`pokemon_gan_peer.py exited ${peer.status}`);
const figures = JSON.parse(peer.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

const all = new Float32Array((await readFile(join(values.out, 'samples.f32'))).buffer.slice(0));
const size = SIZE * SIZE * 3;
const drawn = all.subarray(0, MEASURED * size);
const more = all.subarray(MEASURED * size);
const splits = { train: withMirrorImages(train), test: withMirrorImages(test) };
const { report } = await memorisationQuality(drawn, MEASURED, shape, splits, seed, async (count) => more.subarray(0, count * size));
console.log(JSON.stringify({ ...figures, ...report }));

await writeImageGrid(join(values.out, 'samples-64.png'), { data: drawn.subarray(0, 64 * size), count: 64, shape: [...shape] }, { columns: 8, scale: 4 });
// The blind grid: held-out sprites and unseen samples shuffled (the board's "Can you tell?" at twice its size); a judge
// who has seen one grid takes another --blind-seed, whose sprites and cells differ. Samples 1,100 onwards: the grids
// judged in README.
const { images, layout } = blindGrid(test, more.subarray(100 * size), 32, size, Number(values['blind-seed']));
await writeImageGrid(join(values.out, 'blind.png'), { data: images, count: 64, shape: [...shape] }, { columns: 8, scale: 4, labels: layout.map((_, i) => String(i + 1)) });
await writeFile(join(values.out, 'blind.png.key.json'), JSON.stringify(layout));
