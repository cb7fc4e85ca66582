-- Security review of dti_warehouse: each role tries what it must not do -
-- another province's rows, raw tables, internal functions, SQL injection
-- through names passed to functions that build SQL, and shadowing functions
-- of a hostile schema put first on its search_path - and gets a permission
-- error (42501) or a clean rejection.
BEGIN;
SELECT plan(76);

SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE;
RESET client_min_messages;

CREATE ROLE dti_s_hanoi LOGIN IN ROLE dti_loader;
CREATE ROLE dti_s_saigon LOGIN IN ROLE dti_loader;
CREATE ROLE dti_s_verifier LOGIN IN ROLE dti_verifier;
CREATE ROLE dti_s_reader LOGIN IN ROLE dti_reader;
CREATE ROLE dti_s_admin LOGIN IN ROLE dti_admin;
CREATE ROLE dti_s_mallory LOGIN;
SELECT dti.grant_unit('dti_s_hanoi', '01'), dti.grant_unit('dti_s_saigon', '79');
SELECT dti.create_framework('sec', 'province', ARRAY[2030], 'Khung kiểm tra an ninh', max_points => 100);
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule, value_min, value_max) VALUES
	('A', 'Nhóm A', 60, NULL, NULL, NULL), ('A.1', 'Mục tiêu', 30, 'target(80)', 0, 100),
	('A.2', 'Có hay không', 30, 'bool', 0, 1), ('B', 'Tỷ lệ', 40, 'ratio', 0, 1);
INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES
	('01', '2030', 'A.1', '60'), ('01', '2030', 'A.2', '1'), ('01', '2030', 'B', '0.5'),
	('79', '2030', 'A.1', '100'), ('79', '2030', 'A.2', '0'), ('79', '2030', 'B', '0.9');
SELECT count(dti.set_status(id, 'verified')) FROM dti.submission;
-- (the admin refreshes: the refresh's temporary tables belong to the role
-- that first creates them in this one-transaction test)
SET ROLE dti_s_admin;
CALL dti.refresh();
RESET ROLE;
-- Hồ Chí Minh's loader leaves a load with a reject and a staged row
SET ROLE dti_s_saigon;
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value) VALUES ('79', '2030', 'B', '12,5');
SELECT load_id AS saigon_load FROM dti.load_staging('saigon load') \gset
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value) VALUES ('79', '2030', 'B', '0.8');
RESET ROLE;

------------------------------------------------------------------------------
-- A loader: its own province only, no raw tables, no internal functions
------------------------------------------------------------------------------
SET ROLE dti_s_hanoi;
SELECT is((SELECT count(*) FROM dti.submission WHERE unit_code = '79'), 0::bigint, 'loader: another province''s submissions are invisible');
SELECT is((SELECT count(*) FROM dti.submission_status t WHERE t.submission_id IN (4, 5, 6)), 0::bigint, 'loader: nor their status events');
SELECT is((SELECT count(*) FROM dti.current_verified WHERE unit_code = '79'), 0::bigint, 'loader: nor through the history views');
SELECT is((SELECT count(*) FROM dti.my_staging), 0::bigint, 'loader: another loader''s staged rows are invisible');
SELECT throws_ok($$SELECT count(*) FROM dti.staging$$, '42501', NULL, 'loader: the staging table itself is insert-only');
SELECT throws_ok($$INSERT INTO dti.staging (unit_code, staged_by) VALUES ('01', 'dti_s_saigon')$$, '42501', NULL,
	'loader: cannot stage rows in another loader''s name');
SELECT throws_ok(format($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason, load_id) VALUES ('01', '2030', 'B', '0.1', 'x', %s)$$, :saigon_load),
	'42501', NULL, 'loader: cannot tag a submission with another loader''s load');
SELECT throws_ok(format($$SELECT dti.withdraw_load(%s, 'not mine')$$, :saigon_load),
	'42501', NULL, 'loader: cannot withdraw another loader''s load');
