-- make demo, part 2: the warehouse on SYNTHETIC data.
--
-- A framework with the real nine main indicators of Decision 922/QĐ-BTTTT and
-- 98 generated component indicators under them (realistic rule types:
-- ratio, target, full/half/zero tiers, yes/no, ratio to the best unit,
-- A-E grades), seeded synthetic submissions of the 63 provinces for
-- 2021-2024 written to CSV files and loaded the way a data engineer loads
-- portal exports (COPY into dti.staging, dti.load_staging()), verified,
-- refreshed, then read back through the BI and map views.  None of these
-- values is a published figure.  Run by demo/demo.sh in the directory where
-- the CSV files go (demo/out).
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE;
RESET client_min_messages;

\echo
\echo '== dti_warehouse demo (SYNTHETIC data: generated, not published results) =='
SELECT extversion AS "dti_warehouse version" FROM pg_extension WHERE extname = 'dti_warehouse';
SELECT layer, count(*) FILTER (WHERE u.level = 'province' AND u.valid_to < '2025-07-01') AS "63 provinces",
	   count(*) FILTER (WHERE u.level = 'province' AND u.valid_from >= '2025-07-01') AS "34 units (dissolve)",
	   count(*) FILTER (WHERE u.level = 'region') AS "regions (dissolve)",
	   bool_and(ST_IsValid(geom)) AS "all valid"
FROM dti.unit_boundary b JOIN dti.unit u ON u.id = b.unit_id GROUP BY layer;

-- A deterministic pseudo-random number in [0, 1) from a text key: the same
-- key gives the same number on every run and in every order of evaluation.
CREATE FUNCTION pg_temp.demo_rand(key text) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN ('x' || substr(md5('dti-demo-seed-2026:' || key), 1, 8))::bit(32)::bigint / 4294967296.0;

------------------------------------------------------------------------------
-- The framework: the nine real main indicators, 98 synthetic components
------------------------------------------------------------------------------

CREATE TEMP TABLE demo_component AS
WITH main AS (
	SELECT i.code::text AS main, i.name_vi, i.max_points, i.scored, i.n_components
	FROM dti.framework_indicator i JOIN dti.framework f ON f.id = i.framework_id
	WHERE f.code = '922-province' AND f.version = 1
)
SELECT m.main || '.' || k AS code,
	   m.main,
	   format('%s: chỉ số thành phần %s (tổng hợp)', m.name_vi, k) AS name_vi,
	   CASE WHEN m.scored THEN floor(m.max_points / m.n_components) + CASE WHEN k <= m.max_points::integer % m.n_components THEN 1 ELSE 0 END
			ELSE 0 END AS max_points,
	   m.scored,
	   (ARRAY['ratio', 'target(80)', 'steps(1:0.5, 2:1)', 'bool', 'best', 'grade(A:1, B:0.8, C:0.65, D:0.5, E:0)'])[1 + (k + length(m.main)) % 6] AS rule
FROM main m, generate_series(1, m.n_components) AS k;

\echo
\echo '-- A framework with the real main indicators of Decision 922 and 98 SYNTHETIC components, for 2021-2024:'
SELECT dti.create_framework('922-synthetic', 'province', ARRAY[2021, 2022, 2023, 2024],
		'Bộ chỉ số 922 với chỉ số thành phần tổng hợp (dữ liệu tổng hợp)', '922/QĐ-BTTTT (cấu trúc chỉ số chính)',
		'Decision 922 main indicators with synthetic components (demo)', 1000) AS framework_id \gset
