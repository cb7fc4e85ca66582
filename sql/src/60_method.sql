-- The composite-indicator method between raw values and an index
-- (docs/method.md): skewness and kurtosis, outlier treatment, imputation,
-- denomination, structure checks, Sobol sensitivity analysis and
-- rank_intervals() with the levels to perturb.

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

-- The SQL functions below have bodies bound at creation (BEGIN ATOMIC, as in
-- 50_ranking.sql) and check their arguments with method_require().
CREATE FUNCTION method_require(arr anyarray, ok boolean, sqlstate text, message text, hint text DEFAULT NULL)
	RETURNS anyarray
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION method_require(anyarray, boolean, text, text, text) IS
	'Returns arr when ok is true; otherwise (false or NULL) raises an error with the given SQLSTATE (22023 if not five digits or capitals), message and hint: how the method''s SQL functions check their arguments';

CREATE FUNCTION treat_outliers(units text[], vals float8[], winmax integer DEFAULT 5,
	skew_threshold float8 DEFAULT 2, kurt_threshold float8 DEFAULT 3.5,
	fallback text DEFAULT 'log_ct')
	RETURNS TABLE(unit text, value float8, original float8, treatment text)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT u.unit, u.v, u.orig,
		   CASE WHEN u.orig IS DISTINCT FROM u.v THEN
				(winsorise_report(vals, winmax, skew_threshold, kurt_threshold, fallback)).treatment END
	FROM unnest(method_require(units, cardinality(units) = cardinality(vals), '22023',
					'treat_outliers: ' || cardinality(units) || ' units but ' || cardinality(vals) || ' values',
					'Pass one value per unit, in the same order.'),
				vals,
				winsorise(vals, winmax, skew_threshold, kurt_threshold, fallback))
		 WITH ORDINALITY AS u(unit, orig, v, i)
	ORDER BY u.i;
END;
COMMENT ON FUNCTION treat_outliers(text[], float8[], integer, float8, float8, text) IS
	'One row per unit: the value after winsorise(), the original value, and the treatment (winsorised, log_ct or unresolved) of the cells it changed, NULL for cells left as they were';

