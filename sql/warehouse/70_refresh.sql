-- Refresh: what changed is queued by triggers; CALL dti.refresh() recomputes
-- it and publishes the results in one transaction, logs every run, skips
-- locked periods, and can be scheduled nightly with pg_cron.

------------------------------------------------------------------------------
-- The queue of changes
------------------------------------------------------------------------------

CREATE SEQUENCE dti.refresh_queue_id_seq;
CREATE TABLE dti.refresh_queue (
	id bigint PRIMARY KEY DEFAULT nextval('dti.refresh_queue_id_seq'),
	period text,
	unit_id integer,
	whole boolean NOT NULL DEFAULT false,
	reason text NOT NULL,
	queued_at timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE dti.refresh_queue_id_seq OWNED BY dti.refresh_queue.id;
COMMENT ON SEQUENCE dti.refresh_queue_id_seq IS 'Identifiers of dti.refresh_queue';
COMMENT ON TABLE dti.refresh_queue IS
	'What changed since the last successful refresh: a unit in a period (submissions, statuses), a whole period, or everything (period NULL: frameworks, units); filled by triggers, emptied by dti.refresh()';

-- New submissions and status changes queue their unit and period.
CREATE FUNCTION dti.queue_submission() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	INSERT INTO dti.refresh_queue (period, unit_id, reason)
	SELECT DISTINCT n.period, n.unit_id, 'submission' FROM new_rows n;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION dti.queue_submission() IS
	'Trigger function: queues the units and periods of new submissions for dti.refresh() (status changes are queued by dti.apply_status_events())';
REVOKE EXECUTE ON FUNCTION dti.queue_submission() FROM PUBLIC;
CREATE TRIGGER submission_queue AFTER INSERT ON dti.submission
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_submission();

-- Changes to frameworks and units queue everything.
CREATE FUNCTION dti.queue_everything() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	INSERT INTO dti.refresh_queue (period, whole, reason) VALUES (NULL, true, TG_TABLE_NAME);
	RETURN NULL;
END $$;
COMMENT ON FUNCTION dti.queue_everything() IS
	'Trigger function: a change to frameworks or units queues every period for dti.refresh()';
REVOKE EXECUTE ON FUNCTION dti.queue_everything() FROM PUBLIC;

-- Indicators of a framework changed: the periods of the years it assesses
-- (none while it is not in use: a new version being prepared).
CREATE FUNCTION dti.queue_framework_indicator() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		INSERT INTO dti.refresh_queue (period, whole, reason)
		SELECT DISTINCT p.label, true, 'framework_indicator'
		FROM old_rows o JOIN dti.framework_in_use fu ON fu.framework_id = o.framework_id
		JOIN dti.period p ON p.year = fu.year;
	ELSE
		INSERT INTO dti.refresh_queue (period, whole, reason)
		SELECT DISTINCT p.label, true, 'framework_indicator'
		FROM new_rows o JOIN dti.framework_in_use fu ON fu.framework_id = o.framework_id
		JOIN dti.period p ON p.year = fu.year;
	END IF;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION dti.queue_framework_indicator() IS
	'Trigger function: changed indicators of a framework queue the periods of the years that framework assesses, whole, for dti.refresh()';
REVOKE EXECUTE ON FUNCTION dti.queue_framework_indicator() FROM PUBLIC;
CREATE TRIGGER framework_indicator_queue AFTER INSERT ON dti.framework_indicator
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_framework_indicator();
CREATE TRIGGER framework_indicator_queue_update AFTER UPDATE ON dti.framework_indicator
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_framework_indicator();
CREATE TRIGGER framework_indicator_queue_delete AFTER DELETE ON dti.framework_indicator
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_framework_indicator();
CREATE TRIGGER framework_queue AFTER UPDATE ON dti.framework
	FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_everything();
CREATE TRIGGER unit_queue AFTER INSERT OR UPDATE OR DELETE ON dti.unit
	FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_everything();

-- A framework assigned to years queues the periods of those years only
-- (a new version for next year leaves announced years alone).
CREATE FUNCTION dti.queue_framework_use() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	INSERT INTO dti.refresh_queue (period, whole, reason)
	SELECT DISTINCT p.label, true, 'framework_use' FROM new_rows n JOIN dti.period p ON p.year = n.year;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION dti.queue_framework_use() IS
	'Trigger function: a framework assigned to years queues the periods of those years, whole, for dti.refresh()';
REVOKE EXECUTE ON FUNCTION dti.queue_framework_use() FROM PUBLIC;
CREATE TRIGGER framework_use_queue AFTER INSERT ON dti.framework_use
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_framework_use();
------------------------------------------------------------------------------
-- Locked periods and the log
------------------------------------------------------------------------------

CREATE TABLE dti.period_lock (
	period text PRIMARY KEY REFERENCES dti.period (label),
	locked_by name NOT NULL DEFAULT current_user,
	locked_at timestamptz NOT NULL DEFAULT now(),
	reason text NOT NULL
);
COMMENT ON TABLE dti.period_lock IS
	'Published periods locked by an admin: refresh does not recompute them; late corrections stay queued and are reported as pending';

CREATE FUNCTION dti.lock_period(period text, reason text) RETURNS void
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM dti.period p WHERE p.label = lock_period.period) THEN
		RAISE EXCEPTION 'unknown period "%"', lock_period.period
			USING ERRCODE = 'no_data_found', HINT = 'Periods are the labels of dti.period (2024, 2024-Q1, 2024-03).';
	END IF;
	INSERT INTO dti.period_lock (period, reason) VALUES (lock_period.period, lock_period.reason)
	ON CONFLICT ON CONSTRAINT period_lock_pkey DO NOTHING;
END $$;
COMMENT ON FUNCTION dti.lock_period(text, text) IS
	'Locks a published period: dti.refresh() leaves its results as they are until dti.unlock_period()';

CREATE FUNCTION dti.unlock_period(period text) RETURNS void
LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
BEGIN ATOMIC
	DELETE FROM dti.period_lock l WHERE l.period = unlock_period.period;
END;
COMMENT ON FUNCTION dti.unlock_period(text) IS
	'Unlocks a period; the changes queued meanwhile are applied by the next refresh';

CREATE SEQUENCE dti.refresh_log_id_seq;
CREATE TABLE dti.refresh_log (
	id bigint PRIMARY KEY DEFAULT nextval('dti.refresh_log_id_seq'),
	started_at timestamptz NOT NULL,
	ended_at timestamptz,
	requested_period text,
	requested_framework integer,
	periods text[],
	whole_periods text[],
	pending_periods text[],
	scorecards bigint,
	ranks bigint,
	outcome text NOT NULL CHECK (outcome IN ('running', 'ok', 'failed', 'skipped')),
	error text,
	sqlstate text,
	run_by name NOT NULL DEFAULT current_user,
	failures jsonb
);
ALTER SEQUENCE dti.refresh_log_id_seq OWNED BY dti.refresh_log.id;
COMMENT ON SEQUENCE dti.refresh_log_id_seq IS 'Identifiers of dti.refresh_log (run numbers)';
COMMENT ON TABLE dti.refresh_log IS 'One row per dti.refresh() run';
COMMENT ON COLUMN dti.refresh_log.periods IS 'The periods this run recomputed and committed';
COMMENT ON COLUMN dti.refresh_log.pending_periods IS 'Periods with queued changes that this run left queued because they are locked (announced)';
COMMENT ON COLUMN dti.refresh_log.outcome IS 'running, ok, failed (some period failed: see failures; the other periods were committed; or the run was interrupted, as the next run records) or skipped (another refresh was running)';
COMMENT ON COLUMN dti.refresh_log.failures IS 'One object per failed period: period, sqlstate and message; their queued changes stay queued';

