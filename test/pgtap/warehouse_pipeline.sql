-- dti_warehouse pipeline: refresh results equal hand-computed values on a
-- small framework; incremental refresh touches only what changed; relative
-- rules recompute the whole period; locked periods wait; a failing refresh
-- leaves the previous results; BI views expose standard types only.
BEGIN;
SELECT plan(29);

SELECT lives_ok('CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE', 'dti_warehouse installs');
SET LOCAL client_min_messages = warning;

-- A small framework for provinces in 2030 and 2031 (the 34 units):
-- A (60 points) = A.1 target(80) 30 + A.2 bool 30; B ratio 40.
SELECT ok(dti.create_framework('pipe-test', 'province', ARRAY[2030, 2031], 'Khung thử', max_points => 100) > 0,
	'framework created');
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES
	('A', 'Nhóm A', 60, NULL),
	('A.1', 'Mục tiêu', 30, 'target(80)'),
	('A.2', 'Có hay không', 30, 'bool'),
	('B', 'Tỷ lệ', 40, 'ratio');

CREATE TEMP TABLE v (unit text, period text, code text, raw text);
INSERT INTO v VALUES
	('01', '2030', 'A.1', '60'), ('01', '2030', 'A.2', '1'), ('01', '2030', 'B', '0.5'),
	('79', '2030', 'A.1', '100'), ('79', '2030', 'A.2', '0'), ('79', '2030', 'B', '0.9'),
	('48', '2030', 'A.1', '40'), ('48', '2030', 'A.2', '1'), ('48', '2030', 'B', '0.8'),
	('01', '2031', 'A.1', '80'), ('01', '2031', 'A.2', '1'), ('01', '2031', 'B', '0.5'),
	('79', '2031', 'A.1', '100'), ('79', '2031', 'A.2', '1'), ('79', '2031', 'B', '0.9'),
	('48', '2031', 'A.1', '40'), ('48', '2031', 'A.2', '0'), ('48', '2031', 'B', '0.8');
INSERT INTO dti.submission (unit_code, period, indicator, raw_value) SELECT unit, period, code, raw FROM v;
DO $$ BEGIN PERFORM dti.set_status(s.id, 'verified') FROM dti.submission s; END $$;

CALL dti.refresh();
SELECT is((SELECT outcome FROM dti.refresh_log ORDER BY id DESC LIMIT 1), 'ok', 'the first refresh succeeds');
-- computed from leaf vectors by composite(): the same scorecards, bit for
-- bit, as each value scored by score() and the scores rolled up
SELECT is((SELECT count(*) FROM dti.result_scorecard r
		   JOIN (SELECT v.period, v.unit_id, rollup(dti.framework_tree(i.framework_id), v.indicator, score(i.rule, v.value)) AS sc
				 FROM dti.current_value v
				 JOIN dti.framework_indicator i ON i.code = v.indicator
				   AND i.framework_id = (SELECT f.id FROM dti.framework f WHERE f.code = 'pipe-test')
				 WHERE v.period IN ('2030', '2031')
				 GROUP BY v.period, v.unit_id, i.framework_id) x ON x.period = r.period AND x.unit_id = r.unit_id
		   WHERE scorecard_send(r.scorecard) = scorecard_send(x.sc)), 6::bigint,
	'every scorecard equals score() and rollup() over the rows');
-- the ranks keyed node first: one index besides the index's rankings
SELECT is((SELECT array_agg(a.attname::text ORDER BY k.n) FROM pg_index i
		   CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k (attnum, n)
		   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		   WHERE i.indrelid = 'dti.result_rank'::regclass AND i.indisprimary)
		  || ARRAY[(SELECT count(*) FROM pg_index i WHERE i.indrelid = 'dti.result_rank'::regclass)::text],
	'{period,code,unit_id,2}'::text[], 'dti.result_rank: the primary key (period, code, unit), and one other index');
