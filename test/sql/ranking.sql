-- Ranking: ranks at a published precision or tolerance, published DTI and
-- EGDI ranks, rank intervals, drop-one and top contributors, and every error.
\set VERBOSITY default
SET extra_float_digits = 0;

-- Ties share a rank: competition "1224", dense "1223", ordinal "1234",
-- fractional "1 2.5 2.5 4".  NULL values get NULL and are not counted.
CREATE TABLE rank_small (id int, x float8);
INSERT INTO rank_small VALUES (1, 0.9), (2, 0.80004), (3, 0.8), (4, 0.7), (5, NULL), (6, 0.69996);
SELECT id, x,
	rank_rounded(x, 4) OVER () AS competition,
	dense_rank_rounded(x, 4) OVER () AS dense,
	ordinal_rank_rounded(x, 4) OVER (ORDER BY id) AS ordinal,
	fractional_rank_rounded(x, 4) OVER () AS fractional,
	rank_rounded(x, 5) OVER () AS competition_5
FROM rank_small ORDER BY id;
-- The same with OVER w (no ORDER BY) and lower is better.
SELECT id, x,
	rank_rounded(x, 4, true) OVER w AS competition,
	dense_rank_rounded(x, 4, lower_is_better => true) OVER w AS dense,
	fractional_rank_rounded(x, 4, true) OVER w AS fractional
FROM rank_small WINDOW w AS () ORDER BY id;

-- Rounding half away from zero on the decimal value, as numeric round() does:
-- 0.48805 rounds up to 0.4881 (the nearest double is just below 0.48805),
-- 2.675 to 2.68, -0.00005 to -0.0001, 0.00004 to 0.  The one difference
-- from SQL: x::numeric keeps only 15 significant digits, so 0.4880499999999999
-- (16 digits, a double distinct from 0.48805) becomes 0.488050000000000 and
-- rounds up there, while its decimal value rounds down to 0.4880 here.
CREATE TABLE rank_round (id int, x float8);
INSERT INTO rank_round VALUES (1, 0.48805), (2, 0.4881), (3, 0.4880), (4, 0.48804999),
	(5, 2.675), (6, 2.68), (7, -0.00005), (8, -0.0001), (9, 0.00004), (10, 0),
	(11, 0.4880499999999999);
SET extra_float_digits = 1;	-- shortest decimal output
SELECT id, x, round(x::numeric, 4) AS numeric_4, rank_rounded(x, 4) OVER () AS r4,
	round(x::numeric, 2) AS numeric_2, rank_rounded(x, 2) OVER () AS r2,
	rank() OVER (ORDER BY round(x::numeric, 4) DESC) AS sql_r4,
	rank() OVER (ORDER BY round(x::numeric, 2) DESC) AS sql_r2
FROM rank_round ORDER BY id;
-- round_decimal() is the key rank_rounded() compares: a competition rank is
-- one more than the number of greater keys.
SELECT id, round_decimal(x, 4) AS key_4, round_decimal(x, 2) AS key_2,
	1 + (SELECT count(*) FROM rank_round o WHERE round_decimal(o.x, 4) > round_decimal(r.x, 4)) AS r4_from_keys
FROM rank_round r ORDER BY id;
SELECT round_decimal('NaN', 2) AS nan, round_decimal('-Infinity', 2) AS minus_infinity;
SELECT round_decimal(1.5, 16);
SET extra_float_digits = 0;
-- On values whose decimal form has at most 15 digits (so that x::numeric is
-- exact), the ranks agree with rank() over numeric round() at every
-- precision, on a grid full of halves, both signs, both directions.
SELECT d, count(*) AS values_ranked,
	count(*) FILTER (WHERE r <> sql_r) AS differ_higher,
	count(*) FILTER (WHERE rl <> sql_rl) AS differ_lower
FROM (SELECT d.d, rank_rounded(g.x, d.d) OVER w AS r, rank_rounded(g.x, d.d, true) OVER w AS rl,
		rank() OVER (PARTITION BY d.d ORDER BY round(g.x::numeric, d.d) DESC) AS sql_r,
		rank() OVER (PARTITION BY d.d ORDER BY round(g.x::numeric, d.d)) AS sql_rl
	  FROM (SELECT (i * 0.00005 - 0.5)::float8 AS x FROM generate_series(0, 20000) i
			UNION ALL SELECT (i * 0.012345)::float8 FROM generate_series(-3000, 3000) i) g,
		   (VALUES (0), (1), (2), (3), (4), (5)) d(d)
	  WINDOW w AS (PARTITION BY d.d)) s
