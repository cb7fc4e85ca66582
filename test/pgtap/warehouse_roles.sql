-- dti_warehouse role matrix: each role logs in (SET ROLE to a login role that
-- is a member of the group) and is shown what it can and cannot do.
BEGIN;
SELECT plan(43);

SELECT lives_ok('CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE', 'dti_warehouse installs');
SELECT has_role('dti_loader'); SELECT has_role('dti_verifier'); SELECT has_role('dti_reader'); SELECT has_role('dti_admin');
SELECT is((SELECT count(*) FROM pg_roles r WHERE r.rolname IN ('dti_loader', 'dti_verifier', 'dti_reader', 'dti_admin')
		   AND shobj_description(r.oid, 'pg_authid') IS NOT NULL), 4::bigint, 'every role has a comment');
SELECT is((SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'dti'::regnamespace AND c.relrowsecurity AND c.relforcerowsecurity),
	6::bigint, 'submission, submission_status, reject, load, grading_score and grading_score_status enforce row-level security (staging has none: COPY refuses it)');

CREATE ROLE dti_t_hanoi LOGIN IN ROLE dti_loader;
CREATE ROLE dti_t_saigon LOGIN IN ROLE dti_loader;
CREATE ROLE dti_t_verifier LOGIN IN ROLE dti_verifier;
CREATE ROLE dti_t_reader LOGIN IN ROLE dti_reader;
CREATE ROLE dti_t_admin LOGIN IN ROLE dti_admin;
CREATE ROLE dti_t_nobody LOGIN;

-- The admin grants units; loaders cannot grant themselves more.
SET ROLE dti_t_admin;
SELECT lives_ok($$SELECT dti.grant_unit('dti_t_hanoi', '01')$$, 'admin grants Hà Nội to its loader');
SELECT lives_ok($$SELECT dti.grant_unit('dti_t_saigon', '79'); SELECT dti.grant_unit('dti_t_saigon', '74'); SELECT dti.revoke_unit('dti_t_saigon', '74')$$,
	'admin grants and revokes');
SELECT throws_ok($$SELECT dti.grant_unit('dti_t_reader', '01')$$, '0LP01', NULL, 'only loader roles get units');
SELECT throws_ok($$SELECT dti.grant_unit('dti_t_hanoi', 'XX')$$, '23503', NULL, 'only existing unit codes');
RESET ROLE;

-- Loader of Hà Nội.
SET ROLE dti_t_hanoi;
SELECT is(dti.my_unit_codes(), ARRAY['01'], 'the loader sees its grants');
SELECT lives_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('01', '2022', 'NT', '0.61')$$,
	'the loader writes its own unit');
SELECT throws_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('79', '2022', 'NT', '0.99')$$,
	'42501', 'unit 79 is not granted to role dti_t_hanoi', 'the loader cannot write another province, and is told which unit and role');
SELECT throws_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value, created_by) VALUES ('01', '2022', 'TC', '0.5', 'someone')$$,
	'42501', NULL, 'the loader cannot say it is someone else');
SELECT throws_ok($$UPDATE dti.submission SET raw_value = '1' WHERE unit_code = '01'$$, '42501', NULL, 'the loader cannot update a value in place');
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value) VALUES ('01', '2022', 'TC', '0.7'), ('79', '2022', 'TC', '0.9');
SELECT results_eq($$SELECT accepted, rejected, reasons FROM dti.load_staging()$$,
	$$VALUES (1::bigint, 1::bigint, '{"not_granted": 1}'::jsonb)$$, 'a load rejects rows of units not granted to the loader');
SELECT is((SELECT reason FROM dti.reject WHERE unit_code = '79'), 'unit 79 is not granted to role dti_t_hanoi', 'with the reason');
SELECT lives_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value, status) VALUES ('01', '2022', 'HT', '0.4', 'draft')$$,
	'the loader writes a draft');
SELECT lives_ok($$SELECT dti.set_status((SELECT id FROM dti.submission WHERE indicator = 'HT'), 'submitted')$$, 'and submits it');
SELECT throws_ok($$SELECT dti.set_status((SELECT id FROM dti.submission WHERE indicator = 'NT'), 'verified')$$,
	'42501', NULL, 'the loader cannot verify');
