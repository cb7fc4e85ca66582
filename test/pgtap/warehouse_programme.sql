-- dti_warehouse, the whole programme: ministries under Decision 922 ranked
-- within their two groups; provinces under Decision 405 (2024) without
-- published points (index and rank NULL with a reason, main indicators
-- ranked) until dti.complete_points(); the nation with its published
-- values; one series per level across framework changes and the merger.
BEGIN;
SELECT plan(29);

SELECT lives_ok('CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE', 'dti_warehouse installs');
SET LOCAL client_min_messages = warning;

SELECT results_eq(
	$$SELECT level, year, code FROM dti.framework_in_use WHERE year BETWEEN 2020 AND 2024 ORDER BY level, year$$,
	$$VALUES ('ministry', 2021, '922-ministry'), ('ministry', 2022, '922-ministry'), ('ministry', 2023, '922-ministry'),
			 ('nation', 2021, '922-nation'), ('nation', 2022, '922-nation'), ('nation', 2023, '922-nation'),
			 ('nation', 2024, '405-nation'),
			 ('province', 2020, '1726-province'), ('province', 2021, '922-province'), ('province', 2022, '922-province'),
			 ('province', 2023, '922-province'), ('province', 2024, '405-province')$$,
	'the shipped frameworks assess every level from 2020 to 2024');
SELECT results_eq(
	$$SELECT i.code::text, i.max_points, i.n_components FROM dti.framework_indicator i JOIN dti.framework f ON f.id = i.framework_id
	  WHERE f.code = '922-ministry' ORDER BY i.max_points DESC, i.code$$,
	$$VALUES ('HDCDS', 500::float8, 29), ('ATTT', 100, 16), ('HT', 100, 4), ('NL', 100, 5), ('NT', 100, 5), ('TC', 100, 11)$$,
	'ministries under 922: five foundation indicators of 100 points and one activity indicator of 500');

-- Four ministries, two in each group, scored in 2023.
SELECT ok(dti.add_ministry('M1', 'Bộ Một', 'Ministry One', true) > 0
	  AND dti.add_ministry('M2', 'Bộ Hai', 'Ministry Two', true) > 0
	  AND dti.add_ministry('M3', 'Bộ Ba', 'Ministry Three', false) > 0
	  AND dti.add_ministry('M4', 'Bộ Bốn', 'Ministry Four', false) > 0, 'four ministries added');
INSERT INTO dti.submission (unit_code, period, indicator, raw_value)
SELECT m.code, '2023', i.code, CASE WHEN i.code = 'HDCDS' THEN m.activity ELSE m.foundation END
FROM (VALUES ('M1', '1', '0.5'), ('M2', '0.8', '0.8'), ('M3', '0.6', '0.6'), ('M4', '0.5', '0.9')) AS m (code, foundation, activity)
CROSS JOIN (VALUES ('NT'), ('TC'), ('HT'), ('NL'), ('ATTT'), ('HDCDS')) AS i (code);

-- Three provinces in 2023 (922: every main indicator the same value) and
-- 2024 (405: the eight main indicators).
INSERT INTO dti.submission (unit_code, period, indicator, raw_value)
SELECT p.code, '2023', i.code::text, p.v
FROM (VALUES ('01', '0.6'), ('79', '0.7'), ('48', '0.5')) AS p (code, v)
CROSS JOIN dti.framework_indicator i JOIN dti.framework f ON f.id = i.framework_id
WHERE f.code = '922-province'
UNION ALL
SELECT p.code, '2024', i.code::text, p.v
FROM (VALUES ('01', '0.8'), ('79', '0.6'), ('48', '0.7')) AS p (code, v)
CROSS JOIN dti.framework_indicator i JOIN dti.framework f ON f.id = i.framework_id
WHERE f.code = '405-province';
DO $$ BEGIN PERFORM dti.set_status(s.id, 'verified') FROM dti.submission s; END $$;
CALL dti.refresh();

