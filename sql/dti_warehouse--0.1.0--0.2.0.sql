-- dti_warehouse 0.1.0 -> 0.2.0: the scoring pipeline, dti.refresh(), BI views.
-- As released; do not edit.
\echo Use "ALTER EXTENSION dti_warehouse UPDATE TO '0.2.0'" to load this file. \quit

-- sql/warehouse/60_pipeline.sql
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

-- sql/warehouse/70_refresh.sql
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
	IF TG_TABLE_NAME = 'submission' THEN
		INSERT INTO dti.refresh_queue (period, unit_id, reason)
		SELECT DISTINCT n.period, n.unit_id, 'submission' FROM new_rows n;
	ELSE
		INSERT INTO dti.refresh_queue (period, unit_id, reason)
		SELECT DISTINCT s.period, s.unit_id, 'status' FROM new_rows n JOIN dti.submission s ON s.id = n.submission_id;
	END IF;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION dti.queue_submission() IS
	'Trigger function: queues the units and periods of new submissions and status changes for dti.refresh()';
CREATE TRIGGER submission_queue AFTER INSERT ON dti.submission
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_submission();
CREATE TRIGGER submission_status_queue AFTER INSERT ON dti.submission_status
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
CREATE TRIGGER framework_indicator_queue AFTER INSERT OR UPDATE OR DELETE ON dti.framework_indicator
	FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_everything();
CREATE TRIGGER framework_queue AFTER UPDATE ON dti.framework
	FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_everything();
CREATE TRIGGER framework_use_queue AFTER INSERT ON dti.framework_use
	FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_everything();
CREATE TRIGGER unit_queue AFTER INSERT OR UPDATE OR DELETE ON dti.unit
	FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_everything();

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
LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
BEGIN ATOMIC
	INSERT INTO dti.period_lock (period, reason) VALUES (lock_period.period, lock_period.reason)
	ON CONFLICT ON CONSTRAINT period_lock_pkey DO NOTHING;
END;
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
	run_by name NOT NULL DEFAULT current_user
);
ALTER SEQUENCE dti.refresh_log_id_seq OWNED BY dti.refresh_log.id;
COMMENT ON SEQUENCE dti.refresh_log_id_seq IS 'Identifiers of dti.refresh_log (run numbers)';
COMMENT ON TABLE dti.refresh_log IS 'One row per dti.refresh() run';

------------------------------------------------------------------------------
-- CALL dti.refresh()
------------------------------------------------------------------------------

CREATE PROCEDURE dti.refresh(period text DEFAULT NULL, framework_id integer DEFAULT NULL)
LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
DECLARE
	run bigint;
	max_queued bigint;
	w record;
	todo_periods text[] := '{}';
	v_whole text[] := '{}';
	pending text[];
	n_cards bigint := 0;
	n_ranks bigint := 0;
	msg text;
	state text;
