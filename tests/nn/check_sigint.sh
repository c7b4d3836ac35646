#!/usr/bin/env bash
# Ctrl-C (or SIGTERM, as timeout, kill and schedulers send) during `rectify train`: the batch
# under way finishes, a checkpoint is saved, no FILE.tmp is left, the process exits with 128 +
# the signal (130, 143) and prints the command that resumes; that command ends exactly where a
# run that was never interrupted ends (the same JSON log but for timings, the same checkpoint
# bytes).
# Usage: check_sigint.sh RECTIFY DATA_DIR [INT|TERM]   (DATA_DIR: the Fashion-MNIST sample)
set -euo pipefail
rectify=$(realpath "$1")
data=$(realpath "$2")
signal=${3:-INT}
case $signal in
  INT) status=130 by="" ;;
  TERM) status=143 by=" by SIGTERM" ;;
  *) echo "unknown signal $signal" >&2; exit 2 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Small batches: 250 per epoch, so Ctrl-C nearly always lands inside an epoch.
run=(train --data "$data" --epochs 6 --batch 8)
"$rectify" "${run[@]}" --save whole.safetensors --json-log whole.jsonl >/dev/null

"$rectify" "${run[@]}" --save part.safetensors --json-log part.jsonl >part.out 2>part.err &
pid=$!
# Once the first epoch is logged, training is under way: interrupt it.
for _ in $(seq 1200); do
  [[ -s part.jsonl ]] && break
  sleep 0.05
done
kill -"$signal" "$pid"
rc=0
wait "$pid" || rc=$?
cat part.err
[[ $rc == "$status" ]] || fail "exit status $rc, expected $status"
grep -Eq "^rectify train: interrupted$by (at|after) epoch [0-9]+ of 6.*; checkpoint saved to part.safetensors \(the --save file\)$" part.err ||
  fail "no message naming the checkpoint"
resume=$(sed -n 's/^To resume: rectify //p' part.err)
expected="train --resume part.safetensors --epochs 6 --save part.safetensors --data $data --json-log part.jsonl"
[[ $resume == "$expected" ]] || fail "resume command: '$resume', expected '$expected'"
[[ -s part.safetensors ]] || fail "no checkpoint"
[[ ! -e part.safetensors.tmp ]] || fail "part.safetensors.tmp was left behind"

# The printed command, run as printed.
eval "\"\$rectify\" $resume" >/dev/null
untimed() { sed -E 's/"seconds":[^,]*,"images_per_s":[^,}]*//' "$1"; }
diff <(untimed whole.jsonl) <(untimed part.jsonl) || fail "the resumed run's log differs"
cmp whole.safetensors part.safetensors || fail "the resumed run's checkpoint differs"
echo "ok: $(head -1 part.err | sed 's/;.*//'), resumed exactly"
