#!/usr/bin/env bash
# Concurrency check: pgbench clients load and revise submissions of their own
# province through dti.staging / dti.load_staging() and direct INSERTs,
# verify and reject them, read the BI views, and call dti.refresh(), while a
# separate session refreshes every 2 seconds.  Afterwards every accepted
# submission and revision is present exactly once, every bad row is in
# dti.reject with its reason, every status change is recorded, the refresh
# log shows no failure, and the published results equal a whole recompute.
#
#   test/reliability/concurrency.sh [SECONDS [CLIENTS]]    (default 60 s, 8 clients)
#
# Runs against the cluster of PGHOST/PGPORT/PGUSER with the extensions
# installed (test/reliability/run.sh starts one; make test runs a 10 s, 4
# client variant through test/scripts/reliability_concurrency.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
clients=${2:-8}
db=dti_rel_concurrency
work=$(mktemp -d)
chmod 755 "$work"
refresher=
cleanup() {
	[ -n "$refresher" ] && kill "$refresher" 2>/dev/null && wait "$refresher" 2>/dev/null
	rm -rf "$work"
	dropdb --if-exists $db >/dev/null 2>&1 || true
	# the roles belong to the cluster: drop them too
	psql -X -q -At -d postgres -c "SELECT format('DROP ROLE %I;', rolname) FROM pg_roles WHERE rolname ~ '^rel_(loader_[0-9]+|verifier|reader|admin)$'" 2>/dev/null |
		psql -X -q -d postgres >/dev/null 2>&1 || true
}
trap cleanup EXIT
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
psql -X -q -v ON_ERROR_STOP=1 -v clients="$clients" -d $db -f test/reliability/fixture.sql >/dev/null
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $db -c "$1"; }

# the refresh every 2 seconds, as the admin
(
	while [ ! -e "$work/stop" ]; do
		psql -X -q -d $db -c 'SET ROLE rel_admin' -c 'CALL dti.refresh()' >>"$work/refresher.log" 2>&1 ||
			echo "refresher: psql failed" >>"$work/refresher.log"
		sleep 2
	done
) &
refresher=$!

rc=0
jobs=$((clients < 2 ? clients : 2))
echo "pgbench: $clients clients, $secs s: load@5 revise@2 verify@5 read@4 refresh@1, refresh every 2 s beside"
pgbench -n -M simple -c "$clients" -j "$jobs" -T "$secs" -r \
	-f test/reliability/pgbench/load.sql@5 -f test/reliability/pgbench/revise.sql@2 \
	-f test/reliability/pgbench/verify.sql@5 -f test/reliability/pgbench/read.sql@4 \
	-f test/reliability/pgbench/refresh.sql@1 $db >"$work/pgbench.log" 2>&1 || rc=$?
touch "$work/stop"
wait "$refresher"; refresher=
grep -E '^(transaction type|number of clients|duration|number of transactions actually processed|number of failed|latency average|tps)|^SQL script|^ - number of transactions|^ - number of failed' "$work/pgbench.log" || true
if [ $rc -ne 0 ] || grep -qiE 'aborted|error' "$work/pgbench.log"; then
	grep -iE 'aborted|error' "$work/pgbench.log" | head -20 || head -20 "$work/pgbench.log"
	echo "pgbench failed (exit $rc)"; exit 1
fi
if grep -q 'failed' "$work/refresher.log"; then cat "$work/refresher.log"; exit 1; fi
tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$work/pgbench.log")
echo "tps: $tps"

q "SET ROLE rel_admin; CALL dti.refresh()"
psql -X -q -At -v ON_ERROR_STOP=1 -d $db <<'SQL'
SET client_min_messages = warning;
-- 1. every accepted row of every load, and every revision, is there once
CREATE TEMP TABLE mism AS
(SELECT 'missing' AS what, kind, unit_code, period, indicator, raw_value FROM rel.expected WHERE expect = 'accepted'
 EXCEPT ALL
 SELECT 'missing', CASE WHEN load_id IS NULL THEN 'revision' ELSE 'load' END, unit_code, period, indicator::text, raw_value
 FROM dti.submission WHERE source = 'pgbench')
