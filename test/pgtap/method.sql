-- Method steps on one indicator: contracts of skewness, kurtosis,
-- winsorise, winsorise_report, treat_outliers and impute.
BEGIN;
SELECT plan(36);

SELECT is_aggregate('skewness', ARRAY['double precision']);
SELECT is_aggregate('kurtosis', ARRAY['double precision']);
SELECT results_eq(
	$$SELECT p.proname::text COLLATE "default", a.aggcombinefn <> 0, a.aggtranstype::regtype::text, p.proparallel
	  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	  WHERE p.proname IN ('skewness', 'kurtosis') ORDER BY 1$$,
	$$VALUES ('kurtosis', true, 'double precision[]', 's'::"char"), ('skewness', true, 'double precision[]', 's'::"char")$$,
	'skewness and kurtosis: combine function, a standard state type, parallel safe');
SELECT is(count(*), 0::bigint, 'every method function is immutable and parallel safe')
FROM pg_proc WHERE proname IN ('moments_accum', 'moments_combine', 'skewness_final', 'kurtosis_final',
	'winsorise', 'winsorise_report', 'treat_outliers', 'impute', 'denominate', 'method_require',
	'structure_correlations', 'cronbach_alpha', 'structure_report', 'sobol_sensitivity')
	AND (proparallel <> 's' OR provolatile <> 'i');
SELECT is(count(*), 14::bigint, 'fourteen method functions') FROM pg_proc
WHERE proname IN ('moments_accum', 'moments_combine', 'skewness_final', 'kurtosis_final',
	'winsorise', 'winsorise_report', 'treat_outliers', 'impute', 'denominate', 'method_require',
	'structure_correlations', 'cronbach_alpha', 'structure_report', 'sobol_sensitivity');

-- A parallel plan gives the serial result (partial states merged).
CREATE TABLE method_big AS
SELECT g % 3 AS g, exp(((g * 7919) % 1000) / 250.0) + (g % 17) AS x FROM generate_series(1, 60000) g;
ANALYZE method_big;
CREATE TEMP TABLE serial AS SELECT g, skewness(x) AS s, kurtosis(x) AS k FROM method_big GROUP BY g;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL enable_hashagg = off;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE r text; p text := '';
BEGIN
	FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP p := p || r || E'\n'; END LOOP;
	RETURN p;
END $f$;
SELECT matches(pg_temp.plan_of('SELECT g, skewness(x), kurtosis(x) FROM method_big GROUP BY g'), 'Partial',
	'the aggregates run in parallel (partial aggregation in the plan)');
CREATE TEMP TABLE par AS SELECT g, skewness(x) AS s, kurtosis(x) AS k FROM method_big GROUP BY g;
SELECT is((SELECT max(greatest(abs(p.s - s.s) / abs(s.s), abs(p.k - s.k) / abs(s.k))) < 1e-12 FROM par p JOIN serial s USING (g)),
	true, 'the parallel and serial skewness and kurtosis agree to 1e-12 relative');
SELECT is((SELECT count(*) FROM par), 3::bigint, 'three groups');
RESET parallel_setup_cost;
-- the merged state of two halves is the state of the whole
CREATE FUNCTION pg_temp.state_of(xs float8[]) RETURNS float8[] LANGUAGE plpgsql AS $f$
DECLARE st float8[] := '{0,0,0,0,0}'; v float8;
BEGIN
	FOREACH v IN ARRAY xs LOOP st := moments_accum(st, v); END LOOP;
	RETURN st;
END $f$;
SELECT is((SELECT round(skewness_final(moments_combine(pg_temp.state_of(ARRAY[1,2,3,50]::float8[]),
		pg_temp.state_of(ARRAY[4,5,6,7,8,200]::float8[])))::numeric, 12)),
	(SELECT round(skewness(x)::numeric, 12) FROM unnest(ARRAY[1,2,3,50,4,5,6,7,8,200]::float8[]) x),
	'two states merged give the skewness of all the values');
-- errors carry SQLSTATEs
SELECT throws_ok($$SELECT skewness(x) FROM (VALUES ('Infinity'::float8)) t(x)$$, '22023',
	'skewness and kurtosis need finite values, not Infinity');
SELECT throws_ok($$SELECT skewness_final('{1,0,0,0}')$$, '22023',
	'skewness_final: the state must be an array of 5 float8 without NULLs');
SELECT throws_ok($$SELECT skewness_final('{2,0,-1,0,0}')$$, '22023', 'skewness_final: invalid moments state');
SELECT throws_ok($$SELECT winsorise(ARRAY[1,'NaN']::float8[])$$, '22023',
	'outlier treatment needs finite values, not NaN at position 2');
SELECT throws_ok($$SELECT winsorise(ARRAY[1,2]::float8[], 5, 'NaN', 3.5)$$, '22023',
	'the thresholds must be finite and the skewness threshold 0 or more');
SELECT throws_ok($$SELECT winsorise(ARRAY[[1,2],[3,4]]::float8[])$$, '2202E',
	'the values must be a one-dimensional array');
SELECT throws_ok($$SELECT * FROM impute(ARRAY['a'], ARRAY[NULL]::float8[], 'hot_deck')$$, '22023',
	'impute: unknown method "hot_deck"');
