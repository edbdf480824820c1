#!/usr/bin/env python3
"""Two builds' transcripts of the same sets, utterance by utterance: for every
`glossa eval asr --json` output in NEW_DIR with a namesake in OLD_DIR, how many hypotheses are
the same word for word, how many of the others have fewer / more word errors, and the WER of
each, then the word errors of all; with --show, the differing ones.

  python3 scripts/compare_transcripts.py runs/pk/test-l0.2-m0 runs/ab/test-l0.2-m0
"""
import json
import os
import sys


def main():
    show = "--show" in sys.argv[1:]
    args = [a for a in sys.argv[1:] if a != "--show"]
    if len(args) != 2:
        sys.exit("usage: compare_transcripts.py OLD_DIR NEW_DIR [--show]")
    old_dir, new_dir = args
    same_total = total = old_errors = new_errors = 0
    for name in sorted(os.listdir(new_dir)):
        old_path = os.path.join(old_dir, name)
        if not name.endswith(".json") or not os.path.exists(old_path):
            continue
        old_run, new = json.load(open(old_path)), json.load(open(os.path.join(new_dir, name)))
        old = {r["path"]: r for r in old_run["results"]}
        differing = [r for r in new["results"] if r["path"] not in old or old[r["path"]]["hypothesis"] != r["hypothesis"]]
        same = len(new["results"]) - len(differing)
        same_total += same
        total += len(new["results"])
        old_errors += sum(old[r["path"]]["wordErrors"] for r in new["results"] if r["path"] in old)
        new_errors += sum(r["wordErrors"] for r in new["results"] if r["path"] in old)
        better = sum(r["wordErrors"] < old[r["path"]]["wordErrors"] for r in differing if r["path"] in old)
        worse = sum(r["wordErrors"] > old[r["path"]]["wordErrors"] for r in differing if r["path"] in old)
        print(f"{name}: {same} of {len(new['results'])} the same ({better} fewer word errors, {worse} more), "
              f"WER {100 * old_run['wer']:.2f} -> {100 * new['wer']:.2f}")
        if show:
            for r in differing:
                print(f"  {os.path.basename(r['path'])}\n    old: {old.get(r['path'], {}).get('hypothesis')}\n    new: {r['hypothesis']}")
    print(f"{same_total} of {total} transcripts the same; word errors {old_errors} -> {new_errors}")


if __name__ == "__main__":
    main()
