#!/usr/bin/env bash
# mpirun -np 2 rectify lab writes the report.md of one process's lab (but for the measured
# Timing and Cost sections), and --shard or --merge under mpirun is a clear error.
# Usage: check_mpi_lab.sh MPIRUN RECTIFY DATA_DIR   (DATA_DIR: the Fashion-MNIST sample)
set -euo pipefail
mpirun=$1
rectify=$(realpath "$2")
data=$(realpath "$3")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
plan=(lab --quick --studies compare,dying,depth --data "$data")
untimed() { sed '/^## Timing/,$d' "$1"; }

"$rectify" "${plan[@]}" --out one >one.out
"$mpirun" -np 2 "$rectify" "${plan[@]}" --out two >two.out
diff <(untimed one/report.md) <(untimed two/report.md) || fail "2 ranks wrote another report"
[[ $(ls two/runs | wc -l) == $(ls one/runs | wc -l) ]] || fail "rank 0 lacks runs"
grep -q "2 ranks x 1 runs side by side" two.out || fail "no rank count: $(head -1 two.out)"
grep -q "^rank 1: " two.out || fail "rank 1's runs are not shown"

rc=0
"$mpirun" -np 2 "$rectify" "${plan[@]}" --shard 1/2 --out x >/dev/null 2>shard.err || rc=$?
[[ $rc != 0 ]] || fail "--shard under mpirun ran"
grep -q "under mpirun the ranks are the shards" shard.err || fail "$(cat shard.err)"
echo "ok: the lab on 2 ranks wrote one process's report"
