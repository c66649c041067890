#!/usr/bin/env bash
# Makes DIR an arm64 Debian 12 file tree holding libopencv-dev:arm64 and
# everything it depends on: the sysroot the arm64 binary is cross-compiled
# against, where dpkg-shlibdeps finds the arm64 libraries' symbols files, and
# the library tree qemu-aarch64-static runs the arm64 binary with (-L DIR).
#
# Why not the host's multiarch: Debian 12's libopencv-imgcodecs406 depends on
# libgdal32, which is not Multi-Arch: same, so OpenCV for arm64 cannot be
# installed beside OpenCV for amd64 (apt would remove the host's OpenCV).
#
# The packages are extracted, not installed (mmdebstrap --variant=extract):
# no arm64 code runs, so no binfmt_misc is needed. The only configuration a
# library's postinst does that linking and running need is the BLAS and
# LAPACK alternatives; they are linked here as update-alternatives would.
# The downloaded .deb files stay in DIR/var/cache/apt/archives (deb.sh reads
# their symbols files).
#
# Usage: scripts/package/arm64-root.sh DIR
# Idempotent: does nothing when DIR was completed with the same package list.
set -euo pipefail

DIR=${1:?usage: arm64-root.sh DIR}
source "$(dirname "$0")/lib.sh"
PACKAGES=libopencv-dev,libc6-dev
stamp="suite $SUITE packages $PACKAGES"

if [[ -f $DIR/.edge-agent-root ]] && [[ "$(cat "$DIR/.edge-agent-root")" == "$stamp" ]]; then
	echo "arm64-root.sh: $DIR is up to date"
	exit 0
fi
command -v mmdebstrap >/dev/null || die "mmdebstrap not found (make package-deps installs it)"
[[ "$(id -u)" -eq 0 ]] || die "run as root (mmdebstrap --mode=root)"

rm -rf "$DIR"
mkdir -p "$(dirname "$DIR")"
echo "arm64-root.sh: extracting $PACKAGES for arm64 into $DIR"
mmdebstrap --quiet --variant=extract --mode=root --architectures=arm64 \
	--skip=cleanup/apt/cache --include="$PACKAGES" \
	"$SUITE" "$DIR" "${MIRRORS[@]}"

# Library alternatives: "update-alternatives --install LINK NAME PATH PRIO" in
# a postinst, continued over lines with a backslash.
linked=0
for deb in "$DIR"/var/cache/apt/archives/*.deb; do
	script=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./postinst 2>/dev/null || true)
	[[ $script == *"update-alternatives --install"* ]] || continue
	while read -r link _ path _; do
		[[ $link == /usr/lib/* || $link == /lib/* ]] || continue
		[[ -e $DIR$path ]] || die "$(basename "$deb"): alternative $path is not in the tree"
		[[ -e $DIR$link ]] || { ln -sr "$DIR$path" "$DIR$link"; linked=$((linked + 1)); }
	done < <(sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta' <<<"$script" |
		sed -n 's/.*update-alternatives --install[[:space:]]\+\([^[:space:]]\+[[:space:]]\+[^[:space:]]\+[[:space:]]\+[^[:space:]]\+[[:space:]]\+[0-9]\+\).*/\1/p')
done
echo "arm64-root.sh: linked $linked library alternative(s)"
echo "$stamp" >"$DIR/.edge-agent-root"
