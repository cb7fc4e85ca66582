#!/usr/bin/env bash
# Current values under concurrent status changes: six sessions verify and
# reject revisions of the same three indicators at random, at the same time,
# each change in its own transaction; afterwards every revision's history
# follows the workflow in the order of its events, dti.current_value equals
# the current verified values resolved from the whole history
# (dti.current_verified), and a refresh publishes scores from them.  Then
# a statement whose event was overtaken by another transaction's newer
# event on the same revision is refused (40001), deterministically.
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
if grep -h ERROR "$work"/session*.log | grep -v "status cannot change\|cannot go from\|transition\|changed by another transaction at the same time" ; then
	echo "a status change failed for another reason"; exit 1
fi
echo "status events of unit 01 in 2030: $changes; changes refused after a lost race: $lost"
[ "$changes" -gt 100 ] || { echo "too few status changes went through"; cat "$work"/session1.log; exit 1; }

# the history, in the order of its events, follows the workflow
broken() {
	q "SELECT count(*) FROM (SELECT t.submission_id, t.status,
			lag(t.status) OVER (PARTITION BY t.submission_id ORDER BY t.id) AS prev
		FROM dti.submission_status t) ev
	JOIN dti.submission s ON s.id = ev.submission_id
	WHERE (coalesce(ev.prev, s.status), ev.status) NOT IN (('draft', 'submitted'), ('submitted', 'verified'),
		('submitted', 'rejected'), ('verified', 'rejected'), ('rejected', 'verified'),
		('draft', 'withdrawn'), ('submitted', 'withdrawn'))"
}
b=$(broken)
echo "status events that break the workflow in the history: $b"
[ "$b" = 0 ] || exit 1

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

# Overtaken: statement B verifies two new revisions and waits inside its
# INSERT after the first row (its event has the lower id); meanwhile A
# withdraws the first revision and commits.  B's check then finds A's newer
# event: B is refused with 40001 and the history keeps A's event alone.
ids=$(q "INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason)
	VALUES ('01', '2031', 'A.1', '0.5', 'race'), ('01', '2031', 'B', '0.5', 'race') RETURNING id" | paste -sd,)
first=${ids%%,*}
second=${ids##*,}
psql -X -q -At -d $db -c "INSERT INTO dti.submission_status (submission_id, status)
	SELECT sid, 'verified' FROM (VALUES ($first, 1), ($second, 2)) v(sid, o),
	LATERAL (SELECT CASE WHEN o = 2 THEN pg_sleep(3) END) z" >"$work/b.log" 2>&1 &
bpid=$!
for i in $(seq 1 100); do
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = '$db'")" = 1 ] && break
	sleep 0.1
done
q "INSERT INTO dti.submission_status (submission_id, status) VALUES ($first, 'withdrawn')"
wait $bpid || true
grep -q "changed by another transaction at the same time" "$work/b.log" ||
	{ echo "the overtaken statement was not refused:"; cat "$work/b.log"; exit 1; }
[ "$(q "SELECT string_agg(status, ',' ORDER BY id) FROM dti.submission_status WHERE submission_id IN ($first, $second)")" = withdrawn ] ||
	{ echo "history after the race:"; q "SELECT * FROM dti.submission_status WHERE submission_id IN ($first, $second)"; exit 1; }
[ "$(broken)" = 0 ] || { echo "the race broke the workflow in the history"; exit 1; }
echo "ok: a statement overtaken by another transaction's newer event is refused (40001)"
