#!/usr/bin/env python3
"""Flan-style instruction data for the frozen LM (issue: in-context prompting), text only.

  pip install tokenizers
  python3 scripts/make_instruction_corpus.py data/instruct/corpus [--episodes 40000] [--seed 0]

Writes OUT/instruct/{train,valid}.tokens (templated few-shot tasks, each episode after an
<|endoftext|>) with OUT/instruct/{train,valid}.mask, and OUT/general/{train,valid}.tokens (a
share of the LM corpus, so the LM keeps its language; --general-share 0 leaves it out), in
the token-file format of `glossa corpus` (little-endian UInt16 ids). The mask has one byte
per token (TokenCorpus): bit 1 marks the <|endoftext|> that starts an episode, bit 0 a token
the loss predicts: the answer and the <|endoftext|> after it, and every support label whose
class the episode has already shown (predictable by copying); never the prompt. For
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
    language's English name;
  * lookup (--lookup-share): the same templates, 3–6 shots per class, each class always
    shown by the same word, so every label after a class's first line is a target: many
    copying targets per episode instead of one;
  * related labels (--related-labels): each class's label is another form of its item's
    word ("Input: rivers Output: river") or, for half of the classes, a word of 2–3 tokens
    whose first token begins the item ("Input: transform Output: transl ator"). Elsewhere a
    label never resembles its item, and glossa-lm-v3 had learnt that: it would not copy
    " trous" "er" after " trousers" even with the line to copy in its prompt;
  * long noisy items (--long-noise, --long-noise-max, --noise-pool): a share of the noisy
    items carry 8 to --long-noise-max noise words after their word, as a 3-layer SPAE image's
    20 detail words follow its layer-1 word; with --noise-pool N every class of an episode
    draws them from the same N words, so that only the first word tells the classes apart;
  * repeats (--repeat-share): a run of 8–32 random words, then the run again; the second copy
    is the target. Induction heads form on exactly this (Olsson et al. 2022), and a target on
    almost every token gives the densest signal for them.
    With --rare-repeats, that share of the runs is random space-led vocabulary tokens instead;
  * rare-token labels (--rare-labels): labels of 1–3 random letter tokens of the vocabulary,
    many of them tokens the LM corpus never has, so that copying is trained on embedding rows
    still near their random initialisation (docs/prompting.md: the Fashion-MNIST labels
    " trous" "er", " t" "-" "shirt" and " ankle" " boot" hold such tokens). Tokens of the
    excluded words are never drawn.
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


def render(tpl, support, query, labels, answer):
    """The episode as (text, is_target) segments. Every label starts its own segment with its
    leading space, a pre-token boundary of the byte-level BPE, so tokenizing the segments one
    by one gives the tokens of the whole text."""
    example, body = tpl
    before_examples, after_examples = body.split("{examples}")
    before_label, after_label = example.split("{label}")
    space = " " if before_label.endswith(" ") else ""
    before_label = before_label[:len(before_label) - len(space)]
    segments = [(before_examples.replace("{options}", options(labels)), False)]
    for item, label, seen in support:
        segments += [(before_label.replace("{image}", item), False), (space + label, seen), (after_label + "\n", False)]
    segments += [(after_examples.replace("{options}", options(labels)).replace("{query}", query), False), (" " + answer, True)]
    return segments


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
    ap.add_argument("--language-share", type=float, default=0.2, help="fraction of language-identification episodes")
    ap.add_argument("--lookup-share", type=float, default=0, help="fraction of lookup episodes (exact repeats, 3–6 shots)")
    ap.add_argument("--multi-token-labels", type=float, default=0,
                    help="fraction of labels that are words of 2–3 tokens or hyphenated pairs (like 't-shirt')")
    ap.add_argument("--rare-labels", type=float, default=0,
                    help="fraction of word-group labels made of 1–3 random vocabulary tokens, most of them tokens the LM "
                         "corpus barely has (frozen embeddings still near their random initialisation)")
    ap.add_argument("--rare-repeats", type=float, default=0,
                    help="fraction of repeat episodes whose run is random space-led vocabulary tokens (see --rare-labels)")
    ap.add_argument("--long-noise", type=float, default=0,
                    help="fraction of noisy items with 8 to --long-noise-max noise words (SPAE's 3-layer images are 21 words)")
    ap.add_argument("--long-noise-max", type=int, default=20, help="most noise words of a long noisy item")
    ap.add_argument("--noisy-items", type=float, default=0.4, help="fraction of word items that carry noise words")
    ap.add_argument("--pyramid-noise", default="",
                    help="comma-separated noise-word counts, e.g. 0,4,20,84 (SPAE's 1–4 layers): each episode picks one and "
                         "every word item of it carries exactly that many, as every image of a prompt has the same depth")
    ap.add_argument("--noise-pool", type=int, default=0,
                    help="draw each episode's noise words from a pool of this many (0: from all), so that items of "
                         "different classes share noise words, as SPAE's detail words do, and only the first word tells them apart")
    ap.add_argument("--repeat-share", type=float, default=0, help="fraction of repeated-word-run episodes")
    ap.add_argument("--answer-newline", action="store_true",
                    help="end each answer with a newline that the loss predicts, so greedy generation ends the line")
    ap.add_argument("--related-labels", type=float, default=0,
                    help="fraction of word-group and lookup episodes whose labels are forms of their items' words "
                         "('rivers' → 'river', or 2–3-token words whose first token begins the item)")
    ap.add_argument("--general-share", type=float, default=1.0, help="general-text tokens per episode token (0: none)")
    ap.add_argument("--general-targets", type=float, default=1.0,
                    help="fraction of general-text tokens the loss predicts (below 1 writes general/*.mask)")
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

    # Labels of several tokens (" sweatband" → " sweat" "band", "x-y"): Fashion-MNIST's
    # " t-shirt", " pullover" and " ankle boot" are such, and copying them is a token-by-token
    # induction that single-token labels never train.
    pieces = sorted(w for w in set(re.findall(r"[a-z]+", " ".join(lines["en"][:50000])))
                    if 5 <= len(w) <= 12 and w not in EXCLUDED and 2 <= len(tok.encode(" " + w, add_special_tokens=False).ids) <= 3)

    # Related labels: (item forms, label) with a label that looks like the item: the lowercase
    # base of a word group, or a word of 2–3 tokens whose first token begins the item
    # (" trousers" → " trous" "er" is of this kind; " transform" → " transl" "ator" too).
    related_bases = [(forms[1:], forms[0]) for forms in groups]
    by_prefix = {}
    for w in sorted(lowercase):
        by_prefix.setdefault(w[:4], []).append(w)
    related_prefixed = []
    for p in pieces:
        first = tok.decode([tok.encode(" " + p, add_special_tokens=False).ids[0]]).strip()
        if len(first) >= 3:
            related_prefixed += [([w], p) for w in by_prefix.get(p[:4], []) if w != p and w.startswith(first) and len(w) > len(first)]
    print(f"instruct: {len(related_bases)} + {len(related_prefixed)} related-label classes", file=sys.stderr)

    # Rare-token labels: a space-led token and up to two continuation tokens, drawn uniformly
    # from the vocabulary's letter tokens. A third of the vocabulary never occurs in the LM
    # corpus, so its frozen rows are still random vectors, and copying them is a skill that
    # frequent labels never train: glossa-lm-v5 copies " sneaker" but not " trous" "er"
    # (3 corpus occurrences). Every token of an excluded word is left out, so the Fashion-MNIST
    # labels' own tokens are never drawn; the skill transfers because one random row is like another.
    banned = {i for w in EXCLUDED for form in (w, " " + w, " " + w.capitalize())
              for i in tok.encode(form, add_special_tokens=False).ids}
    vocab = tok.get_vocab()
    starts = sorted(i for t, i in vocab.items() if re.fullmatch(r"Ġ[a-z]{2,}", t) and i not in banned
                    and tok.encode(t.replace("Ġ", " "), add_special_tokens=False).ids == [i])
    continuations = sorted(i for t, i in vocab.items() if re.fullmatch(r"[a-z]{2,}", t) and i not in banned)

    def rare_label():
        while True:
            ids = [rng.choice(starts)] + [rng.choice(continuations) for _ in range(rng.choice((0, 1, 1, 2)))]
            text = tok.decode(ids).strip()
            if tok.encode(" " + text, add_special_tokens=False).ids == ids:
                return text

    def related_class():
        return rng.choice(related_prefixed if rng.random() < 0.5 else related_bases)

    def label():
        if rng.random() < args.rare_labels:
            return rare_label()
        if rng.random() < args.multi_token_labels:
            return rng.choice(pieces) if rng.random() < 0.6 else rng.choice(labels) + "-" + rng.choice(labels)
        return rng.choice(labels) if rng.random() < 0.75 else rng.choice(labels) + " " + rng.choice(labels)

    def words_item(forms):
        # One word (SPAE's layer 1) or the word with noise words after it (deeper layers).
        item = [rng.choice(forms)]
        if pyramid:
            item += [rng.choice(pool) for _ in range(depth_noise)]
        elif rng.random() < args.noisy_items:
            n = rng.randint(8, args.long_noise_max) if rng.random() < args.long_noise else rng.choice((1, 2, 4))
            # From the pool with replacement: SPAE's detail words repeat within an image too.
            item += [rng.choice(pool) for _ in range(n)] if pool else rng.sample(noise, n)
        return " ".join(item)

    def language_item(lang):
        words = rng.choice(lines[lang]).split()
        n = rng.randint(3, 6)
        start = rng.randint(0, max(0, len(words) - n))
        return " ".join(words[start:start + n])

    def repeats():
        if rng.random() < args.rare_repeats:
            run = tok.decode([rng.choice(starts) for _ in range(rng.randint(8, 32))])
        else:
            run = " " + " ".join(rng.choice(noise if rng.random() < 0.5 else labels) for _ in range(rng.randint(8, 32)))
        first, rest = run.split(" ", 2)[1:]
        return [(run, False), (" " + first, False), (" " + rest, True)]

    pool = []
    pyramid = [int(n) for n in args.pyramid_noise.split(",")] if args.pyramid_noise else []
    if pyramid and not args.noise_pool:
        sys.exit("--pyramid-noise draws from the episode's pool: give --noise-pool too")
    depth_noise = 0

    def episode():
        nonlocal pool, depth_noise
        pool = rng.sample(noise, args.noise_pool) if args.noise_pool else []
        depth_noise = rng.choice(pyramid) if pyramid else 0
        kind = rng.random()
        if kind < args.repeat_share:
            return repeats()
        way, shot = rng.choice((2, 2, 3, 5)), rng.choice((1, 1, 2, 5))
        lookup = kind < args.repeat_share + args.lookup_share
        if lookup:
            shot = rng.randint(3, 6)
        if not lookup and rng.random() < args.language_share:
            classes = rng.sample(sorted(LANGUAGES), min(way, len(LANGUAGES)))
            names = [LANGUAGES[c] for c in classes]
            item = language_item
        elif args.related_labels and rng.random() < args.related_labels:
            picked = [related_class() for _ in range(way)]
            while len(set(name for _, name in picked)) < way:
                picked = [related_class() for _ in range(way)]
            names = [name for _, name in picked]
            classes = [words_item(forms) for forms, _ in picked] if lookup else [forms for forms, _ in picked]
            item = (lambda fixed: fixed) if lookup else words_item
        else:
            classes = rng.sample(groups, way)
            if lookup:
                # One fixed item per class (a word, or a word and noise words): exact repeats.
                classes = [words_item(forms) for forms in classes]
            names = []
            while len(names) < way:
                name = label()
                if name not in names:
                    names.append(name)
            item = (lambda fixed: fixed) if lookup else words_item
        shown = [(i, item(c)) for i, c in enumerate(classes) for _ in range(shot)]
        rng.shuffle(shown)
        support = [(text, names[i], any(j == i for j, _ in shown[:k])) for k, (i, text) in enumerate(shown)]
        answer = rng.randrange(way)
        name = rng.choices(("induction", "frozen", "options"), weights=(0.45, 0.3, 0.25))[0]
        segments = render(templates[name], support, item(classes[answer]), names, names[answer])
        return segments + [("\n", True)] if args.answer_newline else segments

    os.makedirs(f"{args.out}/instruct", exist_ok=True)
    counts = {}
    for split, n in (("train", args.episodes), ("valid", max(200, args.episodes // 50))):
        ids, mask = [], []
        for _ in range(n):
            if mask:
                mask[-1] |= 1  # the <|endoftext|> after an answer ends it
            ids.append(eot)
            mask.append(2)
            for text, target in episode():
                piece = tok.encode(text, add_special_tokens=False).ids
                ids += piece
                mask += [1 if target else 0] * len(piece)
        with open(f"{args.out}/instruct/{split}.tokens", "wb") as f:
            f.write(struct.pack(f"<{len(ids)}H", *ids))
        with open(f"{args.out}/instruct/{split}.mask", "wb") as f:
            f.write(bytes(mask))
        counts[split] = len(ids)
        if split == "train":
            with open(f"{args.out}/instruct/sample.txt", "w", encoding="utf-8") as f:
                shown = "".join(("[" + tok.decode([i], skip_special_tokens=False) + "]") if m & 1 else tok.decode([i], skip_special_tokens=False)
                                for i, m in zip(ids[:4000], mask[:4000]))
                f.write("\n\n".join(shown.split("<|endoftext|>")[1:7]) + "\n\n([…]: the tokens the loss predicts)\n")
    print(f"instruct: {counts['train']:,} train / {counts['valid']:,} valid tokens of episodes", file=sys.stderr)
    if args.general_share == 0:
        return
    # General text: general_share times as many tokens, evenly from each language's token file.
    os.makedirs(f"{args.out}/general", exist_ok=True)
    for split in ("train", "valid"):
        share = int(counts[split] * args.general_share) // len(LANGUAGES)
        out = bytearray()
        for lang in LANGUAGES:
            data = open(f"{args.corpus}/{lang}/{split}.tokens", "rb").read()
            start = rng.randrange(0, max(1, len(data) // 2 - share)) * 2
            out += data[start:start + 2 * share]
        open(f"{args.out}/general/{split}.tokens", "wb").write(out)
        if args.general_targets < 1:
            # Any token may start a window; a random fraction are targets: an unbiased sample of
            # the LM loss at that fraction of the output head's cost.
            mask = bytes(3 if rng.random() < args.general_targets else 2 for _ in range(len(out) // 2))
            open(f"{args.out}/general/{split}.mask", "wb").write(mask)


if __name__ == "__main__":
    main()
