#!/usr/bin/env bash
# Backup check of dti_warehouse: load a database with user data in every
# table registered with pg_extension_config_dump (units, names, succession
# weights, a boundary layer, a framework with indicators, frozen, used for a year, targets,
# grants, loads with rejects, submissions with revisions and status events,
# staged rows), take a plain pg_dump, restore it into a new database with
# psql, and compare every registered table and sequence; the same with the
# directory format of docs/operations.md (pg_dump -Fd -j 2, pg_restore).  Then check that the
# restored database keeps working (new ids continue, validation still runs).
# Runs against the cluster described by PGHOST/PGPORT/PGUSER, with the
# extensions installed (as test/run.sh does for the upgrade check).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
src=dti_wh_dump_src dst=dti_wh_dump_dst
cleanup() {
	rm -rf "$work"
	dropdb --if-exists "$src" >/dev/null 2>&1 || true
	dropdb --if-exists "$dst" >/dev/null 2>&1 || true
}
trap cleanup EXIT
dropdb --if-exists "$src" >/dev/null 2>&1; dropdb --if-exists "$dst" >/dev/null 2>&1
createdb "$src"

psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION dti_warehouse CASCADE;
-- reference data added by users
SELECT dti.add_ministry('BKHCN', 'Bộ Khoa học và Công nghệ', 'Ministry of Science and Technology', true);
SELECT dti.add_ministry('BNG', 'Bộ Ngoại giao', 'Ministry of Foreign Affairs', false);
INSERT INTO dti.unit_name (unit_id, name, kind, source)
SELECT id, 'Thành phố Hồ Chí Minh (TPHCM)', 'abbreviation', 'user' FROM dti.unit WHERE code = '79' AND valid_to = '2025-06-30';
INSERT INTO dti.succession_weight (predecessor_id, successor_id, basis, weight)
SELECT s.predecessor_id, s.successor_id, 'area', 100 + s.predecessor_id FROM dti.unit_succession s
JOIN dti.unit n ON n.id = s.successor_id WHERE n.code = '92';
SELECT dti.set_succession_rule('92', 'weighted_mean', 'area');
INSERT INTO dti.period (label) VALUES ('2036');
SELECT * FROM dti.load_boundaries('dump-test', jsonb_build_object('type', 'FeatureCollection', 'features', jsonb_build_array(
	jsonb_build_object('type', 'Feature', 'properties', jsonb_build_object('shapeName', 'Côn Đảo'),
		'geometry', ST_AsGeoJSON(ST_MakeEnvelope(106.5, 8.6, 106.7, 8.8, 4326))::jsonb))), '2022-12-31');
INSERT INTO dti.target (decision, pillar, code, name_en, target_value, unit_of_measure, direction, deadline, verified)
VALUES ('test', 'digital society', 'TEST_TARGET', 'A target added by a user', 42, 'percent', 'higher', '2030-12-31', false);
-- a framework, loaded the documented way, used for 2024, frozen
BEGIN;
SELECT dti.create_framework('dump-province', 'province', ARRAY[2024], 'Khung kiểm tra sao lưu', max_points => 100);
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule, value_min, value_max) VALUES
	('A', 'Nhóm A', 100, NULL, NULL, NULL),
	('A.1', 'Tỷ lệ', 50, 'ratio', 0, 1),
	('A.2', 'Xếp loại', 50, 'grade(A:1, B:0.5)', NULL, NULL);
COMMIT;
INSERT INTO dti.indicator_map (from_framework_id, from_code, to_framework_id, to_code, note)
SELECT 1, 'NT', f.id, 'A.1', 'test mapping' FROM dti.framework f WHERE f.code = 'dump-province';
-- grants, loads with rejects, revisions, statuses
DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dti_dump_loader') THEN
		CREATE ROLE dti_dump_loader LOGIN IN ROLE dti_loader;
	END IF;
END $$;
SELECT dti.grant_unit('dti_dump_loader', '01');
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, source)
SELECT u.code, '2024', 'A.1', ((u.id % 10) / 10.0)::text, 'dump test' FROM dti.unit u WHERE u.level = 'province' AND u.valid_to = '2025-06-30'
UNION ALL SELECT u.code, '2024', 'A.2', CASE WHEN u.id % 2 = 0 THEN 'A' ELSE 'B' END, 'dump test' FROM dti.unit u WHERE u.level = 'province' AND u.valid_to = '2025-06-30'
UNION ALL SELECT '99', '2024', 'A.1', '0.5', 'bad' UNION ALL SELECT '01', '2024', 'A.2', 'Z', 'bad';
SELECT * FROM dti.load_staging('first load');
INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('01', '2024', 'A.1', '0.95', 'corrected');
SELECT dti.set_status(id, 'verified') FROM dti.submission WHERE unit_code IN ('01', '48', '79') ORDER BY id;
SELECT dti.set_status(max(id), 'rejected', 'no evidence') FROM dti.submission WHERE unit_code = '01';
SELECT dti.freeze_framework(id, 'DTI 2024 published') FROM dti.framework WHERE code = 'dump-province';
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value) VALUES ('01', '2024', 'A.2', 'B');
SQL

