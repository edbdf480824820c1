#!/usr/bin/env python3
"""Copy data for the rows of the LM's embedding table that its corpus never trained.

The LM corpus (LibreOffice help, the Debian handbook, GNOME help, fortunes) barely has everyday
words: "shirt" occurs 11 times in its 11.5M tokens, " trous" 3 times, so their rows keep their
random initialisation and a prompt's label spelled with them is not copied (docs/prompting.md,
open mode: glossa-lm-v10 writes " t-" "me" for " t-shirt" and " is" "er" for " trouser").
WordNet (Debian's wordnet-base, fetched by `make data`) lists the words of the whole English
lexicon, grouped in synsets ("trouser, pant").

  pip install tokenizers safetensors numpy
  python3 scripts/make_wordnet_corpus.py data/wordnet [--lm assets/lm/glossa-lm-v2] \
      [--spae assets/spae/glossa-spae-v4] [--min-norm 3] [--max-corpus-count 20] [--min-count 3]

Writes, in the token-file format of `glossa corpus`, OUT/wordcopy/{train,valid}.{tokens,mask}:
each synset's words that hold a row to train, twice, the second copy the target (the
TokenCorpus mask; the <|endoftext|> before each pair starts an episode), in a seeded random
order, 2% of the synsets in the valid split. Copying is what a prompt asks of a label's tokens,
and the pairs are short (about 10 tokens) so that a run of a few hundred steps shows each row
often. And OUT/rows.txt, the token ids to train (`glossa lm train --trainable-embeddings
rows:OUT/rows.txt`): rows still near their random initialisation (norm ≥ --min-norm; 4.7 is
the initialisation's median, 1.1 a trained row's, and a row halfway there, " sand" at 2.7, is
already copied) of tokens the LM corpus has at most --max-corpus-count times (" t" keeps a norm
of 4.7 but occurs 2,594 times and is copied), that the train split holds at least --min-count
times, and that are not SPAE codebook rows, which must never change.
"""
import argparse
import json
import os
import random

import numpy as np
from tokenizers import Tokenizer

from lm_table import corpus_counts, embedding_table

PARTS = ["noun", "verb", "adj", "adv"]


def synsets(root):
    """The words of each synset of WordNet's data.* files (format: wndb(5WN))."""
    for part in PARTS:
        with open(f"{root}/data.{part}", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  "):  # the licence header
                    continue
                fields = line.split(" | ")[0].split()
                count = int(fields[3], 16)
                # Adjective words carry a syntactic marker, e.g. "long(a)".
                yield [fields[4 + 2 * i].split("(")[0].replace("_", " ") for i in range(count)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--wordnet", default="data/raw/usr/share/wordnet")
    ap.add_argument("--lm", default="assets/lm/glossa-lm-v2", help="the LM whose tokenizer and table to use")
    ap.add_argument("--spae", default="assets/spae/glossa-spae-v4", help="the SPAE model whose codebook rows stay frozen")
    ap.add_argument("--corpus", default="data/corpus", help="the LM corpus (token files)")
    ap.add_argument("--max-corpus-count", type=int, default=20)
    ap.add_argument("--min-norm", type=float, default=3.0)
    ap.add_argument("--min-count", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if not os.path.exists(f"{args.wordnet}/data.noun"):
        raise SystemExit(f"error: {args.wordnet}/data.noun is missing (run make data)")
    tok = Tokenizer.from_file(f"{args.lm}/tokenizer.json")
    eot = tok.token_to_id("<|endoftext|>")
    newline = tok.encode("\n", add_special_tokens=False).ids
    heads = [", ".join(words) for words in synsets(args.wordnet)]
    random.Random(args.seed).shuffle(heads)
    encoded = [e.ids for e in tok.encode_batch([" " + h for h in heads], add_special_tokens=False)]
    cut = len(encoded) // 50
    splits = {"valid": encoded[:cut], "train": encoded[cut:]}

    counts = np.bincount(np.concatenate([np.array(ids, np.int64) for ids in splits["train"]]), minlength=tok.get_vocab_size())
    norms = np.linalg.norm(embedding_table(args.lm), axis=1)
    codebook = set(json.load(open(f"{args.spae}/config.json"))["codebookTokenIDs"])
    corpus = corpus_counts(len(norms), args.corpus)
    loud = [i for i in range(len(norms)) if norms[i] >= args.min_norm and corpus[i] <= args.max_corpus_count
            and counts[i] >= args.min_count and i != eot]
    rows = [i for i in loud if i not in codebook]
    os.makedirs(f"{args.out}/wordcopy", exist_ok=True)
    with open(f"{args.out}/rows.txt", "w") as f:
        f.write("\n".join(map(str, rows)) + "\n")
    print(f"rows to train: {len(rows)} ({len(loud) - len(rows)} more are codebook rows, kept frozen) → {args.out}/rows.txt")

    wanted = set(rows)
    for split, part in splits.items():
        ids, mask = [], []
        for words in part:
            if wanted.intersection(words):
                ids += [eot] + words + newline + words
                mask += [2] + [0] * (len(words) + len(newline) - 1) + [1] * (len(words) + 1)
        np.array(ids, np.uint16).tofile(f"{args.out}/wordcopy/{split}.tokens")
        open(f"{args.out}/wordcopy/{split}.mask", "wb").write(bytes(mask))
        print(f"wordcopy {split}: {len(ids)} tokens")


if __name__ == "__main__":
    main()
