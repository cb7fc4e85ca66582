-- pgTAP: indicator_stats and the weighted means over the whole finite
-- float8 range: right within the stated error, or 22003; never quietly
-- wrong.  (The sums are scaled by a power of two: extension/compensated_sum.h,
-- extension/indicator_stats_core.c.)
BEGIN;
SELECT plan(35);

CREATE FUNCTION pg_temp.rel(a float8, b float8) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN a = b THEN 0 ELSE abs(a - b) / greatest(abs(a), abs(b)) END $$;

-- the largest values, both signs: sd = 1e308 * sqrt(2)
SELECT ok(pg_temp.rel(stats_sd(s), 1.4142135623730951e308) <= 1e-15 AND stats_mean(s) = 0,
	'indicator_stats over (1e308, -1e308): sd 1.4142135623730951e308, mean 0')
FROM (SELECT indicator_stats(v) s FROM (VALUES (1e308::float8), (-1e308)) t(v)) x;
SELECT is(z, 0.7071067811865475::float8, 'zscore of 1e308 among (1e308, -1e308)')
FROM (SELECT v, score('zscore', v, indicator_stats(v) OVER ()) z
	  FROM (VALUES (1e308::float8), (-1e308)) t(v)) x WHERE v > 0;
SELECT throws_ok(
	$$SELECT indicator_stats(v) FROM (VALUES (1.7e308::float8), (-1.7e308)) t(v)$$,
	'22003', 'standard deviation of the indicator values is out of range',
	'an sd beyond the largest float8 (values +-1.7e308) is an error');
-- values from 1e155 to 5e307 used to overflow the squares (22003)
SELECT ok(pg_temp.rel(stats_sd(s), 1e200) <= 1e-15 AND pg_temp.rel(stats_mean(s), 2e200) <= 1e-15,
	'indicator_stats over (1e200, 2e200, 3e200): sd 1e200, mean 2e200')
FROM (SELECT indicator_stats(v) s FROM (VALUES (1e200::float8), (2e200), (3e200)) t(v)) x;
SELECT ok(pg_temp.rel(stats_sd(s), 7.0710678118654755e307) <= 1e-15,
	'indicator_stats over (5e307, -5e307): sd 5e307 * sqrt(2)')
FROM (SELECT indicator_stats(v) s FROM (VALUES (5e307::float8), (-5e307)) t(v)) x;
-- identical values: sd exactly 0, the mean the value
SELECT is(indicator_stats(v)::text, '(n=3,min=7e+300,max=7e+300,mean=7e+300,sd=0)',
	'three identical huge values')
FROM (VALUES (7e300::float8), (7e300), (7e300)) t(v);
SELECT ok(stats_min(s) = -1e-320 AND stats_max(s) = -1e-320 AND stats_mean(s) = -1e-320 AND stats_sd(s) = 0,
	'four identical subnormal values: mean the value, sd 0')
FROM (SELECT indicator_stats(v) s FROM (VALUES (-1e-320::float8), (-1e-320), (-1e-320), (-1e-320)) t(v)) x;
-- subnormals: 1, 2, 3 times the smallest float8
SELECT ok(stats_mean(s) = 1e-323 AND stats_sd(s) = 5e-324,
	'subnormals 5e-324, 1e-323, 1.5e-323: mean 1e-323, sd 5e-324 exactly')
FROM (SELECT indicator_stats(v) s FROM (VALUES (5e-324::float8), (1e-323), (1.5e-323)) t(v)) x;
-- tiny spreads around 1e-300: the squares of the deviations are below the
-- smallest float8, yet the sd is right (reference: numeric over the exact
-- shortest decimal of each float8)
SELECT ok(pg_temp.rel(stats_sd(s), ref) <= 1e-12,
	'values k * 1e-300, k = 1..5: sd as numeric computes it within 1e-12')
FROM (SELECT indicator_stats(v) s, stddev_samp(v::text::numeric)::float8 ref
	  FROM (SELECT k * 1e-300::float8 v FROM generate_series(1, 5) k) t) x;
SELECT ok(pg_temp.rel(stats_sd(s), ref) <= 1e-5 AND stats_sd(s) > 0,
	'values 1e-300 + k * 1e-310: sd as numeric computes it within 1e-5 (deviations of 1e-10 relative)')
