/**
 * The small trained models the lab's lecture pages open instantly, shipped in assets/models/NAME/ (a saved model
 * folder as `genlab train` writes it: standard TF.js files + genlab-model.json, plus asset.json: the command that
 * trained it, its seed and backend, and its last test metrics). Each is re-created by the `genlab train` line below,
 * run through the CLI exactly as a user would run it:
 *
 *   npm run assets                   # all of them (about 10 minutes on two cores, native backend)
 *   npm run assets -- moons-vae      # only the named ones
 *
 * Same seed and backend give the same weights (the CLI's promise); another backend gives a model of the same quality
 * that differs in its last bits. Kept small (a few MB in all): narrow MLPs, 2-D codes where a page plots them.
 * After a model is trained, a step may add files its page reads (e.g. held-out scores for the Pokémon page).
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ASSET_MODELS = join(ROOT, 'assets', 'models');

export interface AssetSpec {
  /** Folder name under assets/models/. */
  name: string;
  /** What the lab uses it for. */
  purpose: string;
  /** `genlab train` arguments (without --out). */
  train: string[];
  /** Optional extra files written into the asset folder after training (the folder is the argument). */
  after?: (dir: string) => Promise<void>;
}

export const ASSETS: AssetSpec[] = [
  {
    name: 'moons-ae',
    purpose: '§1 AE vs VAE on the moon: a plain autoencoder with 2-D codes',
    train: ['ae', '--data', 'moons', '--arch', 'mlp', '--hidden', '128', '--latent', '2', '--epochs', '40', '--seed', '0'],
  },
  {
    name: 'moons-vae',
    purpose: '§1 AE vs VAE on the moon: a VAE with 2-D codes, same networks as moons-ae',
    train: ['vae', '--data', 'moons', '--arch', 'mlp', '--hidden', '128', '--latent', '2', '--epochs', '40', '--seed', '0'],
  },
  {
    name: 'mnist-vae2d',
    purpose: '§2 the latent space: a VAE on MNIST with a 2-D code; §3–4 the VAE side of "VAE imitates, GAN creates"',
    train: ['vae', '--data', 'mnist', '--arch', 'mlp', '--hidden', '256', '--latent', '2', '--epochs', '20', '--quality-samples', '0', '--seed', '0'],
  },
  {
    name: 'pokemon-vae',
    purpose: '§1 "Is it a Pokémon?": log p(x) of an image under a VAE trained on Pokémon sprites',
    train: ['vae', '--data', 'pokemon', '--arch', 'conv', '--filters', '16,32', '--latent', '16', '--epochs', '150', '--seed', '0'],
  },
  {
    name: 'mnist-dcgan',
    purpose: '§3 the one-pixel 7: the discriminator’s features; §4 the GAN side of "VAE imitates, GAN creates"',
    train: ['dcgan', '--data', 'mnist', '--filters', '32,64', '--latent', '64', '--epochs', '5', '--quality-samples', '0', '--seed', '0'],
  },
];

/** The `genlab train` line of an asset, as asset.json records it and a user types it. */
export function assetCommand(spec: AssetSpec): string {
  return ['genlab', 'train', ...spec.train, '--out', `runs/${spec.name}`].join(' ');
}

async function build(spec: AssetSpec): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), `genlab-asset-${spec.name}-`));
  try {
    const run = join(work, 'run');
    const t0 = performance.now();
    process.stderr.write(`\n${assetCommand(spec)}\n`);
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'genlab.js'), 'train', ...spec.train, '--out', run], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`${spec.name}: genlab train exited with ${r.status}`);
    const manifest = JSON.parse(await readFile(join(run, 'manifest.json'), 'utf8')) as { backend: string; seed: number };
    const lines = (await readFile(join(run, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const lastTest = [...lines].reverse().find((l) => l['split'] === 'test') ?? null;
    const staged = join(work, 'asset');
    await cp(join(run, 'model'), staged, { recursive: true });
    const info = {
      name: spec.name,
      purpose: spec.purpose,
      command: assetCommand(spec),
      seed: manifest.seed,
      backend: manifest.backend,
      trainSeconds: Math.round((performance.now() - t0) / 100) / 10,
      lastTest,
    };
    await writeFile(join(staged, 'asset.json'), `${JSON.stringify(info, null, 2)}\n`);
    if (spec.after) await spec.after(staged);
    const dest = join(ASSET_MODELS, spec.name);
    await mkdir(ASSET_MODELS, { recursive: true });
    await rm(dest, { recursive: true, force: true });
    await rename(staged, dest).catch(async () => {
      await cp(staged, dest, { recursive: true });
    });
    process.stderr.write(`${spec.name}: written to assets/models/${spec.name}/ in ${info.trainSeconds} s\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !ASSETS.some((a) => a.name === w));
  if (unknown.length) {
    process.stderr.write(`train-assets: no asset ${unknown.join(', ')} (assets: ${ASSETS.map((a) => a.name).join(', ')})\n`);
    process.exit(2);
  }
  for (const spec of ASSETS) if (wanted.length === 0 || wanted.includes(spec.name)) await build(spec);
}
