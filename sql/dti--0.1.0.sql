-- dti 0.1.0, as released.  Do not edit: later versions change objects through
-- upgrade scripts (sql/dti--A--B.sql); the current definitions are in sql/src/.
\echo Use "CREATE EXTENSION dti" to load this file. \quit

-- indicator_code: hierarchical indicator codes in natural order.

CREATE TYPE indicator_code;

CREATE FUNCTION indicator_code_in(cstring) RETURNS indicator_code
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_out(indicator_code) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_recv(internal) RETURNS indicator_code
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_send(indicator_code) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE indicator_code (
	INPUT = indicator_code_in,
	OUTPUT = indicator_code_out,
	RECEIVE = indicator_code_recv,
	SEND = indicator_code_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = extended,
	CATEGORY = 'S'
);
COMMENT ON TYPE indicator_code IS
	'Hierarchical indicator code such as CQS.3.2: up to 32 labels of 1-63 ASCII letters, digits or _, in natural order (1.9 < 1.10)';
COMMENT ON FUNCTION indicator_code_in(cstring) IS 'Text input of indicator_code; rejects invalid codes with SQLSTATE 22P02';
COMMENT ON FUNCTION indicator_code_out(indicator_code) IS 'Text output of indicator_code';
COMMENT ON FUNCTION indicator_code_recv(internal) IS 'Binary input of indicator_code (version byte 1, then the code)';
COMMENT ON FUNCTION indicator_code_send(indicator_code) IS 'Binary output of indicator_code (version byte 1, then the code)';

-- Casts to and from text
CREATE FUNCTION indicator_code(text) RETURNS indicator_code
	AS 'MODULE_PATHNAME', 'indicator_code_from_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION text(indicator_code) RETURNS text
	AS 'MODULE_PATHNAME', 'indicator_code_to_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (text AS indicator_code) WITH FUNCTION indicator_code(text) AS ASSIGNMENT;
CREATE CAST (varchar AS indicator_code) WITH FUNCTION indicator_code(text) AS ASSIGNMENT;
CREATE CAST (indicator_code AS text) WITH FUNCTION text(indicator_code) AS ASSIGNMENT;
COMMENT ON FUNCTION indicator_code(text) IS 'Parses text as an indicator_code (the cast from text)';
COMMENT ON FUNCTION text(indicator_code) IS 'The text of an indicator_code (the cast to text)';

