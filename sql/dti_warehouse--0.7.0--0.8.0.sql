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