-- by hand: 01: A.1 60/80 -> 22.5, A.2 30, B 20 -> 72.5 / 100; 79: 30 + 0 + 36 = 66;
-- 48: 15 + 30 + 32 = 77.  2031: 01 30+30+20 = 80; 79 30+30+36 = 96; 48 15+0+32 = 47.
SELECT results_eq(
	$$SELECT period, unit_code, rank, value FROM dti.ranking WHERE framework = 'pipe-test' ORDER BY period, rank$$,
	$$VALUES ('2030', '48', 1, 0.7700), ('2030', '01', 2, 0.7250), ('2030', '79', 3, 0.6600),
			 ('2031', '79', 1, 0.9600), ('2031', '01', 2, 0.8000), ('2031', '48', 3, 0.4700)$$,
	'index values and ranks equal the hand computation');
SELECT results_eq(
	$$SELECT code, value, points, rank FROM dti.score_long WHERE unit_code = '01' AND period = '2030' ORDER BY level, code$$,
	$$VALUES ('DTI', 0.7250, 72.50, 2), ('A', 0.8750, 52.50, 1), ('B', 0.5000, 20.00, 3),
			 ('A.1', 0.7500, 22.50, NULL::integer), ('A.2', 1.0000, 30.00, NULL)$$,
	'the long form: values, points and ranks of every node');
SELECT results_eq(
	$$SELECT period, rank_prev, rank_change FROM dti.ranking WHERE unit_code = '48' AND framework = 'pipe-test' ORDER BY period$$,
	$$VALUES ('2030', NULL::integer, NULL::integer), ('2031', 1, -2)$$,
	'rank change since the previous period');
-- (2030: A 01 0.875, 48 0.75, 79 0.5; 2031: A 01 and 79 1, 48 0.25)
SELECT results_eq(
	$$SELECT period, code, rank, rank_prev FROM dti.score_long WHERE unit_code = '48' AND code IN ('DTI', 'A') ORDER BY period, code$$,
	$$VALUES ('2030', 'A', 2, NULL::integer), ('2030', 'DTI', 1, NULL), ('2031', 'A', 3, 2), ('2031', 'DTI', 3, 1)$$,
	'the long form: each node''s rank a period earlier');
SELECT results_eq(
	$$SELECT code, round(contribution, 4) FROM dti.top_contributors WHERE unit_code = '48' AND period = '2031' ORDER BY place$$,
	$$VALUES ('A.2', -0.3000::numeric)$$,
	'top contributors come from explain_change');

-- Incremental: a revision of one unit re-scores that unit and re-ranks its period.
INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('79', '2030', 'B', '1', 'late data');
DO $$ BEGIN PERFORM dti.set_status((SELECT max(id) FROM dti.submission), 'verified'); END $$;
CALL dti.refresh();
SELECT results_eq(
	$$SELECT outcome, periods, whole_periods, scorecards FROM dti.refresh_log ORDER BY id DESC LIMIT 1$$,
	$$VALUES ('ok', ARRAY['2030'], '{}'::text[], 1::bigint)$$,
	'one changed unit: one period, one scorecard, not recomputed whole');
SELECT is((SELECT value FROM dti.ranking WHERE unit_code = '79' AND period = '2030' AND framework = 'pipe-test'),
	0.7000, 'the revised value is published');
SELECT is((SELECT value FROM dti.ranking WHERE unit_code = '48' AND period = '2030' AND framework = 'pipe-test'),
	0.7700, 'the other units keep their results');
SELECT is((SELECT count(*) FROM dti.refresh_queue), 0::bigint, 'the queue is empty after a successful refresh');
CALL dti.refresh();
SELECT results_eq(
	$$SELECT outcome, periods, scorecards FROM dti.refresh_log ORDER BY id DESC LIMIT 1$$,
	$$VALUES ('ok', '{}'::text[], 0::bigint)$$,
	'nothing changed: nothing recomputed');

-- Relative rules: a change to one unit recomputes the whole period.
SELECT ok(dti.create_framework('pipe-rel', 'province', ARRAY[2032], 'Khung tương đối', max_points => 100) > 0,
	'relative framework created');
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES
	('R', 'Tốt nhất', 100, 'best');
INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES
	('01', '2032', 'R', '50'), ('79', '2032', 'R', '100'), ('48', '2032', 'R', '25');
DO $$ BEGIN PERFORM dti.set_status(s.id, 'verified') FROM dti.submission s WHERE s.period = '2032'; END $$;
CALL dti.refresh();
SELECT results_eq(
	$$SELECT unit_code, value FROM dti.ranking WHERE period = '2032' ORDER BY rank$$,
	$$VALUES ('79', 1.0000), ('01', 0.5000), ('48', 0.2500)$$,
	'best: value / the best unit''s value');
INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('48', '2032', 'R', '200', 'new survey');
DO $$ BEGIN PERFORM dti.set_status((SELECT max(id) FROM dti.submission), 'verified'); END $$;
CALL dti.refresh();
SELECT results_eq(
	$$SELECT periods, whole_periods, scorecards FROM dti.refresh_log ORDER BY id DESC LIMIT 1$$,
	$$VALUES (ARRAY['2032'], ARRAY['2032'], 3::bigint)$$,
	'a relative framework: the whole period is recomputed');
SELECT results_eq(
	$$SELECT unit_code, value FROM dti.ranking WHERE period = '2032' ORDER BY rank$$,
	$$VALUES ('48', 1.0000), ('79', 0.5000), ('01', 0.2500)$$,
	'every unit is re-scored against the new best');

-- Locked periods wait; unlocking applies the queued change.
SELECT lives_ok($$SELECT dti.lock_period('2031', 'published on 2032-05-01')$$, 'an admin locks 2031');
INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('48', '2031', 'A.2', '1', 'appeal');
DO $$ BEGIN PERFORM dti.set_status((SELECT max(id) FROM dti.submission), 'verified'); END $$;
CALL dti.refresh();
SELECT results_eq(
	$$SELECT outcome, pending_periods FROM dti.refresh_log ORDER BY id DESC LIMIT 1$$,
	$$VALUES ('ok', ARRAY['2031'])$$,
	'the locked period is reported as pending');
SELECT is((SELECT value FROM dti.ranking WHERE unit_code = '48' AND period = '2031'), 0.4700,
	'the locked period keeps its published results');
SELECT lives_ok($$SELECT dti.unlock_period('2031')$$, 'an admin unlocks 2031');
CALL dti.refresh();
SELECT is((SELECT value FROM dti.ranking WHERE unit_code = '48' AND period = '2031'), 0.7700,
	'after unlocking, the late correction is applied');

-- A failing refresh leaves the previous results: a geometric mean meets a
-- negative value.
SELECT ok(dti.create_framework('pipe-geo', 'province', ARRAY[2033], 'Khung hình học', aggregation => 'geometric_mean') > 0,
	'geometric framework created');
INSERT INTO dti.framework_indicator (code, name_vi, max_points, weight, rule) VALUES
	('G', 'Giá trị', 10, 1, NULL), ('H', 'Giá trị khác', 10, 1, NULL);
INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('01', '2033', 'G', '-1'), ('01', '2033', 'H', '2');
INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('79', '2030', 'B', '0.1', 'error to be undone');
DO $$ BEGIN PERFORM dti.set_status(s.id, 'verified') FROM dti.submission s WHERE s.period = '2033' OR s.reason = 'error to be undone'; END $$;
-- (inside this test's transaction the refresh runs in it: the failure is
-- an error that rolls the whole call back; test/scripts/refresh_failure.sh
-- covers the top-level call, which commits the other periods)
SELECT throws_ok('CALL dti.refresh()', '22023', NULL,
	'a refresh in which a period fails ends in an error with that period''s SQLSTATE');
SELECT is((SELECT value FROM dti.ranking WHERE unit_code = '79' AND period = '2030' AND framework = 'pipe-test'),
	0.7000, 'a failed refresh leaves the previous results');
SELECT ok((SELECT count(*) FROM dti.refresh_queue) > 0, 'and keeps the queued changes');

-- BI views expose standard types only.
SELECT is(
	(SELECT count(*) FROM information_schema.columns c
	 WHERE c.table_schema = 'dti'
	   AND c.table_name IN ('score_long', 'score_wide', 'ranking', 'province_ranking', 'top_contributors',
							'data_quality', 'merged_series', 'target_attainment', 'refresh_history')
	   AND c.data_type NOT IN ('text', 'integer', 'bigint', 'numeric', 'date', 'timestamp with time zone', 'jsonb', 'boolean')),
	0::bigint, 'no custom type leaks into a BI view');

SELECT * FROM finish();
ROLLBACK;
