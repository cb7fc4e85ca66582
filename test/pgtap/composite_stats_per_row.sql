-- composite() given other statistics row by row: the statistics of each
-- period from a correlated subquery, or from an initial subquery of a
-- lateral subquery run once per period, over leaf vectors and over rows.
-- Each period's scorecards must be those of the same period computed
-- alone (the same bits), whatever address the executor gives the next
-- row's statistics (a subquery's result is freed and copied again for
-- each row, often at the same place).  Then the statistics as parameters
-- of prepared statements executed again and again (custom plans, then a
-- generic one), as literals, as PL/pgSQL variables (a query's parameters,
-- and simple expressions evaluated again with new values), leaf_stats_of()
-- the same ways, and statistics that differ in one leaf only.
BEGIN;
SELECT plan(20);

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

-- the statistics of each period, and a fourth period: the first with
-- other values of P2.1 only, so that its statistics differ from the
-- first's in that leaf's accumulator alone
INSERT INTO leafp SELECT 4, u, icode, CASE WHEN icode = 'P2.1' THEN v * v / 10 ELSE v END
FROM leafp WHERE p = 1;
INSERT INTO want
SELECT 4, l.u, scorecard_send(composite((SELECT fw FROM fw),
	(SELECT leaf_stats((SELECT fw FROM fw), icode, v) FROM leafp WHERE p = 4), l.icode, l.v))
FROM leafp l WHERE l.p = 4 GROUP BY l.u;
CREATE TEMP TABLE stp AS
SELECT p, leaf_stats((SELECT fw FROM fw), icode, v) AS st FROM leafp GROUP BY p;
SELECT ok((SELECT a.st::text <> b.st::text
		AND substr(a.st::text, 1, 2 * (1 + 4 + 8 + 2 * 61)) = substr(b.st::text, 1, 2 * (1 + 4 + 8 + 2 * 61))
		FROM stp a, stp b WHERE a.p = 1 AND b.p = 4)
	AND (SELECT count(DISTINCT sc) FROM want WHERE p IN (1, 4)) = 10,
	'periods 1 and 4: statistics that differ in the last leaf only, other scorecards');

SELECT set_eq(
	$$SELECT l.p, l.u, scorecard_send(composite((SELECT fw FROM fw),
		(SELECT leaf_stats((SELECT fw FROM fw), icode, v) FROM leafp l2 WHERE l2.p = l.p), l.icode, l.v))
	  FROM leafp l WHERE l.p IN (1, 4) GROUP BY l.p, l.u$$,
	'SELECT * FROM want WHERE p IN (1, 4)',
	'rows, statistics from a correlated subquery differing in one leaf');
SELECT set_eq(
	$$SELECT x.p, x.u, scorecard_send(composite((SELECT fw FROM fw), s.st, x.icode, x.v))
	  FROM (SELECT l.*, row_number() OVER (ORDER BY l.u, l.icode, l.p) AS k FROM leafp l) x
	  JOIN stp s USING (p) GROUP BY x.p, x.u$$,
	'SELECT * FROM want',
	'rows, statistics joined, periods alternating row by row');

-- leaf_stats_of() per row: each period's statistics of each leaf
CREATE TEMP TABLE want_of AS
SELECT p, icode, indicator_stats(v)::text AS st FROM leafp GROUP BY p, icode;
SELECT set_eq(
	$$SELECT DISTINCT l.p, l.icode, leaf_stats_of((SELECT leaf_stats((SELECT fw FROM fw), icode, v)
		FROM leafp l2 WHERE l2.p = l.p), (SELECT fw FROM fw), l.icode)::text FROM leafp l$$,
	'SELECT * FROM want_of',
	'leaf_stats_of(), each period''s statistics from a correlated subquery');

-- prepared statements: the statistics a parameter, executed 8 times with
-- other statistics each time (5 custom plans, where the parameter is a
-- constant, then the generic plan), and with the generic plan throughout
PREPARE rows_p(leaf_stats, integer) AS
	SELECT $2, l.u, scorecard_send(composite((SELECT fw FROM fw), $1, l.icode, l.v))
	FROM leafp l WHERE l.p = $2 GROUP BY l.u;
