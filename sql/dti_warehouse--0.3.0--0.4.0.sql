-- dti_warehouse 0.3.0 -> 0.4.0: clearer refusals of bad input.  An
-- indicator whose parent is not in its framework is refused at commit
-- (it used to be hung under the root); dti.refresh() refuses an unknown
-- framework id or a malformed period (it used to log an empty success); a
-- rejection without a reason gets its own message.
\echo Use "ALTER EXTENSION dti_warehouse UPDATE TO '0.4.0'" to load this file. \quit

-- An indicator's parent (its code without the last part) must be an
-- indicator of the same framework, and a removed indicator must not leave
-- children behind.  Checked at commit, so that the rows of a framework may
-- arrive in any order (COPY of a CSV file).
CREATE FUNCTION dti.framework_indicator_parent_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	fw record;
	child indicator_code;
BEGIN
	IF TG_OP = 'DELETE' THEN
		SELECT c.code INTO child FROM dti.framework_indicator c
		WHERE c.framework_id = OLD.framework_id AND parent(c.code) = OLD.code LIMIT 1;
		IF FOUND THEN
			SELECT f.code, f.version INTO fw FROM dti.framework f WHERE f.id = OLD.framework_id;
			RAISE EXCEPTION 'indicator "%" of framework % version % was removed, but its child "%" was not',
				OLD.code, fw.code, fw.version, child
				USING ERRCODE = 'foreign_key_violation',
					HINT = 'Remove its children in the same transaction, or keep it.';
		END IF;
	ELSIF nlevel(NEW.code) > 1 AND NOT EXISTS (
			SELECT 1 FROM dti.framework_indicator p
			WHERE p.framework_id = NEW.framework_id AND p.code = parent(NEW.code)) THEN
		SELECT f.code, f.version INTO fw FROM dti.framework f WHERE f.id = NEW.framework_id;
		RAISE EXCEPTION 'indicator "%" of framework % version % has no parent "%"',
			NEW.code, fw.code, fw.version, parent(NEW.code)
			USING ERRCODE = 'foreign_key_violation',
				DETAIL = 'The parent of an indicator is its code without the last part; it must be an indicator of the same framework.',
				HINT = 'Add the parent indicator in the same transaction, or correct the code.';
	END IF;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION dti.framework_indicator_parent_check() IS
	'Trigger function: an indicator''s parent must be in its framework, and a removed indicator must not leave children (checked at commit)';
CREATE CONSTRAINT TRIGGER framework_indicator_parent AFTER INSERT OR UPDATE OR DELETE ON dti.framework_indicator
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dti.framework_indicator_parent_check();

CREATE OR REPLACE FUNCTION dti.submission_status_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	current text;
BEGIN
	SELECT coalesce((SELECT t.status FROM dti.submission_status t
					 WHERE t.submission_id = s.id ORDER BY t.id DESC LIMIT 1), s.status)
	INTO current
	FROM dti.submission s WHERE s.id = NEW.submission_id;
	IF current IS NULL THEN
		RAISE EXCEPTION 'no submission with id %', NEW.submission_id
			USING ERRCODE = 'foreign_key_violation',
				DETAIL = 'dti.submission has no such row, or it belongs to a unit you may not see.',
				HINT = 'Look the id up in dti.current_submission.';
	END IF;
	IF NEW.status = 'rejected' AND nullif(btrim(NEW.reason), '') IS NULL THEN
		RAISE EXCEPTION 'a rejection of submission % needs a reason', NEW.submission_id
			USING ERRCODE = 'check_violation',
				HINT = 'Give it as the third argument: dti.set_status(id, ''rejected'', ''why'').';
	END IF;
	IF (current, NEW.status) NOT IN (('draft', 'submitted'), ('submitted', 'verified'), ('submitted', 'rejected'),
									 ('verified', 'rejected'), ('rejected', 'verified')) THEN
		RAISE EXCEPTION 'submission % cannot go from % to %', NEW.submission_id, current, NEW.status
			USING ERRCODE = 'invalid_transaction_state',
				DETAIL = 'Allowed: draft -> submitted, submitted -> verified or rejected, verified -> rejected, rejected -> verified.',
				HINT = 'A new value is a new revision: insert it into dti.submission.';
	END IF;
	RETURN NEW;
END $$;

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

		-- Publish statistics with the results, so that the dashboards' first
		-- queries after a large refresh are planned well (only the tables'
		-- owner may analyse them; others leave it to autovacuum).
		IF n_cards + n_ranks > 10000 AND pg_has_role(
				(SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = 'dti.result_rank'::regclass), 'USAGE') THEN
			ANALYZE dti.result_scorecard, dti.result_rank;
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
