#!/usr/bin/env bash
# Hostile input to the command line: files that must not be replaced, sizes and counts out of
# range, checkpoints whose numbers lie, unwritable outputs. Each case must end with a clear error
# and the documented exit status (1: an error while running, 2: a usage error), never a crash, a
# hang, a replaced file or a silent default.
# Usage: check_hostile_input.sh RECTIFY DATA_DIR   (DATA_DIR: the Fashion-MNIST sample)
set -uo pipefail
rectify=$(realpath "$1")
data=$(realpath "$2")
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cd "$work" || exit 1
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect STATUS PATTERN -- ARGS...: runs rectify ARGS, wants exit status STATUS and stderr
# matching the extended regular expression PATTERN (stdout goes to $OUT, by default a file).
expect() {
  local status=$1 pattern=$2
  shift 3
  local rc=0
  timeout 120 "$rectify" "$@" >"${OUT:-out.txt}" 2>err.txt || rc=$?
  if [[ $rc != "$status" ]]; then
    fail "rectify $*: exit status $rc, expected $status; stderr: $(head -c 400 err.txt)"
  elif [[ -n $pattern ]] && ! grep -Eq -- "$pattern" err.txt; then
    fail "rectify $*: stderr lacks /$pattern/: $(head -c 400 err.txt)"
  else
    echo "ok: rectify $* -> $rc: $(grep -Em1 -- "${pattern:-.}" err.txt | head -c 160)"
  fi
}

train=(train --data "$data")  # plus --epochs

