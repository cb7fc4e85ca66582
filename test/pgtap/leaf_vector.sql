-- leaf_vector: the type, the aggregate leaf_vector(fw, code, value), and
-- rollup(), leaf_stats() and composite() over vectors, against rollup(),
-- leaf_stats() and composite() over the rows: every node of every
-- scorecard of a seeded data set, serial (the same bits) and with parallel
-- workers (the same bits where no statistics are combined, within 1e-12
-- relative where they are).
BEGIN;
SELECT plan(63);

SELECT has_type('leaf_vector');
SELECT is_aggregate('leaf_vector', ARRAY['framework', 'indicator_code', 'double precision']);
SELECT is_aggregate('leaf_stats', ARRAY['framework', 'leaf_vector']);
SELECT results_eq(
	$$SELECT p.oid::regprocedure::text, a.aggtranstype::regtype::text, a.aggcombinefn::text, a.aggserialfn = 0, a.aggfinalfn = 0, p.proparallel
	  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	  WHERE p.oid IN ('leaf_vector(framework, indicator_code, float8)'::regprocedure, 'leaf_stats(framework, leaf_vector)'::regprocedure) ORDER BY 1$$,
	$$VALUES ('leaf_stats(framework,leaf_vector)', 'leaf_stats', 'leaf_stats_combine', true, true, 's'::"char"),
		('leaf_vector(framework,indicator_code,double precision)', 'leaf_vector', 'leaf_vector_combine', true, true, 's'::"char")$$,
	'both aggregates keep a state of a value type (not internal), combine without serialization, and are parallel safe');
SELECT results_eq(
	$$SELECT p.oid::regprocedure::text, p.provolatile, p.proisstrict, p.proparallel FROM pg_proc p
	  WHERE p.oid IN ('rollup(framework, leaf_vector)'::regprocedure, 'composite(framework, leaf_stats, leaf_vector)'::regprocedure,
		'leaf_count(leaf_vector)'::regprocedure) ORDER BY 1$$,
	$$VALUES ('composite(framework,leaf_stats,leaf_vector)', 'i'::"char", false, 's'::"char"),
		('leaf_count(leaf_vector)', 'i', true, 's'), ('rollup(framework,leaf_vector)', 'i', true, 's')$$,
	'the evaluating functions are immutable and parallel safe; composite() takes NULL statistics');

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

CREATE TEMP TABLE st AS SELECT leaf_stats((SELECT fw FROM fw), code, v) AS st FROM leaf;
-- another framework: the same codes, one leaf fewer
CREATE TEMP TABLE fw_other AS SELECT framework_compile(array_agg(code), array_agg(parent), array_agg(NULL::float8),
	weights => array_agg(weight), methods => array_agg(method)) AS fw FROM node WHERE code <> 'P4.3.4';

-- the vectors, serial
CREATE TEMP TABLE v AS SELECT u, leaf_vector((SELECT fw FROM fw), code, v) AS lv FROM leaf GROUP BY u;
SELECT is((SELECT count(*) FROM v), 400::bigint, 'one vector per unit');
SELECT is((SELECT sum(leaf_count(lv)) FROM v), (SELECT count(v) FROM leaf),
	'a vector holds every non-NULL value of its unit');
SELECT is((SELECT count(*) FROM v WHERE lv::text::leaf_vector::text <> lv::text), 0::bigint,
	'every vector reads back from its text form');

-- rollup(fw, vector) against rollup(fw, code, value)
CREATE TEMP TABLE r_rows AS SELECT u, rollup((SELECT fw FROM fw0), code, v) AS sc FROM leaf GROUP BY u;
CREATE TEMP TABLE r_vec AS SELECT u, rollup((SELECT fw FROM fw0), lv) AS sc FROM v;
SELECT is((SELECT count(*) FROM r_vec JOIN r_rows USING (u), scorecard_nodes(r_vec.sc) n), 400 * 65::bigint,
	'every node of every scorecard is compared');
