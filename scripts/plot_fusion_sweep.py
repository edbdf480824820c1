#!/usr/bin/env python3
"""WER against the fusion weight λ on the synthetic valid sets, from scripts/fusion_sweep.sh's TSV.

  pip install matplotlib
  python3 scripts/plot_fusion_sweep.py runs/fusion-sweep.tsv docs/fusion_lambda_sweep.png

Left: WER per language against λ (β = 0). Right: the mean relative WER change against λ = 0.
"""
import collections
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
wer = collections.defaultdict(dict)
for lm, lam, beta, lang, w, _cer, _rtf in rows:
    if float(beta) == 0:
        wer[lang][float(lam)] = float(w)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
lambdas = sorted({lam for per in wer.values() for lam in per})
for lang, per in sorted(wer.items()):
    xs = [lam for lam in lambdas if lam in per]
    left.plot(xs, [per[x] for x in xs], marker="o", label=lang)
left.set_xlabel("λ (LM weight)")
left.set_ylabel("WER % (valid sets)")
left.legend()
left.grid(alpha=0.3)
mean = []
for lam in lambdas:
    langs = [lang for lang in wer if lam in wer[lang] and 0.0 in wer[lang]]
    mean.append(100 * sum((wer[l][lam] - wer[l][0.0]) / wer[l][0.0] for l in langs) / len(langs))
right.plot(lambdas, mean, marker="o", color="black")
right.axhline(0, color="gray", lw=0.8)
right.set_xlabel("λ (LM weight)")
right.set_ylabel("mean relative WER change vs λ = 0 (%)")
right.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
print(f"wrote {sys.argv[2]}")
