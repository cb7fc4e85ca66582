-- What running dti on several servers needs, proved from the catalog:
-- Citus and parallel query split an aggregate into partial states on the
-- workers and a combine on the coordinator, so every aggregate needs a
-- combine function, serialize/deserialize for an internal state, and must
-- be parallel safe; postgres_fdw and Citus run the same functions in other
-- sessions (with search_path = pg_catalog on postgres_fdw shards), so no
-- function may depend on the session: none volatile or stable, none with
-- SET options, none parallel restricted or unsafe, SQL bodies bound at
-- creation.  Values cross servers in binary (COPY, Citus intermediate
-- results), so every type has send and receive functions.  See
-- docs/scale-out.md.
BEGIN;
SELECT plan(18);

CREATE TEMP VIEW dti_member AS
SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
WHERE e.extname = 'dti' AND d.deptype = 'e';
CREATE TEMP VIEW dti_function AS
SELECT p.* FROM pg_proc p JOIN dti_member m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid;
CREATE TEMP VIEW dti_aggregate AS
SELECT a.* FROM pg_aggregate a JOIN dti_function p ON p.oid = a.aggfnoid;
-- every function an aggregate calls, with the role it plays
CREATE TEMP VIEW dti_aggregate_support AS
SELECT a.aggfnoid, s.role, s.fn
FROM dti_aggregate a,
	 LATERAL (VALUES ('transition', a.aggtransfn), ('combine', a.aggcombinefn), ('serialize', a.aggserialfn),
					 ('deserialize', a.aggdeserialfn), ('final', a.aggfinalfn)) AS s(role, fn)
WHERE s.fn <> 0;

-- Functions allowed to be less than PARALLEL SAFE and IMMUTABLE; each must
-- be explained in docs/scale-out.md.  One: pipeline(), which reads the
-- caller's tables and writes audit rows (a call of its own, never part of
-- a query that goes to the shards).
CREATE TEMP TABLE parallel_exception (fn regprocedure);
INSERT INTO parallel_exception VALUES
	('pipeline(framework,regclass,regclass,indicator_code[],indicator_code[],double precision[],text,regclass,regclass,boolean)');

SELECT cmp_ok((SELECT count(*) FROM dti_aggregate), '>=', 7::bigint,
	'the extension''s aggregates are found');
SELECT is((SELECT array_agg(aggfnoid::regprocedure::text ORDER BY 1) FROM dti_aggregate WHERE aggcombinefn = 0),
	NULL, 'every aggregate has a combine function');
SELECT is((SELECT array_agg(aggfnoid::regprocedure::text ORDER BY 1) FROM dti_aggregate
		   WHERE aggtranstype = 'internal'::regtype AND (aggserialfn = 0 OR aggdeserialfn = 0)),
	NULL, 'every aggregate with an internal state has serialize and deserialize functions');
SELECT is((SELECT array_agg(aggfnoid::regprocedure::text ORDER BY 1) FROM dti_aggregate a
		   JOIN pg_proc p ON p.oid = a.aggfnoid WHERE p.proparallel <> 's'),
	NULL, 'every aggregate is PARALLEL SAFE');
SELECT is((SELECT array_agg(format('%s: %s %s', s.aggfnoid::regprocedure, s.role, s.fn::regprocedure) ORDER BY 1)
		   FROM dti_aggregate_support s JOIN pg_proc p ON p.oid = s.fn
		   WHERE p.proparallel <> 's' OR p.provolatile <> 'i'),
	NULL, 'every support function of every aggregate is PARALLEL SAFE and IMMUTABLE');
