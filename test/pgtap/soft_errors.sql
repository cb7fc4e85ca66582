-- Soft input errors (PostgreSQL 16 and later): the text input of every dti
-- type reports bad input to the caller's error context instead of throwing,
-- so pg_input_is_valid() and pg_input_error_info() work, and the error they
-- see is the one a cast raises.  On 15 there is no such interface: the
-- tests are skipped there (make test-versions runs them on 17 and 18).
-- Run in a database where pgtap and dti are installed.
BEGIN;
SELECT current_setting('server_version_num')::int >= 160000 AS soft_errors,
	current_setting('server_version_num')::int >= 170000 AS copy_on_error \gset
SELECT plan(7);

\if :soft_errors

CREATE TEMP TABLE bad_input (type text, input text, sqlstate text);
INSERT INTO bad_input VALUES
	('indicator_code', '', '22P02'),
	('indicator_code', 'CQS..1', '22P02'),
	('indicator_code', 'CQS.1-a', '22P02'),
	('scoring_rule', 'target(', '22P02'),
	('scoring_rule', 'nonsense(1, 2)', '22P02'),
	('indicator_stats', '(n=5,min=1)', '22P02'),
	('indicator_stats', 'n=5', '22P02'),
	('framework', '[{"code": "R"},', '22P02'),
	('framework', '{"code": "R"}', '22P02'),
	('framework', '[1]', '22P02'),
	('framework', '[{"parent": "R"}]', '22P02'),
	('framework', '[{"code": 5}]', '22P02'),
	('framework', '[{"code": "R..1"}]', '22P02'),
	('framework', '[{"code": "R", "method": "amean"}, {"code": "A", "parent": "R.", "weight": 1}]', '22P02'),
	('framework', '[{"code": "R", "method": "amean"}, {"code": "A", "parent": "R", "weight": "1"}]', '22P02'),
	('framework', '[{"code": "R", "method": "amean"}, {"code": "A", "parent": "R", "weight": 1e400}]', '22003'),
	('framework', '[{"code": "A", "parent": "R"}]', '22023'),
	('framework', '[{"code": "R"}, {"code": "A"}]', '22023'),
	('framework', '[{"code": "R", "method": "median"}, {"code": "A", "parent": "R", "weight": 1}]', '22023'),
	('scorecard', 'not json', '22P02'),
	('scorecard', '[]', '22P02'),
	('scorecard', '["R"]', '22P02'),
	('scorecard', '[{"method": "amean"}]', '22P02'),
	('scorecard', '[{"code": "R.."}]', '22P02'),
	('scorecard', '[{"code": "R", "value": "high"}]', '22P02'),
	('scorecard', '[{"code": "R", "parent": 1, "value": "high"}]', '22P02'),
	('scorecard', '[{"code": "R", "value": 1e400}]', '22003'),
	('scorecard', '[{"code": "R", "method": "points", "value": 2}, {"code": "A", "parent": "X"}]', '22P02');

-- the error a cast raises, as pg_input_error_info() shows one
CREATE FUNCTION pg_temp.cast_error(input text, type text, OUT message text, OUT detail text,
								   OUT hint text, OUT sql_error_code text)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('SELECT %L::%s', input, type);
	RAISE EXCEPTION 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
		hint = PG_EXCEPTION_HINT, sql_error_code = RETURNED_SQLSTATE;
	detail := nullif(detail, '');
	hint := nullif(hint, '');
END $$;

SELECT is((SELECT count(*) FROM bad_input WHERE pg_input_is_valid(input, type)), 0::bigint,
	'pg_input_is_valid() is false for every bad input of every dti type, without an error');

SELECT results_eq(
	$$SELECT type, input, sql_error_code FROM bad_input, pg_input_error_info(input, type) ORDER BY 1, 2$$,
	$$SELECT type, input, sqlstate FROM bad_input ORDER BY 1, 2$$,
	'pg_input_error_info() gives the SQLSTATE of each kind of bad input');

SELECT results_eq(
	$$SELECT type, input, e.* FROM bad_input, pg_input_error_info(input, type) e ORDER BY 1, 2$$,
	$$SELECT type, input, e.* FROM bad_input, pg_temp.cast_error(input, type) e ORDER BY 1, 2$$,
	'the soft error (message, detail, hint, SQLSTATE) is the error a cast raises');

SELECT is((SELECT count(*) FROM (VALUES
		('indicator_code', 'CQS.3.2'),
		('scoring_rule', 'piecewise(0:0, 50:0.6, 100:1)'),
		('indicator_stats', '(n=5,min=1,max=9,mean=4.2,sd=2.1)'),
		('framework', '[{"code": "R", "method": "amean"}, {"code": "A", "parent": "R", "weight": 1}]'),
		('scorecard', '[{"code": "R", "method": "amean", "value": 0.5}, {"code": "A", "parent": "R", "value": 0.5}]'))
		AS v(type, input) WHERE pg_input_is_valid(input, type)), 5::bigint,
	'pg_input_is_valid() is true for a good value of each type');

SELECT is((SELECT count(*) FROM generate_series(1, 2000) i
		WHERE pg_input_is_valid(CASE WHEN i % 2 = 0 THEN 'A.' || i ELSE 'A..' || i END, 'indicator_code')),
	1000::bigint, 'a query filters 2000 inputs through pg_input_is_valid() and keeps the good half');

-- outside pg_input_is_valid() and its kind, bad input still raises
SELECT throws_ok($$SELECT 'CQS..1'::indicator_code$$, '22P02',
	'invalid input syntax for type indicator_code: "CQS..1"', 'a cast still raises the error');

\else

SELECT skip('soft input errors need PostgreSQL 16 or later', 6);

\endif

-- COPY ... (ON_ERROR ignore) (PostgreSQL 17 and later) skips the rows whose
-- dti values are bad, through the same soft errors
\if :copy_on_error
CREATE TEMP TABLE copied (c indicator_code, r scoring_rule, s indicator_stats);
SET LOCAL client_min_messages = warning;
-- (the rows come from printf: data after COPY FROM STDIN would be read as
-- commands where the branch is skipped)
COPY copied FROM PROGRAM $$printf '%s\t%s\t%s\n' \
	CQS.1 'target(80)' '(n=5,min=1,max=9,mean=4.2,sd=2.1)' \
	CQS..2 'target(80)' '(n=5,min=1,max=9,mean=4.2,sd=2.1)' \
	CQS.3 'target(' '(n=5,min=1,max=9,mean=4.2,sd=2.1)' \
	CQS.4 ratio '(n=5,min=1)' \
	CQS.5 'linear(0, 10)' '(n=1,min=2,max=2,mean=2,sd=0)'$$ WITH (ON_ERROR ignore);
SELECT results_eq($$SELECT c::text FROM copied ORDER BY c$$, ARRAY['CQS.1', 'CQS.5'],
	'COPY with ON_ERROR ignore keeps the good rows and skips those with a bad dti value');
\else
SELECT skip('COPY ... ON_ERROR needs PostgreSQL 17 or later', 1);
\endif

SELECT * FROM finish();
ROLLBACK;
