#!/usr/bin/env python3
"""Fusion against no fusion, per language, from `glossa eval asr --json` outputs named
DIR/none-<lang>.json and DIR/fused-<lang>.json: WER, CER, relative WER change, the utterances
whose word errors fusion lowers / raises / leaves, RTF, and the mean relative change.

  python3 scripts/fusion_compare.py runs/test120
"""
import json
import sys


def main():
    folder = sys.argv[1]
    changes = []
    for lang in ["en", "de", "es", "fr", "it"]:
        try:
            none = json.load(open(f"{folder}/none-{lang}.json"))
            fused = json.load(open(f"{folder}/fused-{lang}.json"))
        except (FileNotFoundError, json.JSONDecodeError):  # a language not run, or still running
            continue
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