FROM (SELECT indicator_stats(v) s, stddev_samp(v::text::numeric)::float8 ref
	  FROM (SELECT 1e-300::float8 + k * 1e-310 v FROM generate_series(0, 4) k) t) x;
-- n = 1 and zeros
SELECT ok(stats_sd(s) IS NULL AND s::text = '(n=1,min=1e+308,max=1e+308,mean=1e+308,sd=0)',
	'one value: sd NULL, the summary holds the value')
FROM (SELECT indicator_stats(v) s FROM (VALUES (1e308::float8)) t(v)) x;
SELECT is(indicator_stats(v)::text, '(n=3,min=0,max=0,mean=0,sd=0)', 'only zeros')
FROM (VALUES (0::float8), (-0::float8), (0)) t(v);
-- the same bits as the unscaled computation on ordinary data
SELECT is(indicator_stats(g::float8)::text, '(n=10,min=1,max=10,mean=5.5,sd=3.0276503540974917)',
	'1..10 as before')
FROM generate_series(1, 10) g;
-- a huge value among ordinary ones, and a tiny one: the mean within
-- n * 1e-16 of the largest magnitude
SELECT ok(pg_temp.rel(stats_mean(s), 1e308 / 4) <= 1e-15 AND stats_min(s) = 1e-320 AND stats_max(s) = 1e308,
	'(1e308, 1, 2, 1e-320): mean 2.5e307')
FROM (SELECT indicator_stats(v) s FROM (VALUES (1e308::float8), (1), (2), (1e-320)) t(v)) x;

-- weighted means: products w * x beyond the float8 range and below it
SELECT is(weighted_mean(x, w), 1e308::float8, 'weighted_mean of 1e308 with weights 10 (w * x overflows)')
FROM (VALUES (1e308::float8, 10::float8), (1e308, 10)) t(x, w);
SELECT is(weighted_mean(x, w), 1e308::float8, 'weighted_mean of 1e308 with weights 1e308')
FROM (VALUES (1e308::float8, 1e308::float8), (1e308, 1e308)) t(x, w);
SELECT ok(pg_temp.rel(weighted_mean(x, w), 2e-200) <= 1e-15,
	'weighted_mean of 1e-200 and 3e-200 with weights 1e-200 (w * x underflows): 2e-200')
FROM (VALUES (1e-200::float8, 1e-200::float8), (3e-200, 1e-200)) t(x, w);
SELECT ok(pg_temp.rel(weighted_mean(x, w), 1.745e308) <= 1e-15,
	'weighted_mean near the largest float8')
FROM (VALUES (1.7e308::float8, 1::float8), (1.79e308, 1)) t(x, w);
SELECT is(weighted_mean(x, w), 2.0::float8, 'weighted_mean with subnormal weights')
FROM (VALUES (1::float8, 5e-324::float8), (3, 5e-324)) t(x, w);
SELECT is(weighted_mean(x, 1), 0.5::float8, 'compensation: 1, 1e100, 1, -1e100 average to 0.5')
FROM (VALUES (1::float8), (1e100), (1), (-1e100)) t(x);
SELECT ok(pg_temp.rel(weighted_geomean(x, w), 1e304) <= 1e-13,
	'weighted_geomean of 1e308 and 1e300 with weights 1e308: 1e304 (exp of a mean log of 700: 1e-13)')
FROM (VALUES (1e308::float8, 1e308::float8), (1e300, 1e308)) t(x, w);
SELECT is(weighted_geomean(x, w), 4.0::float8, 'weighted_geomean with subnormal weights')
FROM (VALUES (2::float8, 1e-320::float8), (8, 1e-320)) t(x, w);
SELECT ok(pg_temp.rel(weighted_harmonic(x, w), 2 / (1e308 + 1e300)) <= 1e-15,
	'weighted_harmonic of 1e-308 and 1e-300 with weights 1e308 (w / x overflows)')
FROM (VALUES (1e-308::float8, 1e308::float8), (1e-300, 1e308)) t(x, w);
SELECT is(weighted_harmonic(x, w), 5e-324::float8, 'weighted_harmonic of subnormals (1 / x overflows)')
FROM (VALUES (5e-324::float8, 1::float8), (5e-324, 1)) t(x, w);
SELECT is(weighted_mean(x, w), 2.5::float8, 'ordinary data as before')
FROM (VALUES (1::float8, 1::float8), (2, 1), (3, 1), (4, 1)) t(x, w);

