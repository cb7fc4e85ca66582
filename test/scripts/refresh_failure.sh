#!/usr/bin/env bash
# A refresh in which one period fails, called at top level as pg_cron calls
# it: every other period is computed and committed, the call ends in an
# error carrying the failed period's SQLSTATE, the run log says which period
# failed and why, the failed period keeps its queued changes and its
# previous results, and the next refresh (from another session) is not
# blocked.  Runs against the cluster described by PGHOST/PGPORT/PGUSER.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_scenario_refresh_failure
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
trap 'dropdb --if-exists $db >/dev/null 2>&1' EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $db "$@"; }
fail() { echo "refresh_failure: $*"; exit 1; }
q -f test/scripts/pipeline_fixture.sql >/dev/null
q -c "CALL dti.refresh()"
before=$(q -c "SELECT value FROM dti.ranking WHERE unit_code = '79' AND period = '2030'")
# a period that cannot be computed (a geometric mean meets a negative value)
# and a correction in a good period
q >/dev/null <<'SQL'
BEGIN;
SELECT dti.create_framework('geo', 'province', ARRAY[2033], 'Khung hình học', aggregation => 'geometric_mean');
INSERT INTO dti.framework_indicator (code, name_vi, max_points, weight, rule) VALUES
	('G', 'Giá trị', 10, 1, NULL), ('H', 'Giá trị khác', 10, 1, NULL);
INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('01', '2033', 'G', '-1'), ('01', '2033', 'H', '2');
INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('79', '2030', 'B', '0.1', 'correction');
SELECT dti.set_status(s.id, 'verified') FROM dti.submission s WHERE s.period = '2033' OR s.reason = 'correction';
COMMIT;
SQL
if out=$(q -v VERBOSITY=verbose -c "CALL dti.refresh()" 2>&1); then
	fail "the refresh succeeded although period 2033 failed: $out"
fi
echo "$out" | grep -q "ERROR:  22023: dti.refresh: 1 of 2 periods failed" || fail "unexpected error: $out"
echo "the call ended in an error: $(echo "$out" | grep ERROR)"
after=$(q -c "SELECT value FROM dti.ranking WHERE unit_code = '79' AND period = '2030'")
[ "$after" != "$before" ] || fail "the good period 2030 was not committed (value still $before)"
echo "the good period was committed: 79 in 2030 went from $before to $after"
log=$(q -c "SELECT outcome || ' | ' || array_to_string(periods, ',') || ' | ' || (failures->0->>'period') || ' ' || (failures->0->>'sqlstate') || ' ' || (failures->0->>'message') FROM dti.refresh_log ORDER BY id DESC LIMIT 1")
case $log in
"failed | 2030 | 2033 22023 indicator \"G\" has a negative value"*) echo "run log: $log" ;;
*) fail "run log: $log" ;;
esac
[ "$(q -c "SELECT count(*) FROM dti.refresh_queue WHERE period = '2033'")" -gt 0 ] || fail "the failed period lost its queued changes"
[ "$(q -c "SELECT count(*) FROM dti.refresh_queue WHERE period <> '2033'")" = 0 ] || fail "the good period's changes are still queued"
[ "$(q -c "SELECT count(*) FROM dti.result_scorecard WHERE period = '2033'")" = 0 ] || fail "the failed period has results"
# corrected, the next refresh (another session) computes it
q >/dev/null <<'SQL'
INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('01', '2033', 'G', '3', 'fixed');
SELECT dti.set_status(s.id, 'verified') FROM dti.submission s WHERE s.reason = 'fixed';
SQL
q -c "CALL dti.refresh()"
[ "$(q -c "SELECT outcome FROM dti.refresh_log ORDER BY id DESC LIMIT 1")" = ok ] || fail "the next refresh did not succeed"
[ "$(q -c "SELECT count(*) FROM dti.refresh_queue")" = 0 ] || fail "changes left in the queue"
echo "refresh_failure: the next refresh computed 2033 ($(q -c "SELECT round(root_value::numeric, 4) FROM dti.result_scorecard WHERE period = '2033'"))"
