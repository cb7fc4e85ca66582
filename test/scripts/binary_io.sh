#!/usr/bin/env bash
# Every dti type through every interface (text, binary cursor and binary
# parameters of psycopg 3, COPY text and binary, the version 1 binary form,
# pg_dump/pg_restore), and the recv corpus: truncated, extended, wrongly
# versioned and random payloads refused with 22P03 or 08P01 by COPY and by
# Bind, with no backend crashing (test/scripts/binary_io.py; the server log
# is searched here).  The values are compared as text, and so is what is
# computed from them (aggregate states finalised and combined, leaf vectors
# scored); after pg_restore, as a superuser and as the owner of the target
# database (a new LOGIN role granted nothing, the extension created for it
# by a superuser since dti is not a trusted extension).
# Runs against the cluster described by PGHOST/PGPORT/PGUSER.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_binary_io restored=dti_binary_io_restored owned=dti_binary_io_owned owner=dti_binary_io_owner
work=$(mktemp -d)
cleanup() {
	rm -rf "$work"
	for d in $db $restored $owned; do dropdb --if-exists $d >/dev/null 2>&1 || true; done
	psql -X -q -d postgres -c "DROP ROLE IF EXISTS $owner" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
work=$(mktemp -d)
createdb $db
psql -X -q -d $db -c 'CREATE EXTENSION dti' >/dev/null

log=$PGHOST/server.log
crashes() { grep -c "terminated by signal" "$log" 2>/dev/null || true; }
before=$(crashes)

# Debian's own interpreter, which has python3-psycopg
BINARY_IO_DATABASE=$db /usr/bin/python3 test/scripts/binary_io.py

# pg_dump (custom format) and pg_restore into a new database: the same
# values as text and the same results computed from them
snapshot() { BINARY_IO_DATABASE=$1 /usr/bin/python3 test/scripts/binary_io.py snapshot; }
pg_dump -Fc -f "$work/dump" $db
createdb $restored
pg_restore -d $restored --exit-on-error "$work/dump"
snapshot $db >"$work/a"
snapshot $restored >"$work/b"
rows=$(psql -X -At -d $db -c "SELECT count(*) FROM rt")
[ "$(wc -l <"$work/a")" -eq $((2 * rows)) ] || { echo "snapshot: expected $((2 * rows)) lines, got $(wc -l <"$work/a")"; exit 1; }
cmp "$work/a" "$work/b" || { echo "pg_dump/pg_restore changed values"; diff "$work/a" "$work/b"; exit 1; }
echo "pg_dump/pg_restore: $rows rows of every type and the results computed from them identical"

# The same restore by the owner of the target database: a new LOGIN role
# that owns it and is granted nothing else.  A superuser creates dti there
# (CREATE EXTENSION dti needs one); the owner restores everything else
# (--no-owner: the dumped objects belong to the superuser; the list leaves
# out the extension and its comment, which only their owner may replace),
# then reads the values and computes from them as that role.
psql -X -q -d postgres -c "CREATE ROLE $owner LOGIN" -c "CREATE DATABASE $owned OWNER $owner" >/dev/null
psql -X -q -d $owned -c 'CREATE EXTENSION dti' >/dev/null
pg_restore -l "$work/dump" | grep -vE ' (EXTENSION|COMMENT - EXTENSION) ' >"$work/list"
PGUSER=$owner pg_restore -d $owned --no-owner --exit-on-error -L "$work/list" "$work/dump"
[ "$(psql -X -At -d $owned -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = '$owner'")" -gt 0 ] ||
	{ echo "the restore as $owner created no table of its own"; exit 1; }
PGUSER=$owner snapshot $owned >"$work/c"
cmp "$work/a" "$work/c" || { echo "pg_restore as the database owner changed values"; diff "$work/a" "$work/c"; exit 1; }
echo "pg_restore as $owner (the target's owner, not a superuser): the same $rows rows and results"

after=$(crashes)
[ "$after" -eq "$before" ] || { echo "the server log shows $((after - before)) backend(s) terminated by a signal"; exit 1; }
echo "server log: no backend terminated by a signal"