SELECT is((SELECT count(*) FROM r_vec a JOIN r_rows b USING (u), LATERAL (SELECT * FROM scorecard_nodes(a.sc) WITH ORDINALITY) x
	JOIN LATERAL (SELECT * FROM scorecard_nodes(b.sc) WITH ORDINALITY) y USING (ordinality)
	WHERE x.code <> y.code OR x.value IS DISTINCT FROM y.value OR x.weight IS DISTINCT FROM y.weight
		OR x.present <> y.present OR x.expected <> y.expected OR x.points IS DISTINCT FROM y.points), 0::bigint,
	'serial: rollup(fw, vector) gives every node of every scorecard the same bits as rollup(fw, code, value)');
SELECT is((SELECT count(*) FROM r_vec a JOIN r_rows b USING (u) WHERE a.sc::text <> b.sc::text OR scorecard_send(a.sc) <> scorecard_send(b.sc)),
	0::bigint, 'serial: the same scorecards, text and binary');
SELECT is((SELECT count(*) FROM v WHERE rollup((SELECT fw FROM fw), lv)::text <> rollup((SELECT fw FROM fw0), lv)::text), 0::bigint,
	'a vector is of the tree, not of the rules: collected with the framework with rules, rolled up with the one without');

-- composite(fw, stats, vector) against composite(fw, stats, code, value), the same statistics
CREATE TEMP TABLE c_rows AS SELECT u, composite((SELECT fw FROM fw), (SELECT st FROM st), code, v) AS sc FROM leaf GROUP BY u;
CREATE TEMP TABLE c_vec AS SELECT u, composite((SELECT fw FROM fw), (SELECT st FROM st), lv) AS sc FROM v;
SELECT is((SELECT count(*) FROM c_vec a JOIN c_rows b USING (u), LATERAL (SELECT * FROM scorecard_nodes(a.sc) WITH ORDINALITY) x
	JOIN LATERAL (SELECT * FROM scorecard_nodes(b.sc) WITH ORDINALITY) y USING (ordinality)
	WHERE x.code <> y.code OR x.value IS DISTINCT FROM y.value OR x.weight IS DISTINCT FROM y.weight
		OR x.present <> y.present OR x.points IS DISTINCT FROM y.points), 0::bigint,
	'serial: composite(fw, stats, vector) gives every node of every scorecard the same bits as composite(fw, stats, code, value)');
SELECT is((SELECT count(*) FROM c_vec a JOIN c_rows b USING (u) WHERE a.sc::text <> b.sc::text), 0::bigint,
	'serial: the same scorecards as text');
SELECT is((SELECT count(*) FROM c_vec), 400::bigint, 'one composite scorecard per unit');
-- and against score() + rollup(), as composite.sql proves composite() over rows
CREATE TEMP TABLE b AS SELECT l.u, rollup((SELECT fw FROM fw0), l.code,
		CASE WHEN r.rule IS NULL THEN l.v
			ELSE score(r.rule, l.v, leaf_stats_of((SELECT st FROM st), (SELECT fw FROM fw), l.code)) END) AS sc
	FROM leaf l JOIN rule r USING (code) GROUP BY l.u;
SELECT is((SELECT count(*) FROM c_vec a JOIN b USING (u) WHERE a.sc::text <> b.sc::text), 0::bigint,
	'serial: composite(fw, stats, vector) is score() + rollup() with the same statistics, as text');

-- leaf_stats(fw, vector) against leaf_stats(fw, code, value)
CREATE TEMP TABLE st_v AS SELECT leaf_stats((SELECT fw FROM fw), lv) AS st FROM v;
SELECT results_eq(
	$$SELECT code::text, stats_n(s), stats_min(s), stats_max(s) FROM rule, LATERAL leaf_stats_of((SELECT st FROM st_v), (SELECT fw FROM fw), code) s ORDER BY code$$,
	$$SELECT code::text, stats_n(s), stats_min(s), stats_max(s) FROM rule, LATERAL leaf_stats_of((SELECT st FROM st), (SELECT fw FROM fw), code) s ORDER BY code$$,
	'leaf_stats(fw, vector): the counts and extremes of leaf_stats(fw, code, value)');
