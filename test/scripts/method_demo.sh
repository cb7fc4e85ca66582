#!/usr/bin/env bash
# The worked example of docs/method.md (demo/method.sql, part of make demo):
# it runs from start to end, and its steps do what the page says they do
# on the seeded SYNTHETIC data.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_scenario_method_demo
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
trap 'dropdb --if-exists $db >/dev/null 2>&1' EXIT
out=$(psql -X -q -v ON_ERROR_STOP=1 -d $db -f demo/method.sql 2>&1)
echo "$out"
fail=0
expect() { # expect REGEX WHAT
	if ! grep -qE -- "$1" <<<"$out"; then echo "method demo: $2 (no line matching $1)"; fail=1; fi
}
expect '^ carry_forward +\| +36$' '36 cells imputed by carrying 2023 forward'
expect '^ group_mean +\| +26$' '26 cells imputed by the region mean'
expect '^ P3\.2 +\| winsorised +\| +2 +\| +2 +\|' 'P3.2 winsorised in 2 steps, 2 cells'
expect '^ P3\.2 +\| province 24 +\| +227\.2 +\| +138\.9 +\| winsorised$' 'the treated cells listed with their original values'
expect '^ province 02 +\| 2024 +\| +4535 +\| +67\.5206' 'e-services per 100,000 people'
expect '^ +2 \| impute +\| \{"cells": 62\}$' 'pipeline(): 62 cells imputed by the region mean in one call'
expect '^ +3 \| treat_outliers +\| \{"cells": 3, "indicators": \["P3\.2"\]\}$' 'pipeline(): P3.2 treated, 3 cells'
expect '^ province 07 \| P1\.1 +\| +\| +\| value missing by POP = 560149$' 'pipeline(): the denominated cell of a province that did not report'
expect '^ +5 \| aggregate +\| \{"units": 63\}$' 'pipeline(): 63 scorecards'
n=$(grep -cE '^ (weights:2|weights:3|methods:1|data:imputation|data:normalisation) +\| +-?[0-9.]+ +\| \[' <<<"$out" || true)
[ "$n" -eq 5 ] || { echo "method demo: $n of 5 Sobol rows of the mean rank shift"; fail=1; }
exit $fail
