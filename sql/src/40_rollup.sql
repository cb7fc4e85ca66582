-- framework, scorecard and the rollup aggregate: one unit's index tree in one pass.

CREATE TYPE framework;
CREATE FUNCTION framework_in(cstring) RETURNS framework
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION framework_out(framework) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION framework_recv(internal) RETURNS framework
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION framework_send(framework) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE framework (
	INPUT = framework_in,
	OUTPUT = framework_out,
	RECEIVE = framework_recv,
	SEND = framework_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);
COMMENT ON TYPE framework IS
	'A compiled, validated index tree: indicators, parents, max points, weights and per inner node the aggregation method, availability threshold and missing-value rule';
COMMENT ON FUNCTION framework_in(cstring) IS 'Text input of framework: a JSON array of node objects, validated as framework_compile() validates';
COMMENT ON FUNCTION framework_out(framework) IS 'Text output of framework: a JSON array of node objects in preorder';
COMMENT ON FUNCTION framework_recv(internal) IS 'Binary input of framework: version 2 (the nodes in network byte order) or 1 (the text form), compiled and checked like text input';
COMMENT ON FUNCTION framework_send(framework) IS 'Binary output of framework: version byte 2, then the nodes in preorder in network byte order';

CREATE FUNCTION framework_compile(
	codes indicator_code[],
	parents indicator_code[],
	max_points float8[],
	weights float8[] DEFAULT NULL,
	methods text[] DEFAULT NULL,
	thresholds float8[] DEFAULT NULL,
	missing text[] DEFAULT NULL)
	RETURNS framework
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION framework_compile(indicator_code[], indicator_code[], float8[], float8[], text[], float8[], text[]) IS
	'Builds a framework from parallel arrays, one element per indicator (aggregate a table with array_agg); raises an error naming the code for a duplicate, an orphan, a cycle, a second root, a leaf without weight or points, or a negative weight';

CREATE FUNCTION framework_nodes(fw framework,
	OUT code indicator_code, OUT parent indicator_code, OUT level integer, OUT is_leaf boolean,
	OUT max_points float8, OUT weight float8, OUT method text, OUT missing text, OUT threshold float8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION framework_nodes(framework) IS
	'The nodes of a framework in preorder, with the defaults filled in';

CREATE TYPE scorecard;
CREATE FUNCTION scorecard_in(cstring) RETURNS scorecard
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scorecard_out(scorecard) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scorecard_recv(internal) RETURNS scorecard
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scorecard_send(scorecard) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE scorecard (
	INPUT = scorecard_in,
	OUTPUT = scorecard_out,
	RECEIVE = scorecard_recv,
	SEND = scorecard_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = extended
);
COMMENT ON TYPE scorecard IS
	'One unit''s index tree for one period: per node the value, points, max points, normalised weight and present/expected leaves';
COMMENT ON FUNCTION scorecard_in(cstring) IS 'Text input of scorecard: the JSON array that scorecard_out writes';
COMMENT ON FUNCTION scorecard_out(scorecard) IS 'Text output of scorecard: a JSON array of node objects in preorder';
COMMENT ON FUNCTION scorecard_recv(internal) IS 'Binary input of scorecard: version 2 (the nodes in network byte order) or 1 (the text form), checked like text input';
COMMENT ON FUNCTION scorecard_send(scorecard) IS 'Binary output of scorecard: version byte 2, then the nodes in preorder in network byte order';

CREATE FUNCTION scorecard_value(scorecard, indicator_code) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scorecard_value(scorecard, indicator_code) IS
	'Value of one node (NULL when unavailable or not in the scorecard)';
CREATE OPERATOR -> (LEFTARG = scorecard, RIGHTARG = indicator_code, PROCEDURE = scorecard_value);
COMMENT ON OPERATOR -> (scorecard, indicator_code) IS 'Value of one node of a scorecard';

CREATE FUNCTION points(sc scorecard, code indicator_code) RETURNS float8
	AS 'MODULE_PATHNAME', 'scorecard_points' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION points(scorecard, indicator_code) IS
	'Points of one node: value times max points (NULL without max points)';
CREATE FUNCTION coverage(sc scorecard, code indicator_code) RETURNS float8
	AS 'MODULE_PATHNAME', 'scorecard_coverage' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION coverage(scorecard, indicator_code) IS
	'Share of the leaves under a node that have a value (0..1)';
CREATE FUNCTION root_value(sc scorecard) RETURNS float8
	AS 'MODULE_PATHNAME', 'scorecard_root_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION root_value(scorecard) IS 'Value of the root (the index)';

CREATE FUNCTION scorecard_nodes(sc scorecard,
	OUT code indicator_code, OUT parent indicator_code, OUT level integer, OUT method text,
	OUT value float8, OUT points float8, OUT max_points float8, OUT weight float8,
	OUT present integer, OUT expected integer)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scorecard_nodes(scorecard) IS
	'One row per node of a scorecard, in preorder; weight is the normalised weight used in the parent';
CREATE FUNCTION scorecard_nodes(sc scorecard, leaf_level integer,
	OUT code indicator_code, OUT parent indicator_code, OUT level integer, OUT method text,
	OUT value float8, OUT points float8, OUT max_points float8, OUT weight float8,
	OUT present integer, OUT expected integer)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'scorecard_nodes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scorecard_nodes(scorecard, integer) IS
	'The inner nodes of a scorecard and its leaves down to the given level (0: inner nodes only), in preorder, with the columns of scorecard_nodes(sc): what ranks and reports of inner nodes read, without a row per leaf';
CREATE FUNCTION scorecard_codes(sc scorecard, leaf_level integer) RETURNS indicator_code[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scorecard_codes(scorecard, integer) IS
	'The codes of the rows of scorecard_nodes(sc, leaf_level), in the same order, as an array';
CREATE FUNCTION scorecard_values(sc scorecard, leaf_level integer) RETURNS float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scorecard_values(scorecard, integer) IS
	'The values of the rows of scorecard_nodes(sc, leaf_level), in the same order, as an array (NULL where a node has no value): what rank_rounded_each() ranks';
CREATE FUNCTION unnest(sc scorecard,
	OUT code indicator_code, OUT parent indicator_code, OUT level integer, OUT method text,
	OUT value float8, OUT points float8, OUT max_points float8, OUT weight float8,
	OUT present integer, OUT expected integer)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'scorecard_nodes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION unnest(scorecard) IS 'The same as scorecard_nodes()';

CREATE FUNCTION explain_change(a scorecard, b scorecard,
	OUT code indicator_code, OUT level integer, OUT is_leaf boolean,
	OUT value_a float8, OUT value_b float8, OUT contribution float8, OUT share float8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'scorecard_explain_change' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION explain_change(scorecard, scorecard) IS
	'Each node''s contribution to the change of the root value from a to b; leaves sum exactly to the change under linear methods';

-- rollup()'s state is a type of its own (not internal), self-contained: it
-- carries its framework's binary form, so that Citus splits rollup() into
-- partial states on the workers and their combination on the coordinator,
-- and parallel workers hand states over as they are.
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

CREATE AGGREGATE rollup(framework, indicator_code, float8) (
	SFUNC = rollup_step,
	STYPE = rollup_state,
	COMBINEFUNC = rollup_combine,
	FINALFUNC = rollup_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE rollup(framework, indicator_code, float8) IS
	'One unit''s leaf values (code, value) rolled up through a framework into a scorecard, in one pass; NULL values count as missing';
