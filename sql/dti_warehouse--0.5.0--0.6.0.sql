-- dti_warehouse 0.5.0 -> 0.6.0
\echo Use "ALTER EXTENSION dti_warehouse UPDATE TO '0.6.0'" to load this file. \quit

-- The oldest dti this warehouse works with (see the install script's
-- 00_requires.sql): 0.7.0, for rank_rounded_each() and scorecard_values().
DO $requires$
DECLARE
	need constant text := '0.7.0';
	have text := (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'dti');
BEGIN
	IF have IS NULL OR pg_catalog.string_to_array(have, '.')::integer[] < pg_catalog.string_to_array(need, '.')::integer[] THEN
		RAISE EXCEPTION 'dti_warehouse needs dti % or newer, but dti % is installed', need, coalesce(have, '(none)')
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = format('Update dti first: ALTER EXTENSION dti UPDATE (to %s or newer).', need);
	END IF;
END
$requires$;

------------------------------------------------------------------------------
-- Part issue-22: refresh.  A period recomputed whole is computed in three
-- steps (statistics, one scoring statement, results written from the staged
-- scorecards, ranked on one array of node values per unit); a whole
-- re-rank reads the staged scorecards instead of the published ones.
------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION dti.compute_ranks(period text, framework_id integer, changed_units integer[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	changed bigint;
	removed bigint;
	shifted bigint;
BEGIN
	IF changed_units IS NOT NULL AND cardinality(changed_units) <= 64 THEN
		-- old and new values of the changed units' ranked nodes
		CREATE TEMP TABLE dti_rank_change ON COMMIT DROP AS
		SELECT k.*,
			   -- the values whose keys may lie between the two keys (a key is
			   -- within 0.5e-4 of its value)
			   CASE WHEN k.old_key IS NULL OR k.new_key IS NULL THEN '-Infinity'
					ELSE least(k.old_key, k.new_key) - 1e-4 END AS lo,
			   greatest(k.old_key, k.new_key) + 1e-4 AS hi
		FROM (
		SELECT coalesce(n.unit_id, o.unit_id) AS unit_id, coalesce(n.code, o.code) AS code,
			   coalesce(n.level, o.level) AS level, u.parent_id,
			   n.unit_id IS NOT NULL AS kept, n.value AS new_value,
			   round_decimal(o.value, 4) AS old_key, round_decimal(n.value, 4) AS new_key
		FROM (SELECT r.unit_id, x.code, x.level, x.value
			  FROM dti.result_scorecard r
			  CROSS JOIN LATERAL scorecard_nodes(r.scorecard, 2) x
			  WHERE r.period = compute_ranks.period AND r.framework_id = compute_ranks.framework_id
				AND r.unit_id = ANY (compute_ranks.changed_units)) n
		FULL JOIN (SELECT o.unit_id, o.code, o.level, o.value FROM dti.result_rank o
				   WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id
					 AND o.unit_id = ANY (compute_ranks.changed_units)) o
			ON o.unit_id = n.unit_id AND o.code = n.code
		JOIN dti.unit u ON u.id = coalesce(n.unit_id, o.unit_id)) k;
		ANALYZE pg_temp.dti_rank_change;

		-- every other unit between a changed unit's old and new key moves
		-- one place (NULL keys do not count)
		UPDATE dti.result_rank t
		SET rank = t.rank + d.by_rank, group_rank = t.group_rank + d.by_group
		FROM (
			SELECT x.unit_id, x.code, sum(x.step) AS by_rank,
				   coalesce(sum(x.step) FILTER (WHERE x.same_group), 0) AS by_group
			FROM (
				SELECT o.unit_id, o.code,
					   coalesce((c.new_key > round_decimal(o.value, 4))::int, 0)
					   - coalesce((c.old_key > round_decimal(o.value, 4))::int, 0) AS step,
					   c.parent_id IS NOT DISTINCT FROM ou.parent_id AS same_group
				FROM pg_temp.dti_rank_change c
				JOIN dti.result_rank o ON o.period = compute_ranks.period
					AND o.framework_id = compute_ranks.framework_id AND o.code = c.code
					AND o.value > c.lo AND o.value < c.hi
				JOIN dti.unit ou ON ou.id = o.unit_id
				WHERE c.old_key IS DISTINCT FROM c.new_key
				  AND NOT (o.unit_id = ANY (compute_ranks.changed_units))
			) x
			WHERE x.step <> 0
			GROUP BY x.unit_id, x.code
		) d
		WHERE t.period = compute_ranks.period AND t.unit_id = d.unit_id AND t.code = d.code;
		GET DIAGNOSTICS shifted = ROW_COUNT;

		DELETE FROM dti.result_rank o
		USING pg_temp.dti_rank_change c
		WHERE o.period = compute_ranks.period AND o.unit_id = c.unit_id AND o.code = c.code AND NOT c.kept;
		GET DIAGNOSTICS removed = ROW_COUNT;
		INSERT INTO dti.result_rank AS o (period, unit_id, framework_id, code, level, value, rank, group_rank)
		SELECT compute_ranks.period, c.unit_id, compute_ranks.framework_id, c.code, c.level, c.new_value, NULL, NULL
		FROM pg_temp.dti_rank_change c WHERE c.kept
		ON CONFLICT ON CONSTRAINT result_rank_pkey DO UPDATE
			SET framework_id = excluded.framework_id, level = excluded.level, value = excluded.value
			WHERE (o.framework_id, o.level, o.value) IS DISTINCT FROM (excluded.framework_id, excluded.level, excluded.value);

		-- the changed units' own ranks: the old rank, less the changed units
		-- that were above the old key, plus those above the new key, plus
		-- the others the unit passed or fell behind (a range scan between
		-- its two keys); counted from scratch for a new row
		UPDATE dti.result_rank t
		SET rank = r.rank, group_rank = r.group_rank
		FROM (
			SELECT c.unit_id, c.code,
				   CASE WHEN c.new_key IS NULL THEN NULL
						WHEN c.old_key IS NULL OR p.rank IS NULL THEN
							1 + (SELECT count(*) FROM dti.result_rank o
								 WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id
								   AND o.code = c.code AND o.value > c.new_key - 1e-4
								   AND round_decimal(o.value, 4) > c.new_key)
						ELSE p.rank + x.passed
							 + (SELECT count(*) FILTER (WHERE v.new_key > c.new_key)
									   - count(*) FILTER (WHERE v.old_key > c.old_key)
								FROM pg_temp.dti_rank_change v
								WHERE v.code = c.code AND v.unit_id <> c.unit_id)
				   END AS rank,
				   CASE WHEN c.new_key IS NULL THEN NULL
						WHEN c.old_key IS NULL OR p.group_rank IS NULL THEN
							1 + (SELECT count(*) FROM dti.result_rank o
								 JOIN dti.unit ou ON ou.id = o.unit_id
								 WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id
								   AND o.code = c.code AND o.value > c.new_key - 1e-4
								   AND round_decimal(o.value, 4) > c.new_key
								   AND ou.parent_id IS NOT DISTINCT FROM c.parent_id)
						ELSE p.group_rank + x.passed_in_group
							 + (SELECT count(*) FILTER (WHERE v.new_key > c.new_key)
									   - count(*) FILTER (WHERE v.old_key > c.old_key)
								FROM pg_temp.dti_rank_change v
								WHERE v.code = c.code AND v.unit_id <> c.unit_id
								  AND v.parent_id IS NOT DISTINCT FROM c.parent_id)
				   END AS group_rank
			FROM pg_temp.dti_rank_change c
			JOIN dti.result_rank p ON p.period = compute_ranks.period AND p.unit_id = c.unit_id AND p.code = c.code
			CROSS JOIN LATERAL (
				SELECT coalesce(sum(y.step), 0) AS passed,
					   coalesce(sum(y.step) FILTER (WHERE y.same_group), 0) AS passed_in_group
				FROM (
					SELECT (round_decimal(o.value, 4) > c.new_key)::int
						   - (round_decimal(o.value, 4) > c.old_key)::int AS step,
						   ou.parent_id IS NOT DISTINCT FROM c.parent_id AS same_group
					FROM dti.result_rank o
					JOIN dti.unit ou ON ou.id = o.unit_id
					WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id
					  AND o.code = c.code AND o.value > c.lo AND o.value < c.hi
					  AND NOT (o.unit_id = ANY (compute_ranks.changed_units))
				) y
			) x
			WHERE c.kept
		) r
		WHERE t.period = compute_ranks.period AND t.unit_id = r.unit_id AND t.code = r.code
		  AND (t.rank, t.group_rank) IS DISTINCT FROM (r.rank, r.group_rank);
		GET DIAGNOSTICS changed = ROW_COUNT;
		DROP TABLE pg_temp.dti_rank_change;
		RETURN shifted + removed + changed;
	END IF;

	-- a period ranked for the first time: write every row
	IF NOT EXISTS (SELECT 1 FROM dti.result_rank o
				   WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id) THEN
		INSERT INTO dti.result_rank
		SELECT * FROM dti.ranked_nodes(compute_ranks.period, compute_ranks.framework_id);
		GET DIAGNOSTICS changed = ROW_COUNT;
		RETURN changed;
	END IF;

	-- re-ranking a whole period: write only what changed
	IF to_regclass('pg_temp.dti_new_rank') IS NULL THEN
		CREATE TEMP TABLE dti_new_rank (LIKE dti.result_rank, PRIMARY KEY (unit_id, code)) ON COMMIT DROP;
	END IF;
	TRUNCATE pg_temp.dti_new_rank;
	IF to_regclass('pg_temp.dti_card') IS NOT NULL THEN
		-- the period's scorecards are staged (dti.compute_period()): ranked
		-- from there, without reading them back
		INSERT INTO pg_temp.dti_new_rank
		SELECT * FROM dti.staged_ranks(compute_ranks.period, compute_ranks.framework_id);
	ELSE
		INSERT INTO pg_temp.dti_new_rank
		SELECT * FROM dti.ranked_nodes(compute_ranks.period, compute_ranks.framework_id);
	END IF;
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

------------------------------------------------------------------------------
-- A whole period in three steps: statistics, scoring, publication
------------------------------------------------------------------------------
-- A period recomputed whole (the nightly run, a framework change, a relative
-- rule) is computed by dti.compute_period(): the statistics of the leaves
-- over all units of the period (dti.leaf_statistics(), frameworks with
-- relative rules only), then the scorecards of every unit in one statement
-- (dti.stage_scorecards(), which can run in parallel workers: it reads only
-- shared tables), then the scorecards and the ranks written from those
-- staged scorecards, without reading the published scorecards back.  The
-- ranks are computed on one array of node values per unit
-- (dti.staged_ranks()), and written once, in key order.

-- Step 1: the statistics that relative rules score against, over every
-- unit of the framework's level in the period, one per leaf with a rule
-- (as the window over the period computed them before: the same rows).
CREATE FUNCTION dti.leaf_statistics(period text, framework_id integer)
RETURNS TABLE (code indicator_code, stats indicator_stats)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT v.indicator, indicator_stats(v.value)
	FROM dti.current_value v
	JOIN dti.framework_indicator l ON l.framework_id = leaf_statistics.framework_id AND l.code = v.indicator
	WHERE v.period = leaf_statistics.period
	  AND l.rule IS NOT NULL AND scoring_rule_kind(l.rule) <> 'grade'
	  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator c
					  WHERE c.framework_id = l.framework_id AND parent(c.code) = l.code)
	  AND v.unit_id IN (SELECT u.id FROM dti.unit u JOIN dti.framework f ON f.level = u.level
						WHERE f.id = leaf_statistics.framework_id)
	GROUP BY v.indicator;
END;
COMMENT ON FUNCTION dti.leaf_statistics(text, integer) IS
	'Internal to dti.refresh(): per leaf of a framework, indicator_stats() of the current verified values of every unit of its level in one period (what relative rules score against)';

-- Step 2, the scoring: one statement that scores every leaf value of the
-- period by its rule (with the leaf's statistics when given) and rolls each
-- unit's scores up the framework, into the temporary table dti_card
-- (unit_id, parent_id, scorecard, vals: the values of the ranked nodes,
-- scorecard_values(sc, 2)).  The leaves, rules and statistics come in as
-- arrays, so that the statement reads only shared tables and can run in
-- parallel workers.  This is the one statement to change for another way
-- of computing the composite.
CREATE FUNCTION dti.stage_scorecards(period text, framework_id integer, leaf_codes indicator_code[],
									 leaf_rules scoring_rule[], leaf_stats indicator_stats[])
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
	EXECUTE format($q$
		CREATE TEMP TABLE dti_card ON COMMIT DROP AS
		SELECT s.unit_id, u.parent_id, s.sc AS scorecard, scorecard_values(s.sc, 2) AS vals
		FROM (
			SELECT v.unit_id, rollup($2, v.indicator,
				CASE WHEN l.rule IS NULL THEN v.value
					 WHEN scoring_rule_kind(l.rule) = 'grade' THEN score(l.rule, v.raw_value)
					 WHEN $3 THEN score(l.rule, v.value, l.stats)
					 ELSE score(l.rule, v.value) END) AS sc
			FROM dti.current_value v
			JOIN unnest($4, $5, $6) AS l (code, rule, stats) ON l.code = v.indicator
			WHERE v.period = $1
			  AND v.unit_id IN (SELECT u.id FROM dti.unit u WHERE u.level = %L)
			GROUP BY v.unit_id
		) s
		JOIN dti.unit u ON u.id = s.unit_id$q$,
		(SELECT f.level FROM dti.framework f WHERE f.id = stage_scorecards.framework_id))
	USING period, dti.framework_tree(framework_id), leaf_stats IS NOT NULL, leaf_codes, leaf_rules,
		coalesce(leaf_stats, array_fill(NULL::indicator_stats, ARRAY[coalesce(cardinality(leaf_codes), 0)]));
	GET DIAGNOSTICS staged = ROW_COUNT;
	ANALYZE pg_temp.dti_card;
	RETURN staged;
END $$;
COMMENT ON FUNCTION dti.stage_scorecards(text, integer, indicator_code[], scoring_rule[], indicator_stats[]) IS
	'Internal to dti.refresh(): scores and rolls up every unit of one period and framework in one statement (leaves, rules and statistics given as arrays) into the temporary table dti_card';

-- The rank rows of the staged scorecards: every inner node and main
-- indicator of every unit, ranked at the published 4 decimals nationally
-- and within the unit's parent group, as dti.ranked_nodes() ranks the
-- published scorecards.  All scorecards of a framework have the same nodes
-- in the same order, so one array of values per unit is ranked position by
-- position (rank_rounded_each(), the same ranks as rank_rounded() per
-- node), rather than a row per node sorted by node.
CREATE FUNCTION dti.staged_ranks(period text, framework_id integer)
RETURNS SETOF dti.result_rank
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	node_codes indicator_code[];
	node_levels integer[];
BEGIN
	SELECT array_agg(n.code ORDER BY n.ord), array_agg(n.level ORDER BY n.ord) INTO node_codes, node_levels
	FROM (SELECT c.scorecard FROM pg_temp.dti_card c LIMIT 1) c
	CROSS JOIN LATERAL scorecard_nodes(c.scorecard, 2) WITH ORDINALITY AS n (code, parent, level, method, value,
		points, max_points, weight, present, expected, ord);
	IF node_codes IS NULL THEN
		RETURN;
	END IF;
	RETURN QUERY
	SELECT staged_ranks.period, x.unit_id, staged_ranks.framework_id, n.code, n.level, n.value,
		   n.rank::integer, n.group_rank::integer
	FROM (
		SELECT c.unit_id, c.vals,
			   rank_rounded_each(c.vals, 4) OVER () AS ranks,
			   rank_rounded_each(c.vals, 4) OVER (PARTITION BY c.parent_id) AS group_ranks
		FROM pg_temp.dti_card c
	) x
	CROSS JOIN LATERAL unnest(node_codes, node_levels, x.vals, x.ranks, x.group_ranks)
		AS n (code, level, value, rank, group_rank)
	ORDER BY x.unit_id;
END $$;
COMMENT ON FUNCTION dti.staged_ranks(text, integer) IS
	'Internal to dti.refresh(): the rank rows (every inner node and main indicator, national and group rank at 4 decimals) of the scorecards staged by dti.stage_scorecards()';

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
	-- the previous results of the level in this period, also those of
	-- another framework (an earlier version) that assessed it before
	DELETE FROM dti.result_scorecard r
	WHERE r.period = compute_period.period
	  AND (r.framework_id = compute_period.framework_id
		   OR r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level));
	DELETE FROM dti.result_rank r
	WHERE r.period = compute_period.period
	  AND r.framework_id <> compute_period.framework_id
	  AND r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level);

	-- the leaves and their rules; step 1, the statistics (relative rules)
	SELECT array_agg(i.code ORDER BY i.code), array_agg(i.rule ORDER BY i.code)
	INTO leaf_codes, leaf_rules
	FROM dti.framework_indicator i
	WHERE i.framework_id = compute_period.framework_id
	  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator c
					  WHERE c.framework_id = i.framework_id AND parent(c.code) = i.code);
	IF dti.framework_is_relative(framework_id) THEN
		SELECT array_agg(s.stats ORDER BY l.ord) INTO leaf_stats
		FROM unnest(leaf_codes) WITH ORDINALITY AS l (code, ord)
		LEFT JOIN dti.leaf_statistics(period, framework_id) s ON s.code = l.code;
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
	PERFORM dti.stage_scorecards(period, framework_id, leaf_codes, leaf_rules, leaf_stats);
	PERFORM pg_catalog.set_config('default_toast_compression', compression, true);

	-- step 3, the results: the scorecards, then the ranks
	INSERT INTO dti.result_scorecard (period, unit_id, framework_id, scorecard, root_value, run_id)
	SELECT compute_period.period, c.unit_id, compute_period.framework_id, c.scorecard, root_value(c.scorecard),
		   compute_period.run_id
	FROM pg_temp.dti_card c ORDER BY c.unit_id;
	GET DIAGNOSTICS scorecards = ROW_COUNT;
	IF EXISTS (SELECT 1 FROM dti.result_rank o
			   WHERE o.period = compute_period.period AND o.framework_id = compute_period.framework_id) THEN
		-- ranked before: re-rank (from the staged scorecards), writing only
		-- what changed
		ranks := dti.compute_ranks(period, framework_id, NULL);
	ELSE
		-- ranked for the first time: every row, once, in key order
		INSERT INTO dti.result_rank SELECT * FROM dti.staged_ranks(period, framework_id);
		GET DIAGNOSTICS ranks = ROW_COUNT;
	END IF;
	DROP TABLE pg_temp.dti_card;
