-- dti_warehouse house rules, checked in the catalog: function properties,
-- pinned search paths, comments, standard types in published views,
-- registration for pg_dump, append-only history.
BEGIN;
SELECT plan(20);

SELECT lives_ok('CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE', 'dti_warehouse installs');

CREATE TEMP VIEW wh_member AS
SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
WHERE e.extname = 'dti_warehouse' AND d.deptype = 'e';
CREATE TEMP VIEW wh_function AS
SELECT p.* FROM pg_proc p JOIN wh_member m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid;
CREATE TEMP VIEW wh_relation AS
SELECT c.* FROM pg_class c JOIN wh_member m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid;

SELECT cmp_ok((SELECT count(*) FROM wh_function), '>=', 30::bigint, 'the extension has its functions');
SELECT is((SELECT count(*) FROM wh_function WHERE prosecdef
		   AND NOT coalesce(proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)), 0::bigint,
	'every SECURITY DEFINER function pins search_path = pg_catalog, pg_temp');
-- (a procedure that commits cannot carry a SET clause: dti.refresh()
-- qualifies every name instead, and is not SECURITY DEFINER)
SELECT is((SELECT count(*) FROM wh_function WHERE prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')
		   AND NOT coalesce(array_to_string(proconfig, ',') LIKE 'search_path=%', false)
		   AND NOT (prokind = 'p' AND NOT prosecdef AND prosrc ~ '\mCOMMIT;')), 0::bigint,
	'every PL/pgSQL function runs with a pinned search_path');
SELECT is((SELECT count(*) FROM wh_function WHERE prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql')
		   AND prosqlbody IS NULL AND proconfig IS NULL), 0::bigint,
	'every SQL function is either bound at creation (BEGIN ATOMIC) or pins its search_path');
SELECT is((SELECT count(*) FROM wh_function WHERE prosrc ~* '\mEXECUTE\M' AND prosrc !~* 'format\('), 0::bigint,
	'dynamic SQL is built with format()');
SELECT is((SELECT count(*) FROM wh_function WHERE prokind = 'f' AND prorettype <> 'trigger'::regtype
		   AND provolatile = 'i' AND prosrc ~* '\m(INSERT|UPDATE|DELETE)\M'), 0::bigint,
	'no immutable function writes');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM wh_function p
		   WHERE obj_description(p.oid, 'pg_proc') IS NULL), NULL, 'every function has a comment');
SELECT is((SELECT array_agg(c.oid::regclass::text ORDER BY 1) FROM wh_relation c
		   WHERE c.relkind IN ('r', 'v', 'S') AND obj_description(c.oid, 'pg_class') IS NULL), NULL,
	'every table, view and sequence has a comment');
SELECT is((SELECT array_agg(format('%s.%s', c.oid::regclass, a.attname) ORDER BY 1)
		   FROM wh_relation c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		   WHERE c.relkind = 'v' AND c.relname !~ '^[a-z_]+$' AND col_description(c.oid, a.attnum) IS NULL), NULL,
	'every column of a published view has a comment');
-- docs/bi.md: every view a reader reads, and every column of it, carries a
-- comment (BI tools show them); also after dti.build_score_wide() rebuilt
-- dti.score_wide for another framework (up to 0.8.0 dti.province,
-- dti.publication_status and the indicator columns of dti.score_wide had none)
SELECT is((SELECT array_agg(format('%s.%s', c.oid::regclass, a.attname) ORDER BY 1)
		   FROM wh_relation c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		   WHERE c.relkind = 'v' AND has_table_privilege('dti_reader', c.oid, 'SELECT')
			 AND (col_description(c.oid, a.attnum) IS NULL OR obj_description(c.oid, 'pg_class') IS NULL)), NULL,
	'every column of every view a reader may read has a comment');
SELECT lives_ok($$SELECT dti.build_score_wide('1726-province')$$, 'dti.score_wide rebuilt for 1726-province');
SELECT is((SELECT array_agg(format('%s %s', a.attname, col_description(a.attrelid, a.attnum)) ORDER BY a.attnum)
		   FROM pg_attribute a WHERE a.attrelid = 'dti.score_wide'::regclass AND a.attnum > 7),
	ARRAY['cqs Main indicator CQS (Chính quyền số) of framework 1726-province: its value rounded to 4 decimals',
		  'kts Main indicator KTS (Kinh tế số) of framework 1726-province: its value rounded to 4 decimals',
		  'xhs Main indicator XHS (Xã hội số) of framework 1726-province: its value rounded to 4 decimals'],
	'dti.build_score_wide() comments the columns of the view it builds');
SELECT lives_ok($$SELECT dti.build_score_wide()$$, 'and again for 922-province');
SELECT is((SELECT array_agg(format('%s.%s %s', c.oid::regclass, a.attname, format_type(a.atttypid, a.atttypmod)) ORDER BY 1)
		   FROM wh_relation c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		   JOIN pg_type t ON t.oid = a.atttypid
		   WHERE c.relkind = 'v' AND c.relname !~ '^[a-z_]+$'
			 AND (t.typnamespace <> 'pg_catalog'::regnamespace OR t.typname IN ('name', 'oid', 'regclass'))), NULL,
	'published views use standard types only');
SELECT is((SELECT count(*) FROM wh_relation c WHERE c.relkind = 'v' AND c.relname !~ '^[a-z_]+$'), 5::bigint,
	'five published views with Vietnamese names');
SELECT is((SELECT array_agg(c.oid::regclass::text ORDER BY 1) FROM wh_relation c
		   WHERE c.relkind IN ('r', 'S') AND c.oid <> ALL ((SELECT extconfig FROM pg_extension WHERE extname = 'dti_warehouse')::oid[])),
	NULL, 'every table and sequence is registered with pg_extension_config_dump');
SELECT is((SELECT array_agg(t ORDER BY t) FROM unnest(ARRAY['dti.submission', 'dti.submission_status', 'dti.reject',
		   'dti.loader_grant', 'dti.framework_use', 'dti.frozen_framework']) AS t
		   WHERE NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = t::regclass
							 AND g.tgfoid = 'dti.forbid_change()'::regprocedure)), NULL,
	'history tables refuse UPDATE and DELETE');
SELECT is((SELECT count(*) FROM pg_roles WHERE rolname IN ('dti_loader', 'dti_verifier', 'dti_reader', 'dti_admin')), 4::bigint,
	'the four roles exist');
SELECT is((SELECT array_agg(rolname ORDER BY rolname) FROM pg_roles WHERE rolname LIKE 'dti%' AND rolcanlogin
		   AND rolname IN ('dti_loader', 'dti_verifier', 'dti_reader', 'dti_admin')), NULL, 'the group roles cannot log in');

SELECT * FROM finish();
ROLLBACK;
