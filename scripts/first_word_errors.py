#!/usr/bin/env python3
"""How many utterances of `glossa eval asr --json` runs have a first word that differs from the
reference's (lower case, punctuation but apostrophes dropped), how many hypotheses begin in
lower case (which WER does not count), and their word errors in all.

  python3 scripts/first_word_errors.py runs/fw/valid/fused-en.json ...
"""
import json
import re
import sys


def words(text):
    return re.sub(r"[^\w' ]", " ", text.lower()).split()


def main():
    for path in sys.argv[1:]:
        results = json.load(open(path))["results"]
        differ = sum(words(r["hypothesis"])[:1] != words(r["reference"])[:1] for r in results)
        lower = sum(r["hypothesis"].strip()[:1].islower() for r in results)
        errors = sum(r["wordErrors"] for r in results)
        print(f"{path}: first word differs in {differ} of {len(results)}, begins in lower case {lower}, word errors {errors}")


if __name__ == "__main__":
    main()
