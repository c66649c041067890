#!/usr/bin/env bash
# Builds DIST/edge-agent_VERSION_ARCH.deb with dpkg's own tools, from the
# sources in packaging/deb (control, maintainer scripts, config overrides,
# copyright paragraphs):
#   usr/bin/edge-agent                      the agent, built -trimpath, PIE, full RELRO,
#                                           stripped, with VERSION linked in
#   usr/share/edge-agent/models/            every file of MODELS (make models), MANIFEST included
#   etc/edge-agent/edge-agent.yaml          conffile: configs/edge-agent.yaml with packaging/deb/config.sets
#   lib/systemd/system/edge-agent.service   scripts/edge-agent.service, running /usr/bin/edge-agent
#   usr/share/doc/edge-agent/               copyright (generated), changelog.gz, README.md.gz
# Depends is dpkg-shlibdeps' reading of the binary's NEEDED libraries, plus
# adduser for postinst. arm64 is cross-compiled against the arm64 tree of
# scripts/package/arm64-root.sh, whose library packages dpkg-shlibdeps reads.
#
# Usage: scripts/package/deb.sh --arch amd64|arm64 --version V [--models DIR] [--dist DIR] [--work DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."

source scripts/package/lib.sh
USAGE="scripts/package/deb.sh --arch amd64|arm64 --version V [--models DIR] [--dist DIR] [--work DIR]"
parse_args "$@"
GO=${GO:-go}
[[ $arch == amd64 || $arch == arm64 ]] || die "--arch must be amd64 or arm64, got '$arch'"
[[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "--version '$version' is not a Debian version without revision (scripts/package/version.sh)"
[[ -f $models/MANIFEST ]] || die "$models/MANIFEST missing: run 'make models' first"
[[ $(find "$models" -type f ! -name '.*' ! -name MANIFEST | wc -l) -gt 0 ]] || die "$models holds no model beside its MANIFEST"
[[ $(dpkg --print-architecture) == amd64 ]] || die "builds on an amd64 machine only (the arm64 package is cross-compiled)"

build=$work/build-$arch
pkg=$build/debian/edge-agent
rm -rf "$build"
mkdir -p "$pkg/DEBIAN" "$dist"
eval "$(dpkg-architecture -a"$arch" -s 2>/dev/null)"
export DEB_HOST_ARCH DEB_HOST_MULTIARCH DEB_HOST_GNU_TYPE

# --- the binary
ldflags="-s -w -X main.version=$version -extldflags=-Wl,-z,relro,-z,now"
case $arch in
amd64)
	CGO_ENABLED=1 $GO build -trimpath -buildmode=pie -ldflags "$ldflags" -o "$build/edge-agent" ./cmd/edge-agent
	;;
arm64)
	root=$(realpath "$work/arm64-root")
	bash scripts/package/arm64-root.sh "$root"
	# gocv finds OpenCV with pkg-config; here it reads the arm64 tree's opencv4.pc.
	env CGO_ENABLED=1 GOOS=linux GOARCH=arm64 \
		CC="$DEB_HOST_GNU_TYPE-gcc --sysroot=$root" CXX="$DEB_HOST_GNU_TYPE-g++ --sysroot=$root" \
		PKG_CONFIG_SYSROOT_DIR="$root" \
		PKG_CONFIG_LIBDIR="$root/usr/lib/$DEB_HOST_MULTIARCH/pkgconfig:$root/usr/share/pkgconfig" \
		$GO build -trimpath -buildmode=pie -ldflags "$ldflags" -o "$build/edge-agent" ./cmd/edge-agent
	;;
esac
$GO build -o "$build/edge-package" ./cmd/edge-package

# --- the tree
install -D -m 0755 "$build/edge-agent" "$pkg/usr/bin/edge-agent"
(cd "$models" && find . -type f ! -name '.*' -printf '%P\n') | while read -r f; do
	install -D -m 0644 "$models/$f" "$pkg/usr/share/edge-agent/models/$f"
