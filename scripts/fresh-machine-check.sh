#!/usr/bin/env bash
# Runs the README's two commands on a brand-new Debian 12 machine: a debootstrap (minbase) root with only the host's
# .NET SDK added, and a clone of this repository at HEAD (so only committed work is tested).
#
#   bash scripts/fresh-machine-check.sh [all|demo|test] [--keep] [--reuse DIR]
#     all (default)  bash scripts/demo.sh, then bash scripts/test.sh
#     demo | test    only that command (CI runs `test`)
#     --keep         keep the root afterwards (its path is printed) instead of deleting it
#     --reuse DIR    run in a root kept by --keep instead of a brand-new one (faster; not a fresh-machine result)
#
# Needs root (debootstrap, chroot, mounts). Exits non-zero when any command fails; mounts are removed on every exit.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

WHAT=all KEEP=0 REUSE=""
while [ $# -gt 0 ]; do
  case "$1" in
    all | demo | test) WHAT="$1" ;;
    --keep) KEEP=1 ;;
    --reuse) REUSE="${2:?--reuse needs a directory}"; KEEP=1; shift ;;
    *) echo "usage: $0 [all|demo|test] [--keep] [--reuse DIR]" >&2; exit 2 ;;
  esac
  shift
done
case "$WHAT" in
  all) COMMANDS=("bash scripts/demo.sh" "bash scripts/test.sh") ;;
  demo) COMMANDS=("bash scripts/demo.sh") ;;
  test) COMMANDS=("bash scripts/test.sh") ;;
esac

say() { echo "fresh-machine-check: $*"; }
if [ "$(id -u)" -ne 0 ]; then say "must run as root (debootstrap, chroot, bind mounts)" >&2; exit 2; fi
DOTNET_HOME=/usr/share/dotnet
if [ ! -x "$DOTNET_HOME/dotnet" ]; then say "no .NET SDK at $DOTNET_HOME on this host" >&2; exit 2; fi
COMMIT="$(git -C "$REPO" rev-parse HEAD)"
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ]; then
  say "note: uncommitted changes are not tested (checking commit ${COMMIT:0:12})"
fi

LOGDIR="$(mktemp -d /tmp/mtlbatch-fresh-logs.XXXXXX)"
MOUNTED=()
if [ -n "$REUSE" ]; then FRESH="$(cd "$REUSE" && pwd)"; else FRESH="$(mktemp -d /var/tmp/mtlbatch-fresh.XXXXXX)"; fi

