#!/usr/bin/env bash
# Issue 19's Pokémon measure: a DCGAN on the 1,199 training sprites (40×40 RGB) with DiffAugment (Zhao et al. 2020),
# the hinge loss, spectral normalisation and a moving average of G, for a fixed wall time; then the memorisation
# check (each sample's nearest training sprite against the held-out sprites') and a grid of 64 samples.
#   examples/pokemon-gan.sh [MINUTES] [RUN] [extra train flags…]     e.g. examples/pokemon-gan.sh 40 runs/pk40
# The lecture's 20×20 sprites: examples/pokemon-gan.sh 25 runs/pk20 --size 20
# Painted from a palette of 8 colours per sprite, each pixel pushed to one of them (README, "Palette generators"):
#   examples/pokemon-gan.sh 25 runs/pk20-palette --size 20 --palette 8 --palette-entropy 1
# and G doubling its sides by nearest upsampling and a 3×3 convolution (no checkerboard; seed 0: 924 epochs, ratio 1.02):
#   examples/pokemon-gan.sh 25 runs/pk20n --size 20 --palette 8 --palette-entropy 1 --upsample nearest
# (40×40, 40 minutes: examples/pokemon-gan.sh 40 runs/pk40n --palette 8 --palette-entropy 1 --upsample nearest)
# with the training sprites mirrored at random (x-flips; seed 0: 1,554 epochs on the current code, ratio 1.02):
#   examples/pokemon-gan.sh 25 runs/pk20n-mirror --size 20 --palette 8 --palette-entropy 1 --upsample nearest --mirror
# FastGAN's self-supervised D (a decoder redraws the real sprites from D's features; seed 0: ratio 1.025, same look):
#   examples/pokemon-gan.sh 25 runs/pk20n-rec1 --size 20 --palette 8 --palette-entropy 1 --upsample nearest --mirror --reconstruction 1
# Without DiffAugment (the flags after the script's --diff-augment win; seed 0: 1,642 epochs, ratio 1.005, and the
# two-sample classifier of `genlab eval` tells samples from held-out sprites 58% of the time against 90% with it):
#   examples/pokemon-gan.sh 25 runs/pk20n-noaug --size 20 --palette 8 --palette-entropy 1 --upsample nearest --mirror --no-diff-augment
# With a self-attention block in G and D (SAGAN; 0.6× the examples/s; seed 0: 58.8%, no better than without):
#   examples/pokemon-gan.sh 25 runs/pk20n-att --size 20 --palette 8 --palette-entropy 1 --upsample nearest --mirror --no-diff-augment --self-attention
# With adaptive augmentation instead (ADA: DiffAugment's transforms at a probability p that follows D's overfitting; the
# paper's target 0.6 left p at 0 here, D's r_t stayed near 0.4; with 0.3 p rose to 0.2 and fell back; seed 0: 62.3%):
#   examples/pokemon-gan.sh 25 runs/pk20n-ada --size 20 --palette 8 --palette-entropy 1 --upsample nearest --mirror --no-diff-augment --ada 0.3
# Open the run in the lab's board (its "Can you tell?" panel: a person's two-sample test) to sample it in the browser: npx genlab lab --runs "$(dirname RUN)"
# The same test on the command line, at any size: node --import tsx examples/blind-test.ts RUN --seed 1 --out grid.png
set -euo pipefail
minutes=${1:-40}
run=${2:-runs/dcgan-pokemon-${minutes}min}
shift $(( $# < 2 ? $# : 2 ))
npx genlab train dcgan --data pokemon --epochs 100000 --time-limit "$minutes" --diff-augment --ema 0.999 --loss hinge \
  --spectral-norm --filters 32,64,128 --seed 0 --out "$run" "$@"
npx genlab eval "$run" --samples 1000
npx genlab sample "$run" -n 64 --seed 0 --out "$run/samples-64.png"