------------------------------------------------------------------------------
-- CALL dti.refresh()
------------------------------------------------------------------------------

-- Only a table's owner may analyse it; the refresh runs as an admin.
CREATE FUNCTION dti.analyze_results() RETURNS void
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	ANALYZE dti.result_scorecard, dti.result_rank;
END $$;
COMMENT ON FUNCTION dti.analyze_results() IS
	'Internal: refreshes the planner statistics of the result tables (dti.result_scorecard, dti.result_rank) as their owner; called by dti.refresh() after a run that recomputed a period whole and changed its ranks, or changed many rows';
REVOKE EXECUTE ON FUNCTION dti.analyze_results() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.analyze_results() TO dti_admin;

-- The work of a run: (period, framework) pairs with the units to redo
-- (NULL: all), from the queue rows the run saw, or from the period or
-- framework asked for.  Queue rows meaning "everything" (period NULL) are
-- first turned into one row per period with submissions, so that a period
-- that is locked or fails keeps its own row.  A period asked for whole is
-- assessed by the framework in use for each level with a submission in it:
-- those levels are found once per period, not once per queue row, and only
-- in the periods that have a submission at all (a framework change queues
-- every period of its years, quarters and months among them, most without
-- any): a look at the period's first submission, then the units of each
-- level in use, one look each at their submissions of the period, up to
-- the first that has one.  Both are lookups by index of a few rows
-- whatever the size of dti.submission (a join would let the planner scan
-- the table, or every unit of a level in a period without submissions).
CREATE FUNCTION dti.refresh_plan(for_period text, for_framework integer)
RETURNS TABLE (period text, framework_id integer, unit_ids integer[], whole boolean, queue_ids bigint[])
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
BEGIN
	IF refresh_plan.for_period IS NULL AND refresh_plan.for_framework IS NULL
	   AND EXISTS (SELECT 1 FROM dti.refresh_queue q WHERE q.period IS NULL) THEN
		WITH everything AS (
			DELETE FROM dti.refresh_queue q WHERE q.period IS NULL RETURNING q.reason
		)
		INSERT INTO dti.refresh_queue (period, whole, reason)
		SELECT s.period, true, (SELECT string_agg(DISTINCT e.reason, ', ') FROM everything e)
		FROM dti.submitted_periods() s(period)
		WHERE EXISTS (SELECT 1 FROM everything);
	END IF;
	RETURN QUERY
	WITH requested AS (
		-- explicit period or framework: those periods, whole
		SELECT s.period, NULL::integer AS unit_id, true AS whole, NULL::bigint AS queue_id
		FROM dti.submitted_periods() s(period)
		WHERE (refresh_plan.for_period IS NOT NULL OR refresh_plan.for_framework IS NOT NULL)
		  AND (refresh_plan.for_period IS NULL OR s.period = refresh_plan.for_period)
		UNION ALL
		-- the queue rows committed now (ids are drawn before commit, so a
		-- lower id may still commit later: the run takes exactly these
		-- rows); a run for one framework leaves the queue alone
		SELECT q.period, q.unit_id, q.whole, q.id FROM dti.refresh_queue q
		WHERE q.period IS NOT NULL AND refresh_plan.for_framework IS NULL
		  AND (refresh_plan.for_period IS NULL OR q.period = refresh_plan.for_period)
	), per_unit AS MATERIALIZED (
		SELECT r.period, p.year, u.level, r.unit_id, r.whole, r.queue_id
		FROM requested r
		JOIN dti.period p ON p.label = r.period
		LEFT JOIN dti.unit u ON u.id = r.unit_id
	), in_use AS MATERIALIZED (
		-- the framework in use for each level and year, and whether its
		-- rules (z-scores, rank rules) always take the period whole
		SELECT fu.year, fu.level, fu.framework_id,
			   coalesce((SELECT bool_or(scoring_rule_kind(i.rule) IN ('zscore', 'rank', 'prank', 'borda'))
						 FROM dti.framework_indicator i WHERE i.framework_id = fu.framework_id), false) AS whole_only
		FROM dti.framework_in_use fu
		WHERE fu.year IN (SELECT pu.year FROM per_unit pu)
	), submitted_levels AS MATERIALIZED (
		-- the levels in use with a submission in each period asked for
		-- without a unit
		SELECT c.period, c.level
		FROM (SELECT DISTINCT pu.period, f.level
			  FROM per_unit pu JOIN in_use f ON f.year = pu.year
			  WHERE pu.unit_id IS NULL) c
		-- (in the order of an index that starts with the period: a scan
		-- of the table until a row of the period comes up, which the
		-- planner would take for a period with submissions as likely as
		-- any other's, reads the whole table for a period without)
		CROSS JOIN LATERAL (SELECT 1 FROM dti.submission s WHERE s.period = c.period
							ORDER BY s.period, s.unit_id LIMIT 1) any_submission
		CROSS JOIN LATERAL (
			SELECT 1 FROM dti.unit u
			CROSS JOIN LATERAL (SELECT 1 FROM dti.submission s
								WHERE s.unit_id = u.id AND s.period = c.period LIMIT 1) own
			WHERE u.level = c.level LIMIT 1) at_level
	), with_fw AS (
		-- a whole period covers every level assessed in it; a queue row
		-- that no framework assesses gets framework NULL (nothing to do)
		SELECT pu.period, f.framework_id, pu.unit_id, pu.whole, pu.queue_id, f.whole_only
		FROM per_unit pu
		LEFT JOIN in_use f ON f.year = pu.year
			AND (pu.level = f.level OR (pu.unit_id IS NULL AND EXISTS (
				SELECT 1 FROM submitted_levels l WHERE l.period = pu.period AND l.level = f.level)))
		WHERE refresh_plan.for_framework IS NULL OR f.framework_id = refresh_plan.for_framework
	)
	-- (frameworks whose relative rules are all min-max or best rules keep
	-- their units: dti.refresh() decides with dti.keep_leaf_ranges())
	SELECT wf.period, wf.framework_id,
		   CASE WHEN bool_or(wf.whole) OR bool_or(coalesce(wf.whole_only, false)) THEN NULL
				ELSE array_agg(DISTINCT wf.unit_id) END,
		   bool_or(wf.whole) OR bool_or(coalesce(wf.whole_only, false)),
		   array_remove(array_agg(DISTINCT wf.queue_id), NULL)
	FROM with_fw wf
	GROUP BY wf.period, wf.framework_id
	ORDER BY wf.period, wf.framework_id;
END $$;
COMMENT ON FUNCTION dti.refresh_plan(text, integer) IS
	'Internal to dti.refresh(): the (period, framework) pairs to recompute, the units to redo (NULL: all) and the queue rows they answer (framework NULL: rows no framework assesses)';
REVOKE EXECUTE ON FUNCTION dti.refresh_plan(text, integer) FROM PUBLIC;

------------------------------------------------------------------------------
-- A whole period in three steps: statistics, scoring, publication
------------------------------------------------------------------------------
-- A period recomputed whole (the nightly run, a framework change, a relative
-- rule) is computed by dti.compute_period(): the statistics of the leaves
-- over all units of the period (dti.leaf_statistics(), frameworks with
-- relative rules only), then the scorecards of every unit in one statement
-- (dti.stage_period(), which can run in parallel workers: it reads only
-- shared tables), then the scorecards and the ranks written from those
-- staged scorecards, without reading the published scorecards back.  The
-- ranks are computed on one array of node values per unit
-- (dti.staged_ranks()), and written once, in key order.

-- The ranges that min-max and best rules scored a period against: per
-- leaf with such a rule, the smallest and largest value over the units of
-- the framework's level (what those rules read of the statistics: the
-- count only as "some value") and the units that hold them.  A revision
-- that leaves both ends where they are (the unit held neither, and its new
-- value lies within them) changes no other unit's score: dti.refresh() then
-- re-scores that unit alone against these ranges, as a recompute of the
-- period would, and re-ranks the period incrementally; otherwise the
-- period is recomputed whole, which writes the ranges anew.
CREATE TABLE dti.result_leaf_range (
	period text NOT NULL,
	framework_id integer NOT NULL,
	code indicator_code NOT NULL,
	lo float8,
	hi float8,
	lo_units integer[] NOT NULL,
	hi_units integer[] NOT NULL,
	PRIMARY KEY (period, framework_id, code)
);
COMMENT ON TABLE dti.result_leaf_range IS
	'Per period, framework and leaf scored by a min-max or best rule: the range of the values it was scored against and the units at its ends; written by dti.refresh() only (frameworks whose relative rules are all min-max or best)';
