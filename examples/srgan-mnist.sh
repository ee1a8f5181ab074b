#!/usr/bin/env bash
# Super-resolution GAN (Ledig et al. 2017) on MNIST: learn to upscale digits averaged down to 14×14 back to 28×28,
# then compare with bicubic upscaling on 1000 held-out digits (PSNR in dB and SSIM: higher is better; FID of the
# upscaled set against the originals in genlab's classifier features: lower is better).
# Pokémon sprites (40×40×3 → from 20×20): replace `mnist` by `pokemon` and train longer (--epochs 20).
set -euo pipefail
run=${1:-runs/srgan-mnist}
npx genlab train srgan --data mnist --epochs 1 --out "$run"
npx genlab upscale "$run" --data mnist --split test -n 1000 --out "$run/upscaled.png"
npx genlab upscale "$run" --data mnist --split test -n 1000 --json
