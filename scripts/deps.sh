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
  mosquitto          # the MQTT broker of the integration tests
  mosquitto-clients
  prometheus         # promtool, to lint /metrics
  fonts-dejavu-core  # the synthetic plates' font
  ffmpeg             # encodes the generated test videos; serves a test MJPEG stream
  chromium           # the e2e test drives the installer view in headless Chromium
)
if (($#)); then pkgs=("$@"); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
