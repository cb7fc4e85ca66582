-- dti_warehouse grading of the administrative-procedure information systems
-- (Decision 473/QĐ-BTTTT, 2024): the shipped scale, the band edges on exact
-- totals, a loader granted Hà Giang loading its system's scores through
-- dti.staging, verification, the published facts (Hà Giang 72.5 points -> C;
-- the grades of the 16 units the 2024 announcement names), ranks, change
-- since the previous year, the weakest group, and what each role may do.
-- Only Hà Giang's total (72.5) and functionality points (38.75) are
-- published; its other group points here are invented to add up to them,
-- and the other named units get totals at the lower edge of their published
-- band (C 65, D 50) or the upper edge of E (49.99).
BEGIN;
SELECT plan(36);

SELECT lives_ok('CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE', 'dti_warehouse installs');

-- The grade beside the DTI: two columns at the end of the ranking views.
SELECT is((SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	WHERE c.relnamespace = 'dti'::regnamespace AND c.relname IN ('ranking', 'province_ranking')
	  AND a.attname IN ('system_points', 'system_grade') AND a.attnum > 14 AND col_description(c.oid, a.attnum) IS NOT NULL),
	4::bigint, 'dti.ranking and dti.province_ranking end with the points and grade of the unit''s system, commented');

-- The shipped scale of 2024.
SELECT results_eq($$SELECT code, decision, max_points FROM dti.grading_scale WHERE shipped$$,
	$$VALUES ('473-2024', '473/QĐ-BTTTT', 100::numeric)$$, 'Decision 473 ships as the grading scale of 2024');
SELECT results_eq($$SELECT g.code, g.max_points FROM dti.grading_group g JOIN dti.grading_scale s ON s.id = g.scale_id
	WHERE s.code = '473-2024' ORDER BY g.position$$,
	$$VALUES ('CN', 50::numeric), ('GD', 5), ('HN', 20), ('ATTT', 15), ('TC', 5), ('KN', 5)$$,
	'six groups: functionality 50, interface 5, performance 20, security 15, accessibility 5, connection 5');
SELECT results_eq($$SELECT b.grade, b.min_points FROM dti.grading_band b JOIN dti.grading_scale s ON s.id = b.scale_id
	WHERE s.code = '473-2024' ORDER BY b.min_points DESC$$,
	$$VALUES ('A', 90::numeric), ('B', 80), ('C', 65), ('D', 50), ('E', 0)$$, 'bands A 90, B 80, C 65, D 50, E below');
SELECT throws_ok($$UPDATE dti.grading_group SET max_points = 40 WHERE code = 'CN'$$, '55000', NULL,
	'the 2024 scale is frozen: its groups do not change');
SELECT throws_ok($$INSERT INTO dti.grading_band (scale_id, grade, min_points) SELECT id, 'F', 10 FROM dti.grading_scale WHERE code = '473-2024'$$,
	'55000', NULL, 'nor do its bands');

-- Band edges, on the total at its published 2 decimals.
SELECT results_eq($$SELECT x, dti.grading_grade(2024, x) FROM unnest('{49.99,50,64.99,65,79.99,80,89.99,90,100,0,72.5}'::numeric[]) x$$,
	$$VALUES (49.99, 'E'), (50::numeric, 'D'), (64.99, 'D'), (65::numeric, 'C'), (79.99, 'C'), (80::numeric, 'B'),
			 (89.99, 'B'), (90::numeric, 'A'), (100::numeric, 'A'), (0::numeric, 'E'), (72.5, 'C')$$,
	'49.99/50, 64.99/65, 79.99/80, 89.99/90 are E/D, D/C, C/B, B/A');
SELECT is(dti.grading_grade(2024, 64.999), 'C', 'a total is rounded to 2 decimals first: 64.999 is 65.00, a C');
SELECT is(dti.grading_grade(2024, (0.1::float8 * 3 + 64.69::float8)::numeric), 'D', 'a float sum just under 65 stays a D');
SELECT is(dti.grading_grade(2019, 70), NULL, 'a year without a scale has no grade');

-- Ministries named in the 2024 announcement (added when not shipped).
CREATE FUNCTION pg_temp.ministry(code text, name text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM dti.unit u WHERE u.level = 'ministry' AND u.name_vi = name) THEN
		PERFORM dti.add_ministry(code, name, NULL, true);
	END IF;
	RETURN (SELECT u.code FROM dti.unit u WHERE u.level = 'ministry' AND u.name_vi = name ORDER BY u.id LIMIT 1);
