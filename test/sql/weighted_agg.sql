-- Weighted aggregates: weighted_mean, weighted_geomean, weighted_harmonic,
-- weighted_quantile, weighted_median.
SET extra_float_digits = 0;

-- Values rounded to 10 significant digits, for printing float results.
CREATE FUNCTION sig10(v float8) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN v = 0 THEN 0::numeric
		ELSE round(v::numeric, 9 - floor(log(abs(v::numeric)))::int) END
$$;
-- Relative difference of a float result from a numeric reference.
CREATE FUNCTION reldiff(v float8, ref numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
	SELECT abs(v::numeric - ref) / abs(ref)
$$;

-- Hand-computed means: x = 10, 20, 30 with weights 1, 2, 1.
--   mean = (10 + 40 + 30) / 4 = 20
--   geomean = (10 * 20^2 * 30)^(1/4) = 120000^(1/4) = 18.61209718...
--   harmonic = 4 / (1/10 + 2/20 + 1/30) = 120/7 = 17.14285714...
CREATE TABLE small (x float8, w float8);
INSERT INTO small VALUES (10, 1), (20, 2), (30, 1);
SELECT weighted_mean(x, w), sig10(weighted_geomean(x, w)) AS geomean,
	sig10(weighted_harmonic(x, w)) AS harmonic, sig10(120000 ^ 0.25) AS geomean_by_hand,
	sig10(120.0 / 7) AS harmonic_by_hand
FROM small;

-- NULL value or NULL weight skips the row; weight 0 does not count.
INSERT INTO small VALUES (NULL, 5), (1000, NULL), (NULL, NULL), (1000, 0);
SELECT weighted_mean(x, w), sig10(weighted_geomean(x, w)) AS geomean,
	sig10(weighted_harmonic(x, w)) AS harmonic, weighted_median(x, w) AS median
FROM small;

-- Equal weights give the plain means; weights scale freely.
SELECT weighted_mean(x, 1) AS mean, sig10(weighted_geomean(x, 0.25)) AS geomean,
	sig10(weighted_harmonic(x, 3)) AS harmonic
FROM (VALUES (1::float8), (2), (4)) v(x);

-- All weights zero, only NULLs, or no rows: NULL.
SELECT weighted_mean(x, w) IS NULL AS mean_null, weighted_geomean(x, w) IS NULL AS geo_null,
	weighted_harmonic(x, w) IS NULL AS harm_null, weighted_median(x, w) IS NULL AS median_null,
	weighted_quantile(x, w, 0.3) IS NULL AS quantile_null
FROM (VALUES (1::float8, 0::float8), (2, 0)) v(x, w);
SELECT weighted_mean(x, w) IS NULL AS mean_null, weighted_median(x, w) IS NULL AS median_null
FROM (VALUES (NULL::float8, 1::float8), (2, NULL)) v(x, w);
SELECT weighted_mean(x, w) IS NULL AS mean_null, weighted_geomean(x, w) IS NULL AS geo_null,
	weighted_harmonic(x, w) IS NULL AS harm_null, weighted_median(x, w) IS NULL AS median_null
FROM small WHERE false;

-- Errors (SQLSTATE 22023): negative weight, NaN and infinite input, x <= 0
-- for the geometric and harmonic means, bad quantiles.
\set VERBOSITY default
SELECT weighted_mean(x, w) FROM (VALUES (1::float8, 1::float8), (2, -0.5)) v(x, w);
SELECT weighted_median(x, w) FROM (VALUES (1::float8, -1::float8)) v(x, w);
SELECT weighted_mean(x, w) FROM (VALUES ('NaN'::float8, 1::float8)) v(x, w);
SELECT weighted_harmonic(x, w) FROM (VALUES (1::float8, 'Infinity'::float8)) v(x, w);
SELECT weighted_quantile(x, w, 0.5) FROM (VALUES ('-Infinity'::float8, 1::float8)) v(x, w);
SELECT weighted_geomean(x, w) FROM (VALUES (2::float8, 1::float8), (0, 1)) v(x, w);
SELECT weighted_geomean(x, w) FROM (VALUES (-3::float8, 0::float8)) v(x, w);
SELECT weighted_harmonic(x, w) FROM (VALUES (-1::float8, 1::float8)) v(x, w);
SELECT weighted_quantile(x, w, 1.5) FROM (VALUES (1::float8, 1::float8)) v(x, w);
SELECT weighted_quantile(x, w, 'NaN') FROM (VALUES (1::float8, 1::float8)) v(x, w);
SELECT weighted_quantile(x, w, NULL) FROM (VALUES (1::float8, 1::float8)) v(x, w);
SELECT weighted_quantile(x, w, q) FROM (VALUES (1::float8, 1::float8, 0.5::float8), (2, 1, 0.75)) v(x, w, q);
-- w * x beyond float8 is summed scaled (test/pgtap/numeric_range.sql)
SELECT weighted_mean(x, w) FROM (VALUES (1e300::float8, 1e300::float8), (1e300, 1e300)) v(x, w);
\set VERBOSITY terse

-- Quantiles, hand-computed.  x = 1, 2, 3 with weights 0.5, 1.5, 2: centres
-- c = 0.25, 1.25, 3 (first 0, last 1 on the q axis: s = 0, 4/11, 1).
--   q = 0.25: target c = 0.25 + 0.25 * 2.75 = 0.9375, between c1 and c2:
--             1 + (0.9375 - 0.25) / 1 = 1.6875
--   q = 0.5:  target 1.625, between c2 and c3: 2 + 0.375 / 1.75 = 2 + 3/14
--   q = 0.9:  target 2.725, between c2 and c3: 2 + 1.475 / 1.75 = 2 + 59/70
--   q = 4/11: exactly c2, so 2; q = 0 and q = 1: the smallest and largest.
CREATE TABLE frac (x float8, w float8);
INSERT INTO frac VALUES (3, 2), (1, 0.5), (2, 1.5);
SELECT q, weighted_quantile(x, w, q) AS quantile, sig10(weighted_quantile(x, w * 7.3, q)) AS scaled_weights
FROM frac, (VALUES (0::float8), (0.25), (0.5), (0.9), (1)) qs(q)
GROUP BY q ORDER BY q;
SELECT sig10(weighted_median(x, w)) AS median, sig10(2 + 3 / 14.0) AS by_hand,
	sig10(weighted_quantile(x, w, 0.9)) AS q90, sig10(2 + 59 / 70.0) AS q90_by_hand,
	weighted_quantile(x, w, 4 / 11.0) AS at_c2
FROM frac;
-- x = 10, 20, 30 with weights 1, 2, 1: c = 0.5, 2, 3.5, s = 0, 0.5, 1,
-- so the median is 20 and the quartiles 15 and 25.  A single value is its
-- own quantile.  Ties in x keep each row's own weight.
SELECT weighted_median(x, w) AS median, weighted_quantile(x, w, 0.25) AS q25,
	weighted_quantile(x, w, 0.75) AS q75
FROM (VALUES (10::float8, 1::float8), (20, 2), (30, 1)) v(x, w);
SELECT weighted_median(x, w) AS single, weighted_quantile(x, w, 0.1) AS single_q10
FROM (VALUES (42::float8, 0.3::float8), (7, 0)) v(x, w);
SELECT weighted_median(x, w) AS tied_median
FROM (VALUES (1::float8, 1::float8), (1, 3), (5, 1)) v(x, w);
-- Equal weights: the even median is the midpoint, as percentile_cont.
SELECT weighted_median(x, 2) AS even_median, percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS percentile_cont
FROM (VALUES (1::float8), (2), (4), (10)) v(x);
-- The final function sorts the state in place (FINALFUNC_MODIFY = SHAREABLE),
-- so the quantiles are not window functions; aggregate a subquery instead.
SELECT x, weighted_median(x, w) OVER (ORDER BY x) AS running_median
FROM (VALUES (1::float8, 1::float8), (2, 1), (3, 2), (4, 1)) v(x, w) ORDER BY x;

-- One million deterministic positive values against the same formulas over
-- numeric: within 1e-12 relative.
CREATE TABLE big AS
SELECT g, (1 + (g % 9973) * 0.37 + 1.0 / g)::float8 AS x,
	(((g * 7) % 13 + 1) / 7.0)::float8 AS w, g % 10000 AS grp
FROM generate_series(1, 1000000) g;
ANALYZE big;
WITH c AS (
	SELECT weighted_mean(x, w) AS mean, weighted_geomean(x, w) AS geomean,
		weighted_harmonic(x, w) AS harmonic FROM big
), r AS (
	SELECT sum(w::numeric * x::numeric) / sum(w::numeric) AS mean,
		exp(sum(w::numeric * ln(x::numeric)) / sum(w::numeric)) AS geomean,
		sum(w::numeric) / sum(w::numeric / x::numeric) AS harmonic FROM big
)
SELECT reldiff(c.mean, r.mean) < 1e-12 AS mean_ok, sig10(c.mean) AS mean,
	reldiff(c.geomean, r.geomean) < 1e-12 AS geomean_ok, sig10(c.geomean) AS geomean,
	reldiff(c.harmonic, r.harmonic) < 1e-12 AS harmonic_ok, sig10(c.harmonic) AS harmonic
FROM c, r;

-- Equal weights: bit-identical to percentile_cont, odd and even n.
SELECT n, q,
	weighted_quantile(x, 1, q) = percentile_cont(q) WITHIN GROUP (ORDER BY x) AS same,
	sig10(weighted_quantile(x, 1, q)) AS quantile
FROM (VALUES (100001), (100000)) ns(n),
	(VALUES (0::float8), (0.1), (0.25), (0.333), (0.5), (0.9), (0.999), (1)) qs(q),
	LATERAL (SELECT x FROM big WHERE g <= n) b
GROUP BY n, q ORDER BY n, q;
SELECT weighted_median(x, 1.0) = percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS odd_same,
	weighted_median(x, 0.5) FILTER (WHERE g > 1) = percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FILTER (WHERE g > 1) AS even_same
FROM big;

-- Many groups: every group against the numeric formula and percentile_cont.
SELECT count(*) AS groups,
	count(*) FILTER (WHERE reldiff(mean, ref_mean) >= 1e-12) AS mean_off,
	count(*) FILTER (WHERE median IS DISTINCT FROM pc) AS median_off
FROM (
	SELECT grp, weighted_mean(x, w) AS mean,
		sum(w::numeric * x::numeric) / sum(w::numeric) AS ref_mean,
		weighted_median(x, 1) AS median,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS pc
	FROM big GROUP BY grp
) s;

-- Serial results, kept to compare with the parallel plans.
CREATE TABLE serial_whole AS
SELECT weighted_mean(x, w) AS mean, weighted_geomean(x, w) AS geomean,
	weighted_harmonic(x, w) AS harmonic, weighted_median(x, w) AS median,
	weighted_quantile(x, w, 0.9) AS q90
FROM big;
CREATE TABLE serial_grouped AS
SELECT grp % 50 AS k, weighted_mean(x, w) AS mean, weighted_geomean(x, w) AS geomean,
	weighted_harmonic(x, w) AS harmonic, weighted_median(x, w) AS median,
	weighted_quantile(x, w, 0.9) AS q90
FROM big GROUP BY 1;

-- Forced parallel plans, workers only (the leader just combines).
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT weighted_mean(x, w) FROM big;
EXPLAIN (COSTS OFF) SELECT weighted_geomean(x, w) FROM big;
EXPLAIN (COSTS OFF) SELECT weighted_harmonic(x, w) FROM big;
EXPLAIN (COSTS OFF) SELECT weighted_quantile(x, w, 0.9) FROM big;
EXPLAIN (COSTS OFF) SELECT weighted_median(x, w) FROM big;
EXPLAIN (COSTS OFF)
SELECT grp % 50, weighted_mean(x, w), weighted_median(x, w) FROM big GROUP BY 1;

EXPLAIN (COSTS OFF) CREATE TABLE parallel_whole AS
SELECT weighted_mean(x, w) AS mean, weighted_geomean(x, w) AS geomean,
	weighted_harmonic(x, w) AS harmonic, weighted_median(x, w) AS median,
	weighted_quantile(x, w, 0.9) AS q90
FROM big;
CREATE TABLE parallel_whole AS
SELECT weighted_mean(x, w) AS mean, weighted_geomean(x, w) AS geomean,
	weighted_harmonic(x, w) AS harmonic, weighted_median(x, w) AS median,
	weighted_quantile(x, w, 0.9) AS q90
FROM big;
SELECT reldiff(p.mean, s.mean::numeric) < 1e-12 AS mean_ok, sig10(p.mean) AS mean,
	reldiff(p.geomean, s.geomean::numeric) < 1e-12 AS geomean_ok, sig10(p.geomean) AS geomean,
	reldiff(p.harmonic, s.harmonic::numeric) < 1e-12 AS harmonic_ok, sig10(p.harmonic) AS harmonic,
	p.median = s.median AS median_same, sig10(p.median) AS median,
	p.q90 = s.q90 AS q90_same, sig10(p.q90) AS q90
FROM parallel_whole p, serial_whole s;

EXPLAIN (COSTS OFF) CREATE TABLE parallel_grouped AS
SELECT grp % 50 AS k, weighted_mean(x, w) AS mean, weighted_geomean(x, w) AS geomean,
	weighted_harmonic(x, w) AS harmonic, weighted_median(x, w) AS median,
	weighted_quantile(x, w, 0.9) AS q90
FROM big GROUP BY 1;
CREATE TABLE parallel_grouped AS
SELECT grp % 50 AS k, weighted_mean(x, w) AS mean, weighted_geomean(x, w) AS geomean,
	weighted_harmonic(x, w) AS harmonic, weighted_median(x, w) AS median,
	weighted_quantile(x, w, 0.9) AS q90
FROM big GROUP BY 1;
SELECT count(*) AS groups,
	count(*) FILTER (WHERE reldiff(p.mean, s.mean::numeric) < 1e-12
		AND reldiff(p.geomean, s.geomean::numeric) < 1e-12
		AND reldiff(p.harmonic, s.harmonic::numeric) < 1e-12
		AND p.median = s.median AND p.q90 = s.q90) AS same
FROM parallel_grouped p JOIN serial_grouped s USING (k);
SELECT k, sig10(mean) AS mean, sig10(median) AS median FROM parallel_grouped WHERE k < 3 ORDER BY k;

-- Equal weights stay identical to percentile_cont under a parallel plan.
SELECT weighted_median(x, 1) = (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM big) AS median_same
FROM big;
RESET ALL;
