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

-- Part issue-24: method
-- Denomination, imputation, skewness and kurtosis, outlier treatment,
-- structure checks, Sobol sensitivity analysis and rank_intervals() with
-- levels (docs/method.md): sql/src/60_method.sql as it is in 0.9.0.

-- Skewness and kurtosis: parallel aggregates over float8 with the state
-- {n, mean, m2, m3, m4} (float8[5]); G1 and G2 of Joanes and Gill (1998).
CREATE FUNCTION moments_accum(float8[], float8) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION moments_combine(float8[], float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION skewness_final(float8[]) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kurtosis_final(float8[]) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION moments_accum(float8[], float8) IS
	'Transition function of skewness and kurtosis: adds one finite value to the state {n, mean, m2, m3, m4}';
COMMENT ON FUNCTION moments_combine(float8[], float8[]) IS
	'Combine function of skewness and kurtosis: merges two states {n, mean, m2, m3, m4} (pairwise formulas)';
COMMENT ON FUNCTION skewness_final(float8[]) IS
	'Final function of skewness: G1 = g1 sqrt(n(n-1))/(n-2), NULL below 3 values or for zero variance';
COMMENT ON FUNCTION kurtosis_final(float8[]) IS
	'Final function of kurtosis: excess G2 = ((n+1) g2 + 6)(n-1)/((n-2)(n-3)), NULL below 4 values or for zero variance';

CREATE AGGREGATE skewness(float8) (
	SFUNC = moments_accum, STYPE = float8[], INITCOND = '{0,0,0,0,0}',
	COMBINEFUNC = moments_combine, FINALFUNC = skewness_final, PARALLEL = SAFE);
CREATE AGGREGATE kurtosis(float8) (
	SFUNC = moments_accum, STYPE = float8[], INITCOND = '{0,0,0,0,0}',
	COMBINEFUNC = moments_combine, FINALFUNC = kurtosis_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE skewness(float8) IS
	'Adjusted sample skewness G1 (Excel SKEW, SciPy skew(bias=False), COINr skew()); NULL values skipped; NULL below 3 values or for zero variance';
COMMENT ON AGGREGATE kurtosis(float8) IS
	'Sample excess kurtosis G2 (Excel KURT, SciPy kurtosis(bias=False), COINr kurt()); NULL values skipped; NULL below 4 values or for zero variance';

-- Outlier treatment of one indicator (COINr's default rule).
CREATE FUNCTION winsorise(vals float8[], winmax integer DEFAULT 5,
	skew_threshold float8 DEFAULT 2, kurt_threshold float8 DEFAULT 3.5,
	fallback text DEFAULT 'log_ct')
	RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION winsorise(float8[], integer, float8, float8, text) IS
	'Outlier treatment of one indicator''s values: while |skewness| > skew_threshold and kurtosis > kurt_threshold, up to winmax steps, the cells at the end the skewness points to take the next value inward; if still outside, fallback log_ct gives ln(x - min + 0.01 (max - min)) of the original values; NULLs kept in place';

CREATE FUNCTION winsorise_report(vals float8[], winmax integer DEFAULT 5,
	skew_threshold float8 DEFAULT 2, kurt_threshold float8 DEFAULT 3.5,
	fallback text DEFAULT 'log_ct',
	OUT n integer, OUT skewness_before float8, OUT kurtosis_before float8,
	OUT treatment text, OUT steps integer, OUT cells integer,
	OUT skewness_after float8, OUT kurtosis_after float8)
	RETURNS record
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION winsorise_report(float8[], integer, float8, float8, text) IS
	'What winsorise() finds and does on the same arguments: values present, skewness and kurtosis before and after, treatment (none, winsorised, log_ct or unresolved), winsorisation steps and cells changed';

-- The SQL functions below have bodies bound at creation (BEGIN ATOMIC, as in
-- 50_ranking.sql) and check their arguments with method_require().
CREATE FUNCTION method_require(arr anyarray, ok boolean, sqlstate text, message text, hint text DEFAULT NULL)
	RETURNS anyarray
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION method_require(anyarray, boolean, text, text, text) IS
	'Returns arr when ok is true; otherwise (false or NULL) raises an error with the given SQLSTATE (22023 if not five digits or capitals), message and hint: how the method''s SQL functions check their arguments';

CREATE FUNCTION treat_outliers(units text[], vals float8[], winmax integer DEFAULT 5,
	skew_threshold float8 DEFAULT 2, kurt_threshold float8 DEFAULT 3.5,
	fallback text DEFAULT 'log_ct')
	RETURNS TABLE(unit text, value float8, original float8, treatment text)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT u.unit, u.v, u.orig,
		   CASE WHEN u.orig IS DISTINCT FROM u.v THEN
				(winsorise_report(vals, winmax, skew_threshold, kurt_threshold, fallback)).treatment END
	FROM unnest(method_require(units, cardinality(units) = cardinality(vals), '22023',
					'treat_outliers: ' || cardinality(units) || ' units but ' || cardinality(vals) || ' values',
					'Pass one value per unit, in the same order.'),
				vals,
				winsorise(vals, winmax, skew_threshold, kurt_threshold, fallback))
		 WITH ORDINALITY AS u(unit, orig, v, i)
	ORDER BY u.i;
END;
COMMENT ON FUNCTION treat_outliers(text[], float8[], integer, float8, float8, text) IS
	'One row per unit: the value after winsorise(), the original value, and the treatment (winsorised, log_ct or unresolved) of the cells it changed, NULL for cells left as they were';

-- Imputation of missing values of one indicator in one period.
CREATE FUNCTION impute(units text[], vals float8[], method text,
	groups text[] DEFAULT NULL, previous float8[] DEFAULT NULL)
	RETURNS TABLE(unit text, value float8, imputed boolean, how text, donors integer, donor_group text)
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH c AS (
		SELECT u.i, u.unit, u.v, u.g, u.p
		FROM unnest(
			method_require(method_require(method_require(method_require(method_require(
				units,
				units IS NOT NULL AND vals IS NOT NULL AND method IS NOT NULL, '22004',
				'impute: units, values and method must not be NULL'),
				method IN ('none', 'mean', 'median', 'group_mean', 'carry_forward'), '22023',
				'impute: unknown method "' || method || '"',
				'Use none, mean, median, group_mean (with groups) or carry_forward (with previous).'),
				cardinality(units) = cardinality(vals), '22023',
				'impute: ' || cardinality(units) || ' units but ' || cardinality(vals) || ' values',
				'Pass one value per unit, in the same order.'),
				method <> 'group_mean' OR cardinality(groups) IS NOT DISTINCT FROM cardinality(vals), '22023',
				'impute: group_mean needs one group per unit',
				'Pass groups (region, income group...) in the order of units.'),
				method <> 'carry_forward' OR cardinality(previous) IS NOT DISTINCT FROM cardinality(vals), '22023',
				'impute: carry_forward needs one previous-period value per unit',
				'Pass previous (NULL where the unit has none) in the order of units.'),
			vals, groups, previous) WITH ORDINALITY AS u(unit, v, g, p, i)
		WHERE u.i <= cardinality(units)
	), whole AS (
		SELECT avg(c.v) AS mean,
			   percentile_cont(0.5) WITHIN GROUP (ORDER BY c.v) AS median,
			   count(c.v)::integer AS n
		FROM c
	), per_group AS (
		SELECT c.g, avg(c.v) AS mean, count(c.v)::integer AS n
		FROM c WHERE c.g IS NOT NULL GROUP BY c.g
	), filled AS (
		SELECT c.i, c.unit, c.v,
			   CASE WHEN c.v IS NOT NULL OR method = 'none' THEN NULL
					WHEN method = 'mean' THEN w.mean
					WHEN method = 'median' THEN w.median
					WHEN method = 'group_mean' THEN pg.mean
					ELSE c.p END AS fill,
			   CASE method WHEN 'mean' THEN w.n WHEN 'median' THEN w.n
					WHEN 'group_mean' THEN pg.n ELSE 1 END AS n,
			   CASE WHEN method = 'group_mean' THEN c.g END AS g
		FROM c CROSS JOIN whole w
		LEFT JOIN per_group pg ON pg.g = c.g
	)
	SELECT f.unit, coalesce(f.v, f.fill), f.fill IS NOT NULL,
		   CASE WHEN f.fill IS NOT NULL THEN method END,
		   CASE WHEN f.fill IS NOT NULL THEN f.n END,
		   CASE WHEN f.fill IS NOT NULL THEN f.g END
	FROM filled f
	ORDER BY f.i;
END;
COMMENT ON FUNCTION impute(text[], float8[], text, text[], float8[]) IS
	'Fills the NULL values of one indicator in one period, one row per unit: method none, mean or median of the values present, group_mean (mean of the unit''s group, from groups), or carry_forward (the unit''s value of previous); imputed cells say how, from how many donor values and, for group_mean, which group';

-- Denomination: an indicator divided by a denominator indicator of the same
-- unit and period, declared beside the framework as three parallel arrays.
CREATE FUNCTION denominate(codes indicator_code[], vals float8[],
	declared indicator_code[], denominators indicator_code[], scales float8[] DEFAULT NULL)
	RETURNS TABLE(code indicator_code, value float8, raw float8,
				  denominator indicator_code, denominator_value float8, note text)
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH d AS (
		SELECT u.dc, u.dn, coalesce(u.ds, 1.0) AS ds
		FROM unnest(
			method_require(method_require(method_require(method_require(method_require(
				declared,
				codes IS NOT NULL AND vals IS NOT NULL AND declared IS NOT NULL AND denominators IS NOT NULL,
				'22004', 'denominate: codes, values, declared and denominators must not be NULL'),
				cardinality(declared) = cardinality(denominators)
					AND (scales IS NULL OR cardinality(scales) = cardinality(declared)), '22023',
				'denominate: the declaration needs one denominator (and scale) per declared indicator',
				'declared, denominators and scales are parallel arrays.'),
				(SELECT count(DISTINCT x) = count(x) AND count(x) = cardinality(declared) FROM unnest(declared) x),
				'22023', 'denominate: indicator "' || coalesce((SELECT x::text FROM unnest(declared) x
					GROUP BY x HAVING count(*) > 1 LIMIT 1), 'NULL') || '" is declared twice',
				'Declare one denominator per indicator.'),
				NOT EXISTS (SELECT FROM unnest(declared, denominators) z(x, y)
							WHERE y IS NULL OR y = x OR y = ANY (declared)), '22023',
				'denominate: the denominator of "' || coalesce((SELECT x::text FROM unnest(declared, denominators) z(x, y)
					WHERE y IS NULL OR y = x OR y = ANY (declared) LIMIT 1), '') || '" is missing, itself, or itself denominated',
				'A denominator is a raw indicator (GDP, population, area).'),
				NOT EXISTS (SELECT FROM unnest(scales) z(x) WHERE x IS NULL OR NOT x > 0 OR x = 'Infinity'),
				'22023', 'denominate: scales must be positive and finite',
				'A scale multiplies the ratio (1000 for per thousand).'),
			denominators, scales) AS u(dc, dn, ds)
		WHERE u.dc IS NOT NULL
	), v AS (
		SELECT u.c, u.x, u.i
		FROM unnest(
			method_require(method_require(method_require(
				codes,
				codes IS NOT NULL AND vals IS NOT NULL AND declared IS NOT NULL AND denominators IS NOT NULL,
				'22004', 'denominate: codes, values, declared and denominators must not be NULL'),
				cardinality(codes) = cardinality(vals), '22023',
				'denominate: ' || cardinality(codes) || ' codes but ' || cardinality(vals) || ' values',
				'Pass one value per code, in the same order.'),
				(SELECT count(DISTINCT x) = count(x) FROM unnest(codes) x), '22023',
				'denominate: indicator "' || coalesce((SELECT x::text FROM unnest(codes) x
					GROUP BY x HAVING count(*) > 1 LIMIT 1), '') || '" appears twice among the values',
				'Pass one unit''s values of one period.'),
			vals) WITH ORDINALITY AS u(c, x, i)
	)
	SELECT v.c,
		   CASE WHEN d.dc IS NULL THEN v.x
				WHEN den.x IS NULL OR den.x = 0 THEN NULL
				ELSE v.x / den.x * d.ds END,
		   v.x, d.dn, den.x,
		   CASE WHEN d.dc IS NULL THEN NULL
				WHEN v.x IS NULL THEN 'value missing'
				WHEN den.x IS NULL THEN 'denominator missing'
				WHEN den.x = 0 THEN 'denominator zero'
				ELSE 'denominated' END
	FROM v
	LEFT JOIN d ON d.dc = v.c
	LEFT JOIN v den ON den.c = d.dn
	ORDER BY v.i;
END;
COMMENT ON FUNCTION denominate(indicator_code[], float8[], indicator_code[], indicator_code[], float8[]) IS
	'One unit''s raw values of one period (codes, vals) with each declared indicator divided by its denominator indicator times its scale (declared, denominators, scales: the declaration kept beside the framework); a missing or zero denominator gives NULL; one row per code with the raw value, the denominator and a note';

-- Structure checks: how the indicators of each node relate, read from the
-- scorecards of one framework in one period (one per unit).
CREATE FUNCTION structure_correlations(cards scorecard[])
	RETURNS TABLE(node indicator_code, a indicator_code, b indicator_code, n integer,
				  pearson float8, spearman float8)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	WITH v AS (
		SELECT u.i AS unit, s.code, s.parent, s.value
		FROM unnest(cards) WITH ORDINALITY AS u(sc, i), scorecard_nodes(u.sc) s
		WHERE s.value IS NOT NULL
	), pairs AS (
		-- siblings: every pair of children of a node; parent: each child with its parent
		SELECT x.parent AS node, x.code AS ca, y.code AS cb, x.value AS xa, y.value AS xb
		FROM v x JOIN v y ON y.unit = x.unit AND y.parent = x.parent AND x.code < y.code
		UNION ALL
		SELECT x.parent, x.code, y.code, x.value, y.value
		FROM v x JOIN v y ON y.unit = x.unit AND y.code = x.parent
	), ranked AS (
		SELECT p.*,
			   rank() OVER (PARTITION BY p.node, p.ca, p.cb ORDER BY p.xa)
				 + (count(*) OVER (PARTITION BY p.node, p.ca, p.cb, p.xa) - 1) / 2.0 AS ra,
			   rank() OVER (PARTITION BY p.node, p.ca, p.cb ORDER BY p.xb)
				 + (count(*) OVER (PARTITION BY p.node, p.ca, p.cb, p.xb) - 1) / 2.0 AS rb
		FROM pairs p
	)
	SELECT r.node, r.ca, r.cb, count(*)::integer, corr(r.xa, r.xb), corr(r.ra, r.rb)
	FROM ranked r
	GROUP BY r.node, r.ca, r.cb
	ORDER BY r.node, r.ca = r.node, r.ca, r.cb = r.node, r.cb;
END;
COMMENT ON FUNCTION structure_correlations(scorecard[]) IS
	'Per inner node of the cards'' framework: the Pearson and Spearman (average ranks for ties) correlations of every pair of its children, and of each child with the node itself (b = node), over the units where both have a value (n); NULL when a side does not vary';

CREATE FUNCTION cronbach_alpha(cards scorecard[])
	RETURNS TABLE(node indicator_code, k integer, n integer, alpha float8)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	WITH f AS (
		-- the structure, from the first card (all cards share one framework)
		SELECT code, parent FROM scorecard_nodes(cards[array_lower(cards, 1)]) WHERE parent IS NOT NULL
	), kids AS (
		SELECT parent AS node, count(*)::integer AS k FROM f GROUP BY parent
	), v AS (
		SELECT u.i AS unit, f.parent AS node, f.code, s.value
		FROM unnest(cards) WITH ORDINALITY AS u(sc, i), scorecard_nodes(u.sc) s
		JOIN f ON f.code = s.code
	), complete AS (
		-- the units with a value for every child of the node
		SELECT v.node, v.unit FROM v JOIN kids USING (node)
		GROUP BY v.node, v.unit, kids.k HAVING count(v.value) = kids.k
	), items AS (
		SELECT v.* FROM v JOIN complete USING (node, unit)
	), totals AS (
		SELECT node, var_samp(total) AS var_total, count(*)::integer AS n
		FROM (SELECT node, unit, sum(value) AS total FROM items GROUP BY node, unit) t
		GROUP BY node
	), vars AS (
		SELECT node, sum(var) AS sum_var
		FROM (SELECT node, code, var_samp(value) AS var FROM items GROUP BY node, code) t
		GROUP BY node
	)
	SELECT kids.node, kids.k, coalesce(totals.n, 0),
		   CASE WHEN kids.k >= 2 AND totals.var_total > 0
				THEN kids.k / (kids.k - 1.0) * (1 - vars.sum_var / totals.var_total) END
	FROM kids
	LEFT JOIN totals USING (node)
	LEFT JOIN vars USING (node)
	ORDER BY kids.node;
END;
COMMENT ON FUNCTION cronbach_alpha(scorecard[]) IS
	'Per inner node of the cards'' framework: its number of children k, the units with a value for every child (n), and Cronbach''s alpha k/(k-1) (1 - sum of the children''s sample variances / sample variance of their sum) over those units; NULL for one child, fewer than 2 complete units or no variance';

CREATE FUNCTION structure_report(cards scorecard[], duplicate_threshold float8 DEFAULT 0.9)
	RETURNS TABLE(node indicator_code, code indicator_code, other indicator_code, flag text, pearson float8)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT c.node, c.a, c.b,
		   CASE WHEN c.b = c.node THEN 'negative correlation with parent' ELSE 'near-duplicate sibling' END,
		   c.pearson
	FROM structure_correlations(cards) c
	WHERE (c.b = c.node AND c.pearson < 0)
	   OR (c.b <> c.node AND c.pearson >= duplicate_threshold)
	ORDER BY c.node, c.b = c.node DESC, c.a, c.b;
END;
COMMENT ON FUNCTION structure_report(scorecard[], float8) IS
	'The structure_correlations() rows to look at: a child whose Pearson correlation with its parent is negative, and pairs of siblings with a Pearson correlation at or above duplicate_threshold (0.9 by default: near-duplicates that count the same thing twice)';

-- Variance-based sensitivity analysis of the ranks (C: rank_intervals.c,
-- sobol_core.c).
CREATE FUNCTION sobol_sensitivity(fw framework, units text[], cards scorecard[],
	sources text[], base_samples integer, seed bigint,
	factor float8 DEFAULT 0.25, bootstrap integer DEFAULT 200,
	variants scorecard[] DEFAULT NULL, variant_counts integer[] DEFAULT NULL)
	RETURNS TABLE(unit text, measure text, source text,
				  first_order float8, first_low float8, first_high float8,
				  total_effect float8, total_low float8, total_high float8)
	AS 'MODULE_PATHNAME', 'framework_sobol' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sobol_sensitivity(framework, text[], scorecard[], text[], integer, bigint, float8, integer, scorecard[], integer[]) IS
	'First-order and total-effect Sobol indices (Saltelli sampling, Jansen estimators, seeded xoshiro256**) of each unit''s rank and of the mean absolute rank shift, per uncertainty source: weights:L (the weights of level L times U[1 - factor, 1 + factor]), methods:L (arithmetic and geometric means swapped at level L on a coin flip), data:NAME (one of variant_counts variants of the data, the other variants'' scorecards in variants); 95% bootstrap percentile intervals';

-- rank_intervals() with the choice of the levels whose weights vary (the
-- call without levels perturbs every weight below the root, as before).
CREATE FUNCTION rank_intervals(fw framework, units text[], cards scorecard[],
	draws integer, factor float8, seed bigint, alternate_methods boolean, levels integer[])
	RETURNS TABLE (unit text, nominal_rank integer, mean_rank float8, median_rank float8,
		p05 float8, p95 float8, keep_share float8)
	AS 'MODULE_PATHNAME', 'framework_rank_intervals' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rank_intervals(framework, text[], scorecard[], integer, float8, bigint, boolean, integer[]) IS
	'rank_intervals() perturbing only the weights of the nodes at the given levels (2 to the depth of the framework); the random numbers drawn are those of the call without levels, so the nodes of those levels get the same factors';
