-- The method (docs/method.md): skewness and kurtosis, outlier treatment
-- (winsorise, winsorise_report, treat_outliers), imputation, denomination,
-- structure checks, Sobol sensitivity, rank_intervals() with levels.
SET extra_float_digits = 0;
-- error context lines differ between server versions (SQL functions)
\set SHOW_CONTEXT never

-- Hand-computed moments: x = 0, 0, 0, 1.  mean 1/4, sums of deviations
-- m2 = 3/4, m3 = 3/8, m4 = 21/64; g1 = sqrt(4) (3/8) / (3/4)^1.5 = 2/sqrt(3),
-- G1 = g1 sqrt(4*3)/2 = 2; g2 = 4 (21/64) / (9/16) - 3 = -2/3,
-- G2 = (5 (-2/3) + 6) 3 / (2*1) = 4.
SELECT skewness(x), kurtosis(x) FROM (VALUES (0.0), (0.0), (0.0), (1.0), (NULL)) t(x);
-- symmetric values: skewness 0; too few values or all equal: NULL
SELECT skewness(x), round(kurtosis(x)::numeric, 12) AS kurtosis FROM (VALUES (1.0), (2.0), (3.0), (4.0), (5.0)) t(x);
SELECT skewness(x), kurtosis(x) FROM (VALUES (1.0), (2.0)) t(x);
SELECT skewness(x), kurtosis(x) FROM (VALUES (1.0), (2.0), (4.0)) t(x);
SELECT skewness(x), kurtosis(x) FROM (VALUES (7.0), (7.0), (7.0), (7.0)) t(x);
SELECT skewness(x), kurtosis(x) FROM (VALUES (NULL::float8)) t(x);
-- grouped, and unchanged by a shift
SELECT g, round(skewness(x)::numeric, 10) AS skew, round(kurtosis(x)::numeric, 10) AS kurt
FROM (SELECT g, x + 1e6 * g AS x FROM generate_series(0, 2) g,
	  unnest(ARRAY[0, 0, 0, 1]::float8[]) x) t
GROUP BY g ORDER BY g;
-- the state after two values and two states merged: the same as one pass
SELECT moments_accum(moments_accum('{0,0,0,0,0}', 1), 3);
SELECT moments_combine(moments_accum('{0,0,0,0,0}', 1), moments_accum('{0,0,0,0,0}', 3));
-- bad input
SELECT skewness(x) FROM (VALUES ('NaN'::float8)) t(x);
SELECT kurtosis_final('{1,2,3}');
SELECT kurtosis_final('{-1,0,0,0,0}');

-- Winsorisation, COINr's example: 1..10, 30, 100 has skewness 3.06 and
-- kurtosis 9.74; one step (100 takes the next value, 30) brings both
-- within the limits (1.71, 1.82).
SELECT * FROM winsorise_report(ARRAY[1,2,3,4,5,6,7,8,9,10,30,100]::float8[]);
SELECT winsorise(ARRAY[1,2,3,4,5,6,7,8,NULL,9,10,30,100]::float8[]);
-- skewed to the left: the lowest value moves up
SELECT winsorise(ARRAY[-100,-30,-10,-9,-8,-7,-6,-5,-4,-3,-2,-1]::float8[]);
-- ties at the top: every cell holding the extreme value moves in one step
SELECT steps, cells, treatment FROM winsorise_report(ARRAY[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,100,100]::float8[]);
SELECT winsorise(ARRAY[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,100,100]::float8[]);
-- within the limits: nothing changes
SELECT * FROM winsorise_report(ARRAY[1,2,3,4,5]::float8[]);
-- both limits must be exceeded: 0, 0, 0, 1 has kurtosis 4 > 3.5 but
-- skewness exactly 2, not above: left alone
SELECT treatment, steps, skewness_before, kurtosis_before FROM winsorise_report(ARRAY[0,0,0,1]::float8[]);
-- no winsorisation allowed: log_ct, ln(x - min + 0.01 (max - min)) of the
-- originals, i.e. ln(x - 1 + 0.99): the minimum becomes ln(0.99)
SELECT treatment, steps, round(skewness_after::numeric, 6) AS skew_after
FROM winsorise_report(ARRAY[1,2,3,4,5,6,7,8,9,10,30,100]::float8[], 0);
SELECT round(v::numeric, 9) AS v, round(ln(x - 1 + 0.99)::numeric, 9) AS by_hand
FROM unnest(winsorise(ARRAY[1,2,3,4,5,6,7,8,9,10,30,100]::float8[], 0), ARRAY[1,2,3,4,5,6,7,8,9,10,30,100]::float8[]) u(v, x)
LIMIT 3;
-- a heavy tail that five steps cannot fix: log_ct; with fallback none the
-- winsorised values are kept and reported unresolved (steps and cells say
-- what winsorisation tried either way)
SELECT treatment, steps, cells FROM winsorise_report(ARRAY[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,100,200,400,800,1600,3200]::float8[], 2);
SELECT treatment, steps, cells FROM winsorise_report(ARRAY[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,100,200,400,800,1600,3200]::float8[], 2, 2, 3.5, 'none');
SELECT winsorise(ARRAY[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,100,200,400,800,1600,3200]::float8[], 2, 2, 3.5, 'none');
-- every treated cell with its original value
SELECT * FROM treat_outliers(ARRAY['a','b','c','d','e','f','g','h','i','j','k','l'],
	ARRAY[1,2,3,4,5,6,7,8,9,10,30,100]::float8[]) WHERE treatment IS NOT NULL;
