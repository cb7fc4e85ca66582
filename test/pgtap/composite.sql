-- composite(), leaf_stats() and framework_rules() contracts, and the
-- regression against score() + rollup(): every node of every scorecard of
-- a seeded data set, serial (the same bits given the same statistics) and
-- with parallel workers (within 1e-12 relative).
BEGIN;
SELECT plan(54);

SELECT has_type('leaf_stats');
SELECT has_type('composite_state');
SELECT is_aggregate('composite', ARRAY['framework', 'leaf_stats', 'indicator_code', 'double precision']);
SELECT is_aggregate('leaf_stats', ARRAY['framework', 'indicator_code', 'double precision']);
SELECT results_eq(
	$$SELECT p.proname::text COLLATE "default", a.aggtranstype::regtype::text, a.aggcombinefn <> 0, a.aggserialfn = 0, p.proparallel
	  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	  WHERE p.proname IN ('composite', 'leaf_stats') AND p.pronargs >= 3 ORDER BY 1$$,
	$$VALUES ('composite', 'composite_state', true, true, 's'::"char"), ('leaf_stats', 'leaf_stats', true, true, 's'::"char")$$,
	'both aggregates keep a state of their own type (not internal), combine, and are parallel safe');

-- a seeded data set: 4 pillars of 3 main indicators of 4 leaves, 400 units
CREATE TEMP TABLE node (code indicator_code, parent indicator_code, method text, weight float8);
INSERT INTO node VALUES ('R', NULL, 'amean', NULL);
INSERT INTO node SELECT ('P' || p)::indicator_code, 'R', CASE WHEN p = 2 THEN 'gmean' ELSE 'amean' END, p
	FROM generate_series(1, 4) p;
INSERT INTO node SELECT ('P' || p || '.' || m)::indicator_code, ('P' || p)::indicator_code, 'amean', 1 + m % 2
	FROM generate_series(1, 4) p, generate_series(1, 3) m;
INSERT INTO node SELECT ('P' || p || '.' || m || '.' || l)::indicator_code, ('P' || p || '.' || m)::indicator_code, NULL, l
	FROM generate_series(1, 4) p, generate_series(1, 3) m, generate_series(1, 4) l;
CREATE TEMP TABLE fw0 AS SELECT framework_compile(array_agg(code), array_agg(parent), array_agg(NULL::float8),
	weights => array_agg(weight), methods => array_agg(method)) AS fw FROM node;
-- rules: min-max, z-score (shifted to stay positive under gmean), best, an
-- absolute rule, and leaves without a rule (taken as given)
CREATE TEMP TABLE rule AS SELECT code, CASE (row_number() OVER (ORDER BY code)) % 5
	WHEN 0 THEN 'minmax(0, 100)' WHEN 1 THEN 'zscore(50, 10)' WHEN 2 THEN 'best'
	WHEN 3 THEN 'target(0.8)' ELSE NULL END::scoring_rule AS rule
	FROM node WHERE method IS NULL;
CREATE TEMP TABLE fw AS SELECT framework_rules((SELECT fw FROM fw0), array_agg(code), array_agg(rule)) AS fw FROM rule;
SELECT setseed(0.22);
CREATE TEMP TABLE leaf AS
	SELECT u, r.code, CASE WHEN random() < 0.03 THEN NULL ELSE round((random() * 90 + 5)::numeric, 3)::float8 END AS v
	FROM generate_series(1, 400) u, rule r
	WHERE NOT (u % 37 = 0 AND r.code::text LIKE 'P3.2.%');	-- some units lack leaves
ANALYZE leaf;

SELECT is(framework_rule(fw, 'P1.1.1'), (SELECT rule FROM rule WHERE code = 'P1.1.1'), 'framework_rule gives a leaf''s rule') FROM fw;
SELECT is((SELECT count(*) FROM rule r, fw WHERE framework_rule(fw, r.code) IS NOT DISTINCT FROM r.rule), 48::bigint,
	'the framework carries every rule given, and no rule where none was given');
