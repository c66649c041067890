#!/usr/bin/env bash
# Measure how a replay reads a video made from a photo dataset (by default
# the EU photos): make the video with edge-videogen photos (once per
# dataset, height, seed and limit; kept in OUT), replay it with
# `edge-agent replay --pace max` with the region's defaults, and score the
# stored reads against the video's truth with the dataset's ERRATA.tsv
# applied (edge-videogen score): passes read exactly, read with O and 0
# folded, read wrong, missed, split into several reads, and extra reads.
#
# Usage: scripts/eu-video-accuracy.sh [--dataset DIR] [--region eu] [--limit N]
#          [--height 1080] [--fps 30] [--seed 1] [--gap-seconds 1.6] [--out DIR] [--details] [--set key=value]...
# The --set options go to the replay (e.g. --set alpr.require_layout=false).
# AGENT=path with AGENT_PREBUILT=1 replays with that agent binary instead of
# building one (to measure a baseline).
# Run from the repository root; needs the models (make models).
set -euo pipefail

DATASET=../shared/datasets/openalpr-eu
REGION=eu
LIMIT=0
HEIGHT=1080
FPS=30
SEED=1
GAP=1.6
OUT=/tmp/eu-video-accuracy
DETAILS=()
SETS=()
die() { echo "eu-video-accuracy.sh: $*" >&2; exit 1; }
while [[ $# -gt 0 ]]; do
	case $1 in
	--dataset) DATASET=$2; shift 2 ;;
	--region) REGION=$2; shift 2 ;;
	--limit) LIMIT=$2; shift 2 ;;
	--height) HEIGHT=$2; shift 2 ;;
	--fps) FPS=$2; shift 2 ;;
	--seed) SEED=$2; shift 2 ;;
	--gap-seconds) GAP=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--details) DETAILS=(--details); shift ;;
	--set) SETS+=(--set "$2"); shift 2 ;;
	*) die "unknown argument $1 (see the usage at the top of the script)" ;;
	esac
done
[[ -f $DATASET/manifest.tsv ]] || die "no manifest.tsv in $DATASET"
[[ $LIMIT =~ ^[0-9]+$ ]] || die "--limit must be a number, got $LIMIT"

# The agent under test gets a name of its own: a broad `pkill edge-agent`
# elsewhere on the machine would cut the replay short.
AGENT=${AGENT:-$OUT/bin/agent-under-test}
mkdir -p "$OUT/bin"
[[ -n ${AGENT_PREBUILT:-} ]] || go build -o "$AGENT" ./cmd/edge-agent
go build -o "$OUT/bin/edge-videogen" ./cmd/edge-videogen

name=$(basename "$DATASET")-${HEIGHT}p$FPS-seed$SEED-gap$GAP-limit$LIMIT
video=$OUT/$name.mp4
if [[ ! -f $OUT/$name.truth.json ]]; then
	"$OUT/bin/edge-videogen" photos --dataset "$DATASET" --out "$video" --height "$HEIGHT" --fps "$FPS" \
		--seed "$SEED" --gap-seconds "$GAP" --limit "$LIMIT"
fi
clock=$(sed -n 's/^ *"start": "\(.*\)",$/\1/p' "$OUT/$name.truth.json" | head -n1)
[[ -n $clock ]] || die "no start time in $OUT/$name.truth.json"

run=$OUT/run-$(date +%Y%m%dT%H%M%S)-$$
mkdir -p "$run"
echo "replay of $video into $run (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
"$AGENT" replay --pace max --clock-start "$clock" --db "$run/reads.db" \
	--set alpr.region="$REGION" --set metrics.listen= \
	--set uplink.outbox_path="$run/outbox.db" --set improvement.queue_path="$run/improvement.db" \
	--set improvement.audit_path="$run/audit.log" --set log.level=debug \
	"${SETS[@]}" "$video" >"$run/replay.out" 2>"$run/replay.log" ||
	die "replay failed: $(tail -n 5 "$run/replay.log")"
cat "$run/replay.out"
grep -q 'msg="video ended"' "$run/replay.log" || die "the replay stopped before the end of the video (killed?): $run/replay.log"
"$AGENT" reads --db "$run/reads.db" --format jsonl >"$run/reads.jsonl"
"$OUT/bin/edge-videogen" score --truth "$OUT/$name.truth.json" --reads "$run/reads.jsonl" \
	--errata "$DATASET/ERRATA.tsv" --clock-start "$clock" "${DETAILS[@]}" | tee "$run/score.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
