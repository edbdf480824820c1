#!/usr/bin/env python3
"""Reference token ids for the byte-level BPE tokenizer (committed fixture).

  pip install tokenizers
  scripts/fetch_models.sh                      # Whisper tokenizer.json files
  apt-get download libreoffice-help-{en-us,de,es,fr,it,nl,pt,ru,zh-cn,ja}
  for f in libreoffice-help-*.deb; do dpkg -x "$f" lohelp; done
  pip download --no-deps openai-whisper==20250625 && tar xzf openai_whisper-20250625.tar.gz
  pip install tiktoken
  python3 scripts/make_tokenizer_fixture.py lohelp openai_whisper-20250625/whisper/assets
  # or, keeping the committed texts:
  python3 scripts/make_tokenizer_fixture.py --keep-texts openai_whisper-20250625/whisper/assets

Samples 200 paragraphs per language from LibreOffice help (en, de, es, fr, it, nl, pt, ru, zh,
ja) plus hand-written lines with emoji, combining marks, odd whitespace, contractions, digits
and special tokens, and records reference ids, encoded without a post-processor template:
- "whisper": Whisper's multilingual vocabulary as Whisper itself tokenizes (tiktoken with
  openai/whisper's multilingual.tiktoken). Computed with Python `tokenizers` on the wheel's
  tokenizer.json with its dropped first merge ("Ġ t", see DroppedMergeRepair.swift) put back,
  and checked against tiktoken on every line without special tokens;
- "gpt2": Python `tokenizers` on models/whisper-tiny.en (GPT-2's vocabulary and merges).
Writes Tests/GlossaLMTests/Fixtures/tokenizer_multilingual.jsonl.
"""
import base64
import html.parser
import json
import pathlib
import random
import sys

from tokenizers import Tokenizer

ROOT = pathlib.Path(__file__).resolve().parent.parent
LANGS = {"en": "en-US", "de": "de", "es": "es", "fr": "fr", "it": "it", "nl": "nl",
         "pt": "pt", "ru": "ru", "zh": "zh-CN", "ja": "ja"}

HANDWRITTEN = [
    "I'm sure it's what they'd've done; we'll see. YOU'RE RIGHT'S",
    "Emoji: 👍🏽 👨‍👩‍👧‍👦 🇩🇪🇯🇵 ❤️ 🤖💬 and text",
    "Combining marks: e\u0301cole, n\u0303, a\u030a, Z\u0351\u0300a\u0300lgo\u0301",
    "Tabs\tand\t\tspaces   and\n\nnewlines \n  indented",
    "   leading and trailing spaces   ",
    "Numbers 1234567890, 3.14159, -42, 1e-10, ١٢٣ ٤٥٦, ⅫⅣ",
    "Special tokens inline: <|endoftext|> and <|startoftranscript|><|en|><|transcribe|>",
    "Mixed scripts: Привет мир, 你好世界, こんにちは世界, مرحبا بالعالم, שלום",
    "Punctuation!!! ??? ... --- ''' \"\"\" (((parens))) [brackets] {braces} <angle>",
    "URLs https://example.org/path?q=1&x=2#frag and e-mail a.b@c.de",
    "Non-breaking\u00a0space, thin\u2009space, ideographic\u3000space, zero\u200bwidth",
    "Ligatures ﬁ ﬂ and full-width ＡＢＣ１２３ and super²³",
    "Korean 한국어 텍스트와 Thai ภาษาไทย and Hindi हिन्दी",
    "",
    " ",
    "\n",
    "a",
    "'s 't 're 've 'm 'll 'd",
    "Ünïcödé ÄÖÜ äöü ß ẞ Œuvre œuvre Ørsted ĳ",
    "Math: ∑ᵢ xᵢ² ≤ ∫₀^∞ e^{-x} dx ≈ 1 ⇒ ∀ε>0 ∃δ",
]


class TextExtractor(html.parser.HTMLParser):
    """Collects the text of <p> elements."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.current = []
        self.paragraphs = []

    def handle_starttag(self, tag, attrs):
        if tag == "p":
            self.depth += 1

    def handle_endtag(self, tag):
        if tag == "p" and self.depth:
            self.depth -= 1
            text = " ".join("".join(self.current).split())
            if len(text) > 20:
                self.paragraphs.append(text[:300])
            self.current = []

    def handle_data(self, data):
        if self.depth:
            self.current.append(data)


def paragraphs(help_root, lang_dir):
    files = sorted((help_root / "usr/share/libreoffice/help" / lang_dir / "text").rglob("*.html"))
    seen, out = set(), []
    for f in files:
        p = TextExtractor()
        p.feed(f.read_text(encoding="utf-8", errors="replace"))
        for t in p.paragraphs:
            if t not in seen:
                seen.add(t)
                out.append(t)
    return out


# openai/whisper tokenizer.py: the pre-tokenizer pattern of its tiktoken encodings.
WHISPER_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def tiktoken_multilingual(assets):
    import tiktoken
    ranks = {}
    for line in open(pathlib.Path(assets) / "multilingual.tiktoken"):
        token, rank = line.split()
        ranks[base64.b64decode(token)] = int(rank)
    return tiktoken.Encoding(name="multilingual", pat_str=WHISPER_PATTERN, mergeable_ranks=ranks, special_tokens={})


def repaired_whisper_tokenizer():
    """The wheel's tokenizer.json with the dropped merge "Ġ t" put back at rank 0."""
    spec = json.loads((ROOT / "models/whisper-base/tokenizer.json").read_text(encoding="utf-8"))
    merges = spec["model"]["merges"]
    assert "Ġ t" not in merges and ["Ġ", "t"] not in merges, "the wheel's tokenizer.json changed"
    merges.insert(0, "Ġ t" if isinstance(merges[0], str) else ["Ġ", "t"])
    return Tokenizer.from_str(json.dumps(spec))


def main():
    keep = sys.argv[1] == "--keep-texts"
    assets = sys.argv[2]
    out = ROOT / "Tests/GlossaLMTests/Fixtures/tokenizer_multilingual.jsonl"
    if keep:
        rows = [(r["lang"], r["text"]) for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())]
    else:
        help_root = pathlib.Path(sys.argv[1])
        rng = random.Random(1234)
        rows = [("mixed", t) for t in HANDWRITTEN]
        for lang, d in LANGS.items():
            ps = paragraphs(help_root, d)
            rows += [(lang, t) for t in rng.sample(ps, 200)]
    whisper = repaired_whisper_tokenizer()
    reference = tiktoken_multilingual(assets)
    gpt2 = Tokenizer.from_file(str(ROOT / "models/whisper-tiny.en/tokenizer.json"))
    with out.open("w", encoding="utf-8") as f:
        for lang, text in rows:
            w = whisper.encode(text, add_special_tokens=False).ids
            g = gpt2.encode(text, add_special_tokens=False).ids
            assert whisper.decode(w, skip_special_tokens=False) == text, text
            assert "<|" in text or w == reference.encode_ordinary(text), text
            f.write(json.dumps({"lang": lang, "text": text, "whisper": w, "gpt2": g}, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} lines to {out}")


if __name__ == "__main__":
    main()