BEGIN
	-- One refresh at a time: a second call leaves at once with a notice.
	IF NOT pg_try_advisory_xact_lock(hashtext('dti.refresh')) THEN
		INSERT INTO dti.refresh_log (started_at, ended_at, requested_period, requested_framework, outcome, error)
		VALUES (clock_timestamp(), clock_timestamp(), refresh.period, refresh.framework_id, 'skipped',
				'another refresh is running');
		RAISE NOTICE 'dti.refresh: another refresh is running; this call does nothing'
			USING HINT = 'Its results are published when it commits; see dti.refresh_log.';
		RETURN;
	END IF;
	INSERT INTO dti.refresh_log (started_at, requested_period, requested_framework, outcome)
	VALUES (clock_timestamp(), refresh.period, refresh.framework_id, 'running')
	RETURNING id INTO run;
	SELECT coalesce(max(q.id), 0) INTO max_queued FROM dti.refresh_queue q;

	BEGIN
		-- The work: (period, framework) pairs with the units to redo (NULL: all).
		IF to_regclass('pg_temp.dti_refresh_work') IS NULL THEN
			CREATE TEMP TABLE dti_refresh_work (
				period text, framework_id integer, unit_ids integer[], whole boolean) ON COMMIT DROP;
		END IF;
		TRUNCATE pg_temp.dti_refresh_work;
		INSERT INTO pg_temp.dti_refresh_work
		WITH requested AS (
			-- explicit period or framework: those periods, whole
			SELECT DISTINCT s.period, NULL::integer AS unit_id, true AS whole
			FROM dti.submission s
			WHERE (refresh.period IS NOT NULL OR refresh.framework_id IS NOT NULL)
			  AND (refresh.period IS NULL OR s.period = refresh.period)
			UNION ALL
			-- queued changes; "everything" expands to every period with submissions
			SELECT q.period, q.unit_id, q.whole FROM dti.refresh_queue q
			WHERE refresh.period IS NULL AND refresh.framework_id IS NULL AND q.id <= max_queued AND q.period IS NOT NULL
			UNION ALL
			SELECT DISTINCT s.period, NULL::integer, true FROM dti.submission s
			WHERE refresh.period IS NULL AND refresh.framework_id IS NULL
			  AND EXISTS (SELECT 1 FROM dti.refresh_queue q WHERE q.id <= max_queued AND q.period IS NULL)
		), per_unit AS (
			SELECT r.period, p.year, u.level, r.unit_id, r.whole
			FROM requested r
			JOIN dti.period p ON p.label = r.period
			LEFT JOIN dti.unit u ON u.id = r.unit_id
		), with_fw AS (
			-- a whole period covers every level assessed in it
			SELECT pu.period, fu.framework_id, pu.unit_id, pu.whole
			FROM per_unit pu
			JOIN dti.framework_in_use fu ON fu.year = pu.year
				AND (pu.level = fu.level OR (pu.unit_id IS NULL AND EXISTS (
					SELECT 1 FROM dti.submission s JOIN dti.unit u2 ON u2.id = s.unit_id
					WHERE s.period = pu.period AND u2.level = fu.level)))
			WHERE refresh.framework_id IS NULL OR fu.framework_id = refresh.framework_id
		)
		SELECT wf.period, wf.framework_id,
			   CASE WHEN bool_or(wf.whole) OR dti.framework_is_relative(wf.framework_id) THEN NULL
					ELSE array_agg(DISTINCT wf.unit_id) END,
			   bool_or(wf.whole) OR dti.framework_is_relative(wf.framework_id)
		FROM with_fw wf
		GROUP BY wf.period, wf.framework_id;

		SELECT array_agg(DISTINCT x.period ORDER BY x.period) INTO pending
		FROM pg_temp.dti_refresh_work x JOIN dti.period_lock l ON l.period = x.period;

		FOR w IN
			SELECT x.* FROM pg_temp.dti_refresh_work x
			WHERE NOT EXISTS (SELECT 1 FROM dti.period_lock l WHERE l.period = x.period)
			ORDER BY x.period, x.framework_id
		LOOP
			n_cards := n_cards + dti.compute_scorecards(w.period, w.framework_id, w.unit_ids, run);
			n_ranks := n_ranks + dti.compute_ranks(w.period, w.framework_id, w.unit_ids);
			todo_periods := todo_periods || w.period;
			IF w.whole THEN
				v_whole := v_whole || w.period;
			END IF;
		END LOOP;

		-- done with the queue, except what waits for a locked period
		DELETE FROM dti.refresh_queue q
		WHERE q.id <= max_queued
		  AND (refresh.period IS NULL AND refresh.framework_id IS NULL)
		  AND NOT EXISTS (SELECT 1 FROM dti.period_lock l WHERE l.period = q.period);
		IF refresh.period IS NOT NULL THEN
			DELETE FROM dti.refresh_queue q WHERE q.period = refresh.period;
		END IF;
		DROP TABLE pg_temp.dti_refresh_work;
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, state = RETURNED_SQLSTATE;
		UPDATE dti.refresh_log SET ended_at = clock_timestamp(), outcome = 'failed', error = msg, sqlstate = state
		WHERE id = run;
		RAISE WARNING 'dti.refresh failed: %', msg
			USING DETAIL = 'The previous results are still published; the queued changes stay queued.',
				  HINT = format('See dti.refresh_log (run %s).', run);
		RETURN;
	END;

	UPDATE dti.refresh_log
	SET ended_at = clock_timestamp(), outcome = 'ok',
		periods = ARRAY(SELECT DISTINCT unnest(todo_periods) ORDER BY 1),
		whole_periods = ARRAY(SELECT DISTINCT unnest(v_whole) ORDER BY 1),
		pending_periods = pending, scorecards = n_cards, ranks = n_ranks
	WHERE id = run;