SELECT count(*), count(treatment) FROM treat_outliers(ARRAY['a','b','c','d','e','f','g','h','i','j','k','l'],
	ARRAY[1,2,3,4,5,6,7,8,9,10,30,100]::float8[], 0);
-- bad arguments
SELECT winsorise(ARRAY[1, 'Infinity']::float8[]);
SELECT winsorise(ARRAY[1, 2]::float8[], -1);
SELECT winsorise(ARRAY[1, 2]::float8[], 5, 2, 3.5, 'boxcox');
SELECT * FROM treat_outliers(ARRAY['a'], ARRAY[1, 2]::float8[]);
SELECT winsorise('{}'::float8[]);

-- Imputation: five units, two missing.
--   mean of 1, 3, 10 = 14/3; median 3; group N has 1, group S has 3;
--   carry_forward takes the previous period's value where there is one.
SELECT * FROM impute(ARRAY['a','b','c','d','e'], ARRAY[1,NULL,3,NULL,10]::float8[], 'none');
SELECT unit, round(value::numeric, 6) AS value, imputed, how, donors, donor_group
FROM impute(ARRAY['a','b','c','d','e'], ARRAY[1,NULL,3,NULL,10]::float8[], 'mean');
SELECT * FROM impute(ARRAY['a','b','c','d','e'], ARRAY[1,NULL,3,NULL,10]::float8[], 'median');
-- an even number of donors: the mean of the two middle values (1, 3, 4, 10: 3.5)
SELECT * FROM impute(ARRAY['a','b','c','d','e'], ARRAY[1,NULL,3,4,10]::float8[], 'median');
SELECT * FROM impute(ARRAY['a','b','c','d','e','f'], ARRAY[1,NULL,3,NULL,10,NULL]::float8[], 'group_mean',
	ARRAY['N','N','S','S','S','W']);
SELECT * FROM impute(ARRAY['a','b','c','d','e'], ARRAY[1,NULL,3,NULL,10]::float8[], 'carry_forward',
	previous => ARRAY[0.5,2.5,NULL,NULL,9]::float8[]);
-- nothing to impute from
SELECT * FROM impute(ARRAY['a','b'], ARRAY[NULL,NULL]::float8[], 'mean');
-- bad arguments
SELECT * FROM impute(ARRAY['a'], ARRAY[NULL]::float8[], 'knn');
SELECT * FROM impute(ARRAY['a'], ARRAY[NULL]::float8[], 'group_mean');
SELECT * FROM impute(ARRAY['a'], ARRAY[NULL]::float8[], 'carry_forward', previous => ARRAY[1,2]::float8[]);
SELECT * FROM impute(ARRAY['a','b'], ARRAY[NULL]::float8[], 'mean');
SELECT * FROM impute(NULL, ARRAY[NULL]::float8[], 'mean');

-- Denomination, declared beside the framework: ICT.1 per thousand people,
-- ICT.2 per km2.  25 / 50 * 1000 = 500; a zero or missing denominator
-- gives NULL with a note; undeclared codes pass through.
SELECT * FROM denominate('{GDP,POP,ICT.1,ICT.2,AREA}', '{100,50,25,7,0}', '{ICT.1,ICT.2}', '{POP,AREA}', '{1000,1}');
SELECT * FROM denominate('{ICT.1,ICT.2,GDP}', ARRAY[3,NULL,40]::float8[], '{ICT.1,ICT.2}', '{POP,GDP}');
-- bad declarations
SELECT * FROM denominate('{A,B}', '{1,2}', '{A,A}', '{B,B}');
SELECT * FROM denominate('{A,B}', '{1,2}', '{A}', '{A}');
SELECT * FROM denominate('{A,B,C}', '{1,2,3}', '{A,B}', '{B,C}');
SELECT * FROM denominate('{A,B}', '{1,2}', '{A}', '{B}', '{0}');
SELECT * FROM denominate('{A,A}', '{1,2}', '{A}', '{B}');
SELECT * FROM denominate('{A,B}', '{1}', '{A}', '{B}');

