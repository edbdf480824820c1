#!/usr/bin/env python3
"""How well an LM copies a label it has barely seen: 2-way 1-shot text prompts in the induction
template whose labels are single space-led vocabulary tokens, either tokens that occur at most
3 times in the LM corpus (their frozen embedding rows are still near their random
initialisation) or tokens that occur at least 200 times; items are common tokens. Prints the
share of prompts whose greedy first token is the right label, per model and kind.

  pip install tokenizers safetensors numpy
  python3 scripts/copy_probe.py assets/lm/glossa-lm-v10 [MORE_LM_DIRS...] [--prompts 24] [--seed 7]

With --labels "trouser,t-shirt,...", it first prints each label's tokens with their corpus
counts and the norms of their embedding rows (the first model's table).
"""
import argparse
import random
import re
import subprocess
import tempfile

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from lm_table import corpus_counts, embedding_table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--prompts", type=int, default=24)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--corpus", default="data/corpus")
    ap.add_argument("--glossa", default=".build/release/glossa")
    ap.add_argument("--labels", default="", help="comma-separated labels whose tokens to describe")
    args = ap.parse_args()
    tok = Tokenizer.from_file(f"{args.models[0]}/tokenizer.json")
    vocab = tok.get_vocab()
    counts = corpus_counts(len(vocab), args.corpus)
    if args.labels:
        norms = np.linalg.norm(embedding_table(args.models[0]), axis=1)
        for label in args.labels.split(","):
            ids = tok.encode(" " + label, add_special_tokens=False).ids
            print(f"{label!r}: " + ", ".join(f"{tok.decode([i])!r} ({counts[i]} in the corpus, norm {norms[i]:.2f})" for i in ids))
        for lo, hi in ((0, 4), (4, 100), (100, 10**12)):
            rows = (counts[:len(norms)] >= lo) & (counts[:len(norms)] < hi)
            print(f"tokens seen {lo}–{hi - 1 if hi < 10**12 else '…'} times: {rows.sum()}, median row norm {np.median(norms[rows]):.2f}")
    # Space-led letter tokens that " word" encodes back to, so the prompt holds exactly that token.
    words = {i: t for t, i in vocab.items() if re.fullmatch(r"Ġ[a-z]{3,}", t) and tok.encode(" " + t[1:], add_special_tokens=False).ids == [i]}
    pools = {"unseen (≤ 3 corpus occurrences)": sorted(i for i in words if counts[i] <= 3),
             "common (≥ 200)": sorted(i for i in words if counts[i] >= 200)}
    rng = random.Random(args.seed)
    out = tempfile.NamedTemporaryFile(suffix=".safetensors")
    for kind, pool in pools.items():
        prompts = []
        for _ in range(args.prompts):
            a, b = rng.sample(pool, 2)
            x, y = rng.sample(pools["common (≥ 200)"], 2)
            A, B, X, Y = (tok.decode([i]).strip() for i in (a, b, x, y))
            query, answer = rng.choice(((X, a), (Y, b)))
            text = f"Classify each image as {A} or {B}.\nInput: {X} Output: {A}\nInput: {Y} Output: {B}\nInput: {query} Output:"
            prompts.append((tok.encode(text, add_special_tokens=False).ids, answer))
        for model in args.models:
            right = 0
            for ids, answer in prompts:
                subprocess.run([args.glossa, "lm", "logits", "--model", model, "--ids", ",".join(map(str, ids)), "--out", out.name],
                               check=True, capture_output=True)
                right += int(np.argmax(load_file(out.name)["logits"][-1])) == answer
            print(f"{model}\t{kind}\t{right}/{len(prompts)}")


if __name__ == "__main__":
    main()