-- by hand: M1 (500 + 250) / 1000 = 0.75; M2 0.8; M3 0.6; M4 (250 + 450) / 1000 = 0.7
SELECT results_eq(
	$$SELECT unit_code, value, rank, ministry_group_rank, ministry_group FROM dti.ministry_ranking WHERE period = '2023' ORDER BY rank$$,
	$$VALUES ('M2', 0.8000, 1, 1, 'Bộ, ngành có cung cấp dịch vụ công'), ('M1', 0.7500, 2, 2, 'Bộ, ngành có cung cấp dịch vụ công'),
			 ('M4', 0.7000, 3, 1, 'Bộ, ngành không cung cấp dịch vụ công'), ('M3', 0.6000, 4, 2, 'Bộ, ngành không cung cấp dịch vụ công')$$,
	'ministries are ranked overall and within their group, with the group as a column');
SELECT is((SELECT count(*) FROM dti.province_ranking WHERE ministry_group IS NOT NULL OR ministry_group_rank IS NOT NULL),
	0::bigint, 'provinces have no ministry group');

SELECT results_eq(
	$$SELECT unit_code, value, rank, value_note IS NOT NULL FROM dti.province_ranking WHERE period = '2024' ORDER BY unit_code$$,
	$$VALUES ('01', NULL::numeric, NULL::integer, true), ('48', NULL, NULL, true), ('79', NULL, NULL, true)$$,
	'405 without points: the index and its rank are NULL, with a note');
SELECT matches((SELECT value_note FROM dti.province_ranking WHERE period = '2024' AND unit_code = '01'),
	'points of 8 main indicators of framework 405-province .*dti.complete_points', 'the note names the cause and the call');
SELECT results_eq(
	$$SELECT unit_code, value, rank FROM dti.score_long WHERE period = '2024' AND code = 'NT' ORDER BY rank$$,
	$$VALUES ('01', 0.8000, 1), ('48', 0.7000, 2), ('79', 0.6000, 3)$$,
	'405 without points: main-indicator values still score and rank');

-- Completing the points: every main indicator, adding up to 1,000.
SELECT throws_ok($$SELECT dti.complete_points('405-province', '{"NT": 125}')$$, '22023',
	NULL, 'points for some main indicators only are refused');
SELECT throws_ok($$SELECT dti.complete_points('405-province', '{"NT": 100, "TC": 100, "HT": 100, "NL": 100, "ATTT": 100, "CQS": 100, "KTS": 100, "XHS": 100}')$$,
	'22023', 'the main indicators of framework 405-province version 1 would have 800 points, not 1000',
	'points that do not add up to the framework''s max points are refused');
SELECT throws_ok($$SELECT dti.complete_points('405-province', '{"NT": 125, "TC": 125, "HT": 125, "NL": 125, "ATTT": 125, "CQS": 125, "KTS": 125, "XHS": 125, "XX": 0}')$$,
	'22023', NULL, 'an unknown indicator is refused');
SELECT throws_ok($$SELECT dti.complete_points('999-province', '{}')$$, 'P0002', NULL, 'an unknown framework is refused');
SELECT ok(dti.complete_points('405-province', '{"NT": 125, "TC": 125, "HT": 125, "NL": 125, "ATTT": 125, "CQS": 125, "KTS": 125, "XHS": 125}') > 0,
	'the documented call completes the points');
CALL dti.refresh();
SELECT results_eq(
	$$SELECT unit_code, value, rank, value_note FROM dti.province_ranking WHERE period = '2024' ORDER BY rank$$,
	$$VALUES ('01', 0.8000, 1, NULL::text), ('48', 0.7000, 2, NULL), ('79', 0.6000, 3, NULL)$$,
	'once the points are complete, the next refresh computes the index and ranks it');

