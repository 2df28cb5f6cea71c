#!/usr/bin/env bash
# Set up a village station on Raspberry Pi OS (Debian bookworm): a service user, the app in a venv, the data on
# its own partition, the sync loop and the station app as systemd services.
#
#   sudo ./setup-pi.sh [--source DIR] [--data /data/fieldsync]
#
# FIELDSYNC_ROOT=/some/folder installs into that folder instead of / (tests, image building); it then skips
# what needs the real system (creating the user, pip, systemctl).
set -euo pipefail

SOURCE="$(cd "$(dirname "$0")/../.." && pwd)"
DATA=/data/fieldsync
while [ $# -gt 0 ]; do
  case "$1" in
    --source) SOURCE="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

ROOT="${FIELDSYNC_ROOT:-}"
APP="$ROOT/opt/fieldsync"
real_system() { [ -z "$ROOT" ]; }

echo "fieldsync station: app in $APP, data in $ROOT$DATA"

if real_system; then
  id fieldsync >/dev/null 2>&1 || useradd --system --home-dir "$DATA" --shell /usr/sbin/nologin fieldsync
  if ! mountpoint -q "$(dirname "$DATA")" 2>/dev/null; then
    echo "advice: put $DATA on its own partition (or a USB disk) so a full card never fills the root file system"
  fi
fi

install -d -m 0755 "$APP" "$ROOT/etc/systemd/system"
install -d -m 0700 "$ROOT$DATA"
cp -r "$SOURCE/shared" "$SOURCE/field_node" "$SOURCE/pyproject.toml" "$SOURCE/README.md" "$APP/"

if real_system; then
  python3 -m venv "$APP/.venv"
  "$APP/.venv/bin/pip" install --quiet "${APP}[node]"
  chown -R fieldsync:fieldsync "$DATA"
fi

# fieldsync-node-tls.service is installed but enabled only once the station has its certificate (step 5 below).
for unit in fieldsync-node-sync.service fieldsync-node-web.service fieldsync-node-tls.service; do
  sed "s#/data/fieldsync#$DATA#g" "$SOURCE/deploy/systemd/$unit" > "$ROOT/etc/systemd/system/$unit"
done

if real_system; then
  systemctl daemon-reload
  systemctl enable --now fieldsync-node-sync.service fieldsync-node-web.service
fi

cat <<NEXT
Next:
  1. Enrol once, with the code from the county:  sudo -u fieldsync $APP/.venv/bin/fieldsync-node enroll --hub https://hub.example --code XXXX-XXXX-XXXX
  2. Add the station admin:                      sudo -u fieldsync $APP/.venv/bin/fieldsync-node add-user zhan --name 站点管理员 --admin
  3. Station Wi-Fi: give the Pi a fixed address (e.g. 192.168.8.2) and print http://192.168.8.2:8080/ as a QR code.
  4. Advice: a read-only root (raspi-config > Performance > Overlay file system) with $DATA left writable keeps
     power cuts from damaging the system; the node's database survives them (WAL, synchronous=FULL).
  5. HTTPS for offline use (docs/certificates.md): once \`fieldsync-node status\` shows the certificate, put
     deploy/station/dnsmasq-fieldsync.conf (the station's name and this address) into /etc/dnsmasq.d/, then
     systemctl enable --now fieldsync-node-tls.service, and print https://<the station's name>/ as the QR code.
NEXT
