-- The scoring pipeline: current verified values -> leaf scores (each leaf's
-- scoring_rule; relative rules with the statistics of their indicator and
-- period) -> one scorecard per unit and period (rollup over the compiled
-- framework) -> ranks of every inner node at the published precision.
-- Results are published by dti.refresh() (70_refresh.sql).

------------------------------------------------------------------------------
-- Frameworks as trees for rollup()
------------------------------------------------------------------------------

-- The method of the core's rollup() for an aggregation name of the warehouse.
CREATE FUNCTION dti.rollup_method(aggregation text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE aggregation
		WHEN 'sum_points' THEN 'points'
		WHEN 'weighted_mean' THEN 'amean'
		WHEN 'mean' THEN 'amean'
		WHEN 'geometric_mean' THEN 'gmean'
		WHEN 'harmonic_mean' THEN 'hmean'
	END;
END;
COMMENT ON FUNCTION dti.rollup_method(text) IS
	'The rollup() method (points, amean, gmean, hmean) of a warehouse aggregation name';

-- The compiled tree of a framework: its indicators under a root named DTI
-- (the index).  A node's parent is parent(code) when that is an indicator of
-- the framework, else the root.  Unscored nodes count 0 in their parent;
-- an inner node without max points under a points parent gets the sum of
-- its children's; children of a "mean" node have equal weights.
-- The core's type "framework" is shadowed here by the row type of the table
-- dti.framework, so the function is created with the core's schema spelled
-- out (the core is relocatable; this finds where it was installed).
DO $do$
DECLARE
	core text := (SELECT quote_ident(n.nspname) FROM pg_catalog.pg_extension e
				  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'dti');
BEGIN
	EXECUTE format($fn$CREATE FUNCTION dti.framework_tree(framework_id integer) RETURNS %s
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	WITH f AS (
		SELECT * FROM dti.framework WHERE id = framework_tree.framework_id
	), node AS (
		SELECT i.code,
			   CASE WHEN p.code IS NULL THEN 'DTI'::indicator_code ELSE p.code END AS parent,
			   coalesce(p.aggregation, f.aggregation) AS parent_aggregation,
			   i.max_points, i.weight, i.scored, i.aggregation,
			   EXISTS (SELECT 1 FROM dti.framework_indicator c
					   WHERE c.framework_id = i.framework_id AND parent(c.code) = i.code) AS inner_node
		FROM f
		JOIN dti.framework_indicator i ON i.framework_id = f.id
		LEFT JOIN dti.framework_indicator p ON p.framework_id = i.framework_id AND p.code = parent(i.code)
	)
	SELECT %s.framework_compile(
		'DTI'::indicator_code || array_agg(n.code ORDER BY n.code),
		NULL::indicator_code || array_agg(n.parent ORDER BY n.code),
		(SELECT f.max_points FROM f) || array_agg(
			CASE WHEN NOT n.scored THEN 0
				 WHEN n.inner_node AND n.max_points = 0 THEN NULL
				 ELSE n.max_points END ORDER BY n.code),
		NULL::float8 || array_agg(
			CASE WHEN NOT n.scored THEN 0
				 WHEN n.parent_aggregation = 'mean' THEN 1
				 WHEN n.inner_node AND n.max_points = 0 THEN coalesce(n.weight, 1)
				 ELSE n.weight END ORDER BY n.code),
		(SELECT dti.rollup_method(f.aggregation) FROM f) || array_agg(
			CASE WHEN n.inner_node THEN dti.rollup_method(n.aggregation) END ORDER BY n.code))
	FROM node n;
END;$fn$, core || '.framework', core);
END $do$;
COMMENT ON FUNCTION dti.framework_tree(integer) IS
	'The framework (indicator tree under a root named DTI) that rollup() evaluates for a warehouse framework';

-- Does a framework score any leaf relative to the other units (so that a
-- change to one unit changes every unit's scores)?
CREATE FUNCTION dti.framework_is_relative(framework_id integer) RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT EXISTS (
		SELECT 1 FROM dti.framework_indicator i
		WHERE i.framework_id = framework_is_relative.framework_id
		  AND scoring_rule_kind(i.rule) IN ('best', 'minmax', 'zscore', 'rank', 'prank', 'borda'));
END;
COMMENT ON FUNCTION dti.framework_is_relative(integer) IS
	'True when some leaf of the framework is scored relative to the other units (best, minmax, zscore, rank, prank, borda)';

-- The previous period of the same kind: 2023 for 2024, 2024-Q4 for 2025-Q1,
-- 2024-12 for 2025-01.
CREATE FUNCTION dti.previous_period(label text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE dti.period_kind(label)
		WHEN 'year' THEN (substr(label, 1, 4)::integer - 1)::text
		WHEN 'quarter' THEN to_char(dti.period_start(label) - interval '3 months', 'YYYY') || '-Q'
			|| extract(quarter FROM dti.period_start(label) - interval '3 months')
		WHEN 'month' THEN to_char(dti.period_start(label) - interval '1 month', 'YYYY-MM')
	END;
END;
COMMENT ON FUNCTION dti.previous_period(text) IS 'The period before a period, of the same kind';

------------------------------------------------------------------------------
-- Inputs: current verified values
------------------------------------------------------------------------------

-- The pipeline reads one period at a time.
CREATE INDEX submission_period_idx ON dti.submission (period, unit_id, indicator, id);

-- The current verified value of each indicator of the given units (all
-- units when unit_ids is NULL) in one period: the newest revision whose
-- newest status is verified.  Reads the tables directly, using the indexes
-- on (unit_id, period, indicator, id) and (submission_id, id).
CREATE FUNCTION dti.verified_values(period text, unit_ids integer[] DEFAULT NULL)
RETURNS TABLE (unit_id integer, indicator indicator_code, raw_value text, value float8)
LANGUAGE sql STABLE CALLED ON NULL INPUT PARALLEL SAFE
BEGIN ATOMIC
	SELECT DISTINCT ON (s.unit_id, s.indicator) s.unit_id, s.indicator, s.raw_value, s.value
	FROM dti.submission s
	JOIN LATERAL (
		SELECT t.status FROM dti.submission_status t
		WHERE t.submission_id = s.id ORDER BY t.id DESC LIMIT 1) st ON true
	WHERE s.period = verified_values.period
	  AND (verified_values.unit_ids IS NULL OR s.unit_id = ANY (verified_values.unit_ids))
	  AND st.status = 'verified'
	ORDER BY s.unit_id, s.indicator, s.id DESC;
END;
COMMENT ON FUNCTION dti.verified_values(text, integer[]) IS
	'Current verified raw and numeric values per unit and indicator in one period (newest revision whose newest status is verified)';

------------------------------------------------------------------------------
-- Results
------------------------------------------------------------------------------

CREATE TABLE dti.result_scorecard (
	period text NOT NULL,
	unit_id integer NOT NULL REFERENCES dti.unit (id),
	framework_id integer NOT NULL REFERENCES dti.framework (id),
	scorecard scorecard NOT NULL,
	root_value float8,
	run_id bigint NOT NULL,
	PRIMARY KEY (period, unit_id)
);
CREATE INDEX ON dti.result_scorecard (unit_id, period);
COMMENT ON TABLE dti.result_scorecard IS
	'Published scorecards: one per unit and period, written by dti.refresh() only';
COMMENT ON COLUMN dti.result_scorecard.scorecard IS 'The whole index tree of the unit (see scorecard_nodes())';
COMMENT ON COLUMN dti.result_scorecard.root_value IS 'The index value, unrounded';
COMMENT ON COLUMN dti.result_scorecard.run_id IS 'The refresh run that wrote the row (dti.refresh_log)';

CREATE TABLE dti.result_rank (
	period text NOT NULL,
	unit_id integer NOT NULL REFERENCES dti.unit (id),
	framework_id integer NOT NULL REFERENCES dti.framework (id),
	code indicator_code NOT NULL,
	level integer NOT NULL,
	value float8,
	rank integer,
	group_rank integer,
	PRIMARY KEY (period, unit_id, code)
);
CREATE INDEX ON dti.result_rank (period, framework_id, code, rank);
COMMENT ON TABLE dti.result_rank IS
	'Published ranks of the index and of every inner node and main indicator per unit and period, written by dti.refresh() only';
COMMENT ON COLUMN dti.result_rank.rank IS
	'Competition rank ("1224") among the units of the period and framework, on the value rounded to 4 decimals, highest first; NULL when the value is NULL';
COMMENT ON COLUMN dti.result_rank.group_rank IS
	'The same rank within the unit''s parent group: its socio-economic region (provinces) or its ministry group (ministries)';

-- Score the leaves of the given units (all when NULL) in one period and
-- write their scorecards.  Relative rules see every unit of the period, so
-- callers pass NULL for frameworks with relative rules.
CREATE FUNCTION dti.compute_scorecards(period text, framework_id integer, unit_ids integer[], run_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
DECLARE
	written bigint;
BEGIN
	IF unit_ids IS NULL THEN
		DELETE FROM dti.result_scorecard r
		WHERE r.period = compute_scorecards.period AND r.framework_id = compute_scorecards.framework_id;
	ELSE
		DELETE FROM dti.result_scorecard r
		WHERE r.period = compute_scorecards.period AND r.unit_id = ANY (unit_ids);
	END IF;
	INSERT INTO dti.result_scorecard (period, unit_id, framework_id, scorecard, root_value, run_id)
	SELECT compute_scorecards.period, s.unit_id, compute_scorecards.framework_id, s.sc, root_value(s.sc),
		   compute_scorecards.run_id
	FROM (
		SELECT l.unit_id, rollup((SELECT dti.framework_tree(compute_scorecards.framework_id)), l.indicator, l.score) AS sc
		FROM (
			SELECT v.unit_id, v.indicator,
				   CASE
					   WHEN i.rule IS NULL THEN v.value
					   -- window functions run for every row: give rank_score a
					   -- rank rule everywhere, and use it only where it applies
					   WHEN scoring_rule_kind(i.rule) IN ('rank', 'prank', 'borda')
						   THEN rank_score(CASE WHEN scoring_rule_kind(i.rule) IN ('rank', 'prank', 'borda')
												THEN i.rule ELSE 'rank'::scoring_rule END, v.value) OVER w
					   WHEN scoring_rule_kind(i.rule) = 'grade' THEN score(i.rule, v.raw_value)
					   ELSE score(i.rule, v.value, indicator_stats(v.value) OVER w)
				   END AS score
			FROM dti.verified_values(compute_scorecards.period, unit_ids) v
			JOIN dti.unit u ON u.id = v.unit_id
			JOIN dti.framework f ON f.id = compute_scorecards.framework_id AND f.level = u.level
			JOIN dti.framework_indicator i ON i.framework_id = f.id AND i.code = v.indicator
			WHERE NOT EXISTS (SELECT 1 FROM dti.framework_indicator c
							  WHERE c.framework_id = i.framework_id AND parent(c.code) = i.code)
			WINDOW w AS (PARTITION BY v.indicator)
		) l
		GROUP BY l.unit_id
	) s;
	GET DIAGNOSTICS written = ROW_COUNT;
	RETURN written;
END $$;
COMMENT ON FUNCTION dti.compute_scorecards(text, integer, integer[], bigint) IS
	'Internal to dti.refresh(): scores the leaves and writes the scorecards of one period and framework (of the given units, or all)';

-- Rank every inner node (and every main indicator) of every unit of one
-- period and framework, at the published 4 decimals (rank_rounded, the
-- core's competition rank of rounded values).  When only some units
-- changed, the others' values are read from the published ranks instead of
-- their scorecards.  Only rows whose rank changed are written, so that a
-- change to one unit touches few rows.
CREATE FUNCTION dti.compute_ranks(period text, framework_id integer, changed_units integer[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
DECLARE
	changed bigint;
	removed bigint;
BEGIN
	IF to_regclass('pg_temp.dti_new_rank') IS NULL THEN
		CREATE TEMP TABLE dti_new_rank (LIKE dti.result_rank, PRIMARY KEY (unit_id, code)) ON COMMIT DROP;
	END IF;
	TRUNCATE pg_temp.dti_new_rank;
	INSERT INTO pg_temp.dti_new_rank
	SELECT x.period, x.unit_id, x.framework_id, x.code, x.level, x.value,
		   rank_rounded(x.value, 4) OVER (PARTITION BY x.code),
		   rank_rounded(x.value, 4) OVER (PARTITION BY x.code, x.parent_id)
	FROM (
		SELECT r.period, r.unit_id, r.framework_id, n.code, n.level, n.value, u.parent_id
		FROM dti.result_scorecard r
		JOIN dti.unit u ON u.id = r.unit_id
		CROSS JOIN LATERAL scorecard_nodes(r.scorecard) n
		WHERE r.period = compute_ranks.period AND r.framework_id = compute_ranks.framework_id
		  AND (compute_ranks.changed_units IS NULL OR r.unit_id = ANY (compute_ranks.changed_units))
		  AND (n.method IS NOT NULL OR n.level <= 2)
		UNION ALL
		SELECT o.period, o.unit_id, o.framework_id, o.code, o.level, o.value, u.parent_id
		FROM dti.result_rank o
		JOIN dti.unit u ON u.id = o.unit_id
		WHERE compute_ranks.changed_units IS NOT NULL
		  AND o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id
		  AND NOT (o.unit_id = ANY (compute_ranks.changed_units))
	) x;
	ANALYZE pg_temp.dti_new_rank;
	DELETE FROM dti.result_rank o
	WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id
	  AND NOT EXISTS (SELECT 1 FROM pg_temp.dti_new_rank x WHERE x.unit_id = o.unit_id AND x.code = o.code);
	GET DIAGNOSTICS removed = ROW_COUNT;
	-- only new rows and rows whose rank or value changed reach the upsert
	INSERT INTO dti.result_rank AS o
	SELECT x.* FROM pg_temp.dti_new_rank x
	LEFT JOIN dti.result_rank p ON p.period = x.period AND p.unit_id = x.unit_id AND p.code = x.code
	WHERE p.unit_id IS NULL
	   OR (p.framework_id, p.level, p.value, p.rank, p.group_rank)
		  IS DISTINCT FROM (x.framework_id, x.level, x.value, x.rank, x.group_rank)
	ON CONFLICT ON CONSTRAINT result_rank_pkey DO UPDATE
		SET framework_id = excluded.framework_id, level = excluded.level, value = excluded.value,
			rank = excluded.rank, group_rank = excluded.group_rank;
	GET DIAGNOSTICS changed = ROW_COUNT;
	TRUNCATE pg_temp.dti_new_rank;
	RETURN changed + removed;
END $$;
COMMENT ON FUNCTION dti.compute_ranks(text, integer, integer[]) IS
	'Internal to dti.refresh(): ranks every inner node and main indicator of one period and framework (re-reading only the changed units'' scorecards), writing only the rows that changed';
