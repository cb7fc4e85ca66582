#!/usr/bin/env bash
# Current values under concurrent status changes: six sessions verify and
# reject revisions of the same three indicators at random, at the same time,
# each change in its own transaction; afterwards dti.current_value equals
# the current verified values resolved from the whole history
# (dti.current_verified), and a refresh publishes scores from them.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_scenario_current_value
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists $db >/dev/null 2>&1' EXIT
psql -X -q -d $db -f test/scripts/pipeline_fixture.sql >/dev/null
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d $db -c "$1"; }
# five more revisions of each of three indicators of unit 01 in 2030
q "INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason)
	SELECT '01', '2030', k.code, CASE WHEN k.code = 'A.2' THEN (r % 2)::text ELSE (r * 0.15)::text END, 'revision ' || r
	FROM (VALUES ('A.1'), ('A.2'), ('B')) k(code), generate_series(1, 5) r"

# Each session: 40 transactions; each picks a revision of unit 01 in 2030
# and flips it (verified -> rejected, otherwise -> verified).  Transitions
# that lost a race with another session fail their check and are skipped.
for s in 1 2 3 4 5 6; do
	{
		for i in $(seq 1 40); do
			cat <<SQL
SELECT dti.set_status(id, CASE WHEN st = 'verified' THEN 'rejected' ELSE 'verified' END,
					  CASE WHEN st = 'verified' THEN 'session $s, change $i' END)
FROM (SELECT h.id, h.status AS st FROM dti.submission_history h
	  WHERE h.unit_code = '01' AND h.period = '2030' ORDER BY random() LIMIT 1) x;
SQL
		done
	} | psql -X -q -At -d $db >"$work/session$s.log" 2>&1 &
done
wait
changes=$(q "SELECT count(*) FROM dti.submission_status t JOIN dti.submission s ON s.id = t.submission_id
	WHERE s.unit_code = '01' AND s.period = '2030'")
lost=$(cat "$work"/session*.log | grep -c ERROR || true)
# a change may lose a race on its transition check, never on the current values
if grep -h ERROR "$work"/session*.log | grep -v "status cannot change\|cannot go from\|transition" ; then
	echo "a status change failed for another reason"; exit 1
fi
echo "status events of unit 01 in 2030: $changes; changes refused after a lost race: $lost"
[ "$changes" -gt 100 ] || { echo "too few status changes went through"; cat "$work"/session1.log; exit 1; }

diff=$(q "SELECT count(*) FROM (
	(SELECT period, unit_id, indicator, submission_id, raw_value FROM dti.current_value
	 EXCEPT SELECT period, unit_id, indicator, submission_id, raw_value FROM dti.current_verified)
	UNION ALL
	(SELECT period, unit_id, indicator, submission_id, raw_value FROM dti.current_verified
	 EXCEPT SELECT period, unit_id, indicator, submission_id, raw_value FROM dti.current_value)) d")
echo "current values that differ from the history: $diff"
[ "$diff" = 0 ] || { q "SELECT * FROM dti.current_value WHERE unit_id = (SELECT unit_id FROM dti.current_verified WHERE unit_code = '01' LIMIT 1)"; exit 1; }
[ "$(q "SELECT count(*) FROM dti.current_value")" = "$(q "SELECT count(*) FROM dti.current_verified")" ] ||
	{ echo "row counts differ"; exit 1; }
q "CALL dti.refresh()"
[ "$(q "SELECT outcome FROM dti.refresh_log ORDER BY id DESC LIMIT 1")" = ok ] || { echo "refresh failed"; exit 1; }
echo "ok: dti.current_value equals the history after concurrent status changes"
