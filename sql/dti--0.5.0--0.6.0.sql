-- dti 0.5.0 -> 0.6.0: drop_one_summary() and top_contributors() get bodies
-- bound at creation (BEGIN ATOMIC) instead of SQL text resolved through the
-- caller's search_path, which failed in sessions whose search_path does not
-- hold the extension's schema (postgres_fdw and Citus sessions run with
-- search_path = pg_catalog); scorecard_nodes(sc, leaf_level) for the inner
-- nodes without a row per leaf.
\echo Use "ALTER EXTENSION dti UPDATE TO '0.6.0'" to load this file. \quit

DROP FUNCTION drop_one_summary(framework, text[], scorecard[], integer);
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

DROP FUNCTION top_contributors(scorecard, scorecard, integer, integer);
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

-- Inner nodes without a row per leaf.
CREATE FUNCTION scorecard_nodes(sc scorecard, leaf_level integer,
	OUT code indicator_code, OUT parent indicator_code, OUT level integer, OUT method text,
	OUT value float8, OUT points float8, OUT max_points float8, OUT weight float8,
	OUT present integer, OUT expected integer)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'scorecard_nodes' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION scorecard_nodes(scorecard, integer) IS
	'The inner nodes of a scorecard and its leaves down to the given level (0: inner nodes only), in preorder, with the columns of scorecard_nodes(sc): what ranks and reports of inner nodes read, without a row per leaf';
