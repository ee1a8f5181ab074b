#!/usr/bin/env bash
# Each of the VAE's likelihood options against the plain VAE at the same budget (issue 19): dynamically binarised
# MNIST, 784-200-200-50 nets, Adam 1e-3, the same epochs and seed; then test NLL by importance sampling (k = 1000, the
# first 2,000 test digits) and −ELBO. Prints one JSON line per run (its `genlab eval --json`).
#   examples/vae-likelihood-options.sh [EPOCHS] [OUT]          (≈ 3–12 s per epoch per run on 2 cores)
set -euo pipefail
epochs=${1:-20}
out=${2:-runs/likelihood-options}
common=(--data mnist --binarize dynamic --hidden 200,200 --latent 50 --batch-size 100 --lr 1e-3 --epochs "$epochs"
  --quality-samples 0 --seed 0)
declare -A runs=(
  [vae]="vae"
  [vae-ema]="vae --ema 0.999"
  [iwae-k5]="iwae --k 5"
  [vae-two-layers]="vae --top-latent 25 --top-hidden 100,100"
  [vae-iaf]="vae --flow-steps 2 --flow-hidden 200"
  [vae-vamp]="vae --vamp-prior 500"
)
for name in vae vae-ema iwae-k5 vae-two-layers vae-iaf vae-vamp; do
  # shellcheck disable=SC2086 # the kind and its flags, split on purpose
  npx genlab train ${runs[$name]} "${common[@]}" --out "$out/$name"
  echo "{\"run\": \"$name\", \"eval\": $(npx genlab eval "$out/$name" --iw-k 1000 --limit 2000 --json)}"
done
