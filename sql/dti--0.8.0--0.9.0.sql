-- dti 0.8.0 -> 0.9.0
\echo Use "ALTER EXTENSION dti UPDATE TO '0.9.0'" to load this file. \quit

-- Part issue-22: composite

CREATE FUNCTION framework_rules(fw framework, codes indicator_code[], rules scoring_rule[])
	RETURNS framework
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION framework_rules(framework, indicator_code[], scoring_rule[]) IS
	'The framework with a scoring rule attached to each given leaf (NULL: none; leaves not given have none), for composite(); absolute and statistics-relative rules only';
CREATE FUNCTION framework_rule(fw framework, code indicator_code) RETURNS scoring_rule
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION framework_rule(framework, indicator_code) IS
	'The scoring rule a framework carries for a leaf (NULL when none)';

CREATE TYPE leaf_stats;
CREATE FUNCTION leaf_stats_in(cstring) RETURNS leaf_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION leaf_stats_out(leaf_stats) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION leaf_stats_recv(internal) RETURNS leaf_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION leaf_stats_send(leaf_stats) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE leaf_stats (
	INPUT = leaf_stats_in,
	OUTPUT = leaf_stats_out,
	RECEIVE = leaf_stats_recv,
	SEND = leaf_stats_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);
COMMENT ON TYPE leaf_stats IS
	'The statistics of every leaf of one framework (count, extremes, compensated sum, M2), as leaf_stats() computes them; also the state of that aggregate';
COMMENT ON FUNCTION leaf_stats_in(cstring) IS 'Text input of leaf_stats: its binary form in hexadecimal, checked byte by byte (22P02)';
COMMENT ON FUNCTION leaf_stats_out(leaf_stats) IS 'Text output of leaf_stats: its binary form in hexadecimal';
COMMENT ON FUNCTION leaf_stats_recv(internal) IS 'Binary input of leaf_stats (version byte 1), checked byte by byte (22P03)';
COMMENT ON FUNCTION leaf_stats_send(leaf_stats) IS 'Binary output of leaf_stats: version byte 1, leaf count, framework fingerprint, per leaf the accumulator in network byte order';

