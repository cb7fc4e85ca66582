-- dti_warehouse 0.7.0 -> 0.8.0
\echo Use "ALTER EXTENSION dti_warehouse UPDATE TO '0.8.0'" to load this file. \quit

-- Part issue-rv: dti.publish() drops the stored min-max ranges of the
-- period and level it recomputes (dti.result_leaf_range): they were those
-- of the last refresh, and the changes the publication took in may have
-- moved them, so that the next revision of the period was re-scored alone
-- against ranges that were no longer the values'.  The next revision now
-- recomputes the period whole, which stores the ranges anew.
CREATE OR REPLACE FUNCTION dti.publish(period text, level text DEFAULT 'province', note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
-- runs as the owner: admins read the record of announcements but cannot
-- write it except through this function (the core's operators are not on
-- the pinned path: codes are compared as text)
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	fw integer;
	pub bigint;
	run bigint;
	n_units integer;
	who name := session_user;
BEGIN
	IF publish.period IS NULL OR NOT EXISTS (SELECT 1 FROM dti.period p WHERE p.label = publish.period) THEN
		RAISE EXCEPTION 'unknown period "%"', publish.period
			USING ERRCODE = 'no_data_found', HINT = 'Periods are the labels of dti.period (2024, 2024-Q1, 2024-03).';
	END IF;
	IF publish.level IS NULL OR publish.level NOT IN ('nation', 'province', 'ministry', 'commune') THEN
		RAISE EXCEPTION 'invalid level "%"', publish.level
			USING ERRCODE = 'invalid_parameter_value', HINT = 'A level is nation, province, ministry or commune.';
	END IF;
	SELECT fu.framework_id INTO fw FROM dti.framework_in_use fu JOIN dti.period p ON p.year = fu.year
	WHERE p.label = publish.period AND fu.level = publish.level;
	IF fw IS NULL THEN
		RAISE EXCEPTION 'no framework assesses level % in %', publish.level, publish.period
			USING ERRCODE = 'no_data_found', HINT = 'See dti.framework_in_use; dti.use_framework() assigns one.';
	END IF;
	-- One at a time with the refresh, and no status change while the values
	-- are read: what is announced is exactly what they give.
	PERFORM pg_advisory_xact_lock(hashtext('dti.refresh'));
	LOCK TABLE dti.current_value IN SHARE MODE;
	INSERT INTO dti.refresh_log (started_at, requested_period, requested_framework, outcome, run_by)
	VALUES (clock_timestamp(), publish.period, fw, 'running', who)
	RETURNING id INTO run;
	PERFORM dti.compute_scorecards(publish.period, fw, NULL, run);
	PERFORM dti.compute_ranks(publish.period, fw, NULL);
	-- The ranges of min-max and best leaves stored by the last refresh
	-- (dti.result_leaf_range) are those of the values it scored; this
	-- recompute took in the changes queued since, which may have moved
	-- them.  They are dropped: the next revision of the period recomputes
	-- it whole and stores them anew, rather than re-scoring one unit
	-- against ranges that are no longer the values'.
	DELETE FROM dti.result_leaf_range g
	WHERE g.period = publish.period
	  AND g.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = publish.level);
	SELECT count(*) INTO n_units FROM dti.result_scorecard r WHERE r.period = publish.period AND r.framework_id = fw;
	IF n_units = 0 THEN
		RAISE EXCEPTION 'nothing to publish: no verified value of level % in %', publish.level, publish.period
			USING ERRCODE = 'no_data_found',
				HINT = 'Load and verify the period''s values first; dti.data_quality shows what it has.';
	END IF;
	DELETE FROM dti.refresh_queue q WHERE q.id IN (SELECT dti.publication_queue(publish.period, publish.level));

	INSERT INTO dti.publication (period, level, framework_id, note, units, inputs, published_by)
	SELECT publish.period, publish.level, fw, coalesce(publish.note, 'published'), n_units, count(*), who
	FROM dti.current_value c
	JOIN dti.unit u ON u.id = c.unit_id AND u.level = publish.level
	WHERE c.period = publish.period
	  AND EXISTS (SELECT 1 FROM dti.framework_indicator i WHERE i.framework_id = fw AND i.code::text = c.indicator::text)
	RETURNING id INTO pub;
	INSERT INTO dti.publication_scorecard (publication_id, unit_id, scorecard, root_value)
	SELECT pub, r.unit_id, r.scorecard, r.root_value FROM dti.result_scorecard r
	WHERE r.period = publish.period AND r.framework_id = fw;
	INSERT INTO dti.publication_rank (publication_id, unit_id, code, level, value, rank, group_rank)
	SELECT pub, r.unit_id, r.code, r.level, r.value, r.rank, r.group_rank FROM dti.result_rank r
	WHERE r.period = publish.period AND r.framework_id = fw;
	INSERT INTO dti.publication_input (publication_id, submission_id)
	SELECT pub, c.submission_id FROM dti.current_value c
	JOIN dti.unit u ON u.id = c.unit_id AND u.level = publish.level
	WHERE c.period = publish.period
	  AND EXISTS (SELECT 1 FROM dti.framework_indicator i WHERE i.framework_id = fw AND i.code::text = c.indicator::text);

	PERFORM dti.freeze_framework(fw, format('announced for %s (publication %s)', publish.period, pub));
	DELETE FROM dti.period_lock l WHERE l.period = publish.period;
	INSERT INTO dti.period_lock (period, reason, locked_by)
	VALUES (publish.period, format('announced (publication %s): %s', pub, coalesce(publish.note, 'published')), who);
	UPDATE dti.refresh_log SET ended_at = clock_timestamp(), outcome = 'ok', periods = ARRAY[publish.period],
		whole_periods = ARRAY[publish.period], scorecards = n_units
	WHERE id = run;
	RETURN pub;
