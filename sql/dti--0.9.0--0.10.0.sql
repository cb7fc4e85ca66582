-- dti 0.9.0 -> 0.10.0
\echo Use "ALTER EXTENSION dti UPDATE TO '0.10.0'" to load this file. \quit

-- Part issue-22v: leaf_vector (collected without the tree), rollup(), leaf_stats() and composite() over leaf vectors

CREATE TYPE leaf_vector;
CREATE FUNCTION leaf_vector_in(cstring) RETURNS leaf_vector
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION leaf_vector_out(leaf_vector) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION leaf_vector_recv(internal) RETURNS leaf_vector
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION leaf_vector_send(leaf_vector) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE leaf_vector (
	INPUT = leaf_vector_in,
	OUTPUT = leaf_vector_out,
	RECEIVE = leaf_vector_recv,
	SEND = leaf_vector_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);
COMMENT ON TYPE leaf_vector IS
	'One unit''s leaf values in the leaf order of a framework, named by the hash of the framework''s binary form (not the tree itself); the state of leaf_vector(), evaluated by rollup(), leaf_stats() and composite() given the framework again';
COMMENT ON FUNCTION leaf_vector_in(cstring) IS 'Text input of leaf_vector: its binary form in hexadecimal, checked byte by byte (22P02)';
COMMENT ON FUNCTION leaf_vector_out(leaf_vector) IS 'Text output of leaf_vector: its binary form in hexadecimal';
COMMENT ON FUNCTION leaf_vector_recv(internal) IS 'Binary input of leaf_vector (version byte 1), checked byte by byte (22P03)';
COMMENT ON FUNCTION leaf_vector_send(leaf_vector) IS 'Binary output of leaf_vector: version byte 1, framework hash, leaf count, present count, presence bitmap, the present values in network byte order';

CREATE FUNCTION leaf_vector_step(leaf_vector, framework, indicator_code, float8) RETURNS leaf_vector
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION leaf_vector_combine(leaf_vector, leaf_vector) RETURNS leaf_vector
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION leaf_vector_step(leaf_vector, framework, indicator_code, float8) IS 'Transition function of leaf_vector(framework, indicator_code, float8): puts the row''s value at its leaf''s place';
COMMENT ON FUNCTION leaf_vector_combine(leaf_vector, leaf_vector) IS 'Combine function of leaf_vector(framework, indicator_code, float8): merges two partial vectors of one framework leaf by leaf';
CREATE AGGREGATE leaf_vector(framework, indicator_code, float8) (
	SFUNC = leaf_vector_step,
	STYPE = leaf_vector,
	COMBINEFUNC = leaf_vector_combine,
	SSPACE = 1024,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE leaf_vector(framework, indicator_code, float8) IS
	'One unit''s leaf values collected in the framework''s leaf order, without the tree (group by unit and period): rollup(fw, vector) is then the same scorecard as rollup(fw, code, value); NULL values stay missing, a code outside the framework''s leaves or a second value for a leaf is an error';

CREATE FUNCTION rollup(fw framework, leaves leaf_vector) RETURNS scorecard
	AS 'MODULE_PATHNAME', 'leaf_vector_rollup' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rollup(framework, leaf_vector) IS
	'The scorecard of a leaf vector through its framework (the one it was collected with, else an error): the same bits as rollup(fw, code, value) over the same rows';

CREATE FUNCTION leaf_count(leaves leaf_vector) RETURNS integer
	AS 'MODULE_PATHNAME', 'leaf_vector_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION leaf_count(leaf_vector) IS 'The number of leaves of a vector that have a value';

CREATE FUNCTION leaf_stats_vector_step(leaf_stats, framework, leaf_vector) RETURNS leaf_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION leaf_stats_vector_step(leaf_stats, framework, leaf_vector) IS 'Transition function of leaf_stats(framework, leaf_vector): adds every present leaf of the vector';
CREATE AGGREGATE leaf_stats(framework, leaf_vector) (
	SFUNC = leaf_stats_vector_step,
	STYPE = leaf_stats,
	COMBINEFUNC = leaf_stats_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE leaf_stats(framework, leaf_vector) IS
	'The statistics of every leaf of a framework over leaf vectors (one per unit), as leaf_stats(fw, code, value) over the rows they were collected from; NULL vectors are skipped';

CREATE FUNCTION composite(fw framework, stats leaf_stats, leaves leaf_vector) RETURNS scorecard
	AS 'MODULE_PATHNAME', 'composite_vector' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION composite(framework, leaf_stats, leaf_vector) IS
	'A leaf vector scored by the rules its framework carries under the statistics of leaf_stats() (NULL when no rule needs them) and rolled up into a scorecard: given the same statistics, the same bits as composite(fw, stats, code, value) over the same rows; NULL for a NULL vector';

-- Part issue-24c: pipeline(), raw values to scorecards in one call (C)

CREATE FUNCTION pipeline(fw framework, raw regclass, audit regclass,
	declared indicator_code[] DEFAULT NULL, denominators indicator_code[] DEFAULT NULL,
	scales float8[] DEFAULT NULL, imputation text DEFAULT 'none',
	groups regclass DEFAULT NULL, previous regclass DEFAULT NULL,
	outliers boolean DEFAULT true)
	RETURNS TABLE(unit text, sc scorecard)
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pipeline(framework, regclass, regclass, indicator_code[], indicator_code[], float8[], text, regclass, regclass, boolean) IS
	'From raw values (raw: columns unit, code, value; read once) to one scorecard per unit: denominate (declared, denominators, scales), impute (none, mean, median, group_mean with groups, carry_forward with previous), treat outliers (COINr''s default rule), normalise by the rules fw carries (leaf_stats) and aggregate (composite), writing each step''s parameters, effects and changed cells into audit';

-- End of part issue-24c