SELECT is((SELECT count(*) FROM dti.load), 0::bigint, 'loader: another loader''s loads are invisible');
SELECT throws_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('79', '2030', 'B', '0.1', 'x')$$,
	'42501', NULL, 'loader: cannot write another province');
SELECT throws_ok($$INSERT INTO dti.submission_status (submission_id, status) VALUES (4, 'submitted')$$,
	'42501', NULL, 'loader: cannot change the status of another province''s submission (row-level security refuses it)');
SELECT throws_ok(format($$INSERT INTO dti.reject (load_id, line, reason_code, reason) VALUES (%s, 999, 'duplicate', 'forged')$$, :saigon_load),
	'42501', NULL, 'loader: cannot forge a reject in another loader''s load');
SELECT throws_ok($$UPDATE dti.load SET loaded_by = 'dti_s_saigon'$$, '42501', NULL, 'loader: cannot say another role loaded (column not granted)');
SELECT lives_ok($$UPDATE dti.load SET staged = 0 WHERE note = 'saigon load'$$, 'loader: an UPDATE of another loader''s load ...');
SELECT lives_ok($$DELETE FROM dti.my_staging$$, 'loader: a DELETE of every staged row ...');
RESET ROLE;
SELECT is((SELECT staged FROM dti.load WHERE id = :saigon_load), 1::bigint, '... leaves the other load as it was');
SELECT is((SELECT count(*) FROM dti.staging WHERE staged_by = 'dti_s_saigon'), 1::bigint, '... and the other loader''s staged row');
SET ROLE dti_s_hanoi;
SELECT throws_ok($$UPDATE dti.submission SET raw_value = '1'$$, '42501', NULL, 'loader: no UPDATE on submissions');
SELECT throws_ok($$DELETE FROM dti.submission$$, '42501', NULL, 'loader: no DELETE on submissions');
SELECT throws_ok($$TRUNCATE dti.submission$$, '42501', NULL, 'loader: no TRUNCATE');
SELECT throws_ok($$SELECT * FROM dti.result_rank$$, '42501', NULL, 'loader: no access to the result tables');
SELECT throws_ok($$INSERT INTO dti.refresh_queue (period, reason) VALUES ('2030', 'x')$$, '42501', NULL, 'loader: cannot queue work itself');
SELECT throws_ok($$INSERT INTO dti.unit (code, level, kind, name_vi, full_name_vi) VALUES ('ZZ', 'province', 'province', 'x', 'x')$$,
	'42501', NULL, 'loader: cannot add units');
