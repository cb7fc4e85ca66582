-- The reliability fixture: a warehouse with two provincial frameworks (2030
-- absolute rules only, so one unit's change is re-scored alone; 2031 with a
-- relative rule, so every change recomputes the period whole), the 34
-- provinces of 2025 submitted and verified for both years, one login-less
-- loader role per pgbench client (each granted one province), a verifier, a
-- reader and an admin, and the client-side log of what the clients did
-- (schema rel).  Variable: clients (how many pgbench clients at most).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE;

BEGIN;
SELECT dti.create_framework('rel-abs', 'province', ARRAY[2030], 'Khung kiểm tra độ tin cậy (tuyệt đối)', max_points => 100) > 0 AS ok;
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule, value_min, value_max) VALUES
	('A', 'Nhóm A', 60, NULL, NULL, NULL),
	('A.1', 'Mục tiêu', 20, 'target(80)', 0, 100),
	('A.2', 'Có hay không', 20, 'bool', 0, 1),
	('A.3', 'Bậc', 20, 'steps(20:0.5, 60:1)', 0, 100),
	('B', 'Nhóm B', 40, NULL, NULL, NULL),
	('B.1', 'Tỷ lệ', 20, 'ratio', 0, 1),
	('B.2', 'Xếp loại', 20, 'grade(A:1, B:0.75, C:0.5, D:0.25, E:0)', NULL, NULL);
COMMIT;
BEGIN;
SELECT dti.create_framework('rel-rel', 'province', ARRAY[2031], 'Khung kiểm tra độ tin cậy (tương đối)', max_points => 100) > 0 AS ok;
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule, value_min, value_max) VALUES
	('A', 'Nhóm A', 60, NULL, NULL, NULL),
	('A.1', 'Mục tiêu', 20, 'target(80)', 0, 100),
	('A.2', 'Có hay không', 20, 'bool', 0, 1),
	('A.3', 'So với tốt nhất', 20, 'best', 0, 100),
	('B', 'Nhóm B', 40, NULL, NULL, NULL),
	('B.1', 'Tỷ lệ', 20, 'ratio', 0, 1),
	('B.2', 'Xếp loại', 20, 'grade(A:1, B:0.75, C:0.5, D:0.25, E:0)', NULL, NULL);
COMMIT;

-- What the clients did, written by each client in the same transaction as
-- the work itself (so a committed row here means committed work there).
CREATE SCHEMA rel;
CREATE TABLE rel.client_unit (client integer PRIMARY KEY, unit_code text NOT NULL, loader name NOT NULL);
CREATE TABLE rel.expected (
	id bigserial PRIMARY KEY, client integer NOT NULL, kind text NOT NULL CHECK (kind IN ('load', 'revision')),
	unit_code text NOT NULL, period text NOT NULL, indicator text NOT NULL, raw_value text NOT NULL,
	expect text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE rel.loaded (client integer NOT NULL, load_id bigint PRIMARY KEY, accepted bigint, rejected bigint, reasons jsonb);
CREATE TABLE rel.status_change (client integer NOT NULL, submission_id bigint NOT NULL, status text NOT NULL,
	event_id bigint PRIMARY KEY);
CREATE TABLE rel.reads (client integer NOT NULL, view_name text NOT NULL, n bigint NOT NULL);
GRANT USAGE ON SCHEMA rel TO PUBLIC;
GRANT SELECT ON rel.client_unit TO PUBLIC;
GRANT INSERT ON rel.expected, rel.loaded, rel.status_change, rel.reads TO PUBLIC;
GRANT USAGE ON SEQUENCE rel.expected_id_seq TO PUBLIC;

-- Roles: one loader per client (its own province), a verifier, a reader, an admin.
DO $$
DECLARE
	r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['rel_verifier:dti_verifier', 'rel_reader:dti_reader', 'rel_admin:dti_admin'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = split_part(r, ':', 1)) THEN
			EXECUTE format('CREATE ROLE %I IN ROLE %I', split_part(r, ':', 1), split_part(r, ':', 2));
		END IF;
	END LOOP;
END $$;
INSERT INTO rel.client_unit (client, unit_code, loader)
SELECT p.n - 1, p.code, 'rel_loader_' || (p.n - 1)
FROM (SELECT code, row_number() OVER (ORDER BY code) AS n FROM dti.unit
	  WHERE level = 'province' AND valid_to > '2030-12-31') p
WHERE p.n <= :clients;
DO $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT * FROM rel.client_unit LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.loader) THEN
			EXECUTE format('CREATE ROLE %I IN ROLE dti_loader', r.loader);
		END IF;
		PERFORM dti.grant_unit(r.loader, r.unit_code);
	END LOOP;
END $$;

-- Every province of 2025 submitted and verified in both years.
INSERT INTO dti.submission (unit_code, period, indicator, raw_value, source)
SELECT u.code, y::text, i.code,
	CASE i.code::text
		WHEN 'A.2' THEN ((u.id + y) % 2)::text
		WHEN 'B.1' THEN ((u.id * 7 + y) % 101 / 100.0)::text
		WHEN 'B.2' THEN (ARRAY['A', 'B', 'C', 'D', 'E'])[1 + (u.id + y) % 5]
		ELSE ((u.id * 13 + y) % 101)::text END,
	'fixture'
FROM dti.unit u, generate_series(2030, 2031) y, dti.framework_in_use f
JOIN dti.framework_indicator i ON i.framework_id = f.framework_id AND i.rule IS NOT NULL
WHERE u.level = 'province' AND u.valid_to > '2030-12-31' AND f.level = 'province' AND f.year = y;
SELECT count(dti.set_status(s.id, 'verified')) AS verified FROM dti.submission s;
CALL dti.refresh();
SELECT dti.build_score_wide('rel-abs') IS NOT NULL AS wide;
