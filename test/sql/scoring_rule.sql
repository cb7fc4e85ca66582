-- scoring_rule, indicator_stats, score() and rank_score().
SET extra_float_digits = 0;

-- Canonical output: keywords lower case, defaults and "higher" left out,
-- numbers in their shortest round-trip form, labels bare or quoted.
SELECT r AS input, r::scoring_rule AS canonical
FROM (VALUES ('ratio'), ('BOOL'), ('  Target ( 80 )  '), ('target(80, HIGHER)'),
			 ('target(0.5,lower)'), ('linear(0,100)'), ('linear(100, 0)'),
			 ('linear(-0, 1e2)'), ('steps(50:0.5,80:1)'), ('steps(1:0)'),
			 ('piecewise(0:0, 50:.5, 100:1.)'), ('grade(A:1,B:0.75,C:0.5,D:0.25,E:0)'),
			 ('grade("Rất tốt":1, "say ""hi""":0.5, "x y":0, "z_1":0.1)'),
			 ('best'), ('best(higher)'), ('best(lower)'), ('minmax'), ('minmax(0, 1)'),
			 ('minmax(lower)'), ('minmax(0,100)'), ('minmax(0,100,lower)'),
			 ('zscore'), ('zscore(0, 1, lower)'), ('zscore(50,10)'),
			 ('goalposts(0,100)'), ('goalposts(-5,5,lower)'), ('rank'), ('rank(lower)'),
			 ('prank'), ('prank(lower)'), ('borda'), ('borda(lower)'),
			 ('target(0.1)'), ('target(1e300)'), ('target(123456789012345678)'),
			 ('linear(0.3, 0.30000000000000004)')) v(r);

-- The canonical text reads back to the identical value; binary output and
-- input (COPY in binary format) round-trip too.
CREATE TABLE rules (r scoring_rule);
INSERT INTO rules VALUES ('target(0.1, lower)'), ('linear(0.3, 0.30000000000000004)'),
	('steps(1:0.1, 2:0.2, 3:0.3)'), ('piecewise(-1e-300:0, 1e300:1)'),
	('grade("Rất tốt":1, "say ""hi""":0.5, B:0)'), ('minmax(-3, 7, lower)'),
	('zscore(50, 10)'), ('goalposts(1, 2, lower)'), ('prank(lower)'), ('ratio'), ('best');
SELECT r, r::text::scoring_rule = r AS text_round_trip, scoring_rule_kind(r) AS kind FROM rules;
\copy rules TO 'test/results/scoring_rule.bin' WITH (FORMAT binary)
CREATE TABLE rules_back (r scoring_rule);
\copy rules_back FROM 'test/results/scoring_rule.bin' WITH (FORMAT binary)
SELECT count(*) AS rules, count(*) FILTER (WHERE b.r = a.r) AS identical
FROM (SELECT r, row_number() OVER () AS i FROM rules) a
JOIN (SELECT r, row_number() OVER () AS i FROM rules_back) b USING (i);
SELECT scoring_rule_send('grade(A:1)');
SELECT 'minmax(0,1)'::scoring_rule = 'minmax', 'target(80)'::scoring_rule <> 'target(80, lower)';

-- ratio: clamp(x, 0, 1); bool: nonzero = 1
SELECT x, score('ratio', x) AS ratio, score('bool', x) AS bool
FROM unnest(ARRAY[-0.5, 0, 0.25, 1, 1.5]::float8[]) x;

-- target(t): clamp(x/t, 0, 1); target(t, lower): clamp(t/x, 0, 1), 1 for x <= 0
SELECT x, score('target(80)', x) AS target, score('target(80, lower)', x) AS target_lower
FROM unnest(ARRAY[-10, 0, 20, 60, 80, 100, 160]::float8[]) x;

-- linear(lo, hi): clamp((x-lo)/(hi-lo), 0, 1); decreasing when lo > hi
SELECT x, score('linear(0, 100)', x) AS up, score('linear(100, 0)', x) AS down,
	   score('linear(-10, 10)', x) AS around_zero
FROM unnest(ARRAY[-20, -10, 0, 25, 50, 100, 120]::float8[]) x;

-- steps: f of the highest threshold <= x, 0 below the first;
-- piecewise: linear between points, flat outside
SELECT x, score('steps(50:0.5, 80:0.8, 100:1)', x) AS steps,
	   score('piecewise(10:0.2, 50:0.5, 100:1)', x) AS piecewise
