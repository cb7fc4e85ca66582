#!/usr/bin/env bash
# leaf_stats, composite_state, leaf_vector and a framework carrying rules through binary
# cursors, binary parameters and COPY binary, and a recv corpus (truncated,
# extended and random payloads) refused with 22P03 or 08P01, no backend
# crashing (test/scripts/composite_binary.py; the server log is searched
# here); then a table of those types and of the aggregate state types
# through pg_dump and pg_restore.  Runs against the cluster described by
# PGHOST/PGPORT/PGUSER.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_composite_binary
restored=${db}_restored
work=$(mktemp -d)
trap 'dropdb --if-exists $db >/dev/null 2>&1 || true; dropdb --if-exists $restored >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
dropdb --if-exists $db >/dev/null 2>&1
dropdb --if-exists $restored >/dev/null 2>&1
createdb $db
psql -X -q -d $db -c 'CREATE EXTENSION dti' >/dev/null
log=$PGHOST/server.log
crashes() { grep -c "terminated by signal" "$log" 2>/dev/null || true; }
before=$(crashes)
BINARY_IO_DATABASE=$db PYTHONPATH=test/scripts /usr/bin/python3 test/scripts/composite_binary.py
after=$(crashes)
[ "$after" -eq "$before" ] || { echo "the server log shows $((after - before)) backend(s) terminated by a signal"; exit 1; }
echo "server log: no backend terminated by a signal"

# pg_dump (custom format) and pg_restore into a new database: the same text
psql -X -q -v ON_ERROR_STOP=1 -d $db <<'SQL'
CREATE TABLE dumped AS
WITH fw AS (SELECT framework_compile('{R,A,B}', '{NULL,R,R}', '{NULL,NULL,NULL}',
							 weights => '{NULL,1,2}', methods => '{amean,NULL,NULL}') AS fw),
fwr AS (SELECT framework_rules(fw, '{A,B}', '{"minmax(0, 100)","zscore(50, 10)"}') AS fw FROM fw),
v(u, code, x) AS (VALUES (1, 'A', 1.5), (1, 'B', 2.0), (2, 'A', 3.0), (2, 'B', NULL), (3, 'A', 0.5), (3, 'B', 4.0))
SELECT v.u, (SELECT fw FROM fwr) AS fw,
	(SELECT leaf_stats(fwr.fw, v.code::indicator_code, v.x) FROM v, fwr) AS st,
	composite_step(NULL, (SELECT fw FROM fwr), (SELECT leaf_stats(fwr.fw, v.code::indicator_code, v.x) FROM v, fwr),
				   'A', v.x) AS cs,
	rollup_step(NULL, (SELECT fw FROM fw), 'A', v.x) AS rs,
	weighted_mean_step(NULL, v.x, 2) AS wms,
	indicator_stats_step(NULL, v.x) AS iss,
	(SELECT leaf_vector(fw.fw, w.code::indicator_code, w.x) FROM v w, fw WHERE w.u = v.u) AS lv
FROM v WHERE v.code = 'A';
SQL
q="SELECT u, fw::text, st::text, cs::text, rs::text, wms::text, iss::text, lv::text, rollup(fw, lv)::text FROM dumped ORDER BY u"
pg_dump -Fc -f "$work/dump" $db
createdb $restored
pg_restore -d $restored --exit-on-error "$work/dump"
psql -X -At -d $db -c "$q" >"$work/a"
psql -X -At -d $restored -c "$q" >"$work/b"
[ "$(wc -l <"$work/a")" -eq 3 ] || { echo "dump: expected 3 rows, got $(wc -l <"$work/a")"; exit 1; }
cmp "$work/a" "$work/b" || { echo "pg_dump/pg_restore changed values"; diff "$work/a" "$work/b"; exit 1; }
[ "$(psql -X -At -d $restored -c "SELECT count(*) FROM dumped WHERE framework_rule(fw, 'B')::text = 'zscore(50, 10)'")" = 3 ] ||
	{ echo "the framework's rules did not survive pg_dump/pg_restore"; exit 1; }
echo "pg_dump/pg_restore: 3 rows of a framework with rules, leaf_stats, composite_state, the three state types and leaf_vector identical"
