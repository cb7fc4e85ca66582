-- Ranking contracts: functions, volatility, strictness, window kinds, errors
-- with SQLSTATEs, and results.
BEGIN;
SELECT plan(42);

SELECT has_function('rank_rounded', ARRAY['double precision', 'integer', 'boolean']);
SELECT has_function('dense_rank_rounded', ARRAY['double precision', 'integer', 'boolean']);
SELECT has_function('ordinal_rank_rounded', ARRAY['double precision', 'integer', 'boolean']);
SELECT has_function('fractional_rank_rounded', ARRAY['double precision', 'integer', 'boolean']);
SELECT has_function('rank_tolerant', ARRAY['double precision', 'double precision', 'boolean']);
SELECT has_function('dense_rank_tolerant', ARRAY['double precision', 'double precision', 'boolean']);
SELECT has_function('ordinal_rank_tolerant', ARRAY['double precision', 'double precision', 'boolean']);
SELECT has_function('fractional_rank_tolerant', ARRAY['double precision', 'double precision', 'boolean']);
SELECT has_function('rank_intervals', ARRAY['framework', 'text[]', 'scorecard[]', 'integer', 'double precision', 'bigint', 'boolean']);
SELECT has_function('drop_one', ARRAY['framework', 'text[]', 'scorecard[]', 'integer']);
SELECT has_function('drop_one_summary', ARRAY['framework', 'text[]', 'scorecard[]', 'integer']);
SELECT has_function('top_contributors', ARRAY['scorecard', 'scorecard', 'integer', 'integer']);

SELECT is_window('rank_rounded', ARRAY['double precision', 'integer', 'boolean']);
SELECT is_window('fractional_rank_tolerant', ARRAY['double precision', 'double precision', 'boolean']);
SELECT is(count(*), 8::bigint, 'eight precision rank window functions, all immutable and parallel safe')
FROM pg_proc WHERE proname ~ '_(rounded|tolerant)$' AND prokind = 'w' AND provolatile = 'i' AND proparallel = 's';
SELECT volatility_is('rank_intervals', ARRAY['framework', 'text[]', 'scorecard[]', 'integer', 'double precision', 'bigint', 'boolean'], 'immutable');
SELECT is_strict('rank_intervals', ARRAY['framework', 'text[]', 'scorecard[]', 'integer', 'double precision', 'bigint', 'boolean']);
SELECT is_strict('drop_one', ARRAY['framework', 'text[]', 'scorecard[]', 'integer']);
SELECT isnt_strict('top_contributors', ARRAY['scorecard', 'scorecard', 'integer', 'integer'],
	'top_contributors takes a NULL level (leaves)');
SELECT is(count(*), 0::bigint, 'every ranking function is parallel safe')
FROM pg_proc WHERE proname IN ('rank_intervals', 'drop_one', 'drop_one_summary', 'top_contributors') AND proparallel <> 's';

-- a small framework and four units
CREATE TEMP TABLE t_fw AS SELECT framework_compile(
	ARRAY['R', 'A', 'B', 'A.1', 'A.2', 'B.1']::indicator_code[],
	ARRAY[NULL, 'R', 'R', 'A', 'A', 'B']::indicator_code[],
	ARRAY[NULL, NULL, NULL, 10, 20, 30]::float8[]) AS fw;
CREATE TEMP TABLE t_cards AS
SELECT u, rollup(f.fw, c::indicator_code, v) AS sc
FROM t_fw f, (VALUES ('a', 'A.1', 1.0), ('a', 'A.2', 0.5), ('a', 'B.1', 0.2),
	('b', 'A.1', 0.0), ('b', 'A.2', 0.5), ('b', 'B.1', 0.9),
	('c', 'A.1', 0.5), ('c', 'A.2', 0.5), ('c', 'B.1', 0.5),
	('d', 'A.1', 0.1), ('d', 'A.2', 0.1), ('d', 'B.1', 0.1)) x(u, c, v)
GROUP BY u;

