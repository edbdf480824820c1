#!/usr/bin/env bash
# glossa-spae-v4: an 8-channel latent behind a scaled orthogonal codebook map, 6 pyramid layers
# (1×1, 2×2, 4×4, then three 8×8), and the random shallower depth's reconstruction loss weighted
# 0.03 against the full depth's (docs/spae.md, "What limits it"). Three stages, each resumable
# (rerun after an interruption) and skipped once its model exists:
#   1. 3,000 steps of 64 images from a new model at peak LR 2e-3;
#   2. 3,000 more from stage 1's weights with two pointwise blocks added to the decoder's 8×8
#      stage (starting as the identity), peak LR 1e-3 (a second warmup + cosine);
#   3. the semantic head refitted alone, 6,000 steps of 128 images.
# About 65 minutes on one thread (28 + 33 + 6). Writes OUT (default runs/spae-v4), the model in OUT/model.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/spae-v4}
glossa=.build/release/glossa

# stage NAME ARGS...: train into $out/NAME unless its model is already written.
stage() {
  local dir=$out/$1; shift
  [ -s "$dir/model/model.safetensors" ] && return
  local resume=()
  [ -f "$dir/checkpoint/step" ] && resume=(--resume)
  "$glossa" spae train --out "$dir" "$@" "${resume[@]}"
}
stage base --lm assets/lm/glossa-lm-v2 --steps 3000 --latent-dim 8 --layers 6 --orthogonal-codebook-map --shallow-weight 0.03
stage longer --from "$out/base/model" --decoder-blocks 2 --steps 3000 --lr 1e-3 --shallow-weight 0.03
stage head --from "$out/longer/model" --head-only --steps 6000 --batch 128
rm -rf "$out/model.partial"
cp -r "$out/head/model" "$out/model.partial" && rm -rf "$out/model" && mv "$out/model.partial" "$out/model"
echo "glossa-spae-v4 written to $out/model"
