-- dti_warehouse 0.4.0 -> 0.5.0
\echo Use "ALTER EXTENSION dti_warehouse UPDATE TO '0.5.0'" to load this file. \quit

------------------------------------------------------------------------------
-- A year's life without loss: publication, locked periods, framework
-- versions, refresh failures, series across the 2025 merger
------------------------------------------------------------------------------

-- Short names and the successor named for an old name at a later date
INSERT INTO dti.unit_name (unit_id, name, kind, source, shipped)
SELECT u.id, v.name, v.kind, v.source, true
FROM (VALUES
	('79', '2025-06-30'::date, 'TPHCM', 'abbreviation', NULL),
	('79', '2025-07-01', 'TPHCM', 'abbreviation', NULL),
	('79', '2025-07-01', 'Sài Gòn', 'former', NULL),
	('77', '2025-06-30', 'BR-VT', 'abbreviation', NULL),
	('77', '2025-06-30', 'BRVT', 'abbreviation', NULL),
	('66', '2025-06-30', 'Daklak', 'variant', NULL),
	('66', '2025-07-01', 'Daklak', 'variant', NULL),
	('66', '2025-07-01', 'Đắc Lắc', 'variant', NULL)
) AS v (code, at, name, kind, source)
JOIN dti.unit u ON u.level = 'province' AND u.code = v.code AND v.at BETWEEN u.valid_from AND u.valid_to
ON CONFLICT DO NOTHING;
CREATE OR REPLACE FUNCTION dti.unit_code(name text, at date DEFAULT CURRENT_DATE, level text DEFAULT 'province')
RETURNS text
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path FROM CURRENT AS $$
DECLARE
	codes text[];
	successors text;
BEGIN
	IF unit_code.name IS NULL THEN
		RETURN NULL;
	END IF;
	SELECT array_agg(DISTINCT f.code ORDER BY f.code) INTO codes
	FROM dti.find_units(unit_code.name, unit_code.at) f
	WHERE f.level = unit_code.level;
	IF codes IS NULL THEN
		-- a unit of that name that no longer existed on the day: name what it became
		SELECT string_agg(DISTINCT format('%s (%s) became part of %s (code %s) on %s', o.name_vi, o.code,
										  n.name_vi, n.code, to_char(s.effective, 'YYYY-MM-DD')), '; ')
		INTO successors
		FROM dti.find_units(unit_code.name, NULL) f
		JOIN dti.unit o ON o.id = f.unit_id AND o.level = unit_code.level
		JOIN dti.unit_succession s ON s.predecessor_id = o.id
		JOIN dti.unit n ON n.id = s.successor_id
		WHERE unit_code.at > f.valid_to;
		RAISE EXCEPTION 'no % named "%" %', unit_code.level, unit_code.name,
				coalesce('on ' || to_char(unit_code.at, 'YYYY-MM-DD'), 'on any day')
			USING ERRCODE = 'no_data_found',
				DETAIL = format('The normalised name is "%s".', dti.normalize_name(unit_code.name)),
				HINT = coalesce(successors || '. Use the code of the unit it became, or a day before it.',
								'Check the spelling, the day and the level, or add the name to dti.unit_name.');
	ELSIF cardinality(codes) > 1 THEN
		RAISE EXCEPTION 'the name "%" matches % units of level % %', unit_code.name,
				cardinality(codes), unit_code.level, coalesce('on ' || to_char(unit_code.at, 'YYYY-MM-DD'), 'on any day')
			USING ERRCODE = 'too_many_rows',
				DETAIL = format('Codes: %s.', array_to_string(codes, ', ')),
				HINT = 'Use the unit code instead, or a more specific name.';
	END IF;
	RETURN codes[1];
END $$;