UNION ALL
(SELECT 'unexpected', CASE WHEN load_id IS NULL THEN 'revision' ELSE 'load' END, unit_code, period, indicator::text, raw_value
 FROM dti.submission WHERE source = 'pgbench'
 EXCEPT ALL
 SELECT 'unexpected', kind, unit_code, period, indicator, raw_value FROM rel.expected WHERE expect = 'accepted');
SELECT format('accepted rows: %s loaded, %s revisions logged by the clients; %s in dti.submission; %s mismatches',
	(SELECT count(*) FROM rel.expected WHERE expect = 'accepted' AND kind = 'load'),
	(SELECT count(*) FROM rel.expected WHERE kind = 'revision'),
	(SELECT count(*) FROM dti.submission WHERE source = 'pgbench'), (SELECT count(*) FROM mism));
DO $$ BEGIN IF EXISTS (SELECT 1 FROM mism) THEN RAISE EXCEPTION 'submissions lost or duplicated: %',
	(SELECT string_agg(m::text, '; ') FROM (SELECT * FROM mism LIMIT 10) m); END IF; END $$;
-- 2. every bad row is a reject with the reason the client expected, and the
--    loads' own counts agree
CREATE TEMP TABLE rmism AS
(SELECT unit_code, period, indicator, raw_value, expect FROM rel.expected WHERE expect <> 'accepted'
 EXCEPT ALL
 SELECT j.unit_code, j.year, j.indicator_code, j.raw_value, j.reason_code FROM dti.reject j JOIN rel.loaded l USING (load_id))
UNION ALL
(SELECT j.unit_code, j.year, j.indicator_code, j.raw_value, j.reason_code FROM dti.reject j JOIN rel.loaded l USING (load_id)
 EXCEPT ALL
 SELECT unit_code, period, indicator, raw_value, expect FROM rel.expected WHERE expect <> 'accepted');
SELECT format('rejected rows: %s expected (%s), %s in dti.reject, %s mismatches; loads: %s, accepted %s, rejected %s',
	(SELECT count(*) FROM rel.expected WHERE expect <> 'accepted'),
	(SELECT string_agg(expect || ' ' || n, ', ' ORDER BY expect) FROM (SELECT expect, count(*) n FROM rel.expected WHERE expect <> 'accepted' GROUP BY 1) x),
	(SELECT count(*) FROM dti.reject), (SELECT count(*) FROM rmism),
	(SELECT count(*) FROM rel.loaded), (SELECT sum(accepted) FROM rel.loaded), (SELECT sum(rejected) FROM rel.loaded));
DO $$ BEGIN
	IF EXISTS (SELECT 1 FROM rmism) THEN RAISE EXCEPTION 'rejects differ: %',
		(SELECT string_agg(m::text, '; ') FROM (SELECT * FROM rmism LIMIT 10) m); END IF;
	IF (SELECT sum(accepted) FROM rel.loaded) <> (SELECT count(*) FROM rel.expected WHERE expect = 'accepted' AND kind = 'load')
	   OR (SELECT sum(rejected) FROM rel.loaded) <> (SELECT count(*) FROM rel.expected WHERE expect <> 'accepted')
	   OR (SELECT count(*) FROM rel.loaded) <> (SELECT count(*) FROM dti.load) THEN
		RAISE EXCEPTION 'load counts differ from what the clients staged';
	END IF;
END $$;
-- 3. every status change is recorded once
CREATE TEMP TABLE smism AS
(SELECT submission_id, status, event_id FROM rel.status_change
 EXCEPT ALL SELECT submission_id, status, id FROM dti.submission_status WHERE reason = 'pgbench check')