COMMENT ON COLUMN dti.result_leaf_range.lo IS 'The smallest current value of the leaf over the units of the framework''s level in the period';
COMMENT ON COLUMN dti.result_leaf_range.hi IS 'The largest one';
COMMENT ON COLUMN dti.result_leaf_range.lo_units IS 'The units whose value is lo (ids, ascending)';
COMMENT ON COLUMN dti.result_leaf_range.hi_units IS 'The units whose value is hi (ids, ascending)';

-- Can one period of a relative framework be re-scored for a few units
-- against the stored ranges?  Only when its relative rules are all min-max
-- or best rules (z-scores move with every value; rank rules rank every
-- unit), every such leaf has a stored range, and no unit given holds an end
-- of a range or has a value outside it now.  Then the ends are kept (with
-- the units now at an end added) and true is returned.
CREATE FUNCTION dti.keep_leaf_ranges(period text, framework_id integer, unit_ids integer[])
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
	IF EXISTS (SELECT 1 FROM dti.framework_indicator i
			   WHERE i.framework_id = keep_leaf_ranges.framework_id
				 AND scoring_rule_kind(i.rule) IN ('zscore', 'rank', 'prank', 'borda'))
	   OR EXISTS (SELECT 1 FROM dti.framework_indicator i
				  WHERE i.framework_id = keep_leaf_ranges.framework_id
					AND scoring_rule_kind(i.rule) IN ('minmax', 'best')
					AND NOT EXISTS (SELECT 1 FROM dti.result_leaf_range g
									WHERE g.period = keep_leaf_ranges.period
									  AND g.framework_id = keep_leaf_ranges.framework_id
									  AND g.code = i.code AND g.lo IS NOT NULL AND g.hi IS NOT NULL))
	   OR EXISTS (SELECT 1 FROM dti.result_leaf_range g
				  CROSS JOIN unnest(keep_leaf_ranges.unit_ids) AS c (unit_id)
				  LEFT JOIN dti.current_value v ON v.period = g.period AND v.unit_id = c.unit_id
					AND v.indicator = g.code
				  WHERE g.period = keep_leaf_ranges.period AND g.framework_id = keep_leaf_ranges.framework_id
					AND (c.unit_id = ANY (g.lo_units) OR c.unit_id = ANY (g.hi_units)
						 OR v.value < g.lo OR v.value > g.hi)) THEN
		RETURN false;
	END IF;
	-- (NaN sorts above every number, so it is outside every range)
	UPDATE dti.result_leaf_range g
	SET lo_units = ARRAY(SELECT DISTINCT x FROM unnest(g.lo_units || n.at_lo) x ORDER BY x),
		hi_units = ARRAY(SELECT DISTINCT x FROM unnest(g.hi_units || n.at_hi) x ORDER BY x)
	FROM (SELECT g2.code, array_agg(v.unit_id) FILTER (WHERE v.value = g2.lo) AS at_lo,
				 array_agg(v.unit_id) FILTER (WHERE v.value = g2.hi) AS at_hi
		  FROM dti.result_leaf_range g2
		  JOIN dti.current_value v ON v.period = g2.period AND v.indicator = g2.code
			AND v.unit_id = ANY (keep_leaf_ranges.unit_ids)
		  WHERE g2.period = keep_leaf_ranges.period AND g2.framework_id = keep_leaf_ranges.framework_id
			AND (v.value = g2.lo OR v.value = g2.hi)
		  GROUP BY g2.code) n
	WHERE g.period = keep_leaf_ranges.period AND g.framework_id = keep_leaf_ranges.framework_id
	  AND g.code = n.code;
	RETURN true;
END $$;
COMMENT ON FUNCTION dti.keep_leaf_ranges(text, integer, integer[]) IS
	'Internal to dti.refresh(): true (and the units now at an end of a range recorded) when the given units'' current values leave the ranges of the min-max and best leaves of one period and framework as they were, so that only those units need re-scoring; false when the period must be recomputed whole';
REVOKE EXECUTE ON FUNCTION dti.keep_leaf_ranges(text, integer, integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.keep_leaf_ranges(text, integer, integer[]) TO dti_admin;

-- Step 1: the statistics that relative rules score against, over every
-- unit of the framework's level in the period, one per leaf with a rule
-- (as the window over the period computed them before: the same rows).
CREATE FUNCTION dti.leaf_statistics(period text, framework_id integer)
RETURNS TABLE (code indicator_code, stats indicator_stats)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
	-- planned for the level and period at hand (as a prepared statement,
	-- planned once for any level, it probed the values unit by unit)
	RETURN QUERY EXECUTE format($q$
		SELECT v.indicator, indicator_stats(v.value)
		FROM dti.current_value v
		JOIN (SELECT l.code FROM dti.framework_indicator l
			  WHERE l.framework_id = $2
				AND l.rule IS NOT NULL AND scoring_rule_kind(l.rule) <> 'grade'
				AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator c
								WHERE c.framework_id = l.framework_id AND parent(c.code) = l.code)) l
			ON l.code = v.indicator
		WHERE v.period = $1
		  AND v.unit_id IN (SELECT u.id FROM dti.unit u WHERE u.level = %L)
		GROUP BY v.indicator$q$,
		(SELECT f.level FROM dti.framework f WHERE f.id = leaf_statistics.framework_id))
	USING period, framework_id;
END $$;
COMMENT ON FUNCTION dti.leaf_statistics(text, integer) IS
	'Internal to dti.refresh(): per leaf of a framework, indicator_stats() of the current verified values of every unit of its level in one period (what relative rules score against)';