-- A new framework version for a scored year replaces the year's results
CREATE OR REPLACE FUNCTION dti.compute_scorecards(period text, framework_id integer, unit_ids integer[], run_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	written bigint;
	fw_level text;
	score_expr text;
BEGIN
	SELECT f.level INTO fw_level FROM dti.framework f WHERE f.id = compute_scorecards.framework_id;
	IF unit_ids IS NULL THEN
		-- the whole period of the level: also the results of another
		-- framework (an earlier version) that assessed it before (what was
		-- announced with them stays in dti.publication_*)
		DELETE FROM dti.result_scorecard r
		WHERE r.period = compute_scorecards.period
		  AND (r.framework_id = compute_scorecards.framework_id
			   OR r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level));
		DELETE FROM dti.result_rank r
		WHERE r.period = compute_scorecards.period
		  AND r.framework_id <> compute_scorecards.framework_id
		  AND r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level);
	ELSE
		DELETE FROM dti.result_scorecard r
		WHERE r.period = compute_scorecards.period AND r.unit_id = ANY (unit_ids);
	END IF;

	CREATE TEMP TABLE dti_leaf ON COMMIT DROP AS
	SELECT i.code, i.rule, scoring_rule_kind(i.rule) AS kind
	FROM dti.framework_indicator i
	WHERE i.framework_id = compute_scorecards.framework_id
	  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator c
					  WHERE c.framework_id = i.framework_id AND parent(c.code) = i.code);
	ANALYZE pg_temp.dti_leaf;

	IF dti.framework_is_relative(framework_id) THEN
		-- window functions run for every row: give rank_score a rank rule
		-- everywhere, and use it only where it applies
		score_expr := $q$CASE
			WHEN l.rule IS NULL THEN v.value
			WHEN l.kind IN ('rank', 'prank', 'borda')
				THEN rank_score(CASE WHEN l.kind IN ('rank', 'prank', 'borda') THEN l.rule
									 ELSE 'rank'::scoring_rule END, v.value) OVER w
			WHEN l.kind = 'grade' THEN score(l.rule, v.raw_value)
			ELSE score(l.rule, v.value, indicator_stats(v.value) OVER w)
		END$q$;
	ELSE
		score_expr := $q$CASE
			WHEN l.rule IS NULL THEN v.value
			WHEN l.kind = 'grade' THEN score(l.rule, v.raw_value)
			ELSE score(l.rule, v.value)
		END$q$;
	END IF;
	EXECUTE format($q$
		INSERT INTO dti.result_scorecard (period, unit_id, framework_id, scorecard, root_value, run_id)
		SELECT $1, s.unit_id, $2, s.sc, root_value(s.sc), $4
		FROM (
			SELECT x.unit_id, rollup($5, x.indicator, x.score) AS sc
			FROM (
				SELECT v.unit_id, v.indicator, %s AS score
				FROM dti.verified_values($1, $3) v
				JOIN pg_temp.dti_leaf l ON l.code = v.indicator
				WHERE v.unit_id IN (SELECT u.id FROM dti.unit u WHERE u.level = $6)
				WINDOW w AS (PARTITION BY v.indicator)
			) x
			GROUP BY x.unit_id
		) s$q$, score_expr)
	USING period, framework_id, unit_ids, run_id, dti.framework_tree(framework_id), fw_level;
	GET DIAGNOSTICS written = ROW_COUNT;
	DROP TABLE pg_temp.dti_leaf;
	RETURN written;
END $$;

-- Framework changes queue only the periods they touch
-- Indicators of a framework changed: the periods of the years it assesses
-- (none while it is not in use: a new version being prepared).
CREATE FUNCTION dti.queue_framework_indicator() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		INSERT INTO dti.refresh_queue (period, whole, reason)
		SELECT DISTINCT p.label, true, 'framework_indicator'
		FROM old_rows o JOIN dti.framework_in_use fu ON fu.framework_id = o.framework_id
		JOIN dti.period p ON p.year = fu.year;
	ELSE
		INSERT INTO dti.refresh_queue (period, whole, reason)
		SELECT DISTINCT p.label, true, 'framework_indicator'
		FROM new_rows o JOIN dti.framework_in_use fu ON fu.framework_id = o.framework_id
		JOIN dti.period p ON p.year = fu.year;
	END IF;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION dti.queue_framework_indicator() IS
	'Trigger function: changed indicators of a framework queue the periods of the years that framework assesses, whole, for dti.refresh()';
REVOKE EXECUTE ON FUNCTION dti.queue_framework_indicator() FROM PUBLIC;
DROP TRIGGER framework_indicator_queue ON dti.framework_indicator;
CREATE TRIGGER framework_indicator_queue AFTER INSERT ON dti.framework_indicator
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_framework_indicator();
CREATE TRIGGER framework_indicator_queue_update AFTER UPDATE ON dti.framework_indicator
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_framework_indicator();
CREATE TRIGGER framework_indicator_queue_delete AFTER DELETE ON dti.framework_indicator
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_framework_indicator();
-- A framework assigned to years queues the periods of those years only
-- (a new version for next year leaves announced years alone).
CREATE FUNCTION dti.queue_framework_use() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	INSERT INTO dti.refresh_queue (period, whole, reason)
	SELECT DISTINCT p.label, true, 'framework_use' FROM new_rows n JOIN dti.period p ON p.year = n.year;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION dti.queue_framework_use() IS
	'Trigger function: a framework assigned to years queues the periods of those years, whole, for dti.refresh()';