GROUP BY d ORDER BY d;
-- Whole numbers, large values and 0 decimals.
SELECT x, rank_rounded(x, 0) OVER () AS r0, dense_rank_rounded(x, 0) OVER () AS d0
FROM (VALUES (2.5), (3.4999), (3.5), (-2.5), (1e15), (1e15 + 0.5), (123456789.5)) v(x) ORDER BY x;

-- Tolerance: sorted neighbours within the tolerance tie, and ties chain:
-- 1.00 ~ 1.05 and 1.05 ~ 1.10 put all three in one group although 1.00 and
-- 1.10 are 0.10 apart.  0.3 and 0.4 tie within 0.1 (binary rounding of the
-- difference allowed for); 0.15 and 0.3 do not.
CREATE TABLE rank_tol (id int, x float8);
INSERT INTO rank_tol VALUES (1, 1.00), (2, 1.05), (3, 1.10), (4, 1.30), (5, 0.4), (6, 0.3), (7, 0.15), (8, NULL);
SELECT id, x,
	rank_tolerant(x, 0.05) OVER () AS competition,
	dense_rank_tolerant(x, 0.05) OVER () AS dense,
	ordinal_rank_tolerant(x, 0.05) OVER () AS ordinal,
	fractional_rank_tolerant(x, 0.05) OVER () AS fractional,
	rank_tolerant(x, 0.1) OVER () AS competition_01,
	rank_tolerant(x, 0.1, true) OVER () AS lower_01,
	rank_tolerant(x, 0) OVER () AS exact
FROM rank_tol ORDER BY id;

-- Partitions are ranked separately, each read once.
SELECT g, x, rank_rounded(x, 2) OVER (PARTITION BY g) AS r
FROM (VALUES (1, 0.5), (1, 0.504), (1, 0.4), (2, 0.1), (2, 0.2)) v(g, x) ORDER BY g, x DESC;

-- Published DTI 2021 provincial ranks (test/data/results/): competition
-- ranks of the 4-decimal value; Thanh Hóa and Vĩnh Phúc tie at 12, the
-- next is 14.
CREATE TABLE rank_dti2021 (rank int, province text, dti float8, cqs_rank int, cqs float8,
	kts_rank int, kts float8, xhs_rank int, xhs float8);
\copy rank_dti2021 FROM 'test/data/results/dti_province_2021_top18.csv' CSV HEADER
SELECT * FROM (
	SELECT rank AS published, province, dti, rank_rounded(dti, 4) OVER () AS computed,
		dense_rank_rounded(dti, 4) OVER () AS dense, fractional_rank_rounded(dti, 4) OVER () AS fractional
	FROM rank_dti2021) s
WHERE published BETWEEN 10 AND 15 ORDER BY published, province;
SELECT count(*) AS provinces, count(*) FILTER (WHERE rank <> r) AS wrong
FROM (SELECT rank, rank_rounded(dti, 4) OVER () AS r FROM rank_dti2021) s;

-- EGDI 2014 and 2016 (test/data/egdi/): the published ranks are competition
-- ranks of the index at 5 decimals; rounding to 4 decimals first gets a few
-- countries wrong, the same ones as rank() over round(x::numeric, 4).
CREATE TABLE rank_egdi_raw (country_code text, country_name text, e_gov_rank int,
	e_gov_index float8, e_pat_index float8, osi float8, hci float8, tii float8);
\copy rank_egdi_raw FROM 'test/data/egdi/egdi-2014.csv' CSV HEADER
CREATE TABLE rank_egdi AS SELECT 2014 AS year, * FROM rank_egdi_raw;
TRUNCATE rank_egdi_raw;
\copy rank_egdi_raw FROM 'test/data/egdi/egdi-2016.csv' CSV HEADER
INSERT INTO rank_egdi SELECT 2016, * FROM rank_egdi_raw;
CREATE TABLE rank_egdi_ranks AS
SELECT year, country_code, e_gov_index, e_gov_rank,
	rank_rounded(e_gov_index, 5) OVER (PARTITION BY year) AS r5,
	rank_rounded(e_gov_index, 4) OVER (PARTITION BY year) AS r4,
	rank() OVER (PARTITION BY year ORDER BY round(e_gov_index::numeric, 4) DESC) AS sql_r4
