-- dti_warehouse 0.4.0 -> 0.5.0
\echo Use "ALTER EXTENSION dti_warehouse UPDATE TO '0.5.0'" to load this file. \quit

-- The oldest dti this warehouse works with.  The control file can only say
-- "requires dti", and CREATE EXTENSION ... CASCADE installs the newest dti,
-- so a warehouse script that used a function of a newer dti than the one a
-- database has would fail halfway, or later at run time.  Every warehouse
-- install and upgrade script starts with this check (the upgrade check,
-- test/upgrade/check.sh, installs each warehouse version with the dti it
-- names here).  Raise the version when the warehouse starts to use a newer
-- dti function.
DO $requires$
DECLARE
	need constant text := '0.6.0';
	have text := (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'dti');
BEGIN
	IF have IS NULL OR pg_catalog.string_to_array(have, '.')::integer[] < pg_catalog.string_to_array(need, '.')::integer[] THEN
		RAISE EXCEPTION 'dti_warehouse needs dti % or newer, but dti % is installed', need, coalesce(have, '(none)')
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = format('Update dti first: ALTER EXTENSION dti UPDATE (to %s or newer).', need);
	END IF;
END
$requires$;

------------------------------------------------------------------------------
-- Part 1: the warehouse as its users run it.  Loaders COPY into dti.staging
-- (no row-level security any more: COPY refused it) and read their rows
-- through dti.my_staging; every bad record is kept with the line of its file
-- (dti-clean-text marks records it cannot split); a value equal to the
-- current revision is rejected as unchanged; loaders withdraw loads no
-- verifier has acted on; verifiers act on a whole load or unit and period
-- (dti.verify_load, dti.verify_unit); a submission's load is the
-- submitter's own; the SECURITY DEFINER trigger functions are no longer
-- executable by PUBLIC; readers may read the reference data the published
-- views look up; the map views start with a unique feature_id; a refresh
-- analyses the result tables.
------------------------------------------------------------------------------

-- Staging without row-level security.
DROP POLICY staging_own ON dti.staging;
ALTER TABLE dti.staging NO FORCE ROW LEVEL SECURITY;
ALTER TABLE dti.staging DISABLE ROW LEVEL SECURITY;
REVOKE SELECT, DELETE ON dti.staging FROM dti_loader;
REVOKE ALL ON dti.staging FROM PUBLIC;
ALTER TABLE dti.staging ADD COLUMN copied_at timestamptz;
UPDATE dti.staging SET copied_at = staged_at;
ALTER TABLE dti.staging ALTER COLUMN copied_at SET DEFAULT statement_timestamp(),
	ALTER COLUMN copied_at SET NOT NULL;
COMMENT ON TABLE dti.staging IS
	'Landing table for portal CSV exports: \copy dti.staging (unit_code, year, indicator_code, raw_value, source, note) FROM PROGRAM ''dti-clean-text FILE'' CSV HEADER, then SELECT * FROM dti.load_staging(); loaders may only insert (no row-level security, which COPY refuses): they see and delete their own rows through dti.my_staging';
COMMENT ON COLUMN dti.staging.year IS 'The period: a year (2024), a quarter (2024-Q1) or a month (2024-03)';
COMMENT ON COLUMN dti.staging.raw_value IS 'The value as text: a number with a decimal point, or a grade for grade rules';
COMMENT ON COLUMN dti.staging.status IS 'Initial status of the submission: submitted (default) or draft';
COMMENT ON COLUMN dti.staging.line IS 'Arrival order of the row (a sequence shared by every loader)';
COMMENT ON COLUMN dti.staging.copied_at IS 'Start of the statement (COPY or INSERT) that staged the row: the rows of one statement are one file, numbered in arrival order from line 2 (line 1 is the header)';

CREATE VIEW dti.my_staging WITH (security_barrier = true) AS
SELECT s.line, s.unit_code, s.year, s.indicator_code, s.raw_value, s.source, s.note, s.status, s.staged_at, s.copied_at
FROM dti.staging s
WHERE s.staged_by = CURRENT_USER;
COMMENT ON VIEW dti.my_staging IS
	'The current role''s staged rows, not yet loaded: read them, or DELETE FROM dti.my_staging to drop them before dti.load_staging()';

GRANT SELECT, DELETE ON dti.my_staging TO dti_loader;

-- Rejects: the file line and the new reasons.
ALTER TABLE dti.reject DROP CONSTRAINT reject_reason_code_check;
ALTER TABLE dti.reject ADD CONSTRAINT reject_reason_code_check CHECK (reason_code IN ('unknown_unit', 'unknown_period', 'unit_not_valid',
		'unknown_indicator', 'unparseable_value', 'out_of_range', 'duplicate', 'not_granted', 'bad_status',
		'invalid_text', 'malformed_line', 'field_too_long', 'unchanged'));
ALTER TABLE dti.reject ADD COLUMN file_line bigint;
GRANT INSERT (file_line) ON dti.reject TO dti_loader;
COMMENT ON COLUMN dti.reject.reason_code IS
	'unknown_unit, unknown_period, unit_not_valid (not valid in that period), unknown_indicator (not in that year''s framework), unparseable_value (for the indicator''s rule), out_of_range, duplicate (same unit, period and indicator more than once in the load), not_granted (unit not granted to the loading role), bad_status, invalid_text (a field holds U+FFFD, the mark of a NUL byte or of bytes that were not UTF-8 in the file), malformed_line (dti-clean-text found a record with the wrong number of fields or an unterminated quote; note holds the record), field_too_long (a field of more than 10 MB), unchanged (the current revision already has this value: loading a file again adds no revision)';
COMMENT ON COLUMN dti.reject.line IS 'Arrival order of the staged row (unique in the load)';
COMMENT ON COLUMN dti.reject.file_line IS 'Line of the file where the record starts (the header is line 1), counted per COPY statement';

-- Withdrawn revisions.
ALTER TABLE dti.submission_status DROP CONSTRAINT submission_status_status_check;
ALTER TABLE dti.submission_status ADD CONSTRAINT submission_status_status_check
	CHECK (status IN ('submitted', 'verified', 'rejected', 'withdrawn'));
COMMENT ON TABLE dti.submission_status IS
	'Status changes of submission revisions, append-only: draft -> submitted (loader), submitted -> verified or rejected, verified -> rejected, rejected -> verified (verifier; a rejection needs a reason), draft or submitted -> withdrawn (the loader who made the revision, dti.withdraw_load)';
CREATE INDEX submission_load_idx ON dti.submission (load_id) WHERE load_id IS NOT NULL;

