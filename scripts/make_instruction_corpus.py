#!/usr/bin/env python3
"""Flan-style instruction data for the frozen LM (issue: in-context prompting), text only.

  pip install tokenizers
  python3 scripts/make_instruction_corpus.py data/instruct/corpus [--episodes 40000] [--seed 0]

Writes OUT/instruct/{train,valid}.tokens (templated few-shot tasks) and
OUT/general/{train,valid}.tokens (an equal share of the LM corpus, so the LM keeps its
language), in the token-file format of `glossa corpus` (little-endian UInt16 ids, documents
separated by <|endoftext|>), for
  glossa lm train --init assets/lm/glossa-lm-v2 --data OUT --languages instruct,general \
      --trainable-embeddings none ...

Every episode is rendered with one of the prompt templates Glossa ships
(Sources/GlossaPrompt/Templates: induction, frozen, options), N-way K-shot, with the answer
appended. Two task families, both plain text (the LM never sees an image):
  * word groups: each class is a word and its inflections ("river", "rivers", "River");
    the support shows some forms with a label (random words, sometimes two), the query shows
    another form, and the answer is the label of its class: matching a query to the support
    and copying the label, the skill few-shot classification needs;
  * language identification: 3–6 consecutive words of a corpus sentence, labelled with the
    language's English name.
Words are whole-word tokens of the LM's vocabulary from the corpus's *training* split, with
every Fashion-MNIST class and concept word removed, so nothing here is about the evaluation
images or their labels.
"""
import argparse
import os
import random
import re
import struct
import sys

from tokenizers import Tokenizer

TEMPLATES = "Sources/GlossaPrompt/Templates"
LANGUAGES = {"en": "english", "de": "german", "es": "spanish", "fr": "french", "it": "italian",
             "nl": "dutch", "pt": "portuguese"}
# Fashion-MNIST's label names and the SPAE concept words (FashionWords.swift and their LM
# neighbours), in every form: none may appear in the tuning data.
EXCLUDED = set("""t-shirt shirt shirts top tops tee tees vest vests trouser trousers pants jeans pullover
pullovers sweater sweaters jumper jumpers hoodie hoodies dress dresses gown gowns skirt skirts coat coats
jacket jackets sandal sandals slipper slippers heel heels strap straps sole soles sneaker sneakers shoe
shoes bag bags purse purses wallet wallets backpack backpacks boot boots ankle ankles tie ties token
tokens""".split())


def template(name):
    text = open(os.path.join(TEMPLATES, name + ".txt"), encoding="utf-8").read()
    header, body = text.split("\n---\n", 1)
    lines = [l for l in header.split("\n") if not l.startswith("#")]
    example = "\n".join(lines)[len("example: "):]
    return example, body[:-1] if body.endswith("\n") else body


def options(labels):
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def render(tpl, support, query, labels):
    example, body = tpl
    examples = "".join(example.replace("{image}", i).replace("{label}", l) + "\n" for i, l in support)
    return body.replace("{examples}", examples).replace("{options}", options(labels)).replace("{query}", query)