FROM unnest(ARRAY[-1, 0, 10, 30, 49.999, 50, 65, 80, 99, 100, 1000]::float8[]) x;

-- goalposts: like linear with lo < hi; lower: clamp((hi-x)/(hi-lo), 0, 1);
-- needs no statistics, so both forms of score() take it
SELECT x, score('goalposts(20, 70)', x) AS gp, score('goalposts(20, 70, lower)', x) AS gp_lower,
	   score('goalposts(20, 70)', x, NULL) AS gp_null_stats
FROM unnest(ARRAY[0, 20, 45, 70, 90]::float8[]) x;

-- grade: exact, case-sensitive match after trimming white space
SELECT g, score('grade(A:1, B:0.75, C:0.5, D:0.25, E:0)', g) AS score
FROM unnest(ARRAY['A', ' B', 'C  ', E'\tD\n', 'E']) g;
SELECT score('grade("Rất tốt":1, "say ""hi""":0.5)', 'say "hi"'),
	   score('grade("Rất tốt":1, "say ""hi""":0.5)', ' Rất tốt ');

-- NULL in, NULL out
SELECT score('target(80)', NULL::float8) IS NULL AS a, score(NULL::scoring_rule, 1.0) IS NULL AS b,
	   score('minmax', NULL, NULL) IS NULL AS c, score('grade(A:1)', NULL::text) IS NULL AS d,
	   score(NULL, 1.0, '(n=1,min=1,max=1,mean=1,sd=0)') IS NULL AS e;

-- indicator_stats: the aggregate, text form, accessors
SELECT indicator_stats(x) FROM unnest(ARRAY[1, 2, 3, 4, 9]::float8[]) x;
SELECT indicator_stats(x) FROM unnest(ARRAY[7, NULL]::float8[]) x;
SELECT indicator_stats(x) IS NULL AS no_values FROM unnest(ARRAY[NULL]::float8[]) x;
SELECT s, stats_n(s), stats_min(s), stats_max(s), stats_mean(s), stats_sd(s)
FROM (VALUES ('(n=5,min=1,max=9,mean=4.2,sd=2.1)'::indicator_stats),
			 ('( SD = 0 , Mean=3, max=3, min=3, n=1 )'), ('(n=0,min=0,max=0,mean=0,sd=0)')) v(s);
SELECT s::text::indicator_stats::text = s::text AS round_trip
FROM (SELECT indicator_stats(x / 7.0) AS s FROM generate_series(1, 100) x) t;
SELECT indicator_stats_send('(n=2,min=0.1,max=0.7,mean=0.4,sd=0.42426406871192845)');

-- Relative rules with statistics
-- best: x/max (NULL when max <= 0); best(lower): min/x (NULL when min <= 0)
-- minmax(a, b): a + (b-a)(x-min)/(max-min), midpoint when max = min; lower flips
-- zscore(m, s): m + s(x-mean)/sd, m when n < 2 or sd = 0; lower flips
SELECT x,
	   score('best', x, s) AS best, score('best(lower)', x, s) AS best_lower,
	   score('minmax', x, s) AS minmax, score('minmax(0, 100, lower)', x, s) AS minmax_lower,
	   score('zscore', x, s) AS zscore, score('zscore(50, 10, lower)', x, s) AS zscore_lower
FROM unnest(ARRAY[2, 4, 5, 8]::float8[]) x,
	 (SELECT '(n=4,min=2,max=8,mean=4.75,sd=2.5)'::indicator_stats AS s) t;
SELECT score('best', 1, '(n=2,min=-3,max=0,mean=-1.5,sd=2.1)') IS NULL AS best_max_le_0,
	   score('best(lower)', 1, '(n=2,min=0,max=3,mean=1.5,sd=2.1)') IS NULL AS best_lower_min_le_0,
	   score('minmax', 5, '(n=3,min=5,max=5,mean=5,sd=0)') AS minmax_flat,
	   score('minmax(0, 100)', 5, '(n=3,min=5,max=5,mean=5,sd=0)') AS minmax_flat_100,
	   score('zscore(50, 10)', 5, '(n=1,min=5,max=5,mean=5,sd=0)') AS zscore_n1,
	   score('zscore', 5, '(n=3,min=5,max=5,mean=5,sd=0)') AS zscore_sd0,
	   score('minmax', 5, '(n=0,min=0,max=0,mean=0,sd=0)') IS NULL AS no_units;
