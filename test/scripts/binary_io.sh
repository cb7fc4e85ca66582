#!/usr/bin/env bash
# Every dti type through every interface (text, binary cursor and binary
# parameters of psycopg 3, COPY text and binary, the version 1 binary form,
# pg_dump/pg_restore), and the recv corpus: truncated, extended and random
# payloads refused with 22P03 or 08P01 by COPY and by Bind, with no backend
# crashing (test/scripts/binary_io.py; the server log is searched here).
# Runs against the cluster described by PGHOST/PGPORT/PGUSER.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_binary_io restored=dti_binary_io_restored
work=$(mktemp -d)
cleanup() {
	rm -rf "$work"
	dropdb --if-exists $db >/dev/null 2>&1 || true
	dropdb --if-exists $restored >/dev/null 2>&1 || true
}
trap cleanup EXIT
dropdb --if-exists $db >/dev/null 2>&1; dropdb --if-exists $restored >/dev/null 2>&1
createdb $db
psql -X -q -d $db -c 'CREATE EXTENSION dti' >/dev/null

log=$PGHOST/server.log
crashes() { grep -c "terminated by signal" "$log" 2>/dev/null || true; }
before=$(crashes)

# Debian's own interpreter, which has python3-psycopg
BINARY_IO_DATABASE=$db /usr/bin/python3 test/scripts/binary_io.py

# pg_dump (custom format) and pg_restore into a new database: the same text
q="SELECT id, code::text, rule::text, st::text, fw::text, sc::text FROM rt ORDER BY id"
pg_dump -Fc -f "$work/dump" $db
createdb $restored
pg_restore -d $restored --exit-on-error "$work/dump"
psql -X -At -d $db -c "$q" >"$work/a"
psql -X -At -d $restored -c "$q" >"$work/b"
[ "$(wc -l <"$work/a")" -eq 6 ] || { echo "dump: expected 6 rows, got $(wc -l <"$work/a")"; exit 1; }
cmp "$work/a" "$work/b" || { echo "pg_dump/pg_restore changed values"; diff "$work/a" "$work/b"; exit 1; }
echo "pg_dump/pg_restore: 6 rows of the five types identical"

after=$(crashes)
[ "$after" -eq "$before" ] || { echo "the server log shows $((after - before)) backend(s) terminated by a signal"; exit 1; }
echo "server log: no backend terminated by a signal"
