-- dti 0.10.0 -> 0.11.0
\echo Use "ALTER EXTENSION dti UPDATE TO '0.11.0'" to load this file. \quit

-- Part issue-23q: weighted_quantile and weighted_median on a state type of their own
-- The two quantile aggregates keep their state in weighted_quantile_state
-- instead of internal, so that Citus splits them into partial states on
-- the workers (as it splits the means since 0.9.0).  As 0.9.0 did for the
-- means: the aggregates keep their oids, so that views built on them stay
-- as they are; their pg_aggregate rows are pointed at the new support
-- functions, and their dependencies with them; the internal-state support
-- functions, now unused, are dropped.  The planner's estimate of a state's
-- size (aggtransspace) is what it assumed of the internal state, so plans
-- stay as they were.

CREATE TYPE weighted_quantile_state;
CREATE FUNCTION weighted_quantile_state_in(cstring) RETURNS weighted_quantile_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION weighted_quantile_state_out(weighted_quantile_state) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION weighted_quantile_state_recv(internal) RETURNS weighted_quantile_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION weighted_quantile_state_send(weighted_quantile_state) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE weighted_quantile_state (
	INPUT = weighted_quantile_state_in,
	OUTPUT = weighted_quantile_state_out,
	RECEIVE = weighted_quantile_state_recv,
	SEND = weighted_quantile_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);
COMMENT ON TYPE weighted_quantile_state IS
	'State of weighted_quantile and weighted_median: the quantile asked for and every (value, weight) pair with a positive weight';
COMMENT ON FUNCTION weighted_quantile_state_in(cstring) IS 'Text input of weighted_quantile_state: the binary form in hexadecimal, checked byte by byte (22P03)';
COMMENT ON FUNCTION weighted_quantile_state_out(weighted_quantile_state) IS 'Text output of weighted_quantile_state: the binary form in hexadecimal';
COMMENT ON FUNCTION weighted_quantile_state_recv(internal) IS 'Binary input of weighted_quantile_state: version byte 2, flags, q, first weight, n, then n (value, weight) pairs in network byte order; checks every pair (finite, weight > 0, in order when flagged sorted)';
COMMENT ON FUNCTION weighted_quantile_state_send(weighted_quantile_state) IS 'Binary output of weighted_quantile_state: version byte 2, flags, q, first weight, n, then the n (value, weight) pairs sorted, in network byte order';

CREATE FUNCTION weighted_quantile_step(weighted_quantile_state, float8, float8, float8) RETURNS weighted_quantile_state
	AS 'MODULE_PATHNAME', 'wq_state_quantile_step' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION weighted_median_step(weighted_quantile_state, float8, float8) RETURNS weighted_quantile_state
	AS 'MODULE_PATHNAME', 'wq_state_median_step' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION weighted_quantile_combine(weighted_quantile_state, weighted_quantile_state) RETURNS weighted_quantile_state
	AS 'MODULE_PATHNAME', 'wq_state_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION weighted_quantile_final(weighted_quantile_state) RETURNS float8
	AS 'MODULE_PATHNAME', 'wq_state_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION weighted_quantile_step(weighted_quantile_state, float8, float8, float8) IS
	'Transition of weighted_quantile: keeps (x, w) when w > 0, in place; q must be in [0,1] and the same on every row';
COMMENT ON FUNCTION weighted_median_step(weighted_quantile_state, float8, float8) IS
	'Transition of weighted_median: keeps (x, w) when w > 0, in place, for the quantile 0.5';
COMMENT ON FUNCTION weighted_quantile_combine(weighted_quantile_state, weighted_quantile_state) IS
	'Combines two partial states of weighted_quantile or weighted_median (a merge when both are sorted)';
COMMENT ON FUNCTION weighted_quantile_final(weighted_quantile_state) IS
	'Final function of weighted_quantile and weighted_median: sorts the pairs and interpolates between weight centres';

-- Each aggregate to its new state type and support functions (a DO block,
-- not a temporary function: Citus refuses to commit a distributed
-- transaction that touched temporary objects).  The old and the new
-- transition and final functions have the same names, so the old ones are
-- named by their signatures.
DO $$
DECLARE
	r record;
	old pg_aggregate;
BEGIN
	FOR r IN SELECT agg::regprocedure AS agg, transfn::regprocedure AS transfn,
	                combinefn::regprocedure AS combinefn, finalfn::regprocedure AS finalfn,
	                transtype::regtype AS transtype
	           FROM (VALUES
	('weighted_quantile(float8, float8, float8)', 'weighted_quantile_step(weighted_quantile_state, float8, float8, float8)',
	 'weighted_quantile_combine(weighted_quantile_state, weighted_quantile_state)', 'weighted_quantile_final(weighted_quantile_state)',
	 'weighted_quantile_state'),
	('weighted_median(float8, float8)', 'weighted_median_step(weighted_quantile_state, float8, float8)',
	 'weighted_quantile_combine(weighted_quantile_state, weighted_quantile_state)', 'weighted_quantile_final(weighted_quantile_state)',
	 'weighted_quantile_state')) v(agg, transfn, combinefn, finalfn, transtype)
	LOOP
		SELECT * INTO STRICT old FROM pg_aggregate WHERE aggfnoid = r.agg;
		UPDATE pg_aggregate
		   SET aggtransfn = r.transfn, aggcombinefn = r.combinefn, aggfinalfn = r.finalfn,
		       aggserialfn = 0, aggdeserialfn = 0, aggtranstype = r.transtype, aggtransspace = 8192
		 WHERE aggfnoid = r.agg;
		UPDATE pg_depend
		   SET refobjid = CASE refobjid WHEN old.aggtransfn THEN r.transfn::oid
		                                WHEN old.aggcombinefn THEN r.combinefn::oid
		                                ELSE r.finalfn::oid END
		 WHERE classid = 'pg_proc'::regclass AND objid = r.agg AND refclassid = 'pg_proc'::regclass
		   AND refobjid IN (old.aggtransfn, old.aggcombinefn, old.aggfinalfn);
		DELETE FROM pg_depend
		 WHERE classid = 'pg_proc'::regclass AND objid = r.agg AND refclassid = 'pg_proc'::regclass
		   AND refobjid IN (old.aggserialfn, old.aggdeserialfn);
		-- plans that use the aggregate are made again
		UPDATE pg_proc SET proname = proname WHERE oid = r.agg;
	END LOOP;
END $$;

-- the internal-state support functions, used by nothing now
DROP FUNCTION weighted_quantile_step(internal, float8, float8, float8);
DROP FUNCTION weighted_median_step(internal, float8, float8);
DROP FUNCTION weighted_quantile_combine(internal, internal);
DROP FUNCTION weighted_quantile_serialize(internal);
DROP FUNCTION weighted_quantile_deserialize(bytea, internal);
DROP FUNCTION weighted_quantile_final(internal);
-- End of part issue-23q
