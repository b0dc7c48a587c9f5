#!/bin/sh
# Installs, or upgrades (run it again), the obsmon agent as a macOS LaunchDaemon; --uninstall removes it.
# Run from the folder that npm run package wrote (dist/macos): obsmon-agent.mjs, org.obsmon.exporter.plist,
# obsmon-exporter.newsyslog.conf and this script. Needs Node.js >= 18 in /usr/local/bin or /opt/homebrew/bin.
#   sudo ./install-agent.sh --server bridge.example.org:7070
#   sudo ./install-agent.sh --uninstall [--purge]      (--purge also deletes /var/log/obsmon)
set -eu

LABEL=org.obsmon.exporter
LIB=/usr/local/lib/obsmon
PLIST=/Library/LaunchDaemons/$LABEL.plist
NEWSYSLOG=/etc/newsyslog.d/obsmon-exporter.conf
LOGDIR=/var/log/obsmon
USER_NAME=nobody
HERE=$(cd "$(dirname "$0")" && pwd)
# The daemon's PATH (the plist's EnvironmentVariables): the node checked here is the node it runs.
PATH=/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin:/usr/sbin:/sbin
export PATH

usage() {
  echo "usage: sudo $0 --server HOST:PORT | --uninstall [--purge]" >&2
  exit 2
}

[ "$(id -u)" -eq 0 ] || { echo "$0: run as root (sudo)" >&2; exit 1; }

case "${1:-}" in
  --uninstall)
    launchctl bootout "system/$LABEL" 2>/dev/null || true
    rm -f "$PLIST" "$NEWSYSLOG"
    rm -rf "$LIB"
    if [ "${2:-}" = --purge ]; then rm -rf "$LOGDIR"; fi
    echo "obsmon agent removed"
    exit 0
    ;;
  --server)
    [ $# -eq 2 ] || usage
    SERVER=$2
    ;;
  *)
    usage
    ;;
esac

command -v node >/dev/null || { echo "$0: no node in $PATH: install Node.js 18 or newer" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 18 ] || { echo "$0: Node.js $major is too old: the agent needs 18 or newer" >&2; exit 1; }
# Fail before touching the daemon if the bundle cannot read this machine.
node "$HERE/obsmon-agent.mjs" exporter --once >/dev/null

# Upgrade: the running daemon goes first; its log stays.
launchctl bootout "system/$LABEL" 2>/dev/null || true
mkdir -p "$LIB" "$LOGDIR"
install -m 0644 "$HERE/obsmon-agent.mjs" "$LIB/obsmon-agent.mjs"
chown "$USER_NAME:wheel" "$LOGDIR"
touch "$LOGDIR/exporter.log"
chown "$USER_NAME:wheel" "$LOGDIR/exporter.log"
chmod 0640 "$LOGDIR/exporter.log"
install -m 0644 -o root -g wheel "$HERE/obsmon-exporter.newsyslog.conf" "$NEWSYSLOG"
install -m 0644 -o root -g wheel "$HERE/$LABEL.plist" "$PLIST"
plutil -replace EnvironmentVariables.OBSMON_SERVER -string "$SERVER" "$PLIST"
plutil -lint "$PLIST" >/dev/null
launchctl bootstrap system "$PLIST"
echo "obsmon agent installed: launchctl print system/$LABEL; log in $LOGDIR/exporter.log"