END $$;
COMMENT ON PROCEDURE dti.refresh(text, integer) IS
	'Recomputes what changed since the last refresh (or the given period or framework, whole) and publishes it atomically: one unit''s change re-scores that unit and re-ranks its period; periods of frameworks with relative rules are recomputed whole; locked periods are skipped (reported as pending); a concurrent call exits with a notice; every run is logged in dti.refresh_log, and a failed run leaves the previous results';

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
	IF to_regnamespace('cron') IS NULL THEN
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
	IF to_regnamespace('cron') IS NULL THEN
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

-- sql/warehouse/80_bi.sql
-- Views for BI tools (Superset, Metabase, Power BI, QGIS): finished scores
-- and ranks from the published results, standard types only (text, integer,
-- numeric at the published scale, date, timestamptz), stable column names,
-- Vietnamese names with diacritics.  docs/bi.md describes every column.

-- A grade scale (A-E) for frameworks that define one.
CREATE TABLE dti.framework_grade (
	framework_id integer NOT NULL REFERENCES dti.framework (id),
	grade text NOT NULL,
	min_value float8 NOT NULL,
	PRIMARY KEY (framework_id, grade)
);
COMMENT ON TABLE dti.framework_grade IS
	'Optional grade scale of a framework: a unit gets the grade with the highest min_value its index reaches (e.g. A 0.90, B 0.80, C 0.65, D 0.50, E 0)';

CREATE VIEW dti.score_long AS
SELECT u.code AS unit_code,
	   u.name_vi AS unit,
	   u.level AS unit_level,
	   r.period,
	   f.code AS framework,
	   f.version AS framework_version,
	   n.code::text AS code,
	   coalesce(i.name_vi, f.title_vi) AS name_vi,
	   coalesce(i.name_en, f.title_en) AS name_en,
	   n.level,
	   round(n.value::numeric, 4) AS value,
	   round(n.points::numeric, 2) AS points,
	   n.max_points::numeric AS max_points,
	   rk.rank,
	   prev.rank AS rank_prev,
	   prev.rank - rk.rank AS rank_change,
	   rk.group_rank AS region_rank,
	   round(n.present::numeric / nullif(n.expected, 0), 4) AS coverage
FROM dti.result_scorecard r
JOIN dti.unit u ON u.id = r.unit_id
JOIN dti.framework f ON f.id = r.framework_id
CROSS JOIN LATERAL scorecard_nodes(r.scorecard) n
LEFT JOIN dti.framework_indicator i ON i.framework_id = r.framework_id AND i.code = n.code
LEFT JOIN dti.result_rank rk ON rk.period = r.period AND rk.unit_id = r.unit_id AND rk.code = n.code
LEFT JOIN LATERAL (
	-- the same indicator a period earlier: under the same framework, through
	-- the indicator mapping of another framework, or the index itself
	SELECT p.rank FROM dti.result_rank p
	WHERE p.period = dti.previous_period(r.period) AND p.unit_id = r.unit_id
	  AND ((p.code = n.code AND (p.framework_id = r.framework_id OR n.code = 'DTI'))
		   OR EXISTS (SELECT 1 FROM dti.indicator_map m
					  WHERE m.from_framework_id = p.framework_id AND m.from_code = p.code
						AND m.to_framework_id = r.framework_id AND m.to_code = n.code))
	ORDER BY p.code = n.code DESC
	LIMIT 1) prev ON true;