def whole_words(tok, lines, minimum):
    counts = {}
    for line in lines:
        for w in re.findall(r"[A-Za-z]+", line):
            counts[w] = counts.get(w, 0) + 1
    keep = []
    for w, c in counts.items():
        if c >= minimum and 3 <= len(w) <= 12 and w.lower() not in EXCLUDED and len(tok.encode(" " + w, add_special_tokens=False).ids) == 1:
            keep.append(w)
    return sorted(keep)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--corpus", default="data/corpus")
    ap.add_argument("--tokenizer", default="assets/lm/glossa-lm-v2/tokenizer.json")
    ap.add_argument("--episodes", type=int, default=40000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tok = Tokenizer.from_file(args.tokenizer)
    eot = tok.token_to_id("<|endoftext|>")
    lines = {lang: [l for l in open(f"{args.corpus}/{lang}/train.txt", encoding="utf-8").read().split("\n") if len(l.split()) >= 6]
             for lang in LANGUAGES}
    english = whole_words(tok, lines["en"], 20)
    lowercase = set(w for w in english if w.islower())
    # A class: a lowercase word with at least one other single-token form.
    groups = []
    for w in sorted(lowercase):
        forms = [f for f in (w, w + "s", w.capitalize()) if f == w or (len(tok.encode(" " + f, add_special_tokens=False).ids) == 1 and f.lower().rstrip("s") not in EXCLUDED)]
        if len(forms) >= 2:
            groups.append(forms)
    noise = whole_words(tok, [l for lang in LANGUAGES for l in lines[lang][:20000]], 20)
    labels = sorted(lowercase)
    print(f"instruct: {len(groups)} word groups, {len(noise)} noise words, {len(labels)} label words", file=sys.stderr)
    templates = {name: template(name) for name in ("induction", "frozen", "options")}

    def label():
        return rng.choice(labels) if rng.random() < 0.75 else rng.choice(labels) + " " + rng.choice(labels)

    def words_item(forms):
        # One word (SPAE's layer 1) or the word with noise words after it (deeper layers).
        item = [rng.choice(forms)]
        if rng.random() < 0.4:
            item += rng.sample(noise, rng.choice((1, 2, 4)))
        return " ".join(item)

    def language_item(lang):
        words = rng.choice(lines[lang]).split()
        n = rng.randint(3, 6)
        start = rng.randint(0, max(0, len(words) - n))
        return " ".join(words[start:start + n])

    def episode():
        way, shot = rng.choice((2, 2, 3, 5)), rng.choice((1, 1, 2, 5))
        if rng.random() < 0.2:
            classes = rng.sample(sorted(LANGUAGES), min(way, len(LANGUAGES)))
            names = [LANGUAGES[c] for c in classes]
            item = language_item
        else:
            classes = rng.sample(groups, way)
            names = []
            while len(names) < way:
                name = label()
                if name not in names:
                    names.append(name)
            item = words_item
        support = [(item(c), names[i]) for i, c in enumerate(classes) for _ in range(shot)]
        rng.shuffle(support)
        answer = rng.randrange(way)
        name = rng.choices(("induction", "frozen", "options"), weights=(0.45, 0.3, 0.25))[0]
        return render(templates[name], support, item(classes[answer]), names) + " " + names[answer]

    os.makedirs(f"{args.out}/instruct", exist_ok=True)
    os.makedirs(f"{args.out}/general", exist_ok=True)
    counts = {}
    for split, n in (("train", args.episodes), ("valid", max(200, args.episodes // 50))):
        ids = []
        for _ in range(n):
            ids += tok.encode(episode(), add_special_tokens=False).ids + [eot]
        with open(f"{args.out}/instruct/{split}.tokens", "wb") as f:
            f.write(struct.pack(f"<{len(ids)}H", *ids))
        counts[split] = len(ids)
        if split == "train":
            with open(f"{args.out}/instruct/sample.txt", "w", encoding="utf-8") as f:
                f.write("\n\n".join(tok.decode(ids[:4000]).split("<|endoftext|>")[:6]))
    # General text: an equal number of tokens, evenly from each language's token file.
    for split in ("train", "valid"):
        share = counts[split] // len(LANGUAGES)
        out = bytearray()
        for lang in LANGUAGES:
            data = open(f"{args.corpus}/{lang}/{split}.tokens", "rb").read()
            start = rng.randrange(0, max(1, len(data) // 2 - share)) * 2
            out += data[start:start + 2 * share]
        open(f"{args.out}/general/{split}.tokens", "wb").write(out)
    print(f"instruct: {counts['train']:,} train / {counts['valid']:,} valid tokens of episodes, as many of general text",
          file=sys.stderr)


if __name__ == "__main__":
    main()
