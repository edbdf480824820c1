#!/usr/bin/env bash
# The few-shot table of docs/prompting.md: every setting, seed 0, one thread per run and two runs
# at a time (the machine's two cores). Usage: scripts/fewshot_table.sh OUT.tsv [--lm DIR] [--spae DIR]
# Writes one line per setting (the settings' arguments, then `glossa eval fewshot --json`).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1; shift
export OPENBLAS_NUM_THREADS=1 GLOSSA_THREADS=1
settings=(
  "--way 2 --shot 1 --induction --episodes 1000"
  "--way 2 --shot 1 --induction --calibrate --episodes 1000"
  "--way 2 --shot 1 --episodes 1000"
  "--way 2 --shot 1 --induction --layers 2 --episodes 1000"
  "--way 2 --shot 1 --induction --layers 3 --episodes 1000"
  "--way 2 --shot 1 --induction --layers 4 --episodes 300"
  "--way 2 --shot 5 --induction --episodes 500"
  "--way 5 --shot 1 --induction --episodes 1000"
  "--way 5 --shot 1 --induction --calibrate --episodes 1000"
  "--way 5 --shot 1 --episodes 500"
  "--way 5 --shot 1 --induction --layers 2 --episodes 300"
  "--way 5 --shot 1 --induction --layers 3 --episodes 300"
  "--way 5 --shot 5 --induction --episodes 200"
  "--way 2 --shot 1 --induction --mode open --episodes 1000"
  "--way 2 --shot 1 --mode open --episodes 1000"
  "--way 2 --shot 1 --induction --layers 3 --mode open --episodes 300"
  "--way 2 --shot 5 --induction --mode open --episodes 500"
  "--way 5 --shot 1 --induction --mode open --episodes 1000"
  "--way 5 --shot 1 --induction --layers 3 --mode open --episodes 300"
  "--way 5 --shot 5 --induction --mode open --episodes 200"
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for s in "${settings[@]}"; do
  # shellcheck disable=SC2086  # each setting is a list of arguments
  row="$tmp/$(printf %02d $i)"  # numbered so that `cat` keeps the settings' order
  (.build/release/glossa eval fewshot $s --seed 0 --json "$@" 2>/dev/null | tr -d '\n' | sed "s|^|$s\t|" > "$row"; echo >> "$row") &
  i=$((i + 1))
  (( i % 2 == 0 )) && wait
done
wait
cat "$tmp"/* > "$out"
cut -f1 "$out" | paste - <(cut -f2 "$out" | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    # Percentages by %-formatting: a quote escaped inside an f-string needs Python 3.12.
    print("%.1f [%.1f, %.1f]\tNN %.1f" % tuple(100 * r[k] for k in ("accuracy", "low", "high", "nearestNeighbour")))')