CREATE VIEW dti.ranking AS
SELECT r.period,
	   u.level AS unit_level,
	   f.code AS framework,
	   rk.rank,
	   u.code AS unit_code,
	   u.name_vi AS unit,
	   g.name_vi AS region,
	   round(rk.value::numeric, 4) AS value,
	   prev.rank AS rank_prev,
	   prev.rank - rk.rank AS rank_change,
	   round((rk.value - prev.value)::numeric, 4) AS value_change,
	   rk.group_rank AS region_rank,
	   CASE WHEN rk.value > 0.75 THEN 'Rất cao'
			WHEN rk.value >= 0.50 THEN 'Cao'
			WHEN rk.value >= 0.25 THEN 'Trung bình'
			WHEN rk.value IS NOT NULL THEN 'Thấp' END AS band,
	   (SELECT gs.grade FROM dti.framework_grade gs
		WHERE gs.framework_id = r.framework_id AND rk.value >= gs.min_value
		ORDER BY gs.min_value DESC LIMIT 1) AS grade
FROM dti.result_scorecard r
JOIN dti.result_rank rk ON rk.period = r.period AND rk.unit_id = r.unit_id AND rk.code = 'DTI'
JOIN dti.unit u ON u.id = r.unit_id
LEFT JOIN dti.unit g ON g.id = u.parent_id
JOIN dti.framework f ON f.id = r.framework_id
LEFT JOIN dti.result_rank prev ON prev.period = dti.previous_period(r.period)
	AND prev.unit_id = r.unit_id AND prev.code = 'DTI';

CREATE VIEW dti.province_ranking AS
SELECT * FROM dti.ranking WHERE unit_level = 'province';

CREATE VIEW dti.top_contributors AS
SELECT u.code AS unit_code,
	   u.name_vi AS unit,
	   r.period,
	   p.period AS period_prev,
	   e.code::text AS code,
	   coalesce(i.name_vi, f.title_vi) AS name_vi,
	   e.k::integer AS place,
	   round(e.value_a::numeric, 4) AS value_prev,
	   round(e.value_b::numeric, 4) AS value,
	   round(e.contribution::numeric, 6) AS contribution,
	   round((e.contribution * f.max_points)::numeric, 2) AS contribution_points,
	   round(e.share::numeric, 4) AS share
FROM dti.result_scorecard r
JOIN dti.result_scorecard p ON p.unit_id = r.unit_id AND p.period = dti.previous_period(r.period)
	AND p.framework_id = r.framework_id
JOIN dti.unit u ON u.id = r.unit_id
JOIN dti.framework f ON f.id = r.framework_id
CROSS JOIN LATERAL (
	SELECT x.*, row_number() OVER (ORDER BY abs(x.contribution) DESC, x.code) AS k
	FROM explain_change(p.scorecard, r.scorecard) x WHERE x.is_leaf AND x.contribution <> 0) e
LEFT JOIN dti.framework_indicator i ON i.framework_id = r.framework_id AND i.code = e.code
WHERE e.k <= 5 AND r.root_value IS NOT NULL AND p.root_value IS NOT NULL;

CREATE VIEW dti.data_quality AS
SELECT u.code AS unit_code,
	   u.name_vi AS unit,
	   s.period,
	   f.code AS framework,
	   (SELECT count(*) FROM dti.framework_indicator i
		WHERE i.framework_id = f.id
		  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator c
						  WHERE c.framework_id = i.framework_id AND parent(c.code) = i.code))::integer AS expected,
	   s.submitted::integer,
	   coalesce(v.verified, 0)::integer AS verified,
	   round(coalesce(v.verified, 0)::numeric / nullif(s.submitted, 0), 4) AS verified_share,
	   (SELECT count(*) FROM dti.refresh_queue q WHERE q.period = s.period AND (q.unit_id = s.unit_id OR q.unit_id IS NULL))::integer
		   AS pending_changes