REVOKE EXECUTE ON FUNCTION dti.queue_framework_use() FROM PUBLIC;
DROP TRIGGER framework_use_queue ON dti.framework_use;
CREATE TRIGGER framework_use_queue AFTER INSERT ON dti.framework_use
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dti.queue_framework_use();

-- The refresh: each period committed on its own, failures end in an error
ALTER TABLE dti.refresh_log ADD COLUMN failures jsonb;
COMMENT ON COLUMN dti.refresh_log.periods IS 'The periods this run recomputed and committed';
COMMENT ON COLUMN dti.refresh_log.pending_periods IS 'Periods with queued changes that this run left queued because they are locked (announced)';
COMMENT ON COLUMN dti.refresh_log.outcome IS 'running, ok, failed (some period failed: see failures; the other periods were committed; or the run was interrupted, as the next run records) or skipped (another refresh was running)';
COMMENT ON COLUMN dti.refresh_log.failures IS 'One object per failed period: period, sqlstate and message; their queued changes stay queued';

-- The work of a run: (period, framework) pairs with the units to redo
-- (NULL: all), from the queue rows the run saw, or from the period or
-- framework asked for.  Queue rows meaning "everything" (period NULL) are
-- first turned into one row per period with submissions, so that a period
-- that is locked or fails keeps its own row.
CREATE FUNCTION dti.refresh_plan(for_period text, for_framework integer)
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
	), per_unit AS (
		SELECT r.period, p.year, u.level, r.unit_id, r.whole, r.queue_id
		FROM requested r
		JOIN dti.period p ON p.label = r.period
		LEFT JOIN dti.unit u ON u.id = r.unit_id
	), with_fw AS (
		-- a whole period covers every level assessed in it; a queue row
		-- that no framework assesses gets framework NULL (nothing to do)
		SELECT pu.period, fu.framework_id, pu.unit_id, pu.whole, pu.queue_id
		FROM per_unit pu
		LEFT JOIN dti.framework_in_use fu ON fu.year = pu.year
			AND (pu.level = fu.level OR (pu.unit_id IS NULL AND EXISTS (
				SELECT 1 FROM dti.submission s JOIN dti.unit u2 ON u2.id = s.unit_id
				WHERE s.period = pu.period AND u2.level = fu.level)))
		WHERE refresh_plan.for_framework IS NULL OR fu.framework_id = refresh_plan.for_framework
	)
	SELECT wf.period, wf.framework_id,
		   CASE WHEN bool_or(wf.whole) OR dti.framework_is_relative(wf.framework_id) THEN NULL
				ELSE array_agg(DISTINCT wf.unit_id) END,
		   bool_or(wf.whole) OR dti.framework_is_relative(wf.framework_id),
		   array_remove(array_agg(DISTINCT wf.queue_id), NULL)
	FROM with_fw wf
	GROUP BY wf.period, wf.framework_id;
END $$;
COMMENT ON FUNCTION dti.refresh_plan(text, integer) IS
	'Internal to dti.refresh(): the (period, framework) pairs to recompute, the units to redo (NULL: all) and the queue rows they answer (framework NULL: rows no framework assesses)';
REVOKE EXECUTE ON FUNCTION dti.refresh_plan(text, integer) FROM PUBLIC;

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
				c := c + dti.compute_scorecards(w.period, w.framework_id, w.unit_ids, run);
				r := r + dti.compute_ranks(w.period, w.framework_id, w.unit_ids);
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

	-- Publish statistics with the results, so that the dashboards' first
	-- queries after a large refresh are planned well (only the tables'
	-- owner may analyse them; others leave it to autovacuum).
	IF n_cards + n_ranks > 10000 AND pg_catalog.pg_has_role(
			(SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = 'dti.result_rank'::regclass), 'USAGE') THEN
		ANALYZE dti.result_scorecard, dti.result_rank;
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