-- Natural order
CREATE FUNCTION indicator_code_cmp(indicator_code, indicator_code) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_lt(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_le(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_eq(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION indicator_code_ne(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION indicator_code_ge(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_gt(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_hash(indicator_code) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_hash_extended(indicator_code, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION indicator_code_cmp(indicator_code, indicator_code) IS 'Natural-order comparison: -1, 0 or 1 (btree support)';
COMMENT ON FUNCTION indicator_code_lt(indicator_code, indicator_code) IS 'Sorts before, in natural order';
COMMENT ON FUNCTION indicator_code_le(indicator_code, indicator_code) IS 'Sorts before or equal, in natural order';
COMMENT ON FUNCTION indicator_code_eq(indicator_code, indicator_code) IS 'Equal (byte for byte)';
COMMENT ON FUNCTION indicator_code_ne(indicator_code, indicator_code) IS 'Not equal';
COMMENT ON FUNCTION indicator_code_ge(indicator_code, indicator_code) IS 'Sorts after or equal, in natural order';
COMMENT ON FUNCTION indicator_code_gt(indicator_code, indicator_code) IS 'Sorts after, in natural order';
COMMENT ON FUNCTION indicator_code_hash(indicator_code) IS 'Hash of the code''s bytes (hash support)';
COMMENT ON FUNCTION indicator_code_hash_extended(indicator_code, bigint) IS 'Seeded 64-bit hash of the code''s bytes (hash support)';

CREATE OPERATOR < (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_lt,
	COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR <= (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_le,
	COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR = (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR <> (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR >= (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_ge,
	COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel
);
CREATE OPERATOR > (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_gt,
	COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR < (indicator_code, indicator_code) IS 'Sorts before, in natural order';
COMMENT ON OPERATOR <= (indicator_code, indicator_code) IS 'Sorts before or equal, in natural order';
COMMENT ON OPERATOR = (indicator_code, indicator_code) IS 'Equal';
COMMENT ON OPERATOR <> (indicator_code, indicator_code) IS 'Not equal';
COMMENT ON OPERATOR >= (indicator_code, indicator_code) IS 'Sorts after or equal, in natural order';
COMMENT ON OPERATOR > (indicator_code, indicator_code) IS 'Sorts after, in natural order';

CREATE OPERATOR CLASS indicator_code_ops
	DEFAULT FOR TYPE indicator_code USING btree AS
	OPERATOR 1 <,
	OPERATOR 2 <=,
	OPERATOR 3 =,
	OPERATOR 4 >=,
	OPERATOR 5 >,
	FUNCTION 1 indicator_code_cmp(indicator_code, indicator_code);
COMMENT ON OPERATOR CLASS indicator_code_ops USING btree IS 'Natural order of indicator codes';

CREATE OPERATOR CLASS indicator_code_ops
	DEFAULT FOR TYPE indicator_code USING hash AS
	OPERATOR 1 =,
	FUNCTION 1 indicator_code_hash(indicator_code),
	FUNCTION 2 indicator_code_hash_extended(indicator_code, bigint);
COMMENT ON OPERATOR CLASS indicator_code_ops USING hash IS 'Hashing of indicator codes, consistent with equality';

-- Ancestry
CREATE FUNCTION indicator_code_support(internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION indicator_code_support(internal) IS
	'Planner support: turns code <@ constant into a btree range scan';

CREATE FUNCTION indicator_code_contains(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	SUPPORT indicator_code_support;
CREATE FUNCTION indicator_code_contained(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	SUPPORT indicator_code_support;
COMMENT ON FUNCTION indicator_code_contains(indicator_code, indicator_code) IS
	'Is the first code an ancestor of the second, or equal to it?';
COMMENT ON FUNCTION indicator_code_contained(indicator_code, indicator_code) IS
	'Is the first code a descendant of the second, or equal to it?';

CREATE OPERATOR @> (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_contains,
	COMMUTATOR = <@, RESTRICT = contsel, JOIN = contjoinsel
);
CREATE OPERATOR <@ (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_contained,
	COMMUTATOR = @>, RESTRICT = contsel, JOIN = contjoinsel
);
COMMENT ON OPERATOR @> (indicator_code, indicator_code) IS 'Is ancestor of, or equal to';
COMMENT ON OPERATOR <@ (indicator_code, indicator_code) IS 'Is descendant of, or equal to';

-- Building and taking apart
CREATE FUNCTION indicator_code_concat(indicator_code, indicator_code) RETURNS indicator_code
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_concat_text(indicator_code, text) RETURNS indicator_code
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION indicator_code_concat(indicator_code, indicator_code) IS 'Appends the second code below the first';
COMMENT ON FUNCTION indicator_code_concat_text(indicator_code, text) IS 'Appends a label (or a dotted code given as text) below the code';
CREATE OPERATOR || (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_concat
);
CREATE OPERATOR || (
	LEFTARG = indicator_code, RIGHTARG = text, PROCEDURE = indicator_code_concat_text
);
COMMENT ON OPERATOR || (indicator_code, indicator_code) IS 'Appends the second code below the first';
COMMENT ON OPERATOR || (indicator_code, text) IS 'Appends a label (or a dotted code) below the code';

CREATE FUNCTION nlevel(indicator_code) RETURNS integer
	AS 'MODULE_PATHNAME', 'indicator_code_nlevel' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parent(indicator_code) RETURNS indicator_code
	AS 'MODULE_PATHNAME', 'indicator_code_parent' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION subpath(indicator_code, integer, integer) RETURNS indicator_code
	AS 'MODULE_PATHNAME', 'indicator_code_subpath' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION subpath(indicator_code, integer) RETURNS indicator_code
	AS 'MODULE_PATHNAME', 'indicator_code_subpath' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION label(indicator_code, integer) RETURNS text
	AS 'MODULE_PATHNAME', 'indicator_code_label' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ancestors(code indicator_code, include_self boolean DEFAULT false)
	RETURNS SETOF indicator_code
	AS 'MODULE_PATHNAME', 'indicator_code_ancestors' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	ROWS 4;
COMMENT ON FUNCTION nlevel(indicator_code) IS 'Number of labels of the code';
COMMENT ON FUNCTION parent(indicator_code) IS 'The code without its last label; NULL for a one-label code';
COMMENT ON FUNCTION subpath(indicator_code, integer, integer) IS
	'Labels from offset (0-based, negative from the end), len of them (negative: all but the last -len)';
COMMENT ON FUNCTION subpath(indicator_code, integer) IS
	'Labels from offset (0-based, negative from the end) to the end';
COMMENT ON FUNCTION label(indicator_code, integer) IS
	'Label n (1-based, negative from the end) as text; NULL when out of range';
COMMENT ON FUNCTION ancestors(indicator_code, boolean) IS
	'The ancestors of a code, root first; the code itself last when include_self is true';

-- sql/src/20_scoring_rule.sql
-- scoring_rule: rules that turn a raw value into a fraction of the maximum
-- points; indicator_stats: the summary relative rules need; score() and the
-- rank_score() window function.  Reference: docs/scoring.md.

CREATE TYPE scoring_rule;

CREATE FUNCTION scoring_rule_in(cstring) RETURNS scoring_rule
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scoring_rule_out(scoring_rule) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scoring_rule_recv(internal) RETURNS scoring_rule
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION scoring_rule_send(scoring_rule) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE scoring_rule (
	INPUT = scoring_rule_in,
	OUTPUT = scoring_rule_out,
	RECEIVE = scoring_rule_recv,
	SEND = scoring_rule_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = plain,
	ALIGNMENT = double,
	CATEGORY = 'U'
);
COMMENT ON TYPE scoring_rule IS
	'Rule turning a raw value into a fraction of the maximum points, such as target(80), linear(0, 100), steps(50:0.5, 80:1), grade(A:1, B:0.75) or minmax(lower); parsed once, stored compactly';
COMMENT ON FUNCTION scoring_rule_in(cstring) IS 'Text input of scoring_rule; rejects invalid rules with SQLSTATE 22P02';
COMMENT ON FUNCTION scoring_rule_out(scoring_rule) IS 'Text output of scoring_rule in canonical form (reads back to the same value)';
COMMENT ON FUNCTION scoring_rule_recv(internal) IS 'Binary input of scoring_rule (version byte 1), validated like text input';
COMMENT ON FUNCTION scoring_rule_send(scoring_rule) IS 'Binary output of scoring_rule (version byte 1)';

-- Equality and hashing (equal rules have equal canonical text)
CREATE FUNCTION scoring_rule_eq(scoring_rule, scoring_rule) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION scoring_rule_ne(scoring_rule, scoring_rule) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION scoring_rule_hash(scoring_rule) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scoring_rule_eq(scoring_rule, scoring_rule) IS 'Equal: same rule in canonical form';
COMMENT ON FUNCTION scoring_rule_ne(scoring_rule, scoring_rule) IS 'Not equal';
COMMENT ON FUNCTION scoring_rule_hash(scoring_rule) IS 'Hash of a rule (hash support), consistent with =';

CREATE OPERATOR = (
	LEFTARG = scoring_rule, RIGHTARG = scoring_rule, PROCEDURE = scoring_rule_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES
);
CREATE OPERATOR <> (
	LEFTARG = scoring_rule, RIGHTARG = scoring_rule, PROCEDURE = scoring_rule_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR = (scoring_rule, scoring_rule) IS 'Equal: same rule in canonical form';
COMMENT ON OPERATOR <> (scoring_rule, scoring_rule) IS 'Not equal';

CREATE OPERATOR CLASS scoring_rule_ops
	DEFAULT FOR TYPE scoring_rule USING hash AS
	OPERATOR 1 = (scoring_rule, scoring_rule),
	FUNCTION 1 scoring_rule_hash(scoring_rule);
COMMENT ON OPERATOR CLASS scoring_rule_ops USING hash IS 'Hashing of scoring rules, consistent with =';

CREATE FUNCTION scoring_rule_kind(scoring_rule) RETURNS text
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scoring_rule_kind(scoring_rule) IS
	'Kind of a rule: ratio, bool, target, linear, steps, piecewise, grade, best, minmax, zscore, goalposts, rank, prank or borda';

-- indicator_stats: n, min, max, mean, sample sd of one indicator in one period

CREATE TYPE indicator_stats;

CREATE FUNCTION indicator_stats_in(cstring) RETURNS indicator_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_stats_out(indicator_stats) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_stats_recv(internal) RETURNS indicator_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_stats_send(indicator_stats) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE indicator_stats (
	INPUT = indicator_stats_in,
	OUTPUT = indicator_stats_out,
	RECEIVE = indicator_stats_recv,
	SEND = indicator_stats_send,
	INTERNALLENGTH = 40,
	STORAGE = plain,
	ALIGNMENT = double,
	CATEGORY = 'U'
);
COMMENT ON TYPE indicator_stats IS
	'Summary of the values of one indicator in one period: (n=5,min=1,max=9,mean=4.2,sd=2.1), sd the sample standard deviation';
COMMENT ON FUNCTION indicator_stats_in(cstring) IS 'Text input of indicator_stats; checks consistency (min <= mean <= max, sd >= 0)';
COMMENT ON FUNCTION indicator_stats_out(indicator_stats) IS 'Text output of indicator_stats (reads back to the same value)';
COMMENT ON FUNCTION indicator_stats_recv(internal) IS 'Binary input of indicator_stats (version byte 1), validated like text input';
COMMENT ON FUNCTION indicator_stats_send(indicator_stats) IS 'Binary output of indicator_stats (version byte 1)';

CREATE FUNCTION stats_n(indicator_stats) RETURNS bigint
	AS 'MODULE_PATHNAME', 'indicator_stats_n' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION stats_min(indicator_stats) RETURNS float8
	AS 'MODULE_PATHNAME', 'indicator_stats_min' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION stats_max(indicator_stats) RETURNS float8
	AS 'MODULE_PATHNAME', 'indicator_stats_max' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION stats_mean(indicator_stats) RETURNS float8
	AS 'MODULE_PATHNAME', 'indicator_stats_mean' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION stats_sd(indicator_stats) RETURNS float8
	AS 'MODULE_PATHNAME', 'indicator_stats_sd' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION stats_n(indicator_stats) IS 'Number of non-NULL values summarised';
COMMENT ON FUNCTION stats_min(indicator_stats) IS 'Smallest value (NULL when n = 0)';
COMMENT ON FUNCTION stats_max(indicator_stats) IS 'Largest value (NULL when n = 0)';
COMMENT ON FUNCTION stats_mean(indicator_stats) IS 'Mean, from a compensated sum (NULL when n = 0)';
COMMENT ON FUNCTION stats_sd(indicator_stats) IS 'Sample standard deviation, n - 1 in the denominator (NULL when n < 2)';

CREATE FUNCTION indicator_stats_step(internal, float8) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION indicator_stats_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION indicator_stats_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_stats_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_stats_final(internal) RETURNS indicator_stats
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION indicator_stats_step(internal, float8) IS 'Transition function of indicator_stats(float8)';
COMMENT ON FUNCTION indicator_stats_combine(internal, internal) IS 'Combine function of indicator_stats(float8) (Chan''s merge)';
COMMENT ON FUNCTION indicator_stats_serialize(internal) IS 'Serialize function of indicator_stats(float8)';
COMMENT ON FUNCTION indicator_stats_deserialize(bytea, internal) IS 'Deserialize function of indicator_stats(float8)';
COMMENT ON FUNCTION indicator_stats_final(internal) IS 'Final function of indicator_stats(float8)';

CREATE AGGREGATE indicator_stats(float8) (
	SFUNC = indicator_stats_step, STYPE = internal,
	COMBINEFUNC = indicator_stats_combine,
	SERIALFUNC = indicator_stats_serialize, DESERIALFUNC = indicator_stats_deserialize,
	FINALFUNC = indicator_stats_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE indicator_stats(float8) IS
	'Summary (n, min, max, mean, sample sd) of the non-NULL values for relative scoring rules; NULL when there are none; NaN or infinity is an error';

-- Scoring

CREATE FUNCTION score(rule scoring_rule, value float8) RETURNS float8
	AS 'MODULE_PATHNAME', 'scoring_rule_score' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION score(rule scoring_rule, value float8, stats indicator_stats) RETURNS float8
	AS 'MODULE_PATHNAME', 'scoring_rule_score_stats' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION score(rule scoring_rule, value text) RETURNS float8
	AS 'MODULE_PATHNAME', 'scoring_rule_score_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION score(scoring_rule, float8) IS
	'Applies an absolute rule (ratio, bool, target, linear, steps, piecewise, goalposts) to a value; NULL in, NULL out';
COMMENT ON FUNCTION score(scoring_rule, float8, indicator_stats) IS
	'Applies a rule to a value given the statistics of its indicator and period (relative rules need them, absolute rules ignore them); NULL value gives NULL';
COMMENT ON FUNCTION score(scoring_rule, text) IS
	'Applies a grade rule to a grade given as text (exact match after trimming white space)';

CREATE FUNCTION rank_score(rule scoring_rule, value float8) RETURNS float8
	AS 'MODULE_PATHNAME', 'rank_score' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rank_score(scoring_rule, float8) IS
	'Window function for rank, prank and borda rules over the partition''s non-NULL values: competition rank (worst = 1), (rank - 1)/(n - 1), or the number of strictly worse values';