FROM rank_egdi;
SELECT year, count(*) AS countries, count(*) FILTER (WHERE r5 <> e_gov_rank) AS wrong_at_5,
	count(*) FILTER (WHERE r4 <> e_gov_rank) AS wrong_at_4,
	count(*) FILTER (WHERE r4 <> sql_r4) AS differ_from_sql
FROM rank_egdi_ranks GROUP BY year ORDER BY year;
SELECT year, country_code, e_gov_index, e_gov_rank, r4 AS rank_at_4_decimals
FROM rank_egdi_ranks WHERE r4 <> e_gov_rank ORDER BY year, e_gov_rank, country_code;

-- A small framework for rank intervals: IDX (amean) -> P1, P2 (amean) ->
-- two leaves each, weights 1..4; six units, one with a missing leaf and one
-- with no values at all (no rank).
CREATE TABLE rank_fw AS SELECT framework_compile(
	ARRAY['IDX', 'P1', 'P2', 'P1.a', 'P1.b', 'P2.a', 'P2.b']::indicator_code[],
	ARRAY[NULL, 'IDX', 'IDX', 'P1', 'P1', 'P2', 'P2']::indicator_code[],
	NULL,
	weights => ARRAY[NULL, 1, 1, 1, 2, 3, 4]::float8[],
	methods => ARRAY['amean', 'amean', 'amean', NULL, NULL, NULL, NULL]) AS fw;
CREATE TABLE rank_leaf (unit text, code indicator_code, value float8);
INSERT INTO rank_leaf VALUES
	('u1', 'P1.a', 0.9), ('u1', 'P1.b', 0.2), ('u1', 'P2.a', 0.5), ('u1', 'P2.b', 0.6),
	('u2', 'P1.a', 0.3), ('u2', 'P1.b', 0.8), ('u2', 'P2.a', 0.4), ('u2', 'P2.b', 0.5),
	('u3', 'P1.a', 0.6), ('u3', 'P1.b', 0.6), ('u3', 'P2.a', 0.6), ('u3', 'P2.b', 0.4),
	('u4', 'P1.a', 0.1), ('u4', 'P1.b', 0.3), ('u4', 'P2.a', 0.9), ('u4', 'P2.b', 0.9),
	('u5', 'P1.a', 0.5), ('u5', 'P1.b', NULL), ('u5', 'P2.a', 0.5), ('u5', 'P2.b', 0.5),
	('u6', 'P1.a', NULL), ('u6', 'P1.b', NULL), ('u6', 'P2.a', NULL), ('u6', 'P2.b', NULL);
CREATE TABLE rank_cards AS
SELECT l.unit, rollup(f.fw, l.code, l.value) AS sc FROM rank_leaf l, rank_fw f GROUP BY l.unit;
SELECT unit, round(root_value(sc)::numeric, 6) AS idx, rank_rounded(root_value(sc), 6) OVER () AS rank
FROM rank_cards ORDER BY unit;

-- 500 draws (more than the 5 ranked units: ranks kept as histograms),
-- factor 0.25, seed 42.
SELECT unit, nominal_rank, round(mean_rank::numeric, 4) AS mean, median_rank, p05, p95,
	round(keep_share::numeric, 4) AS keep
FROM rank_intervals((SELECT fw FROM rank_fw),
	(SELECT array_agg(unit ORDER BY unit) FROM rank_cards),
	(SELECT array_agg(sc ORDER BY unit) FROM rank_cards), 500, 0.25, 42);
-- 4 draws (fewer than the units: ranks kept as lists), with methods alternating.
SELECT unit, nominal_rank, mean_rank, median_rank, p05, p95, keep_share
FROM rank_intervals((SELECT fw FROM rank_fw),
	(SELECT array_agg(unit ORDER BY unit) FROM rank_cards),
	(SELECT array_agg(sc ORDER BY unit) FROM rank_cards), 4, 0.5, 7, alternate_methods => true);
SELECT unit, nominal_rank, round(mean_rank::numeric, 4) AS mean, median_rank, p05, p95,
	round(keep_share::numeric, 4) AS keep
FROM rank_intervals((SELECT fw FROM rank_fw),
	(SELECT array_agg(unit ORDER BY unit) FROM rank_cards),
	(SELECT array_agg(sc ORDER BY unit) FROM rank_cards), 1000, 0.9, -5, true);
