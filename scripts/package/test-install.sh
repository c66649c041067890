#!/usr/bin/env bash
# Installs the amd64 package the way a gateway would, into a throw-away
# Debian 12 root (mmdebstrap, then "apt-get install ./edge-agent_V_amd64.deb"
# in a chroot, which fetches its Depends from the archive), and checks:
#  - the install: version, the edge-agent system user, /var/lib/edge-agent
#    (0700, the user's), the models (every file of MODELS, read-only to the
#    user), the conffile, the enabled unit running /usr/bin/edge-agent with
#    its hardening;
#  - as the edge-agent user: validate-config on the packaged config, and a
#    replay of a generated video with it that stores right reads;
#  - an upgrade to a newer build: the edited config and the reads are kept;
#  - remove: the binary goes, the data and the config stay;
#  - purge: the data, the config and the unit's state go.
# Usage: scripts/package/test-install.sh --version V [--dist DIR] [--work DIR] [--models DIR]
# KEEP_ROOT=1 leaves the root in WORK/install-root for a look.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/package/lib.sh

USAGE="scripts/package/test-install.sh --version V [--dist DIR] [--work DIR] [--models DIR]"
parse_args "$@"
deb=$dist/edge-agent_${version}_amd64.deb
[[ -f $deb ]] || die "$deb missing: run 'make deb' first"
[[ "$(id -u)" -eq 0 ]] || die "run as root (mmdebstrap and chroot)"

work=$(realpath "$work")
root=$work/install-root
cache=$work/apt-archives # downloaded .debs, kept between runs
truth=$(test_video "$work/video-2" 2)
video=$(dirname "$truth")/synthetic-720p.mp4
upgrade_version=$version+upgradetest
clock=2025-06-02T08:00:00Z

unmount() {
	for m in var/cache/apt/archives sys proc; do
		mountpoint -q "$root/$m" && umount "$root/$m"
	done
	return 0
}
cleanup() {
	unmount
	[[ ${KEEP_ROOT:-} == 1 ]] || rm -rf "$root"
}
trap cleanup EXIT

# --- a fresh root, and a newer build of the same package for the upgrade
unmount
rm -rf "$root"
echo "test-install.sh: making a Debian $SUITE root in $root"
mmdebstrap --quiet --variant=apt --mode=root "$SUITE" "$root" "${MIRRORS[@]}"
mkdir -p "$cache/partial" "$root/tmp/pkgtest"
mount --bind "$cache" "$root/var/cache/apt/archives"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
bash scripts/package/deb.sh --arch amd64 --version "$upgrade_version" --models "$models" \
	--dist "$work/upgrade" --work "$work/upgrade-build" >/dev/null
cp "$deb" "$work/upgrade/edge-agent_${upgrade_version}_amd64.deb" "$video" "$truth" "$root/tmp/pkgtest/"
chmod -R a+rX "$root/tmp/pkgtest"

