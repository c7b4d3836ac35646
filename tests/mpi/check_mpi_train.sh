#!/usr/bin/env bash
# mpirun -np N rectify train as a user runs it: a data-parallel run is the same bits run after
# run, one rank is the plain process, a resumed run (also after SIGTERM to the launcher)
# continues exactly, only rank 0 prints and writes, and a batch smaller than the ranks is a
# clear error.
# Usage: check_mpi_train.sh MPIRUN RECTIFY DATA_DIR   (DATA_DIR: the Fashion-MNIST sample)
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
# The JSON log without the measured times.
untimed() {
  python3 -c '
import json, sys
for line in open(sys.argv[1]):
    j = json.loads(line)
    for k in ("seconds", "images_per_s", "comm_wait_seconds"):
        j.pop(k, None)
    print(json.dumps(j, sort_keys=True))' "$1"
}
train=(train --data "$data" --model mlp --batch 50)

"$mpirun" -np 2 "$rectify" "${train[@]}" --epochs 3 --save a.st --json-log a.jsonl >a.out
"$mpirun" -np 2 "$rectify" "${train[@]}" --epochs 3 --save b.st --json-log b.jsonl >b.out
cmp a.st b.st || fail "two runs on 2 ranks wrote different checkpoints"
diff <(untimed a.jsonl) <(untimed b.jsonl) || fail "two runs on 2 ranks logged differently"
[[ $(wc -l <a.jsonl) == 3 ]] || fail "the log has $(wc -l <a.jsonl) lines, not one per epoch"
grep -q '"ranks":2' a.jsonl || fail "the log does not say 2 ranks"
[[ $(grep -c "^rectify train:" a.out) == 1 ]] || fail "the header printed more than once"
[[ $(grep -c "^epoch   3" a.out) == 1 ]] || fail "an epoch line printed more than once"
grep -q "2 ranks x 1 threads" a.out || fail "the header does not say 2 ranks: $(head -1 a.out)"

# Another bucket size: the same sums, the same bits.
"$mpirun" -np 2 "$rectify" "${train[@]}" --epochs 3 --save c.st --bucket-kb 4 >/dev/null
cmp a.st c.st || fail "--bucket-kb 4 changed the result"

# One rank under mpirun is the plain process.
"$mpirun" -np 1 "$rectify" "${train[@]}" --epochs 2 --threads 1 --save one.st >/dev/null
"$rectify" "${train[@]}" --epochs 2 --threads 1 --save plain.st >/dev/null
cmp one.st plain.st || fail "mpirun -np 1 differs from the plain process"

# Resumed: 1 epoch, then to 3, is the 3-epoch run (a constant rate: the schedule follows the
# total of epochs).
"$mpirun" -np 2 "$rectify" "${train[@]}" --schedule constant --epochs 3 --save s.st >/dev/null
"$mpirun" -np 2 "$rectify" "${train[@]}" --schedule constant --epochs 1 --save r.st >/dev/null
# And on 3 ranks the run goes on (another rank count: supported, with its own sums).
"$mpirun" -np 3 "$rectify" train --data "$data" --resume r.st --epochs 2 --save r3.st >/dev/null
"$mpirun" -np 2 "$rectify" train --data "$data" --resume r.st --epochs 3 --save r.st >/dev/null
cmp s.st r.st || fail "a resumed 2-rank run differs from the uninterrupted one"

# SIGTERM to the launcher (Ctrl-C on mpirun sends its ranks SIGTERM): every rank stops after the
# same batch, rank 0 saves, the printed command resumes, and the result is the uninterrupted run.
long=(train --data "$data" --model mlp --batch 50 --epochs 120)
"$mpirun" -np 2 "$rectify" "${long[@]}" --save whole.st >/dev/null
"$mpirun" -np 2 "$rectify" "${long[@]}" --save cut.st >cut.out 2>cut.err &
launcher=$!
# Signal once epoch 1 is printed: every rank is then past installing its handler (a fixed sleep
# let a loaded machine's launch outlast it, and the ranks died without a word).
for _ in $(seq 1200); do
  grep -q "^epoch   1 " cut.out 2>/dev/null && break
  sleep 0.05
done
kill -TERM "$launcher"
rc=0
wait "$launcher" || rc=$?
[[ $rc != 0 ]] || fail "the run ended before the signal; make it longer"
grep -q "interrupted by SIGTERM" cut.err || fail "no interruption message: $(cat cut.err)"
resume=$(grep "^To resume: " cut.err | sed 's/^To resume: //')
[[ $resume == "mpirun -np 2 rectify train --resume cut.st "* ]] || fail "resume command: $resume"
"$mpirun" -np 2 "$rectify" ${resume#mpirun -np 2 rectify } >/dev/null
cmp whole.st cut.st || fail "the run interrupted and resumed differs from the uninterrupted one"

# A batch smaller than the ranks: a usage error, said once.
rc=0
"$mpirun" -np 3 "$rectify" train --data "$data" --batch 2 --epochs 1 >small.out 2>small.err || rc=$?
[[ $rc != 0 ]] || fail "batch 2 on 3 ranks ran"
[[ $(grep -c "batch 2 is smaller than the 3 ranks" small.err) == 1 ]] ||
  fail "unclear or repeated message: $(cat small.err)"
# An update that overflows on 2 ranks: every rank stops, and the one message names the parameter.
rc=0
"$mpirun" -np 2 "$rectify" "${train[@]}" --optimizer sgd --lr 1e300 --epochs 1 \
  >over.out 2>over.err || rc=$?
[[ $rc != 0 ]] || fail "an overflowing update on 2 ranks ran on"
[[ $(grep -c "non-finite values at epoch 1, batch 1: .*fc1.weight" over.err) == 1 ]] ||
  fail "unclear or repeated message for the overflowing update: $(cat over.err)"

echo "ok: 2-rank runs reproducible, -np 1 = plain, resume and SIGTERM exact, bad batch refused,"
echo "    an overflowing update named once"
