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
