#!/usr/bin/env python3
"""Writes a manifest's audio as 16 kHz mono 16-bit WAV, resampled by faster-whisper's own
decoder (PyAV / libswresample), so that Glossa and faster-whisper can be compared on identical
samples: given a 16 kHz file neither resamples. docs/asr.md uses it to separate the two ports'
decoding from their resamplers (Glossa uses libsoxr).

  pip install faster-whisper
  python3 scripts/resample_manifest.py data/speech/espeak-en/test.tsv runs/en16 --limit 40
  # then: glossa eval asr --manifest runs/en16/manifest.tsv ... and scripts/faster_whisper_eval.py on it
"""
import argparse
import os
import wave

import numpy as np
from faster_whisper.audio import decode_audio


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("manifest")
    parser.add_argument("out")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    base = os.path.dirname(os.path.abspath(args.manifest))
    lines = [line for line in open(args.manifest, encoding="utf-8") if line.strip()][:args.limit]
    with open(os.path.join(args.out, "manifest.tsv"), "w", encoding="utf-8") as manifest:
        for i, line in enumerate(lines):
            path, reference = line.rstrip("\n").split("\t", 1)
            audio = decode_audio(path if os.path.isabs(path) else os.path.join(base, path), sampling_rate=16000)
            name = f"{i:04d}.wav"
            with wave.open(os.path.join(args.out, name), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(16000)
                w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
            manifest.write(f"{name}\t{reference}\n")
    print(f"wrote {len(lines)} files and {args.out}/manifest.tsv")


if __name__ == "__main__":
    main()
