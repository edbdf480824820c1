#!/usr/bin/env bash
# glossa-spae-v3: glossa-spae-v2's encoder, quantizer maps and decoder, unchanged, with a new
# semantic head (one GELU layer of 256 units on the encoder's centered last hidden layer) fitted alone
# (--head-only) to name each image's class with one word per class (FashionWords.names).
# glossa-spae-v2 shipped in assets/ up to commit 36d1c85, which made it with
#   glossa spae train --lm assets/lm/glossa-lm-v2 --out runs/spae-v2 --steps 3000
# (docs/spae.md); it is taken from git history here. About 4 minutes on two cores; resumable
# (rerun after an interruption). Writes OUT (default runs/spae-v3), the model in OUT/model.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/spae-v3}
base=runs/glossa-spae-v2
if [ ! -s "$base/model.safetensors" ]; then
  mkdir -p "$base"
  for f in config.json model.safetensors; do git show "36d1c85:assets/spae/glossa-spae-v2/$f" > "$base/$f.partial" && mv "$base/$f.partial" "$base/$f"; done
fi
resume=()
[ -f "$out/checkpoint/step" ] && resume=(--resume)
.build/release/glossa spae train --from "$base" --semantic-hidden 256 --semantic-input features --head-only --out "$out" --steps 6000 --batch 128 "${resume[@]}"
