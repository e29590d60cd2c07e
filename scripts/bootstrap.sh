#!/usr/bin/env bash
# Installs what MtlBatch needs on a Debian 12 machine, from the one declared list in scripts/dependencies.
#   bash scripts/bootstrap.sh run   # what `mtlbatch analyze` / `mtlbatch worker` need (ffmpeg); used by scripts/demo.sh
#   bash scripts/bootstrap.sh dev   # run + tests, corpus synthesis, training; used by scripts/test.sh and .ci/run
# Idempotent and quiet: it prints one line per thing it installs and nothing when everything is there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PROFILE="${1:-dev}"
case "$PROFILE" in
  run | dev) ;;
  *) echo "usage: $0 [run|dev]" >&2; exit 2 ;;
esac

SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
LOG="$(mktemp /tmp/mtlbatch-bootstrap.XXXXXX)"
trap 'rm -f "$LOG"' EXIT

# Runs a command with its output kept back; shows it only when the command fails.
quietly() {
  if ! "$@" >"$LOG" 2>&1; then
    echo "bootstrap: failed: $*" >&2
    cat "$LOG" >&2
    exit 1
  fi
}

# --- The declared list: "profile source packages... # comment"; dev includes run. ---
declare -a DEBIAN=() NONFREE=() NPM=()
while read -r profile source rest; do
  [ -n "$profile" ] || continue
  [ "$PROFILE" = dev ] || [ "$profile" = run ] || continue
  read -r -a pkgs <<<"$rest"
  case "$source" in
    debian) DEBIAN+=("${pkgs[@]}") ;;
    non-free) NONFREE+=("${pkgs[@]}") ;;
    no-npm) command -v npm >/dev/null 2>&1 || DEBIAN+=("${pkgs[@]}") ;;
    npm) NPM+=("${pkgs[@]}") ;;
    *) echo "bootstrap: unknown source '$source' in scripts/dependencies" >&2; exit 1 ;;
  esac
done < <(sed -e 's/#.*//' scripts/dependencies)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# main_source: the mirror and Signed-By of the Debian bookworm main entry.
source scripts/lib/apt-sources.sh

# Debian contrib/non-free (the natural TTS voices): the same mirror and suite as main, never another suite.
NONFREE_SOURCES=/etc/apt/sources.list.d/contrib-non-free.sources
need_update=0
if [ ${#NONFREE[@]} -gt 0 ] && [ ! -f "$NONFREE_SOURCES" ]; then
  IFS='|' read -r mirror signed comps < <(main_source | head -1) || true
  if [ -z "${mirror:-}" ]; then
    echo "bootstrap: no Debian bookworm main entry in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources" >&2
    exit 1
  fi
  if [[ " $comps " != *" contrib "* || " $comps " != *" non-free "* ]]; then
    echo "bootstrap: adding Debian contrib non-free ($mirror bookworm) as $NONFREE_SOURCES"
    {
      echo "Types: deb"
      echo "URIs: $mirror"
      echo "Suites: bookworm"
      echo "Components: contrib non-free"
      # apt refuses both entries when their Signed-By differ, so copy the main entry's (none when it has none).
      if [ -n "$signed" ]; then echo "Signed-By: $signed"; fi
    } | "${SUDO[@]}" tee "$NONFREE_SOURCES" >/dev/null
    need_update=1
  fi
fi

missing=()
for p in "${DEBIAN[@]}" "${NONFREE[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap ($PROFILE): installing ${missing[*]}"
  need_update=1
fi
if [ "$need_update" -eq 1 ]; then quietly "${SUDO[@]}" apt-get update; fi
if [ ${#missing[@]} -gt 0 ]; then
  quietly "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# npm packages (Azurite) live inside the repository's .tools folder.
for p in "${NPM[@]}"; do
  name="${p%@*}"
  [ -x ".tools/node_modules/.bin/$name" ] && continue
  echo "bootstrap ($PROFILE): installing $p (npm, into .tools)"
  mkdir -p .tools
  [ -f .tools/package.json ] || echo '{"name":"mtlbatch-tools","private":true}' > .tools/package.json
  (cd .tools && quietly npm install --no-audit --no-fund "$p")
done

if ! command -v dotnet >/dev/null 2>&1; then
  echo "bootstrap: the .NET 10 SDK is required (dotnet on PATH)" >&2
  exit 1
fi
if [ "$PROFILE" = run ]; then
  quietly dotnet restore src/MtlBatch.Cli
else
  quietly dotnet restore MtlBatch.sln
fi