-- The framework of dti.framework_tree() carrying each leaf's rule (the
-- core's type "framework" is shadowed by the row type of dti.framework:
-- created with the core's schema spelled out, as dti.framework_tree() is).
DO $do$
DECLARE
	core text := (SELECT quote_ident(n.nspname) FROM pg_catalog.pg_extension e
				  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'dti');
BEGIN
	EXECUTE format($fn$CREATE FUNCTION dti.framework_rules(framework_id integer, leaf_codes indicator_code[],
									  leaf_rules scoring_rule[]) RETURNS %s
LANGUAGE sql STABLE CALLED ON NULL INPUT PARALLEL SAFE
RETURN %s.framework_rules(dti.framework_tree(framework_id), leaf_codes, leaf_rules)$fn$, core || '.framework', core);
END $do$;
COMMENT ON FUNCTION dti.framework_rules(integer, indicator_code[], scoring_rule[]) IS
	'Internal to dti.refresh(): the framework of dti.framework_tree() with the given rules attached to its leaves (absolute, min-max, best and z-score rules)';
REVOKE EXECUTE ON FUNCTION dti.framework_rules(integer, indicator_code[], scoring_rule[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.framework_rules(integer, indicator_code[], scoring_rule[]) TO dti_admin;

-- Step 2, the values of the period, staged by dti.stage_period() in one
-- statement over the current values of the framework's level, grouped by
-- unit, into a temporary table.  The leaves, rules and statistics come in
-- as arrays, so that the statement reads only shared tables and can run in
-- parallel workers.
--   The fast form (vectors true; frameworks without grade rules: every
-- rule is one that the framework can carry, dti.framework_rules()): each
-- unit's leaf values collected into a leaf_vector (a parallel aggregate
-- whose partial states are values only) into dti_vector (unit_id, leaves);
-- the statistics of relative rules are then computed over those vectors,
-- without a second scan of the values (the same counts and extremes as
-- over the rows, and so the same min-max and best scores), and
-- dti.stage_composites() scores and rolls up each vector by the rules the
-- framework carries into dti_card.  Given the same statistics, the same
-- scorecards, bit for bit, as scoring each row and rolling the scores up.
--   The row form (vectors false; grade rules read the raw text): every
-- leaf value scored by its rule (with the leaf's statistics when given)
-- and each unit's scores rolled up the framework, into dti_card (unit_id,
-- parent_id, scorecard, vals: the values of the ranked nodes,
-- scorecard_values(sc, 2)).
CREATE FUNCTION dti.stage_period(period text, framework_id integer, leaf_codes indicator_code[],
								 leaf_rules scoring_rule[], leaf_stats indicator_stats[], vectors boolean)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	into_table text := CASE WHEN vectors THEN 'dti_vector' ELSE 'dti_card' END;
	staged bigint;
BEGIN
	IF to_regclass('pg_temp.' || into_table) IS NOT NULL THEN
		EXECUTE format('DROP TABLE pg_temp.%I', into_table);
	END IF;
	-- $1 the period, $2 the framework (carrying the rules in the fast
	-- form), $3-$5 the leaves, their rules and statistics, $6 whether
	-- statistics were given; the level as a constant, for the plan
	EXECUTE format($q$CREATE TEMP TABLE %I ON COMMIT DROP AS %s$q$, into_table, format(CASE WHEN vectors THEN $q$
		SELECT v.unit_id, leaf_vector($2, v.indicator, v.value) AS leaves
		FROM dti.current_value v
		WHERE v.period = $1 AND v.indicator = ANY ($3)
		  AND v.unit_id IN (SELECT u.id FROM dti.unit u WHERE u.level = %1$L)
		GROUP BY v.unit_id$q$ ELSE $q$
		SELECT s.unit_id, u.parent_id, s.sc AS scorecard, scorecard_values(s.sc, 2) AS vals
		FROM (
			SELECT v.unit_id, rollup($2, v.indicator,
				CASE WHEN l.rule IS NULL THEN v.value
					 WHEN scoring_rule_kind(l.rule) = 'grade' THEN score(l.rule, v.raw_value)
					 WHEN $6 THEN score(l.rule, v.value, l.stats)
					 ELSE score(l.rule, v.value) END) AS sc
			FROM dti.current_value v
			JOIN unnest($3, $4, $5) AS l (code, rule, stats) ON l.code = v.indicator
			WHERE v.period = $1
			  AND v.unit_id IN (SELECT u.id FROM dti.unit u WHERE u.level = %1$L)
			GROUP BY v.unit_id
		) s
		JOIN dti.unit u ON u.id = s.unit_id$q$ END,
		(SELECT f.level FROM dti.framework f WHERE f.id = stage_period.framework_id)))
	USING period,
		CASE WHEN vectors THEN dti.framework_rules(framework_id, leaf_codes, leaf_rules)
			 ELSE dti.framework_tree(framework_id) END,
		leaf_codes, leaf_rules,
		coalesce(leaf_stats, array_fill(NULL::indicator_stats, ARRAY[coalesce(cardinality(leaf_codes), 0)])),
		leaf_stats IS NOT NULL;
	GET DIAGNOSTICS staged = ROW_COUNT;
	IF NOT vectors THEN
		ANALYZE pg_temp.dti_card;
	END IF;
	RETURN staged;
END $$;
COMMENT ON FUNCTION dti.stage_period(text, integer, indicator_code[], scoring_rule[], indicator_stats[], boolean) IS
	'Internal to dti.refresh(): stages every unit of one period and framework in one statement (leaves, rules and statistics given as arrays): with vectors, the current values of the leaves collected into one leaf_vector per unit into the temporary table dti_vector; without, each value scored and each unit rolled up into the temporary table dti_card';

CREATE FUNCTION dti.stage_composites(framework_id integer, leaf_codes indicator_code[], leaf_rules scoring_rule[],
									 stats leaf_stats, publish_period text, run_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	staged bigint;
BEGIN
	IF to_regclass('pg_temp.dti_card') IS NOT NULL THEN
		DROP TABLE pg_temp.dti_card;
	END IF;
	IF publish_period IS NULL THEN
		-- (OFFSET 0: each unit scored once, not once per use of its scorecard)
		EXECUTE format($q$
			CREATE TEMP TABLE dti_card ON COMMIT DROP AS
			SELECT s.unit_id, u.parent_id, s.sc AS scorecard, scorecard_values(s.sc, 2) AS vals
			FROM (SELECT x.unit_id, composite($1, $2, x.leaves) AS sc FROM pg_temp.dti_vector x OFFSET 0) s
			JOIN dti.unit u ON u.id = s.unit_id$q$)
		USING dti.framework_rules(framework_id, leaf_codes, leaf_rules), stats;
	ELSE
		-- nothing published for the level in the period: the scorecards go
		-- straight to dti.result_scorecard, in unit order, and only the
		-- values of their ranked nodes are staged (without the scorecards,
		-- some kilobytes each, written and read back once more)
		CREATE TEMP TABLE dti_card (unit_id integer, parent_id integer, scorecard scorecard, vals float8[])
		ON COMMIT DROP;
		EXECUTE format($q$
			WITH s AS MATERIALIZED (
				SELECT x.unit_id, composite($1, $2, x.leaves) AS sc FROM pg_temp.dti_vector x
			), published AS (
				INSERT INTO dti.result_scorecard (period, unit_id, framework_id, scorecard, root_value, run_id)
				SELECT $3, s.unit_id, $4, s.sc, root_value(s.sc), $5 FROM s ORDER BY s.unit_id
			)
			INSERT INTO pg_temp.dti_card (unit_id, parent_id, vals)
			SELECT s.unit_id, u.parent_id, scorecard_values(s.sc, 2)
			FROM s JOIN dti.unit u ON u.id = s.unit_id$q$)
		USING dti.framework_rules(framework_id, leaf_codes, leaf_rules), stats, publish_period, framework_id, run_id;
	END IF;
	GET DIAGNOSTICS staged = ROW_COUNT;
	ANALYZE pg_temp.dti_card;
	RETURN staged;
END $$;
COMMENT ON FUNCTION dti.stage_composites(integer, indicator_code[], scoring_rule[], leaf_stats, text, bigint) IS
	'Internal to dti.refresh(): scores and rolls up the leaf vectors staged by dti.stage_period() by the rules the framework carries, under the given statistics, into the temporary table dti_card (as dti.stage_period() does without vectors); given a period (nothing published for the level in it yet), writes the scorecards to dti.result_scorecard at once and stages only their ranked values';

-- The rank rows of the staged scorecards: every inner node and main
-- indicator of every unit, ranked at the published 4 decimals nationally
-- and within the unit's parent group, as dti.ranked_nodes() ranks the
-- published scorecards.  All scorecards of a framework have the same nodes
-- in the same order, so one array of values per unit is ranked position by
-- position (rank_rounded_each(), the same ranks as rank_rounded() per
-- node), rather than a row per node sorted by node.  The rows come out in
-- the key order of dti.result_rank (node, then unit), so that writing a
-- period appends to its index.
CREATE FUNCTION dti.staged_nodes(period text, OUT codes indicator_code[], OUT levels integer[],
								 OUT by_code integer[])
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
	-- the nodes of a staged scorecard, or of a published one where only
	-- the values were staged (dti.stage_composites())
	SELECT array_agg(n.code ORDER BY n.ord), array_agg(n.level ORDER BY n.ord), array_agg(n.ord::integer ORDER BY n.code)
	INTO codes, levels, by_code
	FROM (SELECT coalesce(
			(SELECT c.scorecard FROM pg_temp.dti_card c WHERE c.scorecard IS NOT NULL LIMIT 1),
			(SELECT r.scorecard FROM dti.result_scorecard r
			 WHERE r.period = staged_nodes.period
			   AND r.unit_id = (SELECT c.unit_id FROM pg_temp.dti_card c LIMIT 1))) AS scorecard) c
	CROSS JOIN LATERAL scorecard_nodes(c.scorecard, 2) WITH ORDINALITY AS n (code, parent, level, method, value,
		points, max_points, weight, present, expected, ord);
END $$;
COMMENT ON FUNCTION dti.staged_nodes(text) IS
	'Internal to dti.refresh(): the ranked nodes (inner nodes and main indicators) of the scorecards staged in dti_card, in scorecard order: codes, levels, and their places in code order';

CREATE FUNCTION dti.staged_ranks(period text, framework_id integer)
RETURNS SETOF dti.result_rank
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	nodes record;
BEGIN
	nodes := dti.staged_nodes(period);
	IF nodes.codes IS NULL THEN
		RETURN;
	END IF;
	-- node after node in code order (by_code: the nodes' places in that
	-- order), each unit after unit: sorted on two integers
	RETURN QUERY
	SELECT staged_ranks.period, x.unit_id, staged_ranks.framework_id, nodes.codes[p.place], nodes.levels[p.place],
		   x.vals[p.place], x.ranks[p.place]::integer, x.group_ranks[p.place]::integer
	FROM (
		SELECT c.unit_id, c.vals,
			   rank_rounded_each(c.vals, 4) OVER () AS ranks,
			   rank_rounded_each(c.vals, 4) OVER (PARTITION BY c.parent_id) AS group_ranks
		FROM pg_temp.dti_card c
	) x
	CROSS JOIN unnest(nodes.by_code) WITH ORDINALITY AS p (place, k)
	ORDER BY p.k, x.unit_id;
END $$;
COMMENT ON FUNCTION dti.staged_ranks(text, integer) IS
	'Internal to dti.refresh(): the rank rows (every inner node and main indicator, national and group rank at 4 decimals) of the scorecards staged in dti_card (dti.stage_period(), dti.stage_composites())';

-- One period and framework, whole: the previous results of the level in
-- that period replaced by the new ones.  Frameworks with rank rules (rank,
-- prank, borda: a window over all values, not statistics) go the way of
-- dti.compute_scorecards() and dti.compute_ranks().  Returns the
-- scorecards written and the rank rows written or changed.
CREATE FUNCTION dti.compute_period(period text, framework_id integer, run_id bigint,
								   OUT scorecards bigint, OUT ranks bigint)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	fw_level text;
	leaf_codes indicator_code[];
	leaf_rules scoring_rule[];
	leaf_stats indicator_stats[];
	all_stats leaf_stats;
	vectors boolean;
	published boolean;
	nodes record;
	compression text := pg_catalog.current_setting('default_toast_compression');
BEGIN
	IF EXISTS (SELECT 1 FROM dti.framework_indicator i
			   WHERE i.framework_id = compute_period.framework_id
				 AND scoring_rule_kind(i.rule) IN ('rank', 'prank', 'borda')) THEN
		scorecards := dti.compute_scorecards(period, framework_id, NULL, run_id);
		ranks := dti.compute_ranks(period, framework_id, NULL);
		RETURN;
	END IF;
	SELECT f.level INTO fw_level FROM dti.framework f WHERE f.id = compute_period.framework_id;

	-- the leaves and their rules; step 1, the statistics (relative rules)
	SELECT array_agg(i.code ORDER BY i.code), array_agg(i.rule ORDER BY i.code)
	INTO leaf_codes, leaf_rules
	FROM dti.framework_indicator i
	WHERE i.framework_id = compute_period.framework_id
	  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator c
					  WHERE c.framework_id = i.framework_id AND parent(c.code) = i.code);
	DELETE FROM dti.result_leaf_range g
	WHERE g.period = compute_period.period
	  AND g.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level);
	-- the fast form, where the framework can carry every rule (grade rules
	-- read the raw text: scored row by row)
	vectors := NOT EXISTS (SELECT 1 FROM unnest(leaf_rules) r WHERE scoring_rule_kind(r) = 'grade');
	IF vectors THEN
		PERFORM dti.stage_period(period, framework_id, leaf_codes, leaf_rules, NULL, true);
	END IF;
	IF dti.framework_is_relative(framework_id) AND vectors THEN
		-- the statistics over the vectors, and each leaf's
		EXECUTE format('SELECT leaf_stats($1, x.leaves) FROM pg_temp.dti_vector x') INTO all_stats
		USING dti.framework_rules(framework_id, leaf_codes, leaf_rules);
		EXECUTE format($q$SELECT array_agg(CASE WHEN $1 IS NOT NULL THEN leaf_stats_of($1, $2, l.code) END ORDER BY l.ord)
				   FROM unnest($3) WITH ORDINALITY AS l (code, ord)$q$) INTO leaf_stats
		USING all_stats, dti.framework_rules(framework_id, leaf_codes, leaf_rules), leaf_codes;
	ELSIF dti.framework_is_relative(framework_id) THEN
		SELECT array_agg(s.stats ORDER BY l.ord) INTO leaf_stats
		FROM unnest(leaf_codes) WITH ORDINALITY AS l (code, ord)
		LEFT JOIN dti.leaf_statistics(period, framework_id) s ON s.code = l.code;
	END IF;
	IF dti.framework_is_relative(framework_id) THEN
		-- the ranges of min-max and best leaves, and the units at their
		-- ends, for re-scoring a few units later (dti.keep_leaf_ranges())
		IF NOT EXISTS (SELECT 1 FROM dti.framework_indicator i
					   WHERE i.framework_id = compute_period.framework_id
						 AND scoring_rule_kind(i.rule) IN ('zscore', 'rank', 'prank', 'borda')) THEN
			INSERT INTO dti.result_leaf_range (period, framework_id, code, lo, hi, lo_units, hi_units)
			SELECT compute_period.period, compute_period.framework_id, r.code, r.lo, r.hi,
				   ARRAY(SELECT DISTINCT x FROM unnest(r.at_lo) x WHERE x IS NOT NULL ORDER BY x),
				   ARRAY(SELECT DISTINCT x FROM unnest(r.at_hi) x WHERE x IS NOT NULL ORDER BY x)
			FROM (
				SELECT e.code, e.lo, e.hi,
					   array_agg(v.unit_id) FILTER (WHERE v.value = e.lo) AS at_lo,
					   array_agg(v.unit_id) FILTER (WHERE v.value = e.hi) AS at_hi
				FROM (SELECT l.code, stats_min(l.stats) AS lo, stats_max(l.stats) AS hi
					  FROM unnest(leaf_codes, leaf_rules, leaf_stats) AS l (code, rule, stats)
					  WHERE scoring_rule_kind(l.rule) IN ('minmax', 'best')) e
				LEFT JOIN dti.current_value v ON v.period = compute_period.period AND v.indicator = e.code
					AND (v.value = e.lo OR v.value = e.hi)
					AND v.unit_id IN (SELECT u.id FROM dti.unit u WHERE u.level = fw_level)
				GROUP BY e.code, e.lo, e.hi
			) r;
		END IF;
	END IF;

	-- step 2, the scoring.  The scorecards (some kilobytes each) are
	-- compressed once, when staged, and written to dti.result_scorecard as
	-- they are: with lz4 where the server has it, several times faster than
	-- the default pglz for the same values.
	BEGIN
		PERFORM pg_catalog.set_config('default_toast_compression', 'lz4', true);
	EXCEPTION WHEN invalid_parameter_value THEN
		NULL;  -- a server built without lz4 keeps its default
	END;
	-- (read in key order, from the period's first row: not a scan from the
	-- table's start, as the planner would do for EXISTS)
	published := (SELECT 1 FROM dti.result_scorecard r
				  WHERE r.period = compute_period.period
					AND r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level)
				  ORDER BY r.period, r.unit_id LIMIT 1) IS NOT NULL;
	IF vectors THEN
		PERFORM dti.stage_composites(framework_id, leaf_codes, leaf_rules, all_stats,
									 CASE WHEN NOT published THEN period END, run_id);
		DROP TABLE pg_temp.dti_vector;
	ELSE
		PERFORM dti.stage_period(period, framework_id, leaf_codes, leaf_rules, leaf_stats, false);
	END IF;
	PERFORM pg_catalog.set_config('default_toast_compression', compression, true);

	-- step 3, the results: the scorecards, then the ranks.  Scorecards are
	-- written where they changed only (a nightly run over unchanged data
	-- writes nothing): the previous results of the level in this period,
	-- also those of another framework that assessed it before, are removed
	-- where the unit has no scorecard now, replaced where theirs differs,
	-- and the new units' added.  scorecards counts the units scored.
	SELECT count(*) INTO scorecards FROM pg_temp.dti_card;
	IF published THEN
		DELETE FROM dti.result_scorecard r
		WHERE r.period = compute_period.period
		  AND r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level)
		  AND NOT EXISTS (SELECT 1 FROM pg_temp.dti_card c WHERE c.unit_id = r.unit_id);
		UPDATE dti.result_scorecard r
		SET framework_id = compute_period.framework_id, scorecard = c.scorecard,
			root_value = root_value(c.scorecard), run_id = compute_period.run_id
		FROM pg_temp.dti_card c
		WHERE r.period = compute_period.period AND r.unit_id = c.unit_id
		  AND (r.framework_id <> compute_period.framework_id
			   OR r.root_value IS DISTINCT FROM root_value(c.scorecard)
			   OR scorecard_send(r.scorecard) <> scorecard_send(c.scorecard));
		INSERT INTO dti.result_scorecard (period, unit_id, framework_id, scorecard, root_value, run_id)
		SELECT compute_period.period, c.unit_id, compute_period.framework_id, c.scorecard, root_value(c.scorecard),
			   compute_period.run_id
		FROM pg_temp.dti_card c
		WHERE NOT EXISTS (SELECT 1 FROM dti.result_scorecard r
						  WHERE r.period = compute_period.period AND r.unit_id = c.unit_id)
		ORDER BY c.unit_id;
	ELSIF NOT vectors THEN
		INSERT INTO dti.result_scorecard (period, unit_id, framework_id, scorecard, root_value, run_id)
		SELECT compute_period.period, c.unit_id, compute_period.framework_id, c.scorecard, root_value(c.scorecard),
			   compute_period.run_id
		FROM pg_temp.dti_card c ORDER BY c.unit_id;
	END IF;
	-- the ranks of the level in this period by another framework (an
	-- earlier version that assessed it before) go (a read of the period's
	-- ranks, spared where the level has no other framework)
	IF EXISTS (SELECT 1 FROM dti.framework f
			   WHERE f.level = fw_level AND f.id <> compute_period.framework_id) THEN
		DELETE FROM dti.result_rank r
		WHERE r.period = compute_period.period
		  AND r.framework_id <> compute_period.framework_id
		  AND r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level);
	END IF;
	IF (SELECT 1 FROM dti.result_rank o
		WHERE o.period = compute_period.period AND o.framework_id = compute_period.framework_id
		ORDER BY o.period, o.code, o.unit_id LIMIT 1) IS NOT NULL THEN
		-- ranked before: re-rank (from the staged scorecards), writing only
		-- what changed
		ranks := dti.compute_ranks(period, framework_id, NULL);
	ELSE
		-- ranked for the first time: every row, once, in key order (as
		-- dti.staged_ranks() gives them, without collecting them first)
		nodes := dti.staged_nodes(period);
		INSERT INTO dti.result_rank
		SELECT compute_period.period, x.unit_id, compute_period.framework_id, nodes.codes[p.place],
			   nodes.levels[p.place], x.vals[p.place], x.ranks[p.place]::integer, x.group_ranks[p.place]::integer
		FROM (
			SELECT c.unit_id, c.vals,
				   rank_rounded_each(c.vals, 4) OVER () AS ranks,
				   rank_rounded_each(c.vals, 4) OVER (PARTITION BY c.parent_id) AS group_ranks
			FROM pg_temp.dti_card c
		) x
		CROSS JOIN unnest(nodes.by_code) WITH ORDINALITY AS p (place, k)
		ORDER BY p.k, x.unit_id;
		GET DIAGNOSTICS ranks = ROW_COUNT;
	END IF;
	DROP TABLE pg_temp.dti_card;
