-- pgTAP: the weighted aggregates' catalog entries and behaviour.
BEGIN;
SELECT plan(66);

-- Support functions: exist, immutable, strict only where a NULL input means
-- a NULL output.
SELECT has_function('weighted_mean_step', ARRAY['weighted_mean_state', 'double precision', 'double precision']);
SELECT has_function('weighted_geomean_step', ARRAY['weighted_mean_state', 'double precision', 'double precision']);
SELECT has_function('weighted_harmonic_step', ARRAY['weighted_mean_state', 'double precision', 'double precision']);
SELECT has_function('weighted_mean_combine', ARRAY['weighted_mean_state', 'weighted_mean_state']);
SELECT has_function('weighted_mean_state_in', ARRAY['cstring']);
SELECT has_function('weighted_mean_state_recv', ARRAY['internal']);
SELECT has_function('weighted_mean_final', ARRAY['weighted_mean_state']);
SELECT has_function('weighted_geomean_final', ARRAY['weighted_mean_state']);
SELECT has_function('weighted_harmonic_final', ARRAY['weighted_mean_state']);
SELECT has_function('weighted_quantile_step', ARRAY['weighted_quantile_state', 'double precision', 'double precision', 'double precision']);
SELECT has_function('weighted_median_step', ARRAY['weighted_quantile_state', 'double precision', 'double precision']);
SELECT has_function('weighted_quantile_combine', ARRAY['weighted_quantile_state', 'weighted_quantile_state']);
SELECT has_function('weighted_quantile_state_in', ARRAY['cstring']);
SELECT has_function('weighted_quantile_state_recv', ARRAY['internal']);
SELECT has_function('weighted_quantile_final', ARRAY['weighted_quantile_state']);

SELECT volatility_is(f, args, 'immutable', f || ' is immutable')
FROM (VALUES
	('weighted_mean_step', ARRAY['weighted_mean_state', 'double precision', 'double precision']),
	('weighted_geomean_step', ARRAY['weighted_mean_state', 'double precision', 'double precision']),
	('weighted_harmonic_step', ARRAY['weighted_mean_state', 'double precision', 'double precision']),
	('weighted_mean_combine', ARRAY['weighted_mean_state', 'weighted_mean_state']),
	('weighted_mean_state_in', ARRAY['cstring']),
	('weighted_mean_state_recv', ARRAY['internal']),
	('weighted_mean_final', ARRAY['weighted_mean_state']),
	('weighted_geomean_final', ARRAY['weighted_mean_state']),
	('weighted_harmonic_final', ARRAY['weighted_mean_state']),
	('weighted_quantile_step', ARRAY['weighted_quantile_state', 'double precision', 'double precision', 'double precision']),
	('weighted_median_step', ARRAY['weighted_quantile_state', 'double precision', 'double precision']),
	('weighted_quantile_combine', ARRAY['weighted_quantile_state', 'weighted_quantile_state']),
	('weighted_quantile_state_in', ARRAY['cstring']),
	('weighted_quantile_state_recv', ARRAY['internal']),
	('weighted_quantile_final', ARRAY['weighted_quantile_state'])
) v(f, args);

-- Transition and combine functions see NULL inputs; the others are strict.
SELECT isnt_strict('weighted_mean_step', ARRAY['weighted_mean_state', 'double precision', 'double precision']);
SELECT isnt_strict('weighted_geomean_step', ARRAY['weighted_mean_state', 'double precision', 'double precision']);
SELECT isnt_strict('weighted_harmonic_step', ARRAY['weighted_mean_state', 'double precision', 'double precision']);
SELECT isnt_strict('weighted_mean_combine', ARRAY['weighted_mean_state', 'weighted_mean_state']);
SELECT is_strict('weighted_mean_state_in', ARRAY['cstring']);
SELECT is_strict('weighted_mean_state_recv', ARRAY['internal']);
SELECT is_strict('weighted_mean_final', ARRAY['weighted_mean_state']);
SELECT is_strict('weighted_geomean_final', ARRAY['weighted_mean_state']);
SELECT is_strict('weighted_harmonic_final', ARRAY['weighted_mean_state']);
SELECT isnt_strict('weighted_quantile_step', ARRAY['weighted_quantile_state', 'double precision', 'double precision', 'double precision']);
SELECT isnt_strict('weighted_median_step', ARRAY['weighted_quantile_state', 'double precision', 'double precision']);
SELECT isnt_strict('weighted_quantile_combine', ARRAY['weighted_quantile_state', 'weighted_quantile_state']);
SELECT is_strict('weighted_quantile_state_in', ARRAY['cstring']);
SELECT is_strict('weighted_quantile_state_recv', ARRAY['internal']);
SELECT is_strict('weighted_quantile_final', ARRAY['weighted_quantile_state']);

-- The aggregates.
SELECT is_aggregate('weighted_mean', ARRAY['double precision', 'double precision']);
SELECT is_aggregate('weighted_geomean', ARRAY['double precision', 'double precision']);
SELECT is_aggregate('weighted_harmonic', ARRAY['double precision', 'double precision']);
SELECT is_aggregate('weighted_quantile', ARRAY['double precision', 'double precision', 'double precision']);
SELECT is_aggregate('weighted_median', ARRAY['double precision', 'double precision']);

