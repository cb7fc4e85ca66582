#!/usr/bin/env bash
# Refresh and readers in separate sessions: a reader in a long transaction
# is not blocked by a refresh and does not block it; a reader never sees a
# half-published ranking; a second refresh while one runs leaves with a
# notice.  Every waiting statement runs with lock_timeout = '2s'.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_scenario_concurrency
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
trap 'dropdb --if-exists $db >/dev/null 2>&1' EXIT
psql -X -q -d $db -f test/scripts/pipeline_fixture.sql >/dev/null
psql -X -q -d $db -c 'CALL dti.refresh()'
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $db -c "SET lock_timeout = '2s'" -c "$1"; }
before=$(q "SELECT string_agg(unit_code || '=' || value, ',' ORDER BY unit_code) FROM dti.ranking WHERE period = '2030'")
echo "before: $before"

# 1. A reader holds a repeatable-read transaction open for 6 s, reading the
#    ranking at its start and again at its end.
psql -X -q -At -d $db >/tmp/$db.reader 2>&1 <<'SQL' &
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT 'start:' || string_agg(unit_code || '=' || value, ',' ORDER BY unit_code) FROM dti.ranking WHERE period = '2030';
SELECT pg_sleep(6);
SELECT 'end:' || string_agg(unit_code || '=' || value, ',' ORDER BY unit_code) FROM dti.ranking WHERE period = '2030';
COMMIT;
SQL
reader=$!
sleep 1.5
# ... meanwhile a revision is loaded and refreshed, with lock_timeout 2s.
q "INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('79', '2030', 'B', '1', 'late data')"
q "DO \$\$ BEGIN PERFORM dti.set_status((SELECT max(id) FROM dti.submission), 'verified'); END \$\$"
t0=$(date +%s.%N)
q "CALL dti.refresh()"
t1=$(date +%s.%N)
echo "refresh while a reader holds a transaction: $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.2f", b - a }') s, $(q "SELECT outcome FROM dti.refresh_log ORDER BY id DESC LIMIT 1")"
[ "$(q "SELECT outcome FROM dti.refresh_log ORDER BY id DESC LIMIT 1")" = ok ] || { echo "refresh did not succeed"; exit 1; }
after=$(q "SELECT string_agg(unit_code || '=' || value, ',' ORDER BY unit_code) FROM dti.ranking WHERE period = '2030'")
echo "after: $after"
wait $reader
cat /tmp/$db.reader
grep -qx "start:$before" /tmp/$db.reader || { echo "reader did not see the old ranking at its start"; exit 1; }
grep -qx "end:$before" /tmp/$db.reader || { echo "reader saw a different ranking inside its transaction"; exit 1; }
[ "$before" != "$after" ] || { echo "the refresh published nothing"; exit 1; }

# 2. A refresh inside a transaction held open for 5 s: readers are not
#    blocked (lock_timeout 2s) and see the old results until it commits;
#    a second refresh leaves with a notice.
q "INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('48', '2030', 'B', '1', 'appeal')"
q "DO \$\$ BEGIN PERFORM dti.set_status((SELECT max(id) FROM dti.submission), 'verified'); END \$\$"
psql -X -q -At -d $db >/tmp/$db.writer 2>&1 <<'SQL' &
BEGIN;
CALL dti.refresh();
SELECT pg_sleep(5);
COMMIT;
SQL
writer=$!
sleep 2
during=$(q "SELECT string_agg(unit_code || '=' || value, ',' ORDER BY unit_code) FROM dti.ranking WHERE period = '2030'")
echo "during a held refresh, a reader sees: $during"
[ "$during" = "$after" ] || { echo "a reader saw unpublished results"; exit 1; }
notice=$(psql -X -q -d $db -c "SET lock_timeout = '2s'" -c 'SET client_min_messages = notice' -c 'CALL dti.refresh()' 2>&1)
echo "second refresh: $notice"
echo "$notice" | grep -q 'another refresh is running' || { echo "a concurrent refresh did not leave with a notice"; exit 1; }
wait $writer
final=$(q "SELECT string_agg(unit_code || '=' || value, ',' ORDER BY unit_code) FROM dti.ranking WHERE period = '2030'")
echo "after commit: $final"
[ "$final" != "$after" ] || { echo "the held refresh published nothing"; exit 1; }
q "SELECT outcome, count(*) FROM dti.refresh_log GROUP BY outcome ORDER BY 1"
rm -f /tmp/$db.reader /tmp/$db.writer
echo "concurrency scenario holds"