END $$;

-- Part issue-rv2: dti.verify_load() and dti.verify_unit() raise
-- no_data_found for a load, unit code or period that does not exist,
-- instead of returning 0 as if nothing were left to verify.
------------------------------------------------------------------------------

CREATE FUNCTION dti.check_status_where(load_id bigint, unit_code text, period text)
RETURNS void
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path FROM CURRENT AS $$
BEGIN
	IF check_status_where.load_id IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM dti.load l WHERE l.id = check_status_where.load_id) THEN
		RAISE EXCEPTION 'load % does not exist', check_status_where.load_id
			USING ERRCODE = 'no_data_found',
				DETAIL = 'dti.load has no such row that you may read.',
				HINT = 'dti.load lists the loads; its id is the one dti.load_staging() returned.';
	END IF;
	IF check_status_where.unit_code IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM dti.unit u WHERE u.code = btrim(check_status_where.unit_code)) THEN
		RAISE EXCEPTION 'unknown unit code "%"', check_status_where.unit_code
			USING ERRCODE = 'no_data_found',
				DETAIL = 'No unit in dti.unit has this code.',
				HINT = 'Use an official code (GSO 2-digit code for provinces); dti.unit_code(name, date) finds it by name on a date of the period.';
	END IF;
	IF check_status_where.period IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM dti.period p WHERE p.label = btrim(check_status_where.period)) THEN
		RAISE EXCEPTION 'unknown period "%"', check_status_where.period
			USING ERRCODE = 'no_data_found',
				DETAIL = 'dti.period has no such label.',
				HINT = 'Write the period as 2024, 2024-Q1 or 2024-03, as in dti.period.';
	END IF;
END $$;
COMMENT ON FUNCTION dti.check_status_where(bigint, text, text) IS
	'Internal to dti.verify_load and dti.verify_unit: raises no_data_found for a load, unit code or period that does not exist';

-- Verification in bulk: one status event per revision, in one statement.
-- It acts on the revisions that match and are the newest of their unit,
-- period and indicator, and whose status (the newest event, else the initial
-- status) waits for the verifier.  When the revisions that match are most of
-- those since the oldest of them (a recent load), the revisions since then
-- and the statuses of the range of ids of the matches are read once each,
-- with hash joins only (the statistics of a table that just grew may count a
-- few rows where there are thousands, and a nested loop over them would read
-- one side once per row of the other).  Otherwise (a unit and period, an old
-- load: revisions spread over the history) with an index probe per revision
-- that matches.
CREATE OR REPLACE FUNCTION dti.set_status_where(load_id bigint, unit_code text, period text, status text, reason text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	n bigint;
	lo bigint;
	hi bigint;
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
	SELECT min(s.id), max(s.id), count(*) INTO lo, hi, n_match
	FROM dti.submission s
	WHERE (set_status_where.load_id IS NULL OR s.load_id = set_status_where.load_id)
	  AND (set_status_where.unit_code IS NULL OR s.unit_code = btrim(set_status_where.unit_code))
	  AND (set_status_where.period IS NULL OR s.period = btrim(set_status_where.period));
	IF lo IS NULL THEN
		PERFORM dti.check_status_where(set_status_where.load_id, set_status_where.unit_code, set_status_where.period);
		RETURN 0;
	END IF;
	IF (SELECT max(x.id) FROM dti.submission x) - lo < 8 * n_match THEN
		nestloop := current_setting('enable_nestloop');
		PERFORM set_config('enable_nestloop', 'off', true);
		EXECUTE format($q$
			INSERT INTO dti.submission_status (submission_id, status, reason)
			SELECT s.id, $4, $5
			FROM dti.submission s
			LEFT JOIN (SELECT DISTINCT ON (t.submission_id) t.submission_id, t.status
					   FROM dti.submission_status t
					   WHERE t.submission_id BETWEEN %1$s AND %2$s
					   ORDER BY t.submission_id, t.id DESC) st ON st.submission_id = s.id
			WHERE s.id BETWEEN %1$s AND %2$s
			  AND ($1 IS NULL OR s.load_id = $1)
			  AND ($2 IS NULL OR s.unit_code = btrim($2))
			  AND ($3 IS NULL OR s.period = btrim($3))
			  AND (coalesce(st.status, s.status) = 'submitted' OR ($4 = 'rejected' AND st.status = 'verified'))
			  AND NOT EXISTS (SELECT 1 FROM dti.submission x
							  WHERE x.id > %1$s AND x.unit_id = s.unit_id AND x.period = s.period
								AND x.indicator = s.indicator AND x.id > s.id)
			ORDER BY s.id$q$, lo, hi)
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
COMMENT ON FUNCTION dti.set_status_where(bigint, text, text, text, text) IS
	'Internal: the status change of dti.verify_load and dti.verify_unit for the current revisions that match (NULL matches all)';
ALTER FUNCTION dti.set_status_where(bigint, text, text, text, text) SET jit = off;
REVOKE EXECUTE ON FUNCTION dti.check_status_where(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.check_status_where(bigint, text, text) TO dti_verifier;
