#!/usr/bin/env bash
# DigyBot installer for Debian/Ubuntu. Installs Bun if missing, builds the single executable, creates the data
# dir and config, optionally installs a systemd service, and on re-run upgrades in place (backup first, data kept).
#
#   ./install.sh --start            install for this user and start DigyBot in the foreground (http://127.0.0.1:3000)
#   sudo ./install.sh --service     install system-wide and run it as a systemd service (user 'digybot')
#
# Options: --prefix DIR (where bin/digybot goes)  --data-dir DIR  --config-dir DIR  --port N  --host H
#
# Instalador de DigyBot para Debian/Ubuntu. Instala Bun si falta, construye el ejecutable único, crea la carpeta de
# datos y la configuración, opcionalmente instala un servicio systemd, y al volver a ejecutarlo actualiza en su
# lugar (primero una copia; los datos se conservan).
#
#   ./install.sh --start            instala para este usuario e inicia DigyBot en primer plano (http://127.0.0.1:3000)
#   sudo ./install.sh --service     instala para todo el sistema y lo ejecuta como servicio systemd (usuario 'digybot')
#
# Opciones: --prefix CARPETA (dónde va bin/digybot)  --data-dir CARPETA  --config-dir CARPETA  --port N  --host H
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
    -h|--help) HELP=1 ;;
    *) UNKNOWN="${UNKNOWN:-$1}" ;;
  esac
  shift
done

say() { printf '\033[1;32m==>\033[0m %s\n' "$*"; }
# Spanish when the system speaks Spanish (LC_ALL, LC_MESSAGES or LANG es_…); DIGYBOT_LANG=en|es decides instead.
ES=0
case "${DIGYBOT_LANG:-${LC_ALL:-${LC_MESSAGES:-${LANG:-}}}}" in es | es_* | es.* | es@*) ES=1 ;; esac
msg() { if [ "$ES" = 1 ]; then printf '%s' "$2"; else printf '%s' "$1"; fi; }
ROOT=0; [ "$(id -u)" = 0 ] && ROOT=1
if [ "${HELP:-0}" = 1 ]; then if [ "$ES" = 1 ]; then sed -n '10,17p' "$0" | cut -c3-; else sed -n '2,8p' "$0" | cut -c3-; fi; exit 0; fi
if [ -n "${UNKNOWN:-}" ]; then echo "install.sh: $(msg "unknown option $UNKNOWN (see --help)" "opción desconocida $UNKNOWN (ver --help)")" >&2; exit 2; fi
if [ "$SERVICE" = 1 ] && [ "$ROOT" = 0 ]; then echo "install.sh: $(msg "--service needs root (sudo ./install.sh --service)" "--service necesita root (sudo ./install.sh --service)")" >&2; exit 1; fi
if [ "$SERVICE" = 1 ]; then
  PREFIX=${PREFIX:-/usr/local}; DATA_DIR=${DATA_DIR:-/var/lib/digybot}; CONFIG_DIR=${CONFIG_DIR:-/etc/digybot}
else
  PREFIX=${PREFIX:-$HOME/.local}; DATA_DIR=${DATA_DIR:-$HOME/.local/share/digybot}; CONFIG_DIR=${CONFIG_DIR:-$HOME/.config/digybot}
fi

# 1. Bun
if ! command -v bun >/dev/null 2>&1; then
  if command -v npm >/dev/null 2>&1; then
    say "$(msg "installing Bun with npm" "instalando Bun con npm")"
    if [ "$ROOT" = 1 ]; then npm install -g bun >/dev/null; else npm install -g --prefix "$HOME/.local" bun >/dev/null; export PATH="$HOME/.local/bin:$PATH"; fi
  else
    echo "install.sh: $(msg "Bun is not installed and npm is not available; install Node.js/npm (apt-get install npm) or Bun first" "Bun no está instalado y npm no está disponible; instala antes Node.js/npm (apt-get install npm) o Bun")" >&2; exit 1
  fi
