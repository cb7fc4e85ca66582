-- make demo, part 5: the composite-indicator method on SYNTHETIC data
-- (docs/method.md, worked example).
--
-- 63 provinces in 6 regions, two periods (2023, 2024), 12 raw indicators
-- under 3 pillars, seeded from a text key: none of these values is a
-- published figure.  Five provinces did not report in 2024 and two others
-- left one indicator blank.  The steps, in order: denomination (e-services
-- per 100,000 people), imputation (the 2023 value carried forward, else the
-- region's mean), outlier treatment (COINr's rule), normalisation (min-max),
-- aggregation (rollup), structure checks, and Sobol sensitivity analysis
-- over the weights, the aggregation method, the imputation method and the
-- normalisation method.  Needs only the dti extension.
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dti;
RESET client_min_messages;

\echo
\echo '== The method, step by step (SYNTHETIC data: generated, not published results) =='

CREATE FUNCTION pg_temp.method_rand(key text) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN ('x' || substr(md5('dti-method-seed-2026:' || key), 1, 8))::bit(32)::bigint / 4294967296.0;

-- the framework: 3 pillars of 4 indicators (equal points)
CREATE TEMP TABLE m_node AS
SELECT 'DTI'::indicator_code AS code, NULL::indicator_code AS parent, NULL::float8 AS max_points
UNION ALL SELECT ('P' || p)::indicator_code, 'DTI', NULL FROM generate_series(1, 3) p
UNION ALL SELECT ('P' || p || '.' || i)::indicator_code, ('P' || p)::indicator_code, 10
FROM generate_series(1, 3) p, generate_series(1, 4) i;
CREATE TEMP TABLE m_fw AS
SELECT framework_compile(array_agg(code), array_agg(parent), array_agg(max_points)) AS fw FROM m_node;

-- units, regions, population; raw values per period (P1.1 is a count of
-- e-services, denominated by population; P3.2 has a heavy tail)
CREATE TEMP TABLE m_unit AS
SELECT 'province ' || lpad(u::text, 2, '0') AS unit, 'region ' || (1 + (u - 1) / 11) AS region,
	   round(500000 + 7500000 * pg_temp.method_rand('pop' || u) ^ 3) AS population,
	   0.25 + 0.5 * pg_temp.method_rand('cap' || u) AS capacity
FROM generate_series(1, 63) u;
CREATE TEMP TABLE m_raw AS
SELECT u.unit, y AS year, l.code,
	   CASE WHEN l.code = 'P1.1' THEN round(u.population / 100000.0 * (20 + 60 * u.capacity + 10 * (y - 2023))
										  * (0.8 + 0.4 * pg_temp.method_rand(u.unit || l.code || y)))
			WHEN l.code = 'P3.2' THEN round((10 * exp(6 * u.capacity * pg_temp.method_rand(u.unit || l.code || y) ^ 3))::numeric, 1)::float8
			ELSE round((100 * least(1, greatest(0, u.capacity + 0.05 * (y - 2023)
					  + 0.3 * (pg_temp.method_rand(u.unit || l.code || y) - 0.5))))::numeric, 1)::float8 END AS v
FROM m_unit u, generate_series(2023, 2024) y, m_node l
WHERE l.max_points IS NOT NULL
UNION ALL
SELECT u.unit, y, 'POP', u.population FROM m_unit u, generate_series(2023, 2024) y;
-- five provinces did not report in 2024; two left one indicator blank (one of
-- them had no 2023 value either)
UPDATE m_raw SET v = NULL WHERE year = 2024 AND code <> 'POP'
	AND unit IN ('province 07', 'province 19', 'province 33', 'province 48', 'province 60');
UPDATE m_raw SET v = NULL WHERE (unit, code::text) IN (('province 12', 'P2.3'), ('province 41', 'P1.4'));
-- every province reported in 2024 before, except two that joined the survey
UPDATE m_raw SET v = NULL WHERE year = 2023 AND unit IN ('province 33', 'province 60') AND code <> 'POP';
SELECT year, count(DISTINCT unit) AS units, count(*) FILTER (WHERE code <> 'POP') AS cells,
	   count(*) FILTER (WHERE v IS NULL) AS missing
FROM m_raw GROUP BY year ORDER BY year;

\echo
\echo '-- 1. Denomination: P1.1 (e-services) per 100,000 people, declared beside the framework'
CREATE TEMP TABLE m_denomination (code indicator_code, denominator indicator_code, scale float8);
INSERT INTO m_denomination VALUES ('P1.1', 'POP', 100000);
CREATE TEMP TABLE m_den AS
SELECT r.unit, r.year, d.code, d.value, d.raw, d.note
FROM (SELECT unit, year, array_agg(code ORDER BY code) AS codes, array_agg(v ORDER BY code) AS vals
	  FROM m_raw GROUP BY unit, year) r,
	 (SELECT array_agg(code) AS c, array_agg(denominator) AS n, array_agg(scale) AS s FROM m_denomination) decl,
	 denominate(r.codes, r.vals, decl.c, decl.n, decl.s) d
