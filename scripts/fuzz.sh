#!/usr/bin/env bash
# Builds the libFuzzer targets (the fuzz preset: clang, AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs each for a bounded time from its seed corpus in
# fuzz/corpus/<target>/. Prints executions, executions/s and new inputs per target and in total;
# fails when any target crashes, leaks, times out or runs out of memory (the input that did it is
# kept under build/fuzz/artifacts/<target>/: rerun it with build/fuzz/fuzz/fuzz_<target> FILE).
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#        (default 60 s each; targets: idx checkpoint activation_spec cli)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(idx checkpoint activation_spec cli)
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "fuzz: seconds must be a positive integer" >&2; exit 2; }

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

total_runs=0
total_seconds=0
failed=()
for t in "${targets[@]}"; do
  binary=build/fuzz/fuzz/fuzz_$t
  [[ -x $binary && -d fuzz/corpus/$t ]] || { echo "fuzz: no target '$t'" >&2; exit 2; }
  # New inputs go to a working corpus under build/, never into the committed seeds.
  work=build/fuzz/corpus/$t
  artifacts=build/fuzz/artifacts/$t
  log=build/fuzz/$t.log
  mkdir -p "$work" "$artifacts"
  start=$SECONDS
  rc=0
  "$binary" "$work" "fuzz/corpus/$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || rc=$?
  elapsed=$((SECONDS - start))
  runs=$(awk '/^stat::number_of_executed_units:/{print $2}' "$log")
  rate=$(awk '/^stat::average_exec_per_sec:/{print $2}' "$log")
  added=$(awk '/^stat::new_units_added:/{print $2}' "$log")
  runs=${runs:-0}
  total_runs=$((total_runs + runs))
  total_seconds=$((total_seconds + elapsed))
  if ((rc == 0)); then
    echo "fuzz: $t: ${runs} executions in ${elapsed} s (${rate:-0}/s), ${added:-0} new inputs, no crash"
  else
    failed+=("$t")
    echo "fuzz: $t: FAILED after ${runs} executions in ${elapsed} s (exit $rc); log: $log" >&2
    grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error)|Test unit written to" "$log" | head -5 >&2 || true
  fi
done
echo "fuzz: total: ${total_runs} executions in ${total_seconds} s over ${#targets[@]} targets," \
  "${#failed[@]} failed${failed:+: ${failed[*]}}"
((${#failed[@]} == 0))
