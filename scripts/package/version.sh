#!/usr/bin/env bash
# Prints the package version, derived from `git describe`, in a form Debian
# orders the way the history goes:
#   tag v1.2.0 on HEAD          1.2.0
#   3 commits after v1.2.0      1.2.0+3.gabcdef1
#   no v* tag yet               0.0.0+612.gabcdef1   (612 commits in HEAD's history)
#   uncommitted changes         ....dirty            (e.g. 1.2.0+3.gabcdef1.dirty)
# The same string is linked into the binary (edge-agent version).
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "version.sh: $*" >&2; exit 1; }
git rev-parse --git-dir >/dev/null 2>&1 || die "not a git checkout: the version comes from git describe"

if desc=$(git describe --tags --long --match 'v[0-9]*' --dirty 2>/dev/null); then
	# v1.2.0-3-gabcdef1[-dirty]
	dirty=""
	[[ $desc == *-dirty ]] && { dirty=.dirty; desc=${desc%-dirty}; }
	[[ $desc =~ ^v([0-9][0-9A-Za-z.~+]*)-([0-9]+)-(g[0-9a-f]+)$ ]] ||
		die "git describe gave '$desc'; tags must look like v1.2.0"
	v=${BASH_REMATCH[1]}
	if [[ ${BASH_REMATCH[2]} != 0 ]]; then
		v+="+${BASH_REMATCH[2]}.${BASH_REMATCH[3]}"
	fi
	v+=$dirty
	if [[ -n $dirty && ${BASH_REMATCH[2]} == 0 ]]; then v=${BASH_REMATCH[1]}+0.${BASH_REMATCH[3]}.dirty; fi
else
	# No release tag yet: git describe --always names the commit.
	desc=$(git describe --always --abbrev=7 --dirty)
	dirty=""
	[[ $desc == *-dirty ]] && { dirty=.dirty; desc=${desc%-dirty}; }
	v="0.0.0+$(git rev-list --count HEAD).g$desc$dirty"
fi
echo "$v"
