#!/usr/bin/env bash
# make memcheck: the regression suite (pg_regress, pgTAP, the upgrade check
# and the scenario scripts, as make test runs them) once against a server
# running under valgrind's memcheck, with dti built with -O1 -g and
# UndefinedBehaviorSanitizer (every UB report aborts the backend), in a
# private copy of the PostgreSQL installation (test/memcheck/prefix.sh), so
# the shared installed copy is never replaced and no install lock is needed.
#
# Why valgrind and not AddressSanitizer: the Debian server is not
# instrumented, and preloading the ASan runtime into it deadlocks at
# startup (glibc 2.36: gnutls's constructor calls bindtextdomain while ASan
# initialises; postgres -V and psql -V hang).  Valgrind needs no preload.
# The server is not built with USE_VALGRIND either, so memcheck sees reads
# of uninitialised memory (palloc'd or not), and reads and writes outside
# malloc'd blocks, but not overruns of one palloc chunk into the next in
# the same block; the libFuzzer harnesses (make fuzz) cover the parsers and
# decoders under ASan for that.  Leak checking is off (memory is freed by
# context).  Valgrind reports whose stack runs through dti.so fail the run;
# the rest are PostgreSQL's own and only counted (test/memcheck/valgrind.supp
# silences the known ones: padding bytes written to files and sockets).
#   usage: test/memcheck/run.sh     (MEMCHECK_VALGRIND=0: UBSan only, fast)
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh

test/deps.sh || exit 1
command -v valgrind >/dev/null || { echo "memcheck: valgrind is missing (make deps)"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/dti-memcheck.XXXXXX")
chmod 755 "$work"
trap 'cluster_stop; rm -rf "$work"' EXIT
reports=$work/reports
mkdir -m 777 "$reports"

flags="-O1 -g -fno-omit-frame-pointer -fsanitize=undefined,float-cast-overflow -fno-sanitize-recover=all"
echo "memcheck: building dti with $flags"
PG_BINDIR=$(test/memcheck/prefix.sh "$work/pg" "$flags") || exit 1
if [ "${MEMCHECK_VALGRIND:-1}" != 0 ]; then
	# the server runs under valgrind, except for initdb's bootstrap and the
	# version checks of pg_ctl and initdb
	mv "$PG_BINDIR/postgres" "$PG_BINDIR/postgres.bin"
	cp test/memcheck/valgrind.supp "$work/valgrind.supp"
	cat >"$PG_BINDIR/postgres" <<WRAP
#!/bin/sh
case "\$1" in
-V|--version|--boot|--single|-C|--describe-config) exec "\$(dirname "\$0")/postgres.bin" "\$@" ;;
esac
exec valgrind --quiet --tool=memcheck --leak-check=no --error-limit=no \
	--num-callers=30 --suppressions=$work/valgrind.supp \
	--log-file=$reports/valgrind.%p "\$(dirname "\$0")/postgres.bin" "\$@"
WRAP
	chmod 755 "$PG_BINDIR/postgres"
fi
CLUSTER_SERVER_ENV="UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
# JIT compiles with LLVM, slow under valgrind and not our code
cluster_start "jit = off" || exit 1

passed=0 failed=0
failures=()
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); failures+=("$1"); }

start=$(date +%s)
make -s installcheck >test/memcheck-regress.log 2>&1
while read -r name result; do
	case $result in
	ok) pass ;;
	*) fail "regress/$name" ;;
	esac
done < <(sed -nE 's/^(ok|not ok)?[[:space:]]*[0-9]*[[:space:]]*(test[[:space:]]+)?([A-Za-z0-9_]+)[[:space:]]+\.\.\.[[:space:]]+(ok|FAILED|failed)?.*/\3 \4/p' test/memcheck-regress.log)
grep -E '\.\.\. ' test/memcheck-regress.log || cat test/memcheck-regress.log

createdb dti_tap && psql -X -q -d dti_tap -c 'CREATE EXTENSION pgtap; CREATE EXTENSION dti;' >/dev/null
for f in test/pgtap/*.sql; do
	if pg_prove -d dti_tap "$f" >test/memcheck-pgtap.log 2>&1; then
		pass; echo "pgtap $f ... ok"
	else
		fail "pgtap/$f"; cat test/memcheck-pgtap.log
		echo "pgtap $f ... FAILED"
	fi
done
for f in test/upgrade/*.sh test/scripts/*.sh; do
	if bash "$f" >test/memcheck-check.log 2>&1; then
		pass; echo "check $f ... ok"
	else
		fail "$f"; cat test/memcheck-check.log
		echo "check $f ... FAILED"
	fi
done
seconds=$(( $(date +%s) - start ))
cluster_stop

# sanitizer and valgrind reports
ubsan=$(find "$reports" -name 'ubsan*' -type f | wc -l)
for r in $(find "$reports" -name 'ubsan*' -type f); do echo "== $r"; head -40 "$r"; done
[ "$ubsan" -gt 0 ] && fail "UBSan reports: $ubsan"
processes=$(find "$reports" -name 'valgrind.*' -type f | wc -l)
# a report is ours when a frame is in dti.so, or in one of our source files
# (frames with debug information name the file, not the object)
export OURPAT="dti\\.so|[( ]($(cd extension && ls *.c *.h | sed 's/\.[ch]$//' | sort -u | paste -sd'|'))\\.[ch]:"
ours=0 theirs=0
for r in $(find "$reports" -name 'valgrind.*' -type f -size +0); do
	# one report per block that starts with "==pid== <message>" and ends at
	# the blank line
	n_ours=$(awk 'BEGIN { pat = ENVIRON["OURPAT"] } /^==[0-9]+== $/ { if (blk ~ pat) n++; blk=""; next } { blk = blk "\n" $0 } END { if (blk ~ pat) n++; print n+0 }' "$r")
	n_all=$(grep -cE '^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and destination)' "$r")
	if [ "$n_ours" -gt 0 ]; then
		echo "== $r"; cat "$r"
	fi
	ours=$((ours + n_ours))
	theirs=$((theirs + n_all - n_ours))
done
[ "$ours" -gt 0 ] && fail "valgrind reports in dti: $ours"
if [ "$theirs" -gt 0 ]; then
	# what the others are: the kind of report and the function it is in
	echo "memcheck: valgrind reports outside dti, by kind and place:"
	find "$reports" -name 'valgrind.*' -type f -size +0 -exec cat {} + |
		sed -E 's/^==[0-9]+== ?//' |
		awk 'BEGIN { pat = ENVIRON["OURPAT"] } /^$/ { if (kind != "" && blk !~ pat) print kind " | " at; kind = ""; at = ""; blk = ""; next }
			 { blk = blk $0 "\n" }
			 kind == "" { kind = $0; next }
			 at == "" && /^ *(at|by) 0x/ && !/vgpreload|valgrind/ { sub(/^ *(at|by) 0x[0-9A-F]+: /, ""); at = $0 }
			 END { if (kind != "" && blk !~ pat) print kind " | " at }' |
		sort | uniq -c | sort -rn | head -20
fi
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "memcheck: ${passed} passed, ${failed} failed in ${seconds}s; UBSan reports: $ubsan; valgrind: $processes server processes checked, $ours reports in dti, $theirs elsewhere"
[ "$failed" -eq 0 ]