-- Every aggregate and support function is parallel safe, every aggregate
-- has a combine function and a state of a type of its own (which Citus can
-- ship between nodes), so no serialize and deserialize functions.
SELECT is(
	(SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p
	 WHERE p.proname ~ '^weighted_(mean|geomean|harmonic|quantile|median)' AND p.proparallel <> 's'),
	NULL, 'every weighted aggregate and support function is PARALLEL SAFE');
SELECT is(
	(SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	 WHERE p.proname IN ('weighted_mean', 'weighted_geomean', 'weighted_harmonic', 'weighted_quantile', 'weighted_median')
	   AND a.aggcombinefn <> 0
	   AND a.aggserialfn = 0 AND a.aggdeserialfn = 0
	   AND a.aggtranstype = CASE WHEN p.proname IN ('weighted_quantile', 'weighted_median') THEN 'weighted_quantile_state'::regtype
	                             ELSE 'weighted_mean_state'::regtype END
	   AND a.aggfinalmodify = CASE WHEN p.proname IN ('weighted_quantile', 'weighted_median') THEN 's' ELSE 'r' END
	   AND p.proparallel = 's'),
	5::bigint, 'the five aggregates have combine functions; the means a weighted_mean_state, the quantiles a weighted_quantile_state, none a serialize function');

-- Bad input: SQLSTATE 22023.
SELECT throws_ok($$SELECT weighted_mean(x, w) FROM (VALUES (1::float8, -1::float8)) v(x, w)$$,
	'22023', 'weight must not be negative in weighted_mean', 'negative weight');
SELECT throws_ok($$SELECT weighted_median(x, w) FROM (VALUES (1::float8, -2::float8)) v(x, w)$$,
	'22023', NULL, 'negative weight in weighted_median');
SELECT throws_ok($$SELECT weighted_mean(x, w) FROM (VALUES ('NaN'::float8, 1::float8)) v(x, w)$$,
	'22023', 'value must be a finite number in weighted_mean', 'NaN value');
SELECT throws_ok($$SELECT weighted_quantile(x, w, 0.5) FROM (VALUES (1::float8, 'NaN'::float8)) v(x, w)$$,
	'22023', 'weight must be a finite number in weighted_quantile', 'NaN weight');
SELECT throws_ok($$SELECT weighted_geomean(x, w) FROM (VALUES (0::float8, 1::float8)) v(x, w)$$,
	'22023', 'weighted_geomean requires positive values', 'geometric mean of 0');
SELECT throws_ok($$SELECT weighted_harmonic(x, w) FROM (VALUES (-1::float8, 1::float8)) v(x, w)$$,
	'22023', 'weighted_harmonic requires positive values', 'harmonic mean of a negative value');
SELECT throws_ok($$SELECT weighted_quantile(x, w, 2) FROM (VALUES (1::float8, 1::float8)) v(x, w)$$,
	'22023', 'quantile must be between 0 and 1 in weighted_quantile', 'quantile out of range');

-- Values.
SELECT results_eq(
	$$SELECT weighted_mean(x, w), weighted_median(x, w), weighted_quantile(x, w, 0.25)
	  FROM (VALUES (10::float8, 1::float8), (20, 2), (30, 1), (NULL, 4), (99, 0)) v(x, w)$$,
	$$VALUES (20::float8, 20::float8, 15::float8)$$,
	'weighted mean, median and quartile of 10, 20, 30 weighted 1, 2, 1');
SELECT results_eq(
	$$SELECT round(weighted_geomean(x, w)::numeric, 10), round(weighted_harmonic(x, w)::numeric, 10)
	  FROM (VALUES (10::float8, 1::float8), (20, 2), (30, 1)) v(x, w)$$,
	$$VALUES (round((120000 ^ 0.25)::numeric, 10), round(120 / 7.0, 10))$$,
	'weighted geometric and harmonic means of 10, 20, 30 weighted 1, 2, 1');
SELECT results_eq(
	$$SELECT weighted_median(x, w) FROM (VALUES (1::float8, 0.5::float8), (2, 1.5), (3, 2)) v(x, w)$$,
	$$VALUES (2 + 3 / 14.0::float8)$$,
	'weighted median with fractional weights');
SELECT is(
	(SELECT weighted_mean(x, w) FROM (VALUES (1::float8, 0::float8)) v(x, w)),
	NULL, 'all weights zero gives NULL');
SELECT ok(
	(SELECT weighted_median(x, 1) = percentile_cont(0.5) WITHIN GROUP (ORDER BY x)
	 FROM generate_series(1, 1000) g, LATERAL (SELECT sin(g) * 1000 AS x) s),
	'equal-weight median equals percentile_cont');

-- Compensated sums (Neumaier): a small term survives a huge one of the
-- opposite sign; plain Kahan summation gives 0 here.
SELECT is((SELECT weighted_mean(x, 1 ORDER BY i) FROM (VALUES (1, 1::float8), (2, 1e100), (3, 1), (4, -1e100)) v(i, x)),
	0.5::float8, 'weighted_mean(x, 1) over 1, 1e100, 1, -1e100 is 0.5');
SELECT is((SELECT weighted_mean(1, w ORDER BY i) FROM (VALUES (1, 1::float8), (2, 1e100), (3, 1), (4, 1e100)) v(i, w)),
	1::float8, 'weighted_mean of a constant is the constant whatever the weights');

SELECT * FROM finish();
ROLLBACK;
