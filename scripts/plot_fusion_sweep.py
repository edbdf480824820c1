#!/usr/bin/env python3
"""WER against the fusion weight λ on the synthetic valid sets, from scripts/fusion_sweep.sh's TSV
or from run folders named …-l<λ> (internal-LM weight μ 0) or …-l<λ>-m<μ> that hold `glossa eval
asr --json` outputs none-<lang>.json and fused-<lang>.json (the layout of scripts/fusion_compare.py).

  pip install matplotlib
  python3 scripts/plot_fusion_sweep.py runs/fusion-sweep.tsv docs/fusion_lambda_sweep.png
  python3 scripts/plot_fusion_sweep.py runs/rule2/valid-l0.1 runs/rule2/valid-l0.2 runs/ilm/valid-l0.2-m0.2 docs/fusion_lambda_sweep.png

Left: WER per language against λ (β = 0), solid without the internal LM, dashed with μ = λ.
Right: the mean relative WER change against λ = 0, one line each. A folder whose μ is neither 0
nor λ is refused: it would need a third kind of line.
"""
import collections
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fusion_compare import load_runs  # noqa: E402  (scripts/, beside this file)

SERIES = ["μ = 0", "μ = λ"]
wer = {series: collections.defaultdict(dict) for series in SERIES}  # series → lang → λ → WER %
for source in sys.argv[1:-1]:
    if os.path.isdir(source):
        found = re.search(r"-l([0-9.]+)(?:-m([0-9.]+))?$", source.rstrip("/"))
        lam, mu = float(found.group(1)), float(found.group(2) or 0)
        if mu not in (0, lam):
            sys.exit(f"{source}: μ {mu} is neither 0 nor λ")
        for lang, unfused, fused in load_runs(source, source):
            for series in SERIES:
                wer[series][lang][0.0] = 100 * unfused["wer"]
            wer[SERIES[mu == lam and mu > 0]][lang][lam] = 100 * fused["wer"]
        continue
    for line in open(source):
        if line.strip():
            _lm, lam, beta, lang, w, _cer, _rtf = line.rstrip("\n").split("\t")
            if float(beta) == 0:
                wer[SERIES[0]][lang][float(lam)] = float(w)
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
colors = {}
for series, style in zip(SERIES, ["-", "--"]):
    for lang, per in sorted(wer[series].items()):
        xs = sorted(per)
        if len(xs) < 2:
            continue
        line, = left.plot(xs, [per[x] for x in xs], style, marker="o", color=colors.get(lang),
                          label=lang if lang not in colors else None)
        colors[lang] = line.get_color()
left.set_xlabel("λ (LM weight); dashed: internal LM subtracted, μ = λ")
left.set_ylabel("WER % (valid sets)")
left.legend(ncol=5, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 1.13), frameon=False)  # above the axes, where no line runs
left.grid(alpha=0.3)
for series, style in zip(SERIES, ["-", "--"]):
    per_lang = wer[series]
    lambdas = sorted({lam for per in per_lang.values() for lam in per})
    if len(lambdas) < 2:
        continue
    mean = []
    for lam in lambdas:
        langs = [lang for lang in per_lang if lam in per_lang[lang] and 0.0 in per_lang[lang]]
        mean.append(100 * sum((per_lang[l][lam] - per_lang[l][0.0]) / per_lang[l][0.0] for l in langs) / len(langs))
    right.plot(lambdas, mean, style, marker="o", color="black", label=series)
right.legend(fontsize=8)
right.axhline(0, color="gray", lw=0.8)
right.set_xlabel("λ (LM weight)")
right.set_ylabel("mean relative WER change vs λ = 0 (%)")
right.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(sys.argv[-1], dpi=110)
print(f"wrote {sys.argv[-1]}")
