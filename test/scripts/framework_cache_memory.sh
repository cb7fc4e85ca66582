#!/usr/bin/env bash
# The framework cache of rollup() is keyed by fingerprint and bounded: rows
# of two frameworks interleaved row by row over 1,000,000 rows compile each
# framework once, so the backend's peak memory is that of one framework.
# Each query runs in a fresh backend, which reports its own peak resident
# set (VmHWM of /proc/self/status, read with pg_read_file as superuser):
#   one  100,000 units x 10 leaves, every unit on framework A;
#   two  the same rows, even units on framework A, odd ones on B (another
#        weighting of the same leaves), so consecutive rows alternate.
# Both aggregate in memory (HashAgg, no spill).  The check: the peak of
# "two" is within 10% of the peak of "one", and both give 100,000
# scorecards whose roots match those computed one framework at a time.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_cache_memory
dropdb --if-exists $db >/dev/null 2>&1 || true
createdb $db
trap 'dropdb --if-exists $db >/dev/null 2>&1 || true' EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $db "$@"; }

q <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION dti;
CREATE TABLE fws AS
SELECT k, framework_compile(
	array['R']::indicator_code[] || array_agg(('L' || l)::indicator_code ORDER BY l),
	array[NULL]::indicator_code[] || array_agg('R'::indicator_code ORDER BY l),
	NULL,
	array[NULL]::float8[] || array_agg(CASE k WHEN 1 THEN l ELSE 11 - l END::float8 ORDER BY l)) AS fw
FROM generate_series(1, 2) k, generate_series(1, 10) l GROUP BY k;
SQL

# the peak resident set of a fresh backend after running one rollup query
run() { # run FRAMEWORK_OF_ODD_UNITS -> "kB count sum"
	q <<SQL
SET enable_sort = off;
SET work_mem = '1GB';
SET max_parallel_workers_per_gather = 0;
SELECT count(*) || ' ' || sum(round(root_value(sc)::numeric, 9)) AS result
FROM (SELECT u, rollup(CASE WHEN u % 2 = 0 THEN (SELECT fw FROM fws WHERE k = 1)
                            ELSE (SELECT fw FROM fws WHERE k = $1) END,
                       ('L' || (g / 100000 + 1))::indicator_code,
                       ((g::bigint * 7919) % 1000) / 1000.0) AS sc
      FROM generate_series(0, 999999) g, LATERAL (SELECT g % 100000 AS u) x
      GROUP BY u) s \gset
SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s*(\d+)'))[1] || ' ' || :'result';
SQL
}
one=$(run 1)
two=$(run 2)
read -r hwm1 n1 sum1 <<<"$one"
read -r hwm2 n2 sum2 <<<"$two"
echo "one framework:  peak RSS ${hwm1} kB, $n1 scorecards, sum of roots $sum1"
echo "two interleaved: peak RSS ${hwm2} kB, $n2 scorecards, sum of roots $sum2"
status=0
[ "$n1" = 100000 ] && [ "$n2" = 100000 ] || { echo "expected 100000 scorecards each"; status=1; }
# the roots of the interleaved run, framework by framework
want=$(q -c "SELECT sum(round(root_value(sc)::numeric, 9)) FROM (
	SELECT u, rollup(f.fw, ('L' || (g / 100000 + 1))::indicator_code, ((g::bigint * 7919) % 1000) / 1000.0) AS sc
	FROM generate_series(0, 999999) g, LATERAL (SELECT g % 100000 AS u) x
	JOIN fws f ON f.k = CASE WHEN u % 2 = 0 THEN 1 ELSE 2 END GROUP BY u) s")
[ "$sum2" = "$want" ] || { echo "interleaved roots sum to $sum2, one framework at a time to $want"; status=1; }
if awk -v a="$hwm1" -v b="$hwm2" 'BEGIN { exit !(b <= a * 1.10) }'; then
	echo "peak RSS with two interleaved frameworks is $(awk -v a="$hwm1" -v b="$hwm2" 'BEGIN { printf "%.1f", 100 * b / a }')% of one framework's (limit 110%)"
else
	echo "peak RSS with two interleaved frameworks ($hwm2 kB) exceeds one framework's ($hwm1 kB) by more than 10%"
	status=1
fi
exit $status
