-- Status changes in bulk and one by one give the same history and the same
-- current values.  Two sets of three provinces get the same values, loads
-- and decisions in the same order: one set through the bulk paths
-- (dti.verify_load, dti.verify_unit, dti.withdraw_load, multi-row INSERTs of
-- status events), the other through dti.set_status(), one event per call.
-- After each step: dti.current_value holds exactly the current verified
-- revision of every key as resolved from the whole history (what
-- dti.rebuild_current_values() computes), both sets have the same current
-- values and the same history, revision by revision and event by event, and
-- each bulk statement queued what its events name.  A statement with one
-- refused event changes nothing.
BEGIN;
SELECT plan(63);

SELECT lives_ok('CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE', 'dti_warehouse installs');
SET LOCAL client_min_messages = warning;

SELECT ok(dti.create_framework('bulk-test', 'province', ARRAY[2030, 2031], 'Khung thử', max_points => 100) > 0,
	'framework created');
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES
	('A', 'Nhóm A', 60, NULL), ('A.1', 'Mục tiêu', 30, 'target(80)'), ('A.2', 'Có hay không', 30, 'bool'),
	('B', 'Tỷ lệ', 40, 'ratio');

-- the two sets: provinces 1-3 (bulk) and 4-6 (one by one) valid in 2031, by code
CREATE TEMP TABLE side (code text PRIMARY KEY, unit_id integer, bulk boolean, n integer);
INSERT INTO side
SELECT u.code, u.id, r <= 3, (r - 1) % 3 + 1
FROM (SELECT u.code, u.id, row_number() OVER (ORDER BY u.code) AS r FROM dti.unit u
	  WHERE u.level = 'province' AND '2031-12-31' BETWEEN u.valid_from AND u.valid_to) u
WHERE r <= 6;

-- stage(rows): the same rows for both sets, as (n, period, indicator, value);
-- load_both(note) loads them as two loads, the bulk set's first
CREATE TEMP TABLE todo (n integer, period text, indicator text, raw text);
CREATE FUNCTION pg_temp.load_both(note text) RETURNS TABLE (bulk_load bigint, single_load bigint)
LANGUAGE plpgsql AS $$
DECLARE
	b bigint;
	s bigint;
BEGIN
	INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, source)
	SELECT x.code, t.period, t.indicator, t.raw, 'test' FROM pg_temp.todo t JOIN pg_temp.side x ON x.n = t.n AND x.bulk
	ORDER BY t.period, t.n, t.indicator;
	SELECT l.load_id INTO b FROM dti.load_staging(note || ' bulk') l;
	INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, source)
	SELECT x.code, t.period, t.indicator, t.raw, 'test' FROM pg_temp.todo t JOIN pg_temp.side x ON x.n = t.n AND NOT x.bulk
	ORDER BY t.period, t.n, t.indicator;
	SELECT l.load_id INTO s FROM dti.load_staging(note || ' single') l;
	DELETE FROM pg_temp.todo;
	RETURN QUERY SELECT b, s;
END $$;

