#!/usr/bin/env bash
# start|stop|reset|status the Azurite emulator (127.0.0.1, default ports 10000-10002), telemetry off.
# Its data lives in .azurite/ (AZURITE_DATA) and survives stop/start; `reset` wipes it (stopping Azurite first and
# starting it again if it was running). Tests never rely on a wipe: each uses its own name prefix.
# AZURITE_DATA, AZURITE_BLOB_PORT, AZURITE_QUEUE_PORT, AZURITE_TABLE_PORT override the defaults (a second instance).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${AZURITE_DATA:-$ROOT/.azurite}"
BLOB_PORT="${AZURITE_BLOB_PORT:-10000}"; QUEUE_PORT="${AZURITE_QUEUE_PORT:-10001}"; TABLE_PORT="${AZURITE_TABLE_PORT:-10002}"
PIDFILE="$DATA/azurite.pid"
BIN="${AZURITE_BIN:-$ROOT/.tools/node_modules/.bin/azurite}"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ours_running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start() {
  if listening "$BLOB_PORT"; then echo "azurite: already listening on $BLOB_PORT (data $DATA)"; return 0; fi
  mkdir -p "$DATA"
  # Azurite collects telemetry unless told not to (older versions lack the flag).
  local telemetry=(); if "$BIN" --help 2>/dev/null | grep -q -- --disableTelemetry; then telemetry=(--disableTelemetry); fi
  "$BIN" --silent --skipApiVersionCheck --loose "${telemetry[@]}" --location "$DATA" \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    --blobPort "$BLOB_PORT" --queuePort "$QUEUE_PORT" --tablePort "$TABLE_PORT" >> "$DATA/azurite.log" 2>&1 &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 100); do
    if listening "$BLOB_PORT" && listening "$QUEUE_PORT" && listening "$TABLE_PORT"; then
      echo "azurite: up (pid $(cat "$PIDFILE"), data $DATA)"; return 0
    fi
    sleep 0.2
  done
  echo "azurite: did not start; log:" >&2; tail -n 50 "$DATA/azurite.log" >&2; return 1
}

stop() {
  if ours_running; then
    local pid; pid="$(cat "$PIDFILE")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "azurite: stopped (data kept in $DATA)"
  fi
  rm -f "$PIDFILE"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  reset)
    was_running=0; if ours_running; then was_running=1; fi
    stop
    case "$DATA" in ""|/|"$HOME"|"$ROOT") echo "azurite: refusing to wipe '$DATA'" >&2; exit 1 ;; esac
    rm -rf "$DATA"
    echo "azurite: data wiped ($DATA)"
    if [ "$was_running" = 1 ]; then start; fi ;;
  status)
    if listening "$BLOB_PORT"; then echo "azurite: listening on $BLOB_PORT (data $DATA)"; else echo "azurite: not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|reset|status" >&2; exit 2 ;;
esac
