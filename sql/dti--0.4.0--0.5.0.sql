-- dti 0.4.0 -> 0.5.0: round_decimal(), the key rank_rounded() compares,
-- so that ranks can be kept up to date one change at a time.
\echo Use "ALTER EXTENSION dti UPDATE TO '0.5.0'" to load this file. \quit

CREATE FUNCTION round_decimal(value float8, decimals integer) RETURNS float8
	AS 'MODULE_PATHNAME', 'float8_round_decimal' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION round_decimal(float8, integer) IS
	'The value rounded half away from zero to the given decimals (0 to 15) on its shortest decimal form: the key rank_rounded() compares (a competition rank is one more than the number of greater keys)';
