#!/usr/bin/env python3
"""Replays fusion's loop check on finished runs: for "a sequence of n words k times" (case and
punctuation aside), each fused transcript that has one is replaced by the unfused transcript of
the same utterance, and the relative WER change per language is printed.

The replay is exact for utterances of one window (the synthetic sets: 3-10 s each): a fused
window that fails the check is decoded again without the LM at temperature 0, then sampled with
the same seeds, which is what the unfused run decoded. A fused loop that runs into a second
window is replayed too optimistically, so over a whole set the replay is an estimate. Reads DIR/none-<lang>.json and
FUSED_DIR/fused-<lang>.json from `glossa eval asr --json` (fused with --lm-loop-words 0).

  python3 scripts/fusion_loop_replay.py runs/valid120 runs/valid120/l02
"""
import collections
import re
import sys

from fusion_compare import load_runs

CHECKS = [(1, 4), (2, 3), (3, 3), (2, 4), (3, 2), (4, 2)]


def repeats(text, n, k):
    words = re.findall(r"\w+", text.lower())
    counts = collections.Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    return bool(counts) and max(counts.values()) >= k


def main():
    runs = [(lang, unfused["results"], fused["results"]) for lang, unfused, fused in load_runs(sys.argv[1], sys.argv[2])]
    for n, k in [(0, 0)] + CHECKS:
        changes, cells, flagged, references = [], [], 0, 0
        for lang, unfused, fused in runs:
            before = sum(u["wordErrors"] for u in unfused)
            after = 0
            for u, f in zip(unfused, fused):
                loop = n > 0 and repeats(f["hypothesis"], n, k)
                flagged += loop
                references += n > 0 and repeats(f["reference"], n, k)
                after += u["wordErrors"] if loop else f["wordErrors"]
            changes.append((after - before) / before)
            cells.append(f"{lang} {100 * changes[-1]:+.1f}%")
        name = "no check" if n == 0 else f"{n} words {k} times"
        print(f"{name:>16}: {', '.join(cells)}; mean {100 * sum(changes) / len(changes):+.2f}%; "
              f"fused transcripts flagged {flagged}, references {references}")


if __name__ == "__main__":
    main()
