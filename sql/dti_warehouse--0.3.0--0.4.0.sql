-- dti_warehouse 0.3.0 -> 0.4.0: clearer refusals of bad input.  An
-- indicator whose parent is not in its framework is refused at commit
-- (it used to be hung under the root), and so is an indicator row without
-- a framework; dti.refresh() refuses an unknown framework id or a malformed
-- period (it used to log an empty success); dti.create_framework() checks
-- the level and the code before inserting; dti.load_boundaries() says when
-- no feature has the name property; a rejection without a reason gets its
-- own message; hints for unknown units and for years no framework assesses.
\echo Use "ALTER EXTENSION dti_warehouse UPDATE TO '0.4.0'" to load this file. \quit

-- Indicators loaded before 0.4.0 whose parent is missing stay as they are
-- (hung under the root); list them, because from now on such rows are
-- refused, also when a dump of this database is restored.
DO $$
DECLARE
	orphans text;
BEGIN
	SELECT string_agg(format('%s version %s: %s', f.code, f.version, i.code), ', '
					  ORDER BY f.code, f.version, i.code)
	INTO orphans
	FROM dti.framework_indicator i
	JOIN dti.framework f ON f.id = i.framework_id
	WHERE nlevel(i.code) > 1
	  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator p
					  WHERE p.framework_id = i.framework_id AND p.code = parent(i.code));
	IF orphans IS NOT NULL THEN
		RAISE WARNING 'indicators without their parent in their framework: %', orphans
			USING HINT = 'dti_warehouse 0.4.0 refuses such rows from now on, and when a dump is restored: add the parents or correct the codes.';
	END IF;
END $$;

CREATE OR REPLACE FUNCTION dti.framework_guard() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	fw_id integer;
	fw dti.framework;
	fz dti.frozen_framework;
BEGIN
	IF TG_TABLE_NAME = 'framework' THEN
		fw_id := OLD.id;
	ELSIF TG_OP = 'INSERT' THEN
		fw_id := NEW.framework_id;
		IF fw_id IS NULL THEN
			RAISE EXCEPTION 'indicator "%" has no framework', NEW.code
				USING ERRCODE = 'not_null_violation',
					DETAIL = 'framework_id was not given, and dti.create_framework() was not called in this transaction.',
					HINT = 'Call dti.create_framework() in the same transaction as the COPY or INSERT, or give framework_id.';
		END IF;
	ELSE
		fw_id := OLD.framework_id;
		IF TG_OP = 'UPDATE' AND NEW.framework_id <> OLD.framework_id
		   AND EXISTS (SELECT 1 FROM dti.frozen_framework z WHERE z.framework_id = NEW.framework_id) THEN
			fw_id := NEW.framework_id;
		END IF;
	END IF;
	SELECT * INTO fz FROM dti.frozen_framework z WHERE z.framework_id = fw_id;
	IF NOT FOUND THEN
		RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
	END IF;
	SELECT * INTO fw FROM dti.framework f WHERE f.id = fw_id;
	RAISE EXCEPTION 'framework % version % is frozen', fw.code, fw.version
		USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = format('It was frozen at %s by %s (%s); %s on %I is refused.',
				fz.frozen_at, fz.frozen_by, fz.reason, TG_OP, TG_TABLE_NAME),
			HINT = format('Create a new version with SELECT dti.new_framework_version(%s) and change that one.', fw.id);
END $$;

-- An indicator's parent (its code without the last part) must be an
-- indicator of the same framework, and an indicator removed (deleted, or
-- recoded or moved to another framework) must not leave children behind.
-- Checked at commit, so that the rows of a framework may arrive in any
-- order (COPY of a CSV file); like a foreign key, a check looks at the rows
-- as they are at commit, so a row corrected later in the transaction is
-- judged in its final form.
CREATE FUNCTION dti.framework_indicator_parent_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	fw record;
	child indicator_code;
BEGIN
	-- the old key is gone: no child may still point to it
	IF TG_OP IN ('DELETE', 'UPDATE')
	   AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator x
					   WHERE x.framework_id = OLD.framework_id AND x.code = OLD.code) THEN
		SELECT c.code INTO child FROM dti.framework_indicator c
		WHERE c.framework_id = OLD.framework_id AND parent(c.code) = OLD.code LIMIT 1;
		IF FOUND THEN
			SELECT f.code, f.version INTO fw FROM dti.framework f WHERE f.id = OLD.framework_id;
			RAISE EXCEPTION 'indicator "%" of framework % version % was removed, but its child "%" was not',
				OLD.code, fw.code, fw.version, child
				USING ERRCODE = 'foreign_key_violation',
					HINT = 'Remove or recode its children in the same transaction, or keep it.';
		END IF;
	END IF;
	-- the new key, if it is still there, needs its parent
	IF TG_OP IN ('INSERT', 'UPDATE') AND nlevel(NEW.code) > 1
	   AND EXISTS (SELECT 1 FROM dti.framework_indicator x
				   WHERE x.framework_id = NEW.framework_id AND x.code = NEW.code)
	   AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator p
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
CREATE CONSTRAINT TRIGGER framework_indicator_parent
	AFTER INSERT OR DELETE OR UPDATE OF framework_id, code ON dti.framework_indicator
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dti.framework_indicator_parent_check();