-- Structure checks.  R has pillars P (a, b, c) and Q (d, e); four units.
--   P.a = .1 .4 .6 .9, P.b = .2 .3 .7 .8: deviations -.4 -.1 .1 .4 and
--   -.3 -.2 .2 .3, r = .28 / sqrt(.34 * .26) = 0.9417419116; both in the
--   same order: Spearman 1.
--   Cronbach's alpha of P: variances .34/3, .26/3, .3875/3 (P.c = .9 .5 .2
--   .1), sum 1.2 1.2 1.5 1.8 has variance .2475/3: alpha = 3/2 (1 -
--   .9875/.2475) = -4.4848484848 (P.c runs against a and b).
--   Q: Q.d is missing for u4, so n = 3; d + e is 1 for all three: no
--   variance, alpha NULL.
CREATE TABLE struct_leaves (unit text, code indicator_code, v float8);
INSERT INTO struct_leaves VALUES
	('u1', 'P.a', 0.1), ('u1', 'P.b', 0.2), ('u1', 'P.c', 0.9), ('u1', 'Q.d', 0.4), ('u1', 'Q.e', 0.6),
	('u2', 'P.a', 0.4), ('u2', 'P.b', 0.3), ('u2', 'P.c', 0.5), ('u2', 'Q.d', 0.5), ('u2', 'Q.e', 0.5),
	('u3', 'P.a', 0.6), ('u3', 'P.b', 0.7), ('u3', 'P.c', 0.2), ('u3', 'Q.d', 0.9), ('u3', 'Q.e', 0.1),
	('u4', 'P.a', 0.9), ('u4', 'P.b', 0.8), ('u4', 'P.c', 0.1), ('u4', 'Q.d', NULL), ('u4', 'Q.e', 0.3);
CREATE TABLE struct_cards AS
SELECT array_agg(sc ORDER BY unit) AS cards FROM (
	SELECT unit, rollup(framework_compile('{R,P,Q,P.a,P.b,P.c,Q.d,Q.e}', '{NULL,R,R,P,P,P,Q,Q}',
		'{NULL,NULL,NULL,1,1,1,1,1}'), code, v) AS sc
	FROM struct_leaves GROUP BY unit) t;
SELECT node, a, b, n, round(pearson::numeric, 10) AS pearson, round(spearman::numeric, 10) AS spearman
FROM struct_cards, structure_correlations(cards);
SELECT node, k, n, round(alpha::numeric, 10) AS alpha FROM struct_cards, cronbach_alpha(cards);
SELECT node, code, other, flag, round(pearson::numeric, 10) AS pearson FROM struct_cards, structure_report(cards);
SELECT node, code, other, flag FROM struct_cards, structure_report(cards, 0.95);

-- Sobol sensitivity of the ranks.  Three units over R = A (weight 1) + B
-- (weight 1.2): u1 is strong on A, u2 on B (ahead at the nominal weights),
-- so the weights of level 2 decide the order of u1 and u2.
CREATE TABLE sob_leaves (unit text, code indicator_code, v float8);
INSERT INTO sob_leaves VALUES ('u1', 'A', 0.9), ('u1', 'B', 0.1), ('u2', 'A', 0.1), ('u2', 'B', 0.9),
	('u3', 'A', 0.3), ('u3', 'B', 0.3);
CREATE TABLE sob AS
SELECT framework_compile('{R,A,B}', '{NULL,R,R}', '{NULL,1,1.2}') AS fw,
	   array_agg(unit ORDER BY unit) AS units,
	   array_agg(sc ORDER BY unit) AS cards
FROM (SELECT unit, rollup(framework_compile('{R,A,B}', '{NULL,R,R}', '{NULL,1,1.2}'), code, v) AS sc
	  FROM sob_leaves GROUP BY unit) t;
-- one source: its first-order index is 1 exactly (AB is B), u3 never moves
-- (0.3, always third: no variance, NULL; u2 is never below 0.1 * 0.581 +
-- 0.9 * 0.419 = 0.435 with weights moved by up to 25%).
SELECT unit, measure, source, first_order, round(total_effect::numeric, 2) AS total_effect
FROM sob, sobol_sensitivity(fw, units, cards, '{weights:2}', 200, 7, bootstrap => 0);
-- the root's method alone: under the geometric mean u1 (0.9^0.4545 *
-- 0.1^0.5455 = 0.27) falls behind u3 (0.3); u2 stays first
SELECT unit, measure, first_order FROM sob, sobol_sensitivity(fw, units, cards, '{methods:1}', 200, 7, bootstrap => 0);
-- a data source whose only other variant is the nominal data again has a
-- total effect of exactly 0
CREATE TABLE sob_variants AS
SELECT array_agg(sc ORDER BY unit) AS same FROM (
	SELECT unit, rollup((SELECT fw FROM sob), code, v) AS sc FROM sob_leaves GROUP BY unit) t;
