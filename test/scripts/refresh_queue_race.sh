#!/usr/bin/env bash
# A change committed while a refresh runs is never dropped from the queue.
# Session A revises and verifies a value of Hà Nội and keeps its transaction
# open; session B does the same for Hồ Chí Minh and commits; a refresh starts
# (it sees B's change, not A's) and is held on a lock of the results table by
# session D; A commits; D lets the refresh finish.  A's change must still be
# queued, so that the next refresh publishes it: the published ranking then
# equals a whole recompute.  (Before dti_warehouse 0.3.0 the refresh removed
# every queue row up to the highest id it had seen, A's included.)
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_scenario_queue_race
work=$(mktemp -d)
chmod 755 "$work"
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
trap 'wait; rm -rf "$work"; dropdb --if-exists $db >/dev/null 2>&1' EXIT
psql -X -q -d $db -f test/scripts/pipeline_fixture.sql >/dev/null
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $db -c "$1"; }
q 'CALL dti.refresh()'
revise="INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES (%s, '2030', 'B', %s, 'race test');
SELECT dti.set_status((SELECT max(id) FROM dti.submission WHERE unit_code = %s), 'verified') > 0 AS verified;"
wait_for() {  # wait until a query returns t (10 s at most)
	for _ in $(seq 100); do [ "$(q "$1")" = t ] && return 0; sleep 0.1; done
	echo "timed out waiting for: $1"; exit 1
}

# A: a revision of Hà Nội, committed only when the file "commit_a" appears
{
	echo "BEGIN;"; printf "$revise\n" "'01'" "'0.05'" "'01'"
	echo "SELECT 'a-waiting';"
	echo "DO \$\$ BEGIN WHILE pg_stat_file('$work/commit_a', true) IS NULL LOOP PERFORM pg_sleep(0.1); END LOOP; END \$\$;"
	echo "COMMIT;"
} | psql -X -q -At -v ON_ERROR_STOP=1 -d $db >"$work/a.log" 2>&1 &
wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE query LIKE '%commit_a%' AND state = 'active' AND pid <> pg_backend_pid())"
# B: a revision of Hồ Chí Minh, committed at once
printf "$revise\n" "'79'" "'0.95'" "'79'" | psql -X -q -At -v ON_ERROR_STOP=1 -d $db >/dev/null
# D holds the results table; the refresh starts and waits for it
{
	echo "BEGIN; LOCK TABLE dti.result_scorecard IN SHARE MODE;"
	echo "DO \$\$ BEGIN WHILE pg_stat_file('$work/release_d', true) IS NULL LOOP PERFORM pg_sleep(0.1); END LOOP; END \$\$;"
	echo "COMMIT;"
} | psql -X -q -At -v ON_ERROR_STOP=1 -d $db >"$work/d.log" 2>&1 &
wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE query LIKE '%release_d%' AND state = 'active' AND pid <> pg_backend_pid())"
psql -X -q -At -v ON_ERROR_STOP=1 -d $db -c 'CALL dti.refresh()' >"$work/c.log" 2>&1 &
refresh=$!
wait_for "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE query = 'CALL dti.refresh()' AND wait_event_type = 'Lock')"
touch "$work/commit_a"
wait_for "SELECT count(*) = 2 FROM dti.submission WHERE reason = 'race test'"
touch "$work/release_d"
wait $refresh || { cat "$work/c.log"; exit 1; }
echo "refresh held while A committed: $(q "SELECT outcome || ', periods ' || array_to_string(periods, ',') FROM dti.refresh_log ORDER BY id DESC LIMIT 1")"
echo "queued after it: $(q "SELECT count(*) FROM dti.refresh_queue") rows"

q 'CALL dti.refresh()'
published=$(q "SELECT string_agg(unit_code || '=' || value, ',' ORDER BY unit_code) FROM dti.ranking WHERE period = '2030'")
q "CALL dti.refresh(period => '2030')"
recomputed=$(q "SELECT string_agg(unit_code || '=' || value, ',' ORDER BY unit_code) FROM dti.ranking WHERE period = '2030'")
echo "published after the next refresh: $published"
echo "whole recompute:                  $recomputed"
[ "$published" = "$recomputed" ] || { echo "a change committed during a refresh was lost from the queue"; exit 1; }
echo "no queued change lost"