INSERT INTO dti.framework_indicator (framework_id, code, name_vi, name_en, group_name, max_points, scored, n_components)
SELECT :framework_id, i.code, i.name_vi, i.name_en, i.group_name, i.max_points, i.scored, i.n_components
FROM dti.framework_indicator i JOIN dti.framework f ON f.id = i.framework_id
WHERE f.code = '922-province' AND f.version = 1;
INSERT INTO dti.framework_indicator (framework_id, code, name_vi, max_points, scored, rule, unit_of_measure, value_min, value_max)
SELECT :framework_id, c.code::indicator_code, c.name_vi, c.max_points, c.scored, c.rule::scoring_rule,
	   CASE c.rule WHEN 'ratio' THEN 'ratio' WHEN 'target(80)' THEN 'percent' WHEN 'bool' THEN 'yes/no'
				   WHEN 'best' THEN 'count' WHEN 'steps(1:0.5, 2:1)' THEN 'tier (0 none, 1 half, 2 full)' ELSE 'grade' END,
	   CASE WHEN c.rule LIKE 'grade%' THEN NULL ELSE 0 END,
	   CASE c.rule WHEN 'ratio' THEN 1 WHEN 'target(80)' THEN 100 WHEN 'bool' THEN 1 WHEN 'steps(1:0.5, 2:1)' THEN 2 END
FROM demo_component c;
SELECT count(*) FILTER (WHERE nlevel(code) = 1) AS main_indicators, count(*) FILTER (WHERE nlevel(code) = 2) AS components,
	   sum(max_points) FILTER (WHERE nlevel(code) = 2) AS points
FROM dti.framework_indicator WHERE framework_id = :framework_id;
SELECT scoring_rule_kind(rule) AS rule_kind, count(*) AS components, sum(max_points) AS points
FROM dti.framework_indicator WHERE framework_id = :framework_id AND rule IS NOT NULL GROUP BY 1 ORDER BY 2 DESC;

------------------------------------------------------------------------------
-- Seeded synthetic submissions, written as CSV and loaded like portal exports
------------------------------------------------------------------------------

CREATE TEMP TABLE demo_submission AS
WITH p AS (
	-- a province's capacity and momentum (the big cities and Đà Nẵng start higher)
	SELECT u.code,
		   least(0.92, 0.22 + 0.40 * pg_temp.demo_rand('cap' || u.code)
				 + CASE WHEN u.code IN ('48', '01', '79', '22', '46') THEN 0.18 ELSE 0 END) AS capacity,
		   0.03 + 0.06 * pg_temp.demo_rand('mom' || u.code) AS momentum
	FROM dti.unit u WHERE u.level = 'province' AND u.valid_to = '2025-06-30'
), q AS (
	SELECT p.code AS unit_code, y AS year, c.code AS indicator, c.rule,
		   greatest(0, least(1, p.capacity + p.momentum * (y - 2021)
			   + 0.30 * (pg_temp.demo_rand(p.code || c.code) - 0.5)
			   + 0.25 * (pg_temp.demo_rand(p.code || c.code || y) - 0.5))) AS q
	FROM p, demo_component c, generate_series(2021, 2024) AS y
)
SELECT unit_code, year::text AS year, indicator,
	   CASE rule
		   WHEN 'ratio' THEN round(q::numeric, 4)::text
		   WHEN 'target(80)' THEN round((100 * q)::numeric, 1)::text
		   WHEN 'steps(1:0.5, 2:1)' THEN CASE WHEN q > 0.6 THEN '2' WHEN q > 0.3 THEN '1' ELSE '0' END
		   WHEN 'bool' THEN CASE WHEN q > 0.4 THEN '1' ELSE '0' END
		   WHEN 'best' THEN round(400 * q * q)::text
		   ELSE CASE WHEN q >= 0.9 THEN 'A' WHEN q >= 0.8 THEN 'B' WHEN q >= 0.65 THEN 'C' WHEN q >= 0.5 THEN 'D' ELSE 'E' END
	   END AS raw_value,
	   'SYNTHETIC: make demo' AS source,
	   'synthetic, not a published value' AS note
FROM q;

\echo
\echo '-- SYNTHETIC submissions written as CSV (the portal export format) and loaded through dti.staging:'
\copy (SELECT * FROM demo_submission ORDER BY year, unit_code, indicator) TO 'submissions_synthetic.csv' WITH (FORMAT csv, HEADER)
\copy (SELECT code, name_vi, max_points, scored, rule, unit_of_measure, value_min, value_max FROM dti.framework_indicator WHERE framework_id = (SELECT id FROM dti.framework WHERE code = '922-synthetic') ORDER BY code) TO 'framework_synthetic.csv' WITH (FORMAT csv, HEADER)
\copy dti.staging (unit_code, year, indicator_code, raw_value, source, note) FROM 'submissions_synthetic.csv' WITH (FORMAT csv, HEADER)
SELECT load_id, staged, accepted, rejected, reasons FROM dti.load_staging('synthetic demo data');
\echo '-- every revision is verified (by the verifier role in real life):'
SELECT count(dti.set_status(s.id, 'verified')) AS verified FROM dti.submission s;