SELECT unit, source, total_effect
FROM sob, sob_variants, sobol_sensitivity(fw, units, cards, '{weights:2,data:copy}', 200, 7,
	bootstrap => 0, variants => same, variant_counts => '{2}')
WHERE source = 'data:copy';
-- seeded: the same call gives the same rows
SELECT count(*) AS rows, count(DISTINCT x) AS distinct_results FROM (
	SELECT (SELECT array_agg(s.first_order ORDER BY s.unit, s.source) FROM sob,
		sobol_sensitivity(fw, units, cards, '{weights:2,methods:1}', 100, 1, bootstrap => 20) s)::text AS x
	FROM generate_series(1, 3)) t;
-- errors
SELECT * FROM sob, sobol_sensitivity(fw, units, cards, '{weights:3}', 100, 1);
SELECT * FROM sob, sobol_sensitivity(fw, units, cards, '{methods:2}', 100, 1);
SELECT * FROM sob, sobol_sensitivity(fw, units, cards, '{shuffle}', 100, 1);
SELECT * FROM sob, sobol_sensitivity(fw, units, cards, '{data:norm}', 100, 1);
SELECT * FROM sob, sobol_sensitivity(fw, units, cards, '{data:norm}', 100, 1, variants => cards, variant_counts => '{3}');
SELECT * FROM sob, sobol_sensitivity(fw, units, cards, '{weights:2}', 1, 1);
SELECT * FROM sob, sobol_sensitivity(fw, units, cards, '{weights:2}', 100, 1, factor => 1);
SELECT * FROM sob, sobol_sensitivity(fw, units, cards, '{}', 100, 1);

-- rank_intervals() with the levels to perturb.  R = P (A, B) + Q (C, D):
-- u1 and u2 tie on P (0.5) and Q (0.5) but differ inside P, so the weights
-- of level 2 cannot separate them and those of level 3 can.
CREATE TABLE ri_leaves (unit text, code indicator_code, v float8);
INSERT INTO ri_leaves VALUES ('u1', 'P.A', 0.9), ('u1', 'P.B', 0.1), ('u1', 'Q.C', 0.5), ('u1', 'Q.D', 0.5),
	('u2', 'P.A', 0.1), ('u2', 'P.B', 0.9), ('u2', 'Q.C', 0.5), ('u2', 'Q.D', 0.5),
	('u3', 'P.A', 0.2), ('u3', 'P.B', 0.2), ('u3', 'Q.C', 0.2), ('u3', 'Q.D', 0.2);
CREATE TABLE ri AS
SELECT framework_compile('{R,P,Q,P.A,P.B,Q.C,Q.D}', '{NULL,R,R,P,P,Q,Q}', '{NULL,NULL,NULL,1,1,1,1}') AS fw,
	   array_agg(unit ORDER BY unit) AS units, array_agg(sc ORDER BY unit) AS cards
FROM (SELECT unit, rollup(framework_compile('{R,P,Q,P.A,P.B,Q.C,Q.D}', '{NULL,R,R,P,P,Q,Q}', '{NULL,NULL,NULL,1,1,1,1}'), code, v) AS sc
	  FROM ri_leaves GROUP BY unit) t;
SELECT r.unit, r.nominal_rank, r.keep_share FROM ri, rank_intervals(fw, units, cards, 200, 0.25, 5, false, '{2}') r;
SELECT r.unit, r.nominal_rank, r.keep_share < 1 AS moves FROM ri, rank_intervals(fw, units, cards, 200, 0.25, 5, false, '{3}') r;
-- every level chosen: the same results as the call without levels, bit for bit
SELECT (SELECT array_agg(r ORDER BY r.unit)::text FROM ri, rank_intervals(fw, units, cards, 300, 0.25, 9, true, '{2,3}') r)
	 = (SELECT array_agg(r ORDER BY r.unit)::text FROM ri, rank_intervals(fw, units, cards, 300, 0.25, 9, true) r) AS same;
SELECT * FROM ri, rank_intervals(fw, units, cards, 10, 0.25, 1, false, '{1}');
SELECT * FROM ri, rank_intervals(fw, units, cards, 10, 0.25, 1, false, '{}');
