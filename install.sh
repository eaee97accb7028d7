#!/usr/bin/env bash
# DigyBot installer for Debian/Ubuntu. Installs Bun if missing, builds the single executable, creates the data
# dir and config, optionally installs a systemd service, and on re-run upgrades in place (backup first, data kept).
#
#   ./install.sh --start            install for this user and start DigyBot in the foreground (http://127.0.0.1:3000)
#   sudo ./install.sh --service     install system-wide and run it as a systemd service (user 'digybot')
#
# Options: --prefix DIR (where bin/digybot goes)  --data-dir DIR  --config-dir DIR  --port N  --host H
set -euo pipefail
cd "$(dirname "$0")"
REPO=$(pwd)

SERVICE=0; START=0; PREFIX=""; DATA_DIR=""; CONFIG_DIR=""; PORT=""; HOST=""
while [ $# -gt 0 ]; do
  case "$1" in
    --service) SERVICE=1 ;;
    --start) START=1 ;;
    --prefix) PREFIX="$2"; shift ;;
    --data-dir) DATA_DIR="$2"; shift ;;
    --config-dir) CONFIG_DIR="$2"; shift ;;
    --port) PORT="$2"; shift ;;
    --host) HOST="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { printf '\033[1;32m==>\033[0m %s\n' "$*"; }
ROOT=0; [ "$(id -u)" = 0 ] && ROOT=1
if [ "$SERVICE" = 1 ] && [ "$ROOT" = 0 ]; then echo "install.sh: --service needs root (sudo ./install.sh --service)" >&2; exit 1; fi
if [ "$SERVICE" = 1 ]; then
  PREFIX=${PREFIX:-/usr/local}; DATA_DIR=${DATA_DIR:-/var/lib/digybot}; CONFIG_DIR=${CONFIG_DIR:-/etc/digybot}
else
  PREFIX=${PREFIX:-$HOME/.local}; DATA_DIR=${DATA_DIR:-$HOME/.local/share/digybot}; CONFIG_DIR=${CONFIG_DIR:-$HOME/.config/digybot}
fi

# 1. Bun
if ! command -v bun >/dev/null 2>&1; then
  if command -v npm >/dev/null 2>&1; then
    say "installing Bun with npm"
    if [ "$ROOT" = 1 ]; then npm install -g bun >/dev/null; else npm install -g --prefix "$HOME/.local" bun >/dev/null; export PATH="$HOME/.local/bin:$PATH"; fi
  else
    echo "install.sh: Bun is not installed and npm is not available; install Node.js/npm (apt-get install npm) or Bun first" >&2; exit 1
  fi
fi
say "Bun $(bun --version)"

# 2. build
say "installing dependencies"
bun install --frozen-lockfile >/dev/null
say "building the executable"
bun bin/build.ts --outfile "$REPO/dist/digybot"

# 3. install (upgrade in place: backup first, keep data, migrate)
BIN="$PREFIX/bin/digybot"
CONFIG="$CONFIG_DIR/digybot.toml"
mkdir -p "$PREFIX/bin" "$DATA_DIR" "$CONFIG_DIR"
if [ ! -f "$CONFIG" ]; then
  sed -e "s#^data_dir = .*#data_dir = \"$DATA_DIR\"#" \
      -e "${PORT:+s#^port = .*#port = $PORT#}" -e "${HOST:+s#^host = .*#host = \"$HOST\"#}" config/digybot.example.toml > "$CONFIG"
  say "config written to $CONFIG"
fi
UPGRADE=0
if [ -f "$DATA_DIR/digybot.db" ] && [ -x "$BIN" ]; then
  UPGRADE=1
  if [ "$SERVICE" = 1 ] && systemctl is-active --quiet digybot 2>/dev/null; then say "stopping the service"; systemctl stop digybot; fi
  mkdir -p "$DATA_DIR/backups"
  B="$DATA_DIR/backups/pre-upgrade-$(date -u +%Y%m%dT%H%M%SZ).db"
  "$BIN" backup "$B" --config "$CONFIG" >/dev/null
  say "backup of the current database: $B"
fi
install -m 0755 "$REPO/dist/digybot" "$BIN.new"
mv -f "$BIN.new" "$BIN"
"$BIN" migrate --config "$CONFIG"
say "installed $BIN ($("$BIN" --version))"

# 4. service
if [ "$SERVICE" = 1 ]; then
  id digybot >/dev/null 2>&1 || useradd --system --home "$DATA_DIR" --shell /usr/sbin/nologin digybot
  chown -R digybot:digybot "$DATA_DIR"
  # the key that seals secrets in the database, beside the config and readable by the service alone
  KEY="$CONFIG_DIR/digybot.key"
  [ -f "$KEY" ] || (umask 077; head -c 32 /dev/urandom | base64 > "$KEY")
  chown digybot:digybot "$KEY"; chmod 600 "$KEY"
  say "secret key at $KEY: keep a copy apart from the backups"
  sed -e "s#@BIN@#$BIN#g" -e "s#@CONFIG@#$CONFIG#g" -e "s#@DATA_DIR@#$DATA_DIR#g" config/digybot.service > /etc/systemd/system/digybot.service
  systemctl daemon-reload
  systemctl enable --now digybot
  say "service digybot running: systemctl status digybot; logs: journalctl -u digybot -f"
fi

[ "$UPGRADE" = 1 ] && say "upgrade done; your data in $DATA_DIR was kept"
case ":$PATH:" in *":$PREFIX/bin:"*) ;; *) say "add $PREFIX/bin to your PATH to run 'digybot' directly" ;; esac

if [ "$START" = 1 ] && [ "$SERVICE" = 0 ]; then
  say "starting DigyBot (Ctrl+C to stop)"
  exec "$BIN" serve --config "$CONFIG"
fi
