#!/usr/bin/env bash
# A BI driver in the binary protocol (psycopg 3, binary=True) as a freshly
# created LOGIN member of dti_reader: SELECT * from every relation it may
# read, every value loaded into its Python type (test/scripts/bi_driver_read.py).
# BI_DATABASE names an existing database to read instead of the fixture.
set -euo pipefail
cd "$(dirname "$0")/../.."
role=dti_bi_reader_$$
db=${BI_DATABASE:-}
if [ -z "$db" ]; then
	db=dti_scenario_bi_binary
	dropdb --if-exists $db >/dev/null 2>&1; createdb $db
	trap 'dropdb --if-exists $db >/dev/null 2>&1; psql -X -q -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1' EXIT
	psql -X -q -d $db -f test/scripts/pipeline_fixture.sql >/dev/null
	psql -X -q -d $db -c 'CALL dti.refresh()'
else
	trap 'psql -X -q -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1' EXIT
fi
psql -X -q -v ON_ERROR_STOP=1 -d $db -c "CREATE ROLE $role LOGIN IN ROLE dti_reader"
# Debian's own interpreter, which has python3-psycopg
/usr/bin/python3 test/scripts/bi_driver_read.py $db $role
