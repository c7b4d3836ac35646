#!/usr/bin/env bash
# Screenshots of a lab report as a reader sees it: headless Chromium at 1280 px, the page cut into
# 2400-pixel-high PNGs (report-1.png, report-2.png, ...). Chromium: scripts/setup.sh --screenshots.
# Usage: scripts/report_screenshots.sh LAB_OUT_DIR [PNG_DIR]   (PNG_DIR: LAB_OUT_DIR/screenshots)
set -euo pipefail
report=$(realpath "$1/report.html")
out=${2:-$1/screenshots}
browser=$(command -v chromium || command -v chromium-browser || true)
[[ -n $browser ]] || { echo "report_screenshots: no chromium (scripts/setup.sh --screenshots)" >&2; exit 1; }
mkdir -p "$out"
frame=$(mktemp --suffix=.html)
trap 'rm -f "$frame"' EXIT
# The page's height, from the report's own length: a generous bound, cut into screens.
screens=$(( $(wc -c <"$report") / 40000 + 4 ))
for ((i = 0; i < screens; i++)); do
  # The report scrolled by i screens inside a frame, so each shot starts where the last ended.
  printf '<html><body style="margin:0"><iframe src="file://%s" style="border:0;width:1280px;height:%dpx;margin-top:-%dpx"></iframe></body></html>\n' \
    "$report" $(((screens + 1) * 2400)) $((i * 2400)) >"$frame"
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --allow-file-access-from-files \
    --window-size=1280,2400 --screenshot="$out/report-$((i + 1)).png" "file://$frame" >/dev/null 2>&1
done
echo "report_screenshots: $screens screens in $out"
