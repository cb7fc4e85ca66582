#!/usr/bin/env bash
# A real GIS client: headless PyQGIS (Debian's python3-qgis) opens the map
# views dti.score_map, dti.merged_map and dti.region_map as a LOGIN member of
# dti_reader, with the key QGIS proposes (test/scripts/gis_client.py), over
# 2023 of the 63 provinces on the shipped framework, verified and refreshed.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=dti_scenario_gis
cleanup() {
	dropdb --if-exists $db >/dev/null 2>&1 || true
	psql -X -q -d postgres -c "DROP ROLE IF EXISTS gis_reader" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
createdb $db
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION dti_warehouse CASCADE;
CREATE ROLE gis_reader LOGIN IN ROLE dti_reader;
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value)
SELECT u.code, '2023', c.c, round((0.2 + ((u.code::int * 7 + c.i * 13) % 70) / 100.0)::numeric, 4)::text
FROM dti.unit u, unnest('{CQS,KTS,XHS,NL,NT,HT,TC,ATTT}'::text[]) WITH ORDINALITY c(c, i)
WHERE u.level = 'province' AND u.valid_from <= '2023-12-31' AND u.valid_to >= '2023-12-31';
SELECT dti.load_staging('gis fixture');
SELECT dti.verify_load(max(id)) FROM dti.load;
CALL dti.refresh();
SQL
counts=$(psql -X -At -U gis_reader -d $db -c "SELECT format('score_map=%s,merged_map=%s,region_map=%s',
	(SELECT count(*) FROM dti.score_map), (SELECT count(*) FROM dti.merged_map), (SELECT count(*) FROM dti.region_map))")
echo "as the reader, SQL counts $counts"
GIS_DATABASE=$db GIS_USER=gis_reader GIS_COUNTS=$counts QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=$(mktemp -d) \
	/usr/bin/python3 test/scripts/gis_client.py
