-- Weighted aggregates: means and quantiles with fractional weights, all
-- parallel (combine functions over states of dti's own types).  Rows with a NULL
-- value or weight are skipped; weight 0 rows do not count; negative, NaN or
-- infinite input is an error (SQLSTATE 22023); all weights 0 gives NULL.

-- The three means share one state, of the type weighted_mean_state (not
-- internal, so that Citus splits the aggregates into partial states on the
-- workers and their combination on the coordinator), and its combine
-- function; parallel workers hand the states over as they are.
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

CREATE AGGREGATE weighted_mean(float8, float8) (
	SFUNC = weighted_mean_step, STYPE = weighted_mean_state,
	COMBINEFUNC = weighted_mean_combine,
	FINALFUNC = weighted_mean_final, PARALLEL = SAFE);
CREATE AGGREGATE weighted_geomean(float8, float8) (
	SFUNC = weighted_geomean_step, STYPE = weighted_mean_state,
	COMBINEFUNC = weighted_mean_combine,
	FINALFUNC = weighted_geomean_final, PARALLEL = SAFE);
CREATE AGGREGATE weighted_harmonic(float8, float8) (
	SFUNC = weighted_harmonic_step, STYPE = weighted_mean_state,
	COMBINEFUNC = weighted_mean_combine,
	FINALFUNC = weighted_harmonic_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE weighted_mean(float8, float8) IS
	'Weighted arithmetic mean sum(w*x)/sum(w) with compensated sums; NULL value or weight skips the row, all weights 0 gives NULL';
COMMENT ON AGGREGATE weighted_geomean(float8, float8) IS
	'Weighted geometric mean exp(sum(w*ln x)/sum(w)) of positive values; NULL value or weight skips the row, all weights 0 gives NULL';
COMMENT ON AGGREGATE weighted_harmonic(float8, float8) IS
	'Weighted harmonic mean sum(w)/sum(w/x) of positive values; NULL value or weight skips the row, all weights 0 gives NULL';

-- Quantiles: the state collects (x, w) pairs, in a type of its own
-- (weighted_quantile_state, not internal, so that Citus splits the
-- aggregates as it splits the means; a partial state holds every pair of
-- its rows, sorted when it crosses nodes); parallel workers hand the
-- states over as they are.  The final function sorts the pairs in place
-- (without changing what the state holds, hence SHAREABLE).  SSPACE: the
-- planner's estimate of a state's size, what it assumed of the internal
-- state before (a state grows with its rows).
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

CREATE AGGREGATE weighted_quantile(float8, float8, float8) (
	SFUNC = weighted_quantile_step, STYPE = weighted_quantile_state, SSPACE = 8192,
	COMBINEFUNC = weighted_quantile_combine,
	FINALFUNC = weighted_quantile_final, FINALFUNC_MODIFY = SHAREABLE, PARALLEL = SAFE);
CREATE AGGREGATE weighted_median(float8, float8) (
	SFUNC = weighted_median_step, STYPE = weighted_quantile_state, SSPACE = 8192,
	COMBINEFUNC = weighted_quantile_combine,
	FINALFUNC = weighted_quantile_final, FINALFUNC_MODIFY = SHAREABLE, PARALLEL = SAFE);
COMMENT ON AGGREGATE weighted_quantile(float8, float8, float8) IS
	'Weighted quantile weighted_quantile(x, w, q): values at the centres of their weights, first centre q=0, last q=1, linear in between; equal weights give percentile_cont';
COMMENT ON AGGREGATE weighted_median(float8, float8) IS
	'Weighted median: weighted_quantile(x, w, 0.5); equal weights give percentile_cont(0.5)';
