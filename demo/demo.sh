#!/usr/bin/env bash
# make demo: install what is missing, build and install dti, start a
# throwaway cluster, create the extensions and run the worked examples:
# demo/demo.sql (the C core), demo/warehouse.sql (the warehouse on seeded
# SYNTHETIC data: load, verify, refresh, rankings, rank intervals, the 2025
# merger, maps, published vs computed), demo/grading.sql (the A-E grading of
# the 84 information systems of 2024: published counts and named grades,
# every other point SYNTHETIC), demo/report.sql, which writes
# demo/report.html, and demo/method.sql (the composite-indicator method,
# step by step, on its own SYNTHETIC data: docs/method.md).  The CSV files the demo loads stay in demo/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s.%N)
. test/cluster.sh

test/deps.sh
make -s all >/dev/null
waiting=$(date +%s.%N)
install_build >/dev/null
locked=$(date +%s.%N)

cluster_start
trap cluster_stop EXIT
createdb dti_demo
psql -X -q -v ON_ERROR_STOP=1 -d dti_demo -f demo/demo.sql
mkdir -p demo/out
rm -f demo/report.html
(cd demo/out && PATH="$root/tools:$PATH" psql -X -q -v ON_ERROR_STOP=1 -d dti_demo -f "$root/demo/warehouse.sql" -f "$root/demo/grading.sql" -f "$root/demo/report.sql")
mv demo/out/report.html demo/report.html
createdb dti_demo_method
psql -X -q -v ON_ERROR_STOP=1 -d dti_demo_method -f demo/method.sql
end=$(date +%s.%N)
echo
echo "Synthetic CSV files: $root/demo/out/ (framework_synthetic.csv, submissions_synthetic.csv, grading_2024_synthetic.csv)"
echo "Report: $root/demo/report.html (open it in a browser; no network needed)"
awk -v a="$start" -v w="$waiting" -v l="$locked" -v b="$end" 'BEGIN {
	if (l - w >= 1) printf "(installing took %.1f s, with any wait for the install lock held by other builds)\n", l - w
	printf "make demo finished in %.1f s, not counting the install\n", (b - a) - (l - w) }'
