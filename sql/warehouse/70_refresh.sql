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
		SELECT DISTINCT s.period, s.unit_id, 'status' FROM new_rows n
		CROSS JOIN LATERAL (SELECT x.period, x.unit_id FROM dti.submission x
							WHERE x.id = n.submission_id OFFSET 0) s; -- an index probe per event
	END IF;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION dti.queue_submission() IS
	'Trigger function: queues the units and periods of new submissions and status changes for dti.refresh()';
REVOKE EXECUTE ON FUNCTION dti.queue_submission() FROM PUBLIC;
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
REVOKE EXECUTE ON FUNCTION dti.queue_everything() FROM PUBLIC;
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

-- Only a table's owner may analyse it; the refresh runs as an admin.
CREATE FUNCTION dti.analyze_results() RETURNS void
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	ANALYZE dti.result_scorecard, dti.result_rank;
END $$;
COMMENT ON FUNCTION dti.analyze_results() IS
	'Internal: refreshes the planner statistics of the result tables (dti.result_scorecard, dti.result_rank) as their owner; called by dti.refresh() after every run that wrote results';
REVOKE EXECUTE ON FUNCTION dti.analyze_results() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.analyze_results() TO dti_admin;

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
	-- The queue rows this run handles: those committed now.  A row with a
	-- lower id may still commit later (ids are drawn before commit), so the
	-- run works on and removes exactly these rows, never "every id up to".
	IF to_regclass('pg_temp.dti_refresh_seen') IS NULL THEN
		CREATE TEMP TABLE dti_refresh_seen (id bigint PRIMARY KEY) ON COMMIT DROP;
	END IF;
	TRUNCATE pg_temp.dti_refresh_seen;
	INSERT INTO pg_temp.dti_refresh_seen SELECT q.id FROM dti.refresh_queue q;
	SELECT coalesce(max(q.id), 0) INTO max_queued FROM pg_temp.dti_refresh_seen q;

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
			SELECT s.period, NULL::integer AS unit_id, true AS whole
			FROM dti.submitted_periods() s(period)
			WHERE (refresh.period IS NOT NULL OR refresh.framework_id IS NOT NULL)
			  AND (refresh.period IS NULL OR s.period = refresh.period)
			UNION ALL
			-- queued changes; "everything" expands to every period with submissions
			SELECT q.period, q.unit_id, q.whole FROM dti.refresh_queue q
			WHERE refresh.period IS NULL AND refresh.framework_id IS NULL AND q.id <= max_queued AND q.period IS NOT NULL
			  AND EXISTS (SELECT 1 FROM pg_temp.dti_refresh_seen x WHERE x.id = q.id)
			UNION ALL
			SELECT s.period, NULL::integer, true FROM dti.submitted_periods() s(period)
			WHERE refresh.period IS NULL AND refresh.framework_id IS NULL
			  AND EXISTS (SELECT 1 FROM dti.refresh_queue q WHERE q.id <= max_queued AND q.period IS NULL
						  AND EXISTS (SELECT 1 FROM pg_temp.dti_refresh_seen x WHERE x.id = q.id))
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

		-- Publish statistics with the results, so that the dashboards' and
		-- GIS clients' queries (and their row estimates) after a refresh are
		-- planned on the rows just written.
		IF n_cards + n_ranks > 0 THEN
			PERFORM dti.analyze_results();
		END IF;

		-- done with the queue, except what waits for a locked period
		DELETE FROM dti.refresh_queue q
		WHERE q.id <= max_queued
		  AND EXISTS (SELECT 1 FROM pg_temp.dti_refresh_seen x WHERE x.id = q.id)
		  AND (refresh.period IS NULL AND refresh.framework_id IS NULL)
		  AND NOT EXISTS (SELECT 1 FROM dti.period_lock l WHERE l.period = q.period);
		IF refresh.period IS NOT NULL THEN
			DELETE FROM dti.refresh_queue q WHERE q.period = refresh.period
				AND EXISTS (SELECT 1 FROM pg_temp.dti_refresh_seen x WHERE x.id = q.id);
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
ALTER FUNCTION dti.submission_status_allowed() SET jit = off;
ALTER FUNCTION dti.sync_current_value() SET jit = off;
ALTER FUNCTION dti.queue_submission() SET jit = off;
