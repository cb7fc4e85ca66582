-- pgTAP: weighted_quantile_state, the state of weighted_quantile and
-- weighted_median (what Citus ships between nodes as text or binary, and
-- parallel workers hand over as they are): round trips, partial states
-- combined in any order give the one-pass result to the bit, every byte
-- checked on input, the final function leaves a stored state alone,
-- parallel plans.
BEGIN;
SELECT plan(35);

SELECT has_type('weighted_quantile_state');
SELECT results_eq(
	$$SELECT aggfnoid::regprocedure::text, aggtranstype::regtype::text, aggserialfn = 0, aggfinalmodify
	  FROM pg_aggregate WHERE aggfnoid::regproc::text IN ('weighted_quantile', 'weighted_median') ORDER BY 1$$,
	$$VALUES ('weighted_median(double precision,double precision)', 'weighted_quantile_state', true, 's'::"char"),
		('weighted_quantile(double precision,double precision,double precision)', 'weighted_quantile_state', true, 's'::"char")$$,
	'both quantile aggregates keep a weighted_quantile_state, no serialize function, a final function that only sorts');

-- plain tables (rolled back at the end): parallel workers cannot read temporary ones
CREATE TABLE qs_leaf AS
SELECT g % 7 AS k, g % 2 AS half, ((g * 7919) % 1013) / 9.0::float8 AS v,
	(CASE WHEN g % 5 = 0 THEN 1 ELSE 0.5 + g % 4 END)::float8 AS w, 1::float8 AS w1
FROM generate_series(1, 20000) g;
ANALYZE qs_leaf;

-- text and binary round trips
CREATE TABLE qs_state AS SELECT k, weighted_quantile_step(weighted_quantile_step(weighted_quantile_step(NULL, 3, 1, 0.25), 1, 2, 0.25), 2, 1, 0.25) AS s
FROM generate_series(1, 1) k;
SELECT is((SELECT s::text::weighted_quantile_state::text FROM qs_state), (SELECT s::text FROM qs_state),
	'text output reads back to the same value');
SELECT is((SELECT encode(weighted_quantile_state_send(s), 'hex') FROM qs_state), (SELECT s::text FROM qs_state),
	'the text form is the binary form in hexadecimal');
-- version 2, flags 02 (sorted, weights not equal), q 0.25, first weight 1, 3 pairs, sorted by value
SELECT is((SELECT s::text FROM qs_state),
	'02' || '02' || '3fd0000000000000' || '3ff0000000000000' || '0000000000000003'
	|| '3ff0000000000000' || '4000000000000000' || '4000000000000000' || '3ff0000000000000'
	|| '4008000000000000' || '3ff0000000000000',
	'the binary form: version, flags, q, first weight, n, then the pairs sorted in network byte order');
-- the final function outside an aggregate sorts a copy: the stored state is unchanged
SELECT is((SELECT array[weighted_quantile_final(s), weighted_quantile_final(s)] FROM qs_state),
	ARRAY[1.4166666666666667, 1.4166666666666667]::float8[], 'the final function of a stored state, twice');
SELECT is((SELECT weighted_quantile_final(s::text::weighted_quantile_state) FROM qs_state),
	(SELECT weighted_quantile(x, w, 0.25) FROM (VALUES (3::float8, 1::float8), (1, 2), (2, 1)) v(x, w)),
	'a state read from text finishes to the aggregate''s result');

-- partial states combined in any order, through text, give the one-pass bits:
-- an aggregate that stops at the state, and one that combines states
CREATE AGGREGATE pg_temp.wq_partial(float8, float8, float8) (SFUNC = weighted_quantile_step, STYPE = weighted_quantile_state);
CREATE AGGREGATE pg_temp.wq_merge(weighted_quantile_state) (SFUNC = weighted_quantile_combine, STYPE = weighted_quantile_state,
	FINALFUNC = weighted_quantile_final);
CREATE TABLE qs_parts AS SELECT k, half, pg_temp.wq_partial(v, w, 0.3) AS s, pg_temp.wq_partial(v, w1, 0.3) AS s1
FROM qs_leaf GROUP BY k, half;
CREATE TABLE qs_whole AS SELECT k, weighted_quantile(v, w, 0.3) AS r, weighted_quantile(v, w1, 0.3) AS r1,
	weighted_median(v, w) AS m FROM qs_leaf GROUP BY k;
SELECT is((SELECT count(*) FROM qs_whole w JOIN (
		SELECT k, pg_temp.wq_merge(s ORDER BY half) AS a, pg_temp.wq_merge(s ORDER BY half DESC) AS b,
			pg_temp.wq_merge(s::text::weighted_quantile_state ORDER BY half) AS c,
			pg_temp.wq_merge(s1::text::weighted_quantile_state ORDER BY half DESC) AS d
		FROM qs_parts GROUP BY k) p USING (k)
	WHERE float8send(p.a) = float8send(w.r) AND float8send(p.b) = float8send(w.r)
	  AND float8send(p.c) = float8send(w.r) AND float8send(p.d) = float8send(w.r1)),
	7::bigint, 'partial states (as they are, through text, sorted or not, either order) combine to the one-pass bits');
