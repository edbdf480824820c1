#!/usr/bin/env python3
"""Loss curves (and expert load balance) from `glossa lm train` logs, as a PNG for docs/.

  pip install matplotlib
  python3 scripts/plot_training.py docs/lm_loss.png runs/glossa-lm-v1/log.jsonl [more logs …]

Each log.jsonl holds one JSON object per step (loss, validationLoss every --eval-every steps,
maxLoadRatio per MoE layer). The left panel shows the training loss (smoothed over 25 steps)
and the mean validation loss; the right panel the worst max/mean expert load per step.
"""
import json
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def smooth(values, window=25):
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def main():
    out, logs = sys.argv[1], sys.argv[2:]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for path in logs:
        rows = [json.loads(line) for line in open(path)]
        name = pathlib.Path(path).parent.name
        steps = [r["step"] for r in rows]
        line, = left.plot(steps, smooth([r["loss"] for r in rows]), label=f"{name} train")
        valid = [(r["step"], sum(r["validationLoss"].values()) / len(r["validationLoss"])) for r in rows if r.get("validationLoss")]
        if valid:
            left.plot(*zip(*valid), "o--", color=line.get_color(), label=f"{name} valid (mean over languages)")
        loads = [(r["step"], max(r["maxLoadRatio"])) for r in rows if r.get("maxLoadRatio")]
        if loads:
            right.plot(*zip(*loads), color=line.get_color(), alpha=0.8, label=name)
    left.set_xlabel("step"); left.set_ylabel("cross-entropy (nats/token)"); left.legend(); left.grid(alpha=0.3)
    right.axhline(1.3, color="gray", linestyle=":", label="target 1.3")
    right.set_xlabel("step"); right.set_ylabel("max/mean expert load (worst layer)"); right.legend(); right.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