END $$;
COMMENT ON FUNCTION dti.compute_period(text, integer, bigint) IS
	'Internal to dti.refresh(): recomputes one period and framework whole (each unit''s values collected into a leaf vector in one scan, the statistics over the vectors, each vector scored and rolled up by composite(); grade rules scored row by row; then scorecards and ranks written from the staged results); returns the scorecards written and the rank rows written or changed';
REVOKE EXECUTE ON FUNCTION dti.leaf_statistics(text, integer),
	dti.stage_period(text, integer, indicator_code[], scoring_rule[], indicator_stats[], boolean),
	dti.stage_composites(integer, indicator_code[], scoring_rule[], leaf_stats, text, bigint),
	dti.staged_nodes(text), dti.staged_ranks(text, integer), dti.compute_period(text, integer, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.leaf_statistics(text, integer),
	dti.stage_period(text, integer, indicator_code[], scoring_rule[], indicator_stats[], boolean),
	dti.stage_composites(integer, indicator_code[], scoring_rule[], leaf_stats, text, bigint),
	dti.staged_nodes(text), dti.staged_ranks(text, integer), dti.compute_period(text, integer, bigint) TO dti_admin;

CREATE PROCEDURE dti.refresh(period text DEFAULT NULL, framework_id integer DEFAULT NULL)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	saved_path text := pg_catalog.current_setting('search_path');
	own_transactions boolean;
	lock_key bigint;
	got_lock boolean;
	run bigint;
	p record;
	w record;
	done_periods text[] := '{}';
	v_whole text[] := '{}';
	pending text[] := '{}';
	failed jsonb := '[]';
	n_cards bigint := 0;
	n_ranks bigint := 0;
	c bigint;
	r bigint;
	msg text;
	state text;
BEGIN
	-- A procedure that commits cannot pin its search_path with a SET clause:
	-- it is set for each of its transactions instead (and given back to a
	-- caller whose transaction it runs in).
	PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
	-- A CALL that is the only statement of its transaction (the transaction
	-- started with it, and the query holds no other statement) may commit;
	-- otherwise (a transaction block, or several statements sent as one
	-- query, which run as one transaction) the refresh runs in the caller's
	-- transaction, each period in a subtransaction.
	own_transactions := statement_timestamp() = transaction_timestamp()
		AND strpos(rtrim(coalesce(current_query(), ''), E'; \t\r\n'), ';') = 0;
	lock_key := hashtext('dti.refresh');
	IF refresh.framework_id IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM dti.framework f WHERE f.id = refresh.framework_id) THEN
		RAISE EXCEPTION 'no framework with id %', refresh.framework_id
			USING ERRCODE = 'no_data_found', HINT = 'Look the id up in dti.framework.';
	END IF;
	IF refresh.period IS NOT NULL AND dti.period_kind(refresh.period) IS NULL THEN
		RAISE EXCEPTION 'invalid period "%"', refresh.period
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'A period is a year (2024), a quarter (2024-Q1) or a month (2024-03).';
	END IF;
	-- One refresh at a time: a second call leaves at once with a notice.  A
	-- run that commits per period holds a session lock (released below; a
	-- hold left by a run of this session that was cancelled is dropped
	-- first), one in the caller's transaction a transaction lock.
	IF own_transactions THEN
		WHILE EXISTS (SELECT 1 FROM pg_catalog.pg_locks l
					  WHERE l.locktype = 'advisory' AND l.pid = pg_catalog.pg_backend_pid()
						AND l.granted AND l.objsubid = 1
						AND l.classid = ((lock_key >> 32) & 4294967295)::oid
						AND l.objid = (lock_key & 4294967295)::oid) LOOP
			PERFORM pg_catalog.pg_advisory_unlock(lock_key);
		END LOOP;
	END IF;
	IF own_transactions THEN
		got_lock := pg_catalog.pg_try_advisory_lock(lock_key);
	ELSE
		got_lock := pg_catalog.pg_try_advisory_xact_lock(lock_key);
	END IF;
	IF NOT got_lock THEN
		INSERT INTO dti.refresh_log (started_at, ended_at, requested_period, requested_framework, outcome, error)
		VALUES (pg_catalog.clock_timestamp(), pg_catalog.clock_timestamp(), refresh.period, refresh.framework_id,
				'skipped', 'another refresh is running');
		RAISE NOTICE 'dti.refresh: another refresh is running; this call does nothing'
			USING HINT = 'Its results are published when it commits; see dti.refresh_log.';
		PERFORM pg_catalog.set_config('search_path', saved_path, true);
		RETURN;
	END IF;
	-- holding the lock, a run still marked running was cut short
	UPDATE dti.refresh_log l SET outcome = 'failed', ended_at = coalesce(l.ended_at, pg_catalog.clock_timestamp()),
		error = 'interrupted: the session or the server ended during the run'
	WHERE l.outcome = 'running';
	INSERT INTO dti.refresh_log (started_at, requested_period, requested_framework, outcome)
	VALUES (pg_catalog.clock_timestamp(), refresh.period, refresh.framework_id, 'running')
	RETURNING id INTO run;

	IF to_regclass('pg_temp.dti_refresh_plan') IS NULL THEN
		CREATE TEMP TABLE dti_refresh_plan (
			period text, framework_id integer, unit_ids integer[], whole boolean, queue_ids bigint[]);
	END IF;
	TRUNCATE pg_temp.dti_refresh_plan;
	INSERT INTO pg_temp.dti_refresh_plan SELECT * FROM dti.refresh_plan(refresh.period, refresh.framework_id);
	-- queue rows that no framework assesses: nothing to do
	DELETE FROM dti.refresh_queue q
	WHERE q.id = ANY (ARRAY(SELECT unnest(x.queue_ids) FROM pg_temp.dti_refresh_plan x WHERE x.framework_id IS NULL));
	DELETE FROM pg_temp.dti_refresh_plan x WHERE x.framework_id IS NULL;

	-- Each period on its own: computed, its queue rows removed and committed
	-- together; a locked period is left queued; a failing one is rolled back,
	-- noted and left queued, and the others go on.
	FOR p IN SELECT x.period, bool_or(l.period IS NOT NULL) AS locked
			 FROM pg_temp.dti_refresh_plan x LEFT JOIN dti.period_lock l ON l.period = x.period
			 GROUP BY x.period ORDER BY x.period LOOP
		IF p.locked THEN
			pending := pending || p.period;
			CONTINUE;
		END IF;
		BEGIN
			c := 0;
			r := 0;
			FOR w IN SELECT x.* FROM pg_temp.dti_refresh_plan x WHERE x.period = p.period ORDER BY x.framework_id LOOP
				IF w.unit_ids IS NULL THEN
					SELECT c + x.scorecards, r + x.ranks INTO c, r
					FROM dti.compute_period(w.period, w.framework_id, run) x;
				ELSIF dti.framework_is_relative(w.framework_id)
					  AND NOT dti.keep_leaf_ranges(w.period, w.framework_id, w.unit_ids) THEN
					-- a revision moved a range of a min-max or best rule
					SELECT c + x.scorecards, r + x.ranks INTO c, r
					FROM dti.compute_period(w.period, w.framework_id, run) x;
					w.whole := true;
				ELSE
					c := c + dti.compute_scorecards(w.period, w.framework_id, w.unit_ids, run);
					r := r + dti.compute_ranks(w.period, w.framework_id, w.unit_ids);
				END IF;
				IF w.whole THEN
					v_whole := v_whole || w.period;
				END IF;
			END LOOP;
			DELETE FROM dti.refresh_queue q
			WHERE q.id = ANY (ARRAY(SELECT unnest(x.queue_ids) FROM pg_temp.dti_refresh_plan x WHERE x.period = p.period));
			n_cards := n_cards + c;
			n_ranks := n_ranks + r;
			done_periods := done_periods || p.period;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, state = RETURNED_SQLSTATE;
			failed := failed || jsonb_build_object('period', p.period, 'sqlstate', state, 'message', msg);
			RAISE WARNING 'dti.refresh: period % failed: %', p.period, msg
				USING DETAIL = 'Its previous results are still published; its queued changes stay queued.';
		END;
		-- the log shows how far a run got (the planning above commits with
		-- the first period)
		UPDATE dti.refresh_log SET periods = done_periods, failures = nullif(failed, '[]') WHERE id = run;
		IF own_transactions THEN
			COMMIT;
			PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
		END IF;
	END LOOP;

	-- Publish statistics with the results, so that the dashboards' and
	-- GIS clients' queries (and their row estimates) after a refresh are
	-- planned on the rows just written: after a run that recomputed a
	-- period whole and changed its ranks, or changed many rows (not after a
	-- few units' revision: the statistics would hardly move, and taking them
	-- costs more than the rest of such a run).
	IF n_ranks > 0 AND (cardinality(v_whole) > 0 OR n_ranks >= 10000) THEN
		PERFORM dti.analyze_results();
	END IF;
	DROP TABLE pg_temp.dti_refresh_plan;

	UPDATE dti.refresh_log
	SET ended_at = pg_catalog.clock_timestamp(),
		outcome = CASE WHEN jsonb_array_length(failed) > 0 THEN 'failed' ELSE 'ok' END,
		periods = done_periods,
		whole_periods = ARRAY(SELECT DISTINCT x FROM unnest(v_whole) x ORDER BY 1),
		pending_periods = nullif(pending, '{}'), scorecards = n_cards, ranks = n_ranks,
		failures = nullif(failed, '[]'),
		error = (SELECT string_agg(f->>'period' || ': ' || (f->>'message'), '; ') FROM jsonb_array_elements(failed) f),
		sqlstate = failed->0->>'sqlstate'
	WHERE id = run;
	IF own_transactions THEN
		COMMIT;
		PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
		PERFORM pg_advisory_unlock(lock_key);
	END IF;
	IF cardinality(pending) > 0 THEN
		RAISE NOTICE 'dti.refresh: locked periods left with queued changes: %', array_to_string(pending, ', ')
			USING HINT = 'dti.publish() announces a locked period again with its corrections; see dti.unpublished_change.';
	END IF;
	IF jsonb_array_length(failed) = 0 THEN
		PERFORM pg_catalog.set_config('search_path', saved_path, true);
	ELSE
		RAISE EXCEPTION 'dti.refresh: % of % periods failed (run %)', jsonb_array_length(failed),
				jsonb_array_length(failed) + cardinality(done_periods), run
			USING ERRCODE = failed->0->>'sqlstate',
				DETAIL = (SELECT string_agg(format('%s: %s (%s)', f->>'period', f->>'message', f->>'sqlstate'), E'\n')
						  FROM jsonb_array_elements(failed) f),
				HINT = CASE WHEN own_transactions
							THEN 'The other periods were committed; the failed ones keep their previous results and their queued changes. See dti.refresh_log.'
							ELSE 'Called inside a transaction block, the refresh runs in that transaction: it is rolled back with this error.' END;
	END IF;
