#!/usr/bin/env bash
# Installs edge-agent on a gateway: the binary, the models, a config and the
# systemd unit, running as an unprivileged user in the video group.
#   sudo scripts/install.sh [--config FILE]
# Run from a built checkout (make build models). Re-running upgrades in place
# and keeps an existing /etc/edge-agent/edge-agent.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
config=configs/edge-agent.yaml
while (($#)); do
  case "$1" in
    --config) config="$2"; shift 2 ;;
    *) echo "usage: $0 [--config FILE]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root" >&2; exit 1; }
[ -x bin/edge-agent ] || { echo "install.sh: bin/edge-agent missing; run 'make build models' first" >&2; exit 1; }
[ -f models/MANIFEST ] || { echo "install.sh: models/ missing; run 'make models' first" >&2; exit 1; }

bin/edge-agent validate-config "$config"

id edge-agent >/dev/null 2>&1 || useradd --system --home-dir /var/lib/edge-agent --shell /usr/sbin/nologin edge-agent
usermod -a -G video,dialout edge-agent

install -m 0755 bin/edge-agent /usr/local/bin/edge-agent
install -d -m 0700 -o edge-agent -g edge-agent /var/lib/edge-agent
# The models belong to root: the agent reads them, never writes them (the
# unit also mounts them read-only).
install -d -m 0755 -o root -g root /var/lib/edge-agent/models
install -m 0644 -o root -g root models/* /var/lib/edge-agent/models/
install -d -m 0755 /etc/edge-agent
if [ ! -f /etc/edge-agent/edge-agent.yaml ]; then
  install -m 0640 -g edge-agent "$config" /etc/edge-agent/edge-agent.yaml
fi
install -D -m 0644 README.md /usr/share/doc/edge-agent/README.md
install -m 0644 scripts/edge-agent.service /etc/systemd/system/edge-agent.service
systemctl daemon-reload
systemctl enable --now edge-agent.service
systemctl --no-pager status edge-agent.service || true
