#!/usr/bin/env python3
"""WER against the fusion weight λ on the synthetic valid sets, from scripts/fusion_sweep.sh's TSV
or from run folders named …-l<λ> that hold `glossa eval asr --json` outputs none-<lang>.json and
fused-<lang>.json (the layout of scripts/fusion_compare.py).

  pip install matplotlib
  python3 scripts/plot_fusion_sweep.py runs/fusion-sweep.tsv docs/fusion_lambda_sweep.png
  python3 scripts/plot_fusion_sweep.py runs/rule2/valid-l0.1 runs/rule2/valid-l0.2 docs/fusion_lambda_sweep.png

Left: WER per language against λ (β = 0). Right: the mean relative WER change against λ = 0.
"""
import collections
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fusion_compare import load_runs  # noqa: E402  (scripts/, beside this file)

wer = collections.defaultdict(dict)
for source in sys.argv[1:-1]:
    if os.path.isdir(source):
        lam = float(re.search(r"-l([0-9.]+)$", source.rstrip("/")).group(1))
        for lang, unfused, fused in load_runs(source, source):
            wer[lang][0.0], wer[lang][lam] = 100 * unfused["wer"], 100 * fused["wer"]
        continue
    for line in open(source):
        if line.strip():
            _lm, lam, beta, lang, w, _cer, _rtf = line.rstrip("\n").split("\t")
            if float(beta) == 0:
                wer[lang][float(lam)] = float(w)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
lambdas = sorted({lam for per in wer.values() for lam in per})
for lang, per in sorted(wer.items()):
    xs = [lam for lam in lambdas if lam in per]
    left.plot(xs, [per[x] for x in xs], marker="o", label=lang)
left.set_xlabel("λ (LM weight)")
left.set_ylabel("WER % (valid sets)")
left.legend(ncol=5, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 1.13), frameon=False)  # above the axes, where no line runs
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
fig.savefig(sys.argv[-1], dpi=110)
print(f"wrote {sys.argv[-1]}")
