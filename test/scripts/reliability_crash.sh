#!/usr/bin/env bash
# Crash check, in a cluster of its own: kill -9 the backend running a
# refresh, and the backend running a COPY into dti.staging, and the backend
# running dti.load_staging().  After each crash the postmaster's recovery
# brings the cluster back; the published results are those of before, no
# submission is lost or duplicated, and one call redoes the interrupted work.
#   CRASH_ROWS (default 50,000): rows of the load (and communes: CRASH_ROWS / 25, at least 2,000).
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/cluster.sh
rows=${CRASH_ROWS:-50000}
units=$(( rows / 25 > 2000 ? rows / 25 : 2000 ))   # 25 leaves each: enough keys for the load
cluster_start "restart_after_crash = on"
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"; cluster_stop' EXIT
db=dti_crash
createdb $db
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $db -c "$1"; }
fail() { echo "FAILED: $*"; exit 1; }

# A framework for communes in 2030 and 2031 (25 leaves), $units communes,
# every leaf of 2030 submitted and verified, refreshed.
psql -X -q -v ON_ERROR_STOP=1 -v units=$units -d $db >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION dti_warehouse CASCADE;
BEGIN;
SELECT dti.create_framework('crash-commune', 'commune', ARRAY[2030, 2031], 'Khung kiểm tra sự cố');
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule, value_min, value_max)
SELECT ('P' || p)::indicator_code, 'Trụ cột ' || p, 0, NULL::scoring_rule, NULL::float8, NULL::float8 FROM generate_series(1, 5) p
UNION ALL
SELECT ('P' || p || '.' || l)::indicator_code, 'Thành phần ' || p || '.' || l, 2 + (p * 7 + l) % 9,
	(ARRAY['ratio', 'target(80)', 'steps(20:0.5, 60:1)', 'linear(0, 100)', 'piecewise(0:0, 50:0.6, 100:1)'])[1 + l % 5]::scoring_rule,
	0, 100
FROM generate_series(1, 5) p, generate_series(1, 5) l;
COMMIT;
INSERT INTO dti.unit (code, level, kind, name_vi, full_name_vi, parent_id)
SELECT 'X' || lpad(n::text, 5, '0'), 'commune', 'commune', 'Xã ' || n, 'Xã ' || n,
	(SELECT id FROM dti.unit WHERE level = 'province' AND code = '01' ORDER BY valid_from DESC LIMIT 1)
FROM generate_series(1, :units) n;
INSERT INTO dti.submission (unit_code, period, indicator, raw_value)
SELECT u.code, '2030', i.code,
	CASE WHEN i.rule::text = 'ratio' THEN ((u.id * 7 + i.max_points::int * 31) % 101 / 100.0)::text
		 ELSE ((u.id * 7 + i.max_points::int * 31) % 101)::text END
FROM dti.unit u, dti.framework_indicator i JOIN dti.framework f ON f.id = i.framework_id
WHERE u.level = 'commune' AND f.code = 'crash-commune' AND i.rule IS NOT NULL;
INSERT INTO dti.submission_status (submission_id, status) SELECT id, 'verified' FROM dti.submission;
CALL dti.refresh();
VACUUM ANALYZE;
SQL
[ "$(q "SELECT outcome FROM dti.refresh_log ORDER BY id DESC LIMIT 1")" = ok ] || fail "set-up refresh"
published() {
	q "SELECT md5(string_agg(x, E'\n' ORDER BY x)) FROM (
		SELECT concat_ws(' ', period, unit_id, scorecard::text) AS x FROM dti.result_scorecard
		UNION ALL SELECT concat_ws(' ', period, unit_id, code, value, rank, group_rank) FROM dti.result_rank
		UNION ALL SELECT concat_ws(' ', period, unit_code, rank, value, rank_change) FROM dti.ranking) r"
}
submissions() {
	q "SELECT count(*) || ' rows, ' || count(DISTINCT id) || ' ids, max id ' || max(id) || ', '
		|| (SELECT count(*) FROM dti.submission_status) || ' status events' FROM dti.submission"
}
# Kill -9 the backend whose pg_stat_activity matches a condition, once it
# has been busy for a moment; then wait for the postmaster to recover.
crash() {
	local cond=$1 pid=
	for _ in $(seq 300); do
		pid=$(q "SELECT pid FROM pg_stat_activity WHERE $cond AND state = 'active' AND pid <> pg_backend_pid()") || true
		[ -n "$pid" ] && break
		sleep 0.05
	done
	[ -n "$pid" ] || fail "no backend matched: $cond"
	echo "kill -9 backend $pid ($(q "SELECT left(query, 40) FROM pg_stat_activity WHERE pid = $pid"))"
	kill -9 "$pid"
	sleep 1
	for _ in $(seq 120); do
		pg_isready -q -h "$PGHOST" -p "$PGPORT" && q "SELECT 1" >/dev/null 2>&1 && break
		sleep 0.5
	done
	q "SELECT 1" >/dev/null || fail "the cluster did not come back"
	grep -q "terminated by signal 9" "$CLUSTER_DIR/server.log" || fail "no crash in the server log"
	echo "recovered: $(grep -c 'database system is ready to accept connections' "$CLUSTER_DIR/server.log") times ready in the server log"
}