-- a sorted state and one read from text unsorted (flags 00): the result
-- is no longer sorted, and finishes to the quantile of all four pairs
SELECT is((SELECT weighted_quantile_final(weighted_quantile_combine(
		('02' || '03' || '3fe0000000000000' || '3ff0000000000000' || '0000000000000002'
		 || '3ff0000000000000' || '3ff0000000000000' || '4008000000000000' || '3ff0000000000000')::weighted_quantile_state,
		('02' || '00' || '3fe0000000000000' || '4000000000000000' || '0000000000000002'
		 || '4014000000000000' || '4000000000000000' || '0000000000000000' || '4000000000000000')::weighted_quantile_state))),
	(SELECT weighted_median(x, w) FROM (VALUES (1::float8, 1::float8), (3, 1), (5, 2), (0, 2)) v(x, w)),
	'a sorted state combined with an unsorted one finishes to the quantile of every pair');
-- two states of equal weights, 1 in one and 3 in the other: the weights of
-- the result are not equal (percentile_cont would give 3)
SELECT is((SELECT weighted_quantile_final(weighted_quantile_combine(
		('02' || '03' || '3fe0000000000000' || '3ff0000000000000' || '0000000000000002'
		 || '3ff0000000000000' || '3ff0000000000000' || '4008000000000000' || '3ff0000000000000')::weighted_quantile_state,
		('02' || '03' || '3fe0000000000000' || '4008000000000000' || '0000000000000003'
		 || '0000000000000000' || '4008000000000000' || '4010000000000000' || '4008000000000000'
		 || '4024000000000000' || '4008000000000000')::weighted_quantile_state))),
	3.5::float8, 'states of different equal weights combine to weighted pairs (3.5, where equal weights would give 3)');
SELECT throws_ok($$SELECT weighted_quantile_combine(weighted_quantile_step(NULL, 1, 1, 0.3), weighted_quantile_step(NULL, 1, 1, 0.4))$$,
	'22023', 'quantile must be the same for every row of a group in weighted_quantile', 'states of two quantiles do not combine');
SELECT is((SELECT weighted_quantile_final(weighted_quantile_combine(NULL, s)) FROM qs_state), 1.4166666666666667::float8,
	'combining into no state copies the state');
SELECT is((SELECT weighted_quantile_final(weighted_quantile_combine(s, NULL)) FROM qs_state), 1.4166666666666667::float8,
	'combining no state keeps the state');
SELECT is((SELECT weighted_quantile_final(weighted_quantile_step(NULL, 1, 0, 0.5))), NULL::float8,
	'a state of weight-0 rows only finishes to NULL');
SELECT is((SELECT weighted_quantile_step(NULL, NULL, 1, 0.5)::text), '0203' || '3fe0000000000000' || repeat('0', 32),
	'a state without pairs: equal weights and sorted flagged, first weight 0, n 0');

-- input checks every byte: hexadecimal syntax (22P02), then the contents (22P03)
SELECT throws_ok($$SELECT 'abc'::weighted_quantile_state$$, '22P02', NULL, 'an odd number of digits is refused');
SELECT throws_ok($$SELECT ('01' || substr(s::text, 3))::weighted_quantile_state FROM qs_state$$,
	'22P03', 'invalid value of type weighted_quantile_state', 'an unknown version is refused');
SELECT throws_ok($$SELECT (s::text || '00')::weighted_quantile_state FROM qs_state$$,
	'22P03', NULL, 'a trailing byte is refused');
SELECT throws_ok($$SELECT left(s::text, -2)::weighted_quantile_state FROM qs_state$$,
	'22P03', NULL, 'a missing byte is refused');
SELECT throws_ok($$SELECT ('0204' || substr(s::text, 5))::weighted_quantile_state FROM qs_state$$,
	'22P03', NULL, 'an unknown flag is refused');
SELECT throws_ok($$SELECT ('0202' || '3ff0000000000001' || substr(s::text, 21))::weighted_quantile_state FROM qs_state$$,
	'22P03', NULL, 'a quantile above 1 is refused');
SELECT throws_ok($$SELECT ('0202' || '3fd0000000000000' || '0000000000000000' || substr(s::text, 37))::weighted_quantile_state FROM qs_state$$,
	'22P03', NULL, 'a first weight of 0 with pairs is refused');
SELECT throws_ok($$SELECT (left(s::text, 52) || '7ff8000000000000' || substr(s::text, 69))::weighted_quantile_state FROM qs_state$$,
	'22P03', NULL, 'a NaN value is refused');
SELECT throws_ok($$SELECT (left(s::text, 68) || '0000000000000000' || substr(s::text, 85))::weighted_quantile_state FROM qs_state$$,
	'22P03', NULL, 'a weight of 0 is refused');
-- the first two pairs swapped
SELECT throws_ok($$SELECT (left(s::text, 52) || substr(s::text, 85, 32) || substr(s::text, 53, 32) || substr(s::text, 117))::weighted_quantile_state FROM qs_state$$,
	'22P03', NULL, 'pairs out of order flagged sorted are refused');
