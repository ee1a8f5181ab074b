#!/usr/bin/env bash
# Issue 19's GAN measure: a DCGAN on MNIST trained for 30 minutes on each of three seeds, then FID, KID, IS, precision
# and recall from 10,000 samples (genlab's classifier features). The flags are the best found so far (a moving average
# of G, hinge loss, spectral normalisation, two time-scale learning rates); extra flags go after the folder, e.g.
#   examples/gan-mnist-30min.sh runs/gan30 --residual --filters 64,128
# KIND picks another GAN kind, e.g. the class-conditional one (projection discriminator; its samples' labels drawn with
# the training digits' class shares), and MINUTES the training time of each seed (default 30); the best so far:
#   KIND=cgan examples/gan-mnist-30min.sh runs/cgan30 --arch conv --exact-bounds
# and with recall ≥ 0.8 at σ = 1 in 20 minutes, mode seeking (Mao et al. 2019; README's GAN section) — in pixels, at
# some cost in precision, or in D's features, at less (0.03 at equal steps):
#   KIND=cgan MINUTES=20 examples/gan-mnist-30min.sh runs/cgan-ms --arch conv --exact-bounds --mode-seeking 1
#   KIND=cgan MINUTES=20 examples/gan-mnist-30min.sh runs/cgan-msd --arch conv --exact-bounds --mode-seeking 1 --mode-seeking-distance discriminator
# Each seed is evaluated twice: with the codes of training, z ~ N(0, I), and with z ~ N(0, σ²I), σ = TEMPERATURE
# (default 1.1: more recall for a little precision; README's GAN section).
set -euo pipefail
out=${1:-runs/gan-mnist-30min}
kind=${KIND:-dcgan}
minutes=${MINUTES:-30}
temperature=${TEMPERATURE:-1.1}
shift || true
for seed in 0 1 2; do
  npx genlab train "$kind" --data mnist --epochs 200 --time-limit "$minutes" --ema 0.999 --loss hinge --spectral-norm \
    --group-lr discriminator=4e-4,generator=1e-4 --quality-samples 1000 --seed "$seed" --out "$out/seed$seed" "$@"
  echo "{\"seed\": $seed, \"eval\": $(npx genlab eval "$out/seed$seed" --samples 10000 --json)}"
  echo "{\"seed\": $seed, \"eval\": $(npx genlab eval "$out/seed$seed" --samples 10000 --temperature "$temperature" --json)}"
done