SELECT throws_ok($$CALL dti.refresh()$$, '42501', NULL, 'loader: cannot run a refresh');
SELECT throws_ok($$SELECT dti.compute_scorecards('2030', 1, NULL, 1)$$, '42501', NULL, 'loader: cannot call the refresh''s internals');
SELECT throws_ok($$SELECT dti.lock_period('2030', 'x')$$, '42501', NULL, 'loader: cannot lock a period');
SELECT throws_ok($$SELECT dti.schedule_refresh()$$, '42501', NULL, 'loader: cannot schedule jobs');
SELECT throws_ok($$SELECT dti.build_score_wide('sec')$$, '42501', NULL, 'loader: cannot rebuild a view');
SELECT throws_ok($$SELECT dti.create_roles()$$, '42501', NULL, 'loader: cannot create roles');
SELECT throws_ok($$SELECT dti.grant_unit('dti_s_hanoi', '79')$$, '42501', NULL, 'loader: cannot grant itself units');
SELECT throws_ok($$SELECT * FROM dti.load_boundaries('x', '{"features": []}', '2022-12-31')$$, '42501', NULL, 'loader: cannot load boundaries');
-- values and names are data, never SQL
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, note) VALUES
	($$01'; DROP TABLE dti.submission; --$$, '2030', 'B', '0.5', NULL),
	('01', '2030', $$B'); DELETE FROM dti.load; --$$, '0.5', NULL),
	('01', '2030', 'B', $$0.5'::float8); TRUNCATE dti.reject; --$$, NULL);
SELECT results_eq($$SELECT accepted, rejected, reasons FROM dti.load_staging($n$'); DROP TABLE dti.submission; --$n$)$$,
	$$VALUES (0::bigint, 3::bigint, '{"unknown_unit": 1, "unknown_indicator": 1, "unparseable_value": 1}'::jsonb)$$,
	'loader: SQL in staged values and in the load note is refused or kept as text');
SELECT is((SELECT reason FROM dti.reject WHERE reason_code = 'unknown_unit'), $$unknown unit code "01'; DROP TABLE dti.submission; --"$$,
	'loader: the reject quotes it as text');
RESET ROLE;

------------------------------------------------------------------------------
-- A verifier: statuses only
------------------------------------------------------------------------------
SET ROLE dti_s_verifier;
SELECT is((SELECT count(*) FROM dti.submission), 6::bigint, 'verifier: reads every submission');
SELECT throws_ok($$INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES ('01', '2030', 'B', '1', 'x')$$,
	'42501', NULL, 'verifier: cannot insert values');
SELECT throws_ok($$UPDATE dti.submission_status SET status = 'verified'$$, '42501', NULL, 'verifier: cannot rewrite status history');
SELECT throws_ok($$SELECT * FROM dti.staging$$, '42501', NULL, 'verifier: no access to staging');
SELECT throws_ok($$SELECT * FROM dti.result_scorecard$$, '42501', NULL, 'verifier: no access to the result tables');
SELECT throws_ok($$CALL dti.refresh()$$, '42501', NULL, 'verifier: cannot run a refresh');
SELECT throws_ok($$SELECT * FROM dti.load_staging()$$, '42501', NULL, 'verifier: cannot load');
RESET ROLE;

------------------------------------------------------------------------------
-- A reader: the published views only
------------------------------------------------------------------------------
SET ROLE dti_s_reader;
SELECT is((SELECT count(*) FROM dti.ranking WHERE period = '2030'), 2::bigint, 'reader: reads the ranking');
SELECT throws_ok($$SELECT * FROM dti.submission$$, '42501', NULL, 'reader: no raw submissions');
SELECT throws_ok($$SELECT * FROM dti.current_verified$$, '42501', NULL, 'reader: no history views');
SELECT throws_ok($$SELECT * FROM dti.reject$$, '42501', NULL, 'reader: no rejects');
SELECT throws_ok($$SELECT * FROM dti.result_rank$$, '42501', NULL, 'reader: no result tables');
SELECT throws_ok($$SELECT * FROM dti.refresh_log$$, '42501', NULL, 'reader: no refresh log table (the view refresh_history instead)');
SELECT throws_ok($$INSERT INTO dti.staging (unit_code) VALUES ('01')$$, '42501', NULL, 'reader: cannot stage');
SELECT throws_ok($$SELECT dti.set_status(1, 'rejected', 'x')$$, '42501', NULL, 'reader: cannot change a status');
SELECT throws_ok($$CALL dti.refresh()$$, '42501', NULL, 'reader: cannot run a refresh');
RESET ROLE;

------------------------------------------------------------------------------
-- An admin: runs the refresh, manages reference data, but owns nothing
------------------------------------------------------------------------------
SET ROLE dti_s_admin;
SELECT lives_ok($$CALL dti.refresh(period => '2030')$$, 'admin: runs a refresh');
SELECT is((SELECT outcome FROM dti.refresh_log ORDER BY id DESC LIMIT 1), 'ok', 'admin: and it succeeds');
SELECT throws_ok($$DROP TABLE dti.submission$$, '42501', NULL, 'admin: cannot drop tables');
SELECT throws_ok($$ALTER TABLE dti.submission DISABLE ROW LEVEL SECURITY$$, '42501', NULL, 'admin: cannot turn row-level security off');
SELECT throws_ok($$ALTER TABLE dti.submission DISABLE TRIGGER submission_append_only$$, '42501', NULL, 'admin: cannot turn the append-only trigger off');
SELECT throws_ok($$UPDATE dti.submission SET raw_value = '1'$$, '42501', NULL, 'admin: cannot change history');
SELECT throws_ok($$TRUNCATE dti.submission_status$$, '42501', NULL, 'admin: cannot truncate history');
SELECT throws_ok($$SELECT dti.build_score_wide('sec')$$, '42501', NULL, 'admin: cannot rebuild an extension''s view');
SELECT throws_ok($$SELECT dti.schedule_refresh()$$, '42501', NULL, 'admin: cannot schedule jobs');
SELECT throws_ok($$SELECT dti.create_roles()$$, '42501', NULL, 'admin: cannot create roles');
-- names passed to functions that build SQL or name objects
SELECT throws_ok($$SELECT * FROM dti.load_boundaries($n$x'; DROP TABLE dti.unit_boundary; --$n$,
	jsonb_build_object('type', 'FeatureCollection', 'features', jsonb_build_array(jsonb_build_object('type', 'Feature',
		'properties', jsonb_build_object('shapeName', 'Côn Đảo'),
		'geometry', ST_AsGeoJSON(ST_MakeEnvelope(106.5, 8.6, 106.7, 8.8, 4326))::jsonb))), '2022-12-31')$$,
	'23514', NULL, 'admin: a layer name with SQL in it is refused (layer names are letters, digits, . _ -)');
SELECT throws_ok($$SELECT * FROM dti.load_boundaries('ok-layer',
	jsonb_build_object('type', 'FeatureCollection', 'features', jsonb_build_array(jsonb_build_object('type', 'Feature',
		'properties', jsonb_build_object('shapeName', 'Côn Đảo'),
		'geometry', ST_AsGeoJSON(ST_MakeEnvelope(106.5, 8.6, 106.7, 8.8, 4326))::jsonb))), '2022-12-31',
	$n$shapeName'); DROP TABLE dti.unit_boundary; --$n$)$$,
	'22023', NULL, 'admin: a property name with SQL in it is only a key that names nothing');
SELECT throws_ok($$SELECT dti.grant_unit($n$dti_s_hanoi"; DROP ROLE dti_s_saigon; --$n$, '01')$$,
	'42704', NULL, 'admin: a role name with SQL in it names no role');
SELECT throws_ok($$INSERT INTO dti.framework (code, version, level, title_vi) VALUES ($n$x'); DROP TABLE dti.submission; --$n$, 1, 'province', 'x')$$,
	'23514', NULL, 'admin: a framework code with SQL in it is refused');
RESET ROLE;
SELECT is(to_regclass('dti.unit_boundary')::text || ' ' || to_regclass('dti.submission')::text || ' ' || (SELECT count(*) FROM pg_roles WHERE rolname = 'dti_s_saigon'),
	'dti.unit_boundary dti.submission 1', 'nothing was dropped');

-- As the superuser: the view builder quotes what it builds.
SELECT throws_ok($$SELECT dti.build_score_wide($n$922-province'; DROP TABLE dti.submission; --$n$)$$,
	'P0002', NULL, 'build_score_wide: a framework code with SQL in it names no framework');
SELECT lives_ok($$SELECT dti.build_score_wide('sec')$$, 'build_score_wide: rebuilds the view for another framework');
SELECT is((SELECT count(*) FROM dti.score_wide WHERE framework = 'sec'), 2::bigint, 'build_score_wide: which reads that framework');
SELECT is((SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
		   WHERE d.objid = 'dti.score_wide'::regclass AND d.deptype = 'e' AND e.extname = 'dti_warehouse'), 1::bigint,
	'build_score_wide: the rebuilt view still belongs to the extension');

------------------------------------------------------------------------------
-- A hostile schema: shadowing functions and a fake pg_cron schema
------------------------------------------------------------------------------
DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO dti_s_mallory', current_database()); END $$;
SET ROLE dti_s_mallory;
CREATE SCHEMA evil;
CREATE TABLE evil.log (who name, what text);
GRANT USAGE ON SCHEMA evil TO PUBLIC;
GRANT INSERT, SELECT ON evil.log TO PUBLIC;
CREATE FUNCTION evil.btrim(t text) RETURNS text LANGUAGE plpgsql AS
	$$ BEGIN INSERT INTO evil.log VALUES (current_user, 'btrim'); RETURN pg_catalog.btrim(t); END $$;
CREATE FUNCTION evil.format(f text, a text) RETURNS text LANGUAGE plpgsql AS
	$$ BEGIN INSERT INTO evil.log VALUES (current_user, 'format'); RETURN pg_catalog.format(f, a); END $$;
CREATE FUNCTION evil.parent(c indicator_code) RETURNS indicator_code LANGUAGE plpgsql AS
	$$ BEGIN INSERT INTO evil.log VALUES (current_user, 'parent'); RETURN public.parent(c); END $$;
CREATE FUNCTION evil.count(t text) RETURNS bigint LANGUAGE plpgsql AS
	$$ BEGIN INSERT INTO evil.log VALUES (current_user, 'count'); RETURN 0; END $$;
CREATE FUNCTION evil.text_eq(a text, b text) RETURNS boolean LANGUAGE plpgsql AS
	$$ BEGIN INSERT INTO evil.log VALUES (current_user, '='); RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.text_eq);
CREATE SCHEMA cron;
GRANT USAGE ON SCHEMA cron TO PUBLIC;
CREATE FUNCTION cron.schedule(a text, b text, c text) RETURNS bigint LANGUAGE plpgsql AS
	$$ BEGIN INSERT INTO evil.log VALUES (current_user, 'cron.schedule'); RETURN 42; END $$;
RESET ROLE;

-- The victims put the hostile schema first, even before pg_catalog.  (The
-- pgTAP functions are not pinned, so they are called with the normal path.)
SET search_path = evil, pg_catalog, public, dti;
SELECT btrim(' x ') AS shadowed;
RESET search_path;
SELECT is((SELECT count(*) FROM evil.log), 1::bigint, 'the shadowing function runs when called unqualified');
DELETE FROM evil.log;
SET ROLE dti_s_hanoi;
SET search_path = evil, pg_catalog, public, dti;
INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason) VALUES (' 01 ', '2030', 'B', '0.7', 'hostile path');
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value) VALUES ('01', '2030', 'A.1', ' 70 ');
SELECT accepted AS hostile_accepted FROM dti.load_staging('hostile path') \gset
RESET search_path;
RESET ROLE;
SET ROLE dti_s_verifier;
SET search_path = evil, pg_catalog, public, dti;
SELECT dti.set_status((SELECT max(id) FROM dti.submission), 'verified') AS hostile_status \gset
RESET search_path;
RESET ROLE;
SET ROLE dti_s_admin;
SET search_path = evil, pg_catalog, public, dti;
CALL dti.refresh();
RESET search_path;
RESET ROLE;
SET search_path = evil, pg_catalog, public, dti;
SELECT dti.build_score_wide('sec') IS NOT NULL AS rebuilt \gset
RESET search_path;
SELECT is((SELECT count(*) FROM evil.log), 0::bigint,
	'with a hostile search_path, a loader inserts and loads, a verifier verifies, an admin refreshes, a superuser rebuilds a view: no function or operator of the hostile schema runs');
SELECT is(:hostile_accepted::bigint, 1::bigint, 'the load was done');
SELECT is((SELECT count(*) FROM dti.submission WHERE reason = 'hostile path' OR load_id IN (SELECT id FROM dti.load WHERE note = 'hostile path')),
	2::bigint, 'both rows are in');
SELECT is((SELECT count(*) FROM dti.refresh_queue), 0::bigint, 'queued and refreshed');
SELECT is((SELECT outcome FROM dti.refresh_log ORDER BY id DESC LIMIT 1), 'ok', 'the refresh succeeded');
SELECT throws_ok($$SELECT dti.schedule_refresh()$$, '0A000', NULL,
	'superuser: a schema named cron that is not pg_cron''s is never called');
SELECT is((SELECT count(*) FROM evil.log), 0::bigint, 'the fake cron.schedule did not run');

SELECT * FROM finish();
ROLLBACK;
