#!/usr/bin/env bash
# Domain adaptation from text alone (docs/asr.md): the King James Bible, from Debian's bible-kjv.
#   data/domain/kjv/kjv.txt            every verse, one paragraph per chapter
#   data/domain/kjv/corpus/en/...      `glossa corpus --text`: chapters split 90/5/5 by hash
#   data/speech/kjv/test.tsv           80 test-split verses of 6–20 words spoken by espeak-ng
#                                      (voices and rates as scripts/make_speech_testsets.sh)
# The LM is then adapted with `glossa lm train --init ... --data data/domain/kjv/corpus`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh bible-kjv espeak-ng
out=data/domain/kjv
mkdir -p "$out"
if [ ! -s "$out/kjv.txt" ]; then
  # Lines are "Ge1:1 In the beginning ..."; a blank line starts each chapter.
  bible -f "Gen1:1-Rev22:21" | awk '{ chapter = $1; sub(/:.*/, "", chapter)
    if (NR > 1 && chapter != previous) print ""; previous = chapter; $1 = ""; sub(/^ /, ""); print }' > "$out/kjv.txt.tmp"
  mv "$out/kjv.txt.tmp" "$out/kjv.txt"
fi
.build/release/glossa corpus --text "$out/kjv.txt" --languages en --out "$out/corpus"

speech=data/speech/kjv
if [ ! -f "$speech/test.tsv" ]; then
  mkdir -p "$speech/test"
  awk 'NF >= 6 && NF <= 20 && !/[0-9]/ && !seen[$0]++ && n < 80 { print; n++ }' "$out/corpus/en/test.txt" > "$speech/test.txt"
  voices=(en-us en-gb)
  n=0
  : > "$speech/test.tsv.tmp"
  while IFS= read -r line; do
    wav="$speech/test/$(printf '%04d' "$n").wav"
    espeak-ng -v "${voices[$((n % 2))]}" -s $((130 + 20 * (n % 3))) -w "$wav" -- "$line" 2>/dev/null
    printf '%s\t%s\n' "$(realpath "$wav")" "$line" >> "$speech/test.tsv.tmp"
    n=$((n + 1))
  done < "$speech/test.txt"
  mv "$speech/test.tsv.tmp" "$speech/test.tsv"
  echo "domain: $speech/test.tsv ($n utterances)" >&2
fi