-- Citus splits an aggregate into partial states on the workers only when
-- its state type is not a pseudo-type such as internal: no dti aggregate
-- has one (the quantiles' since 0.11.0).
SELECT is((SELECT array_agg(aggfnoid::regprocedure::text ORDER BY aggfnoid::regprocedure::text) FROM dti_aggregate a
		   JOIN pg_type t ON t.oid = a.aggtranstype WHERE t.typtype = 'p'),
	NULL, 'every aggregate has a state type that is not a pseudo-type (Citus splits them)');
SELECT is((SELECT array_agg(aggfnoid::regprocedure::text ORDER BY 1) FROM dti_aggregate WHERE aggkind <> 'n'),
	NULL, 'every aggregate is a normal aggregate (no ordered-set aggregate, which cannot be split)');
SELECT is((SELECT array_agg(aggfnoid::regprocedure::text ORDER BY 1) FROM dti_aggregate WHERE aggfinalmodify = 'w'),
	NULL, 'no final function modifies the state (partial states can be finalised more than once)');

SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM dti_function p
		   WHERE p.proparallel <> 's' AND p.oid NOT IN (SELECT fn FROM parallel_exception)),
	NULL, 'every function is PARALLEL SAFE (documented exception: pipeline())');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM dti_function p
		   JOIN parallel_exception x ON x.fn = p.oid
		   WHERE p.provolatile <> 'v' OR p.proparallel <> 'u' OR p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c')
			  OR p.oid IN (SELECT fn FROM dti_aggregate_support)),
	NULL, 'the exceptions are C functions declared VOLATILE and PARALLEL UNSAFE (never run in a worker), none an aggregate''s support function');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM dti_function p WHERE p.provolatile <> 'i'
			 AND p.oid NOT IN (SELECT fn FROM parallel_exception)),
	NULL, 'every function is IMMUTABLE: nothing reads the snapshot, the clock, settings or tables (documented exception: pipeline())');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM dti_function p WHERE p.proconfig IS NOT NULL),
	NULL, 'no function has SET options (none changes or needs a session setting)');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM dti_function p
		   WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql') AND p.prosqlbody IS NULL),
	NULL, 'every SQL function is bound at creation (BEGIN ATOMIC), not resolved through the caller''s search_path');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM dti_function p
		   WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql')
			 AND pg_get_functiondef(p.oid) ~* '\m(current_setting|set_config|current_user|session_user|current_role|current_schema|pg_backend_pid|now|clock_timestamp|statement_timestamp|transaction_timestamp|random|setseed|nextval|currval|lastval|txid_current|pg_temp|pg_my_temp_schema|pg_advisory_[a-z_]+)\M'),
	NULL, 'no SQL function body reads session state (settings, roles, time, sequences, temporary objects, locks)');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM dti_function p
		   WHERE p.prolang NOT IN (SELECT oid FROM pg_language WHERE lanname IN ('c', 'sql', 'internal'))),
	NULL, 'every function is C or SQL (no procedural language that could keep session variables)');
SELECT is((SELECT array_agg(t.typname::text ORDER BY 1) FROM pg_type t
		   JOIN dti_member m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
		   WHERE t.typtype = 'b' AND (t.typsend = 0 OR t.typreceive = 0)),
	NULL, 'every base type has binary send and receive functions');

-- The SQL functions work in a session whose search_path is pg_catalog only,
-- as on a postgres_fdw shard (the query runs in a function that sets it).
CREATE FUNCTION pg_temp.in_catalog_path(query text) RETURNS SETOF record
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
	RETURN QUERY EXECUTE query;
END $$;
CREATE TEMP TABLE tap_fw AS
SELECT framework_compile(ARRAY['DTI', 'A', 'B']::indicator_code[], ARRAY[NULL, 'DTI', 'DTI']::indicator_code[],
						 ARRAY[NULL, 1, 3]::float8[]) AS fw;
CREATE TEMP TABLE tap_card AS
SELECT 'before' AS k, rollup(fw, 'A', 0) AS sc FROM tap_fw
UNION ALL
SELECT 'after', rollup(fw, c, v) FROM tap_fw, (VALUES ('A'::indicator_code, 0.5::float8), ('B', 1.0)) l(c, v);
SELECT results_eq(
	$$SELECT * FROM pg_temp.in_catalog_path($q$
		SELECT code::text, round(contribution::numeric, 6) FROM public.top_contributors(
			(SELECT sc FROM pg_temp.tap_card WHERE k = 'before'), (SELECT sc FROM pg_temp.tap_card WHERE k = 'after'))
		$q$) AS t(code text, contribution numeric)$$,
	$$VALUES ('B', 0.75::numeric), ('A', 0.125)$$,
	'top_contributors() runs with search_path = pg_catalog');
SELECT results_eq(
	$$SELECT * FROM pg_temp.in_catalog_path($q$
		SELECT dropped::text, units_moved FROM public.drop_one_summary((SELECT fw FROM pg_temp.tap_fw),
			ARRAY['u1', 'u2'], ARRAY(SELECT sc FROM pg_temp.tap_card ORDER BY k), 2)
		$q$) AS t(dropped text, units_moved bigint)$$,
	$$SELECT dropped::text, units_moved FROM drop_one_summary((SELECT fw FROM tap_fw), ARRAY['u1', 'u2'],
		ARRAY(SELECT sc FROM tap_card ORDER BY k), 2)$$,
	'drop_one_summary() runs with search_path = pg_catalog');

SELECT * FROM finish();
ROLLBACK;