SELECT throws_ok($$SELECT ('0203' || substr(s::text, 5))::weighted_quantile_state FROM qs_state$$,
	'22P03', NULL, 'different weights flagged equal are refused');
SELECT throws_ok($$SELECT ('0203' || '3fe0000000000000' || '3ff0000000000000' || repeat('0', 16))::weighted_quantile_state$$,
	'22P03', NULL, 'a first weight without pairs is refused');
SELECT lives_ok($$SELECT ('0200' || substr(s::text, 5))::weighted_quantile_state FROM qs_state$$,
	'sorted pairs need not be flagged sorted');

-- every way the executor keeps states gives the same bits: a sorted
-- grouping (a state per group, the context reset between groups), hashing
-- within memory and spilling to disk (the states of 2,000 groups in one
-- shared context), grouping sets, beside another aggregate that makes a
-- memory context per group
CREATE TABLE qs_many AS SELECT g % 2000 AS k, ((g * 7919) % 10007) / 7.0::float8 AS v, ((g % 13) / 4.0)::float8 AS w
FROM generate_series(1, 40000) g;
ANALYZE qs_many;
SET LOCAL max_parallel_workers_per_gather = 0;
SET LOCAL enable_hashagg = off;
CREATE TABLE qs_sorted AS SELECT k, weighted_median(v, w) AS m, weighted_quantile(v, w, 0.1) AS q FROM qs_many GROUP BY k;
RESET enable_hashagg;
SET LOCAL enable_sort = off;
SET LOCAL work_mem = '64MB';
SELECT is((SELECT count(*) FROM qs_sorted s JOIN (SELECT k, weighted_median(v, w) AS m, weighted_quantile(v, w, 0.1) AS q,
		array_agg(v) AS a FROM qs_many GROUP BY k) h USING (k)
	WHERE float8send(s.m) = float8send(h.m) AND float8send(s.q) = float8send(h.q) AND cardinality(h.a) = 20),
	2000::bigint, 'hashed within memory, beside array_agg: the sorted grouping''s bits');
SET LOCAL work_mem = '64kB';
SELECT is((SELECT count(*) FROM qs_sorted s JOIN (SELECT k, weighted_median(v, w) AS m, weighted_quantile(v, w, 0.1) AS q
		FROM qs_many GROUP BY k) h USING (k)
	WHERE float8send(s.m) = float8send(h.m) AND float8send(s.q) = float8send(h.q)),
	2000::bigint, 'hashed and spilled to disk: the sorted grouping''s bits');
RESET work_mem;
RESET enable_sort;
SELECT is((SELECT count(*) FROM (SELECT k, k % 7 AS kk, weighted_median(v, w) AS m FROM qs_many
		GROUP BY GROUPING SETS ((k), (k % 7), ())) g
	LEFT JOIN qs_sorted s ON s.k = g.k
	LEFT JOIN (SELECT k % 7 AS kk, weighted_median(v, w) AS m FROM qs_many GROUP BY k % 7) s7 ON g.k IS NULL AND s7.kk = g.kk
	WHERE float8send(g.m) = float8send(coalesce(s.m, s7.m, (SELECT weighted_median(v, w) FROM qs_many)))),
	2008::bigint, 'grouping sets: the bits of each grouping alone');

-- parallel plans: partial aggregates hand their states to the leader as they are
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE FUNCTION pg_temp.explain_lines(q text) RETURNS SETOF text LANGUAGE plpgsql AS $f$
BEGIN
	RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q;
END $f$;
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.explain_lines('SELECT k, weighted_quantile(v, w, 0.3), weighted_quantile(v, w1, 0.3), weighted_median(v, w) FROM qs_leaf GROUP BY k') l
	WHERE l ~ 'Partial'), 'the quantiles run in parallel plans with partial aggregation');
CREATE TABLE qs_par AS SELECT k, weighted_quantile(v, w, 0.3) AS r, weighted_quantile(v, w1, 0.3) AS r1,
	weighted_median(v, w) AS m FROM qs_leaf GROUP BY k;
CREATE TABLE qs_par_all AS SELECT weighted_median(v, w) AS m, weighted_quantile(v, w1, 0.9) AS q FROM qs_leaf;
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT is((SELECT count(*) FROM qs_par p JOIN qs_whole w USING (k)
	WHERE float8send(p.r) = float8send(w.r) AND float8send(p.r1) = float8send(w.r1) AND float8send(p.m) = float8send(w.m)),
	7::bigint, 'grouped: a parallel plan gives the serial bits');
SELECT is((SELECT float8send(m) || float8send(q) FROM qs_par_all),
	(SELECT float8send(weighted_median(v, w)) || float8send(weighted_quantile(v, w1, 0.9)) FROM qs_leaf),
	'one group of 20,000 rows: a parallel plan gives the serial bits');
SELECT is((SELECT weighted_quantile(v, w1, 0.9) FROM qs_leaf),
	(SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY v) FROM qs_leaf),
	'equal weights: the bits of percentile_cont');

SELECT * FROM finish();
ROLLBACK;
