#!/usr/bin/env bash
# Installs the agent's networks, trained in this repository by scripts/train
# and committed in assets/models (see its README.md, the model card), into
# DIR: plate-detector.onnx, plate-reader.onnx, with MANIFEST and README.md.
# Every file is checked against the SHA-256 the MANIFEST records, before and
# after the copy. Idempotent: copies nothing when DIR already holds them.
#
# Usage: scripts/models.sh [DIR]   (default: models)
set -euo pipefail

DIR=${1:-models}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC="$HERE/../assets/models"

die() { echo "models.sh: $*" >&2; exit 1; }

[[ -f "$SRC/MANIFEST" ]] || die "$SRC/MANIFEST not found"
sums=$(grep -E '^[0-9a-f]{64}  [A-Za-z0-9._-]+$' "$SRC/MANIFEST") || die "$SRC/MANIFEST lists no files"
(cd "$SRC" && sha256sum --check --status <<<"$sums") || die "a file of $SRC does not match its MANIFEST (a Git LFS pointer, or changed by hand?)"

if [[ -f "$DIR/MANIFEST" ]] && cmp -s "$SRC/MANIFEST" "$DIR/MANIFEST" \
	&& (cd "$DIR" && sha256sum --check --status <<<"$sums"); then
	echo "models.sh: $DIR is up to date"
	exit 0
fi
mkdir -p "$DIR"
files=$(awk '{print $2}' <<<"$sums")
for f in $files README.md MANIFEST; do
	cp "$SRC/$f" "$DIR/.$f.tmp"
	mv "$DIR/.$f.tmp" "$DIR/$f"
done
(cd "$DIR" && sha256sum --check --status <<<"$sums") || die "the copies in $DIR do not match the MANIFEST"
echo "models.sh: installed $(echo $files) in $DIR"