UNION ALL
(SELECT submission_id, status, id FROM dti.submission_status WHERE reason = 'pgbench check'
 EXCEPT ALL SELECT submission_id, status, event_id FROM rel.status_change);
SELECT format('status changes: %s verified, %s rejected by the clients; %s mismatches',
	(SELECT count(*) FROM rel.status_change WHERE status = 'verified'),
	(SELECT count(*) FROM rel.status_change WHERE status = 'rejected'), (SELECT count(*) FROM smism));
DO $$ BEGIN IF EXISTS (SELECT 1 FROM smism) THEN RAISE EXCEPTION 'status changes lost or duplicated'; END IF; END $$;
-- 4. the refresh log: no failure
SELECT format('refresh runs: %s', (SELECT string_agg(outcome || ' ' || n, ', ' ORDER BY outcome)
	FROM (SELECT outcome, count(*) AS n FROM dti.refresh_history GROUP BY 1) x));
SELECT format('reads of the BI views: %s', (SELECT string_agg(view_name || ' ' || n, ', ' ORDER BY view_name)
	FROM (SELECT view_name, count(*) AS n FROM rel.reads GROUP BY 1) x));
DO $$ BEGIN
	IF EXISTS (SELECT 1 FROM dti.refresh_history WHERE outcome NOT IN ('ok', 'skipped')) THEN
		RAISE EXCEPTION 'a refresh failed: %', (SELECT string_agg(error, '; ') FROM dti.refresh_history WHERE outcome = 'failed');
	END IF;
	IF EXISTS (SELECT 1 FROM dti.refresh_queue) THEN RAISE EXCEPTION 'changes still queued after the last refresh'; END IF;
END $$;
-- 5. the published results equal a whole recompute of every period
CREATE TEMP TABLE published AS
SELECT 'rank' AS t, period, unit_code, rank::text || ' ' || value::text AS v FROM dti.ranking
UNION ALL SELECT 'card', r.period, r.unit_id::text, r.scorecard::text FROM dti.result_scorecard r
UNION ALL SELECT 'node', r.period, r.unit_id::text || ' ' || r.code::text, concat_ws(' ', r.value, r.rank, r.group_rank) FROM dti.result_rank r;
CALL dti.refresh(period => '2030');
CALL dti.refresh(period => '2031');
CREATE TEMP TABLE recomputed AS
SELECT 'rank' AS t, period, unit_code, rank::text || ' ' || value::text AS v FROM dti.ranking
UNION ALL SELECT 'card', r.period, r.unit_id::text, r.scorecard::text FROM dti.result_scorecard r
UNION ALL SELECT 'node', r.period, r.unit_id::text || ' ' || r.code::text, concat_ws(' ', r.value, r.rank, r.group_rank) FROM dti.result_rank r;
SELECT format('published results: %s rows (%s ranking rows), whole recompute: %s rows, differences: %s',
	(SELECT count(*) FROM published), (SELECT count(*) FROM published WHERE t = 'rank'), (SELECT count(*) FROM recomputed),
	(SELECT count(*) FROM ((TABLE published EXCEPT ALL TABLE recomputed) UNION ALL (TABLE recomputed EXCEPT ALL TABLE published)) d));
DO $$ BEGIN
	IF EXISTS ((TABLE published EXCEPT ALL TABLE recomputed) UNION ALL (TABLE recomputed EXCEPT ALL TABLE published)) THEN
		RAISE EXCEPTION 'the published results differ from a whole recompute: %', (SELECT string_agg(d::text, '; ') FROM (
			SELECT 'published' AS side, * FROM (TABLE published EXCEPT ALL TABLE recomputed) a
			UNION ALL SELECT 'recomputed', * FROM (TABLE recomputed EXCEPT ALL TABLE published) b LIMIT 10) d);
	END IF;
END $$;
SQL
echo "concurrency check passed: $clients clients, $secs s, $tps tps"
