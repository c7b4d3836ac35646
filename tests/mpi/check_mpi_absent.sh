#!/usr/bin/env bash
# A build without MPI, started as if by mpirun with 2 ranks: train and lab say MPI is absent
# instead of running the same job twice; rectify info says so too.
# Usage: check_mpi_absent.sh RECTIFY
set -euo pipefail
rectify=$(realpath "$1")
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
"$rectify" info | grep -q "^MPI: absent" || fail "rectify info: $("$rectify" info | grep MPI)"
for command in "train --epochs 1" "lab --quick"; do
  rc=0
  out=$(OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=0 "$rectify" $command 2>&1 >/dev/null) || rc=$?
  [[ $rc != 0 ]] || fail "$command ran on 2 ranks without MPI"
  [[ $out == *"built without MPI"* ]] || fail "$command: $out"
done
echo "ok: without MPI, train and lab under a launcher say so"
