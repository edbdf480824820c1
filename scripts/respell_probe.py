#!/usr/bin/env python3
"""Can the LM write a label it fails to copy once the label is spelt with tokens it has seen?
Runs `glossa eval fewshot --mode open --show N` for its prompts, keeps the episodes whose true
label holds a token seen fewer than --min-count times in the LM corpus, and answers each by
greedy decoding twice (through `glossa lm logits`, one call per generated token): with the
prompt as the tokenizer encodes it, and with every such token of a label (wherever it occurs in
the prompt; image words are left alone unless they are such a token too) respelt as the fewest
tokens of the same bytes that are each seen at least --min-count times. Prints, per spelling,
how many answers equal the label. The respelt text is the same text: only its tokens differ.

  pip install tokenizers safetensors numpy
  python3 scripts/respell_probe.py [--lm assets/lm/glossa-lm-v10] [--way 2] [--episodes 300] [--labels "trouser,t-shirt"]
"""
import argparse
import re
import subprocess
import tempfile

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from lm_table import corpus_counts


def respelling(token_bytes, pieces):
    """The fewest pieces (bytes → id) that spell token_bytes, or None."""
    best = [None] * (len(token_bytes) + 1)
    best[0] = []
    for end in range(1, len(token_bytes) + 1):
        for start in range(end):
            piece = pieces.get(token_bytes[start:end])
            if piece is not None and best[start] is not None and (best[end] is None or len(best[start]) + 1 < len(best[end])):
                best[end] = best[start] + [piece]
    return best[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lm", default="assets/lm/glossa-lm-v10")
    ap.add_argument("--way", type=int, default=2)
    ap.add_argument("--episodes", type=int, default=300)
    ap.add_argument("--min-count", type=int, default=100)
    ap.add_argument("--corpus", default="data/corpus")
    ap.add_argument("--glossa", default=".build/release/glossa")
    ap.add_argument("--labels", default="", help="comma-separated labels: respell only their tokens (default: every label's)")
    args = ap.parse_args()
    tok = Tokenizer.from_file(f"{args.lm}/tokenizer.json")
    counts = corpus_counts(tok.get_vocab_size(), args.corpus)
    spelt = {i: tok.decode([i]).encode() for i in range(tok.get_vocab_size())}
    pieces = {b: i for i, b in spelt.items() if counts[i] >= args.min_count and tok.encode(b.decode(errors="ignore"), add_special_tokens=False).ids == [i]}
    shown = subprocess.run([args.glossa, "eval", "fewshot", "--lm", args.lm, "--way", str(args.way), "--shot", "1", "--induction",
                            "--mode", "open", "--episodes", str(args.episodes), "--seed", "0", "--show", str(args.episodes)],
                           capture_output=True, text=True, check=True).stderr
    newline = tok.encode("\n", add_special_tokens=False).ids
    out = tempfile.NamedTemporaryFile(suffix=".safetensors")

    def greedy(ids):
        answer = []
        for _ in range(8):
            subprocess.run([args.glossa, "lm", "logits", "--model", args.lm, "--ids", ",".join(map(str, ids + answer)), "--out", out.name],
                           check=True, capture_output=True)
            token = int(np.argmax(load_file(out.name)["logits"][-1]))
            if token in newline:
                break
            answer.append(token)
        return tok.decode(answer).strip()

    episodes = []
    for block in shown.split("\n\n"):
        lines = [l for l in block.split("\n") if l and not l.startswith("eval fewshot")]
        found = [re.search(r"\(truth: (.*)\)", l) for l in lines if l.startswith("→")]
        if found:
            episodes.append((found[0].group(1), "\n".join(l for l in lines if not l.startswith("→"))))
    labels = args.labels.split(",") if args.labels else {truth for truth, _ in episodes}
    label_tokens = {i for label in labels for i in tok.encode(" " + label, add_special_tokens=False).ids}
    rare = {i: respelling(spelt[i], pieces) for i in label_tokens if counts[i] < args.min_count}
    print("respelt: " + ", ".join(f"{tok.decode([i])!r} ({counts[i]}×) → " + " ".join(repr(tok.decode([p])) for p in r) for i, r in rare.items() if r))
    right = {"as encoded": 0, "respelt": 0}
    total = 0
    for truth, prompt in episodes:
        if not any(i in rare for i in tok.encode(" " + truth, add_special_tokens=False).ids):
            continue
        ids = tok.encode(prompt, add_special_tokens=False).ids
        respelt = [p for i in ids for p in (rare.get(i) or [i])]
        total += 1
        right["as encoded"] += greedy(ids) == truth
        right["respelt"] += greedy(respelt) == truth
    for kind, n in right.items():
        print(f"{kind}: {n}/{total} answers equal the label")


if __name__ == "__main__":
    main()
