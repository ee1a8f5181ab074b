/**
 * Examples at the end of every command's --help, by the command's path (`train vae`). test/cli-manners.test.ts checks
 * that every command has some and that each example's flags are that command's own.
 */
import type { Command } from 'commander';

const RING8_GAN = '--data ring8 --steps 10000 --batch-size 256 --hidden 128,128,128 --latent 2 --lr 1e-3 --lr-decay cosine --pack 2';

export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  genlab: [
    'genlab data preview mnist --out mnist.png',
    'genlab train vae --data mnist --epochs 10 --out runs/vae',
    'genlab sample runs/vae -n 64 --out samples.png',
    'genlab eval runs/vae --json',
    'genlab gmm fit two-moons -k 6 --plot fit.png',
    'genlab lab --runs runs',
  ],
  data: ['genlab data info mnist', 'genlab data preview pokemon --out pokemon.png'],
  'data info': ['genlab data info mnist', 'genlab data info points.csv --json'],
  'data preview': ['genlab data preview pokemon --out pokemon.png', 'genlab data preview moons --labels -n 32 --out moons.png', 'genlab data preview ring8 --out ring8.svg', 'genlab data preview all --out-dir previews'],
  train: ['genlab train vae --data mnist --epochs 10 --out runs/vae', `genlab train gan ${RING8_GAN} --out runs/gan-ring8`, 'genlab train vae --out runs/vae --resume --epochs 20'],
  'train ae': ['genlab train ae --data mnist --epochs 10 --latent 2 --out runs/ae', 'genlab train ae --data moons --arch conv --out runs/ae-moons'],
  'train dae': ['genlab train dae --data mnist --noise masking --noise-amount 0.5 --out runs/dae'],
  'train vae': ['genlab train vae --data mnist --epochs 10 --out runs/vae', 'genlab train vae --data moons --beta 0 --epochs 5 --out runs/vae-no-kl', 'genlab train vae --out runs/vae --resume --epochs 20'],
  'train cvae': ['genlab train cvae --data mnist --epochs 10 --out runs/cvae'],
  'train iwae': ['genlab train iwae --data mnist --k 5 --epochs 10 --out runs/iwae'],
  'train gan': [`genlab train gan ${RING8_GAN} --out runs/gan-ring8`, 'genlab train gan --data grid25 --steps 25000 --batch-size 256 --hidden 256,256,256,256 --latent 2 --lr 5e-4 --lr-decay cosine --instance-noise 1 --instance-noise-steps 7500 --zero-gp 0.1 --out runs/gan-grid25'],
  'train dcgan': ['genlab train dcgan --data mnist --epochs 5 --out runs/dcgan', 'genlab train dcgan --data pokemon --epochs 50 --out runs/dcgan-pokemon'],
  'train cgan': ['genlab train cgan --data mnist --epochs 5 --out runs/cgan'],
  'train wgan-gp': ['genlab train wgan-gp --data ring8 --steps 10000 --batch-size 256 --latent 2 --out runs/wgan-ring8'],
  'train vaegan': ['genlab train vaegan --data mnist --epochs 5 --out runs/vaegan'],
  'train lapgan': ['genlab train lapgan --data mnist --epochs 2 --out runs/lapgan'],
  'train srgan': ['genlab train srgan --data mnist --epochs 1 --out runs/srgan', 'genlab train srgan --data pokemon --epochs 20 --content features --out runs/srgan-pokemon'],
  gmm: ['genlab gmm fit two-moons -k 6 --plot fit.png', 'genlab gmm fit points.csv -k auto --range 1:10 --json'],
  'gmm fit': ['genlab gmm fit two-moons -k 6 --plot fit.png', 'genlab gmm fit points.csv -k auto --range 1:20', 'genlab gmm fit ring8 -k 8 --n-init 5 --out model.json'],
  'gmm sample': ['genlab gmm sample model.json -n 1000 --out samples.csv', 'genlab gmm sample model.json -n 1000 --labels --out samples.npy'],
  'gmm score': ['genlab gmm score model.json points.csv --out scores.csv'],
  sample: ['genlab sample runs/vae -n 64 --out samples.png', 'genlab sample runs/cgan --label 7 --out sevens.png', 'genlab sample runs/gan-ring8 -n 2500 --out ring8.png'],
  reconstruct: ['genlab reconstruct runs/vae -n 16 --out recon.png'],
  interpolate: ['genlab interpolate runs/vae --from 3 --to 2 --steps 10 --out strip.png', 'genlab interpolate runs/dcgan --from 1 --to 2 --out path.npy'],
  eval: ['genlab eval runs/vae', 'genlab eval runs/vae --iw-k 5000 --json', 'genlab eval runs/dcgan --samples 2000'],
  score: ['genlab score runs/vae-pokemon sprite.png digit.png', 'genlab score runs/vae mnist pokemon --limit 500'],
  upscale: ['genlab upscale runs/srgan --data mnist --split test -n 1000 --out grid.png', 'genlab upscale runs/srgan digit.png --json'],
  classifier: ['genlab classifier eval', 'genlab classifier score samples.npy'],
  'classifier train': ['genlab classifier train --out assets/mnist-classifier'],
  'classifier eval': ['genlab classifier eval --json'],
  'classifier score': ['genlab sample runs/dcgan -n 10000 --out samples.npy && genlab classifier score samples.npy'],
  lab: ['genlab lab', 'genlab lab --runs runs', 'genlab lab --build-only'],
};

/** The command's path without the program name (`train vae`; the program itself is `genlab`). */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.length === 0 ? cmd.name() : names.join(' ');
}

/** Adds each command's examples after its --help. */
export function addExamples(commands: readonly Command[]): void {
  for (const cmd of commands) {
    const lines = EXAMPLES[commandPath(cmd)];
    if (lines) cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`);
  }
}