END $$;
CREATE TEMP TABLE named (unit_code text, unit text, level text, grade text, total numeric);
INSERT INTO named
SELECT pg_temp.ministry(c, n), n, 'ministry', g, CASE g WHEN 'C' THEN 65 ELSE 50 END
FROM (VALUES ('T.BQP', 'Bộ Quốc phòng', 'C'), ('T.BCA', 'Bộ Công an', 'C'), ('T.BGTVT', 'Bộ Giao thông vận tải', 'C'),
			 ('T.BKHDT', 'Bộ Kế hoạch và Đầu tư', 'C'), ('T.BTTTT', 'Bộ Thông tin và Truyền thông', 'C'),
			 ('T.BGDDT', 'Bộ Giáo dục và Đào tạo', 'D')) AS m (c, n, g);
INSERT INTO named
SELECT dti.unit_code(n, '2024-12-31'), n, 'province', 'E', 49.99
FROM unnest(ARRAY['Gia Lai', 'Đồng Nai', 'Thanh Hóa', 'Bình Thuận', 'Đồng Tháp', 'Khánh Hòa', 'Vĩnh Long', 'Hậu Giang', 'Phú Yên']) n;
INSERT INTO named VALUES ('02', 'Hà Giang', 'province', 'C', 72.5);
GRANT SELECT ON named TO PUBLIC;

CREATE ROLE dti_t_hagiang LOGIN IN ROLE dti_loader;
CREATE ROLE dti_t_gverifier LOGIN IN ROLE dti_verifier;
CREATE ROLE dti_t_greader LOGIN IN ROLE dti_reader;
CREATE ROLE dti_t_gadmin LOGIN IN ROLE dti_admin;

SET ROLE dti_t_gadmin;
SELECT cmp_ok(dti.open_grading(2024), '>=', 69, 'the admin opens 2024: a main system for each province and ministry');
SELECT lives_ok($$SELECT dti.grant_unit('dti_t_hagiang', '02')$$, 'and grants Hà Giang to its loader');
SELECT throws_ok($$SELECT dti.add_grading_system('02', 2024, '02', 'Bản sao')$$, '23505', NULL, 'a system code is unique in its year');
RESET ROLE;

-- The loader of Hà Giang stages its system's scores as a file would.
SET ROLE dti_t_hagiang;
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, source) VALUES
	('02', '2024', 'CN', '38.75', 'published'), ('02', '2024', 'GD', '4.5', 'test'), ('02', '2024', 'HN', '14.25', 'test'),
	('02', '2024', 'ATTT', '10.5', 'test'), ('02', '2024', 'TC', '2.5', 'test'), ('02', '2024', 'KN', '2', 'test'),
	('01', '2024', 'CN', '40', 'test'), ('02', '2024', 'XX', '1', 'test'), ('02', '2024', 'GD', '6', 'test'),
	('02', '2024', 'TC', '2,5', 'test'), ('02', '2019', 'CN', '30', 'test');
SELECT results_eq($$SELECT staged, accepted, rejected, reasons FROM dti.load_grading('Hà Giang 2024')$$,
	$$VALUES (11::bigint, 6::bigint, 5::bigint,
			  '{"not_granted": 1, "unknown_indicator": 1, "out_of_range": 1, "unparseable_value": 1, "unknown_unit": 1}'::jsonb)$$,
	'a load takes the granted, valid rows and rejects the others with their reason');
SELECT results_eq($$SELECT reason FROM dti.reject WHERE indicator_code IN ('XX', 'GD') OR unit_code = '01' ORDER BY line$$,
	$$VALUES ('unit 01 (system 01) is not granted to role dti_t_hagiang'),
			 ('group "XX" is not in grading scale 473-2024 of 2024'),
			 ('points 6 are outside [0, 5] of group GD')$$, 'the rejects say why');
SELECT is((SELECT count(*) FROM dti.my_staging), 0::bigint, 'the staging rows are consumed');
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value) VALUES ('02', '2024', 'CN', '38.75');
SELECT results_eq($$SELECT accepted, reasons FROM dti.load_grading()$$, $$VALUES (0::bigint, '{"unchanged": 1}'::jsonb)$$,
	'loading the same points again adds nothing');
SELECT throws_ok($$INSERT INTO dti.grading_score (system_id, group_code, points)
	SELECT id, 'CN', 10 FROM dti.grading_system WHERE code = '01' AND year = 2024$$,
	'42501', NULL, 'the loader cannot write another unit''s system directly');
SELECT throws_ok($$SELECT dti.verify_grading(1)$$, '42501', NULL, 'the loader cannot verify');
RESET ROLE;

SELECT is((SELECT count(*) FROM dti.system_grade WHERE unit_code = '02'), 0::bigint, 'unverified scores grade nothing');

SET ROLE dti_t_gverifier;
SELECT is(dti.verify_grading((SELECT max(load_id) FROM dti.grading_score WHERE unit_code = '02')), 6::bigint,
	'the verifier verifies the load in bulk');
