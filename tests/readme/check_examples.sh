#!/usr/bin/env bash
# Runs every `$ rectify ...` example of README.md with the built CLI, as a new user would type
# it, and every `$ mpirun -np N rectify ...` example where the build has MPI; fails on the first
# one that exits non-zero. Usage: check_examples.sh RECTIFY README
set -euo pipefail
rectify=$1 readme=$2
count=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
mpi=yes
"$rectify" info | grep -q "^MPI: absent" && mpi=
# Open MPI refuses root (CI) without these.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
while IFS= read -r line; do
  launcher=
  if [[ $line =~ ^\$\ (mpirun\ -np\ [0-9]+)\ rectify\ (.*)$ ]]; then
    if [[ -z $mpi ]]; then
      echo "skipped (built without MPI): ${line#\$ }"
      continue
    fi
    launcher="${BASH_REMATCH[1]} --oversubscribe"
    cmd=${BASH_REMATCH[2]}
  else
    cmd=${line#\$ rectify }
  fi
  cmd=${cmd%%#*}  # drop the trailing comment
  echo "+ ${launcher:+$launcher }rectify $cmd"
  # stdin from /dev/null: mpirun would read the rest of the examples.
  if ! eval "$launcher \"$rectify\" $cmd" </dev/null >"$out" 2>&1; then
    cat "$out"
    echo "README example failed: ${launcher:+$launcher }rectify $cmd" >&2
    exit 1
  fi
  count=$((count + 1))
done < <(grep -E '^\$ (rectify|mpirun -np [0-9]+ rectify) ' "$readme")
[[ $count -gt 0 ]] || { echo "no examples found in $readme" >&2; exit 1; }
echo "$count README examples ran"