-- The series across the framework change (922 in 2023, 405 in 2024).
SELECT results_eq(
	$$SELECT period, framework, value, rank, rank_prev, rank_change, framework_changed, source
	  FROM dti.province_series WHERE unit_code = '01' AND unit_valid_to = '2025-06-30' AND period >= '2023' ORDER BY period$$,
	$$VALUES ('2023', '922-province', 0.6000, 2, NULL::integer, NULL::integer, false, 'computed'),
			 ('2024', '405-province', 0.8000, 1, 2, 1, true, 'computed')$$,
	'the province series: value, rank, previous rank and change, and the framework change flagged');
-- across the merger: Hồ Chí Minh (79) = old 79 + 74 + 77, of which only 79 has values
SELECT results_eq(
	$$SELECT period, value, rank, members_with_value, source FROM dti.province_series
	  WHERE unit_code = '79' AND unit_valid_from = '2025-07-01' AND period >= '2023' ORDER BY period$$,
	$$VALUES ('2023', 0.7000, 1, 1, 'carried'), ('2024', 0.6000, 3, 1, 'carried')$$,
	'a unit formed in 2025 carries its predecessors'' values, ranked among the new units');
SELECT results_eq(
	$$SELECT period, framework, value, framework_changed, source FROM dti.nation_series ORDER BY period$$,
	$$VALUES ('2023', '922-nation', 0.7326, false, 'published'), ('2024', '405-nation', 0.7955, true, 'published')$$,
	'the nation''s series: the published values tagged with their framework');
SELECT results_eq(
	$$SELECT period, unit_code, rank, rank_prev FROM dti.ministry_series WHERE period = '2023' ORDER BY rank$$,
	$$VALUES ('2023', 'M2', 1, NULL::integer), ('2023', 'M1', 2, NULL), ('2023', 'M4', 3, NULL), ('2023', 'M3', 4, NULL)$$,
	'the ministry series');

-- Across the framework change, through the indicator map (922 -> 405: the
-- eight scored main indicators map to themselves; smart city maps to nothing).
INSERT INTO dti.indicator_map (from_framework_id, from_code, to_framework_id, to_code)
SELECT a.id, i.code, b.id, i.code
FROM dti.framework a JOIN dti.framework_indicator i ON i.framework_id = a.id, dti.framework b
WHERE a.code = '922-province' AND b.code = '405-province' AND i.code <> 'DTTM';
-- 01: 0.6 -> 0.8 on every indicator: each contributes 0.2 * 125 / 1000 = 0.025
SELECT results_eq(
	$$SELECT code, place, value_prev, value, contribution, contribution_points, share FROM dti.top_contributors
	  WHERE unit_code = '01' AND period = '2024' ORDER BY place$$,
	$$VALUES ('ATTT', 1, 0.6000, 0.8000, 0.025000, 25.00, 0.1250), ('CQS', 2, 0.6000, 0.8000, 0.025000, 25.00, 0.1250),
			 ('HT', 3, 0.6000, 0.8000, 0.025000, 25.00, 0.1250), ('KTS', 4, 0.6000, 0.8000, 0.025000, 25.00, 0.1250),
			 ('NL', 5, 0.6000, 0.8000, 0.025000, 25.00, 0.1250)$$,
	'top contributors across a framework change go through the indicator map');
SELECT results_eq(
	$$SELECT status, count(*)::integer, sum(contribution), string_agg(code, ',' ORDER BY code) FILTER (WHERE status <> 'mapped')
	  FROM dti.change_across_frameworks WHERE unit_code = '01' AND period = '2024' GROUP BY status ORDER BY status$$,
	$$VALUES ('mapped', 8, 0.200000, NULL), ('unmapped', 1, NULL, 'DTTM')$$,
	'mapped indicators are compared and add up to the change; the unmapped one is listed');
SELECT is((SELECT count(*) FROM dti.explain_across(1, NULL, 2, NULL)), 0::bigint, 'dti.explain_across() is strict');

-- Targets: Vietnamese names, labelled as translations.
SELECT results_eq(
	$$SELECT name_vi, name_vi_translated FROM dti.target_attainment WHERE code = 'DE_GDP' ORDER BY deadline$$,
	$$VALUES ('Tỷ trọng kinh tế số trong GDP', true), ('Tỷ trọng kinh tế số trong GDP', true)$$,
	'the shipped targets have Vietnamese names, marked as translations');
