# Sourced by scripts/bootstrap.sh and scripts/fresh-machine-check.sh.
# main_source prints "URI|Signed-By|Components" of the machine's Debian 12 main entry (first match), read from
# deb822 files (/etc/apt/sources.list.d/*.sources) or the one-line /etc/apt/sources.list; nothing when there is none.
main_source() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
      { uri = ""; suites = ""; comps = ""; signed = ""; types = ""
        for (i = 1; i <= NF; i++) {
          line = $i; if (line ~ /^[ \t]*#/) continue
          split(line, kv, ":[ \t]*"); key = tolower(kv[1]); val = substr(line, length(kv[1]) + 2); sub(/^[ \t]+/, "", val)
          if (key == "types") types = val; else if (key == "uris") uri = val; else if (key == "suites") suites = val
          else if (key == "components") comps = val; else if (key == "signed-by") signed = val }
        if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ / bookworm / && (" " comps " ") ~ / main /) {
          split(uri, u, " "); print u[1] "|" signed "|" comps; exit } }' "$f"
  done
  if [ -f /etc/apt/sources.list ]; then
    awk '$1 == "deb" { opts = ""; i = 2
        if ($2 ~ /^\[/) { while ($i !~ /\]$/) { opts = opts " " $i; i++ } opts = opts " " $i; i++ }
        uri = $i; suite = $(i + 1); comps = ""; for (j = i + 2; j <= NF; j++) comps = comps " " $j
        signed = ""; if (match(opts, /signed-by=[^] ]+/)) signed = substr(opts, RSTART + 10, RLENGTH - 10)
        if (suite == "bookworm" && (comps " ") ~ / main /) { sub(/^ /, "", comps); print uri "|" signed "|" comps; exit } }' \
      /etc/apt/sources.list
  fi
}
