#!/usr/bin/env python3
"""faster-whisper on a Glossa manifest, for the side-by-side numbers in docs/asr.md.

  pip install faster-whisper
  python3 scripts/faster_whisper_eval.py data/speech/librivox/manifest.tsv models/whisper-base --beam 5 --language en

Runs the very same CTranslate2 weights Glossa loads (the model folder from `make models`), on
CPU, fp32 (compute_type="float32"), 2 threads, with the given beam and language, and prints
WER, CER and RTF with Glossa's normaliser (NFKC, lowercase, punctuation and symbols to spaces,
whitespace folded; see Sources/GlossaSpeech/Evaluation/TranscriptNormalizer.swift). RTF counts
decoding the audio file, feature extraction and transcription, not model loading, like
`glossa eval asr`.
"""
import argparse
import os
import time
import unicodedata

from faster_whisper import WhisperModel
from faster_whisper.audio import decode_audio

KEEP = {"Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Nl", "No", "Mn", "Mc", "Me"}


def normalize(text):
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join("".join(c if unicodedata.category(c) in KEEP else " " for c in text).split())


def distance(a, b):
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("manifest")
    parser.add_argument("model")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--language", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-fallback", action="store_true", help="temperature 0 only, as glossa eval asr --no-fallback")
    parser.add_argument("--limit", type=int, default=None, help="first N utterances, as glossa eval asr --limit")
    parser.add_argument("--hypotheses", default=None, help="write path<TAB>hypothesis per utterance to this file")
    args = parser.parse_args()
    model = WhisperModel(args.model, device="cpu", compute_type="float32", cpu_threads=args.threads)
    base = os.path.dirname(os.path.abspath(args.manifest))
    we = wn = ce = cn = 0
    seconds = audio_seconds = 0.0
    lines = [line for line in open(args.manifest, encoding="utf-8") if line.strip()]
    written = []
    for line in lines[:args.limit]:
        path, reference = line.rstrip("\n").split("\t", 1)
        path = path if os.path.isabs(path) else os.path.join(base, path)
        start = time.perf_counter()
        audio = decode_audio(path, sampling_rate=16000)
        segments, _ = model.transcribe(audio, beam_size=args.beam, language=args.language,
                                       temperature=0.0 if args.no_fallback else [0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
        hypothesis = "".join(s.text for s in segments)
        written.append(f"{path}\t{hypothesis.strip()}\n")
        seconds += time.perf_counter() - start
        audio_seconds += len(audio) / 16000
        r, h = normalize(reference), normalize(hypothesis)
        we += distance(r.split(), h.split()); wn += len(r.split())
        ce += distance(list(r), list(h)); cn += len(r)
    if args.hypotheses:
        with open(args.hypotheses, "w", encoding="utf-8") as out:
            out.writelines(written)
    print(f"faster-whisper: WER {100 * we / wn:.2f}%, CER {100 * ce / cn:.2f}%, RTF {seconds / audio_seconds:.3f} "
          f"({args.model}, beam {args.beam}, fp32, {args.threads} threads, {audio_seconds:.1f} s of audio)")


if __name__ == "__main__":
    main()
