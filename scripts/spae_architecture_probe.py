#!/usr/bin/env python3
"""Which SPAE encoder/decoder reaches what PSNR, in PyTorch on the CPU (a feasibility probe;
Glossa itself trains in Swift with `glossa spae train`). It mirrors the Swift model: the frozen
lexical codebook (glossa-spae-v3's 8,224 rows of glossa-lm-v2's embeddings) through a trainable
linear map, streaming average quantization over the 1/2×2/4×4/8×8 pyramid with straight-through
gradients and commitment + codebook losses (β = 0.25), MSE at full depth plus one random shallower
depth per step, AdamW at peak LR 2e-3 with warmup + cosine, gradient norm clipped to 1, batches
of 64. Layer 1 is the nearest code here (no semantic head: it sends no gradient into the latent
in Glossa either). Prints PSNR at 1–4 layers on the first 2,000 test images every 500 steps.

  pip install torch safetensors numpy
  python3 scripts/spae_architecture_probe.py w64e0d0c64 --steps 1000            # glossa-spae-v3's shape
  python3 scripts/spae_architecture_probe.py w64e0d0c64p2q1 --steps 1000        # + 3 pointwise blocks (v4)
  python3 scripts/spae_architecture_probe.py w64e0d0c64 --steps 1000 --map mlp  # v3's shape, MLP codebook map
  python3 scripts/spae_architecture_probe.py w64e0d0c64 --steps 1000 --continuous    # no quantizer: the shape's ceiling
  python3 scripts/spae_architecture_probe.py w64e0d0c64 --steps 1000 --shallow none  # full depth's loss only

ARCH is wW eE dD cC [pP] [qQ]: width W at 8×8, E and D 3×3 residual blocks (two 3×3 convolutions
each) in the encoder and decoder at 8×8, C channels at 16×16, P pointwise blocks (1×1, C → 4C → C)
in the decoder and Q in the encoder at 8×8.
"""
import argparse
import gzip
import json
import math
import re
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.numpy import load_file


def gelu(x):
    return F.gelu(x, approximate="tanh")