-- The status workflow: checked per statement (a rejection's reason still per row).
CREATE OR REPLACE FUNCTION dti.submission_status_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
BEGIN
	RAISE EXCEPTION 'a rejection of submission % needs a reason', NEW.submission_id
		USING ERRCODE = 'check_violation',
			HINT = 'Give it as the third argument: dti.set_status(id, ''rejected'', ''why'').';
END $$;
COMMENT ON FUNCTION dti.submission_status_check() IS
	'Trigger function: refuses a rejection without a reason, with its own message (the trigger runs only for such rows)';
DROP TRIGGER submission_status_check ON dti.submission_status;
CREATE TRIGGER submission_status_check BEFORE INSERT ON dti.submission_status
	FOR EACH ROW WHEN (NEW.status = 'rejected' AND nullif(btrim(NEW.reason), '') IS NULL)
	EXECUTE FUNCTION dti.submission_status_check();

-- The workflow, checked for all rows of a statement at once (a bulk
-- verification inserts thousands): each new event against the status
-- before it (the newest earlier event of its revision, else the revision's
-- initial status).
CREATE FUNCTION dti.submission_status_allowed() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	bad record;
BEGIN
	SELECT n.submission_id, n.status, s.id AS found,
		   coalesce((SELECT t.status FROM dti.submission_status t
					 WHERE t.submission_id = n.submission_id AND t.id < n.id ORDER BY t.id DESC LIMIT 1), s.status) AS current
	INTO bad
	FROM new_rows n
	LEFT JOIN LATERAL (SELECT x.id, x.status FROM dti.submission x
					   WHERE x.id = n.submission_id OFFSET 0) s ON true -- an index probe per event
	WHERE s.id IS NULL
	   OR (coalesce((SELECT t.status FROM dti.submission_status t
					 WHERE t.submission_id = n.submission_id AND t.id < n.id ORDER BY t.id DESC LIMIT 1), s.status), n.status)
		  NOT IN (('draft', 'submitted'), ('submitted', 'verified'), ('submitted', 'rejected'),
				  ('verified', 'rejected'), ('rejected', 'verified'),
				  ('draft', 'withdrawn'), ('submitted', 'withdrawn'))
	ORDER BY n.id
	LIMIT 1;
	IF bad.submission_id IS NULL THEN
		RETURN NULL;
	ELSIF bad.found IS NULL THEN
		RAISE EXCEPTION 'no submission with id %', bad.submission_id
			USING ERRCODE = 'foreign_key_violation',
				DETAIL = 'dti.submission has no such row, or it belongs to a unit you may not see.',
				HINT = 'Look the id up in dti.current_submission.';
	END IF;
	RAISE EXCEPTION 'submission % cannot go from % to %', bad.submission_id, bad.current, bad.status
		USING ERRCODE = 'invalid_transaction_state',
			DETAIL = 'Allowed: draft -> submitted, submitted -> verified or rejected, verified -> rejected, rejected -> verified, draft or submitted -> withdrawn.',
			HINT = 'A new value is a new revision: insert it into dti.submission.';
END $$;
COMMENT ON FUNCTION dti.submission_status_allowed() IS
	'Statement trigger function: enforces the status workflow of submissions for all new status events at once';
CREATE TRIGGER submission_status_allowed AFTER INSERT ON dti.submission_status
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION dti.submission_status_allowed();

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
	n_more bigint;
	by_reason jsonb;
BEGIN
	SELECT max(s.line) INTO last_line FROM dti.my_staging s;
	INSERT INTO dti.load (note) VALUES (load_staging.note) RETURNING id INTO lid;
	IF last_line IS NULL THEN
		UPDATE dti.load l SET staged = 0, accepted = 0, rejected = 0, reasons = '{}' WHERE l.id = lid;
		RETURN QUERY SELECT lid, 0::bigint, 0::bigint, 0::bigint, '{}'::jsonb;
		RETURN;
	END IF;

	-- The caller's rows, each with the line of its file: the rows of one
	-- statement (one COPY) are the records of one file, from line 2.
	-- dti-clean-text writes one row per line of its input: a row whose six
	-- fields are all NULL stands for a continuation line of the record above
	-- it (a quoted field across lines), and a row whose source starts with
	-- U+FFFE is a record it could not split (the reason follows the mark;
	-- the record itself is the note).
	CREATE TEMP TABLE dti_load_rows ON COMMIT DROP AS
	SELECT s.*, s.unit_code AS given_unit_code, 1 + row_number() OVER (PARTITION BY s.copied_at ORDER BY s.line) AS file_line,
		   CASE WHEN s.source LIKE U&'\FFFE%' THEN split_part(substr(s.source, 2), ':', 1) END AS mark,
		   CASE WHEN s.source LIKE U&'\FFFE%' THEN substr(s.source, strpos(s.source, ':') + 1) END AS mark_detail,
		   num_nonnulls(s.unit_code, s.year, s.indicator_code, s.raw_value, s.source, s.note) = 0 AS continuation
	FROM dti.my_staging s WHERE s.line <= last_line;
	ANALYZE pg_temp.dti_load_rows;
	SELECT count(*) FILTER (WHERE NOT r.continuation) INTO n_staged FROM pg_temp.dti_load_rows r;

	-- A unit given by its name instead of its code: the code of the one unit
	-- that dti.find_units() finds under that name at the end of the period
	-- (an unknown or ambiguous name stays, and is rejected as unknown_unit).
	UPDATE pg_temp.dti_load_rows r SET unit_code = x.code
	FROM (SELECT n.name, n.year, min(f.code) AS code
		  FROM (SELECT d.name, d.year
				FROM (SELECT DISTINCT btrim(d.unit_code) AS name, btrim(d.year) AS year
					  FROM pg_temp.dti_load_rows d
					  WHERE d.mark IS NULL AND NOT d.continuation AND d.unit_code IS NOT NULL
						AND btrim(d.unit_code) NOT IN (SELECT u.code FROM dti.unit u)) d
				WHERE dti.period_kind(d.year) IS NOT NULL) n
		  CROSS JOIN LATERAL dti.find_units(n.name, dti.period_end(n.year)) f
		  WHERE f.level IN ('province', 'ministry')
		  GROUP BY n.name, n.year
		  HAVING count(DISTINCT f.code) = 1) x
	WHERE btrim(r.unit_code) = x.name AND btrim(r.year) = x.year AND r.mark IS NULL;

	EXECUTE format('CREATE TEMP TABLE dti_load_checked ON COMMIT DROP AS '
		'SELECT v.*, s.year, s.indicator_code, s.source, s.note, s.status, s.given_unit_code AS staged_unit_code, s.file_line, '
		'strpos(concat(s.source, s.note), U&''\FFFD'') > 0 AS bad_text '
		'FROM (%s) v JOIN pg_temp.dti_load_rows s ON s.line = v.k',
		dti.validation_query(
			'SELECT s.line AS k, s.unit_code, NULL::integer AS unit_id, s.year AS period, s.indicator_code AS indicator, s.raw_value '
			'FROM pg_temp.dti_load_rows s WHERE s.mark IS NULL AND NOT s.continuation',
			true, true));
	ANALYZE pg_temp.dti_load_checked;

	-- records dti-clean-text could not split
	INSERT INTO dti.reject (load_id, line, file_line, note, reason_code, reason)
	SELECT lid, r.line, r.file_line, r.note,
		   CASE WHEN r.mark IN ('malformed_line', 'field_too_long') THEN r.mark ELSE 'malformed_line' END,
		   format('line %s: %s', r.file_line, r.mark_detail)
	FROM pg_temp.dti_load_rows r WHERE r.mark IS NOT NULL;
	GET DIAGNOSTICS n_bad = ROW_COUNT;

	-- a value equal to the current revision's (not withdrawn) adds nothing
	UPDATE pg_temp.dti_load_checked c
	SET reason_code = 'unchanged',
		reason = format('unit %s, period %s, indicator %s already has value "%s" (submission %s, %s)',
						c.unit_code, c.period, c.indicator, dti.clip(cur.raw_value), cur.id, cur.status)
	FROM (SELECT x.k, s.id, s.raw_value,
				 coalesce((SELECT t.status FROM dti.submission_status t WHERE t.submission_id = s.id
						   ORDER BY t.id DESC LIMIT 1), s.status) AS status
		  FROM pg_temp.dti_load_checked x
		  CROSS JOIN LATERAL (SELECT y.id, y.raw_value, y.status FROM dti.submission y
							  WHERE y.unit_id = x.unit_id AND y.period = x.period AND y.indicator = x.indicator::indicator_code
							  ORDER BY y.id DESC LIMIT 1) s
		  WHERE x.reason_code IS NULL AND s.raw_value = btrim(x.raw_value)) cur
	WHERE c.k = cur.k AND cur.status <> 'withdrawn';

	INSERT INTO dti.reject (load_id, line, file_line, unit_code, year, indicator_code, raw_value, source, note, reason_code, reason)
	SELECT lid, c.k, c.file_line, c.staged_unit_code, c.year, c.indicator_code, c.raw_value, c.source, c.note,
		   CASE WHEN c.reason_code IS NOT NULL THEN c.reason_code WHEN c.bad_text THEN 'invalid_text' ELSE 'bad_status' END,
		   CASE WHEN c.reason_code IS NOT NULL THEN c.reason
				WHEN c.bad_text THEN format('the source or note holds U+FFFD, the mark of a NUL byte or of bytes that are not UTF-8 (source "%s", note "%s")',
											dti.clip(c.source), dti.clip(c.note))
				ELSE format('status "%s" is not draft or submitted', dti.clip(c.status)) END
	FROM pg_temp.dti_load_checked c
	WHERE c.reason_code IS NOT NULL OR c.bad_text OR c.status NOT IN ('draft', 'submitted');
	GET DIAGNOSTICS n_more = ROW_COUNT;
	n_bad := n_bad + n_more;

	INSERT INTO dti.submission (unit_code, unit_id, period, indicator, raw_value, status, source, note, reason, load_id)
	SELECT c.unit_code, c.unit_id, c.period, c.indicator, btrim(c.raw_value), c.status, c.source, c.note,
		   coalesce(load_staging.note, format('load %s', lid)), lid
	FROM pg_temp.dti_load_checked c
	WHERE c.reason_code IS NULL AND NOT c.bad_text AND c.status IN ('draft', 'submitted')
	ORDER BY c.k;
	GET DIAGNOSTICS n_ok = ROW_COUNT;

	DELETE FROM dti.my_staging s WHERE s.line <= last_line;

	SELECT coalesce(jsonb_object_agg(r.reason_code, r.n), '{}') INTO by_reason
	FROM (SELECT j.reason_code, count(*) AS n FROM dti.reject j WHERE j.load_id = lid GROUP BY j.reason_code) r;
	UPDATE dti.load l SET staged = n_staged, accepted = n_ok, rejected = n_bad, reasons = by_reason WHERE l.id = lid;
	DROP TABLE pg_temp.dti_load_checked;
	DROP TABLE pg_temp.dti_load_rows;
	RETURN QUERY SELECT lid, n_staged, n_ok, n_bad, by_reason;
END $$;
COMMENT ON FUNCTION dti.load_staging(text) IS
	'Validates the caller''s staged rows in one set-based pass, moves the good ones into dti.submission (one revision each, with the note as reason), keeps every bad record in dti.reject with the line of its file and the reason (records dti-clean-text could not split, bad values, ungranted units, values equal to the current revision), empties the caller''s staging rows; returns the load id and the counts';

-- A loader takes back a load that no verifier has acted on.
CREATE FUNCTION dti.withdraw_load(load_id bigint, reason text) RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	n bigint;
	acted record;
BEGIN
	IF nullif(btrim(withdraw_load.reason), '') IS NULL THEN
		RAISE EXCEPTION 'withdrawing load % needs a reason', withdraw_load.load_id
			USING ERRCODE = 'not_null_violation', HINT = 'Give it as the second argument.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM dti.load l WHERE l.id = withdraw_load.load_id AND l.loaded_by = CURRENT_USER) THEN
		RAISE EXCEPTION 'load % is not a load of role %', withdraw_load.load_id, CURRENT_USER
			USING ERRCODE = 'insufficient_privilege',
				DETAIL = 'A loader withdraws only its own loads.',
				HINT = 'Your loads are the rows of dti.load with loaded_by = current_user.';
	END IF;
	-- a verifier's decision on any revision of the load keeps it
	SELECT t.submission_id, t.status, t.changed_by INTO acted
	FROM dti.submission s JOIN dti.submission_status t ON t.submission_id = s.id
	WHERE s.load_id = withdraw_load.load_id AND t.status IN ('verified', 'rejected')
	ORDER BY t.id LIMIT 1;
	IF acted.submission_id IS NOT NULL THEN
		RAISE EXCEPTION 'load % has been acted on: submission % is %', withdraw_load.load_id, acted.submission_id, acted.status
			USING ERRCODE = 'object_not_in_prerequisite_state',
				DETAIL = format('%s set that status; a load is withdrawn only before any verifier acts on it.', acted.changed_by),
				HINT = 'Submit corrected values as new revisions instead.';
	END IF;
	INSERT INTO dti.submission_status (submission_id, status, reason)
	SELECT s.id, 'withdrawn', withdraw_load.reason
	FROM dti.submission s
	WHERE s.load_id = withdraw_load.load_id
	  AND coalesce((SELECT t.status FROM dti.submission_status t WHERE t.submission_id = s.id ORDER BY t.id DESC LIMIT 1),
				   s.status) IN ('draft', 'submitted')
	ORDER BY s.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;
COMMENT ON FUNCTION dti.withdraw_load(bigint, text) IS
	'Withdraws every revision of one of the caller''s loads (status withdrawn, with the reason), refused once a verifier has verified or rejected any of them; returns the number of revisions withdrawn';

-- Verification in bulk: one status event per revision, in one statement.
CREATE FUNCTION dti.set_status_where(load_id bigint, unit_code text, period text, status text, reason text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	n bigint;
BEGIN
	IF set_status_where.status NOT IN ('verified', 'rejected') THEN
		RAISE EXCEPTION 'status "%" is not verified or rejected', set_status_where.status
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF set_status_where.status = 'rejected' AND nullif(btrim(set_status_where.reason), '') IS NULL THEN
		RAISE EXCEPTION 'a rejection needs a reason'
			USING ERRCODE = 'check_violation', HINT = 'Give it as the last argument.';
	END IF;
	INSERT INTO dti.submission_status (submission_id, status, reason)
	SELECT s.id, set_status_where.status, set_status_where.reason
	FROM dti.submission s
	LEFT JOIN LATERAL (SELECT t.status FROM dti.submission_status t
					   WHERE t.submission_id = s.id ORDER BY t.id DESC LIMIT 1) st ON true
	WHERE (set_status_where.load_id IS NULL OR s.load_id = set_status_where.load_id)
	  AND (set_status_where.unit_code IS NULL OR s.unit_code = btrim(set_status_where.unit_code))
	  AND (set_status_where.period IS NULL OR s.period = btrim(set_status_where.period))
	  AND (coalesce(st.status, s.status) = 'submitted'
		   OR (set_status_where.status = 'rejected' AND st.status = 'verified'))
	  AND NOT EXISTS (SELECT 1 FROM dti.submission n
					  WHERE n.unit_id = s.unit_id AND n.period = s.period AND n.indicator = s.indicator AND n.id > s.id)
	ORDER BY s.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;
COMMENT ON FUNCTION dti.set_status_where(bigint, text, text, text, text) IS
	'Internal: the status change of dti.verify_load and dti.verify_unit for the current revisions that match (NULL matches all)';

CREATE FUNCTION dti.verify_load(load_id bigint, status text DEFAULT 'verified', reason text DEFAULT NULL) RETURNS bigint
LANGUAGE sql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
BEGIN ATOMIC
	SELECT dti.set_status_where(verify_load.load_id, NULL, NULL, verify_load.status, verify_load.reason)
	WHERE verify_load.load_id IS NOT NULL;
END;
COMMENT ON FUNCTION dti.verify_load(bigint, text, text) IS
	'Verifies (or, with status rejected and a reason, rejects) every current revision of a load that is waiting (submitted; for a rejection also verified ones), one status event each, in one statement; returns how many changed';

CREATE FUNCTION dti.verify_unit(unit_code text, period text, status text DEFAULT 'verified', reason text DEFAULT NULL) RETURNS bigint
LANGUAGE sql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
BEGIN ATOMIC
	SELECT dti.set_status_where(NULL, verify_unit.unit_code, verify_unit.period, verify_unit.status, verify_unit.reason)
	WHERE verify_unit.unit_code IS NOT NULL AND verify_unit.period IS NOT NULL;
END;
COMMENT ON FUNCTION dti.verify_unit(text, text, text, text) IS
	'Verifies (or rejects with a reason) every current revision of a unit in a period that is waiting, one status event each, in one statement; returns how many changed';

-- Policies: a submission's load is the submitter's own; loaders withdraw their own revisions.
ALTER POLICY submission_write ON dti.submission
	WITH CHECK (((SELECT dti.may_write_all()) OR unit_code = ANY ((SELECT dti.my_unit_codes())::text[]))
				AND (load_id IS NULL
					 OR load_id IN (SELECT l.id FROM dti.load l WHERE l.loaded_by = CURRENT_USER)));
ALTER POLICY submission_status_write ON dti.submission_status
	WITH CHECK ((SELECT dti.may_write_all())
				OR ((SELECT dti.has_group('dti_verifier')) AND status IN ('submitted', 'verified', 'rejected'))
				OR (status = 'submitted'
					AND EXISTS (SELECT 1 FROM dti.submission s
								WHERE s.id = submission_id AND s.unit_code = ANY ((SELECT dti.my_unit_codes())::text[])))
				OR (status = 'withdrawn'
					AND EXISTS (SELECT 1 FROM dti.submission s
								WHERE s.id = submission_id AND s.created_by = CURRENT_USER)));

REVOKE EXECUTE ON FUNCTION dti.withdraw_load(bigint, text), dti.set_status_where(bigint, text, text, text, text),
	dti.verify_load(bigint, text, text), dti.verify_unit(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.withdraw_load(bigint, text) TO dti_loader;
GRANT EXECUTE ON FUNCTION dti.set_status_where(bigint, text, text, text, text),
	dti.verify_load(bigint, text, text), dti.verify_unit(text, text, text, text) TO dti_verifier;

-- Current values: a verification of the newest revisions is written at once.
-- (Built with the schema of dti named: the indicator codes are compared with
-- its operator, which the pinned search_path does not find.)
DO $do$
BEGIN
	EXECUTE replace($body$
CREATE OR REPLACE FUNCTION dti.sync_current_value() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
	k_period text[];
	k_unit integer[];
	k_indicator text[];
	keys_locked bigint;
BEGIN
	SELECT array_agg(k.period), array_agg(k.unit_id), array_agg(k.indicator)
	INTO k_period, k_unit, k_indicator
	FROM (SELECT DISTINCT s.period, s.unit_id, s.indicator::text AS indicator
		  FROM new_rows n
		  CROSS JOIN LATERAL (SELECT x.period, x.unit_id, x.indicator FROM dti.submission x
							 WHERE x.id = n.submission_id OFFSET 0) s -- an index probe per event
		  ORDER BY 1, 2, 3) k;
	IF k_period IS NULL THEN
		RETURN NULL;
	END IF;
	keys_locked := coalesce(nullif(current_setting('dti.current_value_keys', true), ''), '0')::bigint
		+ cardinality(k_period);
	PERFORM set_config('dti.current_value_keys', keys_locked::text, true);
	IF keys_locked > 100 THEN
		LOCK TABLE dti.current_value IN SHARE ROW EXCLUSIVE MODE;
	ELSE
		PERFORM pg_advisory_xact_lock(hashtext('dti.current_value'), hashtext(k.period || '/' || k.unit_id || '/' || k.indicator))
		FROM unnest(k_period, k_unit, k_indicator) WITH ORDINALITY k(period, unit_id, indicator, i)
		ORDER BY k.i;
	END IF;
	DELETE FROM dti.current_value c
	USING unnest(k_period, k_unit, k_indicator) k(period, unit_id, indicator)
	WHERE c.period = k.period AND c.unit_id = k.unit_id AND c.indicator::text = k.indicator;
	-- The common case at once (a verification of the newest revisions): a
	-- revision whose newest status event, seen now, is this statement's
	-- 'verified' and that has no newer revision is its key's current value.
	-- The other keys are resolved from the history.
	WITH last_event AS (
		SELECT DISTINCT ON (n.submission_id) n.submission_id, n.id, n.status
		FROM new_rows n ORDER BY n.submission_id, n.id DESC
	), fast AS (
		INSERT INTO dti.current_value (period, unit_id, indicator, submission_id, raw_value, value)
		SELECT s.period, s.unit_id, s.indicator, s.id, s.raw_value, s.value
		FROM last_event l
		JOIN dti.submission s ON s.id = l.submission_id
		WHERE l.status = 'verified'
		  AND NOT EXISTS (SELECT 1 FROM dti.submission_status t WHERE t.submission_id = s.id AND t.id > l.id)
		  AND NOT EXISTS (SELECT 1 FROM dti.submission x
						  WHERE x.unit_id = s.unit_id AND x.period = s.period AND x.indicator OPERATOR(@dti@.=) s.indicator AND x.id > s.id)
		RETURNING period, unit_id, indicator::text AS indicator
	)
	SELECT array_agg(k.period), array_agg(k.unit_id), array_agg(k.indicator)
	INTO k_period, k_unit, k_indicator
	FROM unnest(k_period, k_unit, k_indicator) k(period, unit_id, indicator)
	WHERE NOT EXISTS (SELECT 1 FROM fast f WHERE f.period = k.period AND f.unit_id = k.unit_id AND f.indicator = k.indicator);
	IF k_period IS NOT NULL THEN
		INSERT INTO dti.current_value (period, unit_id, indicator, submission_id, raw_value, value)
		SELECT * FROM dti.resolve_current(k_period, k_unit, k_indicator);
	END IF;
	RETURN NULL;
END $fn$;
$body$, '@dti@', (SELECT quote_ident(n.nspname) FROM pg_catalog.pg_extension e
							JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'dti'));
END $do$;

-- Status events queue their units with an index probe each.
CREATE OR REPLACE FUNCTION dti.queue_submission() RETURNS trigger
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

-- Trigger functions are not for anybody to call.
REVOKE EXECUTE ON FUNCTION dti.sync_current_value(), dti.queue_submission(), dti.queue_everything() FROM PUBLIC;

-- Statistics after every refresh that wrote results.
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

-- data_quality counts verified values without calling a function readers may not run.
CREATE OR REPLACE VIEW dti.data_quality AS
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
LEFT JOIN LATERAL (SELECT count(*) AS verified FROM dti.current_value c
				   WHERE c.period = s.period AND c.unit_id = s.unit_id) v ON true;

-- Map views start with a unique feature_id (the key GIS clients propose).
DROP VIEW dti.score_map, dti.merged_map, dti.region_map;
CREATE VIEW dti.score_map AS
SELECT format('%s/%s/%s/%s', b.layer, rk.period, rk.unit_id, rk.code) AS feature_id,
	   b.layer,
	   u.code AS unit_code,
	   u.name_vi AS unit,
	   u.level AS unit_level,
	   g.name_vi AS region,
	   rk.period,
	   f.code AS framework,
	   rk.code::text AS code,
	   coalesce(i.name_vi, f.title_vi) AS name_vi,
	   round(rk.value::numeric, 4) AS value,
	   rk.rank,
	   prev.rank - rk.rank AS rank_change,
	   rk.group_rank AS region_rank,
	   dti.value_class(round(rk.value::numeric, 4)) AS class,
	   b.geom
FROM dti.result_rank rk
JOIN dti.unit_boundary b ON b.unit_id = rk.unit_id
JOIN dti.unit u ON u.id = rk.unit_id
LEFT JOIN dti.unit g ON g.id = u.parent_id
JOIN dti.framework f ON f.id = rk.framework_id
LEFT JOIN dti.framework_indicator i ON i.framework_id = rk.framework_id AND i.code = rk.code
LEFT JOIN dti.result_rank prev ON prev.period = dti.previous_period(rk.period)
	AND prev.unit_id = rk.unit_id AND prev.code = rk.code;

CREATE VIEW dti.merged_map AS
SELECT format('%s/%s/%s/%s', b.layer, m.period, nu.id, m.code) AS feature_id,
	   b.layer,
	   m.unit_code,
	   m.unit,
	   m.period,
	   m.code,
	   m.level,
	   m.carried_value AS value,
	   (rank_rounded(m.carried_value::float8, 4) OVER (PARTITION BY b.layer, m.period, m.code))::integer AS rank,
	   m.members,
	   m.members_with_value,
	   m.member_units,
	   dti.value_class(m.carried_value) AS class,
	   b.geom
FROM dti.merged_series m
JOIN dti.unit nu ON nu.code = m.unit_code AND nu.level = 'province'
	AND nu.id IN (SELECT s.successor_id FROM dti.unit_succession s)
JOIN dti.unit_boundary b ON b.unit_id = nu.id;

CREATE VIEW dti.region_map AS
SELECT format('%s/%s/%s/%s/%s', b.layer, s.period, s.framework, r.id, s.code) AS feature_id,
	   b.layer, s.*, b.geom
FROM dti.region_summary s
JOIN dti.unit r ON r.level = 'region' AND r.code = s.region_code
JOIN dti.unit_boundary b ON b.unit_id = r.id;

DO $$
DECLARE
	c record;
	v text;
BEGIN
	FOR c IN SELECT * FROM (VALUES
		('score_map', NULL, 'Map view: published values and ranks of every unit, period and ranked indicator with the unit''s geometry from each boundary layer (filter on layer, period, code); for QGIS and BI tools that read PostGIS'),
		('merged_map', NULL, 'Map view of the 2025 merger: the 34 units with the official mean of their members'' values per period and main indicator, ranked among the merged units, with geometry'),
		('region_summary', NULL, 'Region aggregates: per socio-economic region, period, framework and ranked indicator, the provinces with a value, mean, median, min, max, best province and the region''s rank by mean'),
		('region_map', NULL, 'Map view of dti.region_summary with the regions'' geometry from each boundary layer'),
		(NULL, 'feature_id', 'Unique key of the row (layer/period/unit id/indicator; region_map adds the framework): the key a GIS client proposes, as the first column'),
		(NULL, 'layer', 'Boundary layer of the geometry (geoboundaries: the shipped geoBoundaries layer)'),
		(NULL, 'unit_code', 'Official code of the unit (GSO 2-digit code for provinces)'),
		(NULL, 'unit', 'Vietnamese name of the unit, with diacritics'),
		(NULL, 'unit_level', 'province, region, ministry, nation or commune'),
		(NULL, 'region', 'Vietnamese name of the socio-economic region'),
		(NULL, 'region_code', 'Code of the region (R1..R6)'),
		(NULL, 'period', 'Assessment period (2024, 2024-Q1, 2024-03)'),
		(NULL, 'framework', 'Framework code (e.g. 922-province)'),
		(NULL, 'code', 'Indicator code; DTI is the index itself'),
		(NULL, 'name_vi', 'Vietnamese name of the indicator'),
		(NULL, 'level', 'Depth in the tree: 1 the index, 2 main indicators'),
		(NULL, 'value', 'Value in [0, 1] at the published 4 decimals'),
		(NULL, 'rank', 'Competition rank (1224) at 4 decimals, highest first'),
		(NULL, 'rank_change', 'Rank in the previous period minus rank: positive means the unit moved up'),
		(NULL, 'region_rank', 'Rank within the socio-economic region'),
		(NULL, 'class', 'Class of the value: Rất cao (> 0.75), Cao (0.50-0.75), Trung bình (0.25-0.50), Thấp (< 0.25)'),
		(NULL, 'members', 'Members (old provinces) of the merged unit'),
		(NULL, 'members_with_value', 'Members that have a value'),
		(NULL, 'member_units', 'Names of the members'),
		(NULL, 'provinces', 'Provinces of the region with a value'),
		(NULL, 'mean_value', 'Unweighted mean of the provinces'' values'),
		(NULL, 'median_value', 'Median of the provinces'' values'),
		(NULL, 'min_value', 'Lowest value of a province in the region'),
		(NULL, 'max_value', 'Highest value of a province in the region'),
		(NULL, 'best_unit', 'The province with the highest value'),
		(NULL, 'geom', 'Geometry of the unit: MultiPolygon, WGS 84 (SRID 4326)')
	) AS t (view_name, column_name, comment)
	LOOP
		IF c.view_name IS NOT NULL THEN
			EXECUTE format('COMMENT ON VIEW dti.%I IS %L', c.view_name, c.comment);
		ELSE
			FOR v IN
				SELECT k.relname FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid
				WHERE k.relnamespace = 'dti'::regnamespace AND k.relkind = 'v' AND a.attname = c.column_name
				  AND k.relname IN ('score_map', 'merged_map', 'region_summary', 'region_map')
			LOOP
				EXECUTE format('COMMENT ON COLUMN dti.%I.%I IS %L', v, c.column_name,
							   CASE WHEN v = 'region_summary' AND c.column_name = 'rank'
									THEN 'Rank of the region by mean value, highest first'
									WHEN v = 'region_map' AND c.column_name = 'rank'
									THEN 'Rank of the region by mean value, highest first'
									ELSE c.comment END);
			END LOOP;
		END IF;
	END LOOP;
END $$;

GRANT SELECT ON dti.score_map, dti.merged_map, dti.region_summary, dti.region_map TO dti_reader, dti_admin;
GRANT SELECT ON dti.unit_boundary TO dti_reader, dti_admin;
-- Readers: the reference data the published views and functions look up
-- (a function runs with its caller's rights): the framework definitions of
-- dti.published_comparison (through dti.framework_tree()) ...
GRANT SELECT ON dti.framework, dti.framework_indicator TO dti_reader;
-- and the units, their names and the periods, which dti.unit_code() and
-- dti.find_units() look up
GRANT SELECT ON dti.unit, dti.unit_name, dti.period, dti.province TO dti_reader;
-- Functions whose tables not every role may read: for the roles that may.
REVOKE EXECUTE ON FUNCTION dti.dissolve_regions(text, text, date), dti.load_boundary_layer(text, jsonb, date, text, text),
	dti.my_unit_codes(), dti.submitted_periods(), dti.verified_values(text, integer[]), dti.ranked_nodes(text, integer),
	dti.map_geojson(text, text, text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.dissolve_regions(text, text, date), dti.load_boundary_layer(text, jsonb, date, text, text),
	dti.verified_values(text, integer[]), dti.ranked_nodes(text, integer) TO dti_admin;
GRANT EXECUTE ON FUNCTION dti.my_unit_codes(), dti.submitted_periods() TO dti_loader, dti_verifier;
GRANT EXECUTE ON FUNCTION dti.map_geojson(text, text, text, text, boolean) TO dti_reader, dti_admin;

-- It reads the units, boundaries and result tables as their owner, for
-- readers, who see only the published views.  Its search_path is pinned to
-- pg_catalog: PostGIS is named by the schema it was installed in.
DO $do$
BEGIN
	EXECUTE replace($body$
CREATE OR REPLACE FUNCTION dti.neighbours(unit text, period text, indicator text DEFAULT 'DTI',
							   layer text DEFAULT 'geoboundaries')
RETURNS TABLE (unit_code text, unit_name text, border_km numeric, value numeric, rank integer,
			   rank_change integer, value_diff numeric)
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE ROWS 8
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
	at date := dti.period_end(neighbours.period);
	me integer;
	found_code text;
BEGIN
	IF at IS NULL THEN
		RAISE EXCEPTION 'invalid period "%"', neighbours.period
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Periods look like 2024, 2024-Q1 or 2024-03; the province is the one valid at its end.';
	END IF;
	-- a code, else a name
	SELECT u.id INTO me FROM dti.unit u
	WHERE u.level = 'province' AND u.code = neighbours.unit AND at BETWEEN u.valid_from AND u.valid_to;
	IF me IS NULL THEN
		found_code := dti.unit_code(neighbours.unit, at);
		SELECT u.id INTO me FROM dti.unit u
		WHERE u.level = 'province' AND u.code = found_code AND at BETWEEN u.valid_from AND u.valid_to;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM dti.unit_boundary b WHERE b.layer = neighbours.layer AND b.unit_id = me) THEN
		RAISE EXCEPTION 'layer "%" has no boundary of province %', neighbours.layer, neighbours.unit
			USING ERRCODE = 'no_data_found',
				HINT = 'Check the layer name (the shipped one is geoboundaries) and the period (63 provinces until 2025-06-30, 34 after).';
	END IF;
	RETURN QUERY
	SELECT n.code, n.name_vi,
		   round((@postgis@.ST_Length(@postgis@.ST_CollectionExtract(@postgis@.ST_Intersection(a.geom, b.geom), 2)::@postgis@.geography) / 1000)::numeric, 1),
		   round(rn.value::numeric, 4), rn.rank, pn.rank - rn.rank,
		   round(rn.value::numeric, 4) - round(rm.value::numeric, 4)
	FROM dti.unit_boundary a
	JOIN dti.unit_boundary b ON b.layer = a.layer AND b.unit_id <> a.unit_id AND @postgis@.ST_Intersects(a.geom, b.geom)
	JOIN dti.unit n ON n.id = b.unit_id AND n.level = 'province' AND at BETWEEN n.valid_from AND n.valid_to
	LEFT JOIN dti.result_rank rn ON rn.unit_id = n.id AND rn.period = neighbours.period AND rn.code::text = neighbours.indicator
	LEFT JOIN dti.result_rank pn ON pn.unit_id = n.id AND pn.period = dti.previous_period(neighbours.period)
		AND pn.code::text = neighbours.indicator
	LEFT JOIN dti.result_rank rm ON rm.unit_id = a.unit_id AND rm.period = neighbours.period
		AND rm.code::text = neighbours.indicator
	WHERE a.layer = neighbours.layer AND a.unit_id = me
	  AND @postgis@.ST_Length(@postgis@.ST_CollectionExtract(@postgis@.ST_Intersection(a.geom, b.geom), 2)) > 0
	ORDER BY rn.rank NULLS LAST, n.code;
END $fn$;
$body$, '@postgis@', (SELECT quote_ident(n.nspname) FROM pg_catalog.pg_extension e
								JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'postgis'));
END $do$;
REVOKE EXECUTE ON FUNCTION dti.neighbours(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.neighbours(text, text, text, text) TO dti_reader, dti_admin;

-- Loads, bulk verifications and their triggers: their cost estimates (the
-- policies' subqueries count per row) start JIT compilation, which takes
-- longer than the statements themselves.
ALTER FUNCTION dti.load_staging(text) SET jit = off;
ALTER FUNCTION dti.withdraw_load(bigint, text) SET jit = off;
ALTER FUNCTION dti.set_status_where(bigint, text, text, text, text) SET jit = off;
ALTER FUNCTION dti.submission_status_allowed() SET jit = off;
ALTER FUNCTION dti.sync_current_value() SET jit = off;
ALTER FUNCTION dti.queue_submission() SET jit = off;

------------------------------------------------------------------------------
-- End of part 1.
------------------------------------------------------------------------------

------------------------------------------------------------------------------
-- Part 2: a year's life without loss: publication, locked periods, framework
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

-- Locking an unknown period is P0002
CREATE OR REPLACE FUNCTION dti.lock_period(period text, reason text) RETURNS void
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM dti.period p WHERE p.label = lock_period.period) THEN
		RAISE EXCEPTION 'unknown period "%"', lock_period.period
			USING ERRCODE = 'no_data_found', HINT = 'Periods are the labels of dti.period (2024, 2024-Q1, 2024-03).';
	END IF;
	INSERT INTO dti.period_lock (period, reason) VALUES (lock_period.period, lock_period.reason)
	ON CONFLICT ON CONSTRAINT period_lock_pkey DO NOTHING;
END $$;

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

	-- Publish statistics with the results, so that the dashboards' and
	-- GIS clients' queries (and their row estimates) after a refresh are
	-- planned on the rows just written.
	IF n_cards + n_ranks > 0 THEN
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

CREATE FUNCTION dti.publish(period text, level text DEFAULT 'province', note text DEFAULT NULL)
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
COMMENT ON FUNCTION dti.publish(text, text, text) IS
	'Announces the results of a period and level: recomputes them from the current verified values, keeps a copy of every scorecard and rank with the revision of every value used (dti.publication*), freezes the framework and locks the period, so that readers see the announced results until the next dti.publish(); corrections made meanwhile wait in dti.unpublished_change; returns the publication id';

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
	   -- announced or open: values whose current verified revision is not the
	   -- one the announcement used; provisional: units with queued changes
	   CASE WHEN p.id IS NOT NULL THEN
			(SELECT count(*) FROM dti.unpublished_change c WHERE c.period = x.period AND c.level = x.level)
			ELSE (SELECT count(DISTINCT coalesce(q.unit_id, 0)) FROM dti.refresh_queue q LEFT JOIN dti.unit u ON u.id = q.unit_id
				  WHERE q.period = x.period AND (u.level = x.level OR q.unit_id IS NULL)) END::integer AS pending_changes
FROM (SELECT DISTINCT r.period, u.level, r.framework_id FROM dti.result_scorecard r JOIN dti.unit u ON u.id = r.unit_id
	  UNION
	  -- a period announced whose results were since replaced
	  SELECT a.period, a.level, a.framework_id FROM dti.publication a
	  WHERE NOT EXISTS (SELECT 1 FROM dti.result_scorecard r JOIN dti.unit u ON u.id = r.unit_id
						WHERE r.period = a.period AND u.level = a.level)) x
JOIN dti.framework f ON f.id = x.framework_id
LEFT JOIN LATERAL (SELECT a.* FROM dti.publication a WHERE a.period = x.period AND a.level = x.level
				   ORDER BY a.id DESC LIMIT 1) p ON true
LEFT JOIN dti.period_lock l ON l.period = x.period;
COMMENT ON VIEW dti.publication_status IS
	'Per period and level with results: provisional (never published: each refresh updates it), announced (published and locked: readers see the newest publication) or open (published, then unlocked: each refresh updates it again), the newest publication, and what waits: for a published period the values whose current verified revision differs from the one it used, for a provisional one the units with queued changes';

-- The published view of verified values shows, for an announced period,
-- the revisions its announcement used (later corrections wait for the next
-- one, as in every other view readers have).
CREATE OR REPLACE VIEW dti."giá_trị_đã_xác_minh" AS
WITH revision AS (
	SELECT s.id, s.unit_id, s.period, s.indicator, s.raw_value, s.value,
		   row_number() OVER (PARTITION BY s.unit_id, s.period, s.indicator ORDER BY s.id) AS revision,
		   coalesce(st.status, s.status) AS status, st.changed_by, st.changed_at
	FROM dti.submission s
	LEFT JOIN LATERAL (
		SELECT t.status, t.changed_by, t.changed_at FROM dti.submission_status t
		WHERE t.submission_id = s.id ORDER BY t.id DESC LIMIT 1) st ON true
), announced AS (
	SELECT DISTINCT ON (a.period, a.level) a.id, a.period, a.level
	FROM dti.publication a JOIN dti.period_lock l ON l.period = a.period
	ORDER BY a.period, a.level, a.id DESC
)
SELECT DISTINCT ON (r.unit_id, r.period, r.indicator)
	   u.code AS "mã_đơn_vị", u.name_vi AS "tên_đơn_vị", r.period AS "kỳ", p.year AS "năm",
	   r.indicator::text AS "mã_chỉ_số", r.raw_value AS "giá_trị_gốc", r.value AS "giá_trị",
	   r.revision::integer AS "lần_sửa", r.changed_by::text AS "người_xác_minh", r.changed_at AS "thời_điểm_xác_minh"
FROM revision r
JOIN dti.unit u ON u.id = r.unit_id
JOIN dti.period p ON p.label = r.period
LEFT JOIN announced an ON an.period = r.period AND an.level = u.level
WHERE CASE WHEN an.id IS NULL THEN r.status = 'verified'
		   ELSE EXISTS (SELECT 1 FROM dti.publication_input i WHERE i.publication_id = an.id AND i.submission_id = r.id) END
ORDER BY r.unit_id, r.period, r.indicator, r.id DESC;
COMMENT ON VIEW dti."giá_trị_đã_xác_minh" IS 'Published: the verified value of every unit, period and indicator; for an announced period the one its announcement used';

REVOKE EXECUTE ON FUNCTION dti.publish(text, text, text), dti.publication_queue(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.publish(text, text, text), dti.publication_queue(text, text) TO dti_admin;
-- the record of announcements is written by dti.publish() only
GRANT SELECT ON dti.publication, dti.publication_input, dti.publication_scorecard, dti.publication_rank TO dti_admin;
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
-- the official merger table is reference data readers may see (dti.unit_code()
-- names the successor of an old name from it)
GRANT SELECT ON dti.unit_succession TO dti_reader;

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

------------------------------------------------------------------------------
-- Part 3: A-E grading of public-service information systems.  A year's
-- criteria set is a grading scale (groups with their points, grade bands;
-- Decision 473/QĐ-BTTTT for 2024 ships, frozen); systems belong to a
-- province or ministry and a year; their scores per group are staged in
-- dti.staging, loaded by dti.load_grading() (rejects, grants and loads as
-- for submissions) and verified by dti.verify_grading(); grades, ranks and
-- the BI views follow; dti.ranking and dti.province_ranking gain two columns
-- at their end, the points and grade of the unit's main system.  The
-- definitions are those of sql/warehouse/65_grading.sql.
------------------------------------------------------------------------------

-- A-E grading of public-service information systems.  Every ministry and
-- province runs an information system for administrative procedures; each
-- year it is scored out of 100 points on groups of criteria and graded A to
-- E (Decision 473/QĐ-BTTTT for 2024).  A year's criteria set is a grading
-- scale (groups with their points, grade bands), versioned and frozen like a
-- framework; systems belong to a unit and a year; scores per group arrive
-- through dti.staging like DTI submissions and are loaded by
-- dti.load_grading() (same loads, rejects, grants), then verified with
-- dti.verify_grading().  Totals and grades are exact numerics: a total is
-- rounded to its published 2 decimals before it meets the bands.

------------------------------------------------------------------------------
-- The criteria set of a year
------------------------------------------------------------------------------

CREATE SEQUENCE dti.grading_scale_id_seq AS integer;
COMMENT ON SEQUENCE dti.grading_scale_id_seq IS 'Identifiers of dti.grading_scale';

CREATE TABLE dti.grading_scale (
	id integer PRIMARY KEY DEFAULT nextval('dti.grading_scale_id_seq'),
	code text NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]+$'),
	version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
	year integer NOT NULL CHECK (year BETWEEN 1900 AND 2999),
	decision text,
	title_vi text NOT NULL CHECK (title_vi = normalize(title_vi, NFC) AND title_vi <> ''),
	title_en text,
	max_points numeric NOT NULL CHECK (max_points > 0),
	created_by name NOT NULL DEFAULT current_user,
	created_at timestamptz NOT NULL DEFAULT now(),
	shipped boolean NOT NULL DEFAULT false,
	UNIQUE (code, version)
);
ALTER SEQUENCE dti.grading_scale_id_seq OWNED BY dti.grading_scale.id;
COMMENT ON TABLE dti.grading_scale IS
	'A year''s criteria set for grading the administrative-procedure information systems (Decision 473/QĐ-BTTTT for 2024): its groups (dti.grading_group) and grade bands (dti.grading_band); the newest version for a year grades that year; a frozen scale never changes (a change means a new version)';
COMMENT ON COLUMN dti.grading_scale.code IS 'Short name shared by the versions, e.g. 473-2024';
COMMENT ON COLUMN dti.grading_scale.year IS 'The assessment year the scale grades';
COMMENT ON COLUMN dti.grading_scale.max_points IS 'Total points (100 under Decision 473)';

CREATE TABLE dti.grading_group (
	scale_id integer NOT NULL DEFAULT nullif(current_setting('dti.grading_scale_id', true), '')::integer
		REFERENCES dti.grading_scale (id),
	code text NOT NULL CHECK (code ~ '^[A-Z0-9_]{1,16}$'),
	name_vi text NOT NULL CHECK (name_vi = normalize(name_vi, NFC) AND name_vi <> ''),
	name_en text,
	max_points numeric NOT NULL CHECK (max_points > 0),
	position integer NOT NULL CHECK (position >= 1),
	PRIMARY KEY (scale_id, code),
	UNIQUE (scale_id, position)
);
COMMENT ON TABLE dti.grading_group IS
	'The groups of criteria of a grading scale and their points (functionality 50, interface 5, performance 20, security 15, accessibility 5, connection to the national monitoring system 5 under Decision 473); a system is scored per group';
COMMENT ON COLUMN dti.grading_group.scale_id IS 'The scale; defaults to the one dti.create_grading_scale() created in this transaction';
COMMENT ON COLUMN dti.grading_group.code IS 'Group code as written in loads (indicator_code of dti.staging): CN, GD, HN, ATTT, TC, KN';
COMMENT ON COLUMN dti.grading_group.position IS 'Order of the group in the decision; breaks ties of the weakest group';

CREATE TABLE dti.grading_band (
	scale_id integer NOT NULL DEFAULT nullif(current_setting('dti.grading_scale_id', true), '')::integer
		REFERENCES dti.grading_scale (id),
	grade text NOT NULL CHECK (grade ~ '^[A-Z]$'),
	min_points numeric NOT NULL CHECK (min_points >= 0),
	PRIMARY KEY (scale_id, grade),
	UNIQUE (scale_id, min_points)
);
COMMENT ON TABLE dti.grading_band IS
	'Grade bands of a grading scale: a system gets the grade with the highest min_points its total, rounded to 2 decimals, reaches (A 90, B 80, C 65, D 50, E 0 under Decision 473)';

CREATE TABLE dti.grading_scale_frozen (
	scale_id integer PRIMARY KEY REFERENCES dti.grading_scale (id),
	frozen_by name NOT NULL DEFAULT current_user,
	frozen_at timestamptz NOT NULL DEFAULT now(),
	reason text NOT NULL,
	shipped boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE dti.grading_scale_frozen IS
	'Grading scales used by announced results: a frozen scale, its groups and its bands are read-only (a change means a new version); rows are never removed';
CREATE TRIGGER grading_scale_frozen_append_only BEFORE UPDATE OR DELETE ON dti.grading_scale_frozen
	FOR EACH ROW EXECUTE FUNCTION dti.forbid_change();

-- A frozen scale, its groups and its bands are read-only.
CREATE FUNCTION dti.grading_scale_guard() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	sid integer;
	sc dti.grading_scale;
	fz dti.grading_scale_frozen;
BEGIN
	IF TG_TABLE_NAME = 'grading_scale' THEN
		sid := OLD.id;
	ELSIF TG_OP = 'INSERT' THEN
		sid := NEW.scale_id;
	ELSE
		sid := OLD.scale_id;
		IF TG_OP = 'UPDATE' AND NEW.scale_id <> OLD.scale_id
		   AND EXISTS (SELECT 1 FROM dti.grading_scale_frozen z WHERE z.scale_id = NEW.scale_id) THEN
			sid := NEW.scale_id;
		END IF;
	END IF;
	SELECT * INTO fz FROM dti.grading_scale_frozen z WHERE z.scale_id = sid;
	IF NOT FOUND THEN
		RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
	END IF;
	SELECT * INTO sc FROM dti.grading_scale s WHERE s.id = sid;
	RAISE EXCEPTION 'grading scale % version % is frozen', sc.code, sc.version
		USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = format('It was frozen at %s by %s (%s); %s on %I is refused.', fz.frozen_at, fz.frozen_by, fz.reason, TG_OP, TG_TABLE_NAME),
			HINT = format('Create a new version with SELECT dti.create_grading_scale(%L, %s, ...) and change that one.', sc.code, sc.year);
END $$;
COMMENT ON FUNCTION dti.grading_scale_guard() IS
	'Trigger function: refuses changes to a frozen grading scale, its groups and its bands';
CREATE TRIGGER grading_scale_guard BEFORE UPDATE OR DELETE ON dti.grading_scale
	FOR EACH ROW EXECUTE FUNCTION dti.grading_scale_guard();
CREATE TRIGGER grading_group_guard BEFORE INSERT OR UPDATE OR DELETE ON dti.grading_group
	FOR EACH ROW EXECUTE FUNCTION dti.grading_scale_guard();
CREATE TRIGGER grading_band_guard BEFORE INSERT OR UPDATE OR DELETE ON dti.grading_band
	FOR EACH ROW EXECUTE FUNCTION dti.grading_scale_guard();

CREATE FUNCTION dti.create_grading_scale(code text, year integer, title_vi text, decision text DEFAULT NULL,
										 max_points numeric DEFAULT 100, title_en text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	new_id integer;
BEGIN
	IF create_grading_scale.code IS NULL OR create_grading_scale.code !~ '^[A-Za-z0-9._-]+$' THEN
		RAISE EXCEPTION 'invalid grading scale code "%"', create_grading_scale.code
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Use letters, digits, dots, hyphens and underscores, e.g. 473-2024.';
	END IF;
	INSERT INTO dti.grading_scale (code, version, year, decision, title_vi, title_en, max_points)
	SELECT create_grading_scale.code, coalesce(max(s.version), 0) + 1, create_grading_scale.year,
		   create_grading_scale.decision, normalize(create_grading_scale.title_vi, NFC),
		   create_grading_scale.title_en, create_grading_scale.max_points
	FROM dti.grading_scale s WHERE s.code = create_grading_scale.code
	RETURNING id INTO new_id;
	PERFORM set_config('dti.grading_scale_id', new_id::text, true);
	RETURN new_id;
END $$;
COMMENT ON FUNCTION dti.create_grading_scale(text, integer, text, text, numeric, text) IS
	'Creates the next version of a grading scale for a year (the newest version grades the year) and makes it the default scale_id of dti.grading_group and dti.grading_band for the rest of the transaction; returns its id';

CREATE FUNCTION dti.freeze_grading_scale(scale_id integer, reason text) RETURNS timestamptz
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	at timestamptz;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM dti.grading_scale s WHERE s.id = freeze_grading_scale.scale_id) THEN
		RAISE EXCEPTION 'no grading scale with id %', scale_id
			USING ERRCODE = 'no_data_found', HINT = 'Look the id up in dti.grading_scale.';
	END IF;
	INSERT INTO dti.grading_scale_frozen (scale_id, reason)
	VALUES (freeze_grading_scale.scale_id, freeze_grading_scale.reason)
	ON CONFLICT ON CONSTRAINT grading_scale_frozen_pkey DO NOTHING;
	SELECT z.frozen_at INTO at FROM dti.grading_scale_frozen z WHERE z.scale_id = freeze_grading_scale.scale_id;
	RETURN at;
END $$;
COMMENT ON FUNCTION dti.freeze_grading_scale(integer, text) IS
	'Freezes a grading scale (idempotent): from then on it, its groups and its bands are read-only; returns when it was first frozen';

CREATE VIEW dti.grading_scale_in_use AS
SELECT DISTINCT ON (s.year) s.year, s.id AS scale_id, s.code, s.version, s.max_points
FROM dti.grading_scale s
ORDER BY s.year, s.version DESC, s.id DESC;
COMMENT ON VIEW dti.grading_scale_in_use IS 'The grading scale of each year: the newest version among the scales of that year';

-- The grade of a total under the scale of a year, on the total rounded to
-- its published 2 decimals (64.999 is 65.00, a C; 64.99 is a D).
CREATE FUNCTION dti.grading_grade(year integer, total numeric) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT b.grade FROM dti.grading_scale_in_use u JOIN dti.grading_band b ON b.scale_id = u.scale_id
	WHERE u.year = grading_grade.year AND b.min_points <= round(grading_grade.total, 2)
	ORDER BY b.min_points DESC LIMIT 1;
END;
COMMENT ON FUNCTION dti.grading_grade(integer, numeric) IS
	'Grade of a total under the grading scale of the year: the band with the highest min_points the total, rounded to 2 decimals, reaches (NULL when the year has no scale)';

-- Decision 473/QĐ-BTTTT (03/04/2024): the criteria of 2024, frozen since
-- the results were announced on 11/07/2024.
INSERT INTO dti.grading_scale (code, version, year, decision, title_vi, title_en, max_points,
							   created_by, created_at, shipped)
VALUES ('473-2024', 1, 2024, '473/QĐ-BTTTT',
		'Bộ tiêu chí đánh giá Hệ thống thông tin giải quyết thủ tục hành chính cấp bộ, cấp tỉnh',
		'Criteria for the administrative-procedure information systems of ministries and provinces',
		100, 'dti_warehouse', '2024-04-03 00:00:00+07', true);

INSERT INTO dti.grading_group (scale_id, code, name_vi, name_en, max_points, position)
SELECT (SELECT id FROM dti.grading_scale WHERE code = '473-2024' AND version = 1),
	   c.group_code, c.name_vi, c.name_en, c.max_points::numeric, row_number() OVER ()
FROM
(VALUES
	 ('CN', 'Chức năng', 'Functionality', '50')
	,('GD', 'Giao diện', 'Layout and interface', '5')
	,('HN', 'Hiệu năng', 'Performance', '20')
	,('ATTT', 'An toàn thông tin', 'Security', '15')
	,('TC', 'Khả năng tiếp cận', 'Accessibility', '5')
	,('KN', 'Kết nối với Hệ thống giám sát', 'Connection to the national monitoring system', '5')
) AS c ("group_code", "name_vi", "name_en", "max_points")
;

INSERT INTO dti.grading_band (scale_id, grade, min_points)
SELECT (SELECT id FROM dti.grading_scale WHERE code = '473-2024' AND version = 1), b.grade, b.min_points::numeric
FROM
(VALUES
	 ('A', '90', '100')
	,('B', '80', '89.99')
	,('C', '65', '79.99')
	,('D', '50', '64.99')
	,('E', '0', '49.99')
) AS b ("grade", "min_points", "max_points")
;

INSERT INTO dti.grading_scale_frozen (scale_id, frozen_by, frozen_at, reason, shipped)
SELECT s.id, 'dti_warehouse', '2024-07-11 00:00:00+07', 'results announced on 11/07/2024', true
FROM dti.grading_scale s WHERE s.code = '473-2024' AND s.version = 1;

------------------------------------------------------------------------------
-- Systems and their scores
------------------------------------------------------------------------------

CREATE SEQUENCE dti.grading_system_id_seq AS integer;
COMMENT ON SEQUENCE dti.grading_system_id_seq IS 'Identifiers of dti.grading_system';

CREATE TABLE dti.grading_system (
	id integer PRIMARY KEY DEFAULT nextval('dti.grading_system_id_seq'),
	unit_id integer NOT NULL REFERENCES dti.unit (id),
	year integer NOT NULL CHECK (year BETWEEN 1900 AND 2999),
	code text NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]{1,40}$'),
	name_vi text NOT NULL CHECK (name_vi = normalize(name_vi, NFC) AND name_vi <> ''),
	main boolean NOT NULL DEFAULT true,
	created_by name NOT NULL DEFAULT current_user,
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (year, code)
);
ALTER SEQUENCE dti.grading_system_id_seq OWNED BY dti.grading_system.id;
CREATE UNIQUE INDEX grading_system_main_idx ON dti.grading_system (unit_id, year) WHERE main;
COMMENT ON TABLE dti.grading_system IS
	'The administrative-procedure information systems graded each year: one per ministry or province (main, its code is the unit''s code), more where a unit runs several; loads name a system by its code';
COMMENT ON COLUMN dti.grading_system.code IS 'Code written in the unit_code column of a load: the unit''s code for its main system, another code for any other';
COMMENT ON COLUMN dti.grading_system.main IS 'The unit''s main system, whose grade stands beside the unit''s DTI';

-- A system belongs to a province or ministry valid at the end of its year.
CREATE FUNCTION dti.grading_system_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM dti.unit u
				   WHERE u.id = NEW.unit_id AND u.level IN ('province', 'ministry')
					 AND make_date(NEW.year, 12, 31) BETWEEN u.valid_from AND u.valid_to) THEN
		RAISE EXCEPTION 'unit % is not a province or ministry valid at the end of %', NEW.unit_id, NEW.year
			USING ERRCODE = 'check_violation',
				HINT = 'Systems are graded for the provinces and ministries of the year (see dti.unit).';
	END IF;
	RETURN NEW;
END $$;
COMMENT ON FUNCTION dti.grading_system_check() IS
	'Trigger function: a graded system belongs to a province or ministry valid on the last day of its year';
CREATE TRIGGER grading_system_check BEFORE INSERT OR UPDATE ON dti.grading_system
	FOR EACH ROW EXECUTE FUNCTION dti.grading_system_check();

CREATE FUNCTION dti.open_grading(year integer) RETURNS integer
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	n integer;
BEGIN
	INSERT INTO dti.grading_system (unit_id, year, code, name_vi)
	SELECT u.id, open_grading.year, u.code,
		   'Hệ thống thông tin giải quyết thủ tục hành chính ' || u.name_vi
	FROM dti.unit u
	WHERE u.level IN ('province', 'ministry')
	  AND make_date(open_grading.year, 12, 31) BETWEEN u.valid_from AND u.valid_to
	  AND NOT EXISTS (SELECT 1 FROM dti.grading_system s
					  WHERE s.unit_id = u.id AND s.year = open_grading.year AND s.main)
	  AND NOT EXISTS (SELECT 1 FROM dti.grading_system s
					  WHERE s.code = u.code AND s.year = open_grading.year)
	ORDER BY u.level, u.code;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;
COMMENT ON FUNCTION dti.open_grading(integer) IS
	'Registers the main system of every province and ministry valid at the end of the year that has none yet (its code is the unit''s code); returns how many were added';

CREATE FUNCTION dti.add_grading_system(unit_code text, year integer, code text, name_vi text) RETURNS integer
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	uid integer;
	new_id integer;
BEGIN
	SELECT u.id INTO uid FROM dti.unit u
	WHERE u.code = btrim(add_grading_system.unit_code) AND make_date(add_grading_system.year, 12, 31) BETWEEN u.valid_from AND u.valid_to;
	IF uid IS NULL THEN
		RAISE EXCEPTION 'no unit with code "%" is valid at the end of %', add_grading_system.unit_code, add_grading_system.year
			USING ERRCODE = 'foreign_key_violation', HINT = 'Use the code of a province or ministry of that year (see dti.unit).';
	END IF;
	INSERT INTO dti.grading_system (unit_id, year, code, name_vi, main)
	VALUES (uid, add_grading_system.year, btrim(add_grading_system.code), normalize(add_grading_system.name_vi, NFC),
			NOT EXISTS (SELECT 1 FROM dti.grading_system s WHERE s.unit_id = uid AND s.year = add_grading_system.year AND s.main))
	RETURNING id INTO new_id;
	RETURN new_id;
END $$;
COMMENT ON FUNCTION dti.add_grading_system(text, integer, text, text) IS
	'Registers a system of a unit for a year under its own code (the unit''s main system when it has none yet); returns its id';

CREATE SEQUENCE dti.grading_score_id_seq;
COMMENT ON SEQUENCE dti.grading_score_id_seq IS 'Identifiers of dti.grading_score, in arrival order';

CREATE TABLE dti.grading_score (
	id bigint PRIMARY KEY DEFAULT nextval('dti.grading_score_id_seq'),
	system_id integer NOT NULL REFERENCES dti.grading_system (id),
	scale_id integer NOT NULL,
	group_code text NOT NULL,
	points numeric NOT NULL CHECK (points >= 0),
	unit_code text NOT NULL,
	synthetic boolean NOT NULL DEFAULT false,
	source text,
	note text,
	reason text,
	load_id bigint REFERENCES dti.load (id),
	created_by name NOT NULL DEFAULT current_user,
	created_at timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (scale_id, group_code) REFERENCES dti.grading_group (scale_id, code)
);
ALTER SEQUENCE dti.grading_score_id_seq OWNED BY dti.grading_score.id;
CREATE INDEX grading_score_key_idx ON dti.grading_score (system_id, group_code, id);
CREATE INDEX grading_score_load_idx ON dti.grading_score (load_id) WHERE load_id IS NOT NULL;
COMMENT ON TABLE dti.grading_score IS
	'Points of a system on a group of criteria, as revisions (rows are never changed; the newest row of a system and group is current); loaded from dti.staging by dti.load_grading()';
COMMENT ON COLUMN dti.grading_score.scale_id IS 'The scale of the system''s year when the row arrived';
COMMENT ON COLUMN dti.grading_score.points IS 'Points on the group, from 0 to the group''s max_points (exact decimal)';
COMMENT ON COLUMN dti.grading_score.unit_code IS 'Code of the unit that runs the system (filled from the system; grants are checked on it)';
COMMENT ON COLUMN dti.grading_score.synthetic IS 'True for an invented value (staged with the source "synthetic"), e.g. in the demo';

CREATE SEQUENCE dti.grading_score_status_id_seq;
COMMENT ON SEQUENCE dti.grading_score_status_id_seq IS 'Identifiers of dti.grading_score_status';

CREATE TABLE dti.grading_score_status (
	id bigint PRIMARY KEY DEFAULT nextval('dti.grading_score_status_id_seq'),
	score_id bigint NOT NULL REFERENCES dti.grading_score (id),
	status text NOT NULL CHECK (status IN ('verified', 'rejected')),
	reason text CHECK (status <> 'rejected' OR nullif(btrim(reason), '') IS NOT NULL),
	changed_by name NOT NULL DEFAULT current_user,
	changed_at timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE dti.grading_score_status_id_seq OWNED BY dti.grading_score_status.id;
CREATE INDEX ON dti.grading_score_status (score_id, id);
COMMENT ON TABLE dti.grading_score_status IS
	'Verifiers'' decisions on grading scores (verified, or rejected with a reason), as a history: the newest event of a score is its status; a score without one is submitted';

CREATE TRIGGER grading_score_append_only BEFORE UPDATE OR DELETE ON dti.grading_score
	FOR EACH ROW EXECUTE FUNCTION dti.forbid_change();
CREATE TRIGGER grading_score_status_append_only BEFORE UPDATE OR DELETE ON dti.grading_score_status
	FOR EACH ROW EXECUTE FUNCTION dti.forbid_change();

-- Fill the unit and the scale from the system, and check the points
-- against the group (direct INSERTs as well as loads).
CREATE FUNCTION dti.grading_score_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	sys record;
	mx numeric;
BEGIN
	SELECT s.year, u.code, iu.scale_id INTO sys
	FROM dti.grading_system s JOIN dti.unit u ON u.id = s.unit_id
	LEFT JOIN dti.grading_scale_in_use iu ON iu.year = s.year
	WHERE s.id = NEW.system_id;
	-- a row that names its scale keeps it (a restore), others take the year's
	NEW.scale_id := coalesce(NEW.scale_id, sys.scale_id);
	IF NEW.scale_id IS NULL THEN
		RAISE EXCEPTION 'no grading scale for % (system %)', sys.year, NEW.system_id
			USING ERRCODE = 'foreign_key_violation', HINT = 'Create one with dti.create_grading_scale().';
	END IF;
	NEW.unit_code := sys.code;
	SELECT g.max_points INTO mx FROM dti.grading_group g WHERE g.scale_id = NEW.scale_id AND g.code = NEW.group_code;
	IF NEW.points > mx THEN
		RAISE EXCEPTION 'points % exceed the % points of group %', NEW.points, mx, NEW.group_code
			USING ERRCODE = 'numeric_value_out_of_range', HINT = 'See max_points in dti.grading_group.';
	END IF;
	RETURN NEW;
END $$;
COMMENT ON FUNCTION dti.grading_score_check() IS
	'Trigger function: fills unit_code of a grading score from its system and scale_id (when not given) from the scale of the system''s year, and refuses points above the group''s maximum';
CREATE TRIGGER grading_score_check BEFORE INSERT ON dti.grading_score
	FOR EACH ROW EXECUTE FUNCTION dti.grading_score_check();

------------------------------------------------------------------------------
-- Loading and verification
------------------------------------------------------------------------------

-- The caller's staged rows are one grading file: unit_code the system code
-- (the unit's code for its main system), year the year, indicator_code the
-- group code, raw_value the points with a decimal point.
CREATE FUNCTION dti.load_grading(note text DEFAULT NULL)
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
	all_units boolean := dti.may_write_all();
	codes text[] := dti.my_unit_codes();
BEGIN
	SELECT max(s.line) INTO last_line FROM dti.my_staging s;
	INSERT INTO dti.load (note) VALUES (load_grading.note) RETURNING id INTO lid;
	CREATE TEMP TABLE dti_grading_rows ON COMMIT DROP AS
	SELECT s.*, 1 + row_number() OVER (PARTITION BY s.copied_at ORDER BY s.line) AS file_line,
		   CASE WHEN s.source LIKE U&'\FFFE%' THEN split_part(substr(s.source, 2), ':', 1) END AS mark,
		   CASE WHEN s.source LIKE U&'\FFFE%' THEN substr(s.source, strpos(s.source, ':') + 1) END AS mark_detail,
		   num_nonnulls(s.unit_code, s.year, s.indicator_code, s.raw_value, s.source, s.note) = 0 AS continuation,
		   NULL::integer AS system_id, NULL::integer AS scale_id, NULL::numeric AS points,
		   NULL::text AS reason_code, NULL::text AS reason
	FROM dti.my_staging s WHERE s.line <= last_line;
	SELECT count(*) FILTER (WHERE NOT r.continuation) INTO n_staged FROM pg_temp.dti_grading_rows r;

	UPDATE pg_temp.dti_grading_rows r
	SET system_id = x.system_id, scale_id = x.scale_id, points = x.points, reason_code = x.reason_code,
		reason = CASE x.reason_code
			WHEN 'malformed_line' THEN format('line %s: %s', r.file_line, r.mark_detail)
			WHEN 'field_too_long' THEN format('line %s: %s', r.file_line, r.mark_detail)
			WHEN 'invalid_text' THEN format('the row holds U+FFFD, the mark of a NUL byte or of bytes that are not UTF-8 (system "%s", year "%s", group "%s", points "%s")',
				dti.clip(r.unit_code), dti.clip(r.year), dti.clip(r.indicator_code), dti.clip(r.raw_value))
			WHEN 'unknown_period' THEN format('"%s" is not a year of dti.period (systems are graded per year)', dti.clip(r.year))
			WHEN 'unknown_unit' THEN format('no information system with code "%s" is graded in %s (dti.grading_system)', dti.clip(r.unit_code), btrim(r.year))
			WHEN 'unknown_indicator' THEN CASE WHEN x.scale_id IS NULL
				THEN format('no grading scale for %s', btrim(r.year))
				ELSE format('group "%s" is not in grading scale %s of %s', dti.clip(r.indicator_code), x.scale_code, btrim(r.year)) END
			WHEN 'unparseable_value' THEN format('points "%s" are not a number; write them with a decimal point', dti.clip(r.raw_value))
			WHEN 'out_of_range' THEN format('points %s are outside [0, %s] of group %s', x.points, x.max_points, x.group_code)
			WHEN 'not_granted' THEN format('unit %s (system %s) is not granted to role %s', x.unit_code, btrim(r.unit_code), current_user)
			WHEN 'bad_status' THEN format('status "%s" is not submitted (grading scores have no drafts)', dti.clip(r.status))
			END
	FROM (SELECT d.line, s.id AS system_id, iu.scale_id, iu.code AS scale_code, g.code AS group_code, g.max_points,
				 u.code AS unit_code,
				 CASE WHEN dti.parse_number(d.raw_value) IS NOT NULL THEN btrim(d.raw_value)::numeric END AS points,
				 CASE
				 WHEN d.mark IN ('malformed_line', 'field_too_long') THEN d.mark
				 WHEN d.mark IS NOT NULL THEN 'malformed_line'
				 WHEN strpos(concat(d.unit_code, d.year, d.indicator_code, d.raw_value, d.source, d.note), U&'\FFFD') > 0 THEN 'invalid_text'
				 WHEN p.label IS NULL THEN 'unknown_period'
				 WHEN s.id IS NULL THEN 'unknown_unit'
				 WHEN g.code IS NULL THEN 'unknown_indicator'
				 WHEN dti.parse_number(d.raw_value) IS NULL THEN 'unparseable_value'
				 WHEN btrim(d.raw_value)::numeric NOT BETWEEN 0 AND g.max_points THEN 'out_of_range'
				 WHEN NOT (all_units OR u.code = ANY (codes)) THEN 'not_granted'
				 WHEN d.status <> 'submitted' THEN 'bad_status'
				 END AS reason_code
		  FROM pg_temp.dti_grading_rows d
		  LEFT JOIN dti.period p ON p.label = btrim(d.year) AND p.kind = 'year'
		  LEFT JOIN dti.grading_system s ON s.code = btrim(d.unit_code) AND s.year = p.year
		  LEFT JOIN dti.unit u ON u.id = s.unit_id
		  LEFT JOIN dti.grading_scale_in_use iu ON iu.year = p.year
		  LEFT JOIN dti.grading_group g ON g.scale_id = iu.scale_id AND g.code = btrim(d.indicator_code)
		  WHERE NOT d.continuation) x
	WHERE r.line = x.line;

	-- the same system and group twice in one file
	UPDATE pg_temp.dti_grading_rows r
	SET reason_code = 'duplicate',
		reason = format('system %s, year %s, group %s appears %s times in this load', btrim(r.unit_code), btrim(r.year),
						btrim(r.indicator_code), x.n)
	FROM (SELECT d.system_id, btrim(d.indicator_code) AS g, count(*) AS n FROM pg_temp.dti_grading_rows d
		  WHERE d.reason_code IS NULL AND NOT d.continuation GROUP BY 1, 2 HAVING count(*) > 1) x
	WHERE r.reason_code IS NULL AND NOT r.continuation AND r.system_id = x.system_id AND btrim(r.indicator_code) = x.g;

	-- points equal to the current revision's add nothing
	UPDATE pg_temp.dti_grading_rows r
	SET reason_code = 'unchanged',
		reason = format('system %s, year %s, group %s already has %s points (score %s)', btrim(r.unit_code), btrim(r.year),
						btrim(r.indicator_code), x.points, x.id)
	FROM (SELECT d.line, c.id, c.points
		  FROM pg_temp.dti_grading_rows d
		  CROSS JOIN LATERAL (SELECT y.id, y.points FROM dti.grading_score y
							  WHERE y.system_id = d.system_id AND y.group_code = btrim(d.indicator_code)
							  ORDER BY y.id DESC LIMIT 1) c
		  WHERE d.reason_code IS NULL AND NOT d.continuation AND c.points = d.points) x
	WHERE r.line = x.line;

	INSERT INTO dti.reject (load_id, line, file_line, unit_code, year, indicator_code, raw_value, source, note, reason_code, reason)
	SELECT lid, r.line, r.file_line, r.unit_code, r.year, r.indicator_code, r.raw_value,
		   CASE WHEN r.mark IS NULL THEN r.source END, r.note, r.reason_code, r.reason
	FROM pg_temp.dti_grading_rows r WHERE r.reason_code IS NOT NULL ORDER BY r.line;
	GET DIAGNOSTICS n_bad = ROW_COUNT;

	INSERT INTO dti.grading_score (system_id, group_code, points, synthetic, source, note, reason, load_id)
	SELECT r.system_id, btrim(r.indicator_code), r.points, lower(btrim(coalesce(r.source, ''))) = 'synthetic',
		   r.source, r.note, coalesce(load_grading.note, format('load %s', lid)), lid
	FROM pg_temp.dti_grading_rows r WHERE r.reason_code IS NULL AND NOT r.continuation ORDER BY r.line;
	GET DIAGNOSTICS n_ok = ROW_COUNT;

	DELETE FROM dti.my_staging s WHERE s.line <= last_line;
	SELECT coalesce(jsonb_object_agg(x.reason_code, x.n), '{}') INTO by_reason
	FROM (SELECT j.reason_code, count(*) AS n FROM dti.reject j WHERE j.load_id = lid GROUP BY j.reason_code) x;
	UPDATE dti.load l SET staged = coalesce(n_staged, 0), accepted = n_ok, rejected = n_bad, reasons = by_reason WHERE l.id = lid;
	DROP TABLE pg_temp.dti_grading_rows;
	RETURN QUERY SELECT lid, coalesce(n_staged, 0), n_ok, n_bad, by_reason;
END $$;
COMMENT ON FUNCTION dti.load_grading(text) IS
	'Loads the caller''s staged rows as grading scores (unit_code: the system code; year; indicator_code: the group code; raw_value: the points): bad rows go to dti.reject with their reason (unknown system, year or group, points not a number or outside [0, max], unit not granted, duplicates, unchanged values, records dti-clean-text could not split), good ones to dti.grading_score; empties the caller''s staging rows; returns the load id and the counts';

CREATE FUNCTION dti.verify_grading(load_id bigint, status text DEFAULT 'verified', reason text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	n bigint;
BEGIN
	IF verify_grading.status IS NULL OR verify_grading.status NOT IN ('verified', 'rejected') THEN
		RAISE EXCEPTION 'status "%" is not verified or rejected', verify_grading.status
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF verify_grading.status = 'rejected' AND nullif(btrim(verify_grading.reason), '') IS NULL THEN
		RAISE EXCEPTION 'a rejection needs a reason'
			USING ERRCODE = 'check_violation', HINT = 'Give it as the last argument.';
	END IF;
	INSERT INTO dti.grading_score_status (score_id, status, reason)
	SELECT s.id, verify_grading.status, verify_grading.reason
	FROM dti.grading_score s
	LEFT JOIN LATERAL (SELECT t.status FROM dti.grading_score_status t
					   WHERE t.score_id = s.id ORDER BY t.id DESC LIMIT 1) st ON true
	WHERE s.load_id = verify_grading.load_id
	  AND (st.status IS NULL OR (verify_grading.status = 'rejected' AND st.status = 'verified'))
	  AND NOT EXISTS (SELECT 1 FROM dti.grading_score x
					  WHERE x.system_id = s.system_id AND x.group_code = s.group_code AND x.id > s.id)
	ORDER BY s.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;
COMMENT ON FUNCTION dti.verify_grading(bigint, text, text) IS
	'Verifies (or, with status rejected and a reason, rejects) every current grading score of a load that is waiting (for a rejection also verified ones), one status event each; returns how many changed';

------------------------------------------------------------------------------
-- Totals, grades, ranks
------------------------------------------------------------------------------

-- The current verified points of every system and group of its year's scale.
CREATE VIEW dti.grading_verified AS
SELECT c.system_id, c.scale_id, c.group_code, c.points, c.synthetic, c.id AS score_id
FROM (SELECT DISTINCT ON (s.system_id, s.group_code) s.*
	  FROM dti.grading_score s
	  ORDER BY s.system_id, s.group_code, s.id DESC) c
JOIN dti.grading_system y ON y.id = c.system_id
JOIN dti.grading_scale_in_use iu ON iu.year = y.year AND iu.scale_id = c.scale_id
WHERE (SELECT t.status FROM dti.grading_score_status t WHERE t.score_id = c.id ORDER BY t.id DESC LIMIT 1) = 'verified';
COMMENT ON VIEW dti.grading_verified IS
	'The current grading score of each system and group when it is verified, under the scale of the system''s year';

-- One row per system with a verified score on every group of its scale.
CREATE VIEW dti.grading_result AS
WITH total AS (
	SELECT s.id AS system_id, s.unit_id, s.year, s.code AS system_code, s.name_vi AS system_name, s.main,
		   iu.scale_id, iu.code AS scale_code, iu.max_points,
		   round(sum(v.points), 2) AS total, bool_or(v.synthetic) AS synthetic
	FROM dti.grading_system s
	JOIN dti.grading_scale_in_use iu ON iu.year = s.year
	JOIN dti.grading_verified v ON v.system_id = s.id
	GROUP BY s.id, iu.scale_id, iu.code, iu.max_points
	HAVING count(*) = (SELECT count(*) FROM dti.grading_group g WHERE g.scale_id = iu.scale_id)
)
SELECT t.system_id, t.unit_id, u.code AS unit_code, u.level AS unit_level, t.year, t.system_code, t.system_name, t.main,
	   t.scale_id, t.scale_code, t.max_points, t.total,
	   (SELECT b.grade FROM dti.grading_band b WHERE b.scale_id = t.scale_id AND b.min_points <= t.total
		ORDER BY b.min_points DESC LIMIT 1) AS grade,
	   (rank() OVER (PARTITION BY t.year, u.level ORDER BY t.total DESC))::integer AS rank,
	   (count(*) OVER (PARTITION BY t.year, u.level))::integer AS ranked,
	   w.code AS weakest_group, w.name_vi AS weakest_group_name, w.share AS weakest_share,
	   t.synthetic
FROM total t
JOIN dti.unit u ON u.id = t.unit_id
CROSS JOIN LATERAL (
	SELECT g.code, g.name_vi, round(v.points / g.max_points, 4) AS share
	FROM dti.grading_verified v JOIN dti.grading_group g ON g.scale_id = v.scale_id AND g.code = v.group_code
	WHERE v.system_id = t.system_id
	ORDER BY v.points / g.max_points, g.position LIMIT 1) w;
COMMENT ON VIEW dti.grading_result IS
	'Every system with a verified score on each group of its year''s scale: total (2 decimals), grade, competition rank among the systems of its level (ministries, provinces) and year, the weakest group (lowest share of its points)';

-- The points and grade of a unit's main system in a yearly period, for
-- dti.ranking (a plain SQL body: the view depends on the function only).
-- It runs with its owner's rights, as the view's other reads do, for the
-- roles that read dti.ranking.
CREATE FUNCTION dti.unit_system_grade(unit_id integer, period text, OUT total numeric, OUT grade text)
RETURNS record
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT round(sum(v.points), 2), dti.grading_grade(s.year, sum(v.points))
	FROM dti.grading_system s
	JOIN dti.grading_verified v ON v.system_id = s.id
	WHERE s.unit_id = $1 AND s.main AND s.year::text = $2
	GROUP BY s.id, s.year, v.scale_id
	HAVING count(*) = (SELECT count(*) FROM dti.grading_group g WHERE g.scale_id = v.scale_id)
$$;
COMMENT ON FUNCTION dti.unit_system_grade(integer, text) IS
	'Total points (2 decimals) and grade of a unit''s main information system in a year given as a period label (2024), when every group has a verified score; NULLs otherwise';

------------------------------------------------------------------------------
-- BI views (dti_reader): standard types, every column commented
------------------------------------------------------------------------------

CREATE VIEW dti.system_grade AS
SELECT r.unit_code,
	   u.name_vi AS unit,
	   r.unit_level,
	   g.name_vi AS region,
	   r.year,
	   r.system_code,
	   r.system_name,
	   r.main AS main_system,
	   r.scale_code AS scale,
	   r.total,
	   r.max_points,
	   r.grade,
	   r.rank,
	   r.ranked,
	   p.total AS total_prev,
	   r.total - p.total AS total_change,
	   p.grade AS grade_prev,
	   r.weakest_group,
	   r.weakest_group_name,
	   r.weakest_share,
	   r.synthetic
FROM dti.grading_result r
JOIN dti.unit u ON u.id = r.unit_id
LEFT JOIN dti.unit g ON g.id = u.parent_id
LEFT JOIN dti.grading_result p ON p.unit_id = r.unit_id AND p.year = r.year - 1 AND p.system_code = r.system_code;

CREATE VIEW dti.grade_count AS
SELECT s.year,
	   l.unit_level,
	   b.grade,
	   (count(r.system_id))::integer AS systems,
	   round(count(r.system_id)::numeric / nullif(max(n.n), 0), 4) AS share
FROM dti.grading_scale_in_use s
JOIN dti.grading_band b ON b.scale_id = s.scale_id
CROSS JOIN (VALUES ('ministry'), ('province')) AS l (unit_level)
LEFT JOIN dti.grading_result r ON r.year = s.year AND r.unit_level = l.unit_level AND r.grade = b.grade
LEFT JOIN (SELECT x.year, x.unit_level, count(*) AS n FROM dti.grading_result x GROUP BY 1, 2) n
	ON n.year = s.year AND n.unit_level = l.unit_level
GROUP BY s.year, l.unit_level, b.grade, b.min_points;

CREATE VIEW dti.grade_mean AS
SELECT r.year,
	   r.unit_level,
	   g.code,
	   g.name_vi,
	   g.max_points,
	   (count(*))::integer AS systems,
	   round(avg(v.points), 2) AS mean_points,
	   min(v.points) AS min_points,
	   max(v.points) AS max_points_reached
FROM dti.grading_result r
JOIN dti.grading_verified v ON v.system_id = r.system_id
JOIN dti.grading_group g ON g.scale_id = v.scale_id AND g.code = v.group_code
GROUP BY r.year, r.unit_level, g.code, g.name_vi, g.max_points, g.position
UNION ALL
SELECT r.year, r.unit_level, 'TOTAL', 'Tổng điểm', max(r.max_points), (count(*))::integer,
	   round(avg(r.total), 2), min(r.total), max(r.total)
FROM dti.grading_result r
GROUP BY r.year, r.unit_level;

CREATE VIEW dti.grade_map AS
SELECT format('%s/%s/%s', b.layer, r.year, r.unit_code) AS feature_id,
	   b.layer,
	   r.unit_code,
	   u.name_vi AS unit,
	   r.unit_level,
	   r.year,
	   r.total,
	   r.grade,
	   r.rank,
	   r.synthetic,
	   b.geom
FROM dti.grading_result r
JOIN dti.unit u ON u.id = r.unit_id
JOIN dti.unit_boundary b ON b.unit_id = r.unit_id
WHERE r.main;

DO $$
DECLARE
	c record;
BEGIN
	FOR c IN SELECT * FROM (VALUES
		('system_grade', NULL, 'Grade of every administrative-procedure information system per unit and year (Decision 473/QĐ-BTTTT for 2024: A 90-100, B 80-89.99, C 65-79.99, D 50-64.99, E below 50): total, rank within the level, change since the previous year, the weakest group'),
		('grade_count', NULL, 'Number and share of graded systems per year, level (ministry, province) and grade, every grade of the scale listed'),
		('grade_mean', NULL, 'Mean, lowest and highest points per year and level, for each group of criteria and for the total (code TOTAL)'),
		('grade_map', NULL, 'Grades of the units'' main systems with the units'' boundaries (one feature per layer, year and unit)'),
		(NULL, 'unit_code', 'Official code of the unit (GSO 2-digit code for provinces)'),
		(NULL, 'unit', 'Vietnamese name of the unit, with diacritics'),
		(NULL, 'unit_level', 'province or ministry'),
		(NULL, 'region', 'Socio-economic region of a province, or group of a ministry'),
		(NULL, 'year', 'Assessment year'),
		(NULL, 'system_code', 'Code of the system (the unit''s code for its main system)'),
		(NULL, 'system_name', 'Vietnamese name of the system'),
		(NULL, 'main_system', 'True for the unit''s main system (its grade stands beside the DTI in dti.ranking)'),
		(NULL, 'scale', 'Code of the grading scale of the year (473-2024)'),
		(NULL, 'total', 'Total points, the sum of the verified group points, at 2 decimals'),
		(NULL, 'max_points', 'Maximum points'),
		(NULL, 'grade', 'Grade A to E: the band the total at 2 decimals reaches'),
		(NULL, 'rank', 'Competition rank (1224) on the total among the systems of the level and year, highest first'),
		(NULL, 'ranked', 'Number of graded systems of the level and year'),
		(NULL, 'total_prev', 'Total of the same system code in the previous year'),
		(NULL, 'total_change', 'total minus total_prev'),
		(NULL, 'grade_prev', 'Grade in the previous year'),
		(NULL, 'weakest_group', 'Code of the group with the lowest share of its points (the earlier group of the decision on a tie)'),
		(NULL, 'weakest_group_name', 'Vietnamese name of the weakest group'),
		(NULL, 'weakest_share', 'Points of the weakest group divided by its maximum, 4 decimals'),
		(NULL, 'synthetic', 'True when a score behind the row is invented (loaded with the source "synthetic"), as in the demo'),
		(NULL, 'systems', 'Number of graded systems'),
		(NULL, 'share', 'Share of the graded systems of the level and year'),
		(NULL, 'code', 'Group code (CN, GD, HN, ATTT, TC, KN) or TOTAL for the total'),
		(NULL, 'name_vi', 'Vietnamese name of the group'),
		(NULL, 'mean_points', 'Mean points, 2 decimals'),
		(NULL, 'min_points', 'Lowest points'),
		(NULL, 'max_points_reached', 'Highest points'),
		(NULL, 'feature_id', 'Unique feature identifier: layer/year/unit code'),
		(NULL, 'layer', 'Boundary layer of dti.unit_boundary'),
		(NULL, 'geom', 'Boundary of the unit (MultiPolygon, WGS 84)')
	) AS v (view_name, column_name, comment)
	LOOP
		IF c.view_name IS NOT NULL THEN
			EXECUTE format('COMMENT ON VIEW dti.%I IS %L', c.view_name, c.comment);
		ELSE
			FOR c.view_name IN
				SELECT a.attrelid::regclass::text FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid
				WHERE k.relnamespace = 'dti'::regnamespace AND k.relkind = 'v' AND a.attname = c.column_name
				  AND k.relname IN ('system_grade', 'grade_count', 'grade_mean', 'grade_map')
				ORDER BY 1
			LOOP
				EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', c.view_name, c.column_name, c.comment);
			END LOOP;
		END IF;
	END LOOP;
END $$;
COMMENT ON COLUMN dti.grade_mean.max_points IS 'Maximum points of the group (or of the scale for TOTAL)';

------------------------------------------------------------------------------
-- Security and backups
------------------------------------------------------------------------------

ALTER TABLE dti.grading_score ENABLE ROW LEVEL SECURITY;
ALTER TABLE dti.grading_score FORCE ROW LEVEL SECURITY;
CREATE POLICY grading_score_read ON dti.grading_score FOR SELECT
	USING ((SELECT dti.may_read_all()) OR unit_code = ANY ((SELECT dti.my_unit_codes())::text[]));
CREATE POLICY grading_score_write ON dti.grading_score FOR INSERT
	WITH CHECK (((SELECT dti.may_write_all()) OR unit_code = ANY ((SELECT dti.my_unit_codes())::text[]))
				AND (load_id IS NULL
					 OR load_id IN (SELECT l.id FROM dti.load l WHERE l.loaded_by = CURRENT_USER)));

ALTER TABLE dti.grading_score_status ENABLE ROW LEVEL SECURITY;
ALTER TABLE dti.grading_score_status FORCE ROW LEVEL SECURITY;
CREATE POLICY grading_score_status_read ON dti.grading_score_status FOR SELECT
	USING ((SELECT dti.may_read_all()) OR EXISTS (SELECT 1 FROM dti.grading_score s WHERE s.id = score_id));
CREATE POLICY grading_score_status_write ON dti.grading_score_status FOR INSERT
	WITH CHECK ((SELECT dti.may_write_all()) OR (SELECT dti.has_group('dti_verifier')));

GRANT SELECT ON dti.grading_scale, dti.grading_group, dti.grading_band, dti.grading_scale_frozen,
	dti.grading_scale_in_use, dti.grading_system, dti.grading_score, dti.grading_score_status
	TO dti_loader, dti_verifier, dti_admin;
GRANT SELECT ON dti.grading_verified, dti.grading_result TO dti_verifier, dti_admin;
GRANT INSERT, UPDATE ON dti.grading_scale, dti.grading_group, dti.grading_band TO dti_admin;
GRANT INSERT ON dti.grading_scale_frozen TO dti_admin;
GRANT INSERT ON dti.grading_system TO dti_admin;
GRANT INSERT (system_id, group_code, points, synthetic, source, note, reason, load_id) ON dti.grading_score
	TO dti_loader, dti_admin;
GRANT INSERT (score_id, status, reason) ON dti.grading_score_status TO dti_verifier, dti_admin;
GRANT USAGE ON SEQUENCE dti.grading_scale_id_seq, dti.grading_system_id_seq TO dti_admin;
GRANT USAGE ON SEQUENCE dti.grading_score_id_seq TO dti_loader, dti_admin;
GRANT USAGE ON SEQUENCE dti.grading_score_status_id_seq TO dti_verifier, dti_admin;
GRANT SELECT ON dti.system_grade, dti.grade_count, dti.grade_mean, dti.grade_map TO dti_reader, dti_admin;
REVOKE EXECUTE ON FUNCTION dti.create_grading_scale(text, integer, text, text, numeric, text),
	dti.freeze_grading_scale(integer, text), dti.open_grading(integer),
	dti.add_grading_system(text, integer, text, text), dti.load_grading(text),
	dti.verify_grading(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.create_grading_scale(text, integer, text, text, numeric, text),
	dti.freeze_grading_scale(integer, text), dti.open_grading(integer),
	dti.add_grading_system(text, integer, text, text) TO dti_admin;
GRANT EXECUTE ON FUNCTION dti.load_grading(text) TO dti_loader;
REVOKE EXECUTE ON FUNCTION dti.grading_grade(integer, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.grading_grade(integer, numeric) TO dti_loader, dti_verifier, dti_admin;
REVOKE EXECUTE ON FUNCTION dti.unit_system_grade(integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.unit_system_grade(integer, text) TO dti_reader, dti_admin;
GRANT EXECUTE ON FUNCTION dti.verify_grading(bigint, text, text) TO dti_verifier, dti_admin;

SELECT pg_catalog.pg_extension_config_dump('dti.grading_scale', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.grading_group',
	'WHERE scale_id NOT IN (SELECT s.id FROM dti.grading_scale s WHERE s.shipped)');
SELECT pg_catalog.pg_extension_config_dump('dti.grading_band',
	'WHERE scale_id NOT IN (SELECT s.id FROM dti.grading_scale s WHERE s.shipped)');
SELECT pg_catalog.pg_extension_config_dump('dti.grading_scale_frozen', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.grading_system', '');
SELECT pg_catalog.pg_extension_config_dump('dti.grading_score', '');
SELECT pg_catalog.pg_extension_config_dump('dti.grading_score_status', '');
SELECT pg_catalog.pg_extension_config_dump('dti.grading_scale_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.grading_system_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.grading_score_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.grading_score_status_id_seq', '');

-- The grade of the unit's information system beside the DTI (sql/warehouse/80_bi.sql).
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
		ORDER BY gs.min_value DESC LIMIT 1) AS grade,
	   -- A-E grading of the unit's information system (65_grading.sql)
	   sg.total AS system_points,
	   sg.grade AS system_grade
FROM dti.result_rank rk
JOIN dti.unit u ON u.id = rk.unit_id
LEFT JOIN dti.unit g ON g.id = u.parent_id
JOIN dti.framework f ON f.id = rk.framework_id
LEFT JOIN dti.result_rank prev ON prev.period = dti.previous_period(rk.period)
	AND prev.unit_id = rk.unit_id AND prev.code = 'DTI'
-- across the 2025 merger: the predecessors' values carried by the succession rule
LEFT JOIN LATERAL dti.carried_value(rk.unit_id, dti.previous_period(rk.period), 'DTI') cp ON prev.unit_id IS NULL
-- the grade of the unit's main information system in the same year
LEFT JOIN LATERAL dti.unit_system_grade(rk.unit_id, rk.period) sg ON true
WHERE rk.code = 'DTI';

CREATE OR REPLACE VIEW dti.province_ranking AS
SELECT * FROM dti.ranking WHERE unit_level = 'province';

COMMENT ON COLUMN dti.ranking.system_points IS 'Total points of the unit''s main administrative-procedure information system in the year (dti.system_grade), 2 decimals';
COMMENT ON COLUMN dti.ranking.system_grade IS 'A-E grade of the unit''s main information system in the year (Decision 473/QĐ-BTTTT for 2024)';
COMMENT ON COLUMN dti.province_ranking.system_points IS 'Total points of the province''s main administrative-procedure information system in the year (dti.system_grade), 2 decimals';
COMMENT ON COLUMN dti.province_ranking.system_grade IS 'A-E grade of the province''s main information system in the year (Decision 473/QĐ-BTTTT for 2024)';

------------------------------------------------------------------------------
-- Part 4: the whole programme: the frameworks of 1726 (provinces, 2020), 922
-- (ministries and the nation, 2021-2023) and 405 (provinces and the nation,
-- 2024); dti.points_missing(), dti.complete_points(), dti.explain_across();
-- ministries ranked in their groups (three columns appended to dti.ranking
-- and dti.province_ranking: ministry_group, ministry_group_rank,
-- value_note); dti.top_contributors across a framework change; the
-- published national values; dti.ministry_ranking, the series views and
-- dti.change_across_frameworks; Vietnamese names of the targets (table
-- dti.target_translation, two columns appended to
-- dti."mục_tiêu_quốc_gia"); dti.target_attainment with monitored values,
-- "not enough data" and trends across the merger (three columns appended:
-- name_vi_translated, trend_from, trend_carried); monitored series
-- (dti.monitored_series, dti.monitored_value, dti.monitored_beside_dti).
-- Sources: sql/warehouse/25_programme.sql,
-- 50_views.sql (dti."mục_tiêu_quốc_gia"), 80_bi.sql (dti.ranking,
-- dti.province_ranking, dti.top_contributors, dti.target_attainment),
-- 88_programme.sql.  Self-contained: it comes after every other part.
------------------------------------------------------------------------------

-- The whole programme's frameworks beside the provincial 922 one: the
-- provinces under Decision 1726 (2020) and 405 (2024), the ministries under
-- Decision 922 (2021-2023), the nation under 922 (2021-2023) and 405
-- (2024).  Shipped at the level of their main indicators (or pillars), the
-- deepest level whose points were published; rows carry the decisions'
-- dates, so that every installation holds the same rows.

-- Decision 1726/QĐ-BTTTT (DTI 2020): three pillars of 400, 300 and 300
-- points; DTI = 0.4 CQS + 0.3 KTS + 0.3 XHS is the points sum of the pillars.
INSERT INTO dti.framework (code, version, level, decision, title_vi, title_en, aggregation, max_points,
						   created_by, created_at, shipped, note)
VALUES ('1726-province', 1, 'province', '1726/QĐ-BTTTT',
		'Bộ chỉ số đánh giá chuyển đổi số cấp tỉnh (2020)', 'Provincial Digital Transformation Index (2020)',
		'sum_points', 1000, 'dti_warehouse', '2020-10-12 00:00:00+07', true,
		'DTI = 0.4 CQS + 0.3 KTS + 0.3 XHS, each pillar = its points / its max points; 108 components, 306 criteria'),
	   ('922-ministry', 1, 'ministry', '922/QĐ-BTTTT',
		'Bộ chỉ số đánh giá chuyển đổi số cấp bộ', 'Ministry Digital Transformation Index',
		'sum_points', 1000, 'dti_warehouse', '2022-05-20 00:00:00+07', true,
		'DTI = total points / 1,000; five foundation indicators of 100 points and one activity indicator of 500; ministries are ranked within their group (with or without public services)'),
	   ('922-nation', 1, 'nation', '922/QĐ-BTTTT',
		'Bộ chỉ số đánh giá chuyển đổi số quốc gia', 'National Digital Transformation Index',
		'sum_points', 1000, 'dti_warehouse', '2022-05-20 00:00:00+07', true,
		'24 indicators, 1,000 points; the indicators were not published: only the published national values are shipped'),
	   ('405-province', 1, 'province', '405/QĐ-BKHCN',
		'Bộ chỉ số đánh giá chuyển đổi số cấp tỉnh (2024)', 'Provincial Digital Transformation Index (2024)',
		'sum_points', 1000, 'dti_warehouse', '2025-04-03 00:00:00+07', true,
		'8 main indicators, 47 components, 1,000 points; the points of the main indicators were not published: complete them with dti.complete_points()'),
	   ('405-nation', 1, 'nation', '405/QĐ-BKHCN',
		'Bộ chỉ số đánh giá chuyển đổi số quốc gia (2024)', 'National Digital Transformation Index (2024)',
		'sum_points', 1000, 'dti_warehouse', '2025-04-03 00:00:00+07', true,
		'12 indicators: digital government 4 (400 points), digital economy 3 (300), digital society 5 (300)');

INSERT INTO dti.framework_indicator (framework_id, code, name_vi, name_en, group_name, max_points, rule,
									 aggregation, unit_of_measure, value_min, value_max, scored, n_components)
SELECT f.id, v.code::indicator_code, v.name_vi, v.name_en, v.group_name, v.max_points, 'ratio'::scoring_rule,
	   'sum_points', 'ratio', 0, 1, true, v.n_components
FROM (VALUES
	('1726-province', 'CQS', 'Chính quyền số', 'Digital government', 'pillar', 400::float8, NULL::integer),
	('1726-province', 'KTS', 'Kinh tế số', 'Digital economy', 'pillar', 300, NULL),
	('1726-province', 'XHS', 'Xã hội số', 'Digital society', 'pillar', 300, NULL),
	('405-nation', 'CQS', 'Chính quyền số', 'Digital government', 'pillar', 400, 4),
	('405-nation', 'KTS', 'Kinh tế số', 'Digital economy', 'pillar', 300, 3),
	('405-nation', 'XHS', 'Xã hội số', 'Digital society', 'pillar', 300, 5)
) AS v (framework, code, name_vi, name_en, group_name, max_points, n_components)
JOIN dti.framework f ON f.code = v.framework AND f.version = 1;

-- Decision 922, ministries (Appendix II, table II.1): six main indicators.
INSERT INTO dti.framework_indicator (framework_id, code, name_vi, name_en, group_name, max_points, rule,
									 aggregation, unit_of_measure, value_min, value_max, scored, n_components)
SELECT (SELECT id FROM dti.framework WHERE code = '922-ministry' AND version = 1),
	   m.code::indicator_code, m.name_vi, m.name_en, m."group", m.max_points::float8,
	   'ratio'::scoring_rule, 'sum_points', 'ratio', 0, 1, m.scored::boolean, m.components::integer
FROM
(VALUES
	 ('NT', 'foundation', 'Nhận thức số', 'Digital awareness', '5', '100', 'true')
	,('TC', 'foundation', 'Thể chế số', 'Digital institutions', '11', '100', 'true')
	,('HT', 'foundation', 'Hạ tầng số', 'Digital infrastructure', '4', '100', 'true')
	,('NL', 'foundation', 'Nhân lực số', 'Digital human resources', '5', '100', 'true')
	,('ATTT', 'foundation', 'An toàn thông tin mạng', 'Cyber-security', '16', '100', 'true')
	,('HDCDS', 'activity', 'Hoạt động chuyển đổi số', 'Digital-transformation activity', '29', '500', 'true')
) AS m ("code", "group", "name_vi", "name_en", "components", "max_points", "scored")
;

-- Decision 405, provinces: the eight main indicators without their points
-- (0 until dti.complete_points() gives them): their values load, score and
-- rank; the index stays NULL (a points sum over no points), and the BI
-- views say why.
INSERT INTO dti.framework_indicator (framework_id, code, name_vi, name_en, group_name, max_points, rule,
									 aggregation, unit_of_measure, value_min, value_max, scored)
SELECT (SELECT id FROM dti.framework WHERE code = '405-province' AND version = 1),
	   p.code::indicator_code, p.name_vi, p.name_en, p."group", 0,
	   'ratio'::scoring_rule, 'sum_points', 'ratio', 0, 1, true
FROM
(VALUES
	 ('NT', 'foundation', 'Nhận thức số', 'Digital awareness')
	,('TC', 'foundation', 'Thể chế số', 'Digital institutions')
	,('HT', 'foundation', 'Hạ tầng số', 'Digital infrastructure')
	,('NL', 'foundation', 'Nhân lực số', 'Digital human resources')
	,('ATTT', 'foundation', 'An toàn thông tin mạng', 'Cyber-security')
	,('CQS', 'activity', 'Hoạt động chính quyền số', 'Digital-government activity')
	,('KTS', 'activity', 'Hoạt động kinh tế số', 'Digital-economy activity')
	,('XHS', 'activity', 'Hoạt động xã hội số', 'Digital-society activity')
) AS p ("code", "group", "name_vi", "name_en")
;

-- (the years these rows assign had no framework of their level: nothing of
-- theirs is scored yet, so nothing is queued for a refresh)
ALTER TABLE dti.framework_use DISABLE TRIGGER framework_use_queue;
INSERT INTO dti.framework_use (level, year, framework_id, assigned_by, assigned_at, shipped)
SELECT f.level, y, f.id, 'dti_warehouse', f.created_at, true
FROM dti.framework f
CROSS JOIN LATERAL unnest(CASE f.code
	WHEN '1726-province' THEN ARRAY[2020]
	WHEN '922-ministry' THEN ARRAY[2021, 2022, 2023]
	WHEN '922-nation' THEN ARRAY[2021, 2022, 2023]
	WHEN '405-province' THEN ARRAY[2024]
	WHEN '405-nation' THEN ARRAY[2024] END) AS y
WHERE f.shipped AND f.code IN ('1726-province', '922-ministry', '922-nation', '405-province', '405-nation')
  AND f.version = 1
  -- an installation that already assesses the level that year keeps its choice
  AND NOT EXISTS (SELECT 1 FROM dti.framework_use x WHERE x.level = f.level AND x.year = y)
ORDER BY f.id, y;
ALTER TABLE dti.framework_use ENABLE TRIGGER framework_use_queue;

-- Why a framework's index is NULL although its indicators have values: its
-- scored main indicators carry no points yet (Decision 405 did not publish
-- them).  NULL when the points are complete.
CREATE FUNCTION dti.points_missing(framework_id integer) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT format('the points of %s main indicators of framework %s version %s (%s) were not published: the index and its rank are not computed until dti.complete_points(%L, ...) gives them',
				  count(*), f.code, f.version, string_agg(i.code::text, ', ' ORDER BY i.code), f.code)
	FROM dti.framework f
	JOIN dti.framework_indicator i ON i.framework_id = f.id
	WHERE f.id = points_missing.framework_id AND f.aggregation = 'sum_points'
	  AND i.scored AND i.max_points = 0 AND nlevel(i.code) = 1
	GROUP BY f.code, f.version
	HAVING count(*) > 0;
END;
COMMENT ON FUNCTION dti.points_missing(integer) IS
	'The reason a framework''s index is not computed (scored main indicators without points, as in Decision 405 for provinces), or NULL when its points are complete';

-- A change of the index across a framework change, at the level of main
-- indicators, through dti.indicator_map: each main indicator of the new
-- framework is compared with the share-weighted mean of the old indicators
-- mapped to it (its contribution to the change is the difference times its
-- part of the new index's points); main indicators of the new framework
-- that nothing maps to, and old ones that map to nothing, are listed with
-- their one value and no contribution.
CREATE FUNCTION dti.explain_across(framework_a integer, a scorecard, framework_b integer, b scorecard)
RETURNS TABLE (code text, name_vi text, status text, mapped_from text, value_a float8, value_b float8, contribution float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	WITH nb AS (
		SELECT n.code, n.value, n.max_points FROM scorecard_nodes(explain_across.b) n WHERE n.level = 2
	), na AS (
		SELECT n.code, n.value FROM scorecard_nodes(explain_across.a) n WHERE n.level = 2
	), root AS (
		SELECT n.max_points FROM scorecard_nodes(explain_across.b) n WHERE n.level = 1
	), m AS (
		SELECT im.to_code,
			   sum(im.share * x.value) / nullif(sum(im.share) FILTER (WHERE x.value IS NOT NULL), 0) AS value_a,
			   string_agg(im.from_code::text, ', ' ORDER BY im.from_code) AS mapped_from
		FROM dti.indicator_map im
		LEFT JOIN na x ON x.code = im.from_code
		WHERE im.from_framework_id = explain_across.framework_a AND im.to_framework_id = explain_across.framework_b
		GROUP BY im.to_code
	)
	SELECT y.code::text, i.name_vi, CASE WHEN m.to_code IS NULL THEN 'new' ELSE 'mapped' END,
		   m.mapped_from, m.value_a, y.value,
		   (y.value - m.value_a) * y.max_points / nullif((SELECT r.max_points FROM root r), 0)
	FROM nb y
	LEFT JOIN m ON m.to_code = y.code
	LEFT JOIN dti.framework_indicator i ON i.framework_id = explain_across.framework_b AND i.code = y.code
	UNION ALL
	SELECT x.code::text, i.name_vi, 'unmapped', NULL, x.value, NULL, NULL
	FROM na x
	LEFT JOIN dti.framework_indicator i ON i.framework_id = explain_across.framework_a AND i.code = x.code
	WHERE NOT EXISTS (SELECT 1 FROM dti.indicator_map im
					  WHERE im.from_framework_id = explain_across.framework_a AND im.from_code = x.code
						AND im.to_framework_id = explain_across.framework_b)
	ORDER BY 3, 1;
END;
COMMENT ON FUNCTION dti.explain_across(integer, scorecard, integer, scorecard) IS
	'The change between scorecard a (framework_a) and scorecard b (framework_b) of another framework, per main indicator through dti.indicator_map: mapped (b''s indicator against the share-weighted mean of the a indicators mapped to it, with its contribution to the change of the index: the difference times its part of b''s points), new (b''s indicators nothing maps to) and unmapped (a''s indicators that map to nothing), the last two without a contribution';

-- Vietnamese names of the shipped targets: translations of the English
-- names of national_targets.csv, labelled as such (not the decisions' own
-- wording); a name_vi of dti.target, where one is given, comes first.
CREATE TABLE dti.target_translation (
	code text PRIMARY KEY CHECK (code ~ '^[A-Z0-9_]+$'),
	name_vi text NOT NULL CHECK (name_vi = normalize(name_vi, NFC) AND name_vi <> ''),
	shipped boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE dti.target_translation IS
	'Vietnamese names of targets translated from their English names (the shipped targets: the data is English), shown where dti.target.name_vi is empty and marked as translations in the views';
COMMENT ON COLUMN dti.target_translation.code IS 'The target code (dti.target.code)';
COMMENT ON COLUMN dti.target_translation.name_vi IS 'The translated name';
COMMENT ON COLUMN dti.target_translation.shipped IS 'True for rows installed by the extension (not dumped)';

INSERT INTO dti.target_translation (code, name_vi, shipped)
SELECT v.code, v.name_vi, true
FROM (VALUES
	('DVC_L4', 'Dịch vụ công trực tuyến mức độ 4'),
	('HS_ONLINE_PROV', 'Hồ sơ công việc cấp bộ, cấp tỉnh được xử lý trên môi trường mạng'),
	('HS_ONLINE_DIST', 'Hồ sơ công việc cấp huyện được xử lý trên môi trường mạng'),
	('HS_ONLINE_COMM', 'Hồ sơ công việc cấp xã được xử lý trên môi trường mạng'),
	('EGDI_RANK', 'Thứ hạng Chỉ số phát triển Chính phủ điện tử (EGDI) của Liên Hợp Quốc'),
	('DE_GDP', 'Tỷ trọng kinh tế số trong GDP'),
	('DE_SECTOR', 'Tỷ trọng kinh tế số trong từng ngành, lĩnh vực'),
	('PROD_GROWTH', 'Tốc độ tăng năng suất lao động hằng năm'),
	('IDI_RANK', 'Thứ hạng Chỉ số phát triển công nghệ thông tin và truyền thông (IDI) của ITU'),
	('GII_RANK', 'Thứ hạng Chỉ số đổi mới sáng tạo toàn cầu (GII)'),
	('FIBRE_HH', 'Hộ gia đình được phủ băng rộng cáp quang'),
	('FIBRE_COMMUNE', 'Xã được phủ băng rộng cáp quang'),
	('GCI_RANK', 'Thứ hạng Chỉ số an toàn, an ninh mạng toàn cầu (GCI) của ITU'),
	('EPAY', 'Người dân sử dụng thanh toán điện tử'),
	('EPAY_ACCOUNT', 'Người dân có tài khoản thanh toán điện tử')
) AS v (code, name_vi);

-- Monitored counts: series the programme follows that are not indicators of
-- a DTI framework (community digital technology teams and their members,
-- online-training visits, resolutions issued), with values per unit and
-- period; a target on one is a row of dti.target with the series' code.
CREATE TABLE dti.monitored_series (
	code text PRIMARY KEY CHECK (code ~ '^[A-Z0-9_]+$'),
	name_vi text NOT NULL CHECK (name_vi = normalize(name_vi, NFC) AND name_vi <> ''),
	name_en text,
	unit_of_measure text NOT NULL,
	source text,
	synthetic boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE dti.monitored_series IS
	'Series the programme monitors that are not DTI indicators (community digital technology teams, their members, online-training visits, resolutions issued); their values are in dti.monitored_value, a target on one is a dti.target row with its code';
COMMENT ON COLUMN dti.monitored_series.code IS 'Series code (upper-case letters, digits, _), also the code of its targets in dti.target';
COMMENT ON COLUMN dti.monitored_series.unit_of_measure IS 'Unit of the values (count, percent, ...)';
COMMENT ON COLUMN dti.monitored_series.synthetic IS 'True for made-up series (demos, tests)';

CREATE TABLE dti.monitored_value (
	series_code text NOT NULL REFERENCES dti.monitored_series (code),
	unit_id integer NOT NULL REFERENCES dti.unit (id),
	period text NOT NULL REFERENCES dti.period (label),
	value float8 NOT NULL CHECK (value > '-infinity' AND value < 'infinity'),
	source text,
	loaded_by name NOT NULL DEFAULT current_user,
	loaded_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (series_code, unit_id, period)
);
CREATE INDEX ON dti.monitored_value (unit_id, period);
COMMENT ON TABLE dti.monitored_value IS
	'Values of the monitored series per unit and period (load them with INSERT ... SELECT or \copy into a staging table; a correction is an UPDATE)';
COMMENT ON COLUMN dti.monitored_value.value IS 'The value, finite';
COMMENT ON COLUMN dti.monitored_value.source IS 'Where the value comes from';

CREATE OR REPLACE VIEW dti."mục_tiêu_quốc_gia" AS
SELECT t.decision AS "quyết_định", t.pillar AS "trụ_cột", t.code AS "mã_mục_tiêu", t.name_en AS "tên_tiếng_anh",
	   t.target_value AS "giá_trị_mục_tiêu", t.unit_of_measure AS "đơn_vị_đo",
	   CASE t.direction WHEN 'higher' THEN 'càng cao càng tốt' ELSE 'càng thấp càng tốt' END AS "chiều",
	   t.deadline AS "thời_hạn", t.verified AS "đã_đối_chiếu",
	   coalesce(t.name_vi, tr.name_vi, t.name_en) AS "tên", t.name_vi IS NULL AND tr.name_vi IS NOT NULL AS "tên_là_bản_dịch"
FROM dti.target t
LEFT JOIN dti.target_translation tr ON tr.code = t.code;
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."tên_tiếng_anh" IS 'English name';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."tên" IS 'Vietnamese name (the English one where there is none)';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."tên_là_bản_dịch" IS 'True when the Vietnamese name is a translation of the English one, not the decision''s own wording';
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
		ORDER BY gs.min_value DESC LIMIT 1) AS grade,
	   -- A-E grading of the unit's information system (65_grading.sql)
	   sg.total AS system_points,
	   sg.grade AS system_grade,
	   CASE WHEN u.level = 'ministry' THEN g.name_vi END AS ministry_group,
	   CASE WHEN u.level = 'ministry' THEN rk.group_rank END AS ministry_group_rank,
	   CASE WHEN rk.value IS NULL THEN dti.points_missing(rk.framework_id) END AS value_note
FROM dti.result_rank rk
JOIN dti.unit u ON u.id = rk.unit_id
LEFT JOIN dti.unit g ON g.id = u.parent_id
JOIN dti.framework f ON f.id = rk.framework_id
LEFT JOIN dti.result_rank prev ON prev.period = dti.previous_period(rk.period)
	AND prev.unit_id = rk.unit_id AND prev.code = 'DTI'
-- across the 2025 merger: the predecessors' values carried by the succession rule
LEFT JOIN LATERAL dti.carried_value(rk.unit_id, dti.previous_period(rk.period), 'DTI') cp ON prev.unit_id IS NULL
-- the grade of the unit's main information system in the same year
LEFT JOIN LATERAL dti.unit_system_grade(rk.unit_id, rk.period) sg ON true
WHERE rk.code = 'DTI';
CREATE OR REPLACE VIEW dti.province_ranking AS
SELECT * FROM dti.ranking WHERE unit_level = 'province';
CREATE OR REPLACE VIEW dti.top_contributors AS
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
WHERE e.k <= 5 AND r.root_value IS NOT NULL AND p.root_value IS NOT NULL
UNION ALL
-- across a framework change: the main indicators mapped by dti.indicator_map
SELECT u.code, u.name_vi, r.period, p.period, e.code, coalesce(e.name_vi, f.title_vi), e.k::integer,
	   round(e.value_a::numeric, 4), round(e.value_b::numeric, 4), round(e.contribution::numeric, 6),
	   round((e.contribution * f.max_points)::numeric, 2),
	   round((e.contribution / nullif(r.root_value - p.root_value, 0))::numeric, 4)
FROM dti.result_scorecard r
JOIN dti.result_scorecard p ON p.unit_id = r.unit_id AND p.period = dti.previous_period(r.period)
	AND p.framework_id <> r.framework_id
JOIN dti.unit u ON u.id = r.unit_id
JOIN dti.framework f ON f.id = r.framework_id
CROSS JOIN LATERAL (
	SELECT x.*, row_number() OVER (ORDER BY abs(x.contribution) DESC, x.code) AS k
	FROM dti.explain_across(p.framework_id, p.scorecard, r.framework_id, r.scorecard) x
	WHERE x.status = 'mapped' AND x.contribution <> 0) e
WHERE e.k <= 5 AND r.root_value IS NOT NULL AND p.root_value IS NOT NULL;
COMMENT ON COLUMN dti.ranking.ministry_group IS 'For a ministry, its group: Bộ, ngành có cung cấp dịch vụ công (with public services) or không cung cấp (without); ministries are ranked within it';
COMMENT ON COLUMN dti.ranking.ministry_group_rank IS 'For a ministry, its rank within its ministry group (competition rank at 4 decimals)';
COMMENT ON COLUMN dti.ranking.value_note IS 'Why the value is empty, when the framework says so (points of main indicators not published yet: see dti.complete_points())';
COMMENT ON COLUMN dti.province_ranking.ministry_group IS 'For a ministry, its group: Bộ, ngành có cung cấp dịch vụ công (with public services) or không cung cấp (without); ministries are ranked within it';
COMMENT ON COLUMN dti.province_ranking.ministry_group_rank IS 'For a ministry, its rank within its ministry group (competition rank at 4 decimals)';
COMMENT ON COLUMN dti.province_ranking.value_note IS 'Why the value is empty, when the framework says so (points of main indicators not published yet: see dti.complete_points())';
COMMENT ON VIEW dti.top_contributors IS 'The five leaves that contributed most to each unit''s change of the index since the previous period, from explain_change(); across a framework change, the five main indicators mapped by dti.indicator_map that contributed most (dti.explain_across(); dti.change_across_frameworks lists the unmapped ones)';
CREATE OR REPLACE VIEW dti.target_attainment AS
WITH obs AS (
	-- verified submissions of the target's code, and monitored values of
	-- the series of that code
	SELECT t.id AS target_id, s.unit_id, s.period, s.value, s.id AS revision
	FROM dti.target t
	JOIN dti.submission s ON s.indicator::text = t.code
	JOIN LATERAL (SELECT st.status FROM dti.submission_status st
				  WHERE st.submission_id = s.id ORDER BY st.id DESC LIMIT 1) st ON st.status = 'verified'
	UNION ALL
	SELECT t.id, m.unit_id, m.period, m.value, 0
	FROM dti.target t
	JOIN dti.monitored_value m ON m.series_code = t.code
), latest AS (
	SELECT DISTINCT ON (o.target_id, o.unit_id) o.target_id, o.unit_id, o.period, o.value
	FROM obs o
	ORDER BY o.target_id, o.unit_id, o.period DESC, o.revision DESC
), carried AS (
	-- a unit formed in the 2025 merger, in periods before it existed: its
	-- predecessors' values (a sum for counts, else the succession rule)
	SELECT x.target_id, sh.successor_id AS unit_id, x.period,
		   CASE WHEN t.unit_of_measure = 'count' THEN sum(x.value)
				ELSE sum(sh.share * x.value) / nullif(sum(sh.share), 0) END AS value
	FROM (SELECT DISTINCT ON (o.target_id, o.unit_id, o.period) o.target_id, o.unit_id, o.period, o.value
		  FROM obs o ORDER BY o.target_id, o.unit_id, o.period, o.revision DESC) x
	JOIN dti.succession_share sh ON sh.predecessor_id = x.unit_id
	JOIN dti.target t ON t.id = x.target_id
	WHERE dti.period_end(x.period) < sh.effective
	GROUP BY x.target_id, sh.successor_id, x.period, t.unit_of_measure
), first AS (
	SELECT DISTINCT ON (f.target_id, f.unit_id) f.target_id, f.unit_id, f.period, f.value, f.carried
	FROM (SELECT o.target_id, o.unit_id, o.period, o.value, o.revision, false AS carried FROM obs o
		  UNION ALL
		  SELECT c.target_id, c.unit_id, c.period, c.value, 0, true FROM carried c) f
	ORDER BY f.target_id, f.unit_id, f.period, f.carried, f.revision DESC
)
SELECT t.code,
	   coalesce(t.name_vi, tr.name_vi, t.name_en) AS name_vi,
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
		   WHEN fi.period IS NULL OR fi.period = l.period THEN 'not enough data'
		   WHEN (l.value + (l.value - fi.value) / (dti.period_end(l.period) - dti.period_end(fi.period))
					 * (t.deadline - dti.period_end(l.period)) - t.target_value)
					* CASE t.direction WHEN 'higher' THEN 1 ELSE -1 END >= 0 THEN 'on track'
		   ELSE 'off track'
	   END AS status,
	   t.name_vi IS NULL AND tr.name_vi IS NOT NULL AS name_vi_translated,
	   fi.period AS trend_from,
	   fi.carried AS trend_carried
FROM dti.target t
LEFT JOIN dti.target_translation tr ON tr.code = t.code
LEFT JOIN latest l ON l.target_id = t.id
LEFT JOIN first fi ON fi.target_id = t.id AND fi.unit_id = l.unit_id
LEFT JOIN dti.unit u ON u.id = l.unit_id;
COMMENT ON COLUMN dti.target_attainment.status IS 'achieved, on track (a straight line through the first and latest values reaches the target by the deadline), off track, missed, not enough data (a single value: no trend), no data';
COMMENT ON COLUMN dti.target_attainment.name_vi_translated IS 'True when name_vi is a translation of the English name (dti.target_translation), not the decision''s own wording';
COMMENT ON COLUMN dti.target_attainment.trend_from IS 'Period of the first value of the trend line';
COMMENT ON COLUMN dti.target_attainment.trend_carried IS 'True when the first value is carried from the predecessors of a unit formed in the 2025 merger (their sum for counts, else by the succession rule)';
COMMENT ON VIEW dti.target_attainment IS 'National targets: latest verified value (or monitored value, dti.monitored_value) of each target per unit, the gap, and achieved / on track / off track / missed / not enough data / no data; the trend of a unit formed in the 2025 merger starts from its predecessors'' values';

-- The whole programme in the BI views: the points of a framework completed
-- when they become known, the published national values, the ministries'
-- ranking in their groups, and one series per level across framework
-- changes and the 2025 merger.

-- Completing the points of a framework shipped without them (Decision 405
-- for provinces): one call gives every main indicator its points; the
-- update queues the years that use the framework for dti.refresh().
CREATE FUNCTION dti.complete_points(framework_code text, points jsonb) RETURNS integer
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	fw dti.framework;
	unknown text;
	missing text;
	bad text;
	total float8;
BEGIN
	SELECT * INTO fw FROM dti.framework f WHERE f.code = complete_points.framework_code
	ORDER BY f.version DESC LIMIT 1;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no framework with code %', framework_code
			USING ERRCODE = 'no_data_found', HINT = 'Look the code up in dti.framework.';
	END IF;
	IF points IS NULL OR jsonb_typeof(points) <> 'object' THEN
		RAISE EXCEPTION 'the points must be a JSON object of main-indicator codes and points'
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'For example ''{"NT": 100, "TC": 100}''.';
	END IF;
	SELECT string_agg(k, ', ' ORDER BY k) INTO unknown
	FROM jsonb_object_keys(points) AS k
	WHERE NOT EXISTS (SELECT 1 FROM dti.framework_indicator i
					  WHERE i.framework_id = fw.id AND i.code::text = k AND nlevel(i.code) = 1 AND i.scored);
	IF unknown IS NOT NULL THEN
		RAISE EXCEPTION 'not scored main indicators of framework % version %: %', fw.code, fw.version, unknown
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Give points to the scored main indicators of the framework only (dti.framework_indicator).';
	END IF;
	SELECT string_agg(i.code::text, ', ' ORDER BY i.code) INTO missing
	FROM dti.framework_indicator i
	WHERE i.framework_id = fw.id AND nlevel(i.code) = 1 AND i.scored AND i.max_points = 0
	  AND NOT points ? i.code::text;
	IF missing IS NOT NULL THEN
		RAISE EXCEPTION 'main indicators without points in framework % version %: %', fw.code, fw.version, missing
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Give every scored main indicator its points in the same call.';
	END IF;
	SELECT string_agg(e.key, ', ' ORDER BY e.key) INTO bad
	FROM jsonb_each(points) e
	WHERE jsonb_typeof(e.value) <> 'number' OR (e.value::text)::float8 <= 0;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'points must be positive numbers: %', bad
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT sum(coalesce((points ->> i.code::text)::float8, i.max_points)) INTO total
	FROM dti.framework_indicator i
	WHERE i.framework_id = fw.id AND nlevel(i.code) = 1 AND i.scored;
	IF fw.max_points IS NOT NULL AND total <> fw.max_points THEN
		RAISE EXCEPTION 'the main indicators of framework % version % would have % points, not %',
			fw.code, fw.version, total, fw.max_points
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'The points of the scored main indicators add up to the framework''s max points.',
				HINT = 'Correct the points.';
	END IF;
	-- a frozen framework refuses this (dti.framework_guard): its hint names
	-- dti.new_framework_version()
	UPDATE dti.framework_indicator i SET max_points = (points ->> i.code::text)::float8
	WHERE i.framework_id = fw.id AND points ? i.code::text;
	RETURN fw.id;
END $$;
COMMENT ON FUNCTION dti.complete_points(text, jsonb) IS
	'Gives the scored main indicators of the newest version of a framework their points ({"NT": 100, ...}: every main indicator still without points, adding up to the framework''s max points), so that its index and ranks are computed at the next dti.refresh(); returns the framework id';
REVOKE EXECUTE ON FUNCTION dti.complete_points(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.complete_points(text, jsonb) TO dti_admin;

-- The published national values, each tagged with its framework.
INSERT INTO dti.published_value (unit_id, period, framework_id, code, value, rank, source, shipped)
SELECT u.id, p.period, f.id, 'DTI', p.value::numeric, NULL, p.source, true
FROM
(VALUES
	 ('2023', '922-nation', '0.7326', 'dti.gov.vn and government press, national DTI 2023 (Decision 922 method)')
	,('2024', '405-nation', '0.7955', 'dti.gov.vn result announcement of 21/10/2025, national DTI 2024 (Decision 405 method)')
) AS p ("period", "framework", "value", "source")
JOIN dti.framework f ON f.code = p.framework AND f.version = 1
JOIN dti.unit u ON u.level = 'nation' AND u.code = 'VN';

CREATE VIEW dti.ministry_ranking AS
SELECT * FROM dti.ranking WHERE unit_level = 'ministry';

-- One row per unit and year: the unit's own index (computed, or published
-- when the warehouse has none), or, for a unit formed in the 2025 merger,
-- its predecessors' values carried by its succession rule; with the
-- framework of the year and a flag where it changed.
CREATE VIEW dti.series AS
WITH own AS (
	SELECT rk.unit_id, rk.period, rk.framework_id, rk.value, rk.rank, 'computed'::text AS source,
		   NULL::integer AS members_with_value
	FROM dti.result_rank rk
	WHERE rk.code = 'DTI' AND dti.period_kind(rk.period) = 'year'
	UNION ALL
	SELECT p.unit_id, p.period, p.framework_id, p.value::float8, p.rank, 'published', NULL
	FROM dti.published_value p
	WHERE p.code = 'DTI' AND dti.period_kind(p.period) = 'year'
	  AND NOT EXISTS (SELECT 1 FROM dti.result_rank r
					  WHERE r.unit_id = p.unit_id AND r.period = p.period AND r.code = 'DTI')
), carried AS (
	SELECT k.successor_id AS unit_id, k.period, k.framework_id, c.value, c.rank, 'carried'::text AS source,
		   c.members_with_value
	FROM (SELECT DISTINCT ON (s.successor_id, r.period) s.successor_id, r.period, r.framework_id
		  FROM dti.unit_succession s
		  JOIN dti.result_rank r ON r.unit_id = s.predecessor_id AND r.code = 'DTI'
		  WHERE dti.period_kind(r.period) = 'year'
		  ORDER BY s.successor_id, r.period, r.framework_id) k
	CROSS JOIN LATERAL dti.carried_value(k.successor_id, k.period, 'DTI') c
	WHERE NOT EXISTS (SELECT 1 FROM own o WHERE o.unit_id = k.successor_id AND o.period = k.period)
), allrows AS (
	SELECT * FROM own UNION ALL SELECT * FROM carried
)
SELECT u.level AS unit_level,
	   u.code AS unit_code,
	   u.name_vi AS unit,
	   u.valid_from AS unit_valid_from,
	   u.valid_to AS unit_valid_to,
	   a.period,
	   substr(a.period, 1, 4)::integer AS year,
	   f.code AS framework,
	   f.version AS framework_version,
	   f.decision,
	   round(a.value::numeric, 4) AS value,
	   a.rank,
	   lag(a.rank) OVER w AS rank_prev,
	   lag(a.rank) OVER w - a.rank AS rank_change,
	   round((a.value - lag(a.value) OVER w)::numeric, 4) AS value_change,
	   coalesce(lag(a.framework_id) OVER w <> a.framework_id, false) AS framework_changed,
	   a.source,
	   a.members_with_value
FROM allrows a
JOIN dti.unit u ON u.id = a.unit_id
JOIN dti.framework f ON f.id = a.framework_id
WINDOW w AS (PARTITION BY a.unit_id ORDER BY a.period);

CREATE VIEW dti.province_series AS
SELECT * FROM dti.series WHERE unit_level = 'province';
CREATE VIEW dti.ministry_series AS
SELECT * FROM dti.series WHERE unit_level = 'ministry';
CREATE VIEW dti.nation_series AS
SELECT * FROM dti.series WHERE unit_level = 'nation';

-- Every main indicator of a unit's change across a framework change.
CREATE VIEW dti.change_across_frameworks AS
SELECT u.code AS unit_code,
	   u.name_vi AS unit,
	   r.period,
	   p.period AS period_prev,
	   fp.code AS framework_prev,
	   f.code AS framework,
	   e.code,
	   e.name_vi,
	   e.status,
	   e.mapped_from,
	   round(e.value_a::numeric, 4) AS value_prev,
	   round(e.value_b::numeric, 4) AS value,
	   round(e.contribution::numeric, 6) AS contribution,
	   round((e.contribution * f.max_points)::numeric, 2) AS contribution_points
FROM dti.result_scorecard r
JOIN dti.result_scorecard p ON p.unit_id = r.unit_id AND p.period = dti.previous_period(r.period)
	AND p.framework_id <> r.framework_id
JOIN dti.unit u ON u.id = r.unit_id
JOIN dti.framework f ON f.id = r.framework_id
JOIN dti.framework fp ON fp.id = p.framework_id
CROSS JOIN LATERAL dti.explain_across(p.framework_id, p.scorecard, r.framework_id, r.scorecard) e;

-- Monitored counts beside the DTI: each value of a monitored series with
-- the series' nearest target due on or after its period, and the unit's
-- index and rank in the same period.
CREATE VIEW dti.monitored_beside_dti AS
SELECT ms.code AS series_code,
	   ms.name_vi AS series_name,
	   ms.unit_of_measure,
	   ms.synthetic,
	   u.code AS unit_code,
	   u.name_vi AS unit,
	   u.level AS unit_level,
	   mv.period,
	   mv.value::numeric AS value,
	   tg.target_value::numeric AS target,
	   tg.deadline,
	   round(rk.value::numeric, 4) AS dti,
	   rk.rank AS dti_rank,
	   f.code AS framework
FROM dti.monitored_value mv
JOIN dti.monitored_series ms ON ms.code = mv.series_code
JOIN dti.unit u ON u.id = mv.unit_id
LEFT JOIN LATERAL (
	SELECT t.target_value, t.deadline FROM dti.target t
	WHERE t.code = ms.code AND t.deadline >= dti.period_end(mv.period)
	ORDER BY t.deadline LIMIT 1) tg ON true
LEFT JOIN dti.result_rank rk ON rk.unit_id = mv.unit_id AND rk.period = mv.period AND rk.code = 'DTI'
LEFT JOIN dti.framework f ON f.id = rk.framework_id;

DO $$
DECLARE
	c record;
	v text;
BEGIN
	FOR c IN SELECT * FROM (VALUES
		('ministry_ranking', NULL, 'The ranking of ministries (dti.ranking for unit_level ministry): rank among all ministries, and ministry_group_rank within their group (with or without public services)'),
		('series', NULL, 'One row per unit and year across framework changes (1726 in 2020, 922 in 2021-2023, 405 in 2024) and the 2025 merger: the index, its rank, the previous rank and the change, the framework, and a flag where the framework changed (values not strictly comparable)'),
		('province_series', NULL, 'dti.series for provinces: the 63 provinces until 2024 and the 34 units from 2025, which carry their predecessors'' values before'),
		('ministry_series', NULL, 'dti.series for ministries'),
		('nation_series', NULL, 'dti.series for the nation: its computed or published national index'),
		('monitored_beside_dti', NULL, 'Monitored series that are not DTI indicators (dti.monitored_value) beside the DTI: each value with the series'' nearest target due on or after its period and the unit''s index and rank in the same period'),
		('change_across_frameworks', NULL, 'Each unit''s change since the previous period where the framework changed, per main indicator through dti.indicator_map: mapped indicators compared (with their contribution), new and unmapped ones listed (dti.explain_across())'),
		(NULL, 'unit_valid_from', 'First day of the unit (a unit formed in the 2025 merger: 2025-07-01)'),
		(NULL, 'unit_valid_to', 'Last day of the unit (infinity: still valid)'),
		(NULL, 'year', 'Year of the period'),
		(NULL, 'framework_version', 'Framework version'),
		(NULL, 'decision', 'Decision that set the framework'),
		(NULL, 'framework_changed', 'True when the framework differs from the unit''s previous row (values and ranks not strictly comparable)'),
		(NULL, 'source', 'computed (the warehouse''s result), published (a published value, dti.published_value) or carried (the predecessors'' values by the succession rule)'),
		(NULL, 'members_with_value', 'For a carried value: predecessors that have a value'),
		(NULL, 'framework_prev', 'Framework of the previous period'),
		(NULL, 'status', 'mapped (compared with the indicators mapped to it), new (nothing maps to it) or unmapped (an indicator of the previous framework that maps to nothing)'),
		(NULL, 'mapped_from', 'Codes of the previous framework''s indicators mapped to it'),
		(NULL, 'series_code', 'Code of the monitored series (dti.monitored_series), also the code of its targets'),
		(NULL, 'series_name', 'Vietnamese name of the series'),
		(NULL, 'synthetic', 'True for a made-up series (demo)'),
		(NULL, 'unit_of_measure', 'Unit of the values (count, percent, ...)'),
		(NULL, 'target', 'The series'' nearest target due on or after the period (dti.target), if any'),
		(NULL, 'deadline', 'Deadline of that target'),
		(NULL, 'dti', 'The unit''s index in the same period, 4 decimals'),
		(NULL, 'dti_rank', 'The unit''s rank on the index in the same period')
	) AS x (view_name, column_name, comment)
	LOOP
		IF c.view_name IS NOT NULL THEN
			EXECUTE format('COMMENT ON VIEW dti.%I IS %L', c.view_name, c.comment);
		ELSE
			FOR v IN SELECT k.relname FROM pg_class k JOIN pg_attribute a ON a.attrelid = k.oid
						 WHERE k.relnamespace = 'dti'::regnamespace AND a.attname = c.column_name
						   AND k.relname IN ('series', 'province_series', 'ministry_series', 'nation_series', 'change_across_frameworks',
										   'monitored_beside_dti')
						 ORDER BY 1 LOOP
				EXECUTE format('COMMENT ON COLUMN dti.%I.%I IS %L', v, c.column_name, c.comment);
			END LOOP;
		END IF;
	END LOOP;
	-- the columns these views share with dti.ranking (or else with
	-- dti.top_contributors) keep its comments
	FOR c IN
		SELECT DISTINCT ON (k.relname, a.attname) k.relname, a.attname, d.description
		FROM pg_attribute a
		JOIN pg_class k ON k.oid = a.attrelid
		JOIN pg_attribute ra ON ra.attrelid IN ('dti.ranking'::regclass, 'dti.top_contributors'::regclass)
			AND ra.attname = a.attname
		JOIN pg_description d ON d.objoid = ra.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = ra.attnum
		WHERE k.relnamespace = 'dti'::regnamespace
		  AND k.relname IN ('ministry_ranking', 'series', 'province_series', 'ministry_series', 'nation_series',
							'change_across_frameworks', 'monitored_beside_dti')
		  AND a.attnum > 0 AND NOT EXISTS (SELECT 1 FROM pg_description x
										   WHERE x.objoid = a.attrelid AND x.objsubid = a.attnum)
		ORDER BY k.relname, a.attname, ra.attrelid = 'dti.ranking'::regclass DESC
	LOOP
		EXECUTE format('COMMENT ON COLUMN dti.%I.%I IS %L', c.relname, c.attname, c.description);
	END LOOP;
END $$;

GRANT SELECT ON dti.ministry_ranking, dti.series, dti.province_series, dti.ministry_series, dti.nation_series,
	dti.change_across_frameworks, dti.monitored_beside_dti TO dti_reader, dti_admin;
-- monitored series are reference data of admins: they load and correct them
GRANT SELECT, INSERT, UPDATE, DELETE ON dti.monitored_series, dti.monitored_value TO dti_admin;
GRANT SELECT ON dti.monitored_series, dti.monitored_value TO dti_loader, dti_verifier;
GRANT SELECT ON dti.target_translation TO dti_loader, dti_verifier, dti_admin;
GRANT INSERT, UPDATE ON dti.target_translation TO dti_admin;
SELECT pg_catalog.pg_extension_config_dump('dti.target_translation', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.monitored_series', '');
SELECT pg_catalog.pg_extension_config_dump('dti.monitored_value', '');
