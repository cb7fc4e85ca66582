#!/usr/bin/env bash
# Nightly refresh with a real pg_cron: the test cluster preloads pg_cron with
# cron.database_name = 'postgres' and cron.use_background_workers = on (see
# test/cluster.sh), so the warehouse goes into the postgres database here.
# dti.schedule_refresh('* * * * *') schedules the job; the refresh log is
# polled for at most 150 s until pg_cron has run it; then a period that
# fails is added, and pg_cron must record the next run as failed, with the
# error naming what failed; then the job is unscheduled.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=postgres
cleanup() {
	psql -X -q -d $db -c "SELECT dti.unschedule_refresh()" >/dev/null 2>&1 || true
	psql -X -q -d $db -c "SET client_min_messages = warning" \
		-c "DROP EXTENSION IF EXISTS dti_warehouse, postgis, dti, pg_cron CASCADE" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
psql -X -q -v ON_ERROR_STOP=1 -d $db -c "CREATE EXTENSION pg_cron"
psql -X -q -v ON_ERROR_STOP=1 -d $db -f test/scripts/pipeline_fixture.sql >/dev/null
# a schedule with SQL in it reaches pg_cron as a value (pg_cron reads the
# first five fields): nothing runs but CALL dti.refresh()
hostile=$(psql -X -At -d $db -c "SELECT dti.schedule_refresh(\$\$* * * * *'); DROP TABLE dti.submission; --\$\$)" 2>&1) || true
echo "a schedule with SQL in it: $hostile; jobs: $(psql -X -At -d $db -c "SELECT string_agg(command, ', ') FROM cron.job")"
[ "$(psql -X -At -d $db -c "SELECT count(*) FROM cron.job WHERE command <> 'CALL dti.refresh()'")" = 0 ] || { echo "another command was scheduled"; exit 1; }
[ "$(psql -X -At -d $db -c "SELECT to_regclass('dti.submission') IS NOT NULL")" = t ] || { echo "dti.submission is gone"; exit 1; }
job=$(psql -X -At -v ON_ERROR_STOP=1 -d $db -c "SELECT dti.schedule_refresh('* * * * *')")
echo "scheduled pg_cron job $job: $(psql -X -At -d $db -c "SELECT schedule || ' ' || command FROM cron.job WHERE jobid = $job")"
for i in $(seq 1 150); do
	runs=$(psql -X -At -d $db -c "SELECT count(*) FROM dti.refresh_log WHERE outcome = 'ok'")
	[ "$runs" -ge 1 ] && break
	sleep 1
done
echo "after ${i} s: $(psql -X -At -d $db -c "SELECT count(*) || ' refresh run(s), ' || string_agg(outcome || ' by ' || run_by, ', ') FROM dti.refresh_log")"
psql -X -At -d $db -c "SELECT 'pg_cron: ' || status || ' ' || coalesce(return_message, '') FROM cron.job_run_details WHERE jobid = $job ORDER BY runid DESC LIMIT 1"
[ "$runs" -ge 1 ] || { echo "pg_cron did not run the refresh within 150 s"; exit 1; }
ranked=$(psql -X -At -d $db -c "SELECT count(*) FROM dti.ranking")
[ "$ranked" -ge 3 ] || { echo "the scheduled refresh published no ranking"; exit 1; }
# a period that fails: pg_cron records the run as failed, with the error
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
BEGIN;
SELECT dti.create_framework('cron-geo', 'province', ARRAY[2033], 'Khung hình học', aggregation => 'geometric_mean');
INSERT INTO dti.framework_indicator (code, name_vi, max_points, weight, rule) VALUES ('G', 'Giá trị', 10, 1, NULL);
INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('01', '2033', 'G', '-1');
SELECT dti.set_status(s.id, 'verified') FROM dti.submission s WHERE s.period = '2033';
COMMIT;
SQL
seen=$(psql -X -At -d $db -c "SELECT coalesce(max(runid), 0) FROM cron.job_run_details WHERE jobid = $job")
for i in $(seq 1 150); do
	status=$(psql -X -At -d $db -c "SELECT status FROM cron.job_run_details WHERE jobid = $job AND runid > $seen AND status IN ('succeeded', 'failed') ORDER BY runid DESC LIMIT 1")
	[ -n "$status" ] && break
	sleep 1
done
message=$(psql -X -At -d $db -c "SELECT return_message FROM cron.job_run_details WHERE jobid = $job AND runid > $seen ORDER BY runid DESC LIMIT 1")
echo "a run with a failing period, after ${i} s: pg_cron says $status: $message"
[ "$status" = failed ] || { echo "pg_cron did not record the failed refresh as failed"; exit 1; }
case $message in *"periods failed"*) ;; *) echo "pg_cron's message does not say what failed"; exit 1 ;; esac
[ "$(psql -X -At -d $db -c "SELECT outcome || ' ' || (failures->0->>'period') FROM dti.refresh_log ORDER BY id DESC LIMIT 1")" = "failed 2033" ] ||
	{ echo "the run log does not name the failed period"; exit 1; }
[ "$(psql -X -At -d $db -c "SELECT dti.unschedule_refresh()")" = t ] || { echo "unschedule failed"; exit 1; }
[ "$(psql -X -At -d $db -c "SELECT count(*) FROM cron.job")" = 0 ] || { echo "the job is still scheduled"; exit 1; }
echo "pg_cron ran dti.refresh(): $ranked ranking rows published; job unscheduled"
