-- make demo, part 2b: the A-E grading of the 84 administrative-procedure
-- information systems of 2024 (21 ministries and agencies, 63 provinces)
-- under Decision 473/QĐ-BTTTT.  The published facts it keeps: the counts
-- per level and grade (ministries 5 C, 1 D, 15 E; provinces 39 C, 15 D,
-- 9 E), the grades of the 16 units the announcement names, Hà Giang's 72.5
-- points (12th of 63) and 38.75 functionality points.  Everything else is
-- INVENTED: every other point value (source "synthetic", flagged in
-- dti.grading_score.synthetic row by row), and the 15 ministries at E, which
-- were not named (placeholders "Bộ, ngành chưa nêu tên NN").  Totals are
-- spread so that the level means come near the published 43 (ministries)
-- and 63 (provinces).  Loaded the way a loader loads: a CSV file, COPY into
-- dti.staging through dti-clean-text, dti.load_grading(), then verified.
-- Run by demo/demo.sh in demo/out, after demo/warehouse.sql, with tools/ on
-- the PATH (dti-clean-text).
\set ON_ERROR_STOP 1
\pset footer off

CREATE FUNCTION pg_temp.grading_rand(key text) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN ('x' || substr(md5('dti-grading-demo:' || key), 1, 8))::bit(32)::bigint / 4294967296.0;

-- The six ministries named in the announcement (added when not present)
-- and the 15 unnamed ones at E as placeholders.
CREATE TEMP TABLE demo_ministry (code text, name_vi text, grade text, named boolean);
INSERT INTO demo_ministry VALUES
	('BQP', 'Bộ Quốc phòng', 'C', true), ('BCA', 'Bộ Công an', 'C', true),
	('BGTVT', 'Bộ Giao thông vận tải', 'C', true), ('BKHDT', 'Bộ Kế hoạch và Đầu tư', 'C', true),
	('BTTTT', 'Bộ Thông tin và Truyền thông', 'C', true), ('BGDDT', 'Bộ Giáo dục và Đào tạo', 'D', true);
INSERT INTO demo_ministry
SELECT format('DEMO.M%s', lpad(k::text, 2, '0')), format('Bộ, ngành chưa nêu tên %s', lpad(k::text, 2, '0')), 'E', false
FROM generate_series(1, 15) AS k;
SELECT count(dti.add_ministry(m.code, m.name_vi, NULL, true)) AS ministries_added
FROM demo_ministry m
WHERE NOT EXISTS (SELECT 1 FROM dti.unit u WHERE u.level = 'ministry' AND u.name_vi = m.name_vi) \gset
UPDATE demo_ministry m SET code = u.code
FROM dti.unit u WHERE u.level = 'ministry' AND u.name_vi = m.name_vi;

\echo
\echo '== Grading of the information systems 2024 (Decision 473/QĐ-BTTTT; points SYNTHETIC except Hà Giang) =='
SELECT dti.open_grading(2024) AS systems_opened;

-- The target total of each system: the published grade, and a place in
-- its band spread evenly (Hà Giang: its published 72.5 points, 11
-- provinces above it).
CREATE TEMP TABLE demo_grading AS
WITH p AS (
	SELECT u.code, u.name_vi, 'province' AS level,
		   CASE WHEN u.code = '02' THEN 'C'
				WHEN u.name_vi IN ('Gia Lai', 'Đồng Nai', 'Thanh Hóa', 'Bình Thuận', 'Đồng Tháp', 'Khánh Hòa',
								   'Vĩnh Long', 'Hậu Giang', 'Phú Yên') THEN 'E' END AS grade,
		   u.code = '02' OR u.name_vi IN ('Gia Lai', 'Đồng Nai', 'Thanh Hóa', 'Bình Thuận', 'Đồng Tháp', 'Khánh Hòa',
										  'Vĩnh Long', 'Hậu Giang', 'Phú Yên') AS named
	FROM dti.unit u
	WHERE u.level = 'province' AND '2024-12-31' BETWEEN u.valid_from AND u.valid_to
), others AS (
	-- the 53 provinces not named: 38 at C (11 of them above Hà Giang), 15 at D
	SELECT p.code, row_number() OVER (ORDER BY pg_temp.grading_rand('place' || p.code)) AS k
	FROM p WHERE NOT p.named
), band AS (
	SELECT p.code, p.name_vi, p.level, p.named,
		   coalesce(p.grade, CASE WHEN o.k <= 38 THEN 'C' ELSE 'D' END) AS grade,
		   CASE WHEN p.code = '02' THEN 'HG'
				WHEN p.named THEN 'E'
				WHEN o.k <= 11 THEN 'C+'
				WHEN o.k <= 38 THEN 'C-'
				ELSE 'D' END AS slot
	FROM p LEFT JOIN others o ON o.code = p.code
	UNION ALL
	SELECT m.code, m.name_vi, 'ministry', m.named, m.grade, 'M' || m.grade FROM demo_ministry m
), placed AS (
	SELECT b.*, row_number() OVER (PARTITION BY b.slot ORDER BY pg_temp.grading_rand('total' || b.code)) AS i,
		   count(*) OVER (PARTITION BY b.slot) AS n
	FROM band b
)
SELECT x.code, x.name_vi, x.level, x.named, x.grade,
	   CASE x.slot WHEN 'HG' THEN 72.5
		   ELSE floor(4 * (r.lo + (r.hi - r.lo) * (x.i - 0.5) / x.n)) / 4 END AS total
