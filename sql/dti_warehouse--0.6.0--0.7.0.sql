-- dti_warehouse 0.6.0 -> 0.7.0
\echo Use "ALTER EXTENSION dti_warehouse UPDATE TO '0.7.0'" to load this file. \quit

------------------------------------------------------------------------------
-- Part issue-22r: refresh.  dti.result_rank keyed (period, code, unit_id)
-- without the index on values (a refresh writes a period's ranks appending
-- to one place per node); scorecards and ranks of a period recomputed whole
-- written where they changed only; the statistics of the results taken only
-- after runs that changed many rows; re-ranking after a few units' revision
-- updates the units it moves by their keys.
------------------------------------------------------------------------------

DROP INDEX dti.result_rank_value_idx;
ALTER TABLE dti.result_rank DROP CONSTRAINT result_rank_pkey,
	ADD CONSTRAINT result_rank_pkey PRIMARY KEY (period, code, unit_id);

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
		-- one place (NULL keys do not count): the few rows found first (a
		-- range of the primary key per node), then updated by their keys
		CREATE TEMP TABLE dti_rank_shift ON COMMIT DROP AS
		SELECT x.unit_id, x.code, sum(x.step) AS by_rank,
			   coalesce(sum(x.step) FILTER (WHERE x.same_group), 0) AS by_group
		FROM (
			SELECT o.unit_id, o.code,
				   coalesce((c.new_key > round_decimal(o.value, 4))::int, 0)
				   - coalesce((c.old_key > round_decimal(o.value, 4))::int, 0) AS step,
				   c.parent_id IS NOT DISTINCT FROM ou.parent_id AS same_group
			FROM pg_temp.dti_rank_change c
			-- per changed node, its range (OFFSET 0: not merged into a join
			-- over the whole period)
			CROSS JOIN LATERAL (
				SELECT o.unit_id, o.code, o.value FROM dti.result_rank o
				WHERE o.period = compute_ranks.period AND o.code = c.code
				  AND o.framework_id = compute_ranks.framework_id
				  AND o.value > c.lo AND o.value < c.hi
				OFFSET 0) o
			JOIN dti.unit ou ON ou.id = o.unit_id
			WHERE c.old_key IS DISTINCT FROM c.new_key
			  AND NOT (o.unit_id = ANY (compute_ranks.changed_units))
		) x
		WHERE x.step <> 0
		GROUP BY x.unit_id, x.code;
		ANALYZE pg_temp.dti_rank_shift;
		UPDATE dti.result_rank t
		SET rank = t.rank + d.by_rank, group_rank = t.group_rank + d.by_group
		FROM pg_temp.dti_rank_shift d
		WHERE t.period = compute_ranks.period AND t.code = d.code AND t.unit_id = d.unit_id;
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
					  -- nobody is passed by a key that did not move (read nothing)
					  AND c.old_key IS DISTINCT FROM c.new_key
				) y
			) x
			WHERE c.kept
		) r
		WHERE t.period = compute_ranks.period AND t.unit_id = r.unit_id AND t.code = r.code
		  AND (t.rank, t.group_rank) IS DISTINCT FROM (r.rank, r.group_rank);
		GET DIAGNOSTICS changed = ROW_COUNT;
		DROP TABLE pg_temp.dti_rank_change;
		DROP TABLE pg_temp.dti_rank_shift;
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
		CREATE TEMP TABLE dti_new_rank (LIKE dti.result_rank) ON COMMIT DROP;
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
COMMENT ON FUNCTION dti.compute_ranks(text, integer, integer[]) IS
	'Internal to dti.refresh(): ranks every inner node and main indicator of one period and framework; with a few changed units, moves the others between their old and new values by one place instead of re-ranking the period; writes only the rows that changed';

CREATE OR REPLACE FUNCTION dti.staged_ranks(period text, framework_id integer)
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
	-- the ranks of the level in this period by another framework (an
	-- earlier version that assessed it before) go
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

	-- step 3, the results: the scorecards, then the ranks.  Scorecards are
	-- written where they changed only (a nightly run over unchanged data
	-- writes nothing): the previous results of the level in this period,
	-- also those of another framework that assessed it before, are removed
	-- where the unit has no scorecard now, replaced where theirs differs,
	-- and the new units' added.  scorecards counts the units scored.
	SELECT count(*) INTO scorecards FROM pg_temp.dti_card;
	IF EXISTS (SELECT 1 FROM dti.result_scorecard r
			   WHERE r.period = compute_period.period
				 AND r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level)) THEN
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
	ELSE
		INSERT INTO dti.result_scorecard (period, unit_id, framework_id, scorecard, root_value, run_id)
		SELECT compute_period.period, c.unit_id, compute_period.framework_id, c.scorecard, root_value(c.scorecard),
			   compute_period.run_id
		FROM pg_temp.dti_card c ORDER BY c.unit_id;
	END IF;
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