# 1. kill -9 during a refresh: a framework change queues a whole recompute,
#    and 300 communes get a new verified value.
q "UPDATE dti.framework_indicator SET name_en = 'Component ' || code::text
   WHERE framework_id = (SELECT id FROM dti.framework WHERE code = 'crash-commune')"
q "INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason)
   SELECT u.code, '2030', 'P1.1', '99', 'crash test revision' FROM dti.unit u WHERE u.level = 'commune' AND u.code <= 'X00300'"
q "INSERT INTO dti.submission_status (submission_id, status) SELECT id, 'verified' FROM dti.submission WHERE reason = 'crash test revision'"
before=$(published); subs=$(submissions); queued=$(q "SELECT count(*) FROM dti.refresh_queue"); runs=$(q "SELECT count(*) FROM dti.refresh_log")
echo "before: results $before; submissions $subs; $queued queued changes"
# A session holds the ranks table, so that the refresh is caught in the
# middle: its scorecards written (not committed), its ranks waiting.
psql -X -q -d $db -c "BEGIN" -c "LOCK TABLE dti.result_rank IN SHARE MODE" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 100); do
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'")" = 1 ] && break
	sleep 0.1
done
psql -X -q -d $db -c 'CALL dti.refresh()' >"$work/refresh.log" 2>&1 &
refresh=$!
crash "query = 'CALL dti.refresh()' AND wait_event_type = 'Lock'
	AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = pg_stat_activity.pid AND l.relation = 'dti.result_scorecard'::regclass AND l.mode = 'RowExclusiveLock')"
wait $refresh 2>/dev/null || true
wait $holder 2>/dev/null || true
after=$(published)
echo "after the crash: results $after; submissions $(submissions); $(q "SELECT count(*) FROM dti.refresh_queue") queued; refresh log rows $(q "SELECT count(*) FROM dti.refresh_log") (before: $runs)"
[ "$after" = "$before" ] || fail "published results changed by a killed refresh"
[ "$(submissions)" = "$subs" ] || fail "submissions changed"
[ "$(q "SELECT count(*) FROM dti.refresh_queue")" = "$queued" ] || fail "the queue lost rows"
[ "$(q "SELECT count(*) FROM dti.refresh_log WHERE outcome = 'running'")" = 0 ] || fail "a run is left as running"
q "CALL dti.refresh()"
echo "redo: $(q "SELECT outcome || ', ' || scorecards || ' scorecards, ' || ranks || ' rank rows, whole ' || array_to_string(whole_periods, ',') FROM dti.refresh_log ORDER BY id DESC LIMIT 1")"
redone=$(published)
[ "$redone" != "$before" ] || fail "the redone refresh published nothing"
[ "$(q "SELECT count(*) FROM dti.refresh_queue")" = 0 ] || fail "changes still queued after the redo"
[ "$(q "SELECT count(*) FROM dti.result_scorecard r JOIN dti.unit u ON u.id = r.unit_id WHERE u.code <= 'X00300' AND r.period = '2030' AND (r.scorecard -> 'P1.1') = 1")" = 300 ] ||
	fail "the revisions are not in the redone results"
