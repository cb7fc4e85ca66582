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

-- A NUL byte or bytes that are not UTF-8 in a file, marked with U+FFFD by a
-- pre-filter (tools/dti-clean-text), are rejected as invalid_text; messages
-- quote long fields by their first characters (dti.clip).
-- Messages quote what was submitted; a field of megabytes is quoted by its
-- first characters and its length.
CREATE FUNCTION dti.clip(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE WHEN length(value) <= 80 THEN value
				ELSE left(value, 60) || format('... (%s characters)', length(value)) END;
END;
COMMENT ON FUNCTION dti.clip(text) IS
	'The text itself when it has at most 80 characters, else its first 60 characters and its length: how messages quote submitted values';
ALTER TABLE dti.reject DROP CONSTRAINT reject_reason_code_check;
ALTER TABLE dti.reject ADD CONSTRAINT reject_reason_code_check CHECK (reason_code IN ('unknown_unit', 'unknown_period', 'unit_not_valid',
		'unknown_indicator', 'unparseable_value', 'out_of_range', 'duplicate', 'not_granted', 'bad_status',
		'invalid_text'));
COMMENT ON COLUMN dti.reject.reason_code IS
	'unknown_unit, unknown_period, unit_not_valid (not valid in that period), unknown_indicator (not in that year''s framework), unparseable_value (for the indicator''s rule), out_of_range, duplicate (same unit, period and indicator more than once in the load), not_granted (unit not granted to the loading role), bad_status, invalid_text (a field holds U+FFFD, the mark of a NUL byte or of bytes that were not UTF-8 in the file)';

CREATE OR REPLACE FUNCTION dti.validation_query(input_sql text, check_grants boolean, check_duplicates boolean) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT format($q$
WITH input AS (%s),
known_code AS (SELECT DISTINCT code FROM dti.unit),
fw AS (SELECT level, year, framework_id, code AS framework_code FROM dti.framework_in_use),
resolved AS (
	SELECT i.k, i.unit_code, i.period, i.indicator, i.raw_value,
		   kc.code IS NOT NULL AS code_known, p.label AS p_label, p.year AS p_year,
		   u.id AS u_id, u.code AS u_code, u.level AS u_level,
		   fw.framework_id, fw.framework_code,
		   fi.code AS fi_code, fi.rule, fi.value_min, fi.value_max,
		   coalesce(scoring_rule_kind(fi.rule), 'number') AS rule_kind,
		   dti.parse_number(i.raw_value) AS num
	FROM input i
	LEFT JOIN known_code kc ON kc.code = btrim(i.unit_code)
	LEFT JOIN dti.period p ON p.label = btrim(i.period)
	LEFT JOIN dti.unit u ON u.code = btrim(i.unit_code) AND p.ends BETWEEN u.valid_from AND u.valid_to
		AND (i.unit_id IS NULL OR u.id = i.unit_id)
	LEFT JOIN fw ON fw.level = u.level AND fw.year = p.year
	LEFT JOIN dti.framework_indicator fi ON fi.framework_id = fw.framework_id
		AND fi.code::text = btrim(i.indicator)
),
grades AS MATERIALIZED (
	SELECT g.framework_id, g.fi_code, g.v, dti.grade_problem(x.rule, g.v) AS problem
	FROM (SELECT DISTINCT framework_id, fi_code, btrim(raw_value) AS v
		  FROM resolved WHERE rule_kind = 'grade' AND raw_value IS NOT NULL) g
	JOIN dti.framework_indicator x ON x.framework_id = g.framework_id AND x.code = g.fi_code
),
mine AS MATERIALIZED (
	SELECT %L::boolean = false OR dti.may_write_all() AS all_units, dti.my_unit_codes() AS codes
),
checked AS (
	SELECT r.*,
		CASE
		WHEN strpos(concat(r.unit_code, r.period, r.indicator, r.raw_value), U&'\FFFD') > 0 THEN 'invalid_text'
		WHEN NOT r.code_known THEN 'unknown_unit'
		WHEN r.p_label IS NULL THEN 'unknown_period'
		WHEN r.u_id IS NULL THEN 'unit_not_valid'
		WHEN r.fi_code IS NULL THEN 'unknown_indicator'
		WHEN r.raw_value IS NULL OR btrim(r.raw_value) = '' THEN 'unparseable_value'
		WHEN r.rule_kind = 'grade' AND g.problem IS NOT NULL THEN 'unparseable_value'
		WHEN r.rule_kind <> 'grade' AND r.num IS NULL THEN 'unparseable_value'
		WHEN r.rule_kind <> 'grade' AND (r.num < r.value_min OR r.num > r.value_max) THEN 'out_of_range'
		WHEN NOT (m.all_units OR r.u_code = ANY (m.codes)) THEN 'not_granted'
		END AS reason_code,
		g.problem AS grade_problem
	FROM resolved r
	CROSS JOIN mine m
	LEFT JOIN grades g ON r.rule_kind = 'grade' AND g.framework_id = r.framework_id
		AND g.fi_code = r.fi_code AND g.v = btrim(r.raw_value)
),
counted AS (
	SELECT c.*,
		%s AS copies
	FROM checked c
)
SELECT c.k, c.u_id AS unit_id, c.u_code AS unit_code, c.p_label AS period, c.fi_code AS indicator, c.raw_value,
	coalesce(c.reason_code, CASE WHEN c.copies > 1 THEN 'duplicate' END) AS reason_code,
	CASE coalesce(c.reason_code, CASE WHEN c.copies > 1 THEN 'duplicate' END)
	WHEN 'invalid_text' THEN format('the row holds U+FFFD, the mark of a NUL byte or of bytes that are not UTF-8 (unit "%%s", period "%%s", indicator "%%s", value "%%s")',
		dti.clip(c.unit_code), dti.clip(c.period), dti.clip(c.indicator), dti.clip(c.raw_value))
	WHEN 'unknown_unit' THEN format('unknown unit code "%%s"', dti.clip(c.unit_code))
	WHEN 'unknown_period' THEN format('unknown period "%%s"', dti.clip(c.period))
	WHEN 'unit_not_valid' THEN format('unit %%s is not valid in period %%s', btrim(c.unit_code), c.p_label)
	WHEN 'unknown_indicator' THEN
		CASE WHEN c.framework_id IS NULL
			 THEN format('no framework assesses level %%s in %%s', c.u_level, c.p_year)
			 ELSE format('indicator "%%s" is not in framework %%s used for %%s in %%s',
						 dti.clip(c.indicator), c.framework_code, c.u_level, c.p_year) END
	WHEN 'unparseable_value' THEN
		CASE WHEN c.rule_kind = 'grade'
			 THEN format('value "%%s" is not a grade of rule %%s: %%s', dti.clip(c.raw_value), c.rule, c.grade_problem)
			 ELSE format('value "%%s" is not a number (rule %%s); write it with a decimal point', dti.clip(c.raw_value),
						 coalesce(c.rule::text, 'none')) END
	WHEN 'out_of_range' THEN format('value %%s is outside the allowed range [%%s, %%s] of indicator %%s',
		c.num, coalesce(c.value_min::text, '-infinity'), coalesce(c.value_max::text, 'infinity'), c.fi_code)
	WHEN 'not_granted' THEN format('unit %%s is not granted to role %%s', c.u_code, current_user)
	WHEN 'duplicate' THEN format('unit %%s, period %%s, indicator %%s appears %%s times in this load',
		c.u_code, c.p_label, c.fi_code, c.copies)
	END AS reason
FROM counted c
$q$, input_sql, check_grants,
	CASE WHEN check_duplicates
		 THEN 'CASE WHEN c.reason_code IS NULL THEN count(*) FILTER (WHERE c.reason_code IS NULL) OVER (PARTITION BY c.u_id, c.p_label, c.fi_code) END'
		 ELSE 'NULL::bigint' END);
END;
CREATE OR REPLACE FUNCTION dti.submission_validate() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	bad record;
	n_all bigint;
	no_reason record;
BEGIN
	-- Several rows of one unit, period and indicator in one statement are
	-- revisions in order (a restore replays them so); each later one needs a
	-- reason, checked below.  Loads refuse such duplicates before inserting.
	EXECUTE format('SELECT v.* FROM (%s) v WHERE v.reason_code IS NOT NULL AND v.reason_code <> %L ORDER BY v.k LIMIT 1',
		dti.validation_query(
			'SELECT s.id AS k, s.unit_code, s.unit_id, s.period, s.indicator::text AS indicator, s.raw_value FROM new_rows s',
			false, false), 'duplicate')
	INTO bad;
	IF bad.k IS NOT NULL THEN
		SELECT count(*) INTO n_all FROM new_rows;
		RAISE EXCEPTION 'invalid submission: %', bad.reason
			USING ERRCODE = CASE bad.reason_code
					WHEN 'unknown_unit' THEN 'foreign_key_violation'
					WHEN 'unknown_period' THEN 'foreign_key_violation'
					WHEN 'unknown_indicator' THEN 'foreign_key_violation'
					WHEN 'unit_not_valid' THEN 'check_violation'
					WHEN 'unparseable_value' THEN 'invalid_text_representation'
					WHEN 'out_of_range' THEN 'numeric_value_out_of_range'
					WHEN 'invalid_text' THEN 'character_not_in_repertoire'
					ELSE 'check_violation' END,
				DETAIL = format('Reason %s; at least one of the %s inserted rows is invalid (submission id %s); nothing was inserted.',
					bad.reason_code, n_all, bad.k),
				HINT = CASE bad.reason_code
					WHEN 'unknown_unit' THEN 'Use an official unit code; dti.unit_code(name) finds it by name.'
					WHEN 'unknown_period' THEN 'Write the period as 2024, 2024-Q1 or 2024-03.'
					WHEN 'unit_not_valid' THEN 'Use the unit codes valid in that period (provinces changed on 2025-07-01).'
					WHEN 'unknown_indicator' THEN 'Use a code of the framework in dti.framework_in_use for that level and year.'
					WHEN 'unparseable_value' THEN 'Grade rules take one of their grades as text; other rules take a number with a decimal point.'
					WHEN 'out_of_range' THEN 'Check the value against value_min and value_max of the indicator in dti.framework_indicator.'
					WHEN 'invalid_text' THEN 'Fix the text at its source: U+FFFD marks a NUL byte or bytes that were not UTF-8.'
					ELSE 'Fix the row and insert it again.' END;
	END IF;
	-- A revision that replaces an earlier one says why.
	SELECT n.id, n.unit_code, n.period, n.indicator::text AS indicator INTO no_reason
	FROM new_rows n
	WHERE nullif(btrim(n.reason), '') IS NULL
	  AND EXISTS (SELECT 1 FROM dti.submission s
				  WHERE s.unit_id = n.unit_id AND s.period = n.period AND s.indicator = n.indicator AND s.id < n.id)
	LIMIT 1;
	IF no_reason.id IS NOT NULL THEN
		RAISE EXCEPTION 'a revision of unit %, period %, indicator % needs a reason',
				no_reason.unit_code, no_reason.period, no_reason.indicator
			USING ERRCODE = 'not_null_violation',
				DETAIL = 'The unit already has a value for this indicator and period; the new row would replace it.',
				HINT = 'Say why in the reason column.';
	END IF;
	RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION dti.load_staging(note text DEFAULT NULL)
RETURNS TABLE (load_id bigint, staged bigint, accepted bigint, rejected bigint, reasons jsonb)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	lid bigint;
	last_line bigint;
	n_staged bigint;
	n_ok bigint;
	n_bad bigint;
	by_reason jsonb;
BEGIN
	SELECT max(s.line), count(*) INTO last_line, n_staged FROM dti.staging s WHERE s.staged_by = current_user;
	INSERT INTO dti.load (note) VALUES (load_staging.note) RETURNING id INTO lid;
	IF n_staged = 0 THEN
		UPDATE dti.load l SET staged = 0, accepted = 0, rejected = 0, reasons = '{}' WHERE l.id = lid;
		RETURN QUERY SELECT lid, 0::bigint, 0::bigint, 0::bigint, '{}'::jsonb;
		RETURN;
	END IF;

	EXECUTE format('CREATE TEMP TABLE dti_load_checked ON COMMIT DROP AS '
		'SELECT v.*, s.year, s.indicator_code, s.source, s.note, s.status, s.unit_code AS staged_unit_code, '
		'strpos(concat(s.source, s.note), U&''\FFFD'') > 0 AS bad_text '
		'FROM (%s) v JOIN dti.staging s ON s.staged_by = current_user AND s.line = v.k',
		dti.validation_query(format(
			'SELECT s.line AS k, s.unit_code, NULL::integer AS unit_id, s.year AS period, s.indicator_code AS indicator, s.raw_value '
			'FROM dti.staging s WHERE s.staged_by = current_user AND s.line <= %L::bigint', last_line),
			true, true));

	INSERT INTO dti.reject (load_id, line, unit_code, year, indicator_code, raw_value, source, note, reason_code, reason)
	SELECT lid, c.k, c.staged_unit_code, c.year, c.indicator_code, c.raw_value, c.source, c.note,
		   CASE WHEN c.reason_code IS NOT NULL THEN c.reason_code WHEN c.bad_text THEN 'invalid_text' ELSE 'bad_status' END,
		   CASE WHEN c.reason_code IS NOT NULL THEN c.reason
				WHEN c.bad_text THEN format('the source or note holds U+FFFD, the mark of a NUL byte or of bytes that are not UTF-8 (source "%s", note "%s")',
											dti.clip(c.source), dti.clip(c.note))
				ELSE format('status "%s" is not draft or submitted', dti.clip(c.status)) END
	FROM pg_temp.dti_load_checked c
	WHERE c.reason_code IS NOT NULL OR c.bad_text OR c.status NOT IN ('draft', 'submitted');
	GET DIAGNOSTICS n_bad = ROW_COUNT;

	INSERT INTO dti.submission (unit_code, unit_id, period, indicator, raw_value, status, source, note, reason, load_id)
	SELECT c.unit_code, c.unit_id, c.period, c.indicator, btrim(c.raw_value), c.status, c.source, c.note,
		   coalesce(load_staging.note, format('load %s', lid)), lid
	FROM pg_temp.dti_load_checked c
	WHERE c.reason_code IS NULL AND NOT c.bad_text AND c.status IN ('draft', 'submitted')
	ORDER BY c.k;
	GET DIAGNOSTICS n_ok = ROW_COUNT;

	DELETE FROM dti.staging s WHERE s.staged_by = current_user AND s.line <= last_line;

	SELECT coalesce(jsonb_object_agg(r.reason_code, r.n), '{}') INTO by_reason
	FROM (SELECT j.reason_code, count(*) AS n FROM dti.reject j WHERE j.load_id = lid GROUP BY j.reason_code) r;
	UPDATE dti.load l SET staged = n_staged, accepted = n_ok, rejected = n_bad, reasons = by_reason WHERE l.id = lid;
	DROP TABLE pg_temp.dti_load_checked;
	RETURN QUERY SELECT lid, n_staged, n_ok, n_bad, by_reason;
END $$;

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

-- Security review: a loader writes rejects only into its own loads; pg_cron
-- is called only through the schema of the pg_cron extension (not any schema
-- named cron); dti.build_score_wide() is for superusers and keeps the view a
-- member of the extension when it rebuilds it.
ALTER POLICY reject_write ON dti.reject
	WITH CHECK (rejected_by = CURRENT_USER
				AND EXISTS (SELECT 1 FROM dti.load l WHERE l.id = load_id AND l.loaded_by = CURRENT_USER));
CREATE OR REPLACE FUNCTION dti.schedule_refresh(schedule text DEFAULT '0 2 * * *') RETURNS bigint
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
CREATE OR REPLACE FUNCTION dti.unschedule_refresh() RETURNS boolean
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
CREATE OR REPLACE FUNCTION dti.build_score_wide(framework_code text DEFAULT '922-province') RETURNS text
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	fw_ids integer[];
	member boolean;
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
	-- the view shipped by the extension stays a member of it when rebuilt
	member := EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
					  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = to_regclass('dti.score_wide')
						AND d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
						AND e.extname = 'dti_warehouse');
	IF member THEN
		EXECUTE 'ALTER EXTENSION dti_warehouse DROP VIEW dti.score_wide';
	END IF;
	EXECUTE 'DROP VIEW IF EXISTS dti.score_wide';
	EXECUTE sql;
	EXECUTE format('COMMENT ON VIEW dti.score_wide IS %L',
				   format('One row per unit and period of framework %s: the index (dti) and each main indicator as a column named after its code, values rounded to 4 decimals', framework_code));
	EXECUTE 'GRANT SELECT ON dti.score_wide TO dti_reader, dti_admin';
	IF member THEN
		EXECUTE 'ALTER EXTENSION dti_warehouse ADD VIEW dti.score_wide';
	END IF;
	RETURN sql;
END $$;
COMMENT ON FUNCTION dti.build_score_wide(text) IS
	'Builds (or rebuilds) the view dti.score_wide for a framework code: one column per main indicator; returns the view definition (superusers only: the view belongs to the extension)';
REVOKE EXECUTE ON FUNCTION dti.build_score_wide(text) FROM PUBLIC;

-- Submissions stored under 0.1.0 were never queued (the queue came with
-- 0.2.0): a warehouse that was never refreshed queues everything, so that
-- its first CALL dti.refresh() computes them.
INSERT INTO dti.refresh_queue (period, whole, reason)
SELECT NULL, true, 'update to dti_warehouse 0.3.0'
WHERE EXISTS (SELECT 1 FROM dti.submission)
  AND NOT EXISTS (SELECT 1 FROM dti.refresh_log l WHERE l.outcome = 'ok');
