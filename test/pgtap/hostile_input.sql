-- Hostile input: absurd sizes, non-finite numbers, cycles, deep trees and
-- long computations get a clear error with its SQLSTATE, never a crash or
-- a hang; long functions and aggregates stop at statement_timeout.
BEGIN;
SELECT plan(41);

-- an error's SQLSTATE, catching query_canceled too (throws_ok's WHEN
-- OTHERS does not)
CREATE FUNCTION pg_temp.sqlstate_of(query text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE query;
	RETURN NULL;
EXCEPTION
	WHEN query_canceled THEN RETURN SQLSTATE;
	WHEN OTHERS THEN RETURN SQLSTATE;
END $$;

-- a regression in any of these must fail, not hang the suite
SET LOCAL statement_timeout = '60s';

-- indicator codes: 1 MB, thousands of levels
SELECT throws_ok($$SELECT repeat('A', 1000000)::indicator_code$$, '22P02', NULL,
	'a 1 MB indicator code is rejected');
SELECT throws_ok($$SELECT (repeat('A.', 5000) || 'A')::indicator_code$$, '22P02', NULL,
	'a code of 5,001 labels is rejected');
SELECT throws_ok($$SELECT indicator_code(repeat('1.', 499999) || '1')$$, '22P02', NULL,
	'a 1 MB code of 500,000 labels is rejected');
SELECT throws_ok($$SELECT (repeat('A.', 20) || 'A')::indicator_code || (repeat('B.', 20) || 'B')::indicator_code$$,
	'54000', NULL, 'joining two codes beyond 32 labels is a program limit');
SELECT is(nlevel((repeat('A.', 31) || 'A')::indicator_code), 32, 'a code of 32 labels is fine');

-- scoring rules: 10,000 steps, 1 MB of text
SELECT throws_ok($$SELECT ('steps(' || string_agg(i || ':' || (i / 10000.0), ', ') || ')')::scoring_rule
	FROM generate_series(1, 10000) i$$, '22P02', NULL, 'a rule with 10,000 steps is rejected');
SELECT throws_ok($$SELECT ('grade(' || string_agg('G' || i || ':1', ', ') || ')')::scoring_rule
	FROM generate_series(1, 10000) i$$, '22P02', NULL, 'a rule with 10,000 grades is rejected');
SELECT throws_ok($$SELECT repeat('ratio', 200000)::scoring_rule$$, '22P02', NULL,
	'1 MB of rule text is rejected');
SELECT throws_ok($$SELECT ('target(' || repeat('9', 100000) || ')')::scoring_rule$$, '22P02', NULL,
	'a number of 100,000 digits is rejected');
SELECT throws_ok($$SELECT ('steps(' || repeat('(', 100000) || ')')::scoring_rule$$, '22P02', NULL,
	'100,000 nested parentheses are rejected');

-- NaN and infinities into score(), the weighted aggregates, indicator_stats and rollup
SELECT throws_ok($$SELECT score('ratio', 'NaN'::float8)$$, '22023', NULL, 'score() rejects NaN');
SELECT throws_ok($$SELECT score('linear(0, 100)', 'Infinity'::float8)$$, '22023', NULL, 'score() rejects Infinity');
SELECT throws_ok($$SELECT score('minmax', '-Infinity'::float8, '(n=2,min=0,max=1,mean=0.5,sd=0.7)')$$,
	'22023', NULL, 'score() with statistics rejects -Infinity');
SELECT throws_ok($$SELECT weighted_mean(x, 1) FROM (VALUES (1::float8), ('NaN')) v(x)$$, '22023', NULL,
	'weighted_mean rejects a NaN value');
SELECT throws_ok($$SELECT weighted_geomean(1, w) FROM (VALUES (1::float8), ('Infinity')) v(w)$$, '22023', NULL,
	'weighted_geomean rejects an infinite weight');
SELECT throws_ok($$SELECT weighted_quantile(x, 1, 0.5) FROM (VALUES (1::float8), ('-Infinity')) v(x)$$, '22023', NULL,
	'weighted_quantile rejects -Infinity');
SELECT throws_ok($$SELECT weighted_harmonic(x, 1) FROM (VALUES (1::float8), ('-Infinity')) v(x)$$, '22023', NULL,
	'weighted_harmonic rejects -Infinity');
SELECT throws_ok($$SELECT weighted_quantile(1, 1, 'NaN')$$, '22023', NULL, 'a NaN quantile is rejected');
SELECT throws_ok($$SELECT indicator_stats(x) FROM (VALUES (1::float8), ('NaN')) v(x)$$, '22023', NULL,
	'indicator_stats rejects NaN');
SELECT throws_ok($$SELECT '(n=2,min=0,max=Infinity,mean=1,sd=1)'::indicator_stats$$, '22P02', NULL,
	'indicator_stats text input rejects Infinity');
SELECT throws_ok($$SELECT rollup(framework_compile(ARRAY['R','R.1']::indicator_code[], ARRAY[NULL,'R']::indicator_code[], ARRAY[NULL,1]::float8[]),
	'R.1', 'NaN')$$, '22023', NULL, 'rollup rejects a NaN value');
SELECT throws_ok($$SELECT framework_compile(ARRAY['R','R.1']::indicator_code[], ARRAY[NULL,'R']::indicator_code[], ARRAY[NULL,'Infinity']::float8[])$$,
	'22023', NULL, 'framework_compile rejects infinite max points');
SELECT throws_ok($$SELECT framework_compile(ARRAY['R','R.1','R.2']::indicator_code[], ARRAY[NULL,'R','R']::indicator_code[], ARRAY[NULL,1e308,1e308]::float8[])$$,
	'22003', NULL, 'max points that add up beyond float8 are out of range');

-- cycles, no root, too many nodes, mismatched and huge arrays
SELECT throws_ok($$SELECT framework_compile(ARRAY['R','A','B']::indicator_code[], ARRAY[NULL,'B','A']::indicator_code[], ARRAY[NULL,1,1]::float8[])$$,
	'22023', NULL, 'a framework with a cycle beside its root is rejected');
SELECT throws_ok($$SELECT framework_compile(ARRAY['R','A']::indicator_code[], ARRAY[NULL,'A']::indicator_code[], ARRAY[NULL,1]::float8[])$$,
	'22023', NULL, 'an indicator that is its own parent is rejected');
SELECT throws_ok($$SELECT framework_compile(array_agg(('N' || i)::indicator_code), array_agg(('N' || (i % 1000 + 1))::indicator_code), array_agg(1::float8))
	FROM generate_series(1, 1000) i$$, '22023', NULL, 'a framework of 1,000 nodes on one cycle is rejected');
SELECT throws_ok($$SELECT framework_compile(array_agg(('N' || i)::indicator_code), array_agg(CASE WHEN i > 1 THEN 'N1'::indicator_code END), array_agg(1::float8))
	FROM generate_series(1, 100001) i$$, '54000', NULL, 'a framework of more than 100,000 nodes is a program limit');
SELECT throws_ok($$SELECT framework_compile(ARRAY['R','A']::indicator_code[], ARRAY[NULL,'R']::indicator_code[], array_fill(1::float8, ARRAY[100000]))$$,
	'2202E', NULL, 'an array of 100,000 max points for two codes is rejected');
SELECT throws_ok($$SELECT framework_compile(ARRAY[['R','A']]::indicator_code[], NULL, NULL)$$,
	'2202E', NULL, 'a two-dimensional array of codes is rejected');
SELECT throws_ok($$SELECT (repeat('[', 100000) || repeat(']', 100000))::framework$$, '54001', NULL,
	'100,000 nested JSON arrays stop at the stack depth limit');

-- scorecard text input: counts that do not fit (undefined behaviour before)
SELECT throws_ok($$SELECT '[{"code":"A","method":"amean"},{"code":"B","parent":"A","present":1e300,"expected":1e300}]'::scorecard$$,
	'22P02', NULL, 'a scorecard count of 1e300 is rejected');
SELECT throws_ok($$SELECT '[{"code":"A","method":"amean"},{"code":"B","parent":"A","present":0.5,"expected":1}]'::scorecard$$,
	'22P02', NULL, 'a fractional scorecard count is rejected');

-- indicator_stats: output with a subnormal number reads back (a fuzzing find)
SELECT is('(n=2,min=0,max=1e-307,mean=5e-308,sd=7.3006840789002e-309)'::indicator_stats::text::indicator_stats::text,
	'(n=2,min=0,max=1e-307,mean=5e-308,sd=7.3006840789002e-309)',
	'indicator_stats with a subnormal sd reads back its own output');

-- a tree 100,000 levels deep: compiles, rolls up, explains, reads back
CREATE TEMP TABLE chain AS
SELECT framework_compile(array_agg(('N' || i)::indicator_code ORDER BY i),
	array_agg(CASE WHEN i > 1 THEN ('N' || (i - 1))::indicator_code END ORDER BY i),
	array_agg(CASE WHEN i = 100000 THEN 1 END::float8 ORDER BY i),
	array_agg(1::float8 ORDER BY i)) AS fw
FROM generate_series(1, 100000) i;
SELECT is((SELECT max(level) FROM chain, framework_nodes(fw)), 100000, 'a framework 100,000 levels deep compiles');
CREATE TEMP TABLE chain_cards AS
SELECT (SELECT rollup(fw, 'N100000', 0.25) FROM chain) AS a, (SELECT rollup(fw, 'N100000', 0.75) FROM chain) AS b;
SELECT is((SELECT round(sum(contribution)::numeric, 12) FROM chain_cards, explain_change(a, b) WHERE is_leaf),
	0.5, 'explain_change walks the 100,000-level tree in linear time');
SELECT is((SELECT a::text::scorecard::text = a::text FROM chain_cards), true,
	'a scorecard of 100,000 nodes reads back its own text');

-- statement_timeout stops long functions and aggregates (57014)
CREATE TEMP TABLE small_fw AS
SELECT framework_compile(ARRAY['R','R.1','R.2']::indicator_code[], ARRAY[NULL,'R','R']::indicator_code[],
	NULL, ARRAY[NULL,1,2]::float8[]) AS fw;
CREATE TEMP TABLE small AS
SELECT (SELECT fw FROM small_fw) AS fw, array_agg(u::text ORDER BY u) AS units, array_agg(sc ORDER BY u) AS cards
FROM (SELECT u, rollup(fw, c, v * u) AS sc
	  FROM small_fw, generate_series(1, 5) u, (VALUES ('R.1'::indicator_code, 0.3::float8), ('R.2', 0.6)) d(c, v)
	  GROUP BY u) s;
SELECT throws_ok($$SELECT count(*) FROM small, rank_intervals(fw, array_fill('u'::text, ARRAY[1000000]), cards, 10, 0.25, 1)$$,
	'2202E', NULL, 'a million unit names for five scorecards are rejected');
SELECT throws_ok($$SELECT count(*) FROM small, drop_one(fw, units, cards, 1000000)$$,
	'22023', NULL, 'drop_one at a level deeper than the framework is rejected');
SET LOCAL statement_timeout = '200ms';
SELECT is(pg_temp.sqlstate_of($$SELECT count(*) FROM small, rank_intervals(fw, units, cards, 2000000000, 0.25, 1)$$),
	'57014', 'rank_intervals with 2,000,000,000 draws stops at statement_timeout');
SELECT is(pg_temp.sqlstate_of($$SELECT weighted_median(x, 1 + x) FROM generate_series(1, 200000000) x$$),
	'57014', 'weighted_median over 200 million rows stops at statement_timeout');
SELECT is(pg_temp.sqlstate_of($$SELECT indicator_stats(x) FROM generate_series(1, 200000000) x$$),
	'57014', 'indicator_stats over 200 million rows stops at statement_timeout');
RESET statement_timeout;

SELECT * FROM finish();
ROLLBACK;
