#!/usr/bin/env bash
# dti_warehouse 0.4.0 refuses an indicator whose parent is not in its
# framework; 0.3.0 accepted one.  A warehouse updated from 0.3.0 keeps such
# rows, and the update names them in a WARNING; afterwards the rows can be
# edited except for their code, and a new orphan is refused at commit.
# Runs against the cluster described by PGHOST/PGPORT/PGUSER, with the
# extensions installed (as test/run.sh does for the upgrade check).
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_scenario_orphans
trap 'dropdb --if-exists $db >/dev/null 2>&1 || true' EXIT
dropdb --if-exists $db >/dev/null 2>&1
createdb $db
q() { psql -X -q -v ON_ERROR_STOP=1 -d $db "$@"; }

q -c "SET client_min_messages = warning" -c "CREATE EXTENSION dti_warehouse VERSION '0.3.0' CASCADE" >/dev/null
q >/dev/null <<'SQL'
BEGIN;
SELECT dti.create_framework('orphan-test', 'province', ARRAY[2039], 'Khung có chỉ số mồ côi');
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES ('Q.1', 'Mồ côi', 10, 'ratio');
COMMIT;
SQL

out=$(q -c "ALTER EXTENSION dti_warehouse UPDATE TO '0.4.0'" 2>&1)
echo "update: $out"
echo "$out" | grep -q 'WARNING:  indicators without their parent in their framework: orphan-test version 1: Q.1' ||
	{ echo "the update did not name the orphan"; exit 1; }

# the old row stays and can be edited, but not recoded into another orphan
q -c "UPDATE dti.framework_indicator SET name_en = 'Orphan' WHERE code = 'Q.1'" >/dev/null
[ "$(q -At -c "SELECT name_en FROM dti.framework_indicator WHERE code = 'Q.1'")" = Orphan ] ||
	{ echo "the old orphan could not be edited"; exit 1; }
if out=$(q -c "UPDATE dti.framework_indicator SET code = 'Q.2' WHERE code = 'Q.1'" 2>&1); then
	echo "recoding an orphan into another orphan was accepted"; exit 1
fi
echo "recode: $out"
echo "$out" | grep -q 'indicator "Q.2" of framework orphan-test version 1 has no parent "Q"' ||
	{ echo "unexpected error for the recode"; exit 1; }
echo "orphan upgrade check passed"
