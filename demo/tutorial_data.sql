-- The example files of docs/tutorial.md: SYNTHETIC data, generated from a
-- fixed seed, never a published figure.  Run with psql in the top directory
-- of the checkout, in a database with dti_warehouse, as a role that reads
-- dti.framework_indicator, dti.unit and the grading scale (dti_admin, dti_loader):
--
--   \i demo/tutorial_data.sql
--
-- It writes, in demo/out/:
--   framework_synthetic.csv    a framework with the nine main indicators of
--                              Decision 922/QĐ-BTTTT and 98 generated
--                              components (one row per node);
--   submissions_synthetic.csv  a portal export of the 63 provinces for 2023
--                              and 2024, as portals write them: Thừa Thiên
--                              Huế is named, not coded, in 2024, one line has
--                              a field too many, and one names a province
--                              that does not exist;
--   grading_2024_synthetic.csv the points of the 63 provinces' information
--                              systems on the six groups of Decision
--                              473/QĐ-BTTTT for 2024, and one line with a
--                              group that does not exist (it reads the
--                              grading scale: dti_admin or dti_loader).
\set ON_ERROR_STOP 1
\! mkdir -p demo/out

CREATE FUNCTION pg_temp.tutorial_rand(key text) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN ('x' || substr(md5('dti-tutorial-seed:' || key), 1, 8))::bit(32)::bigint / 4294967296.0;

CREATE TEMP TABLE tutorial_node AS
WITH main AS (
	SELECT i.code::text AS main, i.name_vi, i.max_points, i.scored, i.n_components
	FROM dti.framework_indicator i JOIN dti.framework f ON f.id = i.framework_id
	WHERE f.code = '922-province' AND f.version = 1
), component AS (
	SELECT m.main || '.' || k AS code,
		   format('%s: chỉ số thành phần %s (tổng hợp)', m.name_vi, k) AS name_vi,
		   CASE WHEN m.scored THEN floor(m.max_points / m.n_components)
				+ CASE WHEN k <= m.max_points::integer % m.n_components THEN 1 ELSE 0 END ELSE 0 END AS max_points,
		   m.scored,
		   (ARRAY['ratio', 'target(80)', 'steps(1:0.5, 2:1)', 'bool', 'best',
				  'grade(A:1, B:0.8, C:0.65, D:0.5, E:0)'])[1 + (k + length(m.main)) % 6] AS rule
	FROM main m, generate_series(1, m.n_components) AS k
)
SELECT m.main AS code, m.name_vi, m.max_points, m.scored, NULL::text AS rule, NULL::text AS unit_of_measure,
	   NULL::numeric AS value_min, NULL::numeric AS value_max
FROM main m
UNION ALL
SELECT c.code, c.name_vi, c.max_points, c.scored, c.rule,
	   CASE c.rule WHEN 'ratio' THEN 'ratio' WHEN 'target(80)' THEN 'percent' WHEN 'bool' THEN 'yes/no'
				   WHEN 'best' THEN 'count' WHEN 'steps(1:0.5, 2:1)' THEN 'tier (0 none, 1 half, 2 full)' ELSE 'grade' END,
	   CASE WHEN c.rule LIKE 'grade%' THEN NULL ELSE 0 END,
	   CASE c.rule WHEN 'ratio' THEN 1 WHEN 'target(80)' THEN 100 WHEN 'bool' THEN 1 WHEN 'steps(1:0.5, 2:1)' THEN 2 END
FROM component c;

\copy (SELECT * FROM tutorial_node ORDER BY code) TO 'demo/out/framework_synthetic.csv' WITH (FORMAT csv, HEADER)