END $$;
COMMENT ON FUNCTION dti.compute_period(text, integer, bigint) IS
	'Internal to dti.refresh(): recomputes one period and framework whole (statistics, scoring in one statement, then scorecards and ranks written from the staged scorecards); returns the scorecards written and the rank rows written or changed';
REVOKE EXECUTE ON FUNCTION dti.leaf_statistics(text, integer),
	dti.stage_scorecards(text, integer, indicator_code[], scoring_rule[], indicator_stats[]),
	dti.staged_ranks(text, integer), dti.compute_period(text, integer, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.leaf_statistics(text, integer),
	dti.stage_scorecards(text, integer, indicator_code[], scoring_rule[], indicator_stats[]),
	dti.staged_ranks(text, integer), dti.compute_period(text, integer, bigint) TO dti_admin;

CREATE OR REPLACE PROCEDURE dti.refresh(period text DEFAULT NULL, framework_id integer DEFAULT NULL)
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
	-- planned on the rows just written.
	IF n_cards + n_ranks > 0 THEN
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

-- End of part issue-22.

------------------------------------------------------------------------------
-- Part issue-23: Citus coordinator.  CREATE EXTENSION dti_warehouse on a
-- Citus coordinator runs in a distributed transaction (Citus propagates the
-- extension to the workers) and Citus refuses to commit one that touched a
-- temporary object: the install loads the shipped boundary layer through
-- dti.load_boundaries(), which kept the resolved features in a temporary
-- table.  It keeps them in a jsonb variable now; what it checks, loads and
-- returns is unchanged.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION dti.load_boundaries(layer text, features jsonb, valid_on date,
									name_property text DEFAULT 'shapeName', source text DEFAULT NULL)
RETURNS TABLE (unit_code text, parts integer)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	problems text;
	resolved jsonb;
BEGIN
	IF jsonb_typeof(features -> 'features') IS DISTINCT FROM 'array' THEN
		RAISE EXCEPTION 'not a GeoJSON FeatureCollection'
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'The document has no "features" array.',
				HINT = 'Pass the whole file, e.g. pg_read_file(''layer.geojson'')::jsonb.';
	END IF;
	IF jsonb_array_length(features -> 'features') > 0 AND NOT EXISTS (
			SELECT 1 FROM jsonb_array_elements(features -> 'features') AS f
			WHERE jsonb_typeof(f -> 'properties') = 'object' AND f -> 'properties' ? load_boundaries.name_property) THEN
		RAISE EXCEPTION 'no feature has the property "%"', load_boundaries.name_property
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('The first feature''s properties: %s.',
					coalesce((SELECT string_agg(format('"%s"', k), ', ')
							  FROM jsonb_object_keys(CASE WHEN jsonb_typeof(features -> 'features' -> 0 -> 'properties') = 'object'
														  THEN features -> 'features' -> 0 -> 'properties' END) AS k), 'none')),
				HINT = 'Pass the property that holds the province names as name_property.';
	END IF;
	-- each feature with the units its name resolves to, kept in a variable:
	-- no temporary table, which a Citus coordinator refuses to commit in a
	-- distributed transaction (CREATE EXTENSION propagated to the workers)
	SELECT coalesce(jsonb_agg(jsonb_build_object('ord', x.ord, 'name', x.name, 'units', to_jsonb(x.units), 'geometry', x.geometry)
							  ORDER BY x.ord), '[]')
	INTO resolved
	FROM (SELECT f.ord, f.f -> 'properties' ->> load_boundaries.name_property AS name,
				 (SELECT array_agg(DISTINCT u.unit_id) FROM dti.find_units(f.f -> 'properties' ->> load_boundaries.name_property, valid_on) u
				  WHERE u.level = 'province') AS units,
				 f.f -> 'geometry' AS geometry
		  FROM jsonb_array_elements(features -> 'features') WITH ORDINALITY AS f(f, ord)) x;
	SELECT string_agg(format('"%s" (%s)', coalesce(b.name, '<no name>'),
						  CASE WHEN b.units IS NULL THEN 'no unit' ELSE cardinality(b.units) || ' units' END), ', ' ORDER BY b.ord)
	INTO problems
	FROM jsonb_to_recordset(resolved) AS b(ord bigint, name text, units integer[], geometry jsonb)
	WHERE b.units IS NULL OR cardinality(b.units) <> 1;
	IF problems IS NOT NULL THEN
		RAISE EXCEPTION 'some features do not name exactly one province valid on %', valid_on
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('Features: %s.', problems),
				HINT = 'Add the missing names to dti.unit_name (kind variant or part), or check valid_on and name_property.';
	END IF;
	RETURN QUERY
	INSERT INTO dti.unit_boundary AS t (layer, unit_id, geom, parts, source)
	SELECT load_boundaries.layer, b.units[1],
		   ST_Multi(ST_CollectionExtract(ST_Union(ST_SetSRID(ST_GeomFromGeoJSON(b.geometry::text), 4326)), 3)),
		   count(*)::integer, load_boundaries.source
	FROM jsonb_to_recordset(resolved) AS b(name text, units integer[], geometry jsonb)
	GROUP BY b.units[1]
	RETURNING (SELECT u.code FROM dti.unit u WHERE u.id = t.unit_id), t.parts;
END $$;
-- end of part issue-23

------------------------------------------------------------------------------
-- Part issue-17: bulk verification.  One statement trigger,
-- dti.apply_status_events(), does for a statement of status events what
-- three triggers and a foreign key did row by row or key by key: it checks
-- that each event names an existing revision and follows the workflow,
-- updates dti.current_value in place for the keys whose current revision
-- changes (instead of deleting and inserting every key), and queues the
-- refresh.  dti.set_status_where() reads the newer revisions and the
-- statuses of a recent load in one range of ids.  dti.current_value, the
-- history and the refresh queue get the same rows as before.
------------------------------------------------------------------------------

DROP TRIGGER submission_status_allowed ON dti.submission_status;
DROP TRIGGER submission_status_current ON dti.submission_status;
DROP TRIGGER submission_status_queue ON dti.submission_status;
DROP FUNCTION dti.submission_status_allowed();
DROP FUNCTION dti.sync_current_value();
ALTER TABLE dti.submission_status DROP CONSTRAINT submission_status_submission_id_fkey;
COMMENT ON COLUMN dti.submission_status.submission_id IS
	'The revision (dti.submission.id) whose status changes; checked once per statement by the trigger dti.apply_status_events() instead of a foreign key (revisions are never deleted)';

-- Trigger function: what a statement of status events implies, in one pass
-- over its rows (a bulk verification inserts tens of thousands):
--  1. each event names an existing revision (checked here, once per
--     statement, instead of a foreign key checked row by row: revisions are
--     never deleted) and follows the workflow from the status before it (the
--     newest earlier event of its revision, else the revision's initial
--     status);
--  2. dti.current_value is brought up to date for the units, periods and
--     indicators of the events;
--  3. their units and periods are queued for dti.refresh().
-- Changes to one key take turns: a statement locks its keys (an advisory
-- lock per key, taken in a fixed order) until the end of its transaction,
-- then reads them with a snapshot that sees the statuses committed before
-- it.  Changes to different keys do not wait for each other.  A statement
-- of more than 100 events, or a transaction that has changed more than 100
-- keys (a bulk verification, or many set_status() calls), locks the whole
-- table instead, so that it does not fill the lock table with advisory
-- locks.  Once its keys are locked, a key's row in dti.current_value is
-- right for every status event but this statement's, so it changes only
-- when this statement verified a newer revision than the current one
-- (updated in place, or inserted).  A key is resolved from the whole
-- history instead when this statement took the status verified away from
-- its current revision (a rejection: the previous verified revision comes
-- back), or when another transaction set a status of one of its revisions
-- after this statement inserted its own.
-- (Built with the schema of dti named: the indicator codes are compared with
-- its operator, which the pinned search_path does not find.)
DO $do$
BEGIN
	EXECUTE replace($body$
CREATE FUNCTION dti.apply_status_events() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $fn$
DECLARE
	n_events bigint;
	n_keys bigint;
	keys_locked bigint;
	whole_table boolean;
	bad_submission bigint;
	bad_status text;
	bad_found boolean;
	bad_before text;
	raced bigint;
BEGIN
	SELECT count(*) INTO n_events FROM new_rows;
	IF n_events = 0 THEN
		RETURN NULL;
	END IF;
	keys_locked := coalesce(nullif(current_setting('dti.current_value_keys', true), ''), '0')::bigint;
	whole_table := n_events > 100 OR keys_locked > 100;
	IF NOT whole_table THEN
		-- a few events: lock their keys, in a fixed order
		SELECT count(*) INTO n_keys
		FROM (SELECT DISTINCT s.period, s.unit_id, s.indicator FROM new_rows n
			  JOIN dti.submission s ON s.id = n.submission_id) k;
		keys_locked := keys_locked + n_keys;
		PERFORM set_config('dti.current_value_keys', keys_locked::text, true);
		whole_table := keys_locked > 100;
		IF NOT whole_table THEN
			LOCK TABLE dti.current_value IN ROW EXCLUSIVE MODE;
			PERFORM pg_advisory_xact_lock(hashtext('dti.current_value'), hashtext(k.period || '/' || k.unit_id || '/' || k.indicator))
			FROM (SELECT DISTINCT s.period, s.unit_id, s.indicator::text AS indicator FROM new_rows n
				  JOIN dti.submission s ON s.id = n.submission_id) k
			ORDER BY k.period, k.unit_id, k.indicator;
		END IF;
	END IF;
	IF whole_table THEN
		LOCK TABLE dti.current_value IN SHARE ROW EXCLUSIVE MODE;
	END IF;

	-- One statement, with a snapshot taken after the locks.  Should an event
	-- be refused, the exception below undoes what the statement wrote.
	WITH earlier AS (
		-- the status before each event: the newest earlier event of its
		-- revision (a join, not a subquery per event: planned on statistics
		-- that a bulk statement has just made stale, a subquery could scan
		-- the whole table once per event)
		SELECT DISTINCT ON (n.id) n.id, t.status
		FROM new_rows n
		JOIN dti.submission_status t ON t.submission_id = n.submission_id AND t.id < n.id
		ORDER BY n.id, t.id DESC
	), e AS MATERIALIZED (
		-- each event with its revision (an index probe), the status before it
		-- (else the revision's initial status), and whether it is its
		-- revision's last in this statement
		SELECT n.id, n.submission_id, n.status, s.id AS found, s.period, s.unit_id, s.indicator, s.raw_value, s.value,
			   coalesce(b.status, s.status) AS before,
			   n.id = l.last_id AS last
		FROM new_rows n
		JOIN (SELECT m.submission_id, max(m.id) AS last_id FROM new_rows m GROUP BY m.submission_id) l
			ON l.submission_id = n.submission_id
		LEFT JOIN earlier b ON b.id = n.id
		LEFT JOIN LATERAL (SELECT x.id, x.period, x.unit_id, x.indicator, x.raw_value, x.value, x.status
						   FROM dti.submission x WHERE x.id = n.submission_id OFFSET 0) s ON true
	), bad AS (
		SELECT e.submission_id, e.status, e.found IS NOT NULL AS found, e.before
		FROM e
		WHERE e.found IS NULL
		   OR (e.before, e.status) NOT IN (('draft', 'submitted'), ('submitted', 'verified'), ('submitted', 'rejected'),
										   ('verified', 'rejected'), ('rejected', 'verified'),
										   ('draft', 'withdrawn'), ('submitted', 'withdrawn'))
		ORDER BY e.id
		LIMIT 1
	), overtaken AS (
		-- revisions with a status event of another transaction inserted after
		-- this statement's first one (committed before this statement got its keys)
		SELECT DISTINCT t.submission_id
		FROM dti.submission_status t
		WHERE t.id > (SELECT min(n.id) FROM new_rows n)
		  AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = t.id)
	), k AS (
		-- per key: the newest revision verified now, the revisions whose
		-- status is now something else, and whether one of its revisions
		-- was overtaken
		SELECT e.period, e.unit_id, e.indicator,
			   max(e.found) FILTER (WHERE e.last AND e.status = 'verified') AS verified_id,
			   array_agg(e.found) FILTER (WHERE e.last AND e.status <> 'verified') AS unverified_ids,
			   bool_or(o.submission_id IS NOT NULL) AS overtaken
		FROM e
		LEFT JOIN overtaken o ON o.submission_id = e.found
		WHERE e.found IS NOT NULL
		GROUP BY e.period, e.unit_id, e.indicator
	), d AS (
		SELECT k.period, k.unit_id, k.indicator, k.verified_id, c.submission_id AS current_id,
			   k.overtaken OR coalesce(c.submission_id = ANY (k.unverified_ids), false) AS from_history
		FROM k
		LEFT JOIN dti.current_value c ON c.period = k.period AND c.unit_id = k.unit_id
			AND c.indicator OPERATOR(@dti@.=) k.indicator
	), resolved AS (
		SELECT v.*
		FROM (SELECT array_agg(d.period) AS periods, array_agg(d.unit_id) AS units, array_agg(d.indicator::text) AS indicators
			  FROM d WHERE d.from_history) a
		CROSS JOIN LATERAL dti.resolve_current(a.periods, a.units, a.indicators) v
	), target AS (
		-- the keys whose current revision changes, with the new one (none: NULL)
		SELECT d.period, d.unit_id, d.indicator, d.current_id, v.submission_id, v.raw_value, v.value
		FROM d
		LEFT JOIN resolved v ON v.period = d.period AND v.unit_id = d.unit_id AND v.indicator OPERATOR(@dti@.=) d.indicator
		WHERE d.from_history AND v.submission_id IS DISTINCT FROM d.current_id
		UNION ALL
		SELECT d.period, d.unit_id, d.indicator, d.current_id, e.found, e.raw_value, e.value
		FROM d
		JOIN e ON e.found = d.verified_id AND e.last
		WHERE NOT d.from_history AND (d.current_id IS NULL OR d.verified_id > d.current_id)
	), deleted AS (
		DELETE FROM dti.current_value c
		USING target x
		WHERE x.submission_id IS NULL
		  AND c.period = x.period AND c.unit_id = x.unit_id AND c.indicator OPERATOR(@dti@.=) x.indicator
	), updated AS (
		UPDATE dti.current_value c
		SET submission_id = x.submission_id, raw_value = x.raw_value, value = x.value
		FROM target x
		WHERE x.current_id IS NOT NULL AND x.submission_id IS NOT NULL
		  AND c.period = x.period AND c.unit_id = x.unit_id AND c.indicator OPERATOR(@dti@.=) x.indicator
	), inserted AS (
		INSERT INTO dti.current_value (period, unit_id, indicator, submission_id, raw_value, value)
		SELECT x.period, x.unit_id, x.indicator, x.submission_id, x.raw_value, x.value
		FROM target x
		WHERE x.current_id IS NULL AND x.submission_id IS NOT NULL
	), queued AS (
		INSERT INTO dti.refresh_queue (period, unit_id, reason)
		SELECT DISTINCT e.period, e.unit_id, 'status' FROM e WHERE e.found IS NOT NULL
		ORDER BY 1, 2
	)
	SELECT b.submission_id, b.status, b.found, b.before, (SELECT count(*) FROM k),
		   (SELECT min(o.submission_id) FROM overtaken o JOIN e ON e.found = o.submission_id)
	INTO bad_submission, bad_status, bad_found, bad_before, n_keys, raced
	FROM (SELECT) one
	LEFT JOIN bad b ON true;

	-- An event of another transaction on one of these revisions, with a
	-- higher id, committed before this statement took its locks: it was
	-- checked without this statement's events, which the history (in id
	-- order) puts before it, so the history would break the workflow.
	IF raced IS NOT NULL THEN
		RAISE EXCEPTION 'the status of submission % was changed by another transaction at the same time', raced
			USING ERRCODE = 'serialization_failure',
				DETAIL = 'Its newer status event committed first; the history keeps events in the order of their ids.',
				HINT = 'Run the transaction again: it will be checked against the status that is now current.';
	END IF;

	IF bad_submission IS NOT NULL AND NOT bad_found THEN
		RAISE EXCEPTION 'no submission with id %', bad_submission
			USING ERRCODE = 'foreign_key_violation',
				DETAIL = 'dti.submission has no such row.',
				HINT = 'Look the id up in dti.current_submission.';
	ELSIF bad_submission IS NOT NULL THEN
		RAISE EXCEPTION 'submission % cannot go from % to %', bad_submission, bad_before, bad_status
			USING ERRCODE = 'invalid_transaction_state',
				DETAIL = 'Allowed: draft -> submitted, submitted -> verified or rejected, verified -> rejected, rejected -> verified, draft or submitted -> withdrawn.',
				HINT = 'A new value is a new revision: insert it into dti.submission.';
	END IF;
	IF n_events > 100 THEN
		PERFORM set_config('dti.current_value_keys', (keys_locked + n_keys)::text, true);
	END IF;
	RETURN NULL;
END $fn$;
$body$, '@dti@', (SELECT quote_ident(n.nspname) FROM pg_catalog.pg_extension e
							JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'dti'));
