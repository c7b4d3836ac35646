#!/usr/bin/env bash
# Runs every `$ rectify ...` example of README.md with the built CLI, as a new user would type
# it; fails on the first one that exits non-zero. Usage: check_examples.sh RECTIFY README
set -euo pipefail
rectify=$1 readme=$2
count=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
while IFS= read -r line; do
  cmd=${line#\$ rectify }
  cmd=${cmd%%#*}  # drop the trailing comment
  echo "+ rectify $cmd"
  if ! eval "\"$rectify\" $cmd" >"$out" 2>&1; then
    cat "$out"
    echo "README example failed: rectify $cmd" >&2
    exit 1
  fi
  count=$((count + 1))
done < <(grep -E '^\$ rectify ' "$readme")
[[ $count -gt 0 ]] || { echo "no examples found in $readme" >&2; exit 1; }
echo "$count README examples ran"