# Everything registered for dumping, as text, in a stable order.  The refresh
# queue is left out: its rows are not dumped by design (restoring the
# submissions queues them again).
snapshot() {
	psql -X -At -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SET client_min_messages = warning;
SELECT format('%s: %s rows', c.oid::regclass, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %s', c.oid::regclass), false, true, '')))[1]::text)
FROM pg_extension e, unnest(e.extconfig) AS t (oid) JOIN pg_class c ON c.oid = t.oid
WHERE e.extname = 'dti_warehouse' AND c.relkind = 'r' AND c.relname NOT LIKE 'refresh\_queue%' ORDER BY 1;
SQL
	for t in $(psql -X -At -d "$1" -c "SELECT c.oid::regclass FROM pg_extension e, unnest(e.extconfig) AS t (oid) JOIN pg_class c ON c.oid = t.oid WHERE e.extname = 'dti_warehouse' AND c.relname NOT LIKE 'refresh\_queue%' ORDER BY 1"); do
		echo "== $t"
		case $t in
		*_seq) psql -X -At -d "$1" -c "SELECT last_value, is_called FROM $t" ;;
		*) psql -X -At -d "$1" -c "SELECT r::text FROM $t AS r ORDER BY 1" ;;
		esac
	done
	echo "== shipped"
	psql -X -At -d "$1" -c "SELECT (SELECT count(*) FROM dti.unit), (SELECT count(*) FROM dti.unit_name), (SELECT count(*) FROM dti.framework_indicator), (SELECT count(*) FROM dti.target), (SELECT count(*) FROM dti.period)"
	echo "== views"
	psql -X -At -d "$1" -c 'SELECT r::text FROM dti."giá_trị_đã_xác_minh" AS r ORDER BY 1' -c 'SELECT r::text FROM dti.succession_share AS r ORDER BY 1'
}

snapshot "$src" >"$work/before.txt"
pg_dump -d "$src" >"$work/dump.sql" 2>"$work/dump.log" || { cat "$work/dump.log"; exit 1; }
createdb "$dst"
psql -X -q -v ON_ERROR_STOP=1 -d "$dst" -f "$work/dump.sql" >"$work/restore.log" 2>&1 ||
	{ cat "$work/restore.log"; echo "restore failed"; exit 1; }
snapshot "$dst" >"$work/after.txt"

if ! diff -u "$work/before.txt" "$work/after.txt"; then
	echo "restored database differs from the dumped one"
	exit 1
fi
rows=$(grep -c . "$work/before.txt")
echo "dump and restore: every registered table and sequence identical ($rows lines compared)"
grep -E "^dti\.(submission|submission_status|reject|unit|unit_boundary|framework_indicator): " "$work/before.txt" || true

# docs/operations.md's commands for a large database: the directory format,
# dumped with two jobs, restored in one (parallel jobs load the extension's
# tables out of the order of their foreign keys and validation triggers).
dst_dir=${dst}_dir
dropdb --if-exists "$dst_dir" >/dev/null 2>&1
pg_dump -Fd -j 2 -f "$work/dti.dump" "$src" 2>"$work/dump_dir.log" || { cat "$work/dump_dir.log"; exit 1; }
createdb "$dst_dir"
if ! pg_restore -d "$dst_dir" "$work/dti.dump" >"$work/restore_dir.log" 2>&1; then
	cat "$work/restore_dir.log"; dropdb --if-exists "$dst_dir" >/dev/null 2>&1; echo "restore of the directory format failed"; exit 1
fi
snapshot "$dst_dir" >"$work/after_dir.txt"
dropdb --if-exists "$dst_dir" >/dev/null 2>&1
if ! diff -u "$work/before.txt" "$work/after_dir.txt"; then
	echo "the directory-format dump (pg_dump -Fd -j 2, pg_restore) restored a different database"
	exit 1
fi
echo "directory format (pg_dump -Fd -j 2, pg_restore): every registered table and sequence identical"

# The restored database keeps working: ids continue, validation still runs.
after=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$dst" <<'SQL'
SET client_min_messages = warning;
SELECT max(id) AS before_id FROM dti.submission \gset
WITH i AS (INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason)
		   VALUES ('01', '2024', 'A.1', '0.5', 'after restore') RETURNING id)
SELECT CASE WHEN id > :before_id THEN 'new ids continue after the restored ones' ELSE 'id reused!' END FROM i;
DO $$
BEGIN
	INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('01', '2024', 'A.1', 'bad');
	RAISE EXCEPTION 'validation did not run after restore';
EXCEPTION WHEN invalid_text_representation THEN
	NULL;  -- validation runs after restore
END $$;
DO $$
BEGIN
	UPDATE dti.framework_indicator i SET name_vi = 'changed' FROM dti.framework f
	WHERE f.id = i.framework_id AND f.code = 'dump-province' AND i.code = 'A.1';
	RAISE EXCEPTION 'the frozen framework was changed after restore';
EXCEPTION WHEN object_not_in_prerequisite_state THEN
	NULL;  -- the framework stays frozen
END $$;
SELECT 'frozen frameworks: ' || count(*) FROM dti.frozen_framework;
SQL
)
echo "$after"
case $after in *'id reused'*) exit 1 ;; esac
frozen_before=$(psql -X -q -At -d "$src" -c "SELECT 'frozen frameworks: ' || count(*) FROM dti.frozen_framework")
grep -qx "$frozen_before" <<<"$after" || { echo "restored $(grep frozen <<<"$after"), dumped $frozen_before"; exit 1; }
case $frozen_before in *': 0') echo "no frozen framework in the dumped database"; exit 1 ;; esac
echo "backup check passed"