class Residual(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.a, self.b = nn.Conv2d(w, w, 3, padding=1), nn.Conv2d(w, w, 3, padding=1)

    def forward(self, x):
        return x + self.b(gelu(self.a(gelu(x))))


class Pointwise(nn.Module):  # GlossaNN.PointwiseResidualBlock
    def __init__(self, w):
        super().__init__()
        self.a, self.b = nn.Conv2d(w, 4 * w, 1), nn.Conv2d(4 * w, w, 1)

    def forward(self, x):
        return x + self.b(gelu(self.a(gelu(x))))


class Gelu(nn.Module):
    def forward(self, x):
        return gelu(x)


def build(arch, latent):
    w, re_, rd, c, pd, pe = [int(v or 0) for v in re.fullmatch(r"w(\d+)e(\d+)d(\d+)c(\d+)(?:p(\d+))?(?:q(\d+))?", arch).groups()]
    encoder = nn.Sequential(nn.Conv2d(1, c // 2, 3, padding=1), Gelu(), nn.Conv2d(c // 2, c, 3, 2, 1), Gelu(), nn.Conv2d(c, w, 3, 2, 1),
                            *[Residual(w) for _ in range(re_)], *[Pointwise(w) for _ in range(pe)], Gelu(), nn.Conv2d(w, latent, 1))
    decoder = nn.Sequential(nn.Conv2d(latent, w, 3, padding=1), *[Residual(w) for _ in range(rd)], *[Pointwise(w) for _ in range(pd)], Gelu(),
                            nn.Upsample(scale_factor=2), nn.Conv2d(w, c, 3, padding=1), Gelu(),
                            nn.Upsample(scale_factor=2), nn.Conv2d(c, 16, 3, padding=1), Gelu(), nn.Conv2d(16, 1, 3, padding=1))
    return encoder, decoder


def quantize(z, codebook, layers=4, beta=0.25):
    """Streaming average quantization (StreamingAverageQuantizer.swift): reconstructions per depth
    (straight-through to z) and the mean commitment + codebook loss."""
    residual, total, reconstructions, loss = z, 0, [], 0
    norms = (codebook * codebook).sum(1)
    for layer in range(layers):
        block = 8 >> layer
        target = F.avg_pool2d(residual, block) if block > 1 else residual
        rows = target.permute(0, 2, 3, 1).reshape(-1, target.shape[1])
        with torch.no_grad():
            index = torch.cat([torch.addmm(norms, rows[i:i + 1024], codebook.T, alpha=-2).argmin(1) for i in range(0, len(rows), 1024)])
        e = codebook[index]
        loss = loss + beta * ((rows - e.detach()) ** 2).sum(1).mean() + ((rows.detach() - e) ** 2).sum(1).mean()
        grid = e.reshape(target.shape[0], target.shape[2], target.shape[3], -1).permute(0, 3, 1, 2)
        up = F.interpolate(grid, scale_factor=block) if block > 1 else grid
        total = total + up
        reconstructions.append(z + (total / (layer + 1) - z).detach())
        residual = residual + z - up.detach()
    return reconstructions, loss / layers


def fashion(folder, split):
    raw = gzip.open(f"{folder}/{split}-images-idx3-ubyte.gz").read()[16:]
    x = np.frombuffer(raw, np.uint8).reshape(-1, 28, 28).astype(np.float32) / 255
    out = np.zeros((len(x), 1, 32, 32), np.float32)
    out[:, 0, 2:30, 2:30] = x  # Glossa pads 28×28 to 32×32 (ImagePreprocessing)
    return torch.from_numpy(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("arch")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--latent-dim", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--map", choices=["linear", "mlp"], default="linear",
                    help="how the frozen rows reach the latent: one linear map, or a GELU MLP with 512 hidden units "
                         "(glossa spae train --codebook-map-hidden 512)")
    ap.add_argument("--continuous", action="store_true",
                    help="no quantizer: the decoder reads the encoder's latent (the shape's ceiling)")
    ap.add_argument("--shallow", choices=["ste", "decoder", "none"], default="ste",
                    help="the random shallower depth's loss: through the straight-through estimator into the encoder too "
                         "(glossa spae train), into the decoder only, or not at all")
    ap.add_argument("--data", default="data/raw/usr/share/datasets/fashion-mnist")
    ap.add_argument("--spae", default="assets/spae/glossa-spae-v4", help="its codebook's token ids")
    ap.add_argument("--lm", default="assets/lm/glossa-lm-v2")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    train, test = fashion(args.data, "train"), fashion(args.data, "t10k")[:2000]
    ids = json.load(open(f"{args.spae}/config.json"))["codebookTokenIDs"]
    rows = torch.from_numpy(load_file(f"{args.lm}/model.safetensors")["model.embed_tokens.weight"].astype(np.float32)[ids])
    encoder, decoder = build(args.arch, args.latent_dim)
    if args.map == "linear":
        codebook_map = nn.Linear(rows.shape[1], args.latent_dim, bias=False)
    else:
        codebook_map = nn.Sequential(nn.Linear(rows.shape[1], 512), Gelu(), nn.Linear(512, args.latent_dim))
    params = list(encoder.parameters()) + list(decoder.parameters()) + list(codebook_map.parameters())
    print(f"{args.arch}, latent {args.latent_dim}, {args.map} map: {sum(p.numel() for p in params)} parameters", flush=True)
    opt = torch.optim.AdamW(params, lr=2e-3, betas=(0.9, 0.99), weight_decay=0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=args.steps, pct_start=min(0.3, 100 / args.steps),
                                                anneal_strategy="cos", final_div_factor=10)

    def pyramid(z, codebook):
        return ([z] * 4, 0) if args.continuous else quantize(z, codebook)

    def psnr():
        with torch.no_grad():
            codebook, mse = codebook_map(rows), [0.0] * 4
            for i in range(0, len(test), 500):
                x = test[i:i + 500]
                for depth, r in enumerate(pyramid(encoder(x), codebook)[0]):
                    mse[depth] += ((decoder(r).clamp(0, 1) - x)[:, :, 2:30, 2:30] ** 2).mean().item() * len(x) / len(test)
        return [round(10 * math.log10(1 / m), 2) for m in mse]

    g, start = torch.Generator().manual_seed(0), time.time()
    for step in range(args.steps):
        x = train[torch.randint(0, len(train), (64,), generator=g)]
        reconstructions, commit = pyramid(encoder(x), codebook_map(rows))
        shallow = int(torch.randint(0, 3, (1,), generator=g))
        full = F.mse_loss(decoder(reconstructions[3]), x)
        if args.shallow == "none":
            loss = full + commit
        else:
            r = reconstructions[shallow] if args.shallow == "ste" else reconstructions[shallow].detach()
            loss = (full + F.mse_loss(decoder(r), x)) / 2 + commit
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        if (step + 1) % 500 == 0 or step + 1 == args.steps:
            print(f"step {step + 1} ({time.time() - start:.0f} s): PSNR at 1–4 layers {psnr()}", flush=True)


if __name__ == "__main__":
    main()
