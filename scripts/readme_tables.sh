#!/usr/bin/env bash
# The README's function and semantics tables are generated from the registry: `rectify list
# --markdown` and `rectify list --semantics`, each between its <!-- NAME:begin --> and
# <!-- NAME:end --> markers. With --check, says whether README.md matches (CTest readme_tables);
# without, rewrites it (after adding a function).
# Usage: scripts/readme_tables.sh [--check] [RECTIFY [README]]
set -euo pipefail
check=0
if [[ "${1:-}" == "--check" ]]; then
  check=1
  shift
fi
root=$(cd "$(dirname "$0")/.." && pwd)
rectify=${1:-$root/build/release/tools/rectify/rectify}
readme=${2:-$root/README.md}
[[ -x "$rectify" ]] || { echo "readme_tables: no rectify at $rectify (build it first)" >&2; exit 1; }

generated=$(mktemp)
trap 'rm -f "$generated" "$generated.table"' EXIT
cp "$readme" "$generated"
for table in functions semantics; do
  flag=--markdown
  [[ $table == semantics ]] && flag=--semantics
  "$rectify" list "$flag" >"$generated.table"
  grep -q "^<!-- $table:begin -->\$" "$generated" && grep -q "^<!-- $table:end -->\$" "$generated" ||
    { echo "readme_tables: $readme lacks the $table markers" >&2; exit 1; }
  # Keep the markers, replace what lies between them.
  awk -v begin="<!-- $table:begin -->" -v end="<!-- $table:end -->" -v table="$generated.table" '
    $0 == begin { print; while ((getline line < table) > 0) print line; skip = 1; next }
    $0 == end { skip = 0 }
    !skip { print }' "$generated" >"$generated.new"
  mv "$generated.new" "$generated"
done

if ((check)); then
  if ! diff -u "$readme" "$generated"; then
    echo "readme_tables: README.md's tables differ from the registry; run scripts/readme_tables.sh" >&2
    exit 1
  fi
  echo "readme_tables: README.md's function and semantics tables match the registry"
else
  cat "$generated" >"$readme"
  echo "readme_tables: updated $readme"
fi