SELECT throws_ok($$SELECT dti.grant_unit('dti_t_hanoi', '79')$$, '42501', NULL, 'the loader cannot grant itself units');
SELECT throws_ok($$INSERT INTO dti.framework_indicator (framework_id, code, name_vi) VALUES (1, 'X', 'X')$$, '42501', NULL,
	'the loader cannot change frameworks');
RESET ROLE;

SET ROLE dti_t_saigon;
SELECT lives_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('79', '2022', 'NT', '0.71')$$,
	'the Saigon loader writes its unit');
SELECT throws_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('74', '2022', 'NT', '0.5')$$,
	'42501', NULL, 'a revoked unit is no longer writable');
SELECT is((SELECT count(*) FROM dti.submission WHERE unit_code = '01'), 0::bigint, 'a loader does not see other provinces'' submissions');
SELECT is((SELECT count(*) FROM dti.reject), 0::bigint, 'nor other loaders'' rejects');
RESET ROLE;

-- Verifier: reads everything, changes status, never values.
SET ROLE dti_t_verifier;
SELECT is((SELECT count(*) FROM dti.submission), 4::bigint, 'the verifier reads every submission');
SELECT lives_ok($$SELECT dti.set_status((SELECT id FROM dti.submission WHERE unit_code = '79'), 'verified')$$, 'the verifier verifies');
SELECT lives_ok($$SELECT dti.set_status((SELECT id FROM dti.submission WHERE indicator = 'TC'), 'rejected', 'no evidence')$$,
	'the verifier rejects with a reason');
SELECT throws_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('79', '2022', 'NT', '0.9', 'better')$$,
	'42501', NULL, 'the verifier cannot insert a value');
SELECT throws_ok($$UPDATE dti.submission SET raw_value = '0.9'$$, '42501', NULL, 'the verifier cannot change a value');
SELECT throws_ok($$SELECT dti.set_status((SELECT id FROM dti.submission WHERE unit_code = '79'), 'approved', 'looks fine')$$,
	'23514', 'status "approved" is not one of submitted, verified, rejected or withdrawn',
	'a status that does not exist is named as such (not as a row-level security violation)');
SELECT throws_ok($$INSERT INTO dti.submission_status (submission_id, status, changed_by) SELECT id, 'verified', 'dti_t_hanoi' FROM dti.submission WHERE indicator = 'HT'$$,
	'42501', NULL, 'the verifier cannot sign as someone else');
RESET ROLE;

-- Reader: published views only.
SET ROLE dti_t_reader;
SELECT throws_ok($$SELECT * FROM dti.submission$$, '42501', NULL, 'the reader cannot read raw submissions');
SELECT throws_ok($$SELECT * FROM dti.current_verified$$, '42501', NULL, 'nor the internal views');
SELECT throws_ok($$SELECT * FROM dti.staging$$, '42501', NULL, 'nor staging');
SELECT results_eq($$SELECT "mã_đơn_vị", "giá_trị" FROM dti."giá_trị_đã_xác_minh"$$, $$VALUES ('79', 0.71::float8)$$,
	'the reader reads the published verified values of every unit');
SELECT is((SELECT count(*) FROM dti."đơn_vị" WHERE "cấp" = 'province'), 97::bigint, 'and the published units');
RESET ROLE;

-- A role outside the groups sees nothing.
SET ROLE dti_t_nobody;
SELECT throws_ok($$SELECT * FROM dti."giá_trị_đã_xác_minh"$$, '42501', NULL, 'a role outside the groups reads nothing');
SELECT throws_ok($$SELECT * FROM dti.load_staging()$$, '42501', NULL, 'and loads nothing');
RESET ROLE;

-- Admin writes every unit.
SET ROLE dti_t_admin;
SELECT lives_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES ('48', '2022', 'NT', '1')$$,
	'the admin writes any unit');
SELECT is((SELECT count(*) FROM dti.submission), 5::bigint, 'and reads every submission');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
