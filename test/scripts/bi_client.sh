#!/usr/bin/env bash
# A real client: Debian's python3 with psycopg2 and SQLAlchemy reflects the
# BI views like a BI tool and reads them (test/scripts/bi_client.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_scenario_bi
dropdb --if-exists $db >/dev/null 2>&1; createdb $db
trap 'dropdb --if-exists $db >/dev/null 2>&1' EXIT
psql -X -q -d $db -f test/scripts/pipeline_fixture.sql >/dev/null
psql -X -q -d $db -c 'CALL dti.refresh()'
# Debian's own interpreter, which has the python3-* packages
BI_DATABASE=$db /usr/bin/python3 test/scripts/bi_client.py
