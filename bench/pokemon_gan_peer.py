#!/usr/bin/env python3
"""PyTorch peer of genlab's 20x20 Pokemon GAN, trained for a fixed wall time (bench/pokemon-peer.ts runs it).

The networks and updates of `examples/pokemon-gan.sh MIN RUN --size 20 --upsample nearest --mirror --no-diff-augment`,
so that what a PyTorch user would write for the same recipe can be set beside genlab's samples on the same machine in
the same wall time; with an RGB tanh output, or (--palette K --palette-entropy L) genlab's palette head:

G: z(100) -> linear (S/8)^2*128 -> BN -> ReLU -> [nearest x2 -> conv 3x3 -> BN -> ReLU] 64, 32
   -> nearest x2 -> conv 3x3 3 -> tanh, S = 20 rounded up to 24, the centre 20x20 kept
   palette: the last conv gives K logits per pixel, softmax-ed; K colours from z (linear 128 -> ReLU -> linear 3K
   -> tanh, Glorot-uniform); each pixel the weights' mix of its image's colours; L times the mean entropy of the
   weights (over the 24x24 map) added to G's loss
D: 20x20 zero-padded to 24 -> [conv 5x5/2 -> LeakyReLU 0.2] 32, 64, 128 -> linear 1, each layer spectrally
   normalised (Miyato et al. 2018), no batch norm
Hinge loss (Lim & Ye 2017); per batch one D update on (real, G(z) detached), then one G update on the same G(z)
against the updated D; Adam 2e-4, betas (0.5, 0.999), batch 64; each training sprite mirrored left to right with
probability 1/2 at every pass; samples from an exponential moving average of G (0.999, bias-corrected as Adam's
moments, batch-norm statistics included), in inference mode. Weights ~ N(0, 0.02), biases 0.

Data (--data FILE): raw little-endian float32 [n, h, w, 3] in [0, 1], with FILE.json {"shape": [n, h, w, 3]}.
Output (--out DIR): samples.f32 [--samples, h, w, 3] in [0, 1] and samples.json. Progress on stderr; the last
stdout line is one JSON object with the figures.
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm

NZ = 100


def load_images(path):
    with open(path + ".json") as f:
        shape = json.load(f)["shape"]
    x = np.fromfile(path, dtype="<f4").reshape(shape)
    return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous() * 2 - 1  # [n, c, h, w] in [-1, 1]


class Generator(nn.Module):
    def __init__(self, side, channels, filters, palette=0):
        super().__init__()
        self.palette, self.channels = palette, channels
        levels = len(filters)
        self.side, self.padded = side, math.ceil(side / 2 ** levels) * 2 ** levels
        self.start, self.deepest = self.padded // 2 ** levels, filters[-1]
        self.fc = nn.Linear(NZ, self.start * self.start * self.deepest)
        self.bn0 = nn.BatchNorm2d(self.deepest)
        outs = list(reversed(filters[:-1])) + [palette or channels]
        ins = [filters[-1]] + outs[:-1]
        self.convs = nn.ModuleList(nn.Conv2d(i, o, 3, padding=1, bias=(k == len(outs) - 1)) for k, (i, o) in enumerate(zip(ins, outs)))
        self.bns = nn.ModuleList(nn.BatchNorm2d(o) for o in outs[:-1])
        if palette:
            self.colours = nn.Sequential(nn.Linear(NZ, 128), nn.ReLU(), nn.Linear(128, palette * channels), nn.Tanh())

    def forward(self, z):
        """The image [n, c, S, S] and, with a palette, the per-pixel colour weights [n, K, padded, padded]."""
        h = F.relu(self.bn0(self.fc(z).view(-1, self.deepest, self.start, self.start)))
        for k, conv in enumerate(self.convs):
            h = conv(F.interpolate(h, scale_factor=2, mode="nearest"))
            if k < len(self.convs) - 1:
                h = F.relu(self.bns[k](h))
        weights = None
        if self.palette:
            weights = F.softmax(h, dim=1)
            colours = self.colours(z).view(-1, self.palette, self.channels)
            h = torch.einsum("nkhw,nkc->nchw", weights, colours)
        else:
            h = torch.tanh(h)
        top = (self.padded - self.side) // 2
        return h[:, :, top:top + self.side, top:top + self.side], weights


class Discriminator(nn.Module):
    def __init__(self, side, channels, filters):
        super().__init__()
        levels = len(filters)
        padded = math.ceil(side / 2 ** levels) * 2 ** levels
        self.pad = (padded - side) // 2, padded - side - (padded - side) // 2
        ins = [channels] + list(filters[:-1])
        self.convs = nn.ModuleList(spectral_norm(nn.Conv2d(i, o, 5, stride=2, padding=2)) for i, o in zip(ins, filters))
        self.fc = spectral_norm(nn.Linear((padded // 2 ** levels) ** 2 * filters[-1], 1))

    def forward(self, x):
        a, b = self.pad
        h = F.pad(x, (a, b, a, b))
        for conv in self.convs:
            h = F.leaky_relu(conv(h), 0.2)
        return self.fc(h.flatten(1)).squeeze(1)


def dcgan_init(module, skip=()):
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)) and m not in skip:
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class MovingAverage:
    """theta_bar_t = m_t / (1 - beta^t), m_t = beta m_{t-1} + (1 - beta) theta_t: weights and batch-norm statistics."""

    def __init__(self, net, decay):
        self.net, self.decay, self.t = copy.deepcopy(net), decay, 0
        self.moments = [torch.zeros_like(v) for v in self._values(net)]

    @staticmethod
    def _values(net):
        return [v for v in list(net.parameters()) + list(net.buffers()) if v.dtype.is_floating_point]

    @torch.no_grad()
    def update(self, net):
        self.t += 1
        correction = 1 - self.decay ** self.t
        for m, v, avg in zip(self.moments, self._values(net), self._values(self.net)):
            m.mul_(self.decay).add_(v, alpha=1 - self.decay)
            avg.copy_(m / correction)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--minutes", type=float, default=25)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--filters", default="32,64,128")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--samples", type=int, default=2000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--palette", type=int, default=0, help="colours per image (0: an RGB output)")
    p.add_argument("--palette-entropy", type=float, default=0.0)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data = load_images(args.data)
    n, channels, side = data.shape[0], data.shape[1], data.shape[2]
    filters = [int(f) for f in args.filters.split(",")]
    G, D = Generator(side, channels, filters, args.palette), Discriminator(side, channels, filters)
    colour_layers = [m for m in G.colours if isinstance(m, nn.Linear)] if args.palette else []
    dcgan_init(G, skip=colour_layers)
    for m in colour_layers:  # Glorot-uniform, as genlab's palette MLP
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)
    dcgan_init(D)
    average = MovingAverage(G, args.ema)
    opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999))
    stream = torch.Generator().manual_seed(args.seed)
    bs, per_epoch = args.batch_size, n // args.batch_size
    start, steps, epochs = time.time(), 0, 0
    deadline = start + 60 * args.minutes
    while time.time() < deadline:
        order = torch.randperm(n, generator=stream)
        flips = torch.rand(n, generator=stream) < 0.5
        for b in range(per_epoch):
            idx = order[b * bs:(b + 1) * bs]
            real = data[idx]
            real = torch.where(flips[idx].view(-1, 1, 1, 1), real.flip(3), real)
            fake, weights = G(torch.randn(bs, NZ, generator=stream))
            loss_d = F.relu(1 - D(real)).mean() + F.relu(1 + D(fake.detach())).mean()
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            loss_g = -D(fake).mean()
            if weights is not None and args.palette_entropy > 0:
                loss_g = loss_g - args.palette_entropy * (weights * weights.clamp_min(1e-12).log()).sum(1).mean()
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            average.update(G)
            steps += 1
            if time.time() >= deadline:
                break
        epochs += 1
        if epochs % 25 == 0:
            print(f"epoch {epochs} step {steps} d {loss_d.item():.3f} g {loss_g.item():.3f} "
                  f"{steps * bs / (time.time() - start):.0f} ex/s", file=sys.stderr, flush=True)
    seconds = time.time() - start

    os.makedirs(args.out, exist_ok=True)
    average.net.eval()
    with torch.no_grad():
        samples, _ = average.net(torch.randn(args.samples, NZ, generator=stream))
    images = ((samples.permute(0, 2, 3, 1) + 1) / 2).clamp(0, 1).numpy().astype("<f4")
    images.tofile(os.path.join(args.out, "samples.f32"))
    with open(os.path.join(args.out, "samples.json"), "w") as f:
        json.dump({"shape": list(images.shape), "range": [0, 1], "layout": "NHWC"}, f)
    print(json.dumps({"steps": steps, "epochs": epochs, "seconds": round(seconds, 1),
                      "train_examples_per_s": round(steps * bs / seconds, 1), "threads": args.threads, "palette": args.palette,
                      "torch": torch.__version__, "samples": args.samples}))


if __name__ == "__main__":
    main()
