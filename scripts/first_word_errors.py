#!/usr/bin/env python3
"""How many utterances of `glossa eval asr --json` runs have a first word that differs from the
reference's (lower case, punctuation but apostrophes dropped), and their word errors in all.

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
        errors = sum(r["wordErrors"] for r in results)
        print(f"{path}: first word differs in {differ} of {len(results)}, word errors {errors}")


if __name__ == "__main__":
    main()