-- absolute rules ignore statistics
SELECT score('target(80)', 60, NULL), score('target(80)', 60, '(n=1,min=1,max=1,mean=1,sd=0)');

-- spans wider than the largest double do not overflow into NaN
SELECT score('linear(-1.7e308, 1.7e308)', 0) AS linear_mid,
	   score('goalposts(-1.7e308, 1.7e308, lower)', 8.5e307) AS goalposts,
	   score('minmax(-1.7e308, 1.7e308)', 0, '(n=2,min=-1,max=1,mean=0,sd=1.4142135623730951)') AS minmax_wide,
	   score('minmax', 0, '(n=2,min=-1.7e308,max=1.7e308,mean=0,sd=1e308)') AS minmax_wide_stats;

-- The one-pass window pattern, and rank_score with ties and NULLs.
CREATE TABLE obs (indicator text, period int, unit text, value float8);
INSERT INTO obs VALUES
	('A', 2024, 'u1', 10), ('A', 2024, 'u2', 20), ('A', 2024, 'u3', 20),
	('A', 2024, 'u4', 40), ('A', 2024, 'u5', NULL), ('A', 2025, 'u1', 5),
	('B', 2024, 'u1', 3), ('B', 2024, 'u2', 1), ('B', 2024, 'u3', 2);
SELECT indicator, period, unit, value,
	   score('minmax', value, indicator_stats(value) OVER w) AS minmax,
	   round(score('zscore', value, indicator_stats(value) OVER w)::numeric, 6) AS zscore,
	   rank_score('rank', value) OVER w AS rank,
	   rank_score('rank(lower)', value) OVER w AS rank_lower,
	   rank_score('prank', value) OVER w AS prank,
	   rank_score('prank(lower)', value) OVER w AS prank_lower,
	   rank_score('borda', value) OVER w AS borda,
	   rank_score('borda(lower)', value) OVER w AS borda_lower
FROM obs
WINDOW w AS (PARTITION BY indicator, period)
ORDER BY indicator, period, unit;
-- the rule may come from a column
SELECT unit, rank_score(r, value) OVER (PARTITION BY indicator) AS s
FROM obs, (VALUES ('prank'::scoring_rule)) v(r) WHERE indicator = 'B' ORDER BY unit;
SELECT rank_score(NULL, 1.0) OVER () IS NULL AS null_rule;

-- indicator_stats in a forced parallel plan equals the serial result
CREATE TABLE big AS SELECT (g % 1000) / 7.0 AS x FROM generate_series(1, 200000) g;
ANALYZE big;
SET max_parallel_workers_per_gather = 0;
SELECT indicator_stats(x) AS serial FROM big;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT indicator_stats(x) FROM big;
SELECT stats_n(s), stats_min(s), stats_max(s), round(stats_mean(s)::numeric, 10) AS mean,
	   round(stats_sd(s)::numeric, 10) AS sd
FROM (SELECT indicator_stats(x) AS s FROM big) t;
RESET parallel_setup_cost; RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size; RESET max_parallel_workers_per_gather;
SELECT round(avg(x)::numeric, 10) AS mean, round(stddev_samp(x)::numeric, 10) AS sd FROM big;

-- Limits: 256 points and grades; a 10,000-step rule is refused early.
SELECT length(('steps(' || string_agg(g || ':' || (g / 256.0), ', ') || ')')::scoring_rule::text)
FROM generate_series(1, 256) g;
SELECT ('steps(' || string_agg(g || ':1', ', ') || ')')::scoring_rule FROM generate_series(1, 257) g;
SELECT ('steps(' || string_agg(g || ':1', ', ') || ')')::scoring_rule FROM generate_series(1, 10000) g;
SELECT ('grade(' || string_agg('g' || g || ':1', ', ') || ')')::scoring_rule FROM generate_series(1, 257) g;
SELECT ('grade(' || repeat('x', 63) || ':1)')::scoring_rule;
SELECT ('grade(' || repeat('x', 64) || ':1)')::scoring_rule;