-- weighted quantiles: only the ratios of the weights count, at any size
SELECT is(weighted_quantile(x, w, 0.3), (SELECT weighted_quantile(x, w, 0.3) FROM (VALUES (1::float8, 2::float8), (2, 2), (3, 3)) t(x, w)),
	'weighted_quantile 0.3 with weights 2^1023, 2^1023, 1.5 * 2^1023 (their total overflows): as with 2, 2, 3')
FROM (VALUES (1::float8, 2::float8 ^ 1023), (2, 2::float8 ^ 1023), (3, 1.5 * 2::float8 ^ 1023)) t(x, w);
SELECT is(weighted_median(x, w), (SELECT weighted_median(x, w) FROM (VALUES (1::float8, 1::float8), (2, 1), (3, 2)) t(x, w)),
	'weighted_median with subnormal weights 5e-324, 5e-324, 1e-323: as with 1, 1, 2')
FROM (VALUES (1::float8, 5e-324::float8), (2, 5e-324), (3, 1e-323)) t(x, w);
SELECT is(weighted_median(x, w), 0::float8,
	'weighted_median between -1.7e308 and 1.7e308 (their difference overflows)')
FROM (VALUES (-1.7e308::float8, 1::float8), (1.7e308, 1)) t(x, w);
SELECT is(weighted_median(x, 1), 0::float8,
	'equal weights between -1.7e308 and 1.7e308')
FROM (VALUES (-1.7e308::float8), (1.7e308)) t(x);

-- parallel workers: the same statistics as one process, within 1e-12,
-- over values of every magnitude (partial states at different scales); a
-- plain table, since workers cannot read temporary ones
CREATE TABLE wide AS
SELECT g, (CASE WHEN g % 2 = 0 THEN 1 ELSE -1 END) * (1 + (g % 7)) * 10.0::float8 ^ ((g % 601) - 300) AS x,
	   10.0::float8 ^ ((g % 37) - 18) AS w
FROM generate_series(1, 60000) g;
INSERT INTO wide VALUES (0, 1e308, 1), (-1, -1e308, 1);
ANALYZE wide;
CREATE TEMP TABLE serial_result AS
SELECT indicator_stats(x) s, weighted_mean(x, w) m, weighted_harmonic(abs(x), w) h FROM wide;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE l text; r text := '';
BEGIN
	FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP r := r || l || E'\n'; END LOOP;
	RETURN r;
END $$;
SELECT ok(pg_temp.plan_of('SELECT indicator_stats(x), weighted_mean(x, w), weighted_harmonic(abs(x), w) FROM wide')
	LIKE '%Partial Aggregate%Parallel Seq Scan%', 'the plan splits the aggregates over workers');
CREATE TEMP TABLE parallel_result AS
SELECT indicator_stats(x) s, weighted_mean(x, w) m, weighted_harmonic(abs(x), w) h FROM wide;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather; RESET parallel_leader_participation;
SELECT ok(stats_n(p.s) = stats_n(q.s) AND stats_min(p.s) = stats_min(q.s) AND stats_max(p.s) = stats_max(q.s)
	AND pg_temp.rel(stats_sd(p.s), stats_sd(q.s)) <= 1e-12
	AND abs(stats_mean(p.s) - stats_mean(q.s)) <= 1e-12 * 1e308,
	'indicator_stats: parallel equals serial (n, min, max exactly; sd within 1e-12; mean within 1e-12 of the largest value)')
FROM serial_result p, parallel_result q;
SELECT ok(pg_temp.rel(p.m, q.m) <= 1e-12 AND pg_temp.rel(p.h, q.h) <= 1e-12,
	'weighted_mean and weighted_harmonic: parallel equals serial within 1e-12')
FROM serial_result p, parallel_result q;
SELECT ok(pg_temp.rel(stats_sd(s), 1e308 * sqrt(2.0 / 60001)) <= 1e-9,
	'the sd of the wide table: +-1e308 dominate, 1e308 * sqrt(2 / 60001)')
FROM serial_result;

SELECT is(stats_n(indicator_stats(v)), 60002::bigint, 'every row counted') FROM (SELECT x v FROM wide) t;
SELECT is(weighted_mean(x, w) IS NULL, true, 'all weights 0: NULL') FROM (VALUES (1e308::float8, 0::float8)) t(x, w);

SELECT * FROM finish();
ROLLBACK;