CREATE FUNCTION leaf_stats_step(leaf_stats, framework, indicator_code, float8) RETURNS leaf_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION leaf_stats_combine(leaf_stats, leaf_stats) RETURNS leaf_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION leaf_stats_step(leaf_stats, framework, indicator_code, float8) IS 'Transition function of leaf_stats(framework, indicator_code, float8)';
COMMENT ON FUNCTION leaf_stats_combine(leaf_stats, leaf_stats) IS 'Combine function of leaf_stats(framework, indicator_code, float8): Chan''s merge leaf by leaf';
CREATE AGGREGATE leaf_stats(framework, indicator_code, float8) (
	SFUNC = leaf_stats_step,
	STYPE = leaf_stats,
	COMBINEFUNC = leaf_stats_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE leaf_stats(framework, indicator_code, float8) IS
	'The statistics of every leaf of a framework over all rows, in one pass (one indicator_stats() per leaf); NULL values are skipped, a code outside the framework''s leaves is an error';

CREATE FUNCTION leaf_stats_of(stats leaf_stats, fw framework, code indicator_code) RETURNS indicator_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION leaf_stats_of(leaf_stats, framework, indicator_code) IS
	'The indicator_stats of one leaf in a leaf_stats value (NULL when it had no values)';

CREATE TYPE composite_state;
CREATE FUNCTION composite_state_in(cstring) RETURNS composite_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION composite_state_out(composite_state) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION composite_state_recv(internal) RETURNS composite_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION composite_state_send(composite_state) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE composite_state (
	INPUT = composite_state_in,
	OUTPUT = composite_state_out,
	RECEIVE = composite_state_recv,
	SEND = composite_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);
COMMENT ON TYPE composite_state IS
	'The state of composite(): one unit''s scored leaf values and the tree they roll up through';
COMMENT ON FUNCTION composite_state_in(cstring) IS 'Text input of composite_state: its binary form in hexadecimal, checked byte by byte and its tree compiled';
COMMENT ON FUNCTION composite_state_out(composite_state) IS 'Text output of composite_state: its binary form in hexadecimal';
COMMENT ON FUNCTION composite_state_recv(internal) IS 'Binary input of composite_state (version byte 1), checked byte by byte and its tree compiled (22P03)';
COMMENT ON FUNCTION composite_state_send(composite_state) IS 'Binary output of composite_state: version byte 1, counts, presence bytes, values, the tree in the framework''s binary form';

CREATE FUNCTION composite_step(composite_state, framework, leaf_stats, indicator_code, float8) RETURNS composite_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION composite_combine(composite_state, composite_state) RETURNS composite_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION composite_final(composite_state) RETURNS scorecard
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION composite_step(composite_state, framework, leaf_stats, indicator_code, float8) IS 'Transition function of composite(): scores the row''s leaf by its rule';
COMMENT ON FUNCTION composite_combine(composite_state, composite_state) IS 'Combine function of composite(): merges partial states leaf by leaf';
COMMENT ON FUNCTION composite_final(composite_state) IS 'Final function of composite(): evaluates the tree';
CREATE AGGREGATE composite(framework, leaf_stats, indicator_code, float8) (
	SFUNC = composite_step,
	STYPE = composite_state,
	COMBINEFUNC = composite_combine,
	FINALFUNC = composite_final,
	SSPACE = 4096,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE composite(framework, leaf_stats, indicator_code, float8) IS
	'One unit''s raw leaf values scored by the rules its framework carries, under the statistics of leaf_stats() (NULL when no rule needs them), and rolled up into a scorecard, in one pass';
-- End of part issue-22

-- Part issue-23: Citus-splittable states
-- The weighted means, indicator_stats() and rollup() get state types of
-- their own instead of internal (Citus splits only such aggregates into
-- partial states on the workers, combined on the coordinator), and
-- rollup()'s state carries its framework.  The aggregates keep their oids,
-- so that the views built on them (the warehouse's among them) stay as
-- they are: their pg_aggregate rows are pointed at the new support
-- functions, and the aggregates' dependencies with them; the old support
-- functions, now unused, are dropped.  A stored view names the aggregate,
-- never its state type (the planner looks that up), so the views read the
-- new rows at their next plan.

CREATE TYPE weighted_mean_state;
CREATE FUNCTION weighted_mean_state_in(cstring) RETURNS weighted_mean_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION weighted_mean_state_out(weighted_mean_state) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION weighted_mean_state_recv(internal) RETURNS weighted_mean_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION weighted_mean_state_send(weighted_mean_state) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE weighted_mean_state (
	INPUT = weighted_mean_state_in,
	OUTPUT = weighted_mean_state_out,
	RECEIVE = weighted_mean_state_recv,
	SEND = weighted_mean_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = plain
);
COMMENT ON TYPE weighted_mean_state IS
	'State of weighted_mean, weighted_geomean and weighted_harmonic: the compensated sums of w and w*f(x), each with its binary scale';
COMMENT ON FUNCTION weighted_mean_state_in(cstring) IS 'Text input of weighted_mean_state: the binary form in hexadecimal, checked byte by byte';
COMMENT ON FUNCTION weighted_mean_state_out(weighted_mean_state) IS 'Text output of weighted_mean_state: the binary form in hexadecimal';
COMMENT ON FUNCTION weighted_mean_state_recv(internal) IS 'Binary input of weighted_mean_state: version byte 3, then two (sum, compensation, scale) in network byte order; checks the sums are finite, the scales plausible, the weight total not negative';
COMMENT ON FUNCTION weighted_mean_state_send(weighted_mean_state) IS 'Binary output of weighted_mean_state: version byte 3, then two (sum, compensation, scale) in network byte order';

CREATE FUNCTION weighted_mean_step(weighted_mean_state, float8, float8) RETURNS weighted_mean_state
	AS 'MODULE_PATHNAME', 'wmean_state_mean_step' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION weighted_geomean_step(weighted_mean_state, float8, float8) RETURNS weighted_mean_state
	AS 'MODULE_PATHNAME', 'wmean_state_geomean_step' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION weighted_harmonic_step(weighted_mean_state, float8, float8) RETURNS weighted_mean_state
	AS 'MODULE_PATHNAME', 'wmean_state_harmonic_step' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION weighted_mean_combine(weighted_mean_state, weighted_mean_state) RETURNS weighted_mean_state
	AS 'MODULE_PATHNAME', 'wmean_state_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION weighted_mean_final(weighted_mean_state) RETURNS float8
	AS 'MODULE_PATHNAME', 'wmean_state_mean_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION weighted_geomean_final(weighted_mean_state) RETURNS float8
	AS 'MODULE_PATHNAME', 'wmean_state_geomean_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION weighted_harmonic_final(weighted_mean_state) RETURNS float8
	AS 'MODULE_PATHNAME', 'wmean_state_harmonic_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION weighted_mean_step(weighted_mean_state, float8, float8) IS
	'Transition of weighted_mean: adds w and w*x to compensated sums, in place';
COMMENT ON FUNCTION weighted_geomean_step(weighted_mean_state, float8, float8) IS
	'Transition of weighted_geomean: adds w and w*ln(x) to compensated sums, in place; x <= 0 is an error';
COMMENT ON FUNCTION weighted_harmonic_step(weighted_mean_state, float8, float8) IS
	'Transition of weighted_harmonic: adds w and w/x to compensated sums, in place; x <= 0 is an error';
COMMENT ON FUNCTION weighted_mean_combine(weighted_mean_state, weighted_mean_state) IS
	'Combines two partial states of weighted_mean, weighted_geomean or weighted_harmonic';
COMMENT ON FUNCTION weighted_mean_final(weighted_mean_state) IS
	'Final function of weighted_mean: sum(w*x)/sum(w), NULL when all weights are 0';
COMMENT ON FUNCTION weighted_geomean_final(weighted_mean_state) IS
	'Final function of weighted_geomean: exp(sum(w*ln x)/sum(w)), NULL when all weights are 0';
COMMENT ON FUNCTION weighted_harmonic_final(weighted_mean_state) IS
	'Final function of weighted_harmonic: sum(w)/sum(w/x), NULL when all weights are 0';

CREATE TYPE indicator_stats_state;
CREATE FUNCTION indicator_stats_state_in(cstring) RETURNS indicator_stats_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_stats_state_out(indicator_stats_state) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_stats_state_recv(internal) RETURNS indicator_stats_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_stats_state_send(indicator_stats_state) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE indicator_stats_state (
	INPUT = indicator_stats_state_in,
	OUTPUT = indicator_stats_state_out,
	RECEIVE = indicator_stats_state_recv,
	SEND = indicator_stats_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = plain
);
COMMENT ON TYPE indicator_stats_state IS
	'State of indicator_stats(float8): count, scaled compensated sum, extremes, Welford mean and M2';
COMMENT ON FUNCTION indicator_stats_state_in(cstring) IS 'Text input of indicator_stats_state: the binary form in hexadecimal, checked byte by byte';
COMMENT ON FUNCTION indicator_stats_state_out(indicator_stats_state) IS 'Text output of indicator_stats_state: the binary form in hexadecimal';
COMMENT ON FUNCTION indicator_stats_state_recv(internal) IS 'Binary input of indicator_stats_state: version byte 2, n, scale, sum, compensation, min, max, mean, M2 in network byte order, checked for consistency';
COMMENT ON FUNCTION indicator_stats_state_send(indicator_stats_state) IS 'Binary output of indicator_stats_state: version byte 2, n, scale, sum, compensation, min, max, mean, M2 in network byte order';

CREATE FUNCTION indicator_stats_step(indicator_stats_state, float8) RETURNS indicator_stats_state
	AS 'MODULE_PATHNAME', 'istats_state_step' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION indicator_stats_combine(indicator_stats_state, indicator_stats_state) RETURNS indicator_stats_state
	AS 'MODULE_PATHNAME', 'istats_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION indicator_stats_final(indicator_stats_state) RETURNS indicator_stats
	AS 'MODULE_PATHNAME', 'istats_state_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION indicator_stats_step(indicator_stats_state, float8) IS 'Transition function of indicator_stats(float8), in place';
COMMENT ON FUNCTION indicator_stats_combine(indicator_stats_state, indicator_stats_state) IS 'Combine function of indicator_stats(float8) (Chan''s merge)';
COMMENT ON FUNCTION indicator_stats_final(indicator_stats_state) IS 'Final function of indicator_stats(float8)';

CREATE TYPE rollup_state;
CREATE FUNCTION rollup_state_in(cstring) RETURNS rollup_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rollup_state_out(rollup_state) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rollup_state_recv(internal) RETURNS rollup_state
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rollup_state_send(rollup_state) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE rollup_state (
	INPUT = rollup_state_in,
	OUTPUT = rollup_state_out,
	RECEIVE = rollup_state_recv,
	SEND = rollup_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);
COMMENT ON TYPE rollup_state IS
	'State of rollup(): one unit''s leaf values so far, with the framework''s binary form and its hash';
COMMENT ON FUNCTION rollup_state_in(cstring) IS 'Text input of rollup_state: the binary form in hexadecimal, checked byte by byte and the framework compiled';
COMMENT ON FUNCTION rollup_state_out(rollup_state) IS 'Text output of rollup_state: the binary form in hexadecimal';
COMMENT ON FUNCTION rollup_state_recv(internal) IS 'Binary input of rollup_state: version byte 1, the number of leaves, a presence byte per leaf, the present values, then the framework''s binary form; checked byte by byte and the framework compiled';
COMMENT ON FUNCTION rollup_state_send(rollup_state) IS 'Binary output of rollup_state: version byte 1, the number of leaves, a presence byte per leaf, the present values, then the framework''s binary form';

CREATE FUNCTION rollup_step(rollup_state, framework, indicator_code, float8) RETURNS rollup_state
	AS 'MODULE_PATHNAME', 'rollup_state_step' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rollup_combine(rollup_state, rollup_state) RETURNS rollup_state
	AS 'MODULE_PATHNAME', 'rollup_state_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rollup_final(rollup_state) RETURNS scorecard
	AS 'MODULE_PATHNAME', 'rollup_state_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rollup_step(rollup_state, framework, indicator_code, float8) IS 'Transition function of rollup(), in place';
COMMENT ON FUNCTION rollup_combine(rollup_state, rollup_state) IS 'Combine function of rollup(): merges partial states leaf by leaf';
COMMENT ON FUNCTION rollup_final(rollup_state) IS 'Final function of rollup(): evaluates the tree with the state''s framework';

-- Each aggregate to its new state type and support functions (a DO block,
-- not a temporary function: Citus refuses to commit a distributed
-- transaction that touched temporary objects).
DO $$
DECLARE
	r record;
	old pg_aggregate;
BEGIN
	FOR r IN SELECT agg::regprocedure AS agg, transfn::regprocedure AS transfn,
	                combinefn::regprocedure AS combinefn, finalfn::regprocedure AS finalfn,
	                transtype::regtype AS transtype
	           FROM (VALUES
	('weighted_mean(float8, float8)', 'weighted_mean_step(weighted_mean_state, float8, float8)',
	 'weighted_mean_combine(weighted_mean_state, weighted_mean_state)', 'weighted_mean_final(weighted_mean_state)',
	 'weighted_mean_state'),
	('weighted_geomean(float8, float8)', 'weighted_geomean_step(weighted_mean_state, float8, float8)',
	 'weighted_mean_combine(weighted_mean_state, weighted_mean_state)', 'weighted_geomean_final(weighted_mean_state)',
	 'weighted_mean_state'),
	('weighted_harmonic(float8, float8)', 'weighted_harmonic_step(weighted_mean_state, float8, float8)',
	 'weighted_mean_combine(weighted_mean_state, weighted_mean_state)', 'weighted_harmonic_final(weighted_mean_state)',
	 'weighted_mean_state'),
	('indicator_stats(float8)', 'indicator_stats_step(indicator_stats_state, float8)',
	 'indicator_stats_combine(indicator_stats_state, indicator_stats_state)', 'indicator_stats_final(indicator_stats_state)',
	 'indicator_stats_state'),
	('rollup(framework, indicator_code, float8)', 'rollup_step(rollup_state, framework, indicator_code, float8)',
	 'rollup_combine(rollup_state, rollup_state)', 'rollup_final(rollup_state)',
	 'rollup_state')) v(agg, transfn, combinefn, finalfn, transtype)
	LOOP
		SELECT * INTO STRICT old FROM pg_aggregate WHERE aggfnoid = r.agg;
		UPDATE pg_aggregate
		   SET aggtransfn = r.transfn, aggcombinefn = r.combinefn, aggfinalfn = r.finalfn,
		       aggserialfn = 0, aggdeserialfn = 0, aggtranstype = r.transtype, aggtransspace = 0
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
DROP FUNCTION weighted_mean_step(internal, float8, float8);
DROP FUNCTION weighted_geomean_step(internal, float8, float8);
DROP FUNCTION weighted_harmonic_step(internal, float8, float8);
DROP FUNCTION weighted_mean_combine(internal, internal);
DROP FUNCTION weighted_mean_serialize(internal);
DROP FUNCTION weighted_mean_deserialize(bytea, internal);
DROP FUNCTION weighted_mean_final(internal);
DROP FUNCTION weighted_geomean_final(internal);
DROP FUNCTION weighted_harmonic_final(internal);
DROP FUNCTION indicator_stats_step(internal, float8);
DROP FUNCTION indicator_stats_combine(internal, internal);
DROP FUNCTION indicator_stats_serialize(internal);
DROP FUNCTION indicator_stats_deserialize(bytea, internal);
DROP FUNCTION indicator_stats_final(internal);
DROP FUNCTION rollup_step(internal, framework, indicator_code, float8);
DROP FUNCTION rollup_combine(internal, internal);
DROP FUNCTION rollup_serialize(internal);
DROP FUNCTION rollup_deserialize(bytea, internal);
DROP FUNCTION rollup_final(internal);
-- end of part issue-23
