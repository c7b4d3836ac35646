#!/usr/bin/env bash
# A run's results do not depend on the thread count: training the mlp and the cnn on one thread
# ends with the same log (but for timings) and the same checkpoint bytes as training its first
# epoch on two threads and resuming on three.
# Usage: check_resume_threads.sh RECTIFY DATA_DIR   (DATA_DIR: the Fashion-MNIST sample)
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
untimed() { sed -E 's/"seconds":[^,]*,"images_per_s":[^,}]*//' "$1"; }

for model in mlp cnn; do
  # A constant rate: a cosine schedule depends on the total epochs, which the resume changes.
  run=(train --data "$data" --model "$model" --seed 5 --schedule constant)
  "$rectify" "${run[@]}" --epochs 2 --threads 1 --save "one-$model.safetensors" \
    --json-log "one-$model.jsonl" >/dev/null
  "$rectify" "${run[@]}" --epochs 1 --threads 2 --save "many-$model.safetensors" \
    --json-log "many-$model.jsonl" >/dev/null
  "$rectify" train --data "$data" --resume "many-$model.safetensors" --epochs 2 --threads 3 \
    --save "many-$model.safetensors" --json-log "many-$model.jsonl" >/dev/null
  diff <(untimed "one-$model.jsonl") <(untimed "many-$model.jsonl") ||
    fail "$model: the log on 2 then 3 threads differs from the log on 1"
  cmp "one-$model.safetensors" "many-$model.safetensors" ||
    fail "$model: the checkpoint on 2 then 3 threads differs from the one on 1"
done
echo "ok: mlp and cnn end with the same bits on 1 thread and on 2 then 3"
