-- Submissions: staging for COPY, set-based validation, rejects with reasons,
-- append-only revisions and status events, current and verified values.

CREATE FUNCTION dti.parse_number(raw text) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE WHEN length(raw) <= 100
					 AND raw ~ '^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9][0-9]?)?\s*$'
				THEN raw::float8 END;
END;
COMMENT ON FUNCTION dti.parse_number(text) IS
	'The number in a raw value (decimal point, optional exponent of at most two digits, surrounding spaces allowed, at most 100 characters), or NULL when the text is not a plain finite number (decimal commas, percent signs, NaN, Infinity, empty)';

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

------------------------------------------------------------------------------
-- Loads, staging, rejects
------------------------------------------------------------------------------

CREATE SEQUENCE dti.load_id_seq;
COMMENT ON SEQUENCE dti.load_id_seq IS 'Identifiers of dti.load';

CREATE TABLE dti.load (
	id bigint PRIMARY KEY DEFAULT nextval('dti.load_id_seq'),
	loaded_by name NOT NULL DEFAULT current_user,
	started_at timestamptz NOT NULL DEFAULT now(),
	note text,
	staged bigint,
	accepted bigint,
	rejected bigint,
	reasons jsonb
);
ALTER SEQUENCE dti.load_id_seq OWNED BY dti.load.id;
COMMENT ON TABLE dti.load IS 'One row per call of dti.load_staging(): who, when, and the counts it returned';
COMMENT ON COLUMN dti.load.reasons IS 'Number of rejected rows per reason code';

CREATE SEQUENCE dti.staging_line_seq;
COMMENT ON SEQUENCE dti.staging_line_seq IS 'Line numbers of dti.staging, in arrival order';

CREATE TABLE dti.staging (
	unit_code text,
	year text,
	indicator_code text,
	raw_value text,
	source text,
	note text,
	status text NOT NULL DEFAULT 'submitted',
	line bigint NOT NULL DEFAULT nextval('dti.staging_line_seq'),
	staged_by name NOT NULL DEFAULT current_user,
	staged_at timestamptz NOT NULL DEFAULT now(),
	copied_at timestamptz NOT NULL DEFAULT statement_timestamp()
);
ALTER SEQUENCE dti.staging_line_seq OWNED BY dti.staging.line;
CREATE INDEX ON dti.staging (staged_by, line);
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

CREATE TABLE dti.reject (
	load_id bigint NOT NULL REFERENCES dti.load (id),
	line bigint NOT NULL,
	unit_code text,
	year text,
	indicator_code text,
	raw_value text,
	source text,
	note text,
	reason_code text NOT NULL CHECK (reason_code IN ('unknown_unit', 'unknown_period', 'unit_not_valid',
		'unknown_indicator', 'unparseable_value', 'out_of_range', 'duplicate', 'not_granted', 'bad_status',
		'invalid_text', 'malformed_line', 'field_too_long', 'unchanged')),
	reason text NOT NULL,
	rejected_by name NOT NULL DEFAULT current_user,
	rejected_at timestamptz NOT NULL DEFAULT now(),
	file_line bigint,
	PRIMARY KEY (load_id, line)
);
COMMENT ON TABLE dti.reject IS
	'Staged rows that a load refused, kept as they were with the reason; fix them and stage them again';
COMMENT ON COLUMN dti.reject.reason_code IS
	'unknown_unit, unknown_period, unit_not_valid (not valid in that period), unknown_indicator (not in that year''s framework), unparseable_value (for the indicator''s rule), out_of_range, duplicate (same unit, period and indicator more than once in the load), not_granted (unit not granted to the loading role), bad_status, invalid_text (a field holds U+FFFD, the mark of a NUL byte or of bytes that were not UTF-8 in the file), malformed_line (dti-clean-text found a record with the wrong number of fields or an unterminated quote; note holds the record), field_too_long (a field of more than 10 MB), unchanged (the current revision already has this value: loading a file again adds no revision)';
COMMENT ON COLUMN dti.reject.line IS 'Arrival order of the staged row (unique in the load)';
COMMENT ON COLUMN dti.reject.file_line IS 'Line of the file where the record starts (the header is line 1), counted per COPY statement';
COMMENT ON COLUMN dti.reject.reason IS 'What is wrong, in words, with the values involved';

------------------------------------------------------------------------------
-- Submissions and status events
------------------------------------------------------------------------------

CREATE SEQUENCE dti.submission_id_seq;
COMMENT ON SEQUENCE dti.submission_id_seq IS 'Identifiers of dti.submission, in arrival order';

