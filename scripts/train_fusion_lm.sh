#!/usr/bin/env bash
# The shallow-fusion LM glossa-lm-v11 (docs/asr.md, docs/lm.md): glossa-lm-v2 trained on for
# 1,800 steps on the five languages the recognizer is tested in (en, de, es, fr, it), its
# embedding table and layers 0–2 frozen, so the export shares them with v2 (checked bit for
# bit) and stores layers 3–5 only (6 MB). v2 itself stays as it is: SPAE's codebook and
# glossa-lm-v10 are built on it. About 90 minutes on two cores; rerun after an interruption
# and it resumes. OUT defaults to runs/glossa-lm-v11.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/glossa-lm-v11}
run=runs/glossa-lm-v11-train
tok=assets/lm/glossa-lm-v2/tokenizer.json
if [ -f "$run/checkpoint.safetensors" ]; then
  .build/release/glossa lm train --out "$run" --resume --tokenizer "$tok"
else
  .build/release/glossa lm train --init assets/lm/glossa-lm-v2 --data data/corpus --languages en,de,es,fr,it \
    --out "$run" --trainable-embeddings none --frozen-layers 3 --steps 1800 --lr 1e-3 --warmup 50 --seed 3 \
    --eval-every 300 --bias-rate 0.01 --tokenizer "$tok"
fi
.build/release/glossa lm export --checkpoint "$run/checkpoint.safetensors" --out "$out" \
  --share-embedding assets/lm/glossa-lm-v2 --tokenizer "$tok"