PREPARE vec_p(leaf_stats, integer) AS
	SELECT $2, v.u, scorecard_send(composite((SELECT fw FROM fw), $1, v.lv)) FROM vec v WHERE v.p = $2;
PREPARE of_p(leaf_stats, integer) AS
	SELECT DISTINCT $2, l.icode, leaf_stats_of($1, (SELECT fw FROM fw), l.icode)::text FROM leafp l WHERE l.p = $2;
CREATE TEMP TABLE got (mode text, form text, p integer, u integer, sc bytea);
CREATE TEMP TABLE got_of (mode text, p integer, icode indicator_code, st text);
CREATE FUNCTION pg_temp.run_prepared(mode text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	q integer;
	s text;
BEGIN
	EXECUTE format('SET LOCAL plan_cache_mode = %I', mode);
	FOREACH q IN ARRAY '{1,2,4,3,1,4,2,3}'::integer[] LOOP
		SELECT st::text INTO s FROM stp WHERE p = q;
		EXECUTE format('CREATE TEMP TABLE g AS EXECUTE rows_p(%L, %s)', s, q);
		INSERT INTO got SELECT mode, 'rows', * FROM g;
		DROP TABLE g;
		EXECUTE format('CREATE TEMP TABLE g AS EXECUTE vec_p(%L, %s)', s, q);
		INSERT INTO got SELECT mode, 'vector', * FROM g;
		DROP TABLE g;
		EXECUTE format('CREATE TEMP TABLE g AS EXECUTE of_p(%L, %s)', s, q);
		INSERT INTO got_of SELECT mode, * FROM g;
		DROP TABLE g;
	END LOOP;
	RESET plan_cache_mode;
END $$;
SELECT pg_temp.run_prepared('auto');
SELECT pg_temp.run_prepared('force_generic_plan');
SELECT ok((SELECT count(*) FROM got) = 2 * 2 * 8 * 5 AND (SELECT count(*) FROM got_of) = 2 * 8 * 3
		AND (SELECT generic_plans FROM pg_prepared_statements WHERE name = 'rows_p') >= 8 + 3
		AND (SELECT custom_plans FROM pg_prepared_statements WHERE name = 'vec_p') = 5,
	'prepared statements executed 8 times in each mode, the generic plan in 11 of 16');
SELECT bag_eq(
	$$SELECT p, u, sc FROM got WHERE mode = 'auto' AND form = 'rows'$$,
	$$SELECT w.* FROM want w, unnest('{1,2,4,3,1,4,2,3}'::integer[]) q WHERE w.p = q$$,
	'rows, the statistics a parameter of a prepared statement, 5 custom plans then generic');
SELECT bag_eq(
	$$SELECT p, u, sc FROM got WHERE mode = 'force_generic_plan' AND form = 'rows'$$,
	$$SELECT w.* FROM want w, unnest('{1,2,4,3,1,4,2,3}'::integer[]) q WHERE w.p = q$$,
	'rows, the statistics a parameter of a prepared statement, generic plan');
SELECT bag_eq(
	$$SELECT p, u, sc FROM got WHERE form = 'vector'$$,
	$$SELECT w.* FROM want w, unnest('{1,2,4,3,1,4,2,3}'::integer[]) q, (VALUES (1), (2)) m WHERE w.p = q$$,
	'leaf vectors, the statistics a parameter of a prepared statement, custom and generic plans');
SELECT bag_eq(
	'SELECT p, icode, st FROM got_of',
	$$SELECT w.* FROM want_of w, unnest('{1,2,4,3,1,4,2,3}'::integer[]) q, (VALUES (1), (2)) m WHERE w.p = q$$,
	'leaf_stats_of(), the statistics a parameter of a prepared statement, custom and generic plans');

-- the statistics a constant of the statement (a literal)
CREATE FUNCTION pg_temp.run_literal() RETURNS SETOF want LANGUAGE plpgsql AS $$
DECLARE
	q integer;
BEGIN
	FOREACH q IN ARRAY '{1,2,4,3}'::integer[] LOOP
		RETURN QUERY EXECUTE format('SELECT %s, v.u, scorecard_send(composite((SELECT fw FROM fw), %L::leaf_stats, v.lv)) FROM vec v WHERE v.p = %s',
			q, (SELECT st::text FROM stp WHERE p = q), q);
		RETURN QUERY EXECUTE format('SELECT %s, l.u, scorecard_send(composite((SELECT fw FROM fw), %L::leaf_stats, l.icode, l.v)) FROM leafp l WHERE l.p = %s GROUP BY l.u',
			q, (SELECT st::text FROM stp WHERE p = q), q);
	END LOOP;
END $$;
SELECT bag_eq(
	'SELECT * FROM pg_temp.run_literal()',
	'SELECT * FROM want UNION ALL SELECT * FROM want',
	'leaf vectors and rows, the statistics a literal');

-- PL/pgSQL: the statistics a variable given new values, in a query run
-- once per period (a parameter of a cached plan), and in simple
-- expressions (composite() over a vector, composite_step() and
-- leaf_stats_of() called directly) evaluated again and again through the
-- same expression state, the periods taking turns unit by unit
CREATE FUNCTION pg_temp.run_plpgsql() RETURNS TABLE (form text, p integer, u integer, sc bytea)
LANGUAGE plpgsql AS $$
DECLARE
	fwv framework := (SELECT fw FROM fw);
	stv leaf_stats;
	q integer;
	uu integer;
	r record;
	lvv leaf_vector;
	s composite_state;
BEGIN
	FOR k IN 1 .. 3 LOOP
		FOREACH q IN ARRAY '{1,2,4,3}'::integer[] LOOP
			SELECT st INTO stv FROM stp WHERE stp.p = q;
			RETURN QUERY SELECT 'rows', q, l.u, scorecard_send(composite(fwv, stv, l.icode, l.v))
				FROM leafp l WHERE l.p = q GROUP BY l.u;
		END LOOP;
	END LOOP;
	FOR uu IN 1 .. 5 LOOP
		FOREACH q IN ARRAY '{1,2,4,3}'::integer[] LOOP
			SELECT st INTO stv FROM stp WHERE stp.p = q;
			form := 'vector'; p := q; u := uu;
			SELECT lv INTO lvv FROM vec WHERE vec.p = q AND vec.u = uu;
			sc := scorecard_send(composite(fwv, stv, lvv));
			RETURN NEXT;
			s := NULL;
			FOR r IN SELECT icode, v FROM leafp WHERE leafp.p = q AND leafp.u = uu LOOP
				s := composite_step(s, fwv, stv, r.icode, r.v);
			END LOOP;
			form := 'step';
			sc := scorecard_send(composite_final(s));
			RETURN NEXT;
			FOR r IN SELECT DISTINCT icode FROM leafp LOOP
				form := 'of ' || r.icode::text;
				sc := convert_to(leaf_stats_of(stv, fwv, r.icode)::text, 'UTF8');
				RETURN NEXT;
			END LOOP;
		END LOOP;
	END LOOP;
END $$;
CREATE TEMP TABLE got_pl AS SELECT * FROM pg_temp.run_plpgsql();
SELECT bag_eq(
	$$SELECT p, u, sc FROM got_pl WHERE form = 'rows'$$,
	'SELECT * FROM want UNION ALL SELECT * FROM want UNION ALL SELECT * FROM want',
	'PL/pgSQL: rows, the statistics a variable in a query run per period');
SELECT set_eq(
	$$SELECT p, u, sc FROM got_pl WHERE form = 'vector'$$,
	'SELECT * FROM want',
	'PL/pgSQL: leaf vectors, the statistics a variable in a simple expression, periods taking turns');
SELECT set_eq(
	$$SELECT p, u, sc FROM got_pl WHERE form = 'step'$$,
	'SELECT * FROM want',
	'PL/pgSQL: composite_step() called directly, the statistics a variable, periods taking turns');
SELECT set_eq(
	$$SELECT DISTINCT p, substr(form, 4)::indicator_code, convert_from(sc, 'UTF8') FROM got_pl WHERE form LIKE 'of %'$$,
	'SELECT * FROM want_of',
	'PL/pgSQL: leaf_stats_of(), the statistics a variable, periods taking turns');

SELECT * FROM finish();
ROLLBACK;