SELECT results_eq(
	$$SELECT rank_rounded(x, 4) OVER (), dense_rank_rounded(x, 4) OVER (),
		fractional_rank_rounded(x, 4) OVER () FROM (VALUES (1, 0.48805), (2, 0.4881), (3, 0.4880), (4, 0.3)) v(i, x) ORDER BY i$$,
	$$VALUES (1::bigint, 1::bigint, 1.5::float8), (1, 1, 1.5), (3, 2, 3), (4, 3, 4)$$,
	'0.48805 rounds half away from zero to 0.4881 and ties with it');
SELECT results_eq(
	$$SELECT rank_tolerant(x, 0.01) OVER () FROM (VALUES (1, 0.50), (2, 0.51), (3, 0.52), (4, 0.6)) v(i, x) ORDER BY i$$,
	$$VALUES (2::bigint), (2), (2), (1)$$,
	'ties within a tolerance chain: 0.50 ~ 0.51 ~ 0.52');
SELECT results_eq(
	$$SELECT unit, nominal_rank FROM rank_intervals((SELECT fw FROM t_fw),
		(SELECT array_agg(u ORDER BY u) FROM t_cards), (SELECT array_agg(sc ORDER BY u) FROM t_cards), 10, 0, 1)$$,
	$$SELECT u, rank() OVER (ORDER BY root_value(sc) DESC)::int FROM t_cards ORDER BY u$$,
	'nominal ranks are the competition ranks of the root values');
SELECT results_eq(
	$$SELECT keep_share FROM rank_intervals((SELECT fw FROM t_fw),
		(SELECT array_agg(u ORDER BY u) FROM t_cards), (SELECT array_agg(sc ORDER BY u) FROM t_cards), 10, 0, 1)$$,
	$$VALUES (1::float8), (1), (1), (1)$$,
	'factor 0 keeps every rank');
SELECT results_eq(
	$$SELECT * FROM rank_intervals((SELECT fw FROM t_fw),
		(SELECT array_agg(u ORDER BY u) FROM t_cards), (SELECT array_agg(sc ORDER BY u) FROM t_cards), 400, 0.5, 99, true)$$,
	$$SELECT * FROM rank_intervals((SELECT fw FROM t_fw),
		(SELECT array_agg(u ORDER BY u) FROM t_cards), (SELECT array_agg(sc ORDER BY u) FROM t_cards), 400, 0.5, 99, true)$$,
	'the same seed gives the same result');
SELECT results_eq(
	$$SELECT dropped::text, sum(abs(rank_change))::int FROM drop_one((SELECT fw FROM t_fw),
		(SELECT array_agg(u ORDER BY u) FROM t_cards), (SELECT array_agg(sc ORDER BY u) FROM t_cards), 2) GROUP BY 1 ORDER BY 1$$,
	$$VALUES ('A', 0), ('B', 4)$$,
	'drop_one: dropping B reorders a and b, dropping A moves nobody');
SELECT results_eq(
	$$SELECT code::text FROM top_contributors((SELECT sc FROM t_cards WHERE u = 'a'), (SELECT sc FROM t_cards WHERE u = 'b'), 2)$$,
	$$VALUES ('B.1'), ('A.1')$$,
	'top_contributors lists the largest absolute contributions first');

SELECT throws_ok($$SELECT * FROM rank_intervals((SELECT fw FROM t_fw), ARRAY['a'], ARRAY[(SELECT sc FROM t_cards WHERE u = 'a')], 0, 0.2, 1)$$,
	'22023', 'number of draws must be positive');
SELECT throws_ok($$SELECT * FROM rank_intervals((SELECT fw FROM t_fw), ARRAY['a'], ARRAY[(SELECT sc FROM t_cards WHERE u = 'a')], 10, 1, 1)$$,
	'22023', 'weight factor must be at least 0 and less than 1');
SELECT throws_ok($$SELECT * FROM rank_intervals((SELECT fw FROM t_fw), ARRAY[]::text[], ARRAY[]::scorecard[], 10, 0.2, 1)$$,
	'22023', 'rank_intervals needs at least one unit');
SELECT throws_ok($$SELECT * FROM rank_intervals((SELECT fw FROM t_fw), ARRAY['a', 'b'], ARRAY[(SELECT sc FROM t_cards WHERE u = 'a')], 10, 0.2, 1)$$,
	'2202E', 'rank_intervals got 2 units but 1 scorecards');