FROM (SELECT unit_id, period, count(DISTINCT indicator) AS submitted FROM dti.submission GROUP BY unit_id, period) s
JOIN dti.unit u ON u.id = s.unit_id
JOIN dti.period pe ON pe.label = s.period
JOIN dti.framework_in_use fu ON fu.level = u.level AND fu.year = pe.year
JOIN dti.framework f ON f.id = fu.framework_id
LEFT JOIN LATERAL (SELECT count(*) AS verified FROM dti.verified_values(s.period, ARRAY[s.unit_id])) v ON true;

CREATE VIEW dti.merged_series AS
SELECT nu.code AS unit_code,
	   nu.name_vi AS unit,
	   r.period,
	   n.code::text AS code,
	   n.level,
	   round(avg(n.value)::numeric, 4) AS carried_value,
	   count(n.value)::integer AS members_with_value,
	   count(*)::integer AS members,
	   string_agg(ou.name_vi, ', ' ORDER BY ou.code) AS member_units,
	   (SELECT round(x.value::numeric, 4) FROM dti.result_rank x
		WHERE x.unit_id = nu.id AND x.period = r.period AND x.code = n.code) AS own_value
FROM dti.unit_succession us
JOIN dti.unit ou ON ou.id = us.predecessor_id
JOIN dti.unit nu ON nu.id = us.successor_id
JOIN dti.result_scorecard r ON r.unit_id = us.predecessor_id
CROSS JOIN LATERAL scorecard_nodes(r.scorecard) n
WHERE n.level <= 2
GROUP BY nu.id, nu.code, nu.name_vi, r.period, n.code, n.level;

CREATE VIEW dti.target_attainment AS
WITH latest AS (
	SELECT DISTINCT ON (t.id, s.unit_id) t.id AS target_id, s.unit_id, s.period, s.value
	FROM dti.target t
	JOIN dti.submission s ON s.indicator::text = t.code
	JOIN LATERAL (SELECT st.status FROM dti.submission_status st
				  WHERE st.submission_id = s.id ORDER BY st.id DESC LIMIT 1) st ON st.status = 'verified'
	ORDER BY t.id, s.unit_id, s.period DESC, s.id DESC
), first AS (
	SELECT DISTINCT ON (t.id, s.unit_id) t.id AS target_id, s.unit_id, s.period, s.value
	FROM dti.target t
	JOIN dti.submission s ON s.indicator::text = t.code
	JOIN LATERAL (SELECT st.status FROM dti.submission_status st
				  WHERE st.submission_id = s.id ORDER BY st.id DESC LIMIT 1) st ON st.status = 'verified'
	ORDER BY t.id, s.unit_id, s.period, s.id DESC
)
SELECT t.code,
	   coalesce(t.name_vi, t.name_en) AS name_vi,
	   t.name_en,
	   t.pillar,
	   u.code AS unit_code,
	   u.name_vi AS unit,
	   l.period,
	   t.target_value::numeric AS target,
	   t.unit_of_measure,
	   t.direction,
	   t.deadline,
	   l.value::numeric AS value,
	   CASE t.direction WHEN 'higher' THEN t.target_value - l.value ELSE l.value - t.target_value END::numeric AS gap,
	   CASE
		   WHEN l.value IS NULL THEN 'no data'
		   WHEN (t.direction = 'higher' AND l.value >= t.target_value)
			 OR (t.direction = 'lower' AND l.value <= t.target_value) THEN 'achieved'
		   WHEN dti.period_end(l.period) >= t.deadline THEN 'missed'
		   WHEN fi.period IS NOT NULL AND fi.period <> l.period
				AND (l.value + (l.value - fi.value) / (dti.period_end(l.period) - dti.period_end(fi.period))
					 * (t.deadline - dti.period_end(l.period)) - t.target_value)
					* CASE t.direction WHEN 'higher' THEN 1 ELSE -1 END >= 0 THEN 'on track'
		   ELSE 'off track'
	   END AS status
FROM dti.target t
LEFT JOIN latest l ON l.target_id = t.id
LEFT JOIN first fi ON fi.target_id = t.id AND fi.unit_id = l.unit_id
LEFT JOIN dti.unit u ON u.id = l.unit_id;

