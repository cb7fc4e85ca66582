-- dti_warehouse: every validation path of loads and direct INSERTs, the
-- revision history, the status workflow, append-only history, frozen
-- frameworks.
BEGIN;
SELECT plan(59);

SELECT lives_ok('CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE', 'dti_warehouse installs with dti and postgis');

-- A test framework for provinces in 2024, loaded the documented way: one
-- call, then rows without framework_id (COPY works the same).
SELECT ok(dti.create_framework('test-province', 'province', ARRAY[2024], 'Khung thử nghiệm', max_points => 100) > 0,
	'create_framework returns the new id');
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule, value_min, value_max, unit_of_measure) VALUES
	('A', 'Nhóm A', 100, NULL, NULL, NULL, NULL),
	('A.1', 'Tỷ lệ', 25, 'ratio', 0, 1, 'ratio'),
	('A.2', 'Xếp loại', 25, 'grade(A:1, B:0.75, C:0.5)', NULL, NULL, 'grade'),
	('A.3', 'Mục tiêu', 25, 'target(80)', 0, 100, 'percent'),
	('A.4', 'Có hay không', 25, 'bool', 0, 1, 'yes/no');
SELECT is((SELECT count(*) FROM dti.framework_indicator i JOIN dti.framework f ON f.id = i.framework_id
		   WHERE f.code = 'test-province'), 5::bigint, 'indicators take the framework of the transaction by default');
SELECT is((SELECT code FROM dti.framework_in_use WHERE level = 'province' AND year = 2024), 'test-province',
	'the new framework is used for 2024');

-- The tree is checked at commit; here at once.  An indicator's parent must
-- be in its framework, and a removed indicator must not leave children.
SET CONSTRAINTS dti.framework_indicator_parent IMMEDIATE;
SELECT throws_ok($$INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES ('B.1', 'Mồ côi', 10, 'ratio')$$,
	'23503', 'indicator "B.1" of framework test-province version 1 has no parent "B"',
	'an indicator whose parent is not in its framework is refused');
SELECT throws_ok($$DELETE FROM dti.framework_indicator WHERE code = 'A'$$,
	'23503', 'indicator "A" of framework test-province version 1 was removed, but its child "A.1" was not',
	'removing an indicator that still has children is refused');
SET CONSTRAINTS dti.framework_indicator_parent DEFERRED;
SELECT set_config('dti.framework_id', '', true);
SELECT throws_ok($$INSERT INTO dti.framework_indicator (code, name_vi, max_points) VALUES ('Z', 'Không khung', 10)$$,
	'23502', 'indicator "Z" has no framework', 'an indicator row without a framework is refused with a hint');
SELECT set_config('dti.framework_id', (SELECT id FROM dti.framework WHERE code = 'test-province')::text, true);
SELECT throws_ok($$SELECT dti.create_framework('x-provinces', 'provinces', ARRAY[2035], 'x')$$,
	'22023', 'unknown unit level "provinces"', 'create_framework names a wrong level');
SELECT throws_ok($$SELECT dti.create_framework('bad fw', 'province', ARRAY[2035], 'x')$$,
	'22023', 'invalid framework code "bad fw"', 'create_framework names a bad code');

-- A load with one row per reject reason, and good rows.
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, source, note) VALUES
	('01', '2024', 'A.1', '0.75', 'portal', 'good ratio'),
	('01', '2024', 'A.2', ' B ', 'portal', 'good grade'),
	('01', '2024', 'A.3', '64.5', 'portal', 'good target'),
	('79', '2024', 'A.4', '1', 'portal', 'good bool'),
	('99', '2024', 'A.1', '0.5', NULL, 'unknown unit'),
	('01', '2024-13', 'A.1', '0.5', NULL, 'unknown period'),
	('02', '2025', 'A.1', '0.5', NULL, 'unit not valid in 2025'),
	('01', '2024', 'B.1', '0.5', NULL, 'unknown indicator'),
	('01', '2030', 'A.1', '0.5', NULL, 'no framework for 2030'),
	('01', '2024', 'A.1', '0,5', NULL, 'decimal comma'),
	('01', '2024', 'A.2', 'Z', NULL, 'unknown grade'),
	('01', '2024', 'A.3', 'NaN', NULL, 'not a finite number'),
	('01', '2024', 'A.3', '', NULL, 'empty'),
	('01', '2024', 'A.1', '1.5', NULL, 'out of range'),
	('01', '2024', 'A.3', '-1', NULL, 'out of range'),
	('48', '2024', 'A.1', '0.1', NULL, 'duplicate'),
	('48', '2024', 'A.1', '0.2', NULL, 'duplicate');
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, status) VALUES ('48', '2024', 'A.3', '10', 'verified');

