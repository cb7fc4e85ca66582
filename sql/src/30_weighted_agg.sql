-- Weighted aggregates: means and quantiles with fractional weights, all
-- parallel (combine, serialize and deserialize functions).  Rows with a NULL
-- value or weight are skipped; weight 0 rows do not count; negative, NaN or
-- infinite input is an error (SQLSTATE 22023); all weights 0 gives NULL.

-- The three means share one state and its combine/serialize/deserialize.
CREATE FUNCTION weighted_mean_step(internal, float8, float8) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION weighted_geomean_step(internal, float8, float8) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION weighted_harmonic_step(internal, float8, float8) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION weighted_mean_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION weighted_mean_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION weighted_mean_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION weighted_mean_final(internal) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION weighted_geomean_final(internal) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION weighted_harmonic_final(internal) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION weighted_mean_step(internal, float8, float8) IS
	'Transition of weighted_mean: adds w and w*x to compensated sums';
COMMENT ON FUNCTION weighted_geomean_step(internal, float8, float8) IS
	'Transition of weighted_geomean: adds w and w*ln(x) to compensated sums; x <= 0 is an error';
COMMENT ON FUNCTION weighted_harmonic_step(internal, float8, float8) IS
	'Transition of weighted_harmonic: adds w and w/x to compensated sums; x <= 0 is an error';
COMMENT ON FUNCTION weighted_mean_combine(internal, internal) IS
	'Combines two partial states of weighted_mean, weighted_geomean or weighted_harmonic';
COMMENT ON FUNCTION weighted_mean_serialize(internal) IS
	'Serializes a weighted mean state (version byte 1, then four doubles)';
COMMENT ON FUNCTION weighted_mean_deserialize(bytea, internal) IS
	'Deserializes a weighted mean state, checking its size and version byte';
COMMENT ON FUNCTION weighted_mean_final(internal) IS
	'Final function of weighted_mean: sum(w*x)/sum(w), NULL when all weights are 0';
COMMENT ON FUNCTION weighted_geomean_final(internal) IS
	'Final function of weighted_geomean: exp(sum(w*ln x)/sum(w)), NULL when all weights are 0';
COMMENT ON FUNCTION weighted_harmonic_final(internal) IS
	'Final function of weighted_harmonic: sum(w)/sum(w/x), NULL when all weights are 0';

CREATE AGGREGATE weighted_mean(float8, float8) (
	SFUNC = weighted_mean_step, STYPE = internal,
	COMBINEFUNC = weighted_mean_combine,
	SERIALFUNC = weighted_mean_serialize, DESERIALFUNC = weighted_mean_deserialize,
	FINALFUNC = weighted_mean_final, SSPACE = 48, PARALLEL = SAFE);
CREATE AGGREGATE weighted_geomean(float8, float8) (
	SFUNC = weighted_geomean_step, STYPE = internal,
	COMBINEFUNC = weighted_mean_combine,
	SERIALFUNC = weighted_mean_serialize, DESERIALFUNC = weighted_mean_deserialize,
	FINALFUNC = weighted_geomean_final, SSPACE = 48, PARALLEL = SAFE);
CREATE AGGREGATE weighted_harmonic(float8, float8) (
	SFUNC = weighted_harmonic_step, STYPE = internal,
	COMBINEFUNC = weighted_mean_combine,
	SERIALFUNC = weighted_mean_serialize, DESERIALFUNC = weighted_mean_deserialize,
	FINALFUNC = weighted_harmonic_final, SSPACE = 48, PARALLEL = SAFE);
COMMENT ON AGGREGATE weighted_mean(float8, float8) IS
	'Weighted arithmetic mean sum(w*x)/sum(w) with compensated sums; NULL value or weight skips the row, all weights 0 gives NULL';
COMMENT ON AGGREGATE weighted_geomean(float8, float8) IS
	'Weighted geometric mean exp(sum(w*ln x)/sum(w)) of positive values; NULL value or weight skips the row, all weights 0 gives NULL';
COMMENT ON AGGREGATE weighted_harmonic(float8, float8) IS
	'Weighted harmonic mean sum(w)/sum(w/x) of positive values; NULL value or weight skips the row, all weights 0 gives NULL';

-- Quantiles: the state collects (x, w) pairs; the final function sorts them
-- in place (without changing what the state holds, hence SHAREABLE).
CREATE FUNCTION weighted_quantile_step(internal, float8, float8, float8) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION weighted_median_step(internal, float8, float8) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION weighted_quantile_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION weighted_quantile_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION weighted_quantile_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION weighted_quantile_final(internal) RETURNS float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION weighted_quantile_step(internal, float8, float8, float8) IS
	'Transition of weighted_quantile: keeps (x, w) when w > 0; q must be in [0,1] and the same on every row';
COMMENT ON FUNCTION weighted_median_step(internal, float8, float8) IS
	'Transition of weighted_median: keeps (x, w) when w > 0, for the quantile 0.5';
COMMENT ON FUNCTION weighted_quantile_combine(internal, internal) IS
	'Combines two partial states of weighted_quantile or weighted_median';
COMMENT ON FUNCTION weighted_quantile_serialize(internal) IS
	'Serializes a weighted quantile state (version byte 1, header, then the pairs)';
COMMENT ON FUNCTION weighted_quantile_deserialize(bytea, internal) IS
	'Deserializes a weighted quantile state, checking its size, version byte and pairs';
COMMENT ON FUNCTION weighted_quantile_final(internal) IS
	'Final function of weighted_quantile and weighted_median: sorts the pairs and interpolates between weight centres';

CREATE AGGREGATE weighted_quantile(float8, float8, float8) (
	SFUNC = weighted_quantile_step, STYPE = internal,
	COMBINEFUNC = weighted_quantile_combine,
	SERIALFUNC = weighted_quantile_serialize, DESERIALFUNC = weighted_quantile_deserialize,
	FINALFUNC = weighted_quantile_final, FINALFUNC_MODIFY = SHAREABLE, PARALLEL = SAFE);
CREATE AGGREGATE weighted_median(float8, float8) (
	SFUNC = weighted_median_step, STYPE = internal,
	COMBINEFUNC = weighted_quantile_combine,
	SERIALFUNC = weighted_quantile_serialize, DESERIALFUNC = weighted_quantile_deserialize,
	FINALFUNC = weighted_quantile_final, FINALFUNC_MODIFY = SHAREABLE, PARALLEL = SAFE);
COMMENT ON AGGREGATE weighted_quantile(float8, float8, float8) IS
	'Weighted quantile weighted_quantile(x, w, q): values at the centres of their weights, first centre q=0, last q=1, linear in between; equal weights give percentile_cont';
COMMENT ON AGGREGATE weighted_median(float8, float8) IS
	'Weighted median: weighted_quantile(x, w, 0.5); equal weights give percentile_cont(0.5)';
