#!/usr/bin/env bash
# Two sessions of one loader role staging and loading at once: no staged
# row is lost, none is loaded twice (test/scripts/load_staging_race.py).
# The loader is a freshly created LOGIN member of dti_loader.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_scenario_load_race
role=dti_race_loader_$$
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
trap 'dropdb --if-exists $db >/dev/null 2>&1; psql -X -q -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION dti_warehouse CASCADE;
CREATE ROLE $role LOGIN IN ROLE dti_loader;
SELECT dti.grant_unit('$role', '01'), dti.grant_unit('$role', '79');
SELECT dti.open_grading(2024);
SQL
# Debian's own interpreter, which has python3-psycopg
/usr/bin/python3 test/scripts/load_staging_race.py $db $role
