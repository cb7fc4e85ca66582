-- Least privilege: every SECURITY DEFINER function of the two extensions
-- (dti and dti_warehouse), trigger functions included, is listed here with
-- the roles that may execute it; none is executable by PUBLIC unless this
-- list says it is meant for everyone (none is today).  A new SECURITY
-- DEFINER function fails this test until it is added here.
BEGIN;
SELECT plan(5);

SELECT lives_ok('CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE', 'dti_warehouse installs');

CREATE TEMP VIEW secdef AS
SELECT p.oid, p.oid::regprocedure::text AS fn
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname IN ('dti', 'dti_warehouse')
WHERE p.prosecdef;

-- The functions meant for everyone (none): PUBLIC may execute only these.
CREATE TEMP TABLE meant_for_everyone (fn text PRIMARY KEY);

SELECT results_eq(
	$$SELECT fn, coalesce((SELECT string_agg(r, ',' ORDER BY r) FROM unnest(ARRAY['dti_loader', 'dti_verifier', 'dti_reader', 'dti_admin']) r
						   WHERE has_function_privilege(r, s.oid, 'EXECUTE')), '') FROM secdef s ORDER BY fn$$,
	$$VALUES ('dti.analyze_results()', 'dti_admin'),
			 ('dti.apply_status_events()', ''),
			 ('dti.carried_value(integer,text,indicator_code)', 'dti_admin,dti_reader,dti_verifier'),
			 ('dti.neighbours(text,text,text,text)', 'dti_admin,dti_reader'),
			 ('dti.publish(text,text,text)', 'dti_admin'),
			 ('dti.queue_everything()', ''),
			 ('dti.queue_framework_indicator()', ''),
			 ('dti.queue_framework_use()', ''),
			 ('dti.queue_submission()', ''),
			 ('dti.unit_system_grade(integer,text)', 'dti_admin,dti_reader')$$,
	'every SECURITY DEFINER function of dti and dti_warehouse, with the roles that may execute it');

SELECT is((SELECT array_agg(fn ORDER BY fn) FROM secdef s
		   WHERE has_function_privilege('public', s.oid, 'EXECUTE')
			 AND fn NOT IN (SELECT m.fn FROM meant_for_everyone m)),
		  NULL, 'no SECURITY DEFINER function is executable by PUBLIC unless meant for everyone');

SELECT is((SELECT array_agg(fn ORDER BY fn) FROM secdef s
		   JOIN pg_proc p ON p.oid = s.oid
		   WHERE NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)),
		  NULL, 'every SECURITY DEFINER function pins search_path = pg_catalog, pg_temp');

-- A trigger function needs no EXECUTE privilege of the role whose statement
-- fires it: a loader's load still queues its changes.
CREATE ROLE dti_priv_loader IN ROLE dti_loader;
SELECT dti.grant_unit('dti_priv_loader', '01');
SET ROLE dti_priv_loader;
INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value) VALUES ('01', '2023', 'CQS', '0.5');
SELECT load_staging AS load FROM dti.load_staging('privileges') \gset
RESET ROLE;
SELECT is((SELECT count(*) FROM dti.refresh_queue q WHERE q.reason = 'submission' AND q.period = '2023'), 1::bigint,
	'the revoked trigger functions still run for a loader');

SELECT * FROM finish();
ROLLBACK;
