#!/usr/bin/env bash
# Determinism check of rank intervals (a scenario script of make test; it
# needs only a C compiler, not the cluster): build the server-free core
# (extension/rank_core.c) with test/determinism/rank_core_driver.c at -O0
# and at -O2 (both with -ffp-contract=off, as the extension is built), run
# each twice, and require the four outputs to be identical byte for byte.
# The driver prints every result as an exact hexadecimal float.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
CC=${CC:-gcc}
for opt in -O0 -O2; do
	$CC $opt -ffp-contract=off -Wall -Wextra -Werror -Iextension \
		-o "$build/driver$opt" test/determinism/rank_core_driver.c extension/rank_core.c -lm
	"$build/driver$opt" >"$build/out$opt.1"
	"$build/driver$opt" >"$build/out$opt.2"
done
status=0
for f in "$build/out-O0.2" "$build/out-O2.1" "$build/out-O2.2"; do
	if ! cmp -s "$build/out-O0.1" "$f"; then
		echo "determinism: $(basename "$f") differs from out-O0.1"
		diff "$build/out-O0.1" "$f" | head -10
		status=1
	fi
done
if [ $status -eq 0 ]; then
	echo "determinism: rank intervals identical at -O0 and -O2 and across runs ($(wc -l <"$build/out-O0.1") lines, $(head -1 "$build/out-O0.1"))"
fi
exit $status
