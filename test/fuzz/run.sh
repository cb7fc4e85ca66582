#!/usr/bin/env bash
# make fuzz: build every libFuzzer harness test/fuzz/fuzz_<name>.c with
# AddressSanitizer and UndefinedBehaviorSanitizer against the server-free
# cores (extension/*_core.c, the same files the extension is built from;
# libpgcommon supplies PostgreSQL's hash function) and run each for a
# bounded time on its seed corpus test/fuzz/corpus/<name>/, two at a time
# (FUZZ_JOBS).  New inputs go to a scratch corpus, so the committed seeds
# stay small; crashes are kept in test/fuzz/build/.  Fails on any finding.
#   usage: test/fuzz/run.sh [seconds per harness, default 60]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
jobs=${FUZZ_JOBS:-2}
build=test/fuzz/build
mkdir -p "$build"
pgcommon="$(pg_config --libdir)/libpgcommon.a"
[ -f "$pgcommon" ] || pgcommon="$(pg_config --pkglibdir)/libpgcommon.a"

names=()
for src in test/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	name=${name#fuzz_}
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-fsanitize=float-cast-overflow -Wall -Werror \
		-Iextension -o "$build/fuzz_$name" "$src" extension/*_core.c "$pgcommon" -lm
	names+=("$name")
done

# run one harness; its summary line goes to $build/<name>.result
run_one() {
	local name=$1 bin=$build/fuzz_$1 scratch=$build/corpus_$1
	mkdir -p "$scratch"
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$build/crash_${name}_" -print_final_stats=1 \
		"$scratch" "test/fuzz/corpus/$name" >"$build/$name.log" 2>&1; then
		local runs cov seeds total
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/$name.log")
		cov=$(grep -oE 'cov: [0-9]+' "$build/$name.log" | tail -1)
		seeds=$(ls "test/fuzz/corpus/$name" | wc -l)
		total=$(ls "$scratch" | wc -l)
		echo "fuzz $name: ok, ${seconds}s, $runs executions, $cov, $seeds seeds, $total inputs in the scratch corpus" >"$build/$name.result"
	else
		{ tail -40 "$build/$name.log"; echo "fuzz $name: FAILED (see $build/)"; } >"$build/$name.result"
		return 1
	fi
}

echo "fuzz: ${#names[@]} harnesses, ${seconds}s each, $jobs at a time"
status=0
pids=()
for name in "${names[@]}"; do
	run_one "$name" &
	pids+=($!)
	if [ ${#pids[@]} -ge "$jobs" ]; then
		wait "${pids[0]}" || status=1
		pids=("${pids[@]:1}")
	fi
done
for pid in "${pids[@]}"; do
	wait "$pid" || status=1
done
for name in "${names[@]}"; do
	cat "$build/$name.result"
done
exit $status