SELECT is(fw::text::framework::text, fw::text, 'a framework with rules reads back from its text form') FROM fw;
SELECT is(get_byte(framework_send(fw), 0), 1, 'a framework with rules is sent in binary version 1 (its text form)') FROM fw;
SELECT is(get_byte(framework_send(fw), 0), 2, 'a framework without rules is sent in binary version 2, as before') FROM fw0;
SELECT is(framework_rules(fw, ARRAY['P1.1.1']::indicator_code[], ARRAY[NULL]::scoring_rule[])::text, fw::text,
	'a NULL rule is no rule: the framework without rules') FROM fw0;
SELECT is(framework_rule(framework_rules((SELECT fw FROM fw0), ARRAY['P1.1.1']::indicator_code[], ARRAY['ratio']::scoring_rule[]), 'P1.1.2'),
	NULL, 'a leaf not given has no rule');

-- framework_rules errors
SELECT throws_ok($$SELECT framework_rules(fw, ARRAY['P1.1']::indicator_code[], ARRAY['ratio']::scoring_rule[]) FROM fw0$$,
	'22023', 'indicator "P1.1" has a scoring rule but is not a leaf');
SELECT throws_ok($$SELECT framework_rules(fw, ARRAY['P1.1.1']::indicator_code[], ARRAY['prank']::scoring_rule[]) FROM fw0$$,
	'22023', 'rule prank of indicator "P1.1.1" cannot be carried by a framework');
SELECT throws_ok($$SELECT framework_rules(fw, ARRAY['P1.1.1']::indicator_code[], ARRAY['grade(A:1)']::scoring_rule[]) FROM fw0$$,
	'22023', 'rule grade(A:1) of indicator "P1.1.1" cannot be carried by a framework');
SELECT throws_ok($$SELECT framework_rules(fw, ARRAY['X.1']::indicator_code[], ARRAY['ratio']::scoring_rule[]) FROM fw0$$,
	'22023', 'indicator "X.1" is not in the framework');
SELECT throws_ok($$SELECT framework_rules(fw, ARRAY['P1.1.1', 'P1.1.1']::indicator_code[], ARRAY['ratio', 'bool']::scoring_rule[]) FROM fw0$$,
	'22023', 'indicator "P1.1.1" is given two rules');
SELECT throws_ok($$SELECT framework_rules(fw, ARRAY['P1.1.1']::indicator_code[], ARRAY['ratio', 'bool']::scoring_rule[]) FROM fw0$$,
	'2202E', NULL, 'arrays of different lengths');
SELECT throws_ok($$SELECT '[{"code": "R", "rule": "ratio", "weight": 1}, {"code": "A", "parent": "R", "weight": 1}]'::framework$$,
	'22023', 'indicator "R" has a scoring rule but is not a leaf');
SELECT throws_ok($$SELECT '[{"code": "R", "method": "amean"}, {"code": "A", "parent": "R", "weight": 1, "rule": "target(-1)"}]'::framework$$,
	'22P02', NULL, 'a bad rule in a framework''s text form is a syntax error');

-- the statistics pass
CREATE TEMP TABLE st AS SELECT leaf_stats((SELECT fw FROM fw), code, v) AS st FROM leaf;
SELECT results_eq(
	$$SELECT code::text, leaf_stats_of((SELECT st FROM st), (SELECT fw FROM fw), code)::text FROM rule ORDER BY code$$,
	$$SELECT code::text, indicator_stats(v)::text FROM leaf GROUP BY code ORDER BY code$$,
	'leaf_stats() gives every leaf the indicator_stats() of its values');
SELECT is(st::text::leaf_stats::text, st::text, 'leaf_stats reads back from its text form') FROM st;
SELECT ok(leaf_stats((SELECT fw FROM fw), code, v) IS NULL, 'leaf_stats() over no rows is NULL') FROM leaf WHERE false;
SELECT throws_ok($$SELECT leaf_stats(NULL::framework, 'P1.1.1', 1)$$, '22004', 'the framework given to leaf_stats() must not be NULL');
SELECT throws_ok($$SELECT leaf_stats(fw, 'P1.1', 1) FROM fw$$, '22023', 'indicator "P1.1" is not a leaf of the framework');
SELECT throws_ok($$SELECT leaf_stats(fw, 'Q', 1) FROM fw$$, '22023', 'indicator "Q" is not in the framework');
SELECT throws_ok($$SELECT leaf_stats(fw, 'P1.1.1', 'NaN') FROM fw$$, '22023', 'indicator value NaN is not a finite number');
SELECT throws_ok($$SELECT leaf_stats_of(st, fw, 'P1.1.1') FROM st, fw0$$, '22023', 'the statistics were computed for another framework');
SELECT throws_ok($$SELECT 'zz'::leaf_stats$$, '22P02', NULL, 'leaf_stats text that is not its form is refused');
SELECT throws_ok($$SELECT substr(st::text, 1, 200)::leaf_stats FROM st$$, '22P02', NULL, 'a truncated leaf_stats text is refused');
SELECT throws_ok($$SELECT overlay(st::text placing 'ff' from 27)::leaf_stats FROM st$$, '22P02', NULL,
	'a leaf_stats text with a corrupt accumulator is refused');