-- Errors in rule text: 22P02 with the problem and its position
\set VERBOSITY default
SELECT ''::scoring_rule;
SELECT 'ratios'::scoring_rule;
SELECT 'ratio(1)'::scoring_rule;
SELECT 'target'::scoring_rule;
SELECT 'target()'::scoring_rule;
SELECT 'target(0)'::scoring_rule;
SELECT 'target(-5)'::scoring_rule;
SELECT 'target(80, 90)'::scoring_rule;
SELECT 'target(lower, 80)'::scoring_rule;
SELECT 'target(80, lowest)'::scoring_rule;
SELECT 'target(nan)'::scoring_rule;
SELECT 'target(inf)'::scoring_rule;
SELECT 'target(1e999)'::scoring_rule;
SELECT 'target(0x10)'::scoring_rule;
SELECT 'target(1e)'::scoring_rule;
SELECT 'target(80'::scoring_rule;
SELECT 'target(80) x'::scoring_rule;
SELECT 'linear(1, 1)'::scoring_rule;
SELECT 'linear(1)'::scoring_rule;
SELECT 'linear(0, 1, lower)'::scoring_rule;
SELECT 'steps(10:0.5, 10:1)'::scoring_rule;
SELECT 'steps(10:0.5, 5:1)'::scoring_rule;
SELECT 'steps(10:1.5)'::scoring_rule;
SELECT 'steps(10:-0.1)'::scoring_rule;
SELECT 'steps(10 0.5)'::scoring_rule;
SELECT 'piecewise(10:0.5)'::scoring_rule;
SELECT 'grade(A:1, A:0.5)'::scoring_rule;
SELECT 'grade(A:2)'::scoring_rule;
SELECT 'grade(" A":1)'::scoring_rule;
SELECT 'grade("":1)'::scoring_rule;
SELECT 'grade("A:1)'::scoring_rule;
SELECT 'grade(A-1:1)'::scoring_rule;
SELECT 'minmax(5)'::scoring_rule;
SELECT 'minmax(5, 5)'::scoring_rule;
SELECT 'minmax(lower, 0, 1)'::scoring_rule;
SELECT 'zscore(50, 0)'::scoring_rule;
SELECT 'zscore(50, -10)'::scoring_rule;
SELECT 'goalposts(5, 5)'::scoring_rule;
SELECT 'goalposts(10, 0)'::scoring_rule;
SELECT 'best(1)'::scoring_rule;
SELECT 'rank(lower, lower)'::scoring_rule;
SELECT 'bool(lower)'::scoring_rule;
SELECT '(n=5,min=1,max=9,mean=4.2)'::indicator_stats;
SELECT '(n=5,min=9,max=1,mean=4.2,sd=1)'::indicator_stats;
SELECT '(n=5,min=1,max=9,mean=10,sd=1)'::indicator_stats;
SELECT '(n=5,min=1,max=9,mean=4,sd=-1)'::indicator_stats;
SELECT '(n=5,min=1,max=9,mean=4,sd=nan)'::indicator_stats;
SELECT '(n=-1,min=1,max=9,mean=4,sd=1)'::indicator_stats;
SELECT '(n=1,min=1,max=9,mean=4,sd=1)'::indicator_stats;
SELECT '(n=5,n=5,min=1,max=9,mean=4,sd=1)'::indicator_stats;

-- Errors in applying rules: 22023 (22004 for missing statistics)
SELECT score('minmax', 5);
SELECT score('zscore(50, 10)', 5);
SELECT score('minmax', 5, NULL);
SELECT score('rank', 5);
SELECT score('prank', 5, '(n=1,min=1,max=1,mean=1,sd=0)');
SELECT score('grade(A:1)', 5);
SELECT score('target(80)', 'A');
SELECT score('grade(A:1, B:0.75, "Rất tốt":0.5)', 'a');
SELECT score('target(80)', 'NaN'::float8);
SELECT score('target(80)', 'Infinity'::float8);
SELECT score('minmax', '-Infinity'::float8, '(n=1,min=1,max=1,mean=1,sd=0)');
SELECT indicator_stats(x) FROM unnest(ARRAY[1, 'NaN']::float8[]) x;
SELECT rank_score('rank', x) OVER () FROM unnest(ARRAY[1, 'Infinity']::float8[]) x;
SELECT rank_score('minmax', x) OVER () FROM unnest(ARRAY[1, 2]::float8[]) x;
SELECT score('zscore(0, 1e300)', 1e300, '(n=2,min=0,max=1,mean=0.5,sd=0.5)');