WHERE d.code <> 'POP';
SELECT unit, year, raw AS "e-services", value AS "per 100,000 people", note
FROM m_den WHERE code = 'P1.1' AND unit IN ('province 02', 'province 03', 'province 07') ORDER BY unit, year;

\echo
\echo '-- 2. Imputation of 2024: the 2023 value carried forward, then the region''s mean for what is left'
CREATE TEMP TABLE m_imp AS
WITH cur AS (
	SELECT d.code, array_agg(d.unit ORDER BY d.unit) AS units, array_agg(d.value ORDER BY d.unit) AS vals,
		   array_agg(u.region ORDER BY d.unit) AS regions, array_agg(p.value ORDER BY d.unit) AS prev
	FROM m_den d JOIN m_unit u USING (unit)
	LEFT JOIN m_den p ON p.unit = d.unit AND p.code = d.code AND p.year = 2023
	WHERE d.year = 2024 GROUP BY d.code
), cf AS (
	SELECT c.code, c.regions, f.*
	FROM cur c, impute(c.units, c.vals, 'carry_forward', previous => c.prev) f
), gm AS (
	SELECT cf.code, array_agg(cf.unit ORDER BY cf.unit) AS units, array_agg(cf.value ORDER BY cf.unit) AS vals,
		   array_agg(u.region ORDER BY cf.unit) AS regions
	FROM cf JOIN m_unit u USING (unit) GROUP BY cf.code
)
SELECT gm.code, g.unit, g.value,
	   coalesce(cf.how, g.how) AS how,
	   CASE WHEN cf.imputed THEN '2023 value' WHEN g.imputed THEN 'mean of ' || g.donors || ' values of ' || g.donor_group END AS source
FROM gm CROSS JOIN LATERAL impute(gm.units, gm.vals, 'group_mean', gm.regions) g
JOIN cf ON cf.code = gm.code AND cf.unit = g.unit;
SELECT how, count(*) AS cells FROM m_imp WHERE how IS NOT NULL GROUP BY how ORDER BY how;
SELECT unit, code, round(value::numeric, 1) AS value, how, source FROM m_imp
WHERE how IS NOT NULL AND (unit IN ('province 12', 'province 33') OR code = 'P1.1') ORDER BY unit, code;

\echo
\echo '-- 3. Outliers: skewness and kurtosis per indicator, then COINr''s rule (winsorise up to 5 points, else log)'
SELECT code, round(skewness(value)::numeric, 2) AS skewness, round(kurtosis(value)::numeric, 2) AS kurtosis
FROM m_imp GROUP BY code HAVING abs(skewness(value)) > 1 ORDER BY code;
CREATE TEMP TABLE m_treated AS
SELECT i.code, t.unit, t.value, t.original, t.treatment
FROM (SELECT code, array_agg(unit ORDER BY unit) AS units, array_agg(value ORDER BY unit) AS vals
	  FROM m_imp GROUP BY code) i,
	 treat_outliers(i.units, i.vals) t;
SELECT code, r.treatment, r.steps, r.cells, round(r.skewness_before::numeric, 2) AS skew_before,
	   round(r.kurtosis_before::numeric, 2) AS kurt_before, round(r.skewness_after::numeric, 2) AS skew_after,
	   round(r.kurtosis_after::numeric, 2) AS kurt_after
FROM (SELECT code, array_agg(value ORDER BY unit) AS vals FROM m_imp GROUP BY code) i,
	 winsorise_report(i.vals) r
WHERE r.treatment <> 'none' ORDER BY code;
\echo '-- every treated cell, with its original value:'
SELECT code, unit, original, round(value::numeric, 1) AS treated, treatment FROM m_treated
WHERE treatment IS NOT NULL ORDER BY code, original DESC;

\echo
\echo '-- 4. Normalisation (min-max) and 5. aggregation: the 2024 index'
CREATE TEMP TABLE m_cards AS
WITH s AS (
	SELECT t.unit, t.code, score('minmax', t.value, st.stats) AS v
	FROM m_treated t JOIN (SELECT code, indicator_stats(value) AS stats FROM m_treated GROUP BY code) st USING (code)
)
SELECT unit, rollup((SELECT fw FROM m_fw), code, v) AS sc FROM s GROUP BY unit;
SELECT unit, round(root_value(sc)::numeric, 4) AS index,
	   rank() OVER (ORDER BY root_value(sc) DESC) AS rank
FROM m_cards ORDER BY 3, 1 LIMIT 5;

\echo
\echo '-- The same steps in one call: pipeline() on the raw 2024 rows (denominate P1.1 by POP, impute'
\echo '-- with the region''s mean, treat outliers, min-max, aggregate), each step''s work in an audit table'
CREATE TEMP VIEW m_raw_2024 AS SELECT unit, code, v AS value FROM m_raw WHERE year = 2024;
CREATE TEMP VIEW m_region AS SELECT unit, region AS grp FROM m_unit;
CREATE TEMP TABLE m_audit (step integer, name text, parameters jsonb, effects jsonb,
	unit text, code text, original float8, value float8, note text);