CREATE VIEW dti.refresh_history AS
SELECT id AS run, started_at, ended_at, round(extract(epoch FROM ended_at - started_at)::numeric, 3) AS seconds,
	   requested_period, requested_framework, array_to_string(periods, ', ') AS periods,
	   array_to_string(whole_periods, ', ') AS whole_periods, array_to_string(pending_periods, ', ') AS pending_periods,
	   scorecards, ranks, outcome, error, sqlstate, run_by::text AS run_by
FROM dti.refresh_log;


-- The wide form: one row per unit and period, the index and each main
-- indicator of one framework as columns named after their codes (lower
-- case).  Built for the shipped provincial framework at install; rebuild it
-- with dti.build_score_wide('<framework code>') when a new framework
-- becomes the current one.
CREATE FUNCTION dti.build_score_wide(framework_code text DEFAULT '922-province') RETURNS text
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	fw_ids integer[];
	cols text := '';
	r record;
	sql text;
BEGIN
	SELECT array_agg(f.id) INTO fw_ids FROM dti.framework f WHERE f.code = build_score_wide.framework_code;
	IF fw_ids IS NULL THEN
		RAISE EXCEPTION 'no framework with code %', framework_code
			USING ERRCODE = 'no_data_found', HINT = 'Look the code up in dti.framework.';
	END IF;
	FOR r IN
		SELECT DISTINCT i.code::text AS code FROM dti.framework_indicator i
		WHERE i.framework_id = ANY (fw_ids) AND nlevel(i.code) = 1
		  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator p
						  WHERE p.framework_id = i.framework_id AND p.code = parent(i.code))
		ORDER BY 1
	LOOP
		cols := cols || format(E',\n\tmax(round(n.value::numeric, 4)) FILTER (WHERE n.code = %L) AS %I',
							   r.code, lower(r.code));
	END LOOP;
	sql := format($v$CREATE VIEW dti.score_wide AS
SELECT u.code AS unit_code, u.name_vi AS unit, g.name_vi AS region, r.period, f.code AS framework,
	round(r.root_value::numeric, 4) AS dti, min(rk.rank) AS rank%s
FROM dti.result_scorecard r
JOIN dti.framework f ON f.id = r.framework_id AND f.code = %L
JOIN dti.unit u ON u.id = r.unit_id
LEFT JOIN dti.unit g ON g.id = u.parent_id
LEFT JOIN dti.result_rank rk ON rk.period = r.period AND rk.unit_id = r.unit_id AND rk.code = 'DTI'
CROSS JOIN LATERAL scorecard_nodes(r.scorecard) n
GROUP BY u.code, u.name_vi, g.name_vi, r.period, f.code, r.root_value$v$, cols, framework_code);
	EXECUTE 'DROP VIEW IF EXISTS dti.score_wide';
	EXECUTE sql;
	EXECUTE format('COMMENT ON VIEW dti.score_wide IS %L',
				   format('One row per unit and period of framework %s: the index (dti) and each main indicator as a column named after its code, values rounded to 4 decimals', framework_code));
	EXECUTE 'GRANT SELECT ON dti.score_wide TO dti_reader, dti_admin';
	RETURN sql;
END $$;
COMMENT ON FUNCTION dti.build_score_wide(text) IS
	'Builds (or rebuilds) the view dti.score_wide for a framework code: one column per main indicator; returns the view definition';
SELECT dti.build_score_wide();

-- Comments on every column of the BI views.
DO $$
DECLARE
	c record;
