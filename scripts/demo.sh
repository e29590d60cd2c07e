#!/usr/bin/env bash
# Sets up what analysis needs on a fresh Debian 12 machine (the `run` profile of scripts/dependencies: ffmpeg),
# builds the CLI and analyses the bundled sample with the bundled model.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
START=$SECONDS
bash scripts/bootstrap.sh run
BUILD_LOG="$(mktemp /tmp/mtlbatch-demo-build.XXXXXX)"
trap 'rm -f "$BUILD_LOG"' EXIT
echo "demo: building the CLI"
# The build's own output only when it fails.
dotnet build src/MtlBatch.Cli -c Release --nologo --verbosity quiet >"$BUILD_LOG" 2>&1 || { cat "$BUILD_LOG" >&2; exit 1; }
OUT="${1:-$ROOT/out/demo}"
dotnet src/MtlBatch.Cli/bin/Release/net10.0/mtlbatch.dll analyze samples/conversation.wav --out "$OUT"
echo
echo "Results for samples/conversation.wav are in: $OUT/conversation.wav/"
ls -1 "$OUT/conversation.wav/"
echo "demo: done in $((SECONDS - START)) s"
