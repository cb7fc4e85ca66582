#!/usr/bin/env bash
# Screenshot of demo/report.html (run make demo first) in headless Chromium,
# written to docs/demo_report.png for the README.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f demo/report.html ] || { echo "demo/report.html is missing: run make demo first" >&2; exit 1; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
HOME=$profile timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-dev-shm-usage \
	--user-data-dir="$profile" --hide-scrollbars --window-size=1480,1160 \
	--screenshot="$(pwd)/docs/demo_report.png" "file://$(pwd)/demo/report.html" 2>/dev/null
echo "docs/demo_report.png"
