#!/usr/bin/env bash
# rectify lab's run records from the command line, as a scheduler would use them: the plan split
# into shards run as separate processes and merged writes the report.md of one lab (but for the
# Timing and Cost sections, which are measured times); SIGTERM keeps the finished runs and the
# same command resumes without running them again; bad --shard and --merge are clear errors.
# Usage: check_lab_shards.sh RECTIFY DATA_DIR   (DATA_DIR: the Fashion-MNIST sample)
set -euo pipefail
rectify=$(realpath "$1")
data=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
plan=(lab --quick --studies compare,dying,depth)
untimed() { sed '/^## Timing/,$d' "$1"; }

"$rectify" "${plan[@]}" --out whole >whole.out
for i in 2 1 3; do "$rectify" "${plan[@]}" --shard "$i/3" --out "s$i" >"s$i.out"; done
grep -q "^Shard 2/3: [0-9]* runs (0 reused)" s2.out || fail "no shard summary: $(tail -2 s2.out)"
[[ ! -e s1/report.md ]] || fail "a shard wrote a report"
"$rectify" "${plan[@]}" --merge s1 s2 s3/runs --out merged >merged.out
diff <(untimed whole/report.md) <(untimed merged/report.md) || fail "merged report differs"
runs=$(ls whole/runs | wc -l)
[[ $(ls merged/runs | wc -l) == "$runs" ]] || fail "the merge did not keep every run"

# A shard missing: an error that says which runs, and no report.
rc=0
"$rectify" "${plan[@]}" --merge s1 s3 --out partial >partial.out 2>partial.err || rc=$?
[[ $rc != 0 ]] || fail "merged without shard 2"
grep -q "are in none of the folders, e.g. '.*' (run [0-9]* of the plan" partial.err ||
  fail "unclear message: $(cat partial.err)"
[[ ! -e partial/report.md ]] || fail "a report from a partial merge"

# SIGTERM during a lab on the larger plan: exit 143, finished runs kept; the same command again
# reuses exactly those and writes the report of an uninterrupted lab.
big=(lab --data "$data" --studies compare,dying,depth)
"$rectify" "${big[@]}" --out term >term.out 2>term.err &
pid=$!
for _ in $(seq 600); do
  [[ $(grep -c '^\[' term.out 2>/dev/null) -ge 3 ]] && break
  sleep 0.05
done
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
if [[ $rc == 0 ]]; then
  echo "note: the lab finished before SIGTERM arrived; resume not exercised"
else
  [[ $rc == 143 ]] || fail "exit status $rc after SIGTERM, expected 143"
  grep -Eq "^rectify lab: interrupted by SIGTERM; [0-9]+ of [0-9]+ runs are finished" term.err ||
    fail "no interruption message: $(cat term.err)"
  kept=$(ls term/runs | grep -c '\.json$')
  [[ $(ls -A term/runs | wc -l) == "$kept" ]] || fail "a temporary file was left in term/runs"
  "$rectify" "${big[@]}" --out term >resumed.out
  [[ $(grep -c '(reused)$' resumed.out) == "$kept" ]] || fail "expected $kept runs reused"
  "$rectify" "${big[@]}" --out fresh >/dev/null
  diff <(untimed term/report.md) <(untimed fresh/report.md) || fail "resumed report differs"
fi

# Bad shards and combinations.
for bad in 0/2 3/2 1/0 x 1/ /2 2 -1/2 1/1000001 "1/2 " 99999999999999999999/2; do
  rc=0
  "$rectify" lab --quick --shard "$bad" --out badshard >/dev/null 2>bad.err || rc=$?
  [[ $rc == 2 ]] || fail "--shard '$bad': exit status $rc, expected 2"
  grep -q "expected I/N" bad.err || fail "--shard '$bad': $(cat bad.err)"
done
rc=0
"$rectify" lab --quick --shard 1/2 --merge s1 --out x >/dev/null 2>both.err || rc=$?
[[ $rc == 2 ]] || fail "--shard with --merge: exit status $rc"
rc=0
"$rectify" lab --quick --merge nowhere --out x >/dev/null 2>nowhere.err || rc=$?
[[ $rc != 0 ]] && grep -q "nowhere: not a directory" nowhere.err || fail "--merge nowhere: $(cat nowhere.err)"
rc=0
"$rectify" lab --quick --studies compare,sleep --out x >/dev/null 2>studies.err || rc=$?
[[ $rc != 0 ]] && grep -q "unknown study 'sleep'" studies.err || fail "--studies: $(cat studies.err)"
rc=0
"$rectify" lab --quick --jobs 2 --threads 2 --out x >/dev/null 2>jobs.err || rc=$?
[[ $rc == 2 ]] && grep -q "give one of them" jobs.err || fail "--jobs with --threads: $(cat jobs.err)"
echo "ok: $runs runs in 3 shards merged into the same report; SIGTERM resumed; bad options refused"