END $$;
COMMENT ON PROCEDURE dti.refresh(text, integer) IS
	'Recomputes what changed since the last refresh (or the given period or framework, whole): one unit''s change re-scores that unit and re-ranks its period; periods of frameworks with relative rules are recomputed whole. Called at top level, each period is committed on its own, so readers see a period''s new results all at once and a failing period does not hold back the others; a run in which a period failed ends in an error after committing the rest. Locked (announced) periods keep their queued changes (reported as pending); a concurrent call exits with a notice; every run is logged in dti.refresh_log';

------------------------------------------------------------------------------
-- Nightly scheduling with pg_cron
------------------------------------------------------------------------------

CREATE FUNCTION dti.schedule_refresh(schedule text DEFAULT '0 2 * * *') RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
DECLARE
	job bigint;
BEGIN
	-- the schema cron of the extension pg_cron, not any schema of that name
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
				   WHERE d.classid = 'pg_catalog.pg_namespace'::regclass AND d.objid = to_regnamespace('cron')
					 AND d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = 'feature_not_supported',
				DETAIL = 'dti.schedule_refresh() schedules through pg_cron, which works in the database named by cron.database_name.',
				HINT = 'Set shared_preload_libraries = ''pg_cron'', cron.database_name to this database and cron.use_background_workers = on, restart, then CREATE EXTENSION pg_cron.';
	END IF;
	EXECUTE format('SELECT %I.schedule($1, $2, $3)', 'cron') INTO job
		USING 'dti-refresh', schedule, 'CALL dti.refresh()';
	RETURN job;
