#!/usr/bin/env python3
"""How many directions an SPAE model's codebook really spans: the singular values of its linear
codebook map and of the mapped codebook (centred, relative to the first), and how closely the
map's strongest input direction follows the LM rows' norms. glossa-spae-v3's codes lie near a
line (docs/spae.md, "The codes lie on a line").

  pip install safetensors numpy
  python3 scripts/spae_codebook_rank.py assets/spae/glossa-spae-v4 [runs/<name>/model ...]
"""
import sys

import numpy as np
from safetensors.numpy import load_file


def report(folder):
    t = load_file(f"{folder}/model.safetensors")
    if "codebook_map.weight" not in t:
        print(f"{folder}: no linear codebook map")
        return
    rows = t["codebook.embeddings"].astype(np.float64)
    w = t["codebook_map.weight"].astype(np.float64)
    mapped = rows @ w.T
    _, sv_map, vt = np.linalg.svd(w)
    sv_codes = np.linalg.svd(mapped - mapped.mean(0), compute_uv=False)
    r = np.corrcoef(rows @ vt[0], np.linalg.norm(rows, axis=1))[0, 1]
    print(f"{folder}: {len(rows)} codes in {w.shape[0]} dimensions")
    print("  map singular values:", " ".join(f"{v:.3g}" for v in sv_map[:8]), "…")
    print("  mapped codebook, relative:", " ".join(f"{v / sv_codes[0]:.3f}" for v in sv_codes[:8]), "…")
    print(f"  strongest direction vs the rows' norms: correlation {abs(r):.2f}")


for folder in sys.argv[1:] or ["assets/spae/glossa-spae-v4"]:
    report(folder)
