-- dti 0.6.0 -> 0.7.0: sort support for indicator codes, so that sorts,
-- window partitions and merge joins on indicator_code compare without a
-- function call per comparison and with abbreviated keys; transition state
-- sizes (SSPACE) of the aggregates with internal states.
\echo Use "ALTER EXTENSION dti UPDATE TO '0.7.0'" to load this file. \quit

CREATE FUNCTION indicator_code_sortsupport(internal) RETURNS void
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION indicator_code_sortsupport(internal) IS
	'B-tree sort support for indicator codes: sorts call the natural-order comparison directly';

ALTER OPERATOR FAMILY indicator_code_ops USING btree
	ADD FUNCTION 2 (indicator_code, indicator_code) indicator_code_sortsupport(internal);

-- Transition state sizes for the planner.  Without them it assumes 8 kB per
-- group for an internal state and prefers sorting 10 million rows to a hash
-- aggregate whose states take a tenth of that.  ALTER AGGREGATE cannot set
-- them and the aggregates have dependants (views of the warehouse), so the
-- catalog is updated; a fresh install declares the same SSPACE values.
UPDATE pg_catalog.pg_aggregate SET aggtransspace = 1024
WHERE aggfnoid = 'rollup(framework, indicator_code, float8)'::regprocedure;
UPDATE pg_catalog.pg_aggregate SET aggtransspace = 80
WHERE aggfnoid = 'indicator_stats(float8)'::regprocedure;
UPDATE pg_catalog.pg_aggregate SET aggtransspace = 48
WHERE aggfnoid IN ('weighted_mean(float8, float8)'::regprocedure,
				   'weighted_geomean(float8, float8)'::regprocedure,
				   'weighted_harmonic(float8, float8)'::regprocedure);

-- Every node of a scorecard ranked at once: the values as an array, and a
-- window function ranking arrays position by position.
CREATE FUNCTION scorecard_codes(sc scorecard, leaf_level integer) RETURNS indicator_code[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scorecard_codes(scorecard, integer) IS
	'The codes of the rows of scorecard_nodes(sc, leaf_level), in the same order, as an array';
CREATE FUNCTION scorecard_values(sc scorecard, leaf_level integer) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scorecard_values(scorecard, integer) IS
	'The values of the rows of scorecard_nodes(sc, leaf_level), in the same order, as an array (NULL where a node has no value): what rank_rounded_each() ranks';
CREATE FUNCTION rank_rounded_each(vals float8[], decimals integer, lower_is_better boolean DEFAULT false)
	RETURNS bigint[]
	AS 'MODULE_PATHNAME', 'rank_rounded_array' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rank_rounded_each(float8[], integer, boolean) IS
	'Window function: for arrays of the same length, the competition rank of each element among the elements at the same position in the partition, as rank_rounded() would give per position; NULL elements get NULL ranks';