BEGIN
	FOR c IN SELECT * FROM (VALUES
		('score_long', NULL, 'Long form: one row per unit, period and indicator of the published scorecards (the index DTI, pillars, main indicators, components), with ranks'),
		('ranking', NULL, 'Published ranking of every unit on the index: rank at 4 decimals (competition, 1224), change since the previous period, rank within the region or ministry group, band and grade'),
		('province_ranking', NULL, 'The ranking of provinces (dti.ranking for unit_level province)'),
		('top_contributors', NULL, 'The five leaves that contributed most to each unit''s change of the index since the previous period (same framework), from explain_change()'),
		('data_quality', NULL, 'Per unit and period: leaves the framework expects, indicators submitted, indicators with a current verified value, and changes waiting for a refresh'),
		('merged_series', NULL, 'Pre-merger values carried onto the 34 units of 2025: the official unweighted mean of the members'' values per main indicator and index, beside the unit''s own value where it has one'),
		('target_attainment', NULL, 'National targets: latest verified value of each target indicator per unit, the gap, and achieved / on track / off track / missed / no data'),
		('refresh_history', NULL, 'The refresh log: one row per CALL dti.refresh()'),
		('score_wide', NULL, NULL),
		(NULL, 'unit_code', 'Official code of the unit (GSO 2-digit code for provinces)'),
		(NULL, 'unit', 'Vietnamese name of the unit, with diacritics'),
		(NULL, 'unit_level', 'province, ministry, nation or commune'),
		(NULL, 'region', 'Socio-economic region of a province, or group of a ministry'),
		(NULL, 'period', 'Assessment period (2024, 2024-Q1, 2024-03)'),
		(NULL, 'period_prev', 'The previous period of the same kind'),
		(NULL, 'framework', 'Framework code (e.g. 922-province)'),
		(NULL, 'framework_version', 'Framework version'),
		(NULL, 'code', 'Indicator code; DTI is the index itself'),
		(NULL, 'name_vi', 'Vietnamese name of the indicator, with diacritics'),
		(NULL, 'name_en', 'English name of the indicator'),
		(NULL, 'level', 'Depth in the tree: 1 the index, 2 main indicators, 3 components, ...'),
		(NULL, 'value', 'Value in [0, 1] (or the normalised scale of a mean framework), rounded to the published 4 decimals'),
		(NULL, 'points', 'Points: value times max points'),
		(NULL, 'max_points', 'Maximum points'),
		(NULL, 'rank', 'Competition rank (1224) among the units of the period on the value at 4 decimals, highest first'),
		(NULL, 'rank_prev', 'Rank in the previous period (through the indicator mapping when the framework changed; the index always)'),
		(NULL, 'rank_change', 'rank_prev minus rank: positive means the unit moved up'),
		(NULL, 'value_change', 'Value minus the value of the previous period'),
		(NULL, 'region_rank', 'Rank within the socio-economic region (provinces) or ministry group (ministries)'),
		(NULL, 'coverage', 'Share of the leaves under the node that have a verified value'),
		(NULL, 'band', 'EGDI-style band of the index: Rất cao (> 0.75), Cao (0.50-0.75), Trung bình (0.25-0.50), Thấp (< 0.25)'),
		(NULL, 'grade', 'A-E grade where the framework defines a scale (dti.framework_grade)'),
		(NULL, 'place', 'Place of the contribution by size, 1 the largest'),
		(NULL, 'value_prev', 'Value in the previous period'),
		(NULL, 'contribution', 'Contribution to the change of the index (index scale); the leaves sum to the change'),
		(NULL, 'contribution_points', 'Contribution in points (times the framework''s max points)'),
		(NULL, 'share', 'Contribution as a share of the change of the index'),
		(NULL, 'expected', 'Leaves of the framework'),
		(NULL, 'submitted', 'Indicators with at least one submission'),
		(NULL, 'verified', 'Indicators with a current verified value'),
		(NULL, 'verified_share', 'verified / submitted'),
		(NULL, 'pending_changes', 'Queued changes not yet refreshed'),
		(NULL, 'carried_value', 'Mean of the members'' values (the official rule for units merged in 2025)'),
		(NULL, 'members_with_value', 'Members that have a value'),
		(NULL, 'members', 'Members (old provinces) of the new unit'),
		(NULL, 'member_units', 'Names of the members'),
		(NULL, 'own_value', 'The unit''s own value in the period, where it has one'),
		(NULL, 'pillar', 'Pillar of the target (digital government, economy, society)'),
		(NULL, 'target', 'Target value'),
		(NULL, 'unit_of_measure', 'Unit of the values'),
		(NULL, 'direction', 'higher or lower is better'),
		(NULL, 'deadline', 'Date by which the target is due'),
		(NULL, 'gap', 'How far the latest value is from the target, in the target''s direction (positive: still to go)'),
		(NULL, 'status', 'achieved, on track (a straight line through the first and latest values reaches the target by the deadline), off track, missed, no data'),
		(NULL, 'dti', 'The index, rounded to 4 decimals'),
		(NULL, 'run', 'Refresh run number'),
		(NULL, 'started_at', 'When the run started'),
		(NULL, 'ended_at', 'When the run ended'),
		(NULL, 'seconds', 'Duration in seconds'),
		(NULL, 'requested_period', 'Period asked for, if any'),
		(NULL, 'requested_framework', 'Framework asked for, if any'),
		(NULL, 'periods', 'Periods recomputed'),
		(NULL, 'whole_periods', 'Periods recomputed whole (relative rules, framework or unit changes, or asked for)'),
		(NULL, 'pending_periods', 'Locked periods with changes waiting'),
		(NULL, 'scorecards', 'Scorecards written'),
		(NULL, 'ranks', 'Rank rows written or removed'),
		(NULL, 'outcome', 'ok, failed, skipped (another refresh was running)'),
		(NULL, 'error', 'Error message of a failed run'),
		(NULL, 'sqlstate', 'SQLSTATE of a failed run'),
		(NULL, 'run_by', 'Role that ran it')
	) AS v (view_name, column_name, comment)
	LOOP
		IF c.view_name IS NOT NULL AND c.comment IS NOT NULL THEN
			EXECUTE format('COMMENT ON VIEW dti.%I IS %L', c.view_name, c.comment);
		ELSIF c.column_name IS NOT NULL THEN
			FOR c.view_name IN
				SELECT a.attrelid::regclass::text FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid
				WHERE k.relnamespace = 'dti'::regnamespace AND k.relkind = 'v' AND a.attname = c.column_name
				  AND k.relname IN ('score_long', 'ranking', 'province_ranking', 'top_contributors', 'data_quality',
									'merged_series', 'target_attainment', 'refresh_history', 'score_wide')
			LOOP
				EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', c.view_name, c.column_name, c.comment);
			END LOOP;
		END IF;
	END LOOP;