FROM placed x
LEFT JOIN (VALUES ('C+', 72.75, 79.5), ('C-', 65.0, 72.25), ('D', 50.0, 64.75), ('E', 28.0, 49.5),
				  ('MC', 65.0, 74.0), ('MD', 55.0, 55.0), ('ME', 18.0, 49.0)) AS r (slot, lo, hi) ON r.slot = x.slot;

-- Points per group: each group other than functionality near the system's
-- share of its maximum, in quarter points; functionality takes the rest
-- (Hà Giang: its published 38.75).
CREATE TEMP TABLE demo_grading_score AS
WITH g AS (
	SELECT g.code, g.max_points FROM dti.grading_group g JOIN dti.grading_scale_in_use s ON s.scale_id = g.scale_id WHERE s.year = 2024
), rest AS (
	SELECT d.code AS unit_code, g.code AS group_code,
		   CASE WHEN d.code = '02' THEN CASE g.code WHEN 'GD' THEN 4.5 WHEN 'HN' THEN 14.25
																			  WHEN 'ATTT' THEN 10.5 WHEN 'TC' THEN 2.5 ELSE 2 END
				ELSE least(g.max_points, floor(4 * g.max_points * d.total / 100 * (0.85 + 0.3 * pg_temp.grading_rand(d.code || g.code))) / 4) END AS points
	FROM demo_grading d CROSS JOIN g WHERE g.code <> 'CN'
)
SELECT r.unit_code, r.group_code, r.points, 'synthetic' AS source FROM rest r
UNION ALL
SELECT d.code, 'CN', d.total - (SELECT sum(r.points) FROM rest r WHERE r.unit_code = d.code),
	   CASE WHEN d.code = '02' THEN 'published' ELSE 'synthetic' END
FROM demo_grading d;

\copy (SELECT unit_code, '2024' AS year, group_code AS indicator_code, points AS raw_value, source, NULL AS note FROM demo_grading_score ORDER BY unit_code, group_code) TO 'grading_2024_synthetic.csv' WITH (FORMAT csv, HEADER)

-- A loader granted every province and ministry loads the file.
DO $$ BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'demo_grading_loader') THEN
		CREATE ROLE demo_grading_loader NOLOGIN IN ROLE dti_loader;
	END IF;
END $$;
SELECT count(dti.grant_unit('demo_grading_loader', d.code)) AS units_granted FROM demo_grading d \gset
SET ROLE demo_grading_loader;
\copy dti.staging (unit_code, year, indicator_code, raw_value, source, note) FROM PROGRAM 'dti-clean-text grading_2024_synthetic.csv' WITH (FORMAT csv, HEADER)
SELECT load_id AS grading_load, staged, accepted, rejected FROM dti.load_grading('grading 2024 (synthetic except the published facts)') \gset
RESET ROLE;
SELECT :grading_load AS load, :staged AS staged, :accepted AS accepted, :rejected AS rejected,
	   dti.verify_grading(:grading_load) AS verified;

\echo
\echo '-- Systems per level and grade, 2024 (published: ministries 5 C, 1 D, 15 E; provinces 39 C, 15 D, 9 E):'
SELECT unit_level, string_agg(format('%s %s', systems, grade), ', ' ORDER BY grade) AS grades
FROM dti.grade_count WHERE year = 2024 GROUP BY unit_level ORDER BY unit_level;
\echo '-- Mean totals (published: ministries 43, provinces 63; synthetic here):'
SELECT unit_level, mean_points FROM dti.grade_mean WHERE year = 2024 AND code = 'TOTAL' ORDER BY unit_level;
\echo '-- The 16 units the announcement names, with their published grade:'
SELECT s.unit_level, s.unit, s.grade, d.grade AS published_grade, s.total, s.rank, s.synthetic
FROM dti.system_grade s JOIN demo_grading d ON d.code = s.unit_code
WHERE s.year = 2024 AND d.named ORDER BY s.unit_level, s.grade, s.unit;
SELECT count(*) FILTER (WHERE synthetic) AS synthetic_score_rows, count(*) FILTER (WHERE NOT synthetic) AS published_score_rows
FROM dti.grading_score WHERE load_id = :grading_load;
