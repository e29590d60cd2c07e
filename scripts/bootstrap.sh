#!/usr/bin/env bash
# Installs everything MtlBatch needs on a fresh Debian 12 machine. Idempotent: re-running is cheap.
# Used by scripts/demo.sh, scripts/test.sh and .ci/run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Debian packages: ffmpeg (decode), speech engines + sox (corpus synthesis and test material),
# PyTorch (training smoke/parity tests only), chromium (report screenshot test).
APT_PACKAGES=(ffmpeg sox libsox-fmt-all espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
  python3-torch python3-numpy python3-soundfile python3-onnx libopenblas0-pthread chromium)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Azurite: the real local Azure Storage emulator (blobs, queues, tables), kept inside the repo's .tools folder.
if [ ! -x .tools/node_modules/.bin/azurite ]; then
  echo "bootstrap: installing azurite (npm)"
  mkdir -p .tools
  (cd .tools && [ -f package.json ] || echo '{"name":"mtlbatch-tools","private":true}' > package.json)
  (cd .tools && npm install --silent --no-audit --no-fund azurite@3 >/dev/null)
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "bootstrap: the .NET 10 SDK is required (dotnet on PATH)" >&2
  exit 1
fi
dotnet restore MtlBatch.sln --verbosity quiet
