-- composite() given other statistics row by row: the statistics of each
-- period from a correlated subquery, or from an initial subquery of a
-- lateral subquery run once per period, over leaf vectors and over rows.
-- Each period's scorecards must be those of the same period computed
-- alone (the same bits), whatever address the executor gives the next
-- row's statistics (a subquery's result is freed and copied again for
-- each row, often at the same place).
BEGIN;
SELECT plan(6);

CREATE TEMP TABLE fw AS
SELECT framework_rules(framework_compile('{R,P1,P2,P1.1,P1.2,P2.1}', '{NULL,R,R,P1,P1,P2}',
		'{NULL,NULL,NULL,NULL,NULL,NULL}', weights => '{NULL,1,1,1,1,1}',
		methods => '{amean,amean,amean,NULL,NULL,NULL}'),
	'{P1.1,P1.2,P2.1}', ARRAY['minmax(0, 100)', 'best', 'zscore(50, 10)']::scoring_rule[]) AS fw;
-- three periods with different values (so different statistics), 5 units
CREATE TEMP TABLE leafp AS
SELECT p, u, c AS icode, ((p * 100 + u * 7 + length(c::text) * 3 + p * u) % 97)::float8 AS v
FROM generate_series(1, 3) p, generate_series(1, 5) u, unnest('{P1.1,P1.2,P2.1}'::indicator_code[]) c;

-- each period alone: its statistics a constant of its own statement
CREATE TEMP TABLE want (p integer, u integer, sc bytea);
DO $$
DECLARE
	q integer;
BEGIN
	FOR q IN 1 .. 3 LOOP
		INSERT INTO want
		SELECT q, l.u, scorecard_send(composite((SELECT fw FROM fw),
			(SELECT leaf_stats((SELECT fw FROM fw), icode, v) FROM leafp WHERE p = q), l.icode, l.v))
		FROM leafp l WHERE l.p = q GROUP BY l.u;
	END LOOP;
END $$;
SELECT ok((SELECT count(*) FROM want) = 15
	AND (SELECT count(DISTINCT st) FROM (SELECT leaf_stats((SELECT fw FROM fw), icode, v)::text AS st
										 FROM leafp GROUP BY p) s) = 3,
	'three periods of five units, each with statistics of its own');

CREATE TEMP VIEW vec AS
SELECT p, u, leaf_vector((SELECT fw FROM fw), icode, v) AS lv FROM leafp GROUP BY p, u;

SELECT set_eq(
	$$SELECT v.p, v.u, scorecard_send(composite((SELECT fw FROM fw),
		(SELECT leaf_stats((SELECT fw FROM fw), v2.lv) FROM vec v2 WHERE v2.p = v.p), v.lv)) FROM vec v$$,
	'SELECT * FROM want',
	'leaf vectors, each period''s statistics from a correlated subquery');
SELECT set_eq(
	$$SELECT v.p, v.u, scorecard_send(composite((SELECT fw FROM fw), s.st, v.lv))
	  FROM vec v JOIN (SELECT p, leaf_stats((SELECT fw FROM fw), lv) AS st FROM vec GROUP BY p) s USING (p)$$,
	'SELECT * FROM want',
	'leaf vectors, each period''s statistics joined');
SELECT set_eq(
	$$SELECT o.p, x.u, x.sc FROM generate_series(1, 3) o(p), LATERAL (
		SELECT v.u, scorecard_send(composite((SELECT fw FROM fw),
			(SELECT leaf_stats((SELECT fw FROM fw), icode, v) FROM leafp l2 WHERE l2.p = o.p), v.lv)) AS sc
		FROM vec v WHERE v.p = o.p) x$$,
	'SELECT * FROM want',
	'leaf vectors, the one-scan form run per period in a lateral subquery');
SELECT set_eq(
	$$SELECT l.p, l.u, scorecard_send(composite((SELECT fw FROM fw),
		(SELECT leaf_stats((SELECT fw FROM fw), icode, v) FROM leafp l2 WHERE l2.p = l.p), l.icode, l.v))
	  FROM leafp l GROUP BY l.p, l.u$$,
	'SELECT * FROM want',
	'rows, each period''s statistics from a correlated subquery in the aggregate''s argument');
SELECT set_eq(
	$$SELECT o.p, x.u, x.sc FROM generate_series(1, 3) o(p), LATERAL (
		SELECT l.u, scorecard_send(composite((SELECT fw FROM fw),
			(SELECT leaf_stats((SELECT fw FROM fw), icode, v) FROM leafp l2 WHERE l2.p = o.p), l.icode, l.v)) AS sc
		FROM leafp l WHERE l.p = o.p GROUP BY l.u) x$$,
	'SELECT * FROM want',
	'rows, the two-pass form run per period in a lateral subquery');

SELECT * FROM finish();
ROLLBACK;
