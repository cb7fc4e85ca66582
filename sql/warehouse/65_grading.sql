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
--@csv grading_473_criteria.csv c
;

INSERT INTO dti.grading_band (scale_id, grade, min_points)
SELECT (SELECT id FROM dti.grading_scale WHERE code = '473-2024' AND version = 1), b.grade, b.min_points::numeric
FROM
--@csv grading_473_bands.csv b
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
	-- One load of a role's staged rows at a time: two sessions of one role
	-- would otherwise both load the rows both see (every row twice).
	PERFORM pg_advisory_xact_lock(hashtext('dti.staging'), hashtext(current_user));
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

	-- exactly the rows loaded: a row of another session of the role, with a
	-- lower line but committed since they were read, stays staged
	DELETE FROM dti.my_staging s USING pg_temp.dti_grading_rows r WHERE s.line <= last_line AND s.line = r.line;
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