in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
as_agent() { chroot --userspec=edge-agent:edge-agent "$root" env -i PATH=/usr/bin:/bin HOME=/var/lib/edge-agent "$@"; }
apt_get() { in_root apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"; }

# --- install
apt_get update >/dev/null
apt_get install "/tmp/pkgtest/$(basename "$deb")" >"$work/install.log" 2>&1 ||
	{ tail -n 30 "$work/install.log" >&2; die "apt-get install of $deb failed (log: $work/install.log)"; }
status() { in_root dpkg-query -W -f='${Status} ${Version}' edge-agent 2>/dev/null || echo "not known"; }
check "dpkg has the package installed" same "$(status)" "install ok installed $version"
check "edge-agent version prints the package version" same "$(in_root edge-agent version)" "edge-agent $version"
user_entry() { in_root getent passwd edge-agent | cut -d: -f6,7; }
check "edge-agent is a user whose home is the state folder, without a login shell" \
	same "$(user_entry)" "/var/lib/edge-agent:/usr/sbin/nologin"
check "edge-agent is a system user (uid under 1000)" test "$(in_root id -u edge-agent)" -lt 1000
check "/var/lib/edge-agent is 0700 and the agent's" same "$(in_root stat -c '%a %U %G' /var/lib/edge-agent)" "700 edge-agent edge-agent"
sums() { (cd "$1" && find . -type f ! -name '.*' -exec sha256sum {} + | sort -k2); }
check "/usr/share/edge-agent/models holds every file of $models, MANIFEST included" \
	same "$(sums "$root/usr/share/edge-agent/models")" "$(sums "$models")"
check "the models are read-only to the edge-agent user" \
	bash -c '! chroot --userspec=edge-agent:edge-agent "$1" sh -c "echo x >>/usr/share/edge-agent/models/MANIFEST || echo x >/usr/share/edge-agent/models/new" 2>/dev/null' _ "$root"
check "/etc/edge-agent/edge-agent.yaml is a conffile" bash -c 'chroot "$1" dpkg-query -W -f="\${Conffiles}" edge-agent | grep -q "^ /etc/edge-agent/edge-agent.yaml "' _ "$root"
check "the unit is enabled" test -L "$root/etc/systemd/system/multi-user.target.wants/edge-agent.service"
check "the unit runs /usr/bin/edge-agent with the packaged config" \
	grep -qx 'ExecStart=/usr/bin/edge-agent run --config /etc/edge-agent/edge-agent.yaml' "$root/lib/systemd/system/edge-agent.service"
# systemd's own rating of the unit's sandbox: 1.6 ("OK") today; above 2.5
# means hardening was lost.
check "the unit keeps its hardening (systemd-analyze security: exposure 2.5 at most)" \
	systemd-analyze security --offline=true --root="$root" --threshold=25 edge-agent.service >"$work/security.log" 2>&1

# --- the agent, as its user, with the packaged config
check "validate-config accepts the packaged config, as edge-agent" \
	same "$(as_agent edge-agent validate-config /etc/edge-agent/edge-agent.yaml 2>&1)" "/etc/edge-agent/edge-agent.yaml: ok"
# The chroot shares this machine's network: no metrics port for the replay.
replay() {
	as_agent edge-agent replay --config /etc/edge-agent/edge-agent.yaml --set 'metrics.listen=""' \
		--clock-start "$clock" /tmp/pkgtest/synthetic-720p.mp4 >>"$work/replay.log" 2>&1
}
: >"$work/replay.log"
check "replay of a generated video runs as edge-agent with the packaged config" replay
as_agent edge-agent reads --config /etc/edge-agent/edge-agent.yaml --format jsonl >"$work/reads.jsonl" 2>>"$work/replay.log" || true
cat "$work/replay.log"
score=$(bin/edge-videogen score --truth "$truth" --reads "$work/reads.jsonl" --clock-start "$clock" --holdout 0 2>&1 || true)
echo "  $score"
exact() { [[ $score =~ exact\ ([0-9]+) ]] && ((BASH_REMATCH[1] >= 1)); }
check "the replay stored at least one read equal to the video's truth" exact
check "the reads are in /var/lib/edge-agent/edge-agent.db (0600, the agent's)" \
	same "$(in_root stat -c '%a %U' /var/lib/edge-agent/edge-agent.db 2>&1)" "600 edge-agent"
reads_before=$(wc -l <"$work/reads.jsonl")

# --- upgrade, with an edited config
sed -i 's/^  level: "info"$/  level: "warn"/' "$root/etc/edge-agent/edge-agent.yaml"
edited=$(sha256sum <"$root/etc/edge-agent/edge-agent.yaml")
apt_get install "/tmp/pkgtest/edge-agent_${upgrade_version}_amd64.deb" >"$work/upgrade.log" 2>&1 ||
	{ tail -n 30 "$work/upgrade.log" >&2; die "apt-get install of the upgrade failed (log: $work/upgrade.log)"; }
check "the upgrade installed the newer build" same "$(in_root edge-agent version)" "edge-agent $upgrade_version"
check "the upgrade kept the edited config" same "$(sha256sum <"$root/etc/edge-agent/edge-agent.yaml")" "$edited"
check "the upgrade kept the reads" same "$(as_agent edge-agent reads --config /etc/edge-agent/edge-agent.yaml --format jsonl | wc -l)" "$reads_before"
check "the upgrade kept /var/lib/edge-agent 0700 and the agent's" same "$(in_root stat -c '%a %U' /var/lib/edge-agent)" "700 edge-agent"

# --- remove, then purge
apt_get remove edge-agent >"$work/remove.log" 2>&1 || die "apt-get remove failed (log: $work/remove.log)"
check "remove: dpkg keeps only the config files" same "$(status)" "deinstall ok config-files $upgrade_version"
check "remove: the binary is gone" test ! -e "$root/usr/bin/edge-agent"
check "remove: the reads are kept" test -s "$root/var/lib/edge-agent/edge-agent.db"
check "remove: the edited config is kept" same "$(sha256sum <"$root/etc/edge-agent/edge-agent.yaml")" "$edited"
apt_get purge edge-agent >"$work/purge.log" 2>&1 || die "apt-get purge failed (log: $work/purge.log)"
check "purge: dpkg no longer knows the package" same "$(status)" "not known"
check "purge: /var/lib/edge-agent is gone" test ! -e "$root/var/lib/edge-agent"
check "purge: /etc/edge-agent is gone" test ! -e "$root/etc/edge-agent"
check "purge: the unit is no longer enabled" test ! -e "$root/etc/systemd/system/multi-user.target.wants/edge-agent.service"
summary
