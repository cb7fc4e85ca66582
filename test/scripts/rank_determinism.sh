#!/usr/bin/env bash
# Determinism check of rank intervals (a scenario script of make test; it
# needs only a C compiler, not the cluster): build the server-free cores
# (extension/rank_core.c and the tree evaluator extension/tree_eval_core.c)
# with test/determinism/rank_core_driver.c at -O0 and at -O2 (both with
# -ffp-contract=off, as the extension is built), run each twice with 1,000
# draws (the ranks kept as histograms) and with 10 draws (kept as lists),
# and require every output to be identical, byte for byte, to the recorded
# one (test/determinism/expected_<draws>.out: every result as an exact
# hexadecimal float).  The driver also checks its type-7 quantiles against
# R's values and fails on a mismatch.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
CC=${CC:-gcc}
status=0
for opt in -O0 -O2; do
	$CC $opt -ffp-contract=off -Wall -Wextra -Werror -Iextension -Itest/fuzz \
		-o "$build/driver$opt" test/determinism/rank_core_driver.c \
		extension/rank_core.c extension/tree_eval_core.c -lm
	for draws in 1000 10; do
		for run in 1 2; do
			out=$build/out$opt.$draws.$run
			"$build/driver$opt" "$draws" >"$out" || { echo "determinism: driver$opt with $draws draws failed"; cat "$out"; status=1; }
			if ! cmp -s "test/determinism/expected_$draws.out" "$out"; then
				echo "determinism: $opt, $draws draws, run $run differs from test/determinism/expected_$draws.out"
				diff "test/determinism/expected_$draws.out" "$out" | head -10
				status=1
			fi
		done
	done
done
if [ $status -eq 0 ]; then
	echo "determinism: rank intervals at -O0 and -O2, twice each, equal the recorded outputs ($(wc -l <test/determinism/expected_1000.out) + $(wc -l <test/determinism/expected_10.out) lines)"
fi
exit $status