-- Publication
CREATE SEQUENCE dti.publication_id_seq;
CREATE TABLE dti.publication (
	id bigint PRIMARY KEY DEFAULT nextval('dti.publication_id_seq'),
	period text NOT NULL REFERENCES dti.period (label),
	level text NOT NULL,
	framework_id integer NOT NULL REFERENCES dti.framework (id),
	note text NOT NULL,
	units integer NOT NULL,
	inputs integer NOT NULL,
	published_by name NOT NULL DEFAULT current_user,
	published_at timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE dti.publication_id_seq OWNED BY dti.publication.id;
CREATE INDEX ON dti.publication (period, level, id);
COMMENT ON SEQUENCE dti.publication_id_seq IS 'Identifiers of dti.publication';
COMMENT ON TABLE dti.publication IS
	'One row per announcement (dti.publish()): a period and level, the framework it used, who and when; the newest row of a period and level is what readers see';
COMMENT ON COLUMN dti.publication.units IS 'Scorecards announced';
COMMENT ON COLUMN dti.publication.inputs IS 'Verified revisions used (rows of dti.publication_input)';

CREATE TABLE dti.publication_input (
	publication_id bigint NOT NULL REFERENCES dti.publication (id),
	submission_id bigint NOT NULL REFERENCES dti.submission (id),
	PRIMARY KEY (publication_id, submission_id)
);
COMMENT ON TABLE dti.publication_input IS
	'The revision (dti.submission row) of every value an announcement used: with the framework, enough to compute it again exactly';

CREATE TABLE dti.publication_scorecard (
	publication_id bigint NOT NULL REFERENCES dti.publication (id),
	unit_id integer NOT NULL REFERENCES dti.unit (id),
	scorecard scorecard NOT NULL,
	root_value float8,
	PRIMARY KEY (publication_id, unit_id)
);
COMMENT ON TABLE dti.publication_scorecard IS 'The scorecards as announced, one per unit';

CREATE TABLE dti.publication_rank (
	publication_id bigint NOT NULL REFERENCES dti.publication (id),
	unit_id integer NOT NULL,
	code indicator_code NOT NULL,
	level integer NOT NULL,
	value float8,
	rank integer,
	group_rank integer,
	PRIMARY KEY (publication_id, unit_id, code)
);
COMMENT ON TABLE dti.publication_rank IS 'The ranks as announced (every ranked node of every unit)';

-- The queue rows a publication of a period and level answers: its units'
-- changes, and the period's whole-period rows when the level is the only
-- one submitted in it.
CREATE FUNCTION dti.publication_queue(period text, level text) RETURNS SETOF bigint
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT q.id FROM dti.refresh_queue q
	LEFT JOIN dti.unit u ON u.id = q.unit_id
	WHERE q.period = publication_queue.period
	  AND (u.level = publication_queue.level
		   OR (q.unit_id IS NULL AND NOT EXISTS (
				SELECT 1 FROM dti.submission s JOIN dti.unit u2 ON u2.id = s.unit_id
				WHERE s.period = publication_queue.period AND u2.level <> publication_queue.level)));
END;
COMMENT ON FUNCTION dti.publication_queue(text, text) IS
	'Internal to dti.publish(): the queued changes a publication of the period and level takes in';

-- Status changes wait while a publication reads the current values: a
-- SHARE lock on dti.current_value until the end of the transaction, taken
-- with the owner's rights (LOCK in that mode needs more than the SELECT
-- that admins have).
CREATE FUNCTION dti.hold_current_values() RETURNS void
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	LOCK TABLE dti.current_value IN SHARE MODE;
END $$;
COMMENT ON FUNCTION dti.hold_current_values() IS
	'Internal to dti.publish(): makes status changes wait until the end of the transaction, so that the values read are the values published';