END $do$;
COMMENT ON FUNCTION dti.apply_status_events() IS
	'Trigger function: checks new status events (their revision exists, the workflow allows them), brings dti.current_value up to date for their units, periods and indicators and queues their units and periods for dti.refresh(), once per statement';
-- A trigger function runs without an EXECUTE check; nobody calls it directly.
REVOKE EXECUTE ON FUNCTION dti.apply_status_events() FROM PUBLIC;
CREATE TRIGGER submission_status_apply AFTER INSERT ON dti.submission_status
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dti.apply_status_events();

-- Verification in bulk: one status event per revision, in one statement.
-- It acts on the revisions that match and are the newest of their unit,
-- period and indicator, and whose status (the newest event, else the initial
-- status) waits for the verifier.  When the revisions that match are most of
-- those since the oldest of them (a recent load), the newer revisions and the
-- statuses are read in one range of ids of each table; otherwise with an
-- index probe per revision that matches.  (Joins, not subqueries per
-- revision: planned on statistics that an earlier bulk statement made stale,
-- a subquery could scan a whole table once per revision.)
CREATE OR REPLACE FUNCTION dti.set_status_where(load_id bigint, unit_code text, period text, status text, reason text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	n bigint;
	lo bigint;
	n_match bigint;
	nestloop text;
BEGIN
	IF set_status_where.status NOT IN ('verified', 'rejected') THEN
		RAISE EXCEPTION 'status "%" is not verified or rejected', set_status_where.status
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF set_status_where.status = 'rejected' AND nullif(btrim(set_status_where.reason), '') IS NULL THEN
		RAISE EXCEPTION 'a rejection needs a reason'
			USING ERRCODE = 'check_violation', HINT = 'Give it as the last argument.';
	END IF;
	SELECT min(s.id), count(*) INTO lo, n_match
	FROM dti.submission s
	WHERE (set_status_where.load_id IS NULL OR s.load_id = set_status_where.load_id)
	  AND (set_status_where.unit_code IS NULL OR s.unit_code = btrim(set_status_where.unit_code))
	  AND (set_status_where.period IS NULL OR s.period = btrim(set_status_where.period));
	IF lo IS NULL THEN
		RETURN 0;
	END IF;
	IF (SELECT max(x.id) FROM dti.submission x) - lo < 8 * n_match THEN
		-- hash joins only: the statistics of a table that just grew may
		-- count a few rows where there are thousands, and a nested loop
		-- over them would read one side once per row of the other
		nestloop := current_setting('enable_nestloop');
		PERFORM set_config('enable_nestloop', 'off', true);
		EXECUTE format($q$
			INSERT INTO dti.submission_status (submission_id, status, reason)
			SELECT s.id, $4, $5
			FROM dti.submission s
			LEFT JOIN (SELECT DISTINCT ON (t.submission_id) t.submission_id, t.status
					   FROM dti.submission_status t
					   WHERE t.submission_id >= %1$s
					   ORDER BY t.submission_id, t.id DESC) st ON st.submission_id = s.id
			JOIN (SELECT x.unit_id, x.period, x.indicator, max(x.id) AS newest
				  FROM dti.submission x
				  WHERE x.id >= %1$s
				  GROUP BY x.unit_id, x.period, x.indicator) k
				ON k.unit_id = s.unit_id AND k.period = s.period AND k.indicator = s.indicator AND k.newest = s.id
			WHERE s.id >= %1$s
			  AND ($1 IS NULL OR s.load_id = $1)
			  AND ($2 IS NULL OR s.unit_code = btrim($2))
			  AND ($3 IS NULL OR s.period = btrim($3))
			  AND (coalesce(st.status, s.status) = 'submitted' OR ($4 = 'rejected' AND st.status = 'verified'))
			ORDER BY s.id$q$, lo)
		USING set_status_where.load_id, set_status_where.unit_code, set_status_where.period,
			  set_status_where.status, set_status_where.reason;
		GET DIAGNOSTICS n = ROW_COUNT;
		PERFORM set_config('enable_nestloop', nestloop, true);
		RETURN n;
	ELSE
		INSERT INTO dti.submission_status (submission_id, status, reason)
		SELECT s.id, set_status_where.status, set_status_where.reason
		FROM dti.submission s
		LEFT JOIN (SELECT DISTINCT ON (t.submission_id) t.submission_id, t.status
				   FROM dti.submission_status t
				   WHERE t.submission_id IN (SELECT x.id FROM dti.submission x
											 WHERE (set_status_where.load_id IS NULL OR x.load_id = set_status_where.load_id)
											   AND (set_status_where.unit_code IS NULL OR x.unit_code = btrim(set_status_where.unit_code))
											   AND (set_status_where.period IS NULL OR x.period = btrim(set_status_where.period)))
				   ORDER BY t.submission_id, t.id DESC) st ON st.submission_id = s.id
		WHERE (set_status_where.load_id IS NULL OR s.load_id = set_status_where.load_id)
		  AND (set_status_where.unit_code IS NULL OR s.unit_code = btrim(set_status_where.unit_code))
		  AND (set_status_where.period IS NULL OR s.period = btrim(set_status_where.period))
		  AND (coalesce(st.status, s.status) = 'submitted'
			   OR (set_status_where.status = 'rejected' AND st.status = 'verified'))
		  AND NOT EXISTS (SELECT 1 FROM dti.submission n
						  WHERE n.unit_id = s.unit_id AND n.period = s.period AND n.indicator = s.indicator AND n.id > s.id)
		ORDER BY s.id;
	END IF;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;
ALTER FUNCTION dti.set_status_where(bigint, text, text, text, text) SET jit = off;

-- Status events are queued by dti.apply_status_events() now: the trigger
-- function of new submissions keeps only its own branch.
CREATE OR REPLACE FUNCTION dti.queue_submission() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	INSERT INTO dti.refresh_queue (period, unit_id, reason)
	SELECT DISTINCT n.period, n.unit_id, 'submission' FROM new_rows n;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION dti.queue_submission() IS
	'Trigger function: queues the units and periods of new submissions for dti.refresh() (status changes are queued by dti.apply_status_events())';
ALTER FUNCTION dti.queue_submission() SET jit = off;
