#!/usr/bin/env bash
# A rank that dies (SIGKILL) or hangs (SIGSTOP) during data-parallel training: the launcher ends
# within a bounded time with an error naming the rank, never a silent hang, and the last
# checkpoint resumes.
# Usage: check_mpi_faults.sh MPIRUN RECTIFY DATA_DIR   (DATA_DIR: the Fashion-MNIST sample)
set -euo pipefail
mpirun=$1
rectify=$(realpath "$2")
data=$(realpath "$3")
work=$(mktemp -d)
launcher=
cleanup() {
  [[ -z $launcher ]] || kill -KILL "$launcher" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
train=(train --data "$data" --model mlp --batch 50 --epochs 100000 --rank-timeout 3)

# The process of rank R of the launcher, once the first epoch is saved.
rank_pid() {
  for pid in $(pgrep -f -- "--rank-timeout 3"); do
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1"; then
      echo "$pid"
      return
    fi
  done
}

# start NAME: the launcher in the background, until the first checkpoint exists.
start() {
  "$mpirun" -np 2 "$rectify" "${train[@]}" --save "$1.st" >"$1.out" 2>"$1.err" &
  launcher=$!
  for _ in $(seq 300); do
    [[ -e $1.st ]] && return
    sleep 0.1
  done
  fail "$1: no checkpoint after 30 s"
}

# ends_within SECONDS NAME: the launcher ends, non-zero, within SECONDS.
ends_within() {
  local waited=0
  while kill -0 "$launcher" 2>/dev/null; do
    ((waited < $1 * 10)) || fail "$2: still running after $1 s"
    sleep 0.1
    waited=$((waited + 1))
  done
  local rc=0
  wait "$launcher" || rc=$?
  launcher=
  [[ $rc != 0 ]] || fail "$2: exit status 0"
  echo "$2: ended after $((waited / 10)).$((waited % 10)) s, exit status $rc"
}

resumes() {
  local rc=0
  "$mpirun" -np 2 "$rectify" train --data "$data" --resume "$1.st" --epochs 1 --save "$1.st" \
    >/dev/null 2>"$1.resume.err" || rc=$?
  # It loads: a checkpoint of epoch 1 (the rank was stopped right after the first save, as on a
  # busy machine) has nothing left to train and ends with status 0; one of more epochs is
  # refused, naming them. A damaged file would be another message.
  [[ $rc == 0 ]] || grep -q "is fewer than the [0-9]* epochs" "$1.resume.err" ||
    fail "$1: the last checkpoint does not load: $(cat "$1.resume.err")"
}

start killed
pid=$(rank_pid 1)
[[ -n $pid ]] || fail "no process of rank 1"
kill -KILL "$pid"
ends_within 30 killed
grep -q "rank 1" killed.err || fail "killed: the error does not name rank 1: $(cat killed.err)"
resumes killed

start hung
pid=$(rank_pid 1)
[[ -n $pid ]] || fail "no process of rank 1"
kill -STOP "$pid"
ends_within 30 hung
kill -KILL "$pid" 2>/dev/null || true
grep -Eq "rank 1 (sent|took) nothing for 3 s" hung.err || fail "hung: $(cat hung.err)"
resumes hung
echo "ok: a killed rank and a hung rank each end the run with an error naming rank 1"