SELECT results_eq('SELECT staged, accepted, rejected FROM dti.load_staging(''first load'')',
	$$VALUES (18::bigint, 4::bigint, 14::bigint)$$, 'load_staging returns the counts');
SELECT results_eq(
	'SELECT note, reason_code FROM dti.reject ORDER BY line',
	$$VALUES ('unknown unit', 'unknown_unit'), ('unknown period', 'unknown_period'),
		('unit not valid in 2025', 'unit_not_valid'), ('unknown indicator', 'unknown_indicator'),
		('no framework for 2030', 'unknown_indicator'), ('decimal comma', 'unparseable_value'),
		('unknown grade', 'unparseable_value'), ('not a finite number', 'unparseable_value'),
		('empty', 'unparseable_value'), ('out of range', 'out_of_range'), ('out of range', 'out_of_range'),
		('duplicate', 'duplicate'), ('duplicate', 'duplicate'), (NULL, 'bad_status')$$,
	'every bad row is kept in dti.reject with its reason');
SELECT matches((SELECT reason FROM dti.reject WHERE note = 'unknown grade'), 'unknown grade "Z"',
	'a grade is checked with score() and its message kept');
SELECT is((SELECT reason FROM dti.reject WHERE note = 'decimal comma'),
	'value "0,5" is not a number (rule ratio); write it with a decimal point', 'the reason says what to fix');
SELECT is((SELECT reasons FROM dti.load ORDER BY id DESC LIMIT 1),
	'{"bad_status": 1, "duplicate": 2, "out_of_range": 2, "unknown_unit": 1, "unit_not_valid": 1, "unknown_period": 1, "unknown_indicator": 2, "unparseable_value": 4}'::jsonb,
	'the load records the count per reason');
SELECT is((SELECT count(*) FROM dti.staging), 0::bigint, 'the staged rows are consumed');
SELECT results_eq('SELECT unit_code, period, indicator::text, raw_value, value, status, reason FROM dti.submission ORDER BY id',
	$$VALUES ('01', '2024', 'A.1', '0.75', 0.75::float8, 'submitted', 'first load'),
		('01', '2024', 'A.2', 'B', NULL, 'submitted', 'first load'),
		('01', '2024', 'A.3', '64.5', 64.5, 'submitted', 'first load'),
		('79', '2024', 'A.4', '1', 1, 'submitted', 'first load')$$,
	'good rows become submissions, trimmed, with the parsed number');
SELECT results_eq('SELECT staged, accepted, rejected, reasons FROM dti.load_staging()',
	$$VALUES (0::bigint, 0::bigint, 0::bigint, '{}'::jsonb)$$, 'an empty load returns zeros');

-- Direct INSERTs get the same validation, with SQLSTATEs.
SELECT throws_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('99', '2024', 'A.1', '0.5')$$,
	'23503', 'unknown unit code "99"', 'direct INSERT: unknown unit');
SELECT throws_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('02', '2025', 'A.1', '0.5')$$,
	'23514', 'unit 02 is not valid in period 2025', 'direct INSERT: unit not valid in that year');
SELECT throws_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('01', '2024-13', 'A.1', '0.5')$$,
	'23503', 'unknown period "2024-13"', 'direct INSERT: unknown period');
SELECT throws_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('01', '2024', 'B.1', '0.5')$$,
	'23503', 'invalid submission: indicator "B.1" is not in framework test-province used for province in 2024',
	'direct INSERT: unknown indicator');
SELECT throws_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('48', '2024', 'A.1', 'abc')$$,
	'22P02', 'invalid submission: value "abc" is not a number (rule ratio); write it with a decimal point',
	'direct INSERT: value not parseable for a numeric rule');
