#!/usr/bin/env bash
# Runs every test: the .NET suite (real ffmpeg, the committed model, real Azurite) and the trainer's Python tests.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh dev
bash scripts/azurite.sh start
trap 'bash scripts/azurite.sh stop' EXIT

status=0
RESULTS="$(mktemp -d /tmp/mtlbatch-tests.XXXXXX)"
dotnet build MtlBatch.sln -c Release --nologo --verbosity quiet
dotnet test MtlBatch.sln -c Release --no-build --nologo --logger "trx" --results-directory "$RESULTS" || status=$?

# The Python side (training smoke test, export parity) runs only where gradients are.
if [ -d models/training/tests ]; then
  /usr/bin/python3 -m unittest discover -s models/training/tests -t models/training -v || status=$?
fi

# One closing line over all .NET test assemblies.
passed=0; failed=0; skipped=0
for trx in "$RESULTS"/*.trx; do
  [ -f "$trx" ] || continue
  c=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$c"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$c")
  # xunit's skipped tests are in "total" but not in "executed".
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$c"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$c")
  n=$(( ${t:-0} - ${e:-0} ))
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${n:-0}))
done
echo "dotnet: $passed passed, $failed failed, $skipped skipped"
exit $status