-- one by one: the status events the bulk set got in the statement since
-- event "since", replayed on the other set with dti.set_status() (the
-- revision with the same unit number, period, indicator and revision number)
CREATE FUNCTION pg_temp.replay(since bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	e record;
	n bigint := 0;
BEGIN
	FOR e IN
		SELECT t.status, t.reason, o.id AS other
		FROM dti.submission_status t
		JOIN pg_temp.revision r ON r.id = t.submission_id AND r.bulk
		JOIN pg_temp.revision o ON NOT o.bulk AND o.n = r.n AND o.period = r.period AND o.indicator = r.indicator
			AND o.revision = r.revision
		WHERE t.id > since
		ORDER BY t.id
	LOOP
		PERFORM dti.set_status(e.other, e.status, e.reason);
		n := n + 1;
	END LOOP;
	RETURN n;
END $$;

CREATE TEMP VIEW revision AS
SELECT s.id, x.bulk, x.n, s.period, s.indicator::text AS indicator, s.raw_value,
	   row_number() OVER (PARTITION BY s.unit_id, s.period, s.indicator ORDER BY s.id) AS revision
FROM dti.submission s JOIN pg_temp.side x ON x.unit_id = s.unit_id;

-- the current verified revision of every key, from the whole history
CREATE TEMP VIEW from_history AS
SELECT DISTINCT ON (r.period, r.unit_id, r.indicator) r.period, r.unit_id, r.indicator, r.id AS submission_id, r.raw_value, r.value
FROM dti.verified_revision r
ORDER BY r.period, r.unit_id, r.indicator, r.id DESC;

-- the current values and the history of one set, in terms both sets share
CREATE FUNCTION pg_temp.current_of(b boolean) RETURNS TABLE (n integer, period text, indicator text, revision bigint, raw_value text, value float8)
LANGUAGE sql AS $$
	SELECT r.n, r.period, r.indicator, r.revision, c.raw_value, c.value
	FROM dti.current_value c JOIN pg_temp.revision r ON r.id = c.submission_id
	WHERE r.bulk = b ORDER BY 1, 2, 3
$$;
CREATE FUNCTION pg_temp.history_of(b boolean) RETURNS TABLE (n integer, period text, indicator text, revision bigint, raw_value text, event bigint, status text, reason text)
LANGUAGE sql AS $$
	SELECT r.n, r.period, r.indicator, r.revision, r.raw_value,
		   row_number() OVER (PARTITION BY t.submission_id ORDER BY t.id), t.status, t.reason
	FROM dti.submission_status t JOIN pg_temp.revision r ON r.id = t.submission_id
	WHERE r.bulk = b ORDER BY 1, 2, 3, 4, 6
$$;

CREATE TEMP TABLE mark (step text PRIMARY KEY, event bigint, queued bigint);
CREATE FUNCTION pg_temp.mark(step text) RETURNS void LANGUAGE sql AS $$
	INSERT INTO pg_temp.mark VALUES (step, (SELECT coalesce(max(id), 0) FROM dti.submission_status),
									 (SELECT coalesce(max(id), 0) FROM dti.refresh_queue))
$$;
-- what a bulk statement since the mark queued, and what its events name
CREATE FUNCTION pg_temp.queued_since(step text) RETURNS TABLE (period text, unit_id integer, reason text)
LANGUAGE sql AS $$
	SELECT q.period, q.unit_id, q.reason FROM dti.refresh_queue q
	WHERE q.id > (SELECT m.queued FROM pg_temp.mark m WHERE m.step = queued_since.step) ORDER BY q.id
$$;
CREATE FUNCTION pg_temp.named_since(step text) RETURNS TABLE (period text, unit_id integer, reason text)
LANGUAGE sql AS $$
	SELECT DISTINCT s.period, s.unit_id, 'status' FROM dti.submission_status t JOIN dti.submission s ON s.id = t.submission_id
	WHERE t.id > (SELECT m.event FROM pg_temp.mark m WHERE m.step = named_since.step) ORDER BY 1, 2
$$;

-- ---------------------------------------------------------------------------
-- 1. a load of 9 values per set, verified: verify_load / one by one
INSERT INTO todo SELECT n, '2031', i, v FROM (VALUES (1), (2), (3)) a(n),
	(VALUES ('A.1', '60'), ('A.2', '1'), ('B', '0.5')) b(i, v);
SELECT bulk_load AS l1b, single_load AS l1s FROM pg_temp.load_both('load 1') \gset
SELECT pg_temp.mark('1');
SELECT is(dti.verify_load(:l1b), 9::bigint, '1. verify_load verifies the 9 revisions of the load');
SELECT results_eq($$SELECT * FROM pg_temp.queued_since('1')$$, $$SELECT * FROM pg_temp.named_since('1')$$,
	'1. the bulk statement queued each unit and period its events name, once');
SELECT is(pg_temp.replay((SELECT event FROM mark WHERE step = '1')), 9::bigint, '1. the same 9 decisions, one by one');
SELECT results_eq($$SELECT * FROM dti.current_value ORDER BY 1, 2, 3$$, $$SELECT * FROM from_history ORDER BY 1, 2, 3$$,
	'1. current values = the history resolved');
SELECT results_eq($$SELECT * FROM pg_temp.current_of(true)$$, $$SELECT * FROM pg_temp.current_of(false)$$,
	'1. same current values in bulk and one by one');
SELECT results_eq($$SELECT * FROM pg_temp.history_of(true)$$, $$SELECT * FROM pg_temp.history_of(false)$$,
	'1. same history in bulk and one by one');
SELECT is((SELECT count(*) FROM pg_temp.current_of(true)), 9::bigint, '1. 9 current values per set');

-- 2. corrections: a load revising unit 1 (A.1, B) and unit 2 (A.2);
-- verify_unit verifies unit 1's, then verify_load rejects the load's current
-- revisions that wait or are verified (unit 1's fall back to load 1's)
INSERT INTO todo VALUES (1, '2031', 'A.1', '70'), (1, '2031', 'B', '0.6'), (2, '2031', 'A.2', '0');
SELECT bulk_load AS l2b, single_load AS l2s FROM pg_temp.load_both('load 2') \gset
SELECT pg_temp.mark('2a');
SELECT is(dti.verify_unit((SELECT code FROM side WHERE bulk AND n = 1), '2031'), 2::bigint,
	'2. verify_unit verifies the 2 new revisions of unit 1');
SELECT is(pg_temp.replay((SELECT event FROM mark WHERE step = '2a')), 2::bigint, '2. the same, one by one');
SELECT results_eq($$SELECT raw_value FROM pg_temp.current_of(true) WHERE n = 1 AND indicator IN ('A.1', 'B') ORDER BY indicator$$,
	$$VALUES ('70'), ('0.6')$$, '2. the verified corrections are current');
SELECT pg_temp.mark('2b');
SELECT is(dti.verify_load(:l2b, 'rejected', 'figures not signed'), 3::bigint,
	'2. verify_load rejects the 3 current revisions of load 2 (2 verified, 1 submitted)');
SELECT results_eq($$SELECT * FROM pg_temp.queued_since('2b')$$, $$SELECT * FROM pg_temp.named_since('2b')$$,
	'2. the rejection queued each unit and period its events name, once');
SELECT is(pg_temp.replay((SELECT event FROM mark WHERE step = '2b')), 3::bigint, '2. the same 3 rejections, one by one');
SELECT results_eq($$SELECT raw_value FROM pg_temp.current_of(true) WHERE n = 1 AND indicator IN ('A.1', 'B') ORDER BY indicator$$,
	$$VALUES ('60'), ('0.5')$$, '2. a rejected verified revision gives way to the previous verified one');
SELECT results_eq($$SELECT * FROM dti.current_value ORDER BY 1, 2, 3$$, $$SELECT * FROM from_history ORDER BY 1, 2, 3$$,
	'2. current values = the history resolved');
SELECT results_eq($$SELECT * FROM pg_temp.current_of(true)$$, $$SELECT * FROM pg_temp.current_of(false)$$,
	'2. same current values in bulk and one by one');
SELECT results_eq($$SELECT * FROM pg_temp.history_of(true)$$, $$SELECT * FROM pg_temp.history_of(false)$$,
	'2. same history in bulk and one by one');

-- 3. re-verification in one statement of several events: unit 2's A.2
-- verified, rejected and verified again, unit 1's A.1 verified again and
-- its B twice (rejected -> verified -> rejected); one INSERT
SELECT pg_temp.mark('3');
INSERT INTO dti.submission_status (submission_id, status, reason)
SELECT r.id, e.status, e.reason
FROM revision r
JOIN (VALUES (2, 'A.2', 1, 'verified', NULL), (2, 'A.2', 2, 'rejected', 'second look'), (2, 'A.2', 3, 'verified', NULL),
			 (1, 'A.1', 4, 'verified', NULL), (1, 'B', 5, 'verified', NULL), (1, 'B', 6, 'rejected', 'still not signed')) e(n, indicator, o, status, reason)
	ON e.n = r.n AND e.indicator = r.indicator
WHERE r.bulk AND r.period = '2031' AND r.revision = 2
ORDER BY e.o;
SELECT results_eq($$SELECT * FROM pg_temp.queued_since('3')$$, $$SELECT * FROM pg_temp.named_since('3')$$,
	'3. the statement queued each unit and period its events name, once');
SELECT is(pg_temp.replay((SELECT event FROM mark WHERE step = '3')), 6::bigint, '3. the same 6 events, one by one');
SELECT results_eq($$SELECT n, indicator, raw_value FROM pg_temp.current_of(true) WHERE (n, indicator) IN ((1, 'A.1'), (1, 'B'), (2, 'A.2')) ORDER BY n, indicator$$,
	$$VALUES (1, 'A.1', '70'), (1, 'B', '0.5'), (2, 'A.2', '0')$$,
	'3. the last event of each revision in the statement decides');
SELECT results_eq($$SELECT * FROM dti.current_value ORDER BY 1, 2, 3$$, $$SELECT * FROM from_history ORDER BY 1, 2, 3$$,
	'3. current values = the history resolved');
SELECT results_eq($$SELECT * FROM pg_temp.current_of(true)$$, $$SELECT * FROM pg_temp.current_of(false)$$,
	'3. same current values in bulk and one by one');
SELECT results_eq($$SELECT * FROM pg_temp.history_of(true)$$, $$SELECT * FROM pg_temp.history_of(false)$$,
	'3. same history in bulk and one by one');

-- 3b. two revisions of one key verified in one statement (the newer is
-- current), and a revision of a key without a current value rejected and
-- verified in the same statement
INSERT INTO todo VALUES (1, '2031-Q1', 'A.1', '10'), (2, '2031-Q1', 'A.1', '20');
SELECT bulk_load AS l3b, single_load AS l3s FROM pg_temp.load_both('quarter') \gset
INSERT INTO todo VALUES (1, '2031-Q1', 'A.1', '11');
SELECT bulk_load AS l3cb, single_load AS l3cs FROM pg_temp.load_both('quarter corrected') \gset
SELECT pg_temp.mark('3b');
INSERT INTO dti.submission_status (submission_id, status, reason)
SELECT r.id, e.status, e.reason
FROM revision r
JOIN (VALUES (1, 1::bigint, 1, 'verified', NULL), (1, 2, 2, 'verified', NULL),
			 (2, 1, 3, 'rejected', 'unclear'), (2, 1, 4, 'verified', NULL)) e(n, revision, o, status, reason)
	ON e.n = r.n AND e.revision = r.revision
WHERE r.bulk AND r.period = '2031-Q1'
ORDER BY e.o;
SELECT is(pg_temp.replay((SELECT event FROM mark WHERE step = '3b')), 4::bigint, '3b. the same 4 events, one by one');
SELECT results_eq($$SELECT n, revision, raw_value FROM pg_temp.current_of(true) WHERE period = '2031-Q1'$$,
	$$VALUES (1, 2::bigint, '11'), (2, 1::bigint, '20')$$,
	'3b. the newer of two revisions verified together is current; a revision rejected and verified together is');
SELECT results_eq($$SELECT * FROM dti.current_value ORDER BY 1, 2, 3$$, $$SELECT * FROM from_history ORDER BY 1, 2, 3$$,
	'3b. current values = the history resolved');
SELECT results_eq($$SELECT * FROM pg_temp.current_of(true)$$, $$SELECT * FROM pg_temp.current_of(false)$$,
	'3b. same current values in bulk and one by one');
SELECT results_eq($$SELECT * FROM pg_temp.history_of(true)$$, $$SELECT * FROM pg_temp.history_of(false)$$,
	'3b. same history in bulk and one by one');

-- 4. the period is refreshed and locked; late corrections (unit 3's B and
-- A.1) are verified in bulk, one of them rejected again; a load is withdrawn
CALL dti.refresh();
SELECT is((SELECT outcome FROM dti.refresh_log ORDER BY id DESC LIMIT 1), 'ok', '4. refresh before the lock');
SELECT lives_ok($$SELECT dti.lock_period('2031', 'announced')$$, '4. the period is locked');
INSERT INTO todo VALUES (3, '2031', 'B', '0.95'), (3, '2031', 'A.1', '75');
SELECT bulk_load AS l4b, single_load AS l4s FROM pg_temp.load_both('late correction') \gset
SELECT pg_temp.mark('4a');
SELECT is(dti.verify_load(:l4b), 2::bigint, '4. the late corrections are verified in the locked period');
SELECT is(pg_temp.replay((SELECT event FROM mark WHERE step = '4a')), 2::bigint, '4. the same, one by one');
SELECT pg_temp.mark('4b');
SELECT is(dti.verify_unit((SELECT code FROM side WHERE bulk AND n = 3), '2031', 'rejected', 'typing error'), 3::bigint,
	'4. verify_unit rejects unit 3''s 3 current revisions');
SELECT is(pg_temp.replay((SELECT event FROM mark WHERE step = '4b')), 3::bigint, '4. the same, one by one');
INSERT INTO todo VALUES (2, '2031', 'B', '0.1'), (2, '2031', 'A.1', '5');
SELECT bulk_load AS l5b, single_load AS l5s FROM pg_temp.load_both('mistake') \gset
SELECT pg_temp.mark('4c');
SELECT is(dti.withdraw_load(:l5b, 'wrong file'), 2::bigint, '4. a load is withdrawn in one statement');
SELECT is(pg_temp.replay((SELECT event FROM mark WHERE step = '4c')), 2::bigint, '4. the same, one by one');
SELECT results_eq($$SELECT indicator, revision, raw_value FROM pg_temp.current_of(true) WHERE n = 3$$,
	$$VALUES ('A.1', 1::bigint, '60'), ('B', 1, '0.5')$$,
	'4. unit 3 is back to its first verified revisions (A.2 has none)');
SELECT results_eq($$SELECT * FROM dti.current_value ORDER BY 1, 2, 3$$, $$SELECT * FROM from_history ORDER BY 1, 2, 3$$,
	'4. current values = the history resolved');
SELECT results_eq($$SELECT * FROM pg_temp.current_of(true)$$, $$SELECT * FROM pg_temp.current_of(false)$$,
	'4. same current values in bulk and one by one');
SELECT results_eq($$SELECT * FROM pg_temp.history_of(true)$$, $$SELECT * FROM pg_temp.history_of(false)$$,
	'4. same history in bulk and one by one');
SELECT is((SELECT count(DISTINCT q.unit_id) FROM dti.refresh_queue q WHERE q.period = '2031'), 4::bigint,
	'4. the locked period keeps the changes of units 2 and 3 of both sets queued');

-- 5. an old load verified after many newer revisions (read revision by
-- revision), and a load of 216 values (more than 100 events: the table is
-- locked) verified, then 2 of its units re-verified in one statement
INSERT INTO todo VALUES (1, '2030', 'A.2', '1'), (2, '2030', 'A.2', '0');
SELECT bulk_load AS l6b, single_load AS l6s FROM pg_temp.load_both('old load') \gset
INSERT INTO todo SELECT n, p.label, i, v FROM (VALUES (1), (2), (3)) a(n),
	(VALUES ('A.1', '61'), ('A.2', '1'), ('B', '0.51')) b(i, v), dti.period p WHERE p.kind IN ('month', 'quarter') AND p.year = 2030;
SELECT bulk_load AS l7b, single_load AS l7s FROM pg_temp.load_both('months') \gset
SELECT pg_temp.mark('5a');
SELECT is(dti.verify_load(:l6b), 2::bigint, '5. the old load is verified');
SELECT is(pg_temp.replay((SELECT event FROM mark WHERE step = '5a')), 2::bigint, '5. the same, one by one');
SELECT pg_temp.mark('5b');
SELECT is(dti.verify_load(:l7b), 144::bigint, '5. 144 revisions verified in one call');
SELECT results_eq($$SELECT * FROM pg_temp.queued_since('5b')$$, $$SELECT * FROM pg_temp.named_since('5b')$$,
	'5. the bulk statement queued each unit and period its events name, once');
SELECT is(pg_temp.replay((SELECT event FROM mark WHERE step = '5b')), 144::bigint, '5. the same 144, one by one');
SELECT pg_temp.mark('5c');
SELECT is(dti.verify_load(:l7b, 'rejected', 'months withdrawn by the ministry'), 144::bigint, '5. and rejected in one call');
SELECT is(pg_temp.replay((SELECT event FROM mark WHERE step = '5c')), 144::bigint, '5. the same 144 rejections, one by one');
SELECT is(dti.verify_load(:l7b, 'rejected', 'again'), 0::bigint, '5. rejecting them again acts on none');
SELECT results_eq($$SELECT * FROM dti.current_value ORDER BY 1, 2, 3$$, $$SELECT * FROM from_history ORDER BY 1, 2, 3$$,
	'5. current values = the history resolved');
SELECT results_eq($$SELECT * FROM pg_temp.current_of(true)$$, $$SELECT * FROM pg_temp.current_of(false)$$,
	'5. same current values in bulk and one by one');
SELECT results_eq($$SELECT * FROM pg_temp.history_of(true)$$, $$SELECT * FROM pg_temp.history_of(false)$$,
	'5. same history in bulk and one by one');

-- 6. refused statements change nothing: an unknown revision, and one event
-- against the workflow among good ones
SELECT pg_temp.mark('6');
SELECT throws_ok($$INSERT INTO dti.submission_status (submission_id, status)
	SELECT id, 'verified' FROM pg_temp.revision WHERE bulk AND period = '2030-02'
	UNION ALL SELECT -1, 'verified'$$,
	'23503', 'no submission with id -1', '6. an event of an unknown revision refuses the statement');
SELECT throws_ok($$INSERT INTO dti.submission_status (submission_id, status)
	SELECT r.id, 'verified' FROM pg_temp.revision r WHERE r.bulk AND r.period = '2030-01'
	UNION ALL
	SELECT max(r.id), 'submitted' FROM pg_temp.revision r WHERE r.bulk AND r.period = '2031' AND r.n = 1 AND r.indicator = 'A.1'$$,
	'25000', NULL, '6. an event against the workflow refuses the statement');
SELECT is((SELECT max(id) FROM dti.submission_status), (SELECT event FROM mark WHERE step = '6'), '6. no event was recorded');
SELECT results_eq($$SELECT * FROM dti.current_value ORDER BY 1, 2, 3$$, $$SELECT * FROM from_history ORDER BY 1, 2, 3$$,
	'6. current values = the history resolved');
SELECT is((SELECT count(*) FROM dti.refresh_queue WHERE id > (SELECT queued FROM mark WHERE step = '6')), 0::bigint,
	'6. nothing was queued');

-- 7. as a verifier (a new LOGIN member of dti_verifier, nothing else): a
-- load, unit or period that does not exist is an error, not "0 verified";
-- an existing load with nothing left waiting verifies 0
CREATE ROLE bulk_status_verifier LOGIN IN ROLE dti_verifier;
SELECT code AS unit1 FROM side WHERE bulk AND n = 1 \gset
SET LOCAL ROLE bulk_status_verifier;
SELECT throws_ok(format('SELECT dti.verify_load(%s)', (SELECT max(id) + 1000 FROM dti.load)),
	'P0002', format('load %s does not exist', (SELECT max(id) + 1000 FROM dti.load)), '7. verify_load of a load that does not exist');
SELECT throws_ok($$SELECT dti.verify_unit('zz', '2031')$$,
	'P0002', 'unknown unit code "zz"', '7. verify_unit of a unit code that does not exist');
SELECT throws_ok(format('SELECT dti.verify_unit(%L, %L)', :'unit1', '2031-13'),
	'P0002', 'unknown period "2031-13"', '7. verify_unit of a period that does not exist');
SELECT is(dti.verify_load(:l1b), 0::bigint, '7. verify_load of a load with nothing left waiting verifies 0');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
