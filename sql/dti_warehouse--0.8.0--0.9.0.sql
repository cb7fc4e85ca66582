-- dti_warehouse 0.8.0 -> 0.9.0
\echo Use "ALTER EXTENSION dti_warehouse UPDATE TO '0.9.0'" to load this file. \quit

-- Part issue-24c: the refresh's planning set-based, the staging of a
-- period in one function.  dti.refresh_plan() finds the levels assessed in
-- a period asked for whole once per period, and only in periods that have
-- a submission, by index lookups (it looked for each queue row's
-- submissions unit by unit: seconds before a refresh after a framework
-- change, which queues every period of its years).  Its plan is the same.
-- dti.stage_scorecards() and dti.stage_leaf_vectors() are folded into
-- dti.stage_period() (dti.compute_period() calls it).
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
CREATE OR REPLACE FUNCTION dti.refresh_plan(for_period text, for_framework integer)
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

DROP FUNCTION dti.stage_scorecards(text, integer, indicator_code[], scoring_rule[], indicator_stats[]);
DROP FUNCTION dti.stage_leaf_vectors(text, integer, indicator_code[], scoring_rule[]);

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

REVOKE EXECUTE ON FUNCTION dti.stage_period(text, integer, indicator_code[], scoring_rule[], indicator_stats[], boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.stage_period(text, integer, indicator_code[], scoring_rule[], indicator_stats[], boolean) TO dti_admin;
COMMENT ON FUNCTION dti.stage_composites(integer, indicator_code[], scoring_rule[], leaf_stats, text, bigint) IS
	'Internal to dti.refresh(): scores and rolls up the leaf vectors staged by dti.stage_period() by the rules the framework carries, under the given statistics, into the temporary table dti_card (as dti.stage_period() does without vectors); given a period (nothing published for the level in it yet), writes the scorecards to dti.result_scorecard at once and stages only their ranked values';
COMMENT ON FUNCTION dti.staged_ranks(text, integer) IS
	'Internal to dti.refresh(): the rank rows (every inner node and main indicator, national and group rank at 4 decimals) of the scorecards staged in dti_card (dti.stage_period(), dti.stage_composites())';

CREATE OR REPLACE FUNCTION dti.compute_period(period text, framework_id integer, run_id bigint,
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
