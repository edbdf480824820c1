#!/usr/bin/env python3
"""How many dB a code of B bits could reach on Fashion-MNIST, as a yardstick for SPAE's
85 tokens (about 900 bits at the codebook perplexity `glossa spae eval` reports).

Treats the 784 pixels as a Gaussian with the training images' covariance and applies reverse
water-filling over its PCA spectrum (Cover & Thomas, Elements of Information Theory, ch. 10:
parallel Gaussian sources). Of all sources with that covariance the Gaussian is the hardest to
code (its rate–distortion function is the largest), so the best code for the real images can
reach at least this PSNR at B bits, in the limit of long codes. Also prints the PSNR of keeping
the first k principal components exactly, with no bits counted.

  pip install numpy
  python3 scripts/spae_rate_bound.py [--bits 300 600 900 1100]
"""
import argparse
import gzip
import math

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/raw/usr/share/datasets/fashion-mnist")
    ap.add_argument("--bits", type=int, nargs="+", default=[300, 600, 900, 1100])
    args = ap.parse_args()
    raw = gzip.open(f"{args.data}/train-images-idx3-ubyte.gz").read()[16:]
    x = np.frombuffer(raw, np.uint8).reshape(-1, 784).astype(np.float64) / 255
    x -= x.mean(0)
    spectrum = np.maximum(np.linalg.eigvalsh(x.T @ x / len(x))[::-1], 1e-12)
    for bits in args.bits:
        # The water level θ: components above it get ½·log2(λ/θ) bits and distortion θ.
        low, high = 1e-12, spectrum[0]
        for _ in range(200):
            level = math.sqrt(low * high)
            rate = sum(0.5 * math.log2(v / level) for v in spectrum if v > level)
            low, high = (level, high) if rate > bits else (low, level)
        distortion = sum(min(v, level) for v in spectrum) / 784
        print(f"{bits} bits: {10 * math.log10(1 / distortion):.2f} dB")
    for k in (40, 100, 200):
        print(f"first {k} principal components: {10 * math.log10(784 / spectrum[k:].sum()):.2f} dB")


if __name__ == "__main__":
    main()
