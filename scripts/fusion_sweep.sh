#!/usr/bin/env bash
# WER against the fusion weight λ (and length bonus β) on the synthetic *valid* sets only:
# how docs/asr.md's defaults were chosen. Default decoding, temperature fallback included (its
# sampling is seeded, so runs repeat exactly): without it, fused beams fall into repetition loops
# that the compression-ratio check would have caught. Writes TSV rows: lm lambda beta lang wer cer rtf.
#   scripts/fusion_sweep.sh OUT.tsv LIMIT LM "LAMBDAS" "BETAS" [LANGS]
# e.g. scripts/fusion_sweep.sh runs/sweep.tsv 40 default "0 0.1 0.2 0.3 0.5" "0"
# The internal-LM weight μ is $MU, 0 (plain fusion, as the documented sweeps ran) unless set;
# the CLI's default has been 0.2 since 4d99103.
set -euo pipefail
out=$1 limit=$2 lm=$3 lambdas=$4 betas=$5 langs=${6:-"en de es fr it"}
bin=${GLOSSA:-.build/release/glossa} mu=${MU:-0}
touch "$out"
for beta in $betas; do
  for lambda in $lambdas; do
    for lang in $langs; do
      # Resumable: a row already in OUT is not recomputed.
      if grep -q "^$lm	$lambda	$beta	$lang	" "$out"; then continue; fi
      line=$("$bin" eval asr --manifest "data/speech/espeak-$lang/valid.tsv" --language "$lang" --limit "$limit" \
               --lm "$lm" --lm-weight "$lambda" --length-bonus="$beta" --ilm-weight "$mu" 2>/dev/null)
      wer=$(sed -E 's/.*WER ([0-9.]+)%.*/\1/' <<<"$line")
      cer=$(sed -E 's/.*CER ([0-9.]+)%.*/\1/' <<<"$line")
      rtf=$(sed -E 's/.*RTF ([0-9.]+).*/\1/' <<<"$line")
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$lm" "$lambda" "$beta" "$lang" "$wer" "$cer" "$rtf" | tee -a "$out"
    done
  done
done
