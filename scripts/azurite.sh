#!/usr/bin/env bash
# start|stop the Azurite emulator on its default ports with a throw-away data folder.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PIDFILE="$ROOT/.tools/azurite.pid"
case "${1:-start}" in
  start)
    if (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null; then echo "azurite: already listening on 10000"; exit 0; fi
    DATA="$(mktemp -d /tmp/mtlbatch-azurite.XXXXXX)"
    "$ROOT/.tools/node_modules/.bin/azurite" --silent --skipApiVersionCheck --loose --location "$DATA" \
      --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 > "$DATA/azurite.log" 2>&1 &
    echo $! > "$PIDFILE"
    for _ in $(seq 1 100); do
      if (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/10001) 2>/dev/null \
         && (exec 3<>/dev/tcp/127.0.0.1/10002) 2>/dev/null; then echo "azurite: up (pid $(cat "$PIDFILE"), data $DATA)"; exit 0; fi
      sleep 0.2
    done
    echo "azurite: did not start; log:" >&2; cat "$DATA/azurite.log" >&2; exit 1 ;;
  stop)
    if [ -f "$PIDFILE" ]; then kill "$(cat "$PIDFILE")" 2>/dev/null || true; rm -f "$PIDFILE"; echo "azurite: stopped"; fi ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