END $$;
COMMENT ON FUNCTION dti.schedule_refresh(text) IS
	'Schedules CALL dti.refresh() with pg_cron as the job dti-refresh (default nightly at 02:00; cron syntax, minute granularity); scheduling again replaces the schedule; returns the job id';

CREATE FUNCTION dti.unschedule_refresh() RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
DECLARE
	done boolean;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
				   WHERE d.classid = 'pg_catalog.pg_namespace'::regclass AND d.objid = to_regnamespace('cron')
					 AND d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'pg_cron') THEN
		RETURN false;
	END IF;
	EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.job WHERE jobname = $1)', 'cron') INTO done USING 'dti-refresh';
	IF done THEN
		EXECUTE format('SELECT %I.unschedule($1)', 'cron') INTO done USING 'dti-refresh';
	END IF;
	RETURN done;
END $$;
COMMENT ON FUNCTION dti.unschedule_refresh() IS
	'Removes the pg_cron job dti-refresh; false when there was none';

-- Loads, bulk verifications and their triggers: their cost estimates (the
-- policies' subqueries count per row) start JIT compilation, which takes
-- longer than the statements themselves.
ALTER FUNCTION dti.load_staging(text) SET jit = off;
ALTER FUNCTION dti.withdraw_load(bigint, text) SET jit = off;
ALTER FUNCTION dti.set_status_where(bigint, text, text, text, text) SET jit = off;
ALTER FUNCTION dti.queue_submission() SET jit = off;
