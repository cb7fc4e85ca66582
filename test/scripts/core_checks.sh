#!/usr/bin/env bash
# Checks of the server-free cores against known values where SQL cannot
# reach them (a scenario script of make test; it needs only a C compiler):
# the decoders of serialized aggregate states refuse wrong states, the tree
# evaluator and the compensated sums give values worked out by hand.  See
# test/unit/core_checks.c.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
pgcommon="$(pg_config --libdir)/libpgcommon.a"
[ -f "$pgcommon" ] || pgcommon="$(pg_config --pkglibdir)/libpgcommon.a"
${CC:-gcc} -O1 -ffp-contract=off -Wall -Wextra -Werror -Iextension -Itest/fuzz \
	-o "$build/core_checks" test/unit/core_checks.c extension/*_core.c "$pgcommon" -lm
"$build/core_checks"
