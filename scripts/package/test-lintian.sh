#!/usr/bin/env bash
# Lints the two packages and checks their Depends:
#  - lintian (--pedantic) finds no error and no warning in either package;
#  - lintian does fail a copy of the amd64 package without its copyright
#    file (the check can fail);
#  - the amd64 package depends on exactly the packages that hold the
#    libraries its binary needs (dpkg -S on this machine), and adduser;
#  - the arm64 package, whose Depends dpkg-shlibdeps derived from the arm64
#    libraries, depends on the same packages.
# Usage: scripts/package/test-lintian.sh --version V [--dist DIR] [--work DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/package/lib.sh

USAGE="scripts/package/test-lintian.sh --version V [--dist DIR] [--work DIR]"
parse_args "$@"
amd64=$dist/edge-agent_${version}_amd64.deb arm64=$dist/edge-agent_${version}_arm64.deb
[[ -f $amd64 && -f $arm64 ]] || die "$amd64 or $arm64 missing: run 'make deb' first"

lint() { lintian --fail-on error,warning --pedantic --display-info --tag-display-limit 0 "$@"; }
for deb in "$amd64" "$arm64"; do
	check "lintian: no error or warning in $(basename "$deb")" lint "$deb"
done

tmp=$work/lintian-control
rm -rf "$tmp"
mkdir -p "$tmp"
dpkg-deb --raw-extract "$amd64" "$tmp/tree"
rm "$tmp/tree/usr/share/doc/edge-agent/copyright"
sed -i '/usr\/share\/doc\/edge-agent\/copyright$/d' "$tmp/tree/DEBIAN/md5sums"
dpkg-deb --root-owner-group --build "$tmp/tree" "$tmp/broken.deb" >/dev/null
check "lintian fails a package without its copyright file" \
	bash -c '! lintian --fail-on error "$1" >"$2" 2>&1 && grep -q "E: edge-agent: no-copyright-file" "$2"' _ "$tmp/broken.deb" "$tmp/lintian.log"

# Package names in a Depends field, one a line, sorted.
depends() { dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | sort; }
# The packages holding the libraries the amd64 binary needs, and adduser.
needed_packages() {
	dpkg-deb --fsys-tarfile "$amd64" | tar -xO ./usr/bin/edge-agent >"$tmp/edge-agent"
	readelf -d "$tmp/edge-agent" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' | while read -r so; do
		path=$(ldconfig -p | awk -v so="$so" '$1 == so && /x86-64/ {print $NF; exit}')
		[[ -n $path ]] || { echo "unresolved:$so"; continue; }
		{ dpkg -S "$path" 2>/dev/null || dpkg -S "$(realpath "$path")" 2>/dev/null || echo "unowned:$so"; } |
			head -n1 | cut -d: -f1
	done
	echo adduser
}
check "the amd64 Depends names exactly the packages of the binary's libraries" \
	same "$(depends "$amd64" | tr '\n' ' ')" "$(needed_packages | sort -u | tr '\n' ' ')"
check "the arm64 Depends names the same packages as the amd64 one" \
	same "$(depends "$arm64" | tr '\n' ' ')" "$(depends "$amd64" | tr '\n' ' ')"
summary
