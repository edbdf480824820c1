#!/usr/bin/env bash
# Fetches the Debian packages of Glossa's data (the LM corpus's text, DESIGN §4, and
# Fashion-MNIST for SPAE, DESIGN §6) and unpacks them under
# data/raw/ with `apt-get download` + `dpkg -x`, so no package is installed and no
# dependencies are pulled in. Idempotent: a package already unpacked is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  libreoffice-help-en-us libreoffice-help-de libreoffice-help-es libreoffice-help-fr
  libreoffice-help-it libreoffice-help-nl libreoffice-help-pt
  debian-handbook gnome-user-docs
  fortunes fortunes-min fortunes-de fortunes-es fortunes-it
  wordnet-base
  dataset-fashion-mnist
)
mkdir -p data/debs data/raw
cd data/debs
need=()
for p in "${packages[@]}"; do [ -f "../raw/.done-$p" ] || need+=("$p"); done
[ ${#need[@]} -eq 0 ] && { echo "data: corpus packages already unpacked in data/raw" >&2; exit 0; }
if ! apt-cache show "${need[0]}" >/dev/null 2>&1; then
  echo "data: refreshing the apt package lists" >&2
  apt-get update -qq >/dev/null
fi
echo "data: downloading ${need[*]}" >&2
apt-get download -qq "${need[@]}" 2>/dev/null
for p in "${need[@]}"; do
  deb=$(ls -t "${p}"_*.deb | head -1)
  dpkg -x "$deb" ../raw/
  touch "../raw/.done-$p"
done
echo "data: unpacked ${#need[@]} packages into data/raw" >&2