CREATE TABLE dti.submission (
	id bigint PRIMARY KEY DEFAULT nextval('dti.submission_id_seq'),
	unit_code text NOT NULL,
	unit_id integer NOT NULL REFERENCES dti.unit (id),
	period text NOT NULL,
	indicator indicator_code NOT NULL,
	raw_value text NOT NULL,
	value float8 GENERATED ALWAYS AS (dti.parse_number(raw_value)) STORED,
	status text NOT NULL DEFAULT 'submitted' CHECK (status IN ('draft', 'submitted')),
	source text,
	note text,
	reason text,
	load_id bigint,
	created_by name NOT NULL DEFAULT current_user,
	created_at timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE dti.submission_id_seq OWNED BY dti.submission.id;
CREATE INDEX submission_key_idx ON dti.submission (unit_id, period, indicator, id);
CREATE INDEX submission_load_idx ON dti.submission (load_id) WHERE load_id IS NOT NULL;
COMMENT ON TABLE dti.submission IS
	'Every revision of every submitted value, append-only: a correction is a new row for the same unit, period and indicator (with the reason); the newest row is the current value. Status changes are rows of dti.submission_status';
COMMENT ON COLUMN dti.submission.unit_code IS 'The unit code as submitted';
COMMENT ON COLUMN dti.submission.unit_id IS 'The unit that carries the code in the period (filled from unit_code when omitted)';
COMMENT ON COLUMN dti.submission.period IS 'Period label (2024, 2024-Q1, 2024-03) of dti.period; checked by the INSERT trigger (no foreign key: one lookup per row costs a third of the load time)';
COMMENT ON COLUMN dti.submission.indicator IS 'Indicator of the framework used for the unit''s level in the period''s year';
COMMENT ON COLUMN dti.submission.raw_value IS 'The value as submitted: a number for numeric rules, a grade for grade rules';
COMMENT ON COLUMN dti.submission.value IS 'The number in raw_value (NULL for grades)';
COMMENT ON COLUMN dti.submission.status IS 'Initial status: draft or submitted; later changes are in dti.submission_status';
COMMENT ON COLUMN dti.submission.load_id IS 'The dti.load that inserted the row (NULL for direct INSERTs)';
COMMENT ON COLUMN dti.submission.reason IS 'Why this revision was made (required when it replaces an earlier one)';
COMMENT ON COLUMN dti.submission.created_by IS 'The role that inserted the revision';

CREATE SEQUENCE dti.submission_status_id_seq;
COMMENT ON SEQUENCE dti.submission_status_id_seq IS 'Identifiers of dti.submission_status, in arrival order';

CREATE TABLE dti.submission_status (
	id bigint PRIMARY KEY DEFAULT nextval('dti.submission_status_id_seq'),
	submission_id bigint NOT NULL,
	status text NOT NULL CHECK (status IN ('submitted', 'verified', 'rejected', 'withdrawn')),
	reason text,
	changed_by name NOT NULL DEFAULT current_user,
	changed_at timestamptz NOT NULL DEFAULT now(),
	CHECK (status <> 'rejected' OR nullif(btrim(reason), '') IS NOT NULL)
);
ALTER SEQUENCE dti.submission_status_id_seq OWNED BY dti.submission_status.id;
CREATE INDEX ON dti.submission_status (submission_id, id);
COMMENT ON TABLE dti.submission_status IS
	'Status changes of submission revisions, append-only: draft -> submitted (loader), submitted -> verified or rejected, verified -> rejected, rejected -> verified (verifier; a rejection needs a reason), draft or submitted -> withdrawn (the loader who made the revision, dti.withdraw_load)';
COMMENT ON COLUMN dti.submission_status.submission_id IS
	'The revision (dti.submission.id) whose status changes; checked once per statement by the trigger dti.apply_status_events() instead of a foreign key (revisions are never deleted)';

-- History is never changed.
CREATE TRIGGER submission_append_only BEFORE UPDATE OR DELETE ON dti.submission
	FOR EACH ROW EXECUTE FUNCTION dti.forbid_change();
CREATE TRIGGER submission_no_truncate BEFORE TRUNCATE ON dti.submission
	FOR EACH STATEMENT EXECUTE FUNCTION dti.forbid_change();
CREATE TRIGGER submission_status_append_only BEFORE UPDATE OR DELETE ON dti.submission_status
	FOR EACH ROW EXECUTE FUNCTION dti.forbid_change();
CREATE TRIGGER submission_status_no_truncate BEFORE TRUNCATE ON dti.submission_status
	FOR EACH STATEMENT EXECUTE FUNCTION dti.forbid_change();
CREATE TRIGGER reject_append_only BEFORE UPDATE OR DELETE ON dti.reject
	FOR EACH ROW EXECUTE FUNCTION dti.forbid_change();
CREATE TRIGGER load_append_only BEFORE DELETE ON dti.load
	FOR EACH ROW EXECUTE FUNCTION dti.forbid_change();

------------------------------------------------------------------------------
-- Validation, shared by loads and direct INSERTs
------------------------------------------------------------------------------

CREATE FUNCTION dti.grade_problem(rule scoring_rule, raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
BEGIN
	PERFORM score(rule, raw);
	RETURN NULL;
EXCEPTION WHEN invalid_parameter_value THEN
	RETURN SQLERRM;
END $$;
COMMENT ON FUNCTION dti.grade_problem(scoring_rule, text) IS
	'NULL when score(rule, raw) accepts the grade, otherwise the error message of score() (parallel unsafe: it catches the error in a subtransaction)';

-- The query that classifies input rows.  input_sql is a fixed query written
-- in this file (never user input): it is the only text spliced with %s.
-- It must return the columns
-- k (bigint, a row key), unit_code, unit_id (NULL to resolve by code),
-- period, indicator (text) and raw_value; the result adds the resolved unit,
-- the indicator as indicator_code, and reason_code / reason (NULL: valid).
-- check_grants adds the not_granted reason for units the current role may
-- not write; check_duplicates the duplicate reason (loads only: in one
-- INSERT, several rows of a key are revisions in order).
CREATE FUNCTION dti.validation_query(input_sql text, check_grants boolean, check_duplicates boolean) RETURNS text
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
COMMENT ON FUNCTION dti.validation_query(text, boolean, boolean) IS
	'Builds the set-based validation query used by dti.load_staging() and by the INSERT trigger of dti.submission: one pass of hash joins, each distinct grade checked once with score(); check_grants adds not_granted, check_duplicates adds duplicate';

-- Fill unit_id from unit_code for direct INSERTs that leave it out.
CREATE FUNCTION dti.submission_resolve_unit() RETURNS trigger
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
	-- what row-level security would refuse anyway, said with the unit and
	-- the role (its own message names neither)
	IF NOT dti.may_write_all() AND NOT NEW.unit_code = ANY (dti.my_unit_codes()) THEN
		RAISE EXCEPTION 'unit % is not granted to role %', NEW.unit_code, CURRENT_USER
			USING ERRCODE = 'insufficient_privilege',
				DETAIL = 'A loader writes only the unit codes granted to it or to a role it belongs to (dti.loader_unit lists them).',
				HINT = format('An admin grants the unit: SELECT dti.grant_unit(%L, %L);', CURRENT_USER, NEW.unit_code);
	END IF;
	RETURN NEW;
END $$;
COMMENT ON FUNCTION dti.submission_resolve_unit() IS
	'Trigger function: fills dti.submission.unit_id from unit_code and period, or raises a clear error (unknown unit or period, unit not valid in the period, unit not granted to the role)';
CREATE TRIGGER submission_resolve_unit BEFORE INSERT ON dti.submission
	FOR EACH ROW WHEN (NEW.unit_id IS NULL) EXECUTE FUNCTION dti.submission_resolve_unit();

-- Validate every inserted row in one set-based pass.
CREATE FUNCTION dti.submission_validate() RETURNS trigger
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
COMMENT ON FUNCTION dti.submission_validate() IS
	'Statement trigger function: validates all rows of an INSERT or COPY into dti.submission at once (same checks as dti.load_staging) and raises the first problem with its SQLSTATE';
CREATE TRIGGER submission_validate AFTER INSERT ON dti.submission
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION dti.submission_validate();

-- Status transitions.
CREATE FUNCTION dti.submission_status_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
BEGIN
	-- before row-level security, whose message would name neither
	IF NEW.status NOT IN ('submitted', 'verified', 'rejected', 'withdrawn') THEN
		RAISE EXCEPTION 'status "%" is not one of submitted, verified, rejected or withdrawn', dti.clip(NEW.status)
			USING ERRCODE = 'check_violation',
				HINT = 'Verifiers verify or reject (dti.set_status(id, ''verified''), dti.verify_load(load_id)); loaders submit drafts (''submitted'') and withdraw their loads (dti.withdraw_load).';
	END IF;
	RAISE EXCEPTION 'a rejection of submission % needs a reason', NEW.submission_id
		USING ERRCODE = 'check_violation',
			HINT = 'Give it as the third argument: dti.set_status(id, ''rejected'', ''why'').';
END $$;
COMMENT ON FUNCTION dti.submission_status_check() IS
	'Trigger function: refuses a status that does not exist and a rejection without a reason, with its own messages (the trigger runs only for such rows)';
CREATE TRIGGER submission_status_check BEFORE INSERT ON dti.submission_status
	FOR EACH ROW WHEN (NEW.status NOT IN ('submitted', 'verified', 'rejected', 'withdrawn')
					   OR (NEW.status = 'rejected' AND nullif(btrim(NEW.reason), '') IS NULL))
	EXECUTE FUNCTION dti.submission_status_check();

-- The workflow (each new event against the status before it) and the
-- existence of the revision an event names are checked once per statement,
-- for all its rows, by the trigger dti.apply_status_events() (60_pipeline.sql),
-- which also keeps dti.current_value and queues the refresh.

CREATE FUNCTION dti.set_status(submission_id bigint, status text, reason text DEFAULT NULL) RETURNS bigint
LANGUAGE sql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
BEGIN ATOMIC
	INSERT INTO dti.submission_status (submission_id, status, reason)
	VALUES (set_status.submission_id, set_status.status, set_status.reason)
	RETURNING id;
END;
COMMENT ON FUNCTION dti.set_status(bigint, text, text) IS
	'Records a status change of a submission revision (submitted, verified, rejected with a reason); returns the event id';

------------------------------------------------------------------------------
-- Loading from staging
------------------------------------------------------------------------------

CREATE FUNCTION dti.load_staging(note text DEFAULT NULL)
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
	-- One load of a role's staged rows at a time: two sessions of one role
	-- would otherwise both load the rows both see (every row twice).
	PERFORM pg_advisory_xact_lock(hashtext('dti.staging'), hashtext(current_user));
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

	-- exactly the rows loaded: a row of another session of the role, with a
	-- lower line but committed since they were read, stays staged
	DELETE FROM dti.my_staging s USING pg_temp.dti_load_rows r WHERE s.line <= last_line AND s.line = r.line;

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

-- When no revision matches, a load, unit or period that does not exist is
-- an error (a typing mistake must not pass for "nothing left to verify").
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
CREATE FUNCTION dti.set_status_where(load_id bigint, unit_code text, period text, status text, reason text)
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

------------------------------------------------------------------------------
-- Current values
------------------------------------------------------------------------------

CREATE VIEW dti.submission_history WITH (security_invoker = true) AS
SELECT s.id, s.unit_id, u.code AS unit_code, u.name_vi AS unit_name, s.period, s.indicator,
	   row_number() OVER w AS revision,
	   s.raw_value, s.value,
	   lag(s.raw_value) OVER w AS previous_raw_value,
	   coalesce(st.status, s.status) AS status, st.reason AS status_reason, st.changed_by AS status_changed_by,
	   st.changed_at AS status_changed_at,
	   s.reason, s.source, s.note, s.load_id, s.created_by, s.created_at,
	   lead(s.id) OVER w IS NULL AS is_latest
FROM dti.submission s
JOIN dti.unit u ON u.id = s.unit_id
LEFT JOIN LATERAL (
	SELECT t.status, t.reason, t.changed_by, t.changed_at FROM dti.submission_status t
	WHERE t.submission_id = s.id ORDER BY t.id DESC LIMIT 1) st ON true
WINDOW w AS (PARTITION BY s.unit_id, s.period, s.indicator ORDER BY s.id);
COMMENT ON VIEW dti.submission_history IS
	'Every revision with its number, the value it replaced, its current status and who set it (rows the caller may see)';

CREATE VIEW dti.current_submission WITH (security_invoker = true) AS
SELECT h.* FROM dti.submission_history h WHERE h.is_latest;
COMMENT ON VIEW dti.current_submission IS
	'The newest revision of every unit, period and indicator, whatever its status';

CREATE VIEW dti.current_verified WITH (security_invoker = true) AS
SELECT DISTINCT ON (h.unit_id, h.period, h.indicator)
	   h.id AS submission_id, h.unit_id, h.unit_code, h.unit_name, h.period, h.indicator, h.revision,
	   h.raw_value, h.value, h.status_changed_by AS verified_by, h.status_changed_at AS verified_at
FROM dti.submission_history h
WHERE h.status = 'verified'
ORDER BY h.unit_id, h.period, h.indicator, h.id DESC;
COMMENT ON VIEW dti.current_verified IS
	'The current verified value of every unit, period and indicator: its newest revision whose status is verified';
