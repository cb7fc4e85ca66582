#!/usr/bin/env bash
# leaf_stats, composite_state and a framework carrying rules through binary
# cursors, binary parameters and COPY binary, and a recv corpus (truncated,
# extended and random payloads) refused with 22P03 or 08P01, no backend
# crashing (test/scripts/composite_binary.py; the server log is searched
# here).  Runs against the cluster described by PGHOST/PGPORT/PGUSER.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_composite_binary
trap 'dropdb --if-exists $db >/dev/null 2>&1 || true' EXIT
dropdb --if-exists $db >/dev/null 2>&1
createdb $db
psql -X -q -d $db -c 'CREATE EXTENSION dti' >/dev/null
log=$PGHOST/server.log
crashes() { grep -c "terminated by signal" "$log" 2>/dev/null || true; }
before=$(crashes)
BINARY_IO_DATABASE=$db PYTHONPATH=test/scripts /usr/bin/python3 test/scripts/composite_binary.py
after=$(crashes)
[ "$after" -eq "$before" ] || { echo "the server log shows $((after - before)) backend(s) terminated by a signal"; exit 1; }
echo "server log: no backend terminated by a signal"
