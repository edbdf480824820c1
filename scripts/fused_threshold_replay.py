#!/usr/bin/env python3
"""Replays a looser confidence check for the fused decoding, offline, per language: the fused
decoding at temperature 0 is kept when its mean log-probability (whisper's own) is at least
-1 - delta and it neither repeats a 4-word sequence nor compresses above 2.4; otherwise the
window takes what the default run kept. delta 0 is the default rule, so its row must equal the
default run (checked, and the mismatches printed).

Inputs, `glossa eval asr --json` outputs, one window per utterance (the synthetic sets):
  NOFALLBACK/fusednf-<lang>.json  fused, --no-fallback: the fused decoding and its avg_logprob
  DEFAULT/fused-<lang>.json        fused with the default fallback
  DEFAULT/none-<lang>.json         unfused, the baseline of the relative change

  python3 scripts/fused_threshold_replay.py runs/nf/valid-l0.2 runs/sa/valid-l0.2-m0
"""
import json
import re
import sys

LANGUAGES = ["en", "de", "es", "fr", "it"]
DELTAS = [0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, float("inf")]


def repeats_words(text, n=4):
    """ShallowFusion.repeatsWords: a 4-word sequence (case and punctuation aside) seen twice."""
    words = [w for w in re.split(r"[^\w]|_", text.lower()) if w]
    seen = set()
    for i in range(len(words) - n + 1):
        gram = tuple(words[i:i + n])
        if gram in seen:
            return True
        seen.add(gram)
    return False


def main():
    nofallback, default = sys.argv[1], sys.argv[2]
    means = {d: [] for d in DELTAS}
    for lang in LANGUAGES:
        try:
            raw = json.load(open(f"{nofallback}/fusednf-{lang}.json"))["results"]
            kept = json.load(open(f"{default}/fused-{lang}.json"))["results"]
            none = json.load(open(f"{default}/none-{lang}.json"))
        except (FileNotFoundError, json.JSONDecodeError):
            continue
        words = sum(r["words"] for r in kept)
        row = []
        for delta in DELTAS:
            errors, taken, mismatches = 0, 0, 0
            for r, k in zip(raw, kept):
                segments = r["segments"]
                passes = bool(segments) and all(s["avg_logprob"] >= -1 - delta and s["compression_ratio"] <= 2.4 for s in segments) \
                    and not repeats_words(r["hypothesis"])
                if passes:
                    taken += 1
                    errors += r["wordErrors"]
                    if delta == 0 and r["hypothesis"] != k["hypothesis"]:
                        mismatches += 1
                else:
                    errors += k["wordErrors"]
            wer = errors / words
            change = (wer - none["wer"]) / none["wer"]
            means[delta].append(change)
            row.append(f"δ{delta:g}: {100 * wer:.2f} ({100 * change:+.1f}%, fused kept {taken})"
                       + (f" [{mismatches} differ from the default run]" if delta == 0 else ""))
        print(f"{lang} (no fusion {100 * none['wer']:.2f}): " + "; ".join(row))
    for delta, changes in means.items():
        if changes:
            print(f"δ {delta:g}: mean relative change {100 * sum(changes) / len(changes):+.2f}% over {len(changes)} languages")


if __name__ == "__main__":
    main()
