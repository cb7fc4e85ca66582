-- pgTAP: the aggregate state types weighted_mean_state, indicator_stats_state
-- and rollup_state (what Citus ships between nodes as text or binary, and
-- parallel workers hand over as they are): round trips, every byte checked
-- on input, states that carry their framework, parallel plans.
BEGIN;
SELECT plan(25);

SELECT has_type('weighted_mean_state');
SELECT has_type('indicator_stats_state');
SELECT has_type('rollup_state');

-- plain tables (rolled back at the end): parallel workers cannot read temporary ones
CREATE TABLE st_fw AS SELECT framework_compile(
	ARRAY['DTI', 'A', 'B', 'A.1', 'A.2', 'B.1', 'B.2']::indicator_code[],
	ARRAY[NULL, 'DTI', 'DTI', 'A', 'A', 'B', 'B']::indicator_code[],
	ARRAY[NULL, NULL, NULL, 10, 30, 20, 20]::float8[],
	weights => ARRAY[NULL, 1, 2, NULL, NULL, NULL, NULL]::float8[],
	methods => ARRAY['amean', 'points', 'gmean', NULL, NULL, NULL, NULL]) AS fw;
CREATE TABLE st_leaf AS
SELECT u, c::indicator_code AS code, (0.1 + ((u * 7 + i * 5) % 10) / 11.0)::float8 AS v, (1 + (u + i) % 4)::float8 AS w
FROM generate_series(1, 2000) u, unnest(ARRAY['A.1', 'A.2', 'B.1', 'B.2']) WITH ORDINALITY AS t(c, i);

-- text round trips: the output reads back to the same value
SELECT is((SELECT weighted_mean_step(weighted_mean_step(NULL, 2.5, 3), 7, 0.5)::text::weighted_mean_state::text),
	(SELECT weighted_mean_step(weighted_mean_step(NULL, 2.5, 3), 7, 0.5)::text),
	'weighted_mean_state: text output reads back to the same value');
SELECT is((SELECT indicator_stats_step(indicator_stats_step(NULL, 2.5), -7)::text::indicator_stats_state::text),
	(SELECT indicator_stats_step(indicator_stats_step(NULL, 2.5), -7)::text),
	'indicator_stats_state: text output reads back to the same value');
SELECT is((SELECT rollup_step(rollup_step(NULL, fw, 'A.2', 0.25), fw, 'B.1', 0.5)::text::rollup_state::text FROM st_fw),
	(SELECT rollup_step(rollup_step(NULL, fw, 'A.2', 0.25), fw, 'B.1', 0.5)::text FROM st_fw),
	'rollup_state: text output reads back to the same value');

-- the final functions of states that went through text give the aggregates' results
SELECT is((SELECT weighted_mean_final(weighted_mean_step(weighted_mean_step(NULL, 2, 1), 5, 2)::text::weighted_mean_state)),
	4::float8, 'weighted_mean_final of a state read from text');
SELECT is((SELECT root_value(rollup_final(rollup_combine(rollup_step(NULL, fw, 'A.1', 1)::text::rollup_state,
		rollup_step(rollup_step(rollup_step(NULL, fw, 'A.2', 1), fw, 'B.1', 1), fw, 'B.2', 1)::text::rollup_state))) FROM st_fw),
	(SELECT root_value(rollup(fw, c, 1)) FROM st_fw, unnest('{A.1,A.2,B.1,B.2}'::indicator_code[]) c),
	'rollup(): partial states through text, combined and finished, equal the one-pass result');
-- a rollup_state carries its framework: the final function needs nothing else
SELECT is((SELECT root_value(rollup_final(rollup_step(NULL, fw, 'A.1', 0.5)::text::rollup_state)) FROM st_fw),
	(SELECT root_value(rollup(fw, 'A.1', 0.5)) FROM st_fw),
	'a rollup_state read from text is finished with the framework it carries');
SELECT throws_ok($$SELECT rollup_combine(rollup_step(NULL, fw, 'A.1', 1), rollup_step(NULL, fw, 'A.1', 2)) FROM st_fw$$,
	'21000', NULL, 'combining two states with the same leaf is a duplicate value');
SELECT throws_ok($$SELECT rollup_combine(rollup_step(NULL, f.fw, 'A.1', 1),
		rollup_step(NULL, framework_compile(ARRAY['R', 'R.1']::indicator_code[], ARRAY[NULL, 'R']::indicator_code[], ARRAY[NULL, 1]::float8[]), 'R.1', 1))
	FROM st_fw f$$,
	'22023', 'the rows of one scorecard use different frameworks', 'states of different frameworks do not combine');

-- input checks every byte: hexadecimal syntax (22P02), then the contents (22P03)
SELECT throws_ok($$SELECT 'abc'::weighted_mean_state$$, '22P02', NULL, 'an odd number of digits is refused');
SELECT throws_ok($$SELECT 'zz'::indicator_stats_state$$, '22P02', NULL, 'a character that is no hexadecimal digit is refused');
SELECT throws_ok($$SELECT ('04' || substr(weighted_mean_step(NULL, 1, 1)::text, 3))::weighted_mean_state$$,
	'22P03', NULL, 'weighted_mean_state: an unknown version is refused');
SELECT throws_ok($$SELECT (weighted_mean_step(NULL, 1, 1)::text || '00')::weighted_mean_state$$,
	'22P03', NULL, 'weighted_mean_state: a trailing byte is refused');
-- the first sum (of the weights) made infinite: 7ff0000000000000
SELECT throws_ok($$SELECT ('03' || '7ff0000000000000' || substr(weighted_mean_step(NULL, 1, 1)::text, 19))::weighted_mean_state$$,
	'22P03', NULL, 'weighted_mean_state: an infinite sum is refused');
