#!/usr/bin/env python3
"""Fusion against no fusion, per language, from `glossa eval asr --json` outputs named
DIR/none-<lang>.json and DIR/fused-<lang>.json: WER, CER, relative WER change, the utterances
whose word errors fusion lowers / raises / leaves, RTF, and the mean relative change.

  python3 scripts/fusion_compare.py runs/test120
"""
import json
import sys


LANGUAGES = ["en", "de", "es", "fr", "it"]


def load_runs(unfused_dir, fused_dir):
    """(language, unfused run, fused run) for each language whose two runs are both finished:
    the JSON of UNFUSED_DIR/none-<lang>.json and FUSED_DIR/fused-<lang>.json."""
    runs = []
    for lang in LANGUAGES:
        try:
            runs.append((lang, json.load(open(f"{unfused_dir}/none-{lang}.json")), json.load(open(f"{fused_dir}/fused-{lang}.json"))))
        except (FileNotFoundError, json.JSONDecodeError):  # a language not run, or still running
            continue
    return runs


def main():
    folder = sys.argv[1]
    changes = []
    for lang, none, fused in load_runs(folder, folder):
        pairs = list(zip(none["results"], fused["results"]))
        better = sum(f["wordErrors"] < n["wordErrors"] for n, f in pairs)
        worse = sum(f["wordErrors"] > n["wordErrors"] for n, f in pairs)
        change = (fused["wer"] - none["wer"]) / none["wer"]
        changes.append(change)
        print(f"{lang}: {none['utterances']} utterances, WER {100 * none['wer']:.2f} -> {100 * fused['wer']:.2f} ({100 * change:+.1f}%), "
              f"CER {100 * none['cer']:.2f} -> {100 * fused['cer']:.2f}, better/worse/same {better}/{worse}/{len(pairs) - better - worse}, "
              f"RTF {none['rtf']:.3f} -> {fused['rtf']:.3f}")
    if changes:
        print(f"mean relative WER change {100 * sum(changes) / len(changes):+.1f}% over {len(changes)} languages")


if __name__ == "__main__":
    main()