-- The same seed gives the same bits; another seed other numbers; factor 0
-- keeps every nominal rank.
CREATE TABLE rank_runs AS
SELECT s.seed, r.* FROM (VALUES (1), (1), (2)) s(seed),
	LATERAL rank_intervals((SELECT fw FROM rank_fw),
		(SELECT array_agg(unit ORDER BY unit) FROM rank_cards),
		(SELECT array_agg(sc ORDER BY unit) FROM rank_cards), 300, 0.4, s.seed, true) r;
SELECT seed, count(DISTINCT (unit, mean_rank::text, median_rank, p05, p95, keep_share::text)) AS distinct_rows, count(*) AS rows
FROM rank_runs GROUP BY seed ORDER BY seed;
SELECT (SELECT array_agg(mean_rank::text ORDER BY unit) FROM rank_intervals((SELECT fw FROM rank_fw),
		(SELECT array_agg(unit ORDER BY unit) FROM rank_cards),
		(SELECT array_agg(sc ORDER BY unit) FROM rank_cards), 300, 0.4, 1, true))
	= (SELECT array_agg(mean_rank::text ORDER BY unit) FROM rank_intervals((SELECT fw FROM rank_fw),
		(SELECT array_agg(unit ORDER BY unit) FROM rank_cards),
		(SELECT array_agg(sc ORDER BY unit) FROM rank_cards), 300, 0.4, 1, true)) AS same_seed_same_bits;
SELECT unit, nominal_rank, mean_rank, median_rank, p05, p95, keep_share
FROM rank_intervals((SELECT fw FROM rank_fw),
	(SELECT array_agg(unit ORDER BY unit) FROM rank_cards),
	(SELECT array_agg(sc ORDER BY unit) FROM rank_cards), 50, 0, 3);

-- drop_one: each pillar left out in turn (P1 out: the index is P2 alone).
SELECT dropped, unit, nominal_rank, rank_without, rank_change
FROM drop_one((SELECT fw FROM rank_fw),
	(SELECT array_agg(unit ORDER BY unit) FROM rank_cards),
	(SELECT array_agg(sc ORDER BY unit) FROM rank_cards), 2);
SELECT dropped, round(mean_abs_change::numeric, 4) AS mean_abs_change, max_abs_change, units_moved
FROM drop_one_summary((SELECT fw FROM rank_fw),
	(SELECT array_agg(unit ORDER BY unit) FROM rank_cards),
	(SELECT array_agg(sc ORDER BY unit) FROM rank_cards), 3);

-- top_contributors: what moved a unit's DTI between two years, in value, in
-- points (the root has 1000 max points) and in share of the change.
CREATE TABLE rank_fw_points AS SELECT framework_compile(
	ARRAY['DTI', 'CQS', 'KTS', 'CQS.1', 'CQS.2', 'KTS.1', 'KTS.2']::indicator_code[],
	ARRAY[NULL, 'DTI', 'DTI', 'CQS', 'CQS', 'KTS', 'KTS']::indicator_code[],
	ARRAY[NULL, NULL, NULL, 300, 200, 400, 100]::float8[]) AS fw;
CREATE TABLE rank_years AS
SELECT y.year, rollup(f.fw, y.code::indicator_code, y.value) AS sc
FROM rank_fw_points f, (VALUES
	(2022, 'CQS.1', 0.5), (2022, 'CQS.2', 0.4), (2022, 'KTS.1', 0.30), (2022, 'KTS.2', 0.9),
	(2023, 'CQS.1', 0.6), (2023, 'CQS.2', 0.4), (2023, 'KTS.1', 0.45), (2023, 'KTS.2', 0.7)) y(year, code, value)
GROUP BY y.year;
SELECT code, value_a, value_b, round(contribution::numeric, 6) AS contribution,
	round(points::numeric, 4) AS points, round(share::numeric, 4) AS share
FROM top_contributors((SELECT sc FROM rank_years WHERE year = 2022), (SELECT sc FROM rank_years WHERE year = 2023));
SELECT code, round(points::numeric, 4) AS points, round(share::numeric, 4) AS share
FROM top_contributors((SELECT sc FROM rank_years WHERE year = 2022), (SELECT sc FROM rank_years WHERE year = 2023), 1, 2);
-- Without max points at the root the points are NULL.
SELECT code, round(contribution::numeric, 6) AS contribution, points
FROM top_contributors((SELECT sc FROM rank_cards WHERE unit = 'u1'), (SELECT sc FROM rank_cards WHERE unit = 'u2'), 2);