SELECT is((SELECT count(*) FROM rule, LATERAL leaf_stats_of((SELECT st FROM st_v), (SELECT fw FROM fw), code) a,
		LATERAL leaf_stats_of((SELECT st FROM st), (SELECT fw FROM fw), code) b
	WHERE abs(stats_mean(a) - stats_mean(b)) > 1e-12 * abs(stats_mean(b)) OR abs(stats_sd(a) - stats_sd(b)) > 1e-12 * abs(stats_sd(b))),
	0::bigint, 'leaf_stats(fw, vector): means and standard deviations within 1e-12 relative (the values are added in another order)');

-- the one-scan form of docs/scoring.md: vectors once, statistics over them, scoring
CREATE TEMP TABLE one AS
	WITH vv AS MATERIALIZED (SELECT u, leaf_vector((SELECT fw FROM fw), code, v) AS lv FROM leaf GROUP BY u),
		s AS (SELECT leaf_stats((SELECT fw FROM fw), lv) AS st FROM vv)
	SELECT u, composite((SELECT fw FROM fw), (SELECT st FROM s), lv) AS sc FROM vv;
SELECT is((SELECT count(*) FROM one JOIN b USING (u), LATERAL (SELECT * FROM scorecard_nodes(one.sc) WITH ORDINALITY) x
	JOIN LATERAL (SELECT * FROM scorecard_nodes(b.sc) WITH ORDINALITY) y USING (ordinality)
	WHERE x.code <> y.code OR (x.value IS NULL) <> (y.value IS NULL) OR x.present <> y.present
		OR abs(x.value - y.value) > 1e-12 * greatest(abs(y.value), 1e-300)), 0::bigint,
	'one scan: every node of every scorecard within 1e-12 relative of score() + rollup()');
SELECT is((SELECT count(*) FROM one), 400::bigint, 'one scan: one scorecard per unit');
SELECT ok((SELECT bool_or(coverage(sc, 'P3.2') = 0) AND bool_or(coverage(sc, 'R') < 1) FROM one),
	'one scan: units that lack leaves, and NULL values, count as missing leaves');

-- frameworks stored in a table (compressed inline), two of them alternating row by row
CREATE TEMP TABLE fws AS SELECT 1 AS id, fw FROM fw UNION ALL SELECT 2, fw FROM fw_other;
SELECT is((SELECT count(*) FROM fws WHERE pg_column_compression(fw) IS NOT NULL), 2::bigint, 'the stored frameworks are compressed');
CREATE TEMP TABLE v2 AS SELECT f.id, l.u, leaf_vector(f.fw, l.code, l.v) AS lv
	FROM leaf l, LATERAL (SELECT * FROM fws WHERE fws.id = 1 OR l.code <> 'P4.3.4' OFFSET 0) f GROUP BY f.id, l.u;
SELECT is((SELECT count(*) FROM v2 JOIN v USING (u) WHERE v2.id = 1 AND v2.lv::text = v.lv::text)
	+ (SELECT count(*) FROM v2 WHERE v2.id = 2 AND rollup((SELECT fw FROM fw_other), v2.lv)::text =
		(SELECT rollup(fw, code, v)::text FROM fw_other, leaf l WHERE l.u = v2.u AND l.code <> 'P4.3.4')),
	800::bigint, 'rows of two stored frameworks interleaved: each vector as with its framework alone');

-- the combine function, called as the final phase of a parallel plan calls it
SELECT is((SELECT rollup((SELECT fw FROM fw0), leaf_vector_combine(
		(SELECT leaf_vector((SELECT fw FROM fw), code, v) FROM leaf WHERE u = 7 AND code::text < 'P3'),
		(SELECT leaf_vector((SELECT fw FROM fw), code, v) FROM leaf WHERE u = 7 AND code::text >= 'P3'))))::text,
	(SELECT sc::text FROM r_rows WHERE u = 7), 'leaf_vector_combine() of two halves of a unit gives the vector of the whole');