fi
say "Bun $(bun --version)"

# 2. build
say "$(msg "installing dependencies" "instalando dependencias")"
bun install --frozen-lockfile >/dev/null
say "$(msg "building the executable" "construyendo el ejecutable")"
bun bin/build.ts --outfile "$REPO/dist/digybot"

# 3. install (upgrade in place: backup first, keep data, migrate)
BIN="$PREFIX/bin/digybot"
CONFIG="$CONFIG_DIR/digybot.toml"
mkdir -p "$PREFIX/bin" "$DATA_DIR" "$CONFIG_DIR"
if [ ! -f "$CONFIG" ]; then
  sed -e "s#^data_dir = .*#data_dir = \"$DATA_DIR\"#" \
      -e "${PORT:+s#^port = .*#port = $PORT#}" -e "${HOST:+s#^host = .*#host = \"$HOST\"#}" config/digybot.example.toml > "$CONFIG"
  say "$(msg "config written to $CONFIG" "configuración escrita en $CONFIG")"
fi
UPGRADE=0
if [ -f "$DATA_DIR/digybot.db" ] && [ -x "$BIN" ]; then
  UPGRADE=1
  if [ "$SERVICE" = 1 ] && systemctl is-active --quiet digybot 2>/dev/null; then say "$(msg "stopping the service" "deteniendo el servicio")"; systemctl stop digybot; fi
  mkdir -p "$DATA_DIR/backups"
  B="$DATA_DIR/backups/pre-upgrade-$(date -u +%Y%m%dT%H%M%SZ).db"
  "$BIN" backup "$B" --config "$CONFIG" >/dev/null
  say "$(msg "backup of the current database: $B" "copia de la base de datos actual: $B")"
fi
install -m 0755 "$REPO/dist/digybot" "$BIN.new"
mv -f "$BIN.new" "$BIN"
"$BIN" migrate --config "$CONFIG"
say "$(msg "installed" "instalado") $BIN ($("$BIN" --version))"

# 4. service
if [ "$SERVICE" = 1 ]; then
  id digybot >/dev/null 2>&1 || useradd --system --home "$DATA_DIR" --shell /usr/sbin/nologin digybot
  chown -R digybot:digybot "$DATA_DIR"
  # the key that seals secrets in the database, beside the config and readable by the service alone
  KEY="$CONFIG_DIR/digybot.key"
  [ -f "$KEY" ] || (umask 077; head -c 32 /dev/urandom | base64 > "$KEY")
  chown digybot:digybot "$KEY"; chmod 600 "$KEY"
  say "$(msg "secret key at $KEY: keep a copy apart from the backups" "llave secreta en $KEY: guarda una copia aparte de las copias de seguridad")"
  sed -e "s#@BIN@#$BIN#g" -e "s#@CONFIG@#$CONFIG#g" -e "s#@DATA_DIR@#$DATA_DIR#g" config/digybot.service > /etc/systemd/system/digybot.service
  systemctl daemon-reload
  systemctl enable --now digybot
  say "$(msg "service digybot running: systemctl status digybot; logs: journalctl -u digybot -f" "servicio digybot en marcha: systemctl status digybot; registros: journalctl -u digybot -f")"
fi

[ "$UPGRADE" = 1 ] && say "$(msg "upgrade done; your data in $DATA_DIR was kept" "actualización lista; tus datos en $DATA_DIR se conservaron")"
case ":$PATH:" in *":$PREFIX/bin:"*) ;; *) say "$(msg "add $PREFIX/bin to your PATH to run 'digybot' directly" "agrega $PREFIX/bin a tu PATH para ejecutar 'digybot' directamente")" ;; esac

if [ "$START" = 1 ] && [ "$SERVICE" = 0 ]; then
  say "$(msg "starting DigyBot (Ctrl+C to stop)" "iniciando DigyBot (Ctrl+C para detener)")"
  exec "$BIN" serve --config "$CONFIG"
fi
