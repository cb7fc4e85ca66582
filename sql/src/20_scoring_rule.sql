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

-- The aggregate's state is a type of its own (not internal), so that Citus
-- splits indicator_stats() into partial states on the workers and their
-- merge on the coordinator; parallel workers hand it over as it is.
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

CREATE AGGREGATE indicator_stats(float8) (
	SFUNC = indicator_stats_step, STYPE = indicator_stats_state,
	COMBINEFUNC = indicator_stats_combine,
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
