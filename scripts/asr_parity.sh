#!/usr/bin/env bash
# Glossa against faster-whisper on the same CTranslate2 weights (docs/asr.md): no fusion,
# temperature 0, beam 5, one thread each, every espeak-ng test set and LibriVox. Writes
# OUT/g-<set>.json (glossa eval asr --json, every hypothesis) and OUT/f-<set>.{out,txt}, and
# prints both WERs and how many transcripts are identical.
#   pip install faster-whisper; make speech-testsets
#   scripts/asr_parity.sh runs/parity [extra faster_whisper_eval.py options]
#   SETS="espeak-it/test librivox/manifest" scripts/asr_parity.sh runs/parity   # some sets only
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1; shift
mkdir -p "$out"
export OPENBLAS_NUM_THREADS=1 GLOSSA_THREADS=1
glossa=${GLOSSA:-.build/release/glossa}
sets=(${SETS:-espeak-en/test espeak-de/test espeak-es/test espeak-fr/test espeak-it/test librivox/manifest})
for set in "${sets[@]}"; do
  name=${set%%/*}; lang=${name#espeak-}; [ "$name" = librivox ] && lang=en
  manifest=data/speech/$set.tsv
  "$glossa" eval asr --manifest "$manifest" --language "$lang" --lm none --no-fallback --json > "$out/g-$name.json"
  python3 scripts/faster_whisper_eval.py "$manifest" models/whisper-base --beam 5 --language "$lang" --threads 1 \
    --no-fallback --hypotheses "$out/f-$name.txt" "$@" > "$out/f-$name.out"
  same=$(python3 -c "
import json
g = [r['hypothesis'].strip() for r in json.load(open('$out/g-$name.json'))['results']]
f = [l.rstrip('\\n').split('\\t', 1)[1].strip() for l in open('$out/f-$name.txt', encoding='utf-8') if l.strip()]
print(f'{sum(a == b for a, b in zip(g, f))} of {len(f)} transcripts identical')")
  echo "$name: glossa WER $(python3 -c "import json; print(round(100 * json.load(open('$out/g-$name.json'))['wer'], 2))")%, $(cat "$out/f-$name.out"); $same"
done