-- Errors.
SELECT rank_rounded(x, 16) OVER () FROM rank_small;
SELECT rank_rounded(x, -1) OVER () FROM rank_small;
SELECT rank_rounded(x, NULL) OVER () FROM rank_small;
SELECT rank_rounded(x, 2, NULL) OVER () FROM rank_small;
SELECT rank_rounded(x, id % 2) OVER () FROM rank_small;
SELECT rank_tolerant(x, -0.1) OVER () FROM rank_small;
SELECT rank_tolerant(x, 'NaN') OVER () FROM rank_small;
SELECT rank_rounded(x, 2) OVER () FROM (VALUES (1.0), ('Infinity'::float8)) v(x);
SELECT * FROM rank_intervals((SELECT fw FROM rank_fw), ARRAY['u1'], ARRAY[(SELECT sc FROM rank_cards WHERE unit = 'u1')], 0, 0.25, 1);
SELECT * FROM rank_intervals((SELECT fw FROM rank_fw), ARRAY['u1'], ARRAY[(SELECT sc FROM rank_cards WHERE unit = 'u1')], 10, 1, 1);
SELECT * FROM rank_intervals((SELECT fw FROM rank_fw), ARRAY['u1'], ARRAY[(SELECT sc FROM rank_cards WHERE unit = 'u1')], 10, -0.1, 1);
SELECT * FROM rank_intervals((SELECT fw FROM rank_fw), ARRAY['u1'], ARRAY[(SELECT sc FROM rank_cards WHERE unit = 'u1')], 10, 'NaN', 1);
SELECT * FROM rank_intervals((SELECT fw FROM rank_fw), ARRAY[]::text[], ARRAY[]::scorecard[], 10, 0.25, 1);
SELECT * FROM rank_intervals((SELECT fw FROM rank_fw), ARRAY['u1', 'u2'], ARRAY[(SELECT sc FROM rank_cards WHERE unit = 'u1')], 10, 0.25, 1);
SELECT * FROM rank_intervals((SELECT fw FROM rank_fw), ARRAY[NULL, 'u2'], (SELECT array_agg(sc) FROM rank_cards WHERE unit IN ('u1', 'u2')), 10, 0.25, 1);
SELECT * FROM rank_intervals((SELECT fw FROM rank_fw), ARRAY['u1', 'u2'], ARRAY[(SELECT sc FROM rank_cards WHERE unit = 'u1'), NULL], 10, 0.25, 1);
SELECT * FROM rank_intervals((SELECT fw FROM rank_fw), ARRAY['y'], ARRAY[(SELECT sc FROM rank_years WHERE year = 2022)], 10, 0.25, 1);
SELECT * FROM rank_intervals((SELECT fw FROM rank_fw), ARRAY['y'], ARRAY['[{"code": "IDX", "method": "amean"}, {"code": "P1", "parent": "IDX", "method": "amean"}, {"code": "P1.a", "parent": "P1"}, {"code": "P1.b", "parent": "P1"}, {"code": "P2", "parent": "IDX", "method": "amean"}, {"code": "P2.a", "parent": "P2"}, {"code": "P2.c", "parent": "P2"}]'::scorecard], 10, 0.25, 1);
SELECT * FROM rank_intervals((SELECT fw FROM rank_fw), ARRAY['neg'],
	ARRAY[(SELECT rollup(fw, c, v) FROM rank_fw, (VALUES ('P1.a'::indicator_code, -0.5), ('P1.b', 0.5), ('P2.a', 0.5), ('P2.b', 0.5)) x(c, v))],
	10, 0.25, 1, true);
SELECT * FROM drop_one((SELECT fw FROM rank_fw), ARRAY['u1'], ARRAY[(SELECT sc FROM rank_cards WHERE unit = 'u1')], 1);
SELECT * FROM drop_one((SELECT fw FROM rank_fw), ARRAY['u1'], ARRAY[(SELECT sc FROM rank_cards WHERE unit = 'u1')], 4);
SELECT * FROM drop_one((SELECT fw FROM rank_fw), ARRAY['u1', 'u2'], ARRAY[(SELECT sc FROM rank_cards WHERE unit = 'u1')], 2);
SELECT * FROM rank_intervals((SELECT fw FROM rank_fw), ARRAY[['u1'], ['u2']], (SELECT array_agg(sc) FROM rank_cards WHERE unit IN ('u1', 'u2')), 10, 0.25, 1);
SELECT * FROM drop_one((SELECT fw FROM rank_fw), ARRAY[]::text[], ARRAY[]::scorecard[], 2);
SELECT rank_tolerant(x, 0.1, id > 3) OVER () FROM rank_small;