\echo
\echo '-- CALL dti.refresh(): score, roll up and rank every period'
CALL dti.refresh();
SELECT run, seconds, periods, scorecards, ranks, outcome FROM dti.refresh_history ORDER BY run DESC LIMIT 1;

------------------------------------------------------------------------------
-- What an analyst reads
------------------------------------------------------------------------------

\echo
\echo '-- Top 10 of 2024 (SYNTHETIC), with the change since 2023:'
SELECT rank, unit, region, value, rank_prev, rank_change, value_change, band
FROM dti.province_ranking WHERE period = '2024' AND framework = '922-synthetic' ORDER BY rank, unit_code LIMIT 10;

\echo '-- The biggest move of 2024 and its main reasons (dti.top_contributors, from explain_change):'
SELECT unit_code AS biggest_mover, unit AS biggest_mover_name, rank_prev, rank, rank_change
FROM dti.province_ranking WHERE period = '2024' AND framework = '922-synthetic'
ORDER BY abs(rank_change) DESC NULLS LAST, rank LIMIT 1 \gset
SELECT :'biggest_mover_name' AS unit, :rank_prev AS rank_2023, :rank AS rank_2024, :rank_change AS rank_change;
SELECT place, code, name_vi, value_prev, value, contribution_points, share
FROM dti.top_contributors WHERE unit_code = :'biggest_mover' AND period = '2024' ORDER BY place;

\echo
\echo '-- How solid are the top 10 ranks? rank_intervals(): 1,000 draws of the weights within +-25%, seed 2026'
CREATE TEMP TABLE demo_interval AS
WITH s AS (
	SELECT array_agg(u.code ORDER BY u.code) AS units, array_agg(r.scorecard ORDER BY u.code) AS cards
	FROM dti.result_scorecard r JOIN dti.unit u ON u.id = r.unit_id
	WHERE r.period = '2024' AND r.framework_id = :framework_id
)
SELECT i.unit AS unit_code, i.nominal_rank, i.median_rank, i.p05, i.p95, i.keep_share
FROM s, rank_intervals(dti.framework_tree(:framework_id), s.units, s.cards, 1000, 0.25, 2026) i;
SELECT i.nominal_rank, u.unit, i.median_rank, i.p05, i.p95, round(i.keep_share::numeric, 3) AS keep_share
FROM demo_interval i JOIN dti.province_ranking u ON u.unit_code = i.unit_code AND u.period = '2024' AND u.framework = '922-synthetic'
WHERE i.nominal_rank <= 10 ORDER BY i.nominal_rank, u.unit;

\echo
\echo '-- The 2025 merger: 2024 values carried onto the 34 units (official mean of the members), top 10:'
SELECT rank, unit, value, members, member_units
FROM dti.merged_map WHERE layer = 'geoboundaries' AND period = '2024' AND code = 'DTI' ORDER BY rank, unit_code LIMIT 10;

\echo '-- Neighbours of Hà Nội (shared border) with their 2024 scores:'
SELECT * FROM dti.neighbours('Hà Nội', '2024');

\echo '-- Regions in 2024:'
SELECT rank, region, provinces, mean_value, min_value, max_value, best_unit
FROM dti.region_summary WHERE period = '2024' AND framework = '922-synthetic' AND code = 'DTI' ORDER BY rank;

\echo '-- GeoJSON for a BI region map: dti.map_geojson(''2024'', ''922-synthetic'')'
SELECT jsonb_array_length(g -> 'features') AS features,
	   (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(g -> 'features' -> 0 -> 'properties') AS k) AS property_keys,
	   length(g::text) AS bytes
FROM dti.map_geojson('2024', '922-synthetic') AS g;

