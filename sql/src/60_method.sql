-- The composite-indicator method between raw values and an index
-- (docs/method.md): skewness and kurtosis, outlier treatment, imputation.

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

CREATE FUNCTION treat_outliers(units text[], vals float8[], winmax integer DEFAULT 5,
	skew_threshold float8 DEFAULT 2, kurt_threshold float8 DEFAULT 3.5,
	fallback text DEFAULT 'log_ct')
	RETURNS TABLE(unit text, value float8, original float8, treatment text)
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
	AS $$
DECLARE
	how text;
BEGIN
	IF cardinality(units) <> cardinality(vals) THEN
		RAISE EXCEPTION 'treat_outliers: % units but % values', cardinality(units), cardinality(vals)
			USING ERRCODE = '22023', HINT = 'Pass one value per unit, in the same order.';
	END IF;
	how := (winsorise_report(vals, winmax, skew_threshold, kurt_threshold, fallback)).treatment;
	RETURN QUERY
		SELECT u.unit, t.v, o.v,
			   CASE WHEN o.v IS DISTINCT FROM t.v THEN how END
		FROM unnest(units) WITH ORDINALITY AS u(unit, i)
		JOIN unnest(vals) WITH ORDINALITY AS o(v, i) USING (i)
		JOIN unnest(winsorise(vals, winmax, skew_threshold, kurt_threshold, fallback))
			 WITH ORDINALITY AS t(v, i) USING (i)
		ORDER BY u.i;
END
$$;
COMMENT ON FUNCTION treat_outliers(text[], float8[], integer, float8, float8, text) IS
	'One row per unit: the value after winsorise(), the original value, and the treatment (winsorised, log_ct or unresolved) of the cells it changed, NULL for cells left as they were';

-- Imputation of missing values of one indicator in one period.
CREATE FUNCTION impute(units text[], vals float8[], method text,
	groups text[] DEFAULT NULL, previous float8[] DEFAULT NULL)
	RETURNS TABLE(unit text, value float8, imputed boolean, how text, donors integer, donor_group text)
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	AS $$
BEGIN
	IF units IS NULL OR vals IS NULL OR method IS NULL THEN
		RAISE EXCEPTION 'impute: units, values and method must not be NULL'
			USING ERRCODE = '22004';
	END IF;
	IF method NOT IN ('none', 'mean', 'median', 'group_mean', 'carry_forward') THEN
		RAISE EXCEPTION 'impute: unknown method "%"', method
			USING ERRCODE = '22023',
				  HINT = 'Use none, mean, median, group_mean (with groups) or carry_forward (with previous).';
	END IF;
	IF cardinality(units) <> cardinality(vals) THEN
		RAISE EXCEPTION 'impute: % units but % values', cardinality(units), cardinality(vals)
			USING ERRCODE = '22023', HINT = 'Pass one value per unit, in the same order.';
	END IF;
	IF method = 'group_mean' AND cardinality(groups) IS DISTINCT FROM cardinality(vals) THEN
		RAISE EXCEPTION 'impute: group_mean needs one group per unit'
			USING ERRCODE = '22023', HINT = 'Pass groups (region, income group...) in the order of units.';
	END IF;
	IF method = 'carry_forward' AND cardinality(previous) IS DISTINCT FROM cardinality(vals) THEN
		RAISE EXCEPTION 'impute: carry_forward needs one previous-period value per unit'
			USING ERRCODE = '22023', HINT = 'Pass previous (NULL where the unit has none) in the order of units.';
	END IF;
	RETURN QUERY
	WITH c AS (
		SELECT u.i, u.unit, v.v, g.g, p.p
		FROM unnest(units) WITH ORDINALITY AS u(unit, i)
		JOIN unnest(vals) WITH ORDINALITY AS v(v, i) USING (i)
		LEFT JOIN unnest(groups) WITH ORDINALITY AS g(g, i) USING (i)
		LEFT JOIN unnest(previous) WITH ORDINALITY AS p(p, i) USING (i)
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
END
$$;
COMMENT ON FUNCTION impute(text[], float8[], text, text[], float8[]) IS
	'Fills the NULL values of one indicator in one period, one row per unit: method none, mean or median of the values present, group_mean (mean of the unit''s group, from groups), or carry_forward (the unit''s value of previous); imputed cells say how, from how many donor values and, for group_mean, which group';