CREATE FUNCTION dti.publish(period text, level text DEFAULT 'province', note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
DECLARE
	fw integer;
	pub bigint;
	run bigint;
	n_units integer;
	n_inputs integer;
BEGIN
	IF publish.period IS NULL OR NOT EXISTS (SELECT 1 FROM dti.period p WHERE p.label = publish.period) THEN
		RAISE EXCEPTION 'unknown period "%"', publish.period
			USING ERRCODE = 'no_data_found', HINT = 'Periods are the labels of dti.period (2024, 2024-Q1, 2024-03).';
	END IF;
	SELECT fu.framework_id INTO fw FROM dti.framework_in_use fu JOIN dti.period p ON p.year = fu.year
	WHERE p.label = publish.period AND fu.level = publish.level;
	IF fw IS NULL THEN
		RAISE EXCEPTION 'no framework assesses level % in %', coalesce(publish.level, 'NULL'), publish.period
			USING ERRCODE = 'no_data_found', HINT = 'See dti.framework_in_use; dti.use_framework() assigns one.';
	END IF;
	-- One at a time with the refresh, and no status change while the values
	-- are read: what is announced is exactly what they give.
	PERFORM pg_advisory_xact_lock(hashtext('dti.refresh'));
	PERFORM dti.hold_current_values();
	INSERT INTO dti.refresh_log (started_at, requested_period, requested_framework, outcome)
	VALUES (clock_timestamp(), publish.period, fw, 'running')
	RETURNING id INTO run;
	PERFORM dti.compute_scorecards(publish.period, fw, NULL, run);
	PERFORM dti.compute_ranks(publish.period, fw, NULL);
	DELETE FROM dti.refresh_queue q WHERE q.id IN (SELECT dti.publication_queue(publish.period, publish.level));

	INSERT INTO dti.publication (period, level, framework_id, note, units, inputs)
	VALUES (publish.period, publish.level, fw, coalesce(publish.note, 'published'), 0, 0)
	RETURNING id INTO pub;
	INSERT INTO dti.publication_scorecard (publication_id, unit_id, scorecard, root_value)
	SELECT pub, r.unit_id, r.scorecard, r.root_value FROM dti.result_scorecard r
	WHERE r.period = publish.period AND r.framework_id = fw;
	GET DIAGNOSTICS n_units = ROW_COUNT;
	INSERT INTO dti.publication_rank (publication_id, unit_id, code, level, value, rank, group_rank)
	SELECT pub, r.unit_id, r.code, r.level, r.value, r.rank, r.group_rank FROM dti.result_rank r
	WHERE r.period = publish.period AND r.framework_id = fw;
	INSERT INTO dti.publication_input (publication_id, submission_id)
	SELECT pub, c.submission_id FROM dti.current_value c
	JOIN dti.unit u ON u.id = c.unit_id AND u.level = publish.level
	WHERE c.period = publish.period
	  AND EXISTS (SELECT 1 FROM dti.framework_indicator i WHERE i.framework_id = fw AND i.code = c.indicator);
	GET DIAGNOSTICS n_inputs = ROW_COUNT;
	UPDATE dti.publication SET units = n_units, inputs = n_inputs WHERE id = pub;

	PERFORM dti.freeze_framework(fw, format('announced for %s (publication %s)', publish.period, pub));
	DELETE FROM dti.period_lock l WHERE l.period = publish.period;
	INSERT INTO dti.period_lock (period, reason)
	VALUES (publish.period, format('announced (publication %s): %s', pub, coalesce(publish.note, 'published')));
	UPDATE dti.refresh_log SET ended_at = clock_timestamp(), outcome = 'ok', periods = ARRAY[publish.period],
		whole_periods = ARRAY[publish.period], scorecards = n_units
	WHERE id = run;
	RETURN pub;
END $$;
COMMENT ON FUNCTION dti.publish(text, text, text) IS
	'Announces the results of a period and level: recomputes them from the current verified values, keeps a copy of every scorecard and rank with the revision of every value used (dti.publication*), freezes the framework and locks the period, so that readers see the announced results until the next dti.publish(); corrections made meanwhile wait in dti.unpublished_change; returns the publication id';

-- What readers see of each period and level, and what waits.
CREATE VIEW dti.publication_status AS
SELECT x.period, x.level,
	   f.code AS framework, f.version AS framework_version,
	   CASE WHEN p.id IS NULL THEN 'provisional'
			WHEN l.period IS NULL THEN 'open'
			ELSE 'announced' END AS status,
	   p.id AS publication,
	   p.published_at,
	   p.note,
	   (SELECT count(*) FROM dti.publication a WHERE a.period = x.period AND a.level = x.level)::integer AS publications,
	   (SELECT count(*) FROM dti.refresh_queue q LEFT JOIN dti.unit u ON u.id = q.unit_id
		WHERE q.period = x.period AND (u.level = x.level OR q.unit_id IS NULL))::integer AS pending_changes
FROM (SELECT DISTINCT r.period, u.level, r.framework_id FROM dti.result_scorecard r JOIN dti.unit u ON u.id = r.unit_id) x
JOIN dti.framework f ON f.id = x.framework_id
LEFT JOIN LATERAL (SELECT a.* FROM dti.publication a WHERE a.period = x.period AND a.level = x.level
				   ORDER BY a.id DESC LIMIT 1) p ON true
LEFT JOIN dti.period_lock l ON l.period = x.period;
COMMENT ON VIEW dti.publication_status IS
	'Per period and level with results: provisional (never published: each refresh updates it), announced (published and locked: readers see the newest publication) or open (published, then unlocked: each refresh updates it again), the newest publication and the changes waiting for the next one';

-- Verified values that differ from what the newest announcement used.
CREATE VIEW dti.unpublished_change AS
WITH newest AS (
	SELECT DISTINCT ON (a.period, a.level) a.id, a.period, a.level, a.published_at
	FROM dti.publication a ORDER BY a.period, a.level, a.id DESC
), used AS (
	SELECT n.id AS publication_id, n.period, n.level, s.unit_id, s.indicator, s.id AS submission_id, s.raw_value
	FROM newest n
	JOIN dti.publication_input i ON i.publication_id = n.id
	JOIN dti.submission s ON s.id = i.submission_id
), now_verified AS (
	SELECT n.id AS publication_id, n.period, n.level, c.unit_id, c.indicator, c.submission_id, c.raw_value
	FROM newest n
	JOIN dti.current_value c ON c.period = n.period
	JOIN dti.unit u ON u.id = c.unit_id AND u.level = n.level
	JOIN dti.publication pb ON pb.id = n.id
	WHERE EXISTS (SELECT 1 FROM dti.framework_indicator fi WHERE fi.framework_id = pb.framework_id AND fi.code = c.indicator)
)
SELECT coalesce(v.period, o.period) AS period,
	   coalesce(v.level, o.level) AS level,
	   un.code AS unit_code,
	   un.name_vi AS unit,
	   coalesce(v.indicator, o.indicator)::text AS code,
	   o.raw_value AS published_value,
	   v.raw_value AS current_value,
	   o.submission_id AS published_revision,
	   v.submission_id AS current_revision,
	   coalesce(v.publication_id, o.publication_id) AS publication
FROM now_verified v
FULL JOIN used o ON o.publication_id = v.publication_id AND o.unit_id = v.unit_id AND o.indicator = v.indicator
JOIN dti.unit un ON un.id = coalesce(v.unit_id, o.unit_id)
WHERE v.submission_id IS DISTINCT FROM o.submission_id;
COMMENT ON VIEW dti.unpublished_change IS
	'Values whose current verified revision differs from the one the newest announcement of their period and level used (a correction, a new value, or a value no longer verified): they reach readers at the next dti.publish()';

REVOKE EXECUTE ON FUNCTION dti.publish(text, text, text), dti.publication_queue(text, text),
	dti.hold_current_values() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.publish(text, text, text), dti.publication_queue(text, text),
	dti.hold_current_values() TO dti_admin;
GRANT SELECT, INSERT, UPDATE ON dti.publication TO dti_admin;
GRANT SELECT, INSERT ON dti.publication_input, dti.publication_scorecard, dti.publication_rank TO dti_admin;
GRANT USAGE ON SEQUENCE dti.publication_id_seq TO dti_admin;
GRANT SELECT ON dti.publication_status TO dti_admin, dti_verifier, dti_reader;
-- unpublished values are not for readers
GRANT SELECT ON dti.unpublished_change TO dti_admin, dti_verifier;
-- dti.refresh() turns "everything" queue rows into one row per period
GRANT INSERT ON dti.refresh_queue TO dti_admin;
GRANT USAGE ON SEQUENCE dti.refresh_queue_id_seq TO dti_admin;
REVOKE EXECUTE ON FUNCTION dti.refresh_plan(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.refresh_plan(text, integer) TO dti_admin;

SELECT pg_catalog.pg_extension_config_dump('dti.publication', '');
SELECT pg_catalog.pg_extension_config_dump('dti.publication_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.publication_input', '');
SELECT pg_catalog.pg_extension_config_dump('dti.publication_scorecard', '');
SELECT pg_catalog.pg_extension_config_dump('dti.publication_rank', '');

-- Values carried across the 2025 merger
CREATE FUNCTION dti.carried_value(successor_id integer, period text, code indicator_code)
RETURNS TABLE (value float8, rank integer, members integer, members_with_value integer)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
-- the BI views call it for their readers, who may not read the results
-- directly; the body is bound at creation (BEGIN ATOMIC), so the pinned
-- path only guards what runs inside
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT c.value, c.rank::integer, c.members::integer, c.members_with_value::integer
	FROM (
		SELECT x.successor_id, x.value, x.members, x.members_with_value,
			   rank_rounded(x.value, 4) OVER () AS rank
		FROM (
			SELECT sh.successor_id,
				   sum(sh.share * r.value) / nullif(sum(sh.share) FILTER (WHERE r.value IS NOT NULL), 0) AS value,
				   count(*) AS members, count(r.value) AS members_with_value
			FROM dti.succession_share sh
			LEFT JOIN dti.result_rank r ON r.unit_id = sh.predecessor_id
				AND r.period = carried_value.period AND r.code = carried_value.code
			GROUP BY sh.successor_id
			HAVING count(r.unit_id) > 0
		) x
	) c
	WHERE c.successor_id = carried_value.successor_id
	  AND EXISTS (SELECT 1 FROM dti.unit_succession s WHERE s.successor_id = carried_value.successor_id);
END;
COMMENT ON FUNCTION dti.carried_value(integer, text, indicator_code) IS
	'The value of a node for a successor unit in a period before it existed: its predecessors'' values combined by its succession rule (mean, or weighted mean; members without a value left out), with its competition rank among all successors'' carried values at 4 decimals; no row for a unit that succeeds none';
REVOKE EXECUTE ON FUNCTION dti.carried_value(integer, text, indicator_code) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.carried_value(integer, text, indicator_code) TO dti_reader, dti_verifier, dti_admin;

-- BI views: previous ranks across the merger, the succession rule in merged_series
CREATE OR REPLACE VIEW dti.score_long AS
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
	   coalesce(prev.rank, cp.rank) AS rank_prev,
	   coalesce(prev.rank, cp.rank) - rk.rank AS rank_change,
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
	LIMIT 1) prev ON true
-- across the 2025 merger: the predecessors' values carried by the succession rule
LEFT JOIN LATERAL dti.carried_value(r.unit_id, dti.previous_period(r.period), n.code) cp ON prev.rank IS NULL;
CREATE OR REPLACE VIEW dti.ranking AS
SELECT rk.period,
	   u.level AS unit_level,
	   f.code AS framework,
	   rk.rank,
	   u.code AS unit_code,
	   u.name_vi AS unit,
	   g.name_vi AS region,
	   round(rk.value::numeric, 4) AS value,
	   coalesce(prev.rank, cp.rank) AS rank_prev,
	   coalesce(prev.rank, cp.rank) - rk.rank AS rank_change,
	   round((rk.value - coalesce(prev.value, cp.value))::numeric, 4) AS value_change,
	   rk.group_rank AS region_rank,
	   CASE WHEN rk.value > 0.75 THEN 'Rất cao'
			WHEN rk.value >= 0.50 THEN 'Cao'
			WHEN rk.value >= 0.25 THEN 'Trung bình'
			WHEN rk.value IS NOT NULL THEN 'Thấp' END AS band,
	   (SELECT gs.grade FROM dti.framework_grade gs
		WHERE gs.framework_id = rk.framework_id AND rk.value >= gs.min_value
		ORDER BY gs.min_value DESC LIMIT 1) AS grade
FROM dti.result_rank rk
JOIN dti.unit u ON u.id = rk.unit_id
LEFT JOIN dti.unit g ON g.id = u.parent_id
JOIN dti.framework f ON f.id = rk.framework_id
LEFT JOIN dti.result_rank prev ON prev.period = dti.previous_period(rk.period)
	AND prev.unit_id = rk.unit_id AND prev.code = 'DTI'
-- across the 2025 merger: the predecessors' values carried by the succession rule
LEFT JOIN LATERAL dti.carried_value(rk.unit_id, dti.previous_period(rk.period), 'DTI') cp ON prev.unit_id IS NULL
WHERE rk.code = 'DTI';
CREATE OR REPLACE VIEW dti.merged_series AS
SELECT nu.code AS unit_code,
	   nu.name_vi AS unit,
	   r.period,
	   n.code::text AS code,
	   n.level,
	   -- the succession rule: official mean, or weighted mean (members
	   -- without a value left out)
	   round((sum(us.share * n.value) / nullif(sum(us.share) FILTER (WHERE n.value IS NOT NULL), 0))::numeric, 4)
		   AS carried_value,
	   count(n.value)::integer AS members_with_value,
	   count(*)::integer AS members,
	   string_agg(ou.name_vi, ', ' ORDER BY ou.code) AS member_units,
	   (SELECT round(x.value::numeric, 4) FROM dti.result_rank x
		WHERE x.unit_id = nu.id AND x.period = r.period AND x.code = n.code) AS own_value,
	   min(us.method) AS carry_rule
FROM dti.succession_share us
JOIN dti.unit ou ON ou.id = us.predecessor_id
JOIN dti.unit nu ON nu.id = us.successor_id
JOIN dti.result_scorecard r ON r.unit_id = us.predecessor_id
CROSS JOIN LATERAL scorecard_nodes(r.scorecard) n
WHERE n.level <= 2
GROUP BY nu.id, nu.code, nu.name_vi, r.period, n.code, n.level;
CREATE OR REPLACE VIEW dti.refresh_history AS
SELECT id AS run, started_at, ended_at, round(extract(epoch FROM ended_at - started_at)::numeric, 3) AS seconds,
	   requested_period, requested_framework, array_to_string(periods, ', ') AS periods,
	   array_to_string(whole_periods, ', ') AS whole_periods, array_to_string(pending_periods, ', ') AS pending_periods,
	   scorecards, ranks, outcome, error, sqlstate, run_by::text AS run_by,
	   (SELECT string_agg(f->>'period', ', ') FROM jsonb_array_elements(failures) f) AS failed_periods
FROM dti.refresh_log;
COMMENT ON COLUMN dti.score_long.rank_prev IS 'Rank in the previous period (through the indicator mapping when the framework changed; the index always); for a unit formed in the 2025 merger, the rank of its predecessors'' values carried by its succession rule among all such units';
COMMENT ON COLUMN dti.ranking.rank_prev IS 'Rank in the previous period (through the indicator mapping when the framework changed; the index always); for a unit formed in the 2025 merger, the rank of its predecessors'' values carried by its succession rule among all such units';
COMMENT ON COLUMN dti.ranking.value_change IS 'Value minus the value of the previous period (for a unit formed in the 2025 merger, its predecessors'' carried value)';
COMMENT ON COLUMN dti.province_ranking.rank_prev IS 'Rank in the previous period (through the indicator mapping when the framework changed; the index always); for a unit formed in the 2025 merger, the rank of its predecessors'' values carried by its succession rule among all such units';
COMMENT ON COLUMN dti.province_ranking.value_change IS 'Value minus the value of the previous period (for a unit formed in the 2025 merger, its predecessors'' carried value)';
COMMENT ON COLUMN dti.merged_series.carried_value IS 'The members'' values combined by the unit''s succession rule: their mean (the official rule for units merged in 2025) or a weighted mean (dti.set_succession_rule()); members without a value left out';
COMMENT ON COLUMN dti.merged_series.carry_rule IS 'The succession rule used: mean or weighted_mean';
COMMENT ON COLUMN dti.refresh_history.failed_periods IS 'Periods that failed in the run (their error is in error and in dti.refresh_log.failures); the others were committed';

-- Every period that already has results is published as it stands, so that
-- its announcement is on record (dti.publication_status); periods an admin
-- had locked stay locked (announced), the others stay open: refreshes
-- update them until dti.publish() announces them.
DO $$
DECLARE
	r record;
	pub bigint;
BEGIN
	FOR r IN SELECT DISTINCT rs.period, u.level, rs.framework_id
			 FROM dti.result_scorecard rs JOIN dti.unit u ON u.id = rs.unit_id
			 ORDER BY rs.period, u.level LOOP
		INSERT INTO dti.publication (period, level, framework_id, note, units, inputs)
		VALUES (r.period, r.level, r.framework_id,
				'published by the update to dti_warehouse 0.5.0: the results as they were', 0, 0)
		RETURNING id INTO pub;
		INSERT INTO dti.publication_scorecard (publication_id, unit_id, scorecard, root_value)
		SELECT pub, x.unit_id, x.scorecard, x.root_value FROM dti.result_scorecard x
		JOIN dti.unit u ON u.id = x.unit_id AND u.level = r.level
		WHERE x.period = r.period AND x.framework_id = r.framework_id;
		INSERT INTO dti.publication_rank (publication_id, unit_id, code, level, value, rank, group_rank)
		SELECT pub, x.unit_id, x.code, x.level, x.value, x.rank, x.group_rank FROM dti.result_rank x
		JOIN dti.unit u ON u.id = x.unit_id AND u.level = r.level
		WHERE x.period = r.period AND x.framework_id = r.framework_id;
		INSERT INTO dti.publication_input (publication_id, submission_id)
		SELECT pub, c.submission_id FROM dti.current_value c
		JOIN dti.unit u ON u.id = c.unit_id AND u.level = r.level
		WHERE c.period = r.period
		  AND EXISTS (SELECT 1 FROM dti.framework_indicator i WHERE i.framework_id = r.framework_id AND i.code = c.indicator);
		UPDATE dti.publication p
		SET units = (SELECT count(*) FROM dti.publication_scorecard s WHERE s.publication_id = pub),
			inputs = (SELECT count(*) FROM dti.publication_input s WHERE s.publication_id = pub)
		WHERE p.id = pub;
	END LOOP;
END $$;