-- one line of CSV text per record, so that the export can hold the lines a
-- portal gets wrong
CREATE TEMP TABLE tutorial_line AS
WITH p AS (
	SELECT u.code,
		   least(0.92, 0.22 + 0.40 * pg_temp.tutorial_rand('cap' || u.code)
				 + CASE WHEN u.code IN ('48', '01', '79', '22', '46') THEN 0.18 ELSE 0 END) AS capacity,
		   0.03 + 0.06 * pg_temp.tutorial_rand('mom' || u.code) AS momentum
	FROM dti.unit u WHERE u.level = 'province' AND u.valid_to = '2025-06-30'
), q AS (
	SELECT p.code AS unit_code, y AS year, c.code AS indicator, c.rule,
		   greatest(0, least(1, p.capacity + p.momentum * (y - 2023)
			   + 0.30 * (pg_temp.tutorial_rand(p.code || c.code) - 0.5)
			   + 0.25 * (pg_temp.tutorial_rand(p.code || c.code || y) - 0.5))) AS q
	FROM p, tutorial_node c, generate_series(2023, 2024) AS y
	WHERE c.rule IS NOT NULL
), v AS (
	SELECT CASE WHEN q.unit_code = '46' AND q.year = 2024 THEN 'Thừa Thiên Huế' ELSE q.unit_code END AS unit_code,
		   q.year, q.indicator,
		   CASE q.rule
			   WHEN 'ratio' THEN round(q.q::numeric, 4)::text
			   WHEN 'target(80)' THEN round((100 * q.q)::numeric, 1)::text
			   WHEN 'steps(1:0.5, 2:1)' THEN CASE WHEN q.q > 0.6 THEN '2' WHEN q.q > 0.3 THEN '1' ELSE '0' END
			   WHEN 'bool' THEN CASE WHEN q.q > 0.4 THEN '1' ELSE '0' END
			   WHEN 'best' THEN round(400 * q.q * q.q)::text
			   ELSE CASE WHEN q.q >= 0.9 THEN 'A' WHEN q.q >= 0.8 THEN 'B' WHEN q.q >= 0.65 THEN 'C'
						 WHEN q.q >= 0.5 THEN 'D' ELSE 'E' END
		   END AS raw_value
	FROM q
)
SELECT row_number() OVER (ORDER BY v.year, v.unit_code, v.indicator) AS k,
	   format('%s,%s,%s,%s,SYNTHETIC: tutorial,"synthetic, not a published value"', v.unit_code, v.year, v.indicator, v.raw_value) AS line
FROM v;
INSERT INTO tutorial_line VALUES
	(0, 'unit_code,year,indicator_code,raw_value,source,note'),
	((SELECT max(k) + 1 FROM tutorial_line), '01,2024,CQS.1,0.5,SYNTHETIC: tutorial,"a line with a field too many",extra'),
	((SELECT max(k) + 2 FROM tutorial_line), 'Tỉnh Không Tên,2024,CQS.1,0.5,SYNTHETIC: tutorial,"no such province"');
\copy (SELECT line FROM tutorial_line ORDER BY k) TO 'demo/out/submissions_synthetic.csv'
DROP TABLE tutorial_line, tutorial_node;

-- The grading of the information systems 2024 (Decision 473/QĐ-BTTTT):
-- SYNTHETIC points of each province's main system on the six groups, in
-- quarter points, and one line with a group that does not exist.
CREATE TEMP TABLE tutorial_grading AS
SELECT u.code AS unit_code, '2024' AS year, g.code AS group_code,
	   (floor(4 * g.max_points * (0.35 + 0.6 * (('x' || substr(md5('tutorial-grading:' || u.code || g.code), 1, 8))::bit(32)::bigint
									 / 4294967296.0))) / 4)::numeric(6,2)::text AS points
FROM dti.unit u
CROSS JOIN dti.grading_group g
JOIN dti.grading_scale_in_use s ON s.scale_id = g.scale_id AND s.year = 2024
WHERE u.level = 'province' AND u.valid_to = '2025-06-30';
\copy (SELECT unit_code, year, group_code AS indicator_code, points AS raw_value, 'synthetic' AS source, 'SYNTHETIC: tutorial' AS note FROM tutorial_grading UNION ALL SELECT '01', '2024', 'XX', '1.0', 'synthetic', 'no such group' ORDER BY 1, 3) TO 'demo/out/grading_2024_synthetic.csv' WITH (FORMAT csv, HEADER)
DROP TABLE tutorial_grading;
