#!/usr/bin/env python3
"""WER against the fusion weight λ on the synthetic valid sets, from scripts/fusion_sweep.sh's TSV
or from run folders named …-l<λ> (internal-LM weight μ 0) or …-l<λ>-m<μ> that hold `glossa eval
asr --json` outputs none-<lang>.json and fused-<lang>.json (the layout of scripts/fusion_compare.py).

  pip install matplotlib
  python3 scripts/plot_fusion_sweep.py runs/fusion-sweep.tsv docs/fusion_lambda_sweep.png
  python3 scripts/plot_fusion_sweep.py runs/sa/valid-l0.2-m0 runs/sa/valid-l0.3-m0 runs/ab/valid-l0.2-m0.2 docs/fusion_lambda_sweep.png

Left: WER per language against λ (β = 0), one line style per internal-LM weight μ (μ = 0 solid).
Right: the mean relative WER change against λ = 0, one line per μ.
"""
import collections
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fusion_compare import load_runs  # noqa: E402  (scripts/, beside this file)

STYLES = ["-", "--", ":", "-."]
wer = collections.defaultdict(lambda: collections.defaultdict(dict))  # μ → lang → λ → WER %
unfused_wer = {}  # lang → WER % at λ = 0, where every line starts
for source in sys.argv[1:-1]:
    if os.path.isdir(source):
        found = re.search(r"-l([0-9.]+)(?:-m([0-9.]+))?$", source.rstrip("/"))
        lam, mu = float(found.group(1)), float(found.group(2) or 0)
        for lang, unfused, fused in load_runs(source, source):
            # Every line starts at the same λ = 0 point: folders of one sweep share one unfused run.
            if unfused_wer.setdefault(lang, 100 * unfused["wer"]) != 100 * unfused["wer"]:
                sys.exit(f"{source}: its unfused {lang} run differs from an earlier folder's; plot one sweep at a time")
            wer[mu][lang][lam] = 100 * fused["wer"]
        continue
    for line in open(source):
        if line.strip():
            _lm, lam, beta, lang, w, _cer, _rtf = line.rstrip("\n").split("\t")
            if float(beta) == 0 and float(lam) == 0:
                unfused_wer[lang] = float(w)
            elif float(beta) == 0:
                wer[0.0][lang][float(lam)] = float(w)
MUS = sorted(wer)  # μ = 0 first (solid)
if len(MUS) > len(STYLES):
    sys.exit(f"{len(MUS)} values of μ: at most {len(STYLES)} line styles")
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
colors = {}
for mu, style in zip(MUS, STYLES):
    for lang, per in sorted(wer[mu].items()):
        xs = [0.0] + sorted(per)
        line, = left.plot(xs, [unfused_wer[lang]] + [per[x] for x in xs[1:]], style, marker="o", color=colors.get(lang),
                          label=lang if lang not in colors else None)
        colors[lang] = line.get_color()
left.set_xlabel("λ (LM weight); line styles as on the right")
left.set_ylabel("WER % (valid sets)")
left.legend(ncol=5, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 1.13), frameon=False)  # above the axes, where no line runs
left.grid(alpha=0.3)
for mu, style in zip(MUS, STYLES):
    per_lang = wer[mu]
    lambdas = sorted({lam for per in per_lang.values() for lam in per})
    mean = [0.0]  # at λ = 0 every language is its unfused run
    for lam in lambdas:
        langs = [lang for lang in per_lang if lam in per_lang[lang]]
        mean.append(100 * sum((per_lang[l][lam] - unfused_wer[l]) / unfused_wer[l] for l in langs) / len(langs))
    right.plot([0.0] + lambdas, mean, style, marker="o", color="black", label=f"μ = {mu:g}")
right.legend(fontsize=8)
right.axhline(0, color="gray", lw=0.8)
right.set_xlabel("λ (LM weight)")
right.set_ylabel("mean relative WER change vs λ = 0 (%)")
right.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(sys.argv[-1], dpi=110)
print(f"wrote {sys.argv[-1]}")