-- the sum of the weights made negative: c000000000000000 (-2)
SELECT throws_ok($$SELECT ('03' || 'c000000000000000' || substr(weighted_mean_step(NULL, 1, 1)::text, 19))::weighted_mean_state$$,
	'22P03', NULL, 'weighted_mean_state: a negative sum of the weights is refused');
-- n = -1
SELECT throws_ok($$SELECT ('02' || 'ffffffffffffffff' || substr(indicator_stats_step(NULL, 1)::text, 19))::indicator_stats_state$$,
	'22P03', NULL, 'indicator_stats_state: a negative count is refused');
-- n = 0 with the minimum and maximum of one value (1) left in place
SELECT throws_ok($$SELECT ('02' || '0000000000000000' || substr(indicator_stats_step(NULL, 1)::text, 19))::indicator_stats_state$$,
	'22P03', NULL, 'indicator_stats_state: extremes without values are refused');
-- the presence byte of the first leaf (after version and leaf count) set to 2
SELECT throws_ok($$SELECT (substr(s, 1, 10) || '02' || substr(s, 13))::rollup_state
	FROM (SELECT rollup_step(NULL, fw, 'A.1', 0.5)::text AS s FROM st_fw) x$$,
	'22P03', NULL, 'rollup_state: a presence byte other than 0 or 1 is refused');
-- the framework cut short by one byte
SELECT throws_ok($$SELECT left(s, -2)::rollup_state FROM (SELECT rollup_step(NULL, fw, 'A.1', 0.5)::text AS s FROM st_fw) x$$,
	'22P03', NULL, 'rollup_state: a truncated framework is refused');
-- a leaf count that does not match the framework: 2 instead of 4 (and 2 presence bytes fewer)
SELECT throws_ok($$SELECT ('0100000002' || substr(s, 11, 2) || substr(s, 11, 2) || substr(s, 19))::rollup_state
	FROM (SELECT rollup_step(NULL, fw, 'B.2', NULL)::text AS s FROM st_fw) x$$,
	'22P03', NULL, 'rollup_state: a leaf count other than the framework''s is refused');

-- parallel plans: partial aggregates hand their states to the leader as they are
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
ANALYZE st_leaf;
-- (RETURN QUERY plans in parallel; a cursor loop would not)
CREATE FUNCTION pg_temp.explain_lines(q text) RETURNS SETOF text LANGUAGE plpgsql AS $f$
BEGIN
	RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q;
END $f$;
-- a wide framework (root and 60 leaves), 400 units: few groups of many rows
CREATE TABLE st_wide_fw AS SELECT framework_compile(array_agg(c ORDER BY c), array_agg(p ORDER BY c), array_agg(m ORDER BY c)) AS fw
FROM (SELECT 'R'::indicator_code AS c, NULL::indicator_code AS p, NULL::float8 AS m
	  UNION ALL SELECT ('R.' || i)::indicator_code, 'R', i FROM generate_series(1, 60) i) n;
CREATE TABLE st_wide AS SELECT u, ('R.' || i)::indicator_code AS code, ((u * 13 + i * 7) % 100) / 100.0::float8 AS v
FROM generate_series(1, 400) u, generate_series(1, 60) i;
ANALYZE st_wide;
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.explain_lines('SELECT code, weighted_mean(v, w), weighted_geomean(v, w), weighted_harmonic(v, w), indicator_stats(v) FROM st_leaf GROUP BY code') l
	WHERE l ~ 'Partial') AND
	EXISTS (SELECT 1 FROM pg_temp.explain_lines('SELECT u, rollup((SELECT fw FROM st_wide_fw), code, v) FROM st_wide GROUP BY u') l
	WHERE l ~ 'Partial'), 'the aggregates run in parallel plans with partial aggregation');
CREATE TABLE st_wide_par AS SELECT u, rollup((SELECT fw FROM st_wide_fw), code, v)::text AS sc FROM st_wide GROUP BY u;
CREATE TEMP TABLE st_par AS SELECT u, rollup((SELECT fw FROM st_fw), code, v)::text AS sc, weighted_mean(v, w) AS wm,
	indicator_stats(v)::text AS st FROM st_leaf GROUP BY u;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE st_ser AS SELECT u, rollup((SELECT fw FROM st_fw), code, v)::text AS sc, weighted_mean(v, w) AS wm,
	indicator_stats(v)::text AS st FROM st_leaf GROUP BY u;
-- (the scorecards bit for bit; the means' sums may be combined in another order)
SELECT is((SELECT count(*) FROM st_par p JOIN st_ser s USING (u)
	WHERE p.sc = s.sc AND abs(p.wm - s.wm) <= 1e-12 * abs(s.wm)
	  AND stats_n(p.st::indicator_stats) = stats_n(s.st::indicator_stats)
	  AND stats_min(p.st::indicator_stats) = stats_min(s.st::indicator_stats)
	  AND abs(stats_mean(p.st::indicator_stats) - stats_mean(s.st::indicator_stats)) <= 1e-12 * abs(stats_mean(s.st::indicator_stats))),
	2000::bigint, 'per unit, a parallel plan gives the serial results');
SELECT is((SELECT count(*) FROM st_wide_par p JOIN (SELECT u, rollup((SELECT fw FROM st_wide_fw), code, v)::text AS sc FROM st_wide GROUP BY u) s
	USING (u) WHERE p.sc = s.sc), 400::bigint, 'rollup() of 60 leaves per unit: the parallel plan gives the serial scorecards');

SELECT * FROM finish();
ROLLBACK;