\echo
\echo '-- PUBLISHED figures (dti.published_value, shipped; extend it with INSERT): the DTI 2022 of Đà Nẵng'
\echo '-- recomputed from its published main-indicator values with rollup() through the 922 framework:'
SELECT u.name_vi AS unit, p.code, p.value AS published, p.source
FROM dti.published_value p JOIN dti.unit u ON u.id = p.unit_id
WHERE p.period = '2022' AND u.code = '48' ORDER BY p.code = 'DTI', p.code;
SELECT unit, period, published, recomputed, published = recomputed AS "published = computed"
FROM dti.published_comparison WHERE period = '2022' AND unit_code = '48';

\echo
\echo '-- Ministries in their two groups under the shipped 922-ministry framework: eight SYNTHETIC ministries,'
\echo '-- 2023 values from a fixed seed, ranked overall and within their group (dti.ministry_ranking):'
SELECT setseed(0.2023);
SELECT count(dti.add_ministry(format('SYN.%s', g), format('Bộ tổng hợp %s (SYNTHETIC)', g),
							  format('Synthetic ministry %s', g), g <= 5)) AS ministries
FROM generate_series(1, 8) AS g;
INSERT INTO dti.submission (unit_code, period, indicator, raw_value, source, note)
SELECT u.code, '2023', i.code::text, round((0.35 + 0.6 * random())::numeric, 4)::text, 'SYNTHETIC', 'demo ministries'
FROM dti.unit u
CROSS JOIN dti.framework_indicator i JOIN dti.framework f ON f.id = i.framework_id AND f.code = '922-ministry'
WHERE u.level = 'ministry' AND u.code LIKE 'SYN.%'
ORDER BY u.code, i.code;
SELECT sum(dti.verify_unit(u.code, '2023')) AS verified FROM dti.unit u WHERE u.level = 'ministry' AND u.code LIKE 'SYN.%';
CALL dti.refresh(period => '2023');
SELECT ministry_group, ministry_group_rank, rank, unit, value
FROM dti.ministry_ranking WHERE period = '2023' ORDER BY ministry_group, ministry_group_rank, unit_code;

\echo '-- The nation: its PUBLISHED values, each under its framework (dti.nation_series):'
SELECT year, framework, decision, value, value_change, framework_changed, source FROM dti.nation_series ORDER BY year;

\echo '-- A monitored count that is not a DTI indicator, beside the DTI: community digital technology teams'
\echo '-- per province in 2024, SYNTHETIC values (seeded) against a SYNTHETIC target (dti.monitored_beside_dti):'
SELECT setseed(0.2024);
INSERT INTO dti.monitored_series (code, name_vi, name_en, unit_of_measure, source, synthetic)
VALUES ('SYN_CDT_TEAMS', 'Tổ công nghệ số cộng đồng (SYNTHETIC)', 'Community digital technology teams (SYNTHETIC)',
		'count', 'SYNTHETIC: make demo', true);
INSERT INTO dti.target (decision, pillar, code, name_en, name_vi, target_value, unit_of_measure, direction, deadline, verified)
VALUES ('SYNTHETIC (demo)', 'digital society', 'SYN_CDT_TEAMS', 'Community digital technology teams (SYNTHETIC)',
		'Tổ công nghệ số cộng đồng (SYNTHETIC)', 2000, 'count', 'higher', '2025-12-31', false);
INSERT INTO dti.monitored_value (series_code, unit_id, period, value, source)
SELECT 'SYN_CDT_TEAMS', u.id, y::text, round(400 + 1400 * random() + 300 * (y - 2023)), 'SYNTHETIC: make demo'
FROM dti.unit u, generate_series(2023, 2024) AS y
WHERE u.level = 'province' AND u.valid_to = '2025-06-30'
ORDER BY u.code, y;
SELECT unit, value AS teams, target, dti, dti_rank
FROM dti.monitored_beside_dti WHERE series_code = 'SYN_CDT_TEAMS' AND period = '2024' ORDER BY dti_rank, unit_code LIMIT 5;
SELECT status, count(*) FROM dti.target_attainment WHERE code = 'SYN_CDT_TEAMS' GROUP BY status ORDER BY status;