SELECT is((SELECT count(*) FROM dti."mục_tiêu_quốc_gia" WHERE "tên_là_bản_dịch" AND "tên" <> "tên_tiếng_anh"), 19::bigint,
	'the published targets view gives the name and says it is a translation');

-- A monitored count that is not a DTI indicator, with a target (synthetic).
INSERT INTO dti.monitored_series (code, name_vi, name_en, unit_of_measure, synthetic)
VALUES ('CDT_TEAMS', 'Tổ công nghệ số cộng đồng (thử)', 'Community digital technology teams (test)', 'count', true);
INSERT INTO dti.target (decision, pillar, code, name_en, name_vi, target_value, unit_of_measure, direction, deadline, verified)
VALUES ('SYNTHETIC', 'digital society', 'CDT_TEAMS', 'Community digital technology teams', 'Tổ công nghệ số cộng đồng', 1000, 'count', 'higher', '2026-12-31', false);
INSERT INTO dti.monitored_value (series_code, unit_id, period, value, source)
SELECT 'CDT_TEAMS', u.id, v.period, v.value, 'SYNTHETIC'
FROM (VALUES ('79', '2023', 200::float8), ('74', '2023', 100), ('77', '2023', 50), ('01', '2024', 300), ('79', '2025', 500)) AS v (code, period, value)
JOIN dti.unit u ON u.level = 'province' AND u.code = v.code AND dti.period_end(v.period) BETWEEN u.valid_from AND u.valid_to;
-- new 79 (2025): 500, its trend from the 2023 sum of 79, 74 and 77 (350):
-- 500 + 150 / 731 days * 365 days = 575 < 1000 by 2026-12-31
SELECT results_eq(
	$$SELECT unit_code, period, value, status, trend_from, trend_carried FROM dti.target_attainment
	  WHERE code = 'CDT_TEAMS' ORDER BY unit_code, period$$,
	$$VALUES ('01', '2024', 300::numeric, 'not enough data', '2024', false), ('74', '2023', 100, 'not enough data', '2023', false),
			 ('77', '2023', 50, 'not enough data', '2023', false), ('79', '2023', 200, 'not enough data', '2023', false),
			 ('79', '2025', 500, 'off track', '2023', true)$$,
	'a single value reads "not enough data"; a merged unit''s trend starts from its predecessors'' values');
SELECT results_eq(
	$$SELECT series_code, unit_code, period, value, target, dti, dti_rank, synthetic FROM dti.monitored_beside_dti
	  WHERE unit_code = '01'$$,
	$$VALUES ('CDT_TEAMS', '01', '2024', 300::numeric, 1000::numeric, 0.8000, 1, true)$$,
	'a monitored count is seen beside the DTI of the unit and period, with its target');
SELECT throws_ok($$INSERT INTO dti.monitored_value (series_code, unit_id, period, value) SELECT 'NO_SUCH', 1, '2024', 1$$,
	'23503', NULL, 'a value of an unknown series is refused');

-- Rights: readers read every new view; the completing call is an admin's.
SELECT ok(bool_and(has_table_privilege('dti_reader', c, 'SELECT')), 'readers may read every new view')
FROM unnest(ARRAY['dti.ministry_ranking', 'dti.series', 'dti.province_series', 'dti.ministry_series', 'dti.nation_series',
			  'dti.change_across_frameworks', 'dti.monitored_beside_dti', 'dti.target_attainment']) AS c;
SELECT ok(NOT has_function_privilege('public', 'dti.complete_points(text, jsonb)', 'EXECUTE')
	  AND has_function_privilege('dti_admin', 'dti.complete_points(text, jsonb)', 'EXECUTE'),
	'dti.complete_points() is for admins, not for everyone');

SELECT * FROM finish();
ROLLBACK;
