-- Ranking: ranks at a published precision or tolerance, rank intervals under
-- uncertainty of weights and methods, drop-one sensitivity, and what moved a
-- unit's score.  Reference: docs/ranking.md.

-- Ranks of values rounded to a number of decimals (half away from zero on
-- the decimal value).  Window functions that need no ORDER BY in OVER.
CREATE FUNCTION rank_rounded(value float8, decimals integer, lower_is_better boolean DEFAULT false)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'rank_rounded_competition' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rank_rounded(float8, integer, boolean) IS
	'Window function: competition rank ("1224", best = 1) of the value rounded half away from zero to the given decimals; NULL values get NULL and do not count';
CREATE FUNCTION rank_rounded_each(vals float8[], decimals integer, lower_is_better boolean DEFAULT false)
	RETURNS bigint[]
	AS 'MODULE_PATHNAME', 'rank_rounded_array' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rank_rounded_each(float8[], integer, boolean) IS
	'Window function: for arrays of the same length, the competition rank of each element among the elements at the same position in the partition, as rank_rounded() would give per position; NULL elements get NULL ranks';
CREATE FUNCTION round_decimal(value float8, decimals integer) RETURNS float8
	AS 'MODULE_PATHNAME', 'float8_round_decimal' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION round_decimal(float8, integer) IS
	'The value rounded half away from zero to the given decimals (0 to 15) on its shortest decimal form: the key rank_rounded() compares (a competition rank is one more than the number of greater keys)';
CREATE FUNCTION dense_rank_rounded(value float8, decimals integer, lower_is_better boolean DEFAULT false)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'rank_rounded_dense' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dense_rank_rounded(float8, integer, boolean) IS
	'Window function: dense rank ("1223") of the value rounded half away from zero to the given decimals';
CREATE FUNCTION ordinal_rank_rounded(value float8, decimals integer, lower_is_better boolean DEFAULT false)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'rank_rounded_ordinal' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ordinal_rank_rounded(float8, integer, boolean) IS
	'Window function: ordinal rank ("1234") of the rounded value; ties in the order of the partition''s rows (ORDER BY in OVER fixes it)';
CREATE FUNCTION fractional_rank_rounded(value float8, decimals integer, lower_is_better boolean DEFAULT false)
	RETURNS float8
	AS 'MODULE_PATHNAME', 'rank_rounded_fractional' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION fractional_rank_rounded(float8, integer, boolean) IS
	'Window function: fractional rank ("1 2.5 2.5 4", the mean of the tied ordinal ranks) of the rounded value';

-- Ranks with ties within an absolute tolerance, chained between neighbours.
CREATE FUNCTION rank_tolerant(value float8, tolerance float8, lower_is_better boolean DEFAULT false)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'rank_tolerant_competition' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION rank_tolerant(float8, float8, boolean) IS
	'Window function: competition rank where sorted neighbours within the tolerance tie, chained (a~b and b~c tie a, b and c)';
CREATE FUNCTION dense_rank_tolerant(value float8, tolerance float8, lower_is_better boolean DEFAULT false)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'rank_tolerant_dense' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dense_rank_tolerant(float8, float8, boolean) IS
	'Window function: dense rank with chained ties within the tolerance';
CREATE FUNCTION ordinal_rank_tolerant(value float8, tolerance float8, lower_is_better boolean DEFAULT false)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'rank_tolerant_ordinal' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ordinal_rank_tolerant(float8, float8, boolean) IS
	'Window function: ordinal rank by value; values in one tolerance group keep their sorted order (exact ties in row order)';
CREATE FUNCTION fractional_rank_tolerant(value float8, tolerance float8, lower_is_better boolean DEFAULT false)
	RETURNS float8
	AS 'MODULE_PATHNAME', 'rank_tolerant_fractional' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION fractional_rank_tolerant(float8, float8, boolean) IS
	'Window function: fractional rank with chained ties within the tolerance';

-- Uncertainty analysis: seeded Monte Carlo over weights (and methods).
CREATE FUNCTION rank_intervals(fw framework, units text[], cards scorecard[],
	draws integer, factor float8, seed bigint, alternate_methods boolean DEFAULT false)
	RETURNS TABLE (unit text, nominal_rank integer, mean_rank float8, median_rank float8,
		p05 float8, p95 float8, keep_share float8)
	AS 'MODULE_PATHNAME', 'framework_rank_intervals' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rank_intervals(framework, text[], scorecard[], integer, float8, bigint, boolean) IS
	'Per unit: nominal competition rank and the mean, median, 5th and 95th percentile (type 7) rank and the share of draws keeping the nominal rank, over draws of weights each multiplied by a uniform factor in [1 - f, 1 + f] (seeded xoshiro256**), optionally swapping arithmetic and geometric means on a coin flip per draw';

-- Sensitivity: each node of a level left out in turn.  The SQL functions
-- here have bodies bound at creation (BEGIN ATOMIC), so they work under any
-- search_path (postgres_fdw and Citus sessions run with pg_catalog only).
CREATE FUNCTION drop_one(fw framework, units text[], cards scorecard[], level integer)
	RETURNS TABLE (dropped indicator_code, unit text, nominal_rank integer,
		rank_without integer, rank_change integer)
	AS 'MODULE_PATHNAME', 'framework_drop_one' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION drop_one(framework, text[], scorecard[], integer) IS
	'For each node at the level, its weight set to 0 (its siblings renormalised by the parent''s missing rule): every unit''s nominal rank, rank without the node and rank_change = nominal_rank - rank_without (positive: the unit climbs)';

CREATE FUNCTION drop_one_summary(fw framework, units text[], cards scorecard[], level integer)
	RETURNS TABLE (dropped indicator_code, mean_abs_change float8, max_abs_change integer,
		units_moved bigint)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT d.dropped, avg(abs(d.rank_change))::float8, max(abs(d.rank_change)),
		count(*) FILTER (WHERE d.rank_change <> 0)
	FROM drop_one(fw, units, cards, level) d
	GROUP BY d.dropped
	ORDER BY 2 DESC, 1;
END;
COMMENT ON FUNCTION drop_one_summary(framework, text[], scorecard[], integer) IS
	'Per node of the level: the mean and largest absolute rank change when it is dropped and how many units move, the node that moves the ranking most first';

-- What moved a unit's score between two scorecards.
CREATE FUNCTION top_contributors(a scorecard, b scorecard, n integer DEFAULT 5, level integer DEFAULT NULL)
	RETURNS TABLE (code indicator_code, value_a float8, value_b float8, contribution float8,
		points float8, share float8)
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT e.code, e.value_a, e.value_b, e.contribution,
		e.contribution * (SELECT s.max_points FROM scorecard_nodes(b) s WHERE s.level = 1),
		e.share
	FROM explain_change(a, b) e
	WHERE CASE WHEN top_contributors.level IS NULL THEN e.is_leaf ELSE e.level = top_contributors.level END
	ORDER BY abs(e.contribution) DESC, e.code
	LIMIT n;
END;
COMMENT ON FUNCTION top_contributors(scorecard, scorecard, integer, integer) IS
	'The n indicators (leaves, or the nodes of a level) that contributed most to the change of the root from a to b: contribution in value, in points (times the root''s max points, NULL without them) and as a share of the change';