SELECT throws_ok($$SELECT * FROM impute(ARRAY['a'], NULL, 'mean')$$, '22004',
	'impute: units, values and method must not be NULL');
SELECT throws_ok($$SELECT * FROM treat_outliers(ARRAY['a','b'], ARRAY[1]::float8[])$$, '22023',
	'treat_outliers: 2 units but 1 values');

-- NULLs: kept in place by winsorise, skipped by the aggregates, STRICT elsewhere
SELECT is(winsorise(ARRAY[NULL, 1, NULL]::float8[]), ARRAY[NULL, 1, NULL]::float8[], 'NULL cells stay where they were');
SELECT is(winsorise(NULL), NULL, 'winsorise(NULL) is NULL');
SELECT is((winsorise_report(ARRAY[NULL, NULL]::float8[])).n, 0, 'no values present: n = 0');
SELECT is((winsorise_report(ARRAY[NULL, NULL]::float8[])).treatment, 'none', 'no values present: nothing to treat');

-- imputed cells listed with how and from what; observed cells never change
SELECT results_eq(
	$$SELECT unit, value, how, donors, donor_group FROM impute(ARRAY['a','b','c','d'], ARRAY[2,NULL,4,NULL]::float8[],
		'group_mean', ARRAY['x','x','y','y']) WHERE imputed$$,
	$$VALUES ('b', 2::float8, 'group_mean', 1, 'x'), ('d', 4::float8, 'group_mean', 1, 'y')$$,
	'group_mean: each imputed cell with its method, donor count and group');
SELECT is((SELECT count(*) FROM impute(ARRAY['a','b','c'], ARRAY[2,5,7]::float8[], 'mean') WHERE imputed OR how IS NOT NULL),
	0::bigint, 'nothing missing: nothing imputed');

-- method_require: the array back, or the error asked for
SELECT is(method_require(ARRAY[1, 2], true, '22023', 'no'), ARRAY[1, 2], 'method_require passes the array through');
SELECT throws_ok($$SELECT method_require(ARRAY[1], false, '2201E', 'bad thing')$$, '2201E', 'bad thing');
SELECT throws_ok($$SELECT method_require(ARRAY[1], NULL, 'bad!!', 'NULL is not true')$$, '22023', 'NULL is not true');
-- denominate and the structure checks
SELECT throws_ok($$SELECT * FROM denominate('{A,B}', '{1,2}', '{A}', '{B}', '{-1}')$$, '22023',
	'denominate: scales must be positive and finite');
SELECT throws_ok($$SELECT * FROM denominate('{A,B}', NULL, '{A}', '{B}')$$, '22004',
	'denominate: codes, values, declared and denominators must not be NULL');
SELECT results_eq($$SELECT value, note FROM denominate('{A,P}', '{3,1.5}', '{A}', '{P}', '{10}')$$,
	$$VALUES (20::float8, 'denominated'), (1.5::float8, NULL)$$, 'A per P times 10: 3 / 1.5 * 10 = 20');
SELECT is((SELECT count(*) FROM structure_correlations(ARRAY[]::scorecard[])), 0::bigint,
	'no cards: no correlations');

-- sobol_sensitivity: contracts
CREATE TEMP TABLE sob AS
SELECT framework_compile('{R,A,B}', '{NULL,R,R}', '{NULL,1,2}') AS fw, ARRAY['x','y'] AS units,
	ARRAY[(SELECT rollup(framework_compile('{R,A,B}', '{NULL,R,R}', '{NULL,1,2}'), c, v)
		   FROM (VALUES ('A'::indicator_code, 0.9::float8), ('B', 0.2)) t(c, v)),
		  (SELECT rollup(framework_compile('{R,A,B}', '{NULL,R,R}', '{NULL,1,2}'), c, v)
		   FROM (VALUES ('A'::indicator_code, 0.1::float8), ('B', 0.6)) t(c, v))] AS cards;
SELECT throws_ok($$SELECT * FROM sob, sobol_sensitivity(fw, units, cards, '{weights:7}', 10, 1)$$, '22023',
	'uncertainty source "weights:7": level 7 has no weighted node');
SELECT throws_ok($$SELECT * FROM sob, sobol_sensitivity(fw, units, cards, NULL, 10, 1)$$, '22004',
	'sobol_sensitivity: the framework, units, cards, sources, base samples and seed must not be NULL');
SELECT throws_ok($$SELECT * FROM sob, sobol_sensitivity(fw, units[1:1], cards, '{weights:2}', 10, 1)$$, '2202E',
	'sobol_sensitivity got 1 units but 2 scorecards');
SELECT throws_ok($$SELECT * FROM sob, sobol_sensitivity(fw, units, cards, '{weights:2}', 10000000, 1)$$, '54000',
	'base_samples x (sources + 2) x (units + 1) must not exceed 50000000');
SELECT results_eq($$SELECT s.unit, s.measure, s.first_low <= s.first_order AND s.first_order <= s.first_high
		FROM sob, sobol_sensitivity(fw, units, cards, '{weights:2}', 300, 3, bootstrap => 100) s$$,
	$$VALUES ('x', 'rank', true), ('y', 'rank', true), (NULL, 'mean_abs_rank_shift', true)$$,
	'one row per unit and one for the mean shift, each estimate within its bootstrap interval');

SELECT * FROM finish();
ROLLBACK;
