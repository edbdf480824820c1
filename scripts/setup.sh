#!/usr/bin/env bash
# Installs the Debian packages Glossa needs, only when some are missing. Idempotent and
# silent when everything is present. Usage: scripts/setup.sh [extra-package ...]
set -euo pipefail

packages=(libopenblas-dev libfftw3-dev libpng-dev libsndfile1-dev libsoxr-dev zlib1g-dev pkg-config "$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