SELECT throws_matching($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('48', '2024', 'A.2', '0.75')$$,
	'is not a grade of rule', 'direct INSERT: a number for a grade rule');
SELECT throws_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('48', '2024', 'A.3', '101')$$,
	'22003', NULL, 'direct INSERT: out of the allowed range');
SELECT throws_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('48', '2024', 'A.3', '1'), ('48', '2024', 'A.3', '2')$$,
	'23502', NULL, 'direct INSERT: a second value for the same key in one statement is a revision and needs a reason');
SELECT throws_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value, status) VALUES ('48', '2024', 'A.3', '1', 'verified')$$,
	'23514', NULL, 'direct INSERT: a new row cannot claim to be verified');
SELECT lives_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value, status, source)
	VALUES ('48', '2024', 'A.3', '80', 'draft', 'ETL'), ('48', '2024', 'A.2', 'A', 'draft', 'ETL')$$,
	'direct INSERT of valid rows');

-- Revisions: the previous value, who, when and why are kept.
SELECT throws_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('01', '2024', 'A.1', '0.8')$$,
	'23502', 'a revision of unit 01, period 2024, indicator A.1 needs a reason', 'a revision needs a reason');
SELECT lives_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('01', '2024', 'A.1', '0.8', 'typo in the portal')$$,
	'a revision with a reason');
SELECT results_eq($$SELECT revision, raw_value, previous_raw_value, reason, is_latest, created_by::text = current_user
	FROM dti.submission_history WHERE unit_code = '01' AND indicator = 'A.1' ORDER BY revision$$,
	$$VALUES (1::bigint, '0.75', NULL, 'first load', false, true), (2, '0.8', '0.75', 'typo in the portal', true, true)$$,
	'the history keeps every revision with the value it replaced');
SELECT is((SELECT raw_value FROM dti.current_submission WHERE unit_code = '01' AND indicator = 'A.1'), '0.8',
	'the current value is the newest revision');

-- Nothing is overwritten or deleted.
SELECT throws_ok($$UPDATE dti.submission SET raw_value = '0.9' WHERE unit_code = '01'$$, '55000', NULL, 'UPDATE of history is refused');
SELECT throws_ok($$DELETE FROM dti.submission WHERE unit_code = '01'$$, '55000', NULL, 'DELETE of history is refused');
SELECT throws_ok($$TRUNCATE dti.submission CASCADE$$, '55000', NULL, 'TRUNCATE of history is refused');
SELECT throws_ok($$DELETE FROM dti.reject$$, '55000', NULL, 'rejects are kept');

-- Status workflow.
SELECT throws_ok(format('SELECT dti.set_status(%s, %L)', (SELECT id FROM dti.submission WHERE unit_code = '48' AND indicator = 'A.3'), 'verified'),
	'25000', NULL, 'draft cannot be verified before it is submitted');
SELECT lives_ok(format('SELECT dti.set_status(%s, %L)', (SELECT id FROM dti.submission WHERE unit_code = '48' AND indicator = 'A.3'), 'submitted'),
	'draft -> submitted');
SELECT lives_ok(format('SELECT dti.set_status(%s, %L)', (SELECT id FROM dti.submission WHERE unit_code = '48' AND indicator = 'A.3'), 'verified'),
	'submitted -> verified');
SELECT throws_ok(format('SELECT dti.set_status(%s, %L)', (SELECT max(id) FROM dti.submission WHERE unit_code = '01' AND indicator = 'A.1'), 'rejected'),
	'23514', NULL, 'a rejection needs a reason');
SELECT throws_like(format('SELECT dti.set_status(%s, %L, %L)', (SELECT max(id) FROM dti.submission WHERE unit_code = '01' AND indicator = 'A.1'), 'rejected', '  '),
	'a rejection of submission % needs a reason', 'and says so, also for a blank reason');
SELECT lives_ok(format('SELECT dti.set_status(%s, %L, %L)', (SELECT min(id) FROM dti.submission WHERE unit_code = '01' AND indicator = 'A.1'), 'verified', NULL),
	'the first revision is verified');
