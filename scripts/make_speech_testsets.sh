#!/usr/bin/env bash
# Speech test sets as manifests (path<TAB>reference):
#   data/speech/librivox/manifest.tsv  the 5 LibriVox recordings in Debian's pocketsphinx-testdata
#   data/speech/espeak-<lang>/{valid,test}.tsv  held-out LM-corpus sentences (data/corpus/<lang>/
#       {valid,test}.txt, from `make data`; outside English, none that LibreOffice left
#       untranslated) spoken by espeak-ng: 120 per language and split, voices
#       alternating between two variants and rates 130/150/170 words per minute, stored at
#       16 kHz (espeak-ng speaks at 22.05 kHz; sox converts once, so every recognizer reads the
#       same samples and none resamples: a comparison of two decoders is not one of resamplers).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data/speech data/debs

if [ ! -f data/speech/librivox/manifest.tsv ]; then
  (cd data/debs && apt-get download -qq pocketsphinx-testdata 2>/dev/null)
  dpkg -x "$(ls -t data/debs/pocketsphinx-testdata_*.deb | head -1)" data/raw
  src=data/raw/usr/share/pocketsphinx/test/data/librivox
  mkdir -p data/speech/librivox
  # transcription lines: "<s> words </s> (file-id)"
  sed -E 's#^<s> (.*) </s> \((.*)\)$#\2\t\1#' "$src/transcription" | while IFS=$'\t' read -r id text; do
    printf '%s\t%s\n' "$(realpath "$src/$id.wav")" "$text"
  done > data/speech/librivox/manifest.tsv
  echo "speech: data/speech/librivox/manifest.tsv ($(wc -l < data/speech/librivox/manifest.tsv) utterances)" >&2
fi

for tool in espeak-ng sox; do
  command -v $tool >/dev/null || { echo "speech: $tool missing (scripts/setup.sh espeak-ng sox installs it)" >&2; exit 1; }
done
tmp=$(mktemp --suffix=.wav)
trap 'rm -f "$tmp"' EXIT
declare -A voices=([en]="en-us en-gb" [de]="de de+m3" [es]="es es+f2" [fr]="fr fr+m3" [it]="it it+f3")
# The selection rule's version: a set built by an earlier rule is built again. Version 2 drops
# sentences LibreOffice never translated (46 of the first French test set's 120 and 56 of the
# Spanish valid set's were English, which whisper, told the language, cannot transcribe).
rule=2
for lang in en de es fr it; do
  for split in valid test; do
    out=data/speech/espeak-$lang
    [ -f "$out/$split.tsv" ] && [ "$(cat "$out/$split.rule" 2>/dev/null)" = "$rule" ] && continue
    [ -f "data/corpus/$lang/$split.txt" ] || { echo "speech: data/corpus/$lang/$split.txt missing: run make data" >&2; exit 1; }
    rm -rf "${out:?}/$split" "$out/$split.tsv" "$out/$split.rule"
    mkdir -p "$out/$split"
    # Prose sentences of 6–20 words: capitalised, ending in . ! or ?, without digits, brackets,
    # quotes or code symbols (no code samples, URLs or menu paths); the first 120 in file order.
    # Outside English, a sentence found verbatim in the English corpus is an untranslated string.
    english=""
    [ "$lang" = en ] || english="data/corpus/en/train.txt data/corpus/en/valid.txt data/corpus/en/test.txt"
    for f in $english; do   # awk would read a missing file as empty and keep every sentence
      [ -f "$f" ] || { echo "speech: $f missing: run make data" >&2; exit 1; }
    done
    awk -v english="$english" '
      BEGIN { k = split(english, files, " "); for (i = 1; i <= k; i++) while ((getline s < files[i]) > 0) en[s] = 1 }
      NF >= 6 && NF <= 20 && /^[[:upper:]]/ && /[.!?]$/ && !/[][()<>{}=_\/\\|#@$%*+0-9:;"]/ && !($0 in en) && !seen[$0]++ && n < 120 { print; n++ }' \
      "data/corpus/$lang/$split.txt" > "$out/$split.txt"
    read -r -a vs <<< "${voices[$lang]}"
    n=0
    : > "$out/$split.tsv"
    while IFS= read -r line; do
      voice=${vs[$((n % 2))]}
      rate=$((130 + 20 * (n % 3)))
      wav="$out/$split/$(printf '%04d' "$n").wav"
      espeak-ng -v "$voice" -s "$rate" -w "$tmp" -- "$line" 2>/dev/null
      sox -V1 -D "$tmp" -r 16000 -b 16 -c 1 "$wav"   # -D: no dither, so the samples repeat exactly
      printf '%s\t%s\n' "$(realpath "$wav")" "$line" >> "$out/$split.tsv"
      n=$((n + 1))
    done < "$out/$split.txt"
    echo "$rule" > "$out/$split.rule"
    echo "speech: $out/$split.tsv ($n utterances)" >&2
  done
done