# Rewrites a checkpoint's JSON header with a Python expression over `h` (the parsed header), or
# replaces the header text with `raw` when given.
edit_checkpoint() {
  python3 - "$@" <<'PY'
import json, struct, sys
src, dst, code = sys.argv[1], sys.argv[2], sys.argv[3]
b = open(src, "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
data = b[8 + n:]
text = None
exec(code)
text = text if text is not None else json.dumps(h)
text += " " * ((8 - len(text) % 8) % 8)
open(dst, "wb").write(struct.pack("<Q", len(text)) + text.encode() + data)
PY
}

# 1. --save replaces only a regular file it may write, or follows a symbolic link.
mkfifo fifo
expect 1 "fifo: is a FIFO" -- "${train[@]}" --epochs 1 --save fifo
[[ -p fifo ]] || fail "the FIFO was replaced"
mkdir dir
expect 1 "dir: is a directory" -- "${train[@]}" --epochs 1 --save dir
if [[ $(id -u) == 0 ]]; then
  mknod null c 1 3
  expect 1 "null: is a character device" -- "${train[@]}" --epochs 1 --save null
  [[ -c null ]] || fail "the character device was replaced"
fi
echo old >target.safetensors
ln -s target.safetensors link.safetensors
expect 0 "" -- "${train[@]}" --epochs 1 --save link.safetensors
[[ -L link.safetensors ]] || fail "the symbolic link was replaced by a file"
[[ $(head -c 3 target.safetensors) != old ]] || fail "the link's target was not written"
expect 0 "" -- "${train[@]}" --epochs 2 --resume link.safetensors --save link.safetensors
echo old >readonly.safetensors
chmod 444 readonly.safetensors
if [[ $(id -u) == 0 ]]; then
  # root may write any file (cp would too): the file keeps its mode.
  expect 0 "" -- "${train[@]}" --epochs 1 --save readonly.safetensors
  [[ $(stat -c %a readonly.safetensors) == 444 ]] ||
    fail "readonly.safetensors: mode $(stat -c %a readonly.safetensors), expected 444 kept"
else
  expect 1 "readonly.safetensors: cannot overwrite: Permission denied" -- "${train[@]}" --epochs 1 --save readonly.safetensors
  [[ $(cat readonly.safetensors) == old ]] || fail "the read-only file was replaced"
fi
ls ./*.tmp 2>/dev/null && fail "a .tmp file was left behind"

# 2. Sizes that cannot be allocated are usage errors, not a crash.
expect 2 "--size" -- bench --fn relu --pass forward --size 18446744073709551615 --quick
expect 2 "--size" -- bench --fn relu --pass forward --size 1000000000000 --quick

# 3. Every number in a checkpoint is checked like the option it stands for.
"$rectify" "${train[@]}" --epochs 1 --save good.safetensors >/dev/null || fail "no checkpoint to edit"
edit_checkpoint good.safetensors epochs.safetensors \
  'h["__metadata__"].update(epochs="2147483647", epochs_done="2147483647")'
expect 1 "__metadata__.epochs = 2147483647: expected 1 to" -- "${train[@]}" --epochs 2 --resume epochs.safetensors
edit_checkpoint good.safetensors batch.safetensors 'h["__metadata__"]["batch"] = str(2**64 - 1)'
expect 1 "__metadata__.batch = 18446744073709551615: expected 1 to" -- "${train[@]}" --epochs 2 --resume batch.safetensors
for lr in -1 nan; do
  edit_checkpoint good.safetensors lr.safetensors "h['__metadata__']['lr'] = '$lr'"
  expect 1 "__metadata__.lr = -?nan|__metadata__.lr = -1" -- "${train[@]}" --epochs 2 --resume lr.safetensors
done
edit_checkpoint good.safetensors clip.safetensors 'h["__metadata__"]["max_grad_norm"] = "-1"'
expect 1 "__metadata__.max_grad_norm = -1" -- "${train[@]}" --epochs 2 --resume clip.safetensors
edit_checkpoint good.safetensors twice.safetensors \
  'k = next(x for x in h if x != "__metadata__"); text = json.dumps(h)[:-1] + ", " + json.dumps(k) + ": " + json.dumps(h[k]) + "}"'
expect 1 "twice.safetensors: header: key \"fc1.weight\" appears twice" -- "${train[@]}" --epochs 2 --resume twice.safetensors
edit_checkpoint good.safetensors done.safetensors 'h["__metadata__"].update(epochs="5", epochs_done="5")'
expect 2 "--epochs 2 is fewer than the 5 epochs" -- "${train[@]}" --epochs 2 --resume done.safetensors

# 4. --resume looks before it reads: a device or a directory is named, not read.
expect 1 "/dev/zero: is a character device" -- "${train[@]}" --epochs 1 --resume /dev/zero
expect 1 "dir: is a directory" -- "${train[@]}" --epochs 1 --resume dir

# 5. Command-line ranges: usage errors with exit status 2.
expect 2 "--batch" -- "${train[@]}" --epochs 1 --batch 18446744073709551615
expect 2 "--batch" -- "${train[@]}" --epochs 1 --batch 18446744073709551616
expect 2 "batch 2001 is larger than the 2000 training images" -- "${train[@]}" --epochs 1 --batch 2001
expect 2 "--threads" -- "${train[@]}" --epochs 1 --threads 100000
expect 2 "--lr" -- "${train[@]}" --epochs 1 --lr nan
expect 2 "--lr" -- "${train[@]}" --epochs 1 --lr 0
expect 2 "--dropout" -- "${train[@]}" --epochs 1 --dropout nan
expect 2 "--bogus" -- "${train[@]}" --epochs 1 --bogus

# 6. Parameters the float kernels cannot represent are refused.
expect 2 "leaky_relu: parameter negative_slope must be in" -- eval leaky_relu:-1e308 -- 0
expect 2 "elu: parameter alpha must be in" -- eval elu:alpha=3.5e38 -- 1
expect 2 "softplus: parameter beta must be in" -- eval softplus:beta=1e-320 -- -1 0 1

# 8. Logs and output: nothing truncated before the options are checked, write errors reported.
echo '{"epoch":1}' >run.jsonl
expect 2 "model = 'bogus': unknown" -- "${train[@]}" --epochs 1 --model bogus --json-log run.jsonl
[[ $(cat run.jsonl) == '{"epoch":1}' ]] || fail "the JSON log was truncated by a run that never started"
expect 1 "--json-log /dev/full: cannot write: No space left on device" -- "${train[@]}" --epochs 1 --json-log /dev/full
OUT=/dev/full expect 1 "No space left on device" -- list
expect 2 "--resume excludes --model|--model excludes --resume" -- "${train[@]}" --epochs 2 --resume good.safetensors --model cnn
expect 1 "--out /proc: cannot write there" -- lab --quick --out /proc
[[ -e lab-report ]] && fail "lab wrote a report elsewhere"
expect 2 "--data" -- train --epochs 1 --data ''

((failures == 0)) || { echo "$failures case(s) failed" >&2; exit 1; }
echo "all cases passed"