SELECT results_eq($$SELECT raw_value, revision FROM dti.current_verified WHERE unit_code = '01' AND indicator = 'A.1'$$,
	$$VALUES ('0.75', 1::bigint)$$, 'current verified value: the newest verified revision, while a correction waits');
SELECT lives_ok(format('SELECT dti.set_status(%s, %L)', (SELECT max(id) FROM dti.submission WHERE unit_code = '01' AND indicator = 'A.1'), 'verified'),
	'the correction is verified');
SELECT results_eq($$SELECT raw_value, revision FROM dti.current_verified WHERE unit_code = '01' AND indicator = 'A.1'$$,
	$$VALUES ('0.8', 2::bigint)$$, 'the verified correction becomes the current verified value');
SELECT lives_ok(format('SELECT dti.set_status(%s, %L, %L)', (SELECT max(id) FROM dti.submission WHERE unit_code = '01' AND indicator = 'A.1'), 'rejected', 'source document missing'),
	'verified -> rejected with a reason');
SELECT results_eq($$SELECT raw_value FROM dti.current_verified WHERE unit_code = '01' AND indicator = 'A.1'$$,
	$$VALUES ('0.75')$$, 'a rejected revision falls back to the earlier verified one');
SELECT results_eq($$SELECT status, status_reason FROM dti.submission_history WHERE unit_code = '01' AND indicator = 'A.1' ORDER BY revision$$,
	$$VALUES ('verified', NULL), ('rejected', 'source document missing')$$, 'the history shows each revision''s status');
SELECT is((SELECT count(*) FROM dti.submission_status), 5::bigint, 'every status change is a row');
SELECT throws_ok($$UPDATE dti.submission_status SET status = 'verified'$$, '55000', NULL, 'status history is never changed');
SELECT results_eq($$SELECT "mã_đơn_vị", "kỳ", "năm", "mã_chỉ_số", "giá_trị_gốc", "giá_trị" FROM dti."giá_trị_đã_xác_minh" ORDER BY 1, 4$$,
	$$VALUES ('01', '2024', 2024, 'A.1', '0.75', 0.75::float8), ('48', '2024', 2024, 'A.3', '80', 80)$$,
	'the published view shows current verified values with standard types');

-- Frozen frameworks.
SELECT ok(dti.freeze_framework((SELECT id FROM dti.framework WHERE code = 'test-province'), 'DTI 2024 published') IS NOT NULL,
	'a framework can be frozen');
SELECT throws_ok($$UPDATE dti.framework_indicator SET max_points = 30 WHERE code = 'A.1'
	AND framework_id = (SELECT id FROM dti.framework WHERE code = 'test-province')$$, '55000', 'framework test-province version 1 is frozen',
	'a frozen framework''s indicators cannot change');
SELECT throws_ok($$INSERT INTO dti.framework_indicator (framework_id, code, name_vi) SELECT id, 'A.5', 'Mới' FROM dti.framework WHERE code = 'test-province'$$,
	'55000', NULL, 'nor gain indicators');
SELECT throws_ok($$UPDATE dti.framework SET title_vi = 'Khác' WHERE code = 'test-province'$$, '55000', NULL, 'nor change itself');
SELECT is(dti.new_framework_version((SELECT id FROM dti.framework WHERE code = 'test-province')),
	(SELECT max(id) + 1 FROM dti.framework), 'changing it means a new version');
SELECT lives_ok($$UPDATE dti.framework_indicator SET max_points = 30 WHERE code = 'A.1'
	AND framework_id = (SELECT id FROM dti.framework WHERE code = 'test-province' AND version = 2)$$, 'the new version can change');
SELECT is((SELECT count(*) FROM dti.framework_indicator i JOIN dti.framework f ON f.id = i.framework_id
	WHERE f.code = 'test-province' AND f.version = 2), 5::bigint, 'the new version copies the indicator tree');

-- dti.refresh() refuses arguments that name nothing.
SELECT throws_ok('CALL dti.refresh(framework_id => -1)', 'P0002', 'no framework with id -1',
	'refresh refuses an unknown framework id');
SELECT throws_ok($$CALL dti.refresh(period => '2024/1')$$, '22023', 'invalid period "2024/1"',
	'refresh refuses a malformed period');

SELECT * FROM finish();
ROLLBACK;
