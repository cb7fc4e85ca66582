#!/usr/bin/env bash
# make fuzz: build every libFuzzer harness test/fuzz/fuzz_<name>.c with
# AddressSanitizer and UndefinedBehaviorSanitizer against the server-free
# cores (extension/*_core.c) and run each for a bounded time on its seed
# corpus test/fuzz/corpus/<name>/.  New inputs go to a scratch corpus, so
# the committed seeds stay small; crashes are kept in test/fuzz/build/.
#   usage: test/fuzz/run.sh [seconds per harness, default 60]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
build=test/fuzz/build
mkdir -p "$build"
status=0
for src in test/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	bin=$build/fuzz_$name
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-Iextension -o "$bin" "$src" extension/*_core.c -lm
	scratch=$build/corpus_$name
	mkdir -p "$scratch"
	echo "fuzz $name: ${seconds}s"
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$build/crash_${name}_" -print_final_stats=1 \
		"$scratch" "test/fuzz/corpus/$name" >"$build/$name.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/$name.log")
		cov=$(grep -oE 'cov: [0-9]+' "$build/$name.log" | tail -1)
		echo "fuzz $name: ok, $runs executions, $cov"
	else
		tail -40 "$build/$name.log"
		echo "fuzz $name: FAILED (see $build/)"
		status=1
	fi
done
exit $status