SELECT is(leaf_vector_combine(lv, lv::text::leaf_vector)::text, NULL,
	'combining two vectors with the same leaves is refused') FROM v WHERE false;
SELECT throws_ok($$SELECT leaf_vector_combine(lv, lv) FROM v WHERE u = 1$$, '21000', NULL,
	'a leaf in both partial vectors is a second value');

-- with parallel workers
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL enable_sort = off;
CREATE TABLE leaf_p AS SELECT * FROM leaf;
ANALYZE leaf_p;
CREATE FUNCTION pg_temp.plan(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$ BEGIN RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q; END $$;
SELECT ok((SELECT count(*) FROM pg_temp.plan('SELECT u, leaf_vector((SELECT fw FROM fw), code, v) FROM leaf_p GROUP BY u') p
	WHERE p ~ 'Partial HashAggregate|Partial GroupAggregate') = 1,
	'parallel: leaf_vector() GROUP BY unit runs as partial aggregates in the workers');
CREATE TEMP TABLE r_par AS SELECT u, rollup((SELECT fw FROM fw0), leaf_vector((SELECT fw FROM fw), code, v)) AS sc FROM leaf_p GROUP BY u;
SELECT is((SELECT count(*) FROM r_par a JOIN r_rows b USING (u) WHERE scorecard_send(a.sc) <> scorecard_send(b.sc)), 0::bigint,
	'parallel: rollup(fw, leaf_vector(...)) gives the same bits as serial rollup(fw, code, value)');
SELECT is((SELECT count(*) FROM r_par), 400::bigint, 'parallel: one scorecard per unit');
SELECT ok((SELECT count(*) FROM pg_temp.plan('SELECT leaf_stats((SELECT fw FROM fw), code, v) FROM leaf_p') p
	WHERE p ~ 'Partial Aggregate') = 1, 'parallel: leaf_stats() runs as partial aggregates in the workers');
CREATE TEMP TABLE one_p AS
	WITH vv AS MATERIALIZED (SELECT u, leaf_vector((SELECT fw FROM fw), code, v) AS lv FROM leaf_p GROUP BY u),
		s AS (SELECT leaf_stats((SELECT fw FROM fw), lv) AS st FROM vv)
	SELECT u, composite((SELECT fw FROM fw), (SELECT st FROM s), lv) AS sc FROM vv;
SELECT is((SELECT count(*) FROM one_p JOIN b USING (u), LATERAL (SELECT * FROM scorecard_nodes(one_p.sc) WITH ORDINALITY) x
	JOIN LATERAL (SELECT * FROM scorecard_nodes(b.sc) WITH ORDINALITY) y USING (ordinality)
	WHERE x.code <> y.code OR (x.value IS NULL) <> (y.value IS NULL) OR x.present <> y.present
		OR abs(x.value - y.value) > 1e-12 * greatest(abs(y.value), 1e-300)), 0::bigint,
	'parallel one scan: every node of every scorecard within 1e-12 relative of score() + rollup()');
CREATE TABLE v_p AS SELECT * FROM v;
ANALYZE v_p;
SELECT ok((SELECT count(*) FROM pg_temp.plan('SELECT leaf_stats((SELECT fw FROM fw), lv) FROM v_p') p
	WHERE p ~ 'Partial Aggregate') = 1, 'parallel: leaf_stats(fw, vector) runs as partial aggregates in the workers');
SELECT is((SELECT count(*) FROM rule, LATERAL leaf_stats_of((SELECT leaf_stats((SELECT fw FROM fw), lv) FROM v_p), (SELECT fw FROM fw), code) a,
		LATERAL leaf_stats_of((SELECT st FROM st), (SELECT fw FROM fw), code) b
	WHERE stats_n(a) <> stats_n(b) OR abs(stats_mean(a) - stats_mean(b)) > 1e-12 * abs(stats_mean(b))
		OR abs(stats_sd(a) - stats_sd(b)) > 1e-12 * abs(stats_sd(b))),
	0::bigint, 'parallel: leaf_stats(fw, vector) within 1e-12 relative of leaf_stats(fw, code, value)');
RESET enable_sort;

-- errors
SELECT throws_ok($$SELECT rollup(fw, lv) FROM fw_other, v WHERE u = 1$$, '22023', 'the leaf vector was made with another framework');
SELECT throws_ok($$SELECT composite(fw, NULL, lv) FROM fw_other, v WHERE u = 1$$, '22023', 'the leaf vector was made with another framework');
SELECT throws_ok($$SELECT leaf_stats(fw, lv) FROM fw_other, v$$, '22023', 'the leaf vector was made with another framework');
SELECT throws_ok($$SELECT composite(fw, (SELECT st FROM st), lv) FROM fw_other, v WHERE u = 1$$, '22023',
	'the statistics were computed for another framework');
SELECT throws_ok($$SELECT leaf_vector_combine(a.lv, b.lv) FROM v a, (SELECT leaf_vector(fw, 'P1.1.1', 1) AS lv FROM fw_other) b WHERE a.u = 1$$,
	'22023', 'the rows of one scorecard use different frameworks');
SELECT throws_ok($$SELECT leaf_vector(fw, code, v) FROM fw, (VALUES ('P1.1.2'::indicator_code, 5), ('P1.1.2', 6)) x(code, v)$$,
	'21000', 'indicator "P1.1.2" has more than one value in one scorecard');
SELECT throws_ok($$SELECT leaf_vector(fw, 'P1.1', 1) FROM fw$$, '22023', 'indicator "P1.1" is not a leaf of the framework');
SELECT throws_ok($$SELECT leaf_vector(fw, 'Q', 1) FROM fw$$, '22023', 'indicator "Q" is not in the framework');
SELECT throws_ok($$SELECT leaf_vector(fw, 'P1.1.1', 'NaN') FROM fw$$, '22023', 'value of indicator "P1.1.1" must be finite');
SELECT throws_ok($$SELECT leaf_vector(NULL::framework, 'P1.1.1', 1)$$, '22004', 'the framework given to leaf_vector() must not be NULL');
SELECT throws_ok($$SELECT leaf_vector(fw, NULL, 1) FROM fw$$, '22004', 'the indicator code given to leaf_vector() must not be NULL');
SELECT throws_ok($$SELECT leaf_vector(f, 'P1.1.1', 1) FROM (SELECT fw FROM fw UNION ALL SELECT fw FROM fw_other) x(f)$$,
	'22023', 'the rows of one scorecard use different frameworks');
SELECT throws_ok($$SELECT composite(NULL, NULL, lv) FROM v WHERE u = 1$$, '22004', 'the framework given to composite() must not be NULL');
SELECT throws_ok($$SELECT composite(fw, NULL, lv) FROM fw, v WHERE u = 1$$, '22004', 'rule zscore(50, 10) needs statistics, but they are NULL');

-- NULLs
SELECT ok((SELECT leaf_vector(fw, 'P1.1.1', 1) FROM fw WHERE false) IS NULL, 'leaf_vector() over no rows is NULL');
SELECT ok((SELECT rollup(fw, NULL::leaf_vector) FROM fw) IS NULL, 'rollup(fw, NULL) is NULL');
SELECT ok((SELECT composite(fw, st, NULL) FROM fw, st) IS NULL, 'composite(fw, stats, NULL) is NULL');
SELECT ok((SELECT root_value(rollup((SELECT fw FROM fw), leaf_vector(fw, 'P1.1.1', NULL))) FROM fw) IS NULL, 'a unit whose only value is NULL has no index');
SELECT is((SELECT leaf_count(leaf_vector(fw, 'P1.1.1', NULL)) FROM fw), 0, 'a NULL value leaves its leaf missing');

-- text input: every byte checked (22P02)
SELECT throws_ok($$SELECT 'zz'::leaf_vector$$, '22P02', NULL, 'text that is not hexadecimal is refused');
SELECT throws_ok($$SELECT '0'::leaf_vector$$, '22P02', NULL, 'an odd number of digits is refused');
SELECT throws_ok($$SELECT ''::leaf_vector$$, '22P02', NULL, 'an empty text is refused');
SELECT throws_ok($$SELECT substr(lv::text, 1, length(lv::text) - 2)::leaf_vector FROM v WHERE u = 1$$, '22P02', NULL,
	'a truncated vector is refused');
SELECT throws_ok($$SELECT ('02' || substr(lv::text, 3))::leaf_vector FROM v WHERE u = 1$$, '22P02', NULL,
	'an unknown version is refused');
SELECT throws_ok($$SELECT (lv::text || '00')::leaf_vector FROM v WHERE u = 1$$, '22P02', NULL,
	'trailing bytes are refused');
-- the first value (after 1 + 8 + 4 + 4 bytes and 6 bytes of bitmap) set to NaN
SELECT throws_ok($$SELECT overlay(lv::text placing '7ff8000000000000' from 47)::leaf_vector FROM (SELECT leaf_vector((SELECT fw FROM fw), code, 1) AS lv FROM rule) x$$,
	'22P02', 'invalid text value for type leaf_vector', 'a value that is not finite is refused');
-- 48 leaves, all present: a bitmap byte cleared no longer matches the count
SELECT throws_ok($$SELECT overlay(lv::text placing '00' from 35)::leaf_vector FROM (SELECT leaf_vector((SELECT fw FROM fw), code, 1) AS lv FROM rule) x$$,
	'22P02', 'invalid text value for type leaf_vector', 'a bitmap that does not match the count is refused');

-- 3 leaves, one present: its bit moved past the last leaf (bitmap 08 for 01),
-- the count still 1
SELECT throws_ok($$SELECT overlay(leaf_vector(framework_compile(ARRAY['R', 'R.1', 'R.2', 'R.3']::indicator_code[],
		ARRAY[NULL, 'R', 'R', 'R']::indicator_code[], ARRAY[NULL, 1, 1, 1]::float8[]), 'R.1', 1)::text placing '08' from 35)::leaf_vector$$,
	'22P02', 'invalid text value for type leaf_vector', 'a bit past the last leaf is refused');

-- The framework hash a vector carries is defined over the bytes of the
-- framework's binary form, the same on every platform: on this one, the
-- value dti 0.10.0 and 0.11.0 wrote (a vector they wrote, below as it
-- was, is read and evaluated; a new one is the same bytes).
CREATE TEMP TABLE fw6 AS SELECT framework_compile('{R,P1,P2,P1.1,P1.2,P2.1}', '{NULL,R,R,P1,P1,P2}',
	'{NULL,NULL,NULL,NULL,NULL,NULL}', weights => '{NULL,1,1,1,1,1}',
	methods => '{amean,amean,amean,NULL,NULL,NULL}') AS fw;
SELECT is((SELECT leaf_vector((SELECT fw FROM fw6), c, v)::text FROM (VALUES ('P1.1'::indicator_code, 0.25::float8), ('P2.1', 0.75)) x(c, v)),
	'019a455b09548516e10000000300000002053fd00000000000003fe8000000000000',
	'a vector''s bytes, the framework hash included, as dti 0.10.0 and 0.11.0 wrote them');
SELECT is(rollup((SELECT fw FROM fw6), '019a455b09548516e10000000300000002053fd00000000000003fe8000000000000'::leaf_vector)::text,
	(SELECT rollup((SELECT fw FROM fw6), c, v)::text FROM (VALUES ('P1.1'::indicator_code, 0.25::float8), ('P2.1', 0.75)) x(c, v)),
	'a vector written by dti 0.11.0 is evaluated as the rows it holds');
SELECT throws_ok($$SELECT rollup((SELECT fw FROM fw6), '019a455b09548516e00000000300000002053fd00000000000003fe8000000000000'::leaf_vector)$$,
	'22023', 'the leaf vector was made with another framework', 'a vector naming another framework hash is refused');

SELECT * FROM finish();
ROLLBACK;
