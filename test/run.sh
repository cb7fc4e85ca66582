#!/usr/bin/env bash
# make test: build with warnings as errors, install, start a throwaway cluster,
# run every pg_regress test, every pgTAP file and the upgrade check against it,
# stop it, and print one line "N passed, N failed" counting every test file.
# DTI_SUITE=core runs only the core suite (test/core.list says which files),
# as make test-versions does on servers without PostGIS and pg_cron;
# DTI_SUITE=nocron every test but those that create the extension pg_cron
# (make test-versions on a server with PostGIS but without pg_cron).
set -uo pipefail
cd "$(dirname "$0")/.."
. test/cluster.sh

suite=${DTI_SUITE:-all}
# in_suite FILE: is FILE a test of the suite being run?
in_suite() {
	local pat
	case $suite in
	all) return 0 ;;
	nocron) ! grep -qiE 'create extension[a-z ]* pg_cron' "$1"; return ;;
	esac
	case $(basename "$1") in warehouse_*) return 1 ;; esac
	case $1 in test/sql/*.sql | test/pgtap/*.sql) return 0 ;; esac
	while read -r pat; do
		case $pat in '' | '#'*) continue ;; esac
		# shellcheck disable=SC2254
		case $1 in $pat) return 0 ;; esac
	done <test/core.list
	return 1
}
regress=()
for f in test/sql/*.sql; do
	in_suite "$f" && regress+=("$(basename "$f" .sql)")
done

test/deps.sh || exit 1

# Installing replaces the server's copy of the extension: one build at a
# time, unless DTI_PG_TREE names a private copy of the server (test/cluster.sh).
if ! make -s all >test/build.log 2>&1 || ! install_build >>test/build.log 2>&1; then
	cat test/build.log
	echo "build: 0 passed, 1 failed"
	exit 1
fi

passed=0 failed=0
failures=()
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); failures+=("$1"); }

cluster_start || { echo "0 passed, 1 failed"; exit 1; }
trap cluster_stop EXIT

# pg_regress: one test file each, one line a test: "test name ... ok" (15)
# or "ok 1 - name 85 ms" (16 on).  A failed run with no failed test (a
# crash, a missing file) counts as a failure too.
make -s installcheck REGRESS="${regress[*]}" >test/regress.log 2>&1
regress_rc=$? regress_failed=$failed
while read -r name result; do
	case $result in
	ok) pass ;;
	*) fail "regress/$name" ;;
	esac
done < <(sed -nE \
	-e 's/^(ok|not ok)?[[:space:]]*[0-9]*[[:space:]]*(test[[:space:]]+)?([A-Za-z0-9_]+)[[:space:]]+\.\.\.[[:space:]]+(ok|FAILED|failed)?.*/\3 \4/p' \
	-e 's/^(ok|not ok)[[:space:]]+[0-9]+[[:space:]]+[-+][[:space:]]+([A-Za-z0-9_]+)[[:space:]].*/\2 \1/p' test/regress.log)
[ $regress_rc -eq 0 ] || [ $failed -gt $regress_failed ] || fail "regress (pg_regress exited with $regress_rc)"
grep -E '\.\.\. |^(not )?ok ' test/regress.log || cat test/regress.log
[ -f test/regression.diffs ] && head -300 test/regression.diffs

# pgTAP: one database with pgtap and dti, one file at a time.
createdb dti_tap && psql -X -q -d dti_tap -c 'CREATE EXTENSION pgtap; CREATE EXTENSION dti;' >/dev/null
for f in $(ls test/pgtap/*.sql 2>/dev/null | sort); do
	in_suite "$f" || continue
	if pg_prove -d dti_tap "$f" >test/pgtap.log 2>&1; then
		pass; echo "pgtap $f ... ok"
	else
		fail "pgtap/$f"; cat test/pgtap.log
		echo "pgtap $f ... FAILED"
	fi
done

# Scripted checks against the same cluster: the upgrade check (every released
# version updates to the current one and ends with the same catalog objects as
# a fresh install) and the scenario scripts (dump and restore, concurrent
# sessions, a real client, pg_cron), one test each.
for f in test/upgrade/*.sh test/scripts/*.sh; do
	[ -e "$f" ] && in_suite "$f" || continue
	if bash "$f" >test/check.log 2>&1; then
		pass; echo "check $f ... ok"
	else
		fail "$f"; cat test/check.log
		echo "check $f ... FAILED"
	fi
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