CREATE TEMP TABLE m_fw_rules AS
SELECT framework_rules(fw, (SELECT array_agg(code) FROM m_node WHERE max_points IS NOT NULL),
	(SELECT array_agg('minmax'::scoring_rule) FROM m_node WHERE max_points IS NOT NULL)) AS fw
FROM m_fw;
CREATE TEMP TABLE m_cards_one AS
SELECT p.* FROM m_fw_rules, m_denomination d,
	 pipeline(fw, 'm_raw_2024', 'm_audit', ARRAY[d.code], ARRAY[d.denominator], ARRAY[d.scale],
			  'group_mean', groups => 'm_region') p;
SELECT step, name, effects FROM m_audit WHERE unit IS NULL ORDER BY step;
SELECT unit, code, round(original::numeric, 1) AS original, round(value::numeric, 1) AS value, note
FROM m_audit WHERE unit IN ('province 07', 'province 12') ORDER BY step, unit, code;
SELECT unit, round(root_value(sc)::numeric, 4) AS index, rank() OVER (ORDER BY root_value(sc) DESC) AS rank
FROM m_cards_one ORDER BY 3, 1 LIMIT 5;

\echo
\echo '-- 6. Structure: Cronbach''s alpha per node, and the correlations to look at'
SELECT node, k, n, round(alpha::numeric, 3) AS alpha FROM cronbach_alpha((SELECT array_agg(sc ORDER BY unit) FROM m_cards));
SELECT node, code, other, flag, round(pearson::numeric, 3) AS pearson
FROM structure_report((SELECT array_agg(sc ORDER BY unit) FROM m_cards), 0.8);

\echo
\echo '-- 7. Sobol sensitivity: weights of the pillars and of the indicators, the pillars'' aggregation'
\echo '--    method, and the data: 2 imputations (as above; the mean) x 2 normalisations (min-max; ratio to the best)'
CREATE TEMP TABLE m_variant AS
WITH imp_mean AS (
	SELECT d.code, f.unit, f.value
	FROM (SELECT code, array_agg(unit ORDER BY unit) AS units, array_agg(value ORDER BY unit) AS vals
		  FROM m_den WHERE year = 2024 GROUP BY code) d,
		 impute(d.units, d.vals, 'mean') f
), imp AS (
	SELECT 1 AS imputation, code, unit, value FROM m_imp
	UNION ALL SELECT 2, code, unit, value FROM imp_mean
), treated AS (
	SELECT i.imputation, i.code, t.unit, t.value
	FROM (SELECT imputation, code, array_agg(unit ORDER BY unit) AS units, array_agg(value ORDER BY unit) AS vals
		  FROM imp GROUP BY imputation, code) i,
		 treat_outliers(i.units, i.vals) t
), scored AS (
	SELECT t.imputation, n.normalisation, t.unit, t.code,
		   score(n.rule, t.value, st.stats) AS v
	FROM treated t
	JOIN (SELECT imputation, code, indicator_stats(value) AS stats FROM treated GROUP BY imputation, code) st USING (imputation, code)
	CROSS JOIN (VALUES (1, 'minmax'::scoring_rule), (2, 'best'::scoring_rule)) n(normalisation, rule)
)
SELECT imputation, normalisation, unit, rollup((SELECT fw FROM m_fw), code, v) AS sc
FROM scored GROUP BY imputation, normalisation, unit;
CREATE TEMP TABLE m_sobol AS
SELECT s.* FROM sobol_sensitivity(
	(SELECT fw FROM m_fw),
	(SELECT array_agg(unit ORDER BY unit) FROM m_variant WHERE imputation = 1 AND normalisation = 1),
	(SELECT array_agg(sc ORDER BY unit) FROM m_variant WHERE imputation = 1 AND normalisation = 1),
	'{weights:2,weights:3,methods:1,data:imputation,data:normalisation}', 1000, 2026,
	variants => (SELECT array_agg(sc ORDER BY imputation, normalisation, unit) FROM m_variant
				 WHERE (imputation, normalisation) <> (1, 1)),
	variant_counts => '{2,2}') s;
\echo '-- the mean absolute rank shift: first-order and total-effect indices [95% bootstrap interval]'
SELECT source, round(first_order::numeric, 3) AS first_order,
	   '[' || round(first_low::numeric, 3) || ', ' || round(first_high::numeric, 3) || ']' AS interval,
	   round(total_effect::numeric, 3) AS total_effect,
	   '[' || round(total_low::numeric, 3) || ', ' || round(total_high::numeric, 3) || ']' AS total_interval
FROM m_sobol WHERE measure = 'mean_abs_rank_shift';
\echo '-- the provinces whose rank is most uncertain, and what drives it (total effect):'
SELECT unit, source, round(total_effect::numeric, 3) AS total_effect
FROM m_sobol
WHERE unit IN (SELECT unit FROM m_sobol WHERE measure = 'rank' AND source = 'data:imputation'
			   ORDER BY total_effect DESC NULLS LAST, unit LIMIT 2)
ORDER BY unit, total_effect DESC;
