#!/usr/bin/env bash
# Copies a small, fixed sample of the REAL held-out test split into tests/data/real-heldout/ (committed, < 2 MB) so
# CI can re-check the model card's real-speech figures without the corpora. Deterministic: the first utterances by
# id of distinct sessions/speakers. Needs corpus/real/{wuw,speech-commands} from `mtlbatch corpus import`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/tests/data/real-heldout"
W="$ROOT/corpus/real/wuw"; S="$ROOT/corpus/real/speech-commands"
rm -rf "$OUT"; mkdir -p "$OUT/audio"
{
  # WUW: 6 spontaneous sentences (006-010, at most 7 s) and 6 single keywords (001-005), one per session each.
  jq -c 'select(.text != null and (.utterance | tonumber) >= 6 and .duration <= 7)' "$W/test.jsonl" | jq -sc 'group_by(.speaker) | map(.[0]) | .[:6][]'
  jq -c 'select(.text != null and (.utterance | tonumber) <= 5)' "$W/test.jsonl" | jq -sc 'group_by(.speaker) | to_entries | map(.value[.key % (.value | length)]) | .[:6][]'
  # Speech Commands: one clip of each of the 10 words, each from a different held-out speaker where possible.
  jq -c 'select(.text != null and .utterance != "_unknown_")' "$S/test.jsonl" | jq -sc 'group_by(.text) | to_entries | map(.value[.key % (.value | length)]) | .[]'
} > "$OUT/test.jsonl.tmp"
while read -r line; do
  id=$(jq -r .id <<<"$line"); src=$(jq -r .source <<<"$line")
  case "$src" in wuw) dir="$W" ;; *) dir="$S" ;; esac
  cp "$dir/$(jq -r .audio <<<"$line")" "$OUT/audio/$id.wav"
  jq -c --arg a "audio/$id.wav" '.audio = $a' <<<"$line"
done < "$OUT/test.jsonl.tmp" > "$OUT/test.jsonl"
rm "$OUT/test.jsonl.tmp"
cp "$W/inventory.json" "$OUT/inventory.json"
: > "$OUT/train.jsonl"; : > "$OUT/valid.jsonl"; : > "$OUT/conversations.jsonl"
cat > "$OUT/README.md" <<'MD'
# Real held-out sample (CI)

A fixed sample of the real held-out **test** split (docs/data-sources.md), written by `scripts/real-heldout-sample.sh`:
WUW-II telephone utterances (CC BY-SA 4.0, WUW Corpus II, Dr. Veton Kepuska, ThinkEngine Networks) and Speech Commands
v0.02 test clips (CC BY 4.0, Pete Warden / Google), converted to 16 kHz mono by `mtlbatch corpus import`. No
utterance holds a person's name (the importer drops those). Never trained on, never used for tuning.
MD
echo "real-heldout: $(grep -c . "$OUT/test.jsonl") utterances, $(du -sh --apparent-size "$OUT" | cut -f1)"