SELECT throws_ok($$SELECT * FROM drop_one((SELECT fw FROM t_fw), ARRAY['a'], ARRAY[(SELECT sc FROM t_cards WHERE u = 'a')], 1)$$,
	'22023', 'level must be between 2 and 3, the depth of the framework');
SELECT throws_ok($$SELECT rank_rounded(x, 16) OVER () FROM (VALUES (1.0)) v(x)$$,
	'22023', 'number of decimals must be between 0 and 15');
SELECT throws_ok($$SELECT rank_tolerant(x, -1) OVER () FROM (VALUES (1.0)) v(x)$$,
	'22023', 'tolerance must be a finite number of at least 0');
SELECT throws_ok($$SELECT rank_rounded(x, NULL) OVER () FROM (VALUES (1.0)) v(x)$$,
	'22004', 'the number of decimals of a precision rank must not be NULL');

-- rank_rounded_each(): the ranks rank_rounded() gives, position by position
CREATE TEMP TABLE t_each AS
SELECT g % 3 AS part, g AS id,
	ARRAY[round((g * 7919 % 1000) / 1000.0, 3)::float8,
		  CASE WHEN g % 7 = 0 THEN NULL ELSE (g % 5)::float8 END,
		  (g * 104729 % 997) / 997.0]::float8[] AS v
FROM generate_series(1, 3000) g;
SELECT results_eq(
	$$SELECT s.part, s.id, u.j::int, u.r FROM (SELECT part, id, rank_rounded_each(v, 2) OVER (PARTITION BY part) AS r FROM t_each) s,
		unnest(s.r) WITH ORDINALITY u(r, j) ORDER BY 1, 2, 3$$,
	$$SELECT part, id, j, rank_rounded(v[j], 2) OVER (PARTITION BY part, j) FROM t_each, generate_series(1, 3) j ORDER BY 1, 2, 3$$,
	'rank_rounded_each() ranks each position as rank_rounded() ranks it (3,000 rows, 3 partitions, NULL elements)');
SELECT results_eq(
	$$SELECT s.id, u.j::int, u.r FROM (SELECT id, rank_rounded_each(v, 1, true) OVER () AS r FROM t_each) s,
		unnest(s.r) WITH ORDINALITY u(r, j) ORDER BY 1, 2$$,
	$$SELECT id, j, rank_rounded(v[j], 1, true) OVER (PARTITION BY j) FROM t_each, generate_series(1, 3) j ORDER BY 1, 2$$,
	'rank_rounded_each(..., lower_is_better => true) agrees too');
SELECT is((SELECT rank_rounded_each(v, 2) OVER () FROM (VALUES (NULL::float8[])) x(v)), NULL,
	'a NULL array gets a NULL result');
SELECT throws_ok($$SELECT rank_rounded_each(v, 2) OVER () FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) x(v)$$,
	'2202E', NULL, 'arrays of different lengths in one partition are an error');
SELECT throws_ok($$SELECT rank_rounded_each('{{1,2},{3,4}}'::float8[], 2) OVER ()$$,
	'2202E', NULL, 'a two-dimensional array is an error');
SELECT throws_ok($$SELECT rank_rounded_each('{1,NaN}'::float8[], 2) OVER ()$$,
	'22023', NULL, 'NaN is an error, as for rank_rounded()');
-- scorecard_codes() and scorecard_values(): the rows of scorecard_nodes(sc, level)
SELECT results_eq(
	$$SELECT u, c, v FROM t_cards, unnest(scorecard_codes(sc, 1), scorecard_values(sc, 1)) WITH ORDINALITY x(c, v, o) ORDER BY u, o$$,
	$$SELECT u, n.code, n.value FROM t_cards, scorecard_nodes(sc, 1) WITH ORDINALITY n ORDER BY u, n.ordinality$$,
	'scorecard_codes() and scorecard_values() list the rows of scorecard_nodes(sc, level) in order');

SELECT * FROM finish();
ROLLBACK;