CREATE OR REPLACE FUNCTION dti.create_framework(code text, level text, years integer[], title_vi text,
									 decision text DEFAULT NULL, title_en text DEFAULT NULL,
									 max_points float8 DEFAULT NULL,
									 aggregation text DEFAULT 'sum_points')
RETURNS integer
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	new_id integer;
	new_version integer;
BEGIN
	IF create_framework.level IS NULL OR create_framework.level <> ALL (ARRAY['nation', 'province', 'ministry', 'commune']) THEN
		RAISE EXCEPTION 'unknown unit level "%"', create_framework.level
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'A framework assesses one level: nation, province, ministry or commune.';
	END IF;
	IF create_framework.code IS NULL OR create_framework.code !~ '^[A-Za-z0-9._-]+$' THEN
		RAISE EXCEPTION 'invalid framework code "%"', create_framework.code
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Use letters, digits, dots, hyphens and underscores, e.g. 405-province.';
	END IF;
	SELECT coalesce(max(f.version), 0) + 1 INTO new_version FROM dti.framework f WHERE f.code = create_framework.code;
	INSERT INTO dti.framework (code, version, level, decision, title_vi, title_en, aggregation, max_points)
	VALUES (create_framework.code, new_version, create_framework.level, create_framework.decision,
			create_framework.title_vi, create_framework.title_en, create_framework.aggregation,
			create_framework.max_points)
	RETURNING id INTO new_id;
	INSERT INTO dti.framework_use (level, year, framework_id)
	SELECT create_framework.level, y, new_id FROM unnest(years) AS y;
	PERFORM set_config('dti.framework_id', new_id::text, true);
	RETURN new_id;
END $$;

CREATE OR REPLACE FUNCTION dti.submission_resolve_unit() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
BEGIN
	NEW.unit_code := btrim(NEW.unit_code);
	SELECT u.id INTO NEW.unit_id
	FROM dti.unit u JOIN dti.period p ON p.label = NEW.period
	WHERE u.code = NEW.unit_code AND p.ends BETWEEN u.valid_from AND u.valid_to;
	IF NEW.unit_id IS NULL THEN
		IF NOT EXISTS (SELECT 1 FROM dti.unit u WHERE u.code = NEW.unit_code) THEN
			RAISE EXCEPTION 'unknown unit code "%"', NEW.unit_code
				USING ERRCODE = 'foreign_key_violation',
					DETAIL = 'No unit in dti.unit has this code.',
					HINT = 'Use an official code (GSO 2-digit code for provinces); dti.unit_code(name, date) finds it by name on a date of the period.';
		ELSIF NOT EXISTS (SELECT 1 FROM dti.period p WHERE p.label = NEW.period) THEN
			RAISE EXCEPTION 'unknown period "%"', NEW.period
				USING ERRCODE = 'foreign_key_violation',
					DETAIL = 'dti.period has no such label.',
					HINT = 'Write the period as 2024, 2024-Q1 or 2024-03; add other periods to dti.period.';
		ELSE
			RAISE EXCEPTION 'unit % is not valid in period %', NEW.unit_code, NEW.period
				USING ERRCODE = 'check_violation',
					DETAIL = format('No unit with code %s is valid on %s, the last day of the period.',
						NEW.unit_code, dti.period_end(NEW.period)),
					HINT = 'Provinces changed on 2025-07-01: use the codes valid in that period (see dti.province).';
		END IF;
	END IF;
	RETURN NEW;
END $$;

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
					WHEN 'unknown_unit' THEN 'Use an official unit code; dti.unit_code(name, date) finds it by name on a date of the period.'
					WHEN 'unknown_period' THEN 'Write the period as 2024, 2024-Q1 or 2024-03.'
					WHEN 'unit_not_valid' THEN 'Use the unit codes valid in that period (provinces changed on 2025-07-01).'
					WHEN 'unknown_indicator' THEN 'Use a code of the framework in dti.framework_in_use for that level and year; where no framework assesses them, create one (dti.create_framework) or use one (dti.use_framework).'
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

CREATE OR REPLACE FUNCTION dti.load_boundaries(layer text, features jsonb, valid_on date,
									name_property text DEFAULT 'shapeName', source text DEFAULT NULL)
RETURNS TABLE (unit_code text, parts integer)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	problems text;
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
	CREATE TEMP TABLE dti_boundary_feature ON COMMIT DROP AS
	SELECT f -> 'properties' ->> load_boundaries.name_property AS name,
		   (SELECT array_agg(DISTINCT u.unit_id) FROM dti.find_units(f -> 'properties' ->> load_boundaries.name_property, valid_on) u
			WHERE u.level = 'province') AS units,
		   f -> 'geometry' AS geometry
	FROM jsonb_array_elements(features -> 'features') AS f;
	SELECT string_agg(format('"%s" (%s)', coalesce(b.name, '<no name>'),
						  CASE WHEN b.units IS NULL THEN 'no unit' ELSE cardinality(b.units) || ' units' END), ', ')
	INTO problems
	FROM dti_boundary_feature b WHERE b.units IS NULL OR cardinality(b.units) <> 1;
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
	FROM dti_boundary_feature b
	GROUP BY b.units[1]
	RETURNING (SELECT u.code FROM dti.unit u WHERE u.id = t.unit_id), t.parts;
	DROP TABLE dti_boundary_feature;
END $$;