-- the combine functions, called as the final phase of a parallel plan
-- calls them: two halves merged give the whole
SELECT results_eq(
	$$SELECT code::text, stats_n(s), stats_min(s), stats_max(s), round(stats_mean(s)::numeric, 9), round(stats_sd(s)::numeric, 9)
	  FROM rule, (SELECT leaf_stats_combine(
			(SELECT leaf_stats((SELECT fw FROM fw), code, v) FROM leaf WHERE u <= 150),
			(SELECT leaf_stats((SELECT fw FROM fw), code, v) FROM leaf WHERE u > 150)) AS st) h,
		LATERAL leaf_stats_of(h.st, (SELECT fw FROM fw), code) s ORDER BY code$$,
	$$SELECT code::text, stats_n(s), stats_min(s), stats_max(s), round(stats_mean(s)::numeric, 9), round(stats_sd(s)::numeric, 9)
	  FROM rule, LATERAL leaf_stats_of((SELECT st FROM st), (SELECT fw FROM fw), code) s ORDER BY code$$,
	'leaf_stats_combine() of two halves gives the statistics of the whole');
SELECT is(composite_final(composite_combine(
		composite_step(NULL, fw, (SELECT st FROM st), 'P1.1.1', 40),
		composite_step(composite_step(NULL, fw, (SELECT st FROM st), 'P2.1.1', 60), fw, (SELECT st FROM st), 'P1.1.2', 70)))::text,
	(SELECT composite(fw, (SELECT st FROM st), c, v) FROM (VALUES ('P1.1.1'::indicator_code, 40::float8), ('P2.1.1', 60), ('P1.1.2', 70)) x(c, v))::text,
	'composite_combine() of two partial states gives the scorecard of all their rows') FROM fw;
SELECT throws_ok($$SELECT composite_combine(composite_step(NULL, fw, (SELECT st FROM st), 'P1.1.1', 40),
		composite_step(NULL, fw, (SELECT st FROM st), 'P1.1.1', 50)) FROM fw$$,
	'21000', 'a leaf has more than one value in one scorecard');

-- composite() against score() + rollup(), serial: every node, the same bits
CREATE TEMP TABLE a AS SELECT u, composite((SELECT fw FROM fw), (SELECT st FROM st), code, v) AS sc FROM leaf GROUP BY u;
CREATE TEMP TABLE b AS SELECT l.u, rollup((SELECT fw FROM fw0), l.code,
		CASE WHEN r.rule IS NULL THEN l.v
			ELSE score(r.rule, l.v, leaf_stats_of((SELECT st FROM st), (SELECT fw FROM fw), l.code)) END) AS sc
	FROM leaf l JOIN rule r USING (code) GROUP BY l.u;
SELECT is((SELECT count(*) FROM a), 400::bigint, 'one scorecard per unit');
SELECT is((SELECT count(*) FROM a JOIN b USING (u), scorecard_nodes(a.sc) n
	WHERE n.level > 0), 400 * 65::bigint, 'every node of every scorecard is compared');
SELECT is((SELECT count(*) FROM a JOIN b USING (u), LATERAL (SELECT * FROM scorecard_nodes(a.sc) WITH ORDINALITY) x
	JOIN LATERAL (SELECT * FROM scorecard_nodes(b.sc) WITH ORDINALITY) y USING (ordinality)
	WHERE x.code <> y.code OR x.value IS DISTINCT FROM y.value OR x.weight IS DISTINCT FROM y.weight
		OR x.present <> y.present OR x.points IS DISTINCT FROM y.points), 0::bigint,
	'serial: every node of every scorecard is the same bits as score() + rollup() with the same statistics');