# Ends what still runs inside the root (Azurite, a dotnet build server), unmounts, and deletes the root only when
# nothing is mounted under it any more (the SDK and /dev are bind mounts: never delete through them).
cleanup() {
  local rc=$? pid link m i
  for link in /proc/[0-9]*/root; do
    pid="${link#/proc/}"; pid="${pid%/root}"
    [ "$(readlink "$link" 2>/dev/null)" = "$FRESH" ] && kill "$pid" 2>/dev/null || true
  done
  sleep 0.5
  for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
    m="${MOUNTED[$i]}"
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m" >&2
  done
  if awk -v r="$FRESH/" 'index($2 "/", r) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    say "mounts remain under $FRESH; not deleting it" >&2
  elif [ "$KEEP" -eq 1 ]; then
    say "root kept at $FRESH (reuse: --reuse $FRESH)"
  else
    rm -rf "$FRESH"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mount_into() { # mount_into TARGET mount-args...
  local target="$FRESH$1"; shift
  mkdir -p "$target"
  mount "$@" "$target"
  MOUNTED+=("$target")
}

if [ -z "$REUSE" ]; then
  if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap on the host"
    apt-get update -qq >"$LOGDIR/host-apt.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >>"$LOGDIR/host-apt.log" 2>&1 \
      || { cat "$LOGDIR/host-apt.log" >&2; say "failed step: installing debootstrap" >&2; exit 1; }
  fi
  # shellcheck source=lib/apt-sources.sh
  source "$REPO/scripts/lib/apt-sources.sh"
  IFS='|' read -r MIRROR _ _ < <(main_source | head -1) || true
  if [ -z "${MIRROR:-}" ]; then say "no Debian bookworm main entry in this host's apt sources" >&2; exit 1; fi
  say "debootstrap --variant=minbase bookworm $FRESH $MIRROR"
  start=$SECONDS
  if ! debootstrap --variant=minbase --include=libicu72,libssl3,zlib1g,ca-certificates bookworm "$FRESH" "$MIRROR" \
       >"$LOGDIR/debootstrap.log" 2>&1; then
    tail -20 "$LOGDIR/debootstrap.log" >&2; say "failed step: debootstrap" >&2; exit 1
  fi
  say "root ready in $((SECONDS - start)) s (minbase + libicu72 libssl3 zlib1g ca-certificates)"
fi

# What the host needs to reach its package mirrors: DNS, its CA bundle (plus the local CAs, so a later
# update-ca-certificates inside keeps them), its apt Acquire settings, npm and NuGet configuration.
cp /etc/resolv.conf "$FRESH/etc/resolv.conf"
cp /etc/ssl/certs/ca-certificates.crt "$FRESH/etc/ssl/certs/ca-certificates.crt"
if compgen -G "/usr/local/share/ca-certificates/*" >/dev/null; then
  cp -r /usr/local/share/ca-certificates/. "$FRESH/usr/local/share/ca-certificates/"
fi
for f in /etc/apt/apt.conf.d/*; do
  [ -f "$f" ] && grep -q '^[[:space:]]*Acquire::' "$f" && cp "$f" "$FRESH/etc/apt/apt.conf.d/"
done
mkdir -p "$FRESH/root"
[ -f "$HOME/.npmrc" ] && cp "$HOME/.npmrc" "$FRESH/root/.npmrc"
if [ -f "$HOME/.nuget/NuGet/NuGet.Config" ]; then
  mkdir -p "$FRESH/root/.nuget/NuGet" && cp "$HOME/.nuget/NuGet/NuGet.Config" "$FRESH/root/.nuget/NuGet/"
fi

mount_into /proc -t proc proc
mount_into /sys -t sysfs sysfs
mount_into /dev --bind /dev
mount_into /dev/pts --bind /dev/pts
mount_into /dev/shm -t tmpfs -o mode=1777 tmpfs
mount_into /usr/share/dotnet --bind "$DOTNET_HOME"
mount -o remount,bind,ro "$FRESH/usr/share/dotnet"
ln -sf /usr/share/dotnet/dotnet "$FRESH/usr/bin/dotnet"

# The checkout, at HEAD.
rm -rf "$FRESH/root/mtlbatch"
git clone --quiet --no-checkout "$REPO" "$FRESH/root/mtlbatch"
git -C "$FRESH/root/mtlbatch" checkout --quiet --detach "$COMMIT"
say "cloned $REPO at ${COMMIT:0:12} into $FRESH/root/mtlbatch"

# Every failure in the repository's scripts names its failing command (bash reads BASH_ENV before each
# non-interactive script; $0 is that script).
cat >"$FRESH/root/.fresh-check-env" <<'EOF'
case "$0" in
  scripts/*.sh | */scripts/*.sh) trap 'echo "fresh-machine-check: step failed (exit $?): $0:$LINENO: $BASH_COMMAND" >&2' ERR ;;
esac
EOF
ENVIRONMENT=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb
  BASH_ENV=/root/.fresh-check-env MSBUILDDISABLENODEREUSE=1)
while IFS='=' read -r name _; do ENVIRONMENT+=("$name=${!name}"); done < <(env | grep -E '^(DOTNET_|NUGET_)[A-Za-z0-9_]*=' || true)

overall=0
RESULTS=()
for cmd in "${COMMANDS[@]}"; do
  log="$LOGDIR/$(echo "$cmd" | tr -c 'a-z0-9\n' '-').log"
  say "running: $cmd"
  start=$SECONDS
  rc=0
  chroot "$FRESH" /usr/bin/env -i "${ENVIRONMENT[@]}" bash -c "cd /root/mtlbatch && $cmd" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
  took=$((SECONDS - start))
  if [ "$rc" -eq 0 ]; then
    RESULTS+=("$cmd: ok ($took s)")
  else
    overall=1
    step="$(grep -m1 '^fresh-machine-check: step failed' "$log" | sed 's/^fresh-machine-check: step failed //' || true)"
    failed_tests="$(grep -E '^[[:space:]]+Failed [A-Za-z]' "$log" | sed 's/^[[:space:]]*//' | head -10 || true)"
    RESULTS+=("$cmd: FAILED (exit $rc, $took s)${step:+; failing step: $step}")
    [ -n "$failed_tests" ] && while read -r t; do RESULTS+=("    $t"); done <<<"$failed_tests"
    # The demo must pass before the test command means anything on a new user's machine.
    [ "$cmd" = "bash scripts/demo.sh" ] && [ "$WHAT" = all ] && { RESULTS+=("bash scripts/test.sh: not run"); break; }
  fi
done

echo
say "results (commit ${COMMIT:0:12}, logs in $LOGDIR):"
for r in "${RESULTS[@]}"; do echo "  $r"; done
# The README's test command ends with its summary line; so does this check when it ran that command.
summary="$(grep -h '^dotnet: [0-9]* passed' "$LOGDIR"/*.log 2>/dev/null | tail -1 || true)"
[ -n "$summary" ] && echo "$summary"
exit "$overall"