q "CALL dti.refresh(period => '2030')"
[ "$(published)" = "$redone" ] || fail "the redone refresh differs from a whole recompute"
echo "refresh: previous results intact after the crash; one call redid it; equal to a whole recompute"

# 2. kill -9 during COPY into dti.staging (the first half sent, the second
#    held back), then during dti.load_staging().
psql -X -q -At -d $db -v rows=$rows -c "COPY (
	SELECT u.code, '2031', i.code, CASE WHEN i.rule::text = 'ratio' THEN '0.5' ELSE '50' END, 'crash test'
	FROM (SELECT code FROM dti.unit WHERE level = 'commune' ORDER BY code) u,
		 (SELECT i.code, i.rule FROM dti.framework_indicator i JOIN dti.framework f ON f.id = i.framework_id
		  WHERE f.code = 'crash-commune' AND i.rule IS NOT NULL ORDER BY i.code) i
	ORDER BY u.code, i.code LIMIT $rows) TO STDOUT (FORMAT csv)" >"$work/load.csv"
half=$((rows / 2))
head -n $half "$work/load.csv" >"$work/part1.csv"; tail -n +$((half + 1)) "$work/load.csv" >"$work/part2.csv"
subs=$(submissions); loads=$(q "SELECT count(*) FROM dti.load")
{ cat "$work/part1.csv"; while [ ! -e "$work/go" ]; do sleep 0.1; done; cat "$work/part2.csv"; } 2>/dev/null |
	psql -X -q -d $db -c "\\copy dti.staging (unit_code, year, indicator_code, raw_value, source) FROM STDIN (FORMAT csv)" >"$work/copy.log" 2>&1 &
copier=$!
crash "query ~ '^COPY\s+dti\.staging' AND EXISTS (SELECT 1 FROM pg_stat_progress_copy c WHERE c.pid = pg_stat_activity.pid AND c.tuples_processed >= $half / 2)"
touch "$work/go"; wait $copier 2>/dev/null || true
echo "after the crash in COPY: staged $(q "SELECT count(*) FROM dti.staging"), submissions $(submissions), loads $(q "SELECT count(*) FROM dti.load")"
[ "$(q "SELECT count(*) FROM dti.staging")" = 0 ] || fail "a killed COPY left staged rows"
[ "$(submissions)" = "$subs" ] || fail "submissions changed"
psql -X -q -d $db -c "\\copy dti.staging (unit_code, year, indicator_code, raw_value, source) FROM '$work/load.csv' (FORMAT csv)"
echo "staged again: $(q "SELECT count(*) FROM dti.staging") rows"
psql -X -q -d $db -c "SELECT * FROM dti.load_staging('crash test load')" >"$work/load.log" 2>&1 &
crash "query LIKE '%dti.load_staging%' AND now() - query_start > interval '0.5 s'"
wait $! 2>/dev/null || true
echo "after the crash in load_staging: staged $(q "SELECT count(*) FROM dti.staging"), submissions $(submissions), loads $(q "SELECT count(*) FROM dti.load"), rejects $(q "SELECT count(*) FROM dti.reject")"
[ "$(q "SELECT count(*) FROM dti.staging")" = "$rows" ] || fail "the staged rows were not kept"
[ "$(submissions)" = "$subs" ] || fail "submissions changed by a killed load"
[ "$(q "SELECT count(*) FROM dti.load")" = "$loads" ] || fail "a killed load was logged"
echo "redo: $(q "SELECT format('load %s: staged %s, accepted %s, rejected %s', load_id, staged, accepted, rejected) FROM dti.load_staging('crash test load, again')")"
q "SELECT count(*) = $rows AND count(DISTINCT (unit_id, indicator)) = $rows FROM dti.submission WHERE period = '2031'" | grep -qx t ||
	fail "the redone load did not give each row exactly once"
[ "$(q "SELECT count(*) FROM dti.staging")" = 0 ] || fail "staging not emptied"
echo "load: a killed COPY leaves nothing, a killed load keeps the staged rows, one call loads each exactly once ($rows rows)"
echo "crash check passed"