SELECT is((SELECT count(*) FROM a JOIN b USING (u) WHERE a.sc::text <> b.sc::text), 0::bigint,
	'serial: the scorecards are the same text');
SELECT ok((SELECT bool_or(coverage(sc, 'P3.2') = 0) AND bool_or(coverage(sc, 'R') < 1) FROM a),
	'units that lack leaves, and NULL values, count as missing leaves');

-- with parallel workers: the statistics combined across workers
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE TABLE leaf_p AS SELECT * FROM leaf;
ANALYZE leaf_p;
CREATE TEMP TABLE c AS SELECT u, composite((SELECT fw FROM fw), (SELECT leaf_stats((SELECT fw FROM fw), code, v) FROM leaf_p), code, v) AS sc
	FROM leaf_p GROUP BY u;
SELECT is((SELECT count(*) FROM c JOIN b USING (u), LATERAL (SELECT * FROM scorecard_nodes(c.sc) WITH ORDINALITY) x
	JOIN LATERAL (SELECT * FROM scorecard_nodes(b.sc) WITH ORDINALITY) y USING (ordinality)
	WHERE x.code <> y.code OR (x.value IS NULL) <> (y.value IS NULL)
		OR abs(x.value - y.value) > 1e-12 * greatest(abs(y.value), 1e-300)), 0::bigint,
	'parallel: every node of every scorecard within 1e-12 relative of score() + rollup()');
SELECT is((SELECT count(*) FROM c), 400::bigint, 'parallel: one scorecard per unit');

-- composite() errors and NULLs
SELECT throws_ok($$SELECT composite(fw, (SELECT st FROM st), 'P1.1.1', 1) FROM fw0$$,
	'22023', 'the statistics were computed for another framework');
SELECT throws_ok($$SELECT composite(fw, NULL, 'P1.1.1', 1) FROM fw$$,
	'22004', 'rule zscore(50, 10) needs statistics, but they are NULL');
SELECT throws_ok($$SELECT composite(fw, (SELECT st FROM st), code, v) FROM fw, (VALUES ('P1.1.2'::indicator_code, 5), ('P1.1.2', 6)) x(code, v)$$,
	'21000', 'indicator "P1.1.2" has more than one value in one scorecard');
SELECT throws_ok($$SELECT composite(fw, (SELECT st FROM st), NULL, 1) FROM fw$$,
	'22004', 'the indicator code given to composite() must not be NULL');
SELECT throws_ok($$SELECT composite(NULL, (SELECT st FROM st), 'P1.1.1', 1)$$,
	'22004', 'the framework given to composite() must not be NULL');
SELECT throws_ok($$SELECT composite(fw, (SELECT st FROM st), 'P1.1', 1) FROM fw$$,
	'22023', 'indicator "P1.1" is not a leaf of the framework');
SELECT throws_ok($$SELECT composite(fw, (SELECT st FROM st), 'P1.1.4', 'Infinity') FROM fw$$,
	'22023', 'indicator value Infinity is not a finite number');
SELECT is((SELECT composite(fw, NULL, 'P1.1.1', 0.5)->'R' FROM fw0), 0.5::float8,
	'without rules no statistics are needed: the values are taken as given');
SELECT ok((SELECT root_value(composite(fw, (SELECT st FROM st), 'P1.1.1', NULL)) FROM fw) IS NULL,
	'a unit whose only value is NULL has no index');
SELECT is(composite_step(NULL, fw, st, 'P1.1.1', 60)::text::composite_state::text,
	composite_step(NULL, fw, st, 'P1.1.1', 60)::text, 'composite_state reads back from its text form') FROM fw, st;
SELECT is(composite_final(composite_step(NULL, fw, st, 'P1.1.1', 60)::text::composite_state)::text,
	composite_final(composite_step(NULL, fw, st, 'P1.1.1', 60))::text, 'a state read back from text gives the same scorecard') FROM fw, st;
SELECT throws_ok($$SELECT '00'::composite_state$$, '22P02', NULL, 'composite_state text that is not its form is refused');
SELECT is((SELECT count(*) FROM a WHERE sc IS NULL), 0::bigint, 'no unit without a scorecard');

SELECT * FROM finish();
ROLLBACK;