done
mapfile -t sets < <(grep -v '^[[:space:]]*\(#\|$\)' packaging/deb/config.sets)
install -d -m 0755 "$pkg/etc/edge-agent"
"$build/edge-package" config --in configs/edge-agent.yaml "${sets[@]/#/--set=}" --out "$pkg/etc/edge-agent/edge-agent.yaml"
chmod 0644 "$pkg/etc/edge-agent/edge-agent.yaml"
unit=$pkg/lib/systemd/system/edge-agent.service
install -D -m 0644 scripts/edge-agent.service "$unit"
sed -i -e 's|^ExecStart=/usr/local/bin/edge-agent |ExecStart=/usr/bin/edge-agent |' \
	-e 's|(installed by scripts/install.sh)|(installed by the edge-agent package)|' \
	-e 's|^Documentation=file:///usr/share/doc/edge-agent/README.md$|&.gz|' "$unit"
grep -q '^ExecStart=/usr/bin/edge-agent run --config /etc/edge-agent/edge-agent.yaml$' "$unit" ||
	die "scripts/edge-agent.service: its ExecStart no longer reads '/usr/local/bin/edge-agent run --config /etc/edge-agent/edge-agent.yaml'"

doc=$pkg/usr/share/doc/edge-agent
install -d -m 0755 "$doc"
gzip -9n <README.md >"$doc/README.md.gz"
install -D -m 0644 packaging/deb/lintian-overrides "$pkg/usr/share/lintian/overrides/edge-agent"
maintainer=$(sed -n 's/^Maintainer: //p' packaging/deb/control)
{
	echo "edge-agent ($version) bookworm; urgency=medium"
	echo
	echo "  * Built from git commit $(git rev-parse HEAD)$(git diff --quiet HEAD -- 2>/dev/null || echo ' with uncommitted changes')."
	echo "    The project's history is its git log."
	echo
	echo " -- $maintainer  $(git log -1 --format=%aD)"
} | gzip -9n >"$doc/changelog.gz"
"$build/edge-package" copyright --binary "$build/edge-agent" --head packaging/deb/copyright.head \
	--models packaging/deb/copyright.models --modcache "$($GO env GOMODCACHE)" --goroot "$($GO env GOROOT)" \
	--out "$doc/copyright"
chmod 0644 "$doc/copyright"

# --- control files
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$pkg/DEBIAN/"
(cd "$pkg" && find etc -type f -printf '/%p\n' | sort) >"$pkg/DEBIAN/conffiles"
cp packaging/deb/control "$build/debian/control"
zcat "$doc/changelog.gz" >"$build/debian/changelog"
if [[ $arch == arm64 ]]; then
	# dpkg-shlibdeps looks for the libraries in package trees under debian/
	# before the host's: unpack there each arm64 package whose shlibs or
	# symbols file declares a library the binary needs.
	mapfile -t needed < <(readelf -d "$build/edge-agent" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
	for deb in "$root"/var/cache/apt/archives/*_"$arch".deb; do
		declared=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./shlibs ./symbols 2>/dev/null || true)
		[[ -n $declared ]] || continue
		for so in "${needed[@]}"; do
			# libopencv_core.so.406 is "libopencv_core 406" in shlibs, the soname in symbols.
			base=${so%%.so*} ver=${so#*.so.}
			if awk -v so="$so" -v base="$base" -v ver="$ver" \
				'$1 == so || ($1 == base && $2 == ver) {found = 1} END {exit !found}' <<<"$declared"; then
				dpkg-deb --raw-extract "$deb" "$build/debian/$(dpkg-deb -f "$deb" Package)"
				break
			fi
		done
	done
fi
(cd "$build" && dpkg-shlibdeps -Tdebian/substvars -edebian/edge-agent/usr/bin/edge-agent)
(cd "$build" && dpkg-gencontrol -pedge-agent -v"$version" -Tdebian/substvars -Pdebian/edge-agent -fdebian/files)
(cd "$pkg" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) >"$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/md5sums" "$pkg/DEBIAN/conffiles"

deb=$dist/edge-agent_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "deb.sh: $deb ($(du -h "$deb" | cut -f1)); Depends: $(dpkg-deb -f "$deb" Depends)"