-- Imputation of missing values of one indicator in one period.
CREATE FUNCTION impute(units text[], vals float8[], method text,
	groups text[] DEFAULT NULL, previous float8[] DEFAULT NULL)
	RETURNS TABLE(unit text, value float8, imputed boolean, how text, donors integer, donor_group text)
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH c AS (
		SELECT u.i, u.unit, u.v, u.g, u.p
		FROM unnest(
			method_require(method_require(method_require(method_require(method_require(
				units,
				units IS NOT NULL AND vals IS NOT NULL AND method IS NOT NULL, '22004',
				'impute: units, values and method must not be NULL'),
				method IN ('none', 'mean', 'median', 'group_mean', 'carry_forward'), '22023',
				'impute: unknown method "' || method || '"',
				'Use none, mean, median, group_mean (with groups) or carry_forward (with previous).'),
				cardinality(units) = cardinality(vals), '22023',
				'impute: ' || cardinality(units) || ' units but ' || cardinality(vals) || ' values',
				'Pass one value per unit, in the same order.'),
				method <> 'group_mean' OR cardinality(groups) IS NOT DISTINCT FROM cardinality(vals), '22023',
				'impute: group_mean needs one group per unit',
				'Pass groups (region, income group...) in the order of units.'),
				method <> 'carry_forward' OR cardinality(previous) IS NOT DISTINCT FROM cardinality(vals), '22023',
				'impute: carry_forward needs one previous-period value per unit',
				'Pass previous (NULL where the unit has none) in the order of units.'),
			vals, groups, previous) WITH ORDINALITY AS u(unit, v, g, p, i)
		WHERE u.i <= cardinality(units)
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
END;
COMMENT ON FUNCTION impute(text[], float8[], text, text[], float8[]) IS
	'Fills the NULL values of one indicator in one period, one row per unit: method none, mean or median of the values present, group_mean (mean of the unit''s group, from groups), or carry_forward (the unit''s value of previous); imputed cells say how, from how many donor values and, for group_mean, which group';

-- Denomination: an indicator divided by a denominator indicator of the same
-- unit and period, declared beside the framework as three parallel arrays.
CREATE FUNCTION denominate(codes indicator_code[], vals float8[],
	declared indicator_code[], denominators indicator_code[], scales float8[] DEFAULT NULL)
	RETURNS TABLE(code indicator_code, value float8, raw float8,
				  denominator indicator_code, denominator_value float8, note text)
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	WITH d AS (
		SELECT u.dc, u.dn, coalesce(u.ds, 1.0) AS ds
		FROM unnest(
			method_require(method_require(method_require(method_require(method_require(
				declared,
				codes IS NOT NULL AND vals IS NOT NULL AND declared IS NOT NULL AND denominators IS NOT NULL,
				'22004', 'denominate: codes, values, declared and denominators must not be NULL'),
				cardinality(declared) = cardinality(denominators)
					AND (scales IS NULL OR cardinality(scales) = cardinality(declared)), '22023',
				'denominate: the declaration needs one denominator (and scale) per declared indicator',
				'declared, denominators and scales are parallel arrays.'),
				(SELECT count(DISTINCT x) = count(x) AND count(x) = cardinality(declared) FROM unnest(declared) x),
				'22023', 'denominate: indicator "' || coalesce((SELECT x::text FROM unnest(declared) x
					GROUP BY x HAVING count(*) > 1 LIMIT 1), 'NULL') || '" is declared twice',
				'Declare one denominator per indicator.'),
				NOT EXISTS (SELECT FROM unnest(declared, denominators) z(x, y)
							WHERE y IS NULL OR y = x OR y = ANY (declared)), '22023',
				'denominate: the denominator of "' || coalesce((SELECT x::text FROM unnest(declared, denominators) z(x, y)
					WHERE y IS NULL OR y = x OR y = ANY (declared) LIMIT 1), '') || '" is missing, itself, or itself denominated',
				'A denominator is a raw indicator (GDP, population, area).'),
				NOT EXISTS (SELECT FROM unnest(scales) z(x) WHERE x IS NULL OR NOT x > 0 OR x = 'Infinity'),
				'22023', 'denominate: scales must be positive and finite',
				'A scale multiplies the ratio (1000 for per thousand).'),
			denominators, scales) AS u(dc, dn, ds)
		WHERE u.dc IS NOT NULL
	), v AS (
		SELECT u.c, u.x, u.i
		FROM unnest(
			method_require(method_require(method_require(
				codes,
				codes IS NOT NULL AND vals IS NOT NULL AND declared IS NOT NULL AND denominators IS NOT NULL,
				'22004', 'denominate: codes, values, declared and denominators must not be NULL'),
				cardinality(codes) = cardinality(vals), '22023',
				'denominate: ' || cardinality(codes) || ' codes but ' || cardinality(vals) || ' values',
				'Pass one value per code, in the same order.'),
				(SELECT count(DISTINCT x) = count(x) FROM unnest(codes) x), '22023',
				'denominate: indicator "' || coalesce((SELECT x::text FROM unnest(codes) x
					GROUP BY x HAVING count(*) > 1 LIMIT 1), '') || '" appears twice among the values',
				'Pass one unit''s values of one period.'),
			vals) WITH ORDINALITY AS u(c, x, i)
	)
	SELECT v.c,
		   CASE WHEN d.dc IS NULL THEN v.x
				WHEN den.x IS NULL OR den.x = 0 THEN NULL
				ELSE v.x / den.x * d.ds END,
		   v.x, d.dn, den.x,
		   CASE WHEN d.dc IS NULL THEN NULL
				WHEN v.x IS NULL THEN 'value missing'
				WHEN den.x IS NULL THEN 'denominator missing'
				WHEN den.x = 0 THEN 'denominator zero'
				ELSE 'denominated' END
	FROM v
	LEFT JOIN d ON d.dc = v.c
	LEFT JOIN v den ON den.c = d.dn
	ORDER BY v.i;
END;
COMMENT ON FUNCTION denominate(indicator_code[], float8[], indicator_code[], indicator_code[], float8[]) IS
	'One unit''s raw values of one period (codes, vals) with each declared indicator divided by its denominator indicator times its scale (declared, denominators, scales: the declaration kept beside the framework); a missing or zero denominator gives NULL; one row per code with the raw value, the denominator and a note';

-- Structure checks: how the indicators of each node relate, read from the
-- scorecards of one framework in one period (one per unit).
CREATE FUNCTION structure_correlations(cards scorecard[])
	RETURNS TABLE(node indicator_code, a indicator_code, b indicator_code, n integer,
				  pearson float8, spearman float8)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	WITH v AS (
		SELECT u.i AS unit, s.code, s.parent, s.value
		FROM unnest(cards) WITH ORDINALITY AS u(sc, i), scorecard_nodes(u.sc) s
		WHERE s.value IS NOT NULL
	), pairs AS (
		-- siblings: every pair of children of a node; parent: each child with its parent
		SELECT x.parent AS node, x.code AS ca, y.code AS cb, x.value AS xa, y.value AS xb
		FROM v x JOIN v y ON y.unit = x.unit AND y.parent = x.parent AND x.code < y.code
		UNION ALL
		SELECT x.parent, x.code, y.code, x.value, y.value
		FROM v x JOIN v y ON y.unit = x.unit AND y.code = x.parent
	), ranked AS (
		SELECT p.*,
			   rank() OVER (PARTITION BY p.node, p.ca, p.cb ORDER BY p.xa)
				 + (count(*) OVER (PARTITION BY p.node, p.ca, p.cb, p.xa) - 1) / 2.0 AS ra,
			   rank() OVER (PARTITION BY p.node, p.ca, p.cb ORDER BY p.xb)
				 + (count(*) OVER (PARTITION BY p.node, p.ca, p.cb, p.xb) - 1) / 2.0 AS rb
		FROM pairs p
	)
	SELECT r.node, r.ca, r.cb, count(*)::integer, corr(r.xa, r.xb), corr(r.ra, r.rb)
	FROM ranked r
	GROUP BY r.node, r.ca, r.cb
	ORDER BY r.node, r.ca = r.node, r.ca, r.cb = r.node, r.cb;
END;
COMMENT ON FUNCTION structure_correlations(scorecard[]) IS
	'Per inner node of the cards'' framework: the Pearson and Spearman (average ranks for ties) correlations of every pair of its children, and of each child with the node itself (b = node), over the units where both have a value (n); NULL when a side does not vary';

CREATE FUNCTION cronbach_alpha(cards scorecard[])
	RETURNS TABLE(node indicator_code, k integer, n integer, alpha float8)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	WITH f AS (
		-- the structure, from the first card (all cards share one framework)
		SELECT code, parent FROM scorecard_nodes(cards[array_lower(cards, 1)]) WHERE parent IS NOT NULL
	), kids AS (
		SELECT parent AS node, count(*)::integer AS k FROM f GROUP BY parent
	), v AS (
		SELECT u.i AS unit, f.parent AS node, f.code, s.value
		FROM unnest(cards) WITH ORDINALITY AS u(sc, i), scorecard_nodes(u.sc) s
		JOIN f ON f.code = s.code
	), complete AS (
		-- the units with a value for every child of the node
		SELECT v.node, v.unit FROM v JOIN kids USING (node)
		GROUP BY v.node, v.unit, kids.k HAVING count(v.value) = kids.k
	), items AS (
		SELECT v.* FROM v JOIN complete USING (node, unit)
	), totals AS (
		SELECT node, var_samp(total) AS var_total, count(*)::integer AS n
		FROM (SELECT node, unit, sum(value) AS total FROM items GROUP BY node, unit) t
		GROUP BY node
	), vars AS (
		SELECT node, sum(var) AS sum_var
		FROM (SELECT node, code, var_samp(value) AS var FROM items GROUP BY node, code) t
		GROUP BY node
	)
	SELECT kids.node, kids.k, coalesce(totals.n, 0),
		   CASE WHEN kids.k >= 2 AND totals.var_total > 0
				THEN kids.k / (kids.k - 1.0) * (1 - vars.sum_var / totals.var_total) END
	FROM kids
	LEFT JOIN totals USING (node)
	LEFT JOIN vars USING (node)
	ORDER BY kids.node;
END;
COMMENT ON FUNCTION cronbach_alpha(scorecard[]) IS
	'Per inner node of the cards'' framework: its number of children k, the units with a value for every child (n), and Cronbach''s alpha k/(k-1) (1 - sum of the children''s sample variances / sample variance of their sum) over those units; NULL for one child, fewer than 2 complete units or no variance';

CREATE FUNCTION structure_report(cards scorecard[], duplicate_threshold float8 DEFAULT 0.9)
	RETURNS TABLE(node indicator_code, code indicator_code, other indicator_code, flag text, pearson float8)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT c.node, c.a, c.b,
		   CASE WHEN c.b = c.node THEN 'negative correlation with parent' ELSE 'near-duplicate sibling' END,
		   c.pearson
	FROM structure_correlations(cards) c
	WHERE (c.b = c.node AND c.pearson < 0)
	   OR (c.b <> c.node AND c.pearson >= duplicate_threshold)
	ORDER BY c.node, c.b = c.node DESC, c.a, c.b;
END;
COMMENT ON FUNCTION structure_report(scorecard[], float8) IS
	'The structure_correlations() rows to look at: a child whose Pearson correlation with its parent is negative, and pairs of siblings with a Pearson correlation at or above duplicate_threshold (0.9 by default: near-duplicates that count the same thing twice)';

-- Variance-based sensitivity analysis of the ranks (C: rank_intervals.c,
-- sobol_core.c).
CREATE FUNCTION sobol_sensitivity(fw framework, units text[], cards scorecard[],
	sources text[], base_samples integer, seed bigint,
	factor float8 DEFAULT 0.25, bootstrap integer DEFAULT 200,
	variants scorecard[] DEFAULT NULL, variant_counts integer[] DEFAULT NULL)
	RETURNS TABLE(unit text, measure text, source text,
				  first_order float8, first_low float8, first_high float8,
				  total_effect float8, total_low float8, total_high float8)
	AS 'MODULE_PATHNAME', 'framework_sobol' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION sobol_sensitivity(framework, text[], scorecard[], text[], integer, bigint, float8, integer, scorecard[], integer[]) IS
	'First-order and total-effect Sobol indices (Saltelli sampling, Jansen estimators, seeded xoshiro256**) of each unit''s rank and of the mean absolute rank shift, per uncertainty source: weights:L (the weights of level L times U[1 - factor, 1 + factor]), methods:L (arithmetic and geometric means swapped at level L on a coin flip), data:NAME (one of variant_counts variants of the data, the other variants'' scorecards in variants); 95% bootstrap percentile intervals';

-- rank_intervals() with the choice of the levels whose weights vary (the
-- call without levels perturbs every weight below the root, as before).
CREATE FUNCTION rank_intervals(fw framework, units text[], cards scorecard[],
	draws integer, factor float8, seed bigint, alternate_methods boolean, levels integer[])
	RETURNS TABLE (unit text, nominal_rank integer, mean_rank float8, median_rank float8,
		p05 float8, p95 float8, keep_share float8)
	AS 'MODULE_PATHNAME', 'framework_rank_intervals' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rank_intervals(framework, text[], scorecard[], integer, float8, bigint, boolean, integer[]) IS
	'rank_intervals() perturbing only the weights of the nodes at the given levels (2 to the depth of the framework); the random numbers drawn are those of the call without levels, so the nodes of those levels get the same factors';
