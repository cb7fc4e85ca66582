-- dti_warehouse 0.2.0 -> 0.3.0: reliability and security fixes.
\echo Use "ALTER EXTENSION dti_warehouse UPDATE TO '0.3.0'" to load this file. \quit

-- dti_admin runs dti.refresh(): the rights it needs on the results, the log
-- and the queue.
GRANT INSERT, UPDATE, DELETE ON dti.result_scorecard, dti.result_rank TO dti_admin;
GRANT INSERT, UPDATE ON dti.refresh_log TO dti_admin;
GRANT DELETE ON dti.refresh_queue TO dti_admin;
GRANT USAGE ON SEQUENCE dti.refresh_log_id_seq TO dti_admin;
GRANT EXECUTE ON FUNCTION dti.compute_scorecards(text, integer, integer[], bigint),
	dti.compute_ranks(text, integer, integer[]) TO dti_admin;

-- dti.refresh() works on, and removes from the queue, exactly the queue rows
-- committed when it started (a change committed during a run stays queued).

CREATE OR REPLACE PROCEDURE dti.refresh(period text DEFAULT NULL, framework_id integer DEFAULT NULL)
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
			SELECT DISTINCT s.period, NULL::integer AS unit_id, true AS whole
			FROM dti.submission s
			WHERE (refresh.period IS NOT NULL OR refresh.framework_id IS NOT NULL)
			  AND (refresh.period IS NULL OR s.period = refresh.period)
			UNION ALL
			-- queued changes; "everything" expands to every period with submissions
			SELECT q.period, q.unit_id, q.whole FROM dti.refresh_queue q
			WHERE refresh.period IS NULL AND refresh.framework_id IS NULL AND q.id <= max_queued AND q.period IS NOT NULL
			  AND EXISTS (SELECT 1 FROM pg_temp.dti_refresh_seen x WHERE x.id = q.id)
			UNION ALL
			SELECT DISTINCT s.period, NULL::integer, true FROM dti.submission s
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