END $$;

GRANT SELECT ON dti.score_long, dti.ranking, dti.province_ranking, dti.top_contributors, dti.data_quality,
	dti.merged_series, dti.target_attainment, dti.refresh_history TO dti_reader, dti_admin;
GRANT SELECT ON dti.result_scorecard, dti.result_rank, dti.refresh_log, dti.refresh_queue, dti.period_lock,
	dti.framework_grade TO dti_admin;
GRANT INSERT, DELETE ON dti.period_lock TO dti_admin;
GRANT INSERT ON dti.framework_grade TO dti_admin;
REVOKE EXECUTE ON FUNCTION dti.compute_scorecards(text, integer, integer[], bigint), dti.compute_ranks(text, integer, integer[]),
	dti.lock_period(text, text), dti.unlock_period(text), dti.schedule_refresh(text), dti.unschedule_refresh()
	FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE dti.refresh(text, integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE dti.refresh(text, integer) TO dti_admin;
GRANT EXECUTE ON FUNCTION dti.lock_period(text, text), dti.unlock_period(text) TO dti_admin;

SELECT pg_catalog.pg_extension_config_dump('dti.result_scorecard', '');
SELECT pg_catalog.pg_extension_config_dump('dti.result_rank', '');
-- The queue's rows are not dumped (WHERE false): restoring the submissions
-- fires the queueing triggers, so a restored database queues everything for
-- the next refresh.
SELECT pg_catalog.pg_extension_config_dump('dti.refresh_queue', 'WHERE false');
SELECT pg_catalog.pg_extension_config_dump('dti.refresh_queue_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.refresh_log', '');
SELECT pg_catalog.pg_extension_config_dump('dti.refresh_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.period_lock', '');
SELECT pg_catalog.pg_extension_config_dump('dti.framework_grade', '');
