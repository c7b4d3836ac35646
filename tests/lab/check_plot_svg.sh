#!/usr/bin/env bash
# rectify plot, end to end: function curves, derivatives and the charts of training logs come out
# as well-formed SVG (xmllint) holding the expected series with path data; bad input fails with a
# message and leaves no file. Where Chromium is installed, it renders a chart to a PNG.
# Usage: check_plot_svg.sh RECTIFY   (exit 77, skipped, without xmllint: apt-get install libxml2-utils)
set -euo pipefail
rectify=$1
command -v xmllint >/dev/null || { echo "xmllint not found (libxml2-utils): skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# FILE parses as XML and holds exactly the series NAMES..., each with path data.
expect_series() {
  local file=$1 name count d
  shift
  xmllint --noout "$file" || fail "$file is not well-formed XML"
  count=$(xmllint --xpath "count(//*[local-name()='path'][@class='series'])" "$file")
  [[ $count == "$#" ]] || fail "$file: $count series, expected $#: $*"
  for name in "$@"; do
    d=$(xmllint --xpath "string(//*[local-name()='path'][@class='series'][@data-name=\"$name\"]/@d)" "$file")
    [[ $d == M* ]] || fail "$file: series '$name' missing or without path data"
  done
  echo "ok: $file: $*"
}

# The command fails, says something matching PATTERN, and writes nothing under $tmp/out.
expect_error() {
  local pattern=$1 message
  shift
  rm -rf "$tmp/out" && mkdir "$tmp/out"
  if message=$("$rectify" plot "$@" 2>&1); then fail "rectify plot $* succeeded"; fi
  grep -qE "$pattern" <<<"$message" || fail "rectify plot $*: '$message' does not match '$pattern'"
  [[ -z $(ls -A "$tmp/out") ]] || fail "rectify plot $* left files: $(ls -A "$tmp/out")"
  echo "ok: error for $*"
}

# Function curves, their derivatives, both.
"$rectify" plot relu leaky_relu:0.2 elu --range -4:4 --out "$tmp/f.svg" >/dev/null
expect_series "$tmp/f.svg" relu leaky_relu:0.2 elu
"$rectify" plot relu6 'keras_relu:max_value=6,threshold=0.5' --derivative --points 101 \
  --range=-1:7 --out "$tmp/d.svg" >/dev/null
expect_series "$tmp/d.svg" relu6 'keras_relu:max_value=6,threshold=0.5'
"$rectify" plot gelu_erf silu --both --out "$tmp/b.svg" >/dev/null
expect_series "$tmp/b.svg" gelu_erf "gelu_erf'" silu "silu'"
"$rectify" plot relu leaky_relu:0.2 elu --range -4:4 --out "$tmp/f2.svg" >/dev/null
cmp -s "$tmp/f.svg" "$tmp/f2.svg" || fail "the same plot twice differs"

# Training logs as rectify train --json-log writes them (NaN is written as null: a gap); the
# second run's name, from its file name, needs escaping.
line() {  # epoch train_loss train_acc test_loss test_acc dead1 sparsity1 dead2 sparsity2
  printf '{"epoch":%s,"train_loss":%s,"train_acc":%s,"test_loss":%s,"test_acc":%s,"seconds":0.1,' "${@:1:5}"
  printf '"layers":[{"name":"fc1","units":128,"dead":3,"dead_fraction":%s,"sparsity":%s,' "$6" "$7"
  printf '"mean":0.3,"std":0.5,"grad_norm":0.01,"died":1,"revived":0},'
  printf '{"name":"fc2","units":64,"dead":0,"dead_fraction":%s,"sparsity":%s,' "$8" "$9"
  printf '"mean":0.2,"std":0.4,"grad_norm":0.02,"died":0,"revived":0}]}\n'
}
{
  line 1 1.2 0.6 0.9 0.70 0.00 0.55 0.000 0.50
  line 2 0.7 0.8 0.6 0.78 0.02 0.58 0.000 0.52
  line 3 0.5 0.85 null 0.80 0.03 0.60 0.016 0.53
} >"$tmp/relu.jsonl"
{
  line 1 1.0 0.65 0.8 0.72 0 0.3 0 0.3
  echo
  line 2 0.6 0.82 0.55 0.79 0 0.31 0 0.29
} >"$tmp/elu&<v2>.jsonl"
"$rectify" plot --log "$tmp/relu.jsonl" --log "$tmp/elu&<v2>.jsonl" --out "$tmp/charts" >"$tmp/paths"
for chart in loss accuracy dead sparsity; do
  grep -qx "$tmp/charts/$chart.svg" "$tmp/paths" || fail "$chart.svg not printed: $(cat "$tmp/paths")"
done
expect_series "$tmp/charts/loss.svg" "relu train" "relu test" "elu&<v2> train" "elu&<v2> test"
expect_series "$tmp/charts/accuracy.svg" "relu train" "relu test" "elu&<v2> train" "elu&<v2> test"
expect_series "$tmp/charts/dead.svg" "relu fc1" "relu fc2" "elu&<v2> fc1" "elu&<v2> fc2"
expect_series "$tmp/charts/sparsity.svg" "relu fc1" "relu fc2" "elu&<v2> fc1" "elu&<v2> fc2"
"$rectify" plot --log "$tmp/relu.jsonl" --chart dead --out "$tmp/dead.svg" >/dev/null
expect_series "$tmp/dead.svg" fc1 fc2

# A log without "layers" (an older rectify train): loss and accuracy, and a note.
grep -o '^[^[]*' "$tmp/relu.jsonl" | sed 's/,"layers":$/}/' >"$tmp/old.jsonl"
"$rectify" plot --log "$tmp/old.jsonl" --out "$tmp/old" >/dev/null 2>"$tmp/note"
grep -q layers "$tmp/note" || fail "no note about the missing layers: $(cat "$tmp/note")"
[[ $(ls "$tmp/old") == $'accuracy.svg\nloss.svg' ]] || fail "old log: $(ls "$tmp/old")"
expect_series "$tmp/old/loss.svg" train test

# Errors name what is wrong and leave nothing behind.
{ head -1 "$tmp/relu.jsonl"; echo '{"epoch": 2, "train_loss": '; } >"$tmp/bad.jsonl"
expect_error 'bad\.jsonl:2' --log "$tmp/bad.jsonl" --out "$tmp/out"
expect_error 'range' relu --range 3:3 --out "$tmp/out/f.svg"
expect_error 'range' relu --range=-inf:3 --out "$tmp/out/f.svg"
expect_error 'unknown activation' nope --out "$tmp/out/f.svg"
expect_error 'directory' --log "$tmp/relu.jsonl" --out "$tmp/out/all.svg"

# PNG through rsvg-convert; without it, an error that says what to install.
if command -v rsvg-convert >/dev/null; then
  "$rectify" plot relu --out "$tmp/f.png" >/dev/null
  [[ $(head -c 8 "$tmp/f.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
    fail "f.png is not a PNG"
  echo "ok: PNG"
fi
rm -rf "$tmp/out" && mkdir "$tmp/out"
if message=$(PATH=/nonexistent "$rectify" plot relu --out "$tmp/out/f.png" 2>&1); then
  fail "PNG without rsvg-convert succeeded"
fi
grep -q librsvg2-bin <<<"$message" || fail "PNG without rsvg-convert: $message"
[[ -z $(ls -A "$tmp/out") ]] || fail "PNG without rsvg-convert left $(ls -A "$tmp/out")"
echo "ok: PNG without rsvg-convert is an error"

# A converter that fails leaves nothing behind.
printf '#!/bin/sh\nexit 3\n' >"$tmp/rsvg-convert" && chmod +x "$tmp/rsvg-convert"
rm -rf "$tmp/out" && mkdir "$tmp/out"
if message=$(PATH=$tmp "$rectify" plot relu --out "$tmp/out/f.png" 2>&1); then
  fail "PNG with a failing rsvg-convert succeeded"
fi
grep -q 'exit status 3' <<<"$message" || fail "failing rsvg-convert: $message"
[[ -z $(ls -A "$tmp/out") ]] || fail "failing rsvg-convert left $(ls -A "$tmp/out")"
echo "ok: a failing rsvg-convert is an error"

# A browser renders the SVG (only where Chromium is installed).
for browser in chromium chromium-browser; do
  command -v "$browser" >/dev/null || continue
  HOME=$tmp timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size=700,450 --screenshot="$tmp/shot.png" "file://$tmp/f.svg" >/dev/null 2>&1 ||
    fail "$browser could not render f.svg"
  [[ -s $tmp/shot.png ]] || fail "$browser wrote no screenshot of f.svg"
  echo "ok: $browser rendered f.svg"
  break
done
echo "plot: all checks passed"