RESET ROLE;

SELECT results_eq($$SELECT total, grade, weakest_group FROM dti.system_grade WHERE unit_code = '02' AND year = 2024$$,
	$$VALUES (72.50::numeric, 'C', 'KN')$$, 'Hà Giang: 72.5 points, grade C (published); weakest group connection (2 of 5)');

-- The other named units, at the edges of their published bands, loaded by
-- the admin (the group points split the total: 50 % functionality, the rest
-- in proportion).
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, source)
SELECT n.unit_code, '2024', g.code,
	   (CASE WHEN g.code = 'CN' THEN n.total - 3 * round(n.total * 0.05, 2) - round(n.total * 0.20, 2) - round(n.total * 0.15, 2)
			 ELSE round(n.total * g.max_points / 100, 2) END)::text, 'test'
FROM named n CROSS JOIN dti.grading_group g JOIN dti.grading_scale s ON s.id = g.scale_id AND s.code = '473-2024'
WHERE n.unit_code <> '02';
SELECT results_eq($$SELECT accepted, rejected FROM dti.load_grading('named units')$$, $$VALUES (90::bigint, 0::bigint)$$,
	'the admin loads the 15 other named units');
SELECT is(dti.verify_grading((SELECT max(id) FROM dti.load)), 90::bigint, 'and verifies them');
SELECT results_eq($$SELECT n.unit, g.grade, g.total FROM named n JOIN dti.system_grade g ON g.unit_code = n.unit_code AND g.year = 2024 ORDER BY n.level, n.unit$$,
	$$SELECT unit, grade, total FROM named ORDER BY level, unit$$, 'the 16 named units have their published 2024 grades');
SELECT results_eq($$SELECT unit_level, grade, systems FROM dti.grade_count WHERE year = 2024 AND systems > 0 ORDER BY 1, 2$$,
	$$VALUES ('ministry', 'C', 5), ('ministry', 'D', 1), ('province', 'C', 1), ('province', 'E', 9)$$, 'counts per level and grade');
SELECT results_eq($$SELECT rank, ranked FROM dti.system_grade WHERE unit_code = '02' AND year = 2024$$,
	$$VALUES (1, 10)$$, 'Hà Giang ranks first of the ten graded provinces here (ministries rank apart)');
SELECT is((SELECT mean_points FROM dti.grade_mean WHERE year = 2024 AND unit_level = 'ministry' AND code = 'TOTAL'),
	62.50::numeric, 'mean total of the ministries');

-- Change since the previous year: a test scale for 2023 with the same groups.
SET ROLE dti_t_gadmin;
SELECT ok(dti.create_grading_scale('t-2023', 2023, 'Thang điểm thử') > 0, 'the admin creates a scale for 2023');
INSERT INTO dti.grading_group (code, name_vi, max_points, position)
SELECT g.code, g.name_vi, g.max_points, g.position FROM dti.grading_group g JOIN dti.grading_scale s ON s.id = g.scale_id AND s.code = '473-2024';
INSERT INTO dti.grading_band (grade, min_points)
SELECT b.grade, b.min_points FROM dti.grading_band b JOIN dti.grading_scale s ON s.id = b.scale_id AND s.code = '473-2024';
SELECT ok(dti.add_grading_system('02', 2023, '02', 'Hệ thống thông tin giải quyết thủ tục hành chính Hà Giang') > 0,
	'and registers Hà Giang''s system of 2023');
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value)
VALUES ('02', '2023', 'CN', '20'), ('02', '2023', 'GD', '3'), ('02', '2023', 'HN', '10'), ('02', '2023', 'ATTT', '8'),
	   ('02', '2023', 'TC', '2'), ('02', '2023', 'KN', '1.5');
SELECT is((SELECT dti.verify_grading(load_id) FROM dti.load_grading()), 6::bigint, 'Hà Giang 2023 loaded and verified');
RESET ROLE;
SELECT results_eq($$SELECT total_prev, total_change, grade_prev FROM dti.system_grade WHERE unit_code = '02' AND year = 2024$$,
	$$VALUES (44.50::numeric, 28.00::numeric, 'E')$$, 'change since the previous year');

-- Readers see the BI views, not the scores.
SET ROLE dti_t_greader;
SELECT is((SELECT grade FROM dti.system_grade WHERE unit_code = '02' AND year = 2024), 'C', 'the reader reads the grades');
SELECT is((SELECT count(*) FROM dti.grade_map WHERE year = 2024 AND unit_code = '02'), 1::bigint, 'and the map of grades');
SELECT throws_ok($$SELECT * FROM dti.grading_score$$, '42501', NULL, 'but not the scores');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
