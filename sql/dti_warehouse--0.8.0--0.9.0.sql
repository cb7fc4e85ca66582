-- dti_warehouse 0.8.0 -> 0.9.0
\echo Use "ALTER EXTENSION dti_warehouse UPDATE TO '0.9.0'" to load this file. \quit

-- The oldest dti this warehouse works with: 0.10.0 (unchanged since 0.8.0),
-- for leaf_vector() and composite() over vectors.
DO $requires$
DECLARE
	need constant text := '0.10.0';
	have text := (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'dti');
BEGIN
	IF have IS NULL OR pg_catalog.string_to_array(have, '.')::integer[] < pg_catalog.string_to_array(need, '.')::integer[] THEN
		RAISE EXCEPTION 'dti_warehouse needs dti % or newer, but dti % is installed', need, coalesce(have, '(none)')
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = format('Update dti first: ALTER EXTENSION dti UPDATE (to %s or newer).', need);
	END IF;
END
$requires$;

-- Part issue-24d: the warehouse as its users run it: loads of one role
-- taking turns, validity dates drivers can read, the ungranted unit named,
-- the 2025 merger on the maps, comments on every column readers see.
--
-- dti.load_staging() and dti.load_grading(): one load of a role's staged
-- rows at a time (an advisory lock per role), and only the rows the load
-- read are deleted from staging.  Before, a row another session of the role
-- committed during a load, with a lower line than the load's last, was
-- deleted without being loaded, and two loads at once loaded every row
-- twice.
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

-- (CREATE OR REPLACE resets the function's settings: jit as 70_refresh.sql sets it)
ALTER FUNCTION dti.load_staging(text) SET jit = off;

CREATE OR REPLACE FUNCTION dti.load_grading(note text DEFAULT NULL)
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

-- dti.province, dti."đơn_vị" and dti.series (with province_series,
-- ministry_series and nation_series): NULL where dti.unit says -infinity or
-- infinity.  Drivers that read dates into their language's date type
-- (psycopg, Npgsql) cannot represent the infinite dates, in text or in
-- binary, and failed on every row of these views.
CREATE OR REPLACE VIEW dti.province AS
SELECT u.id AS unit_id, u.code, u.kind, u.name_vi, u.full_name_vi, u.name_ascii,
	   r.code AS region_code, r.name_vi AS region_vi,
	   CASE WHEN isfinite(u.valid_from) THEN u.valid_from END AS valid_from,
	   CASE WHEN isfinite(u.valid_to) THEN u.valid_to END AS valid_to
FROM dti.unit u LEFT JOIN dti.unit r ON r.id = u.parent_id
WHERE u.level = 'province';
COMMENT ON COLUMN dti.province.valid_from IS 'First day of validity; NULL where dti.unit says -infinity (always), which drivers cannot read as a date';
COMMENT ON COLUMN dti.province.valid_to IS 'Last day of validity, inclusive; NULL where dti.unit says infinity (still valid), which drivers cannot read as a date';
CREATE OR REPLACE VIEW dti."đơn_vị" AS
SELECT u.code AS "mã", u.level AS "cấp", u.kind AS "loại", u.name_vi AS "tên", u.full_name_vi AS "tên_đầy_đủ",
	   u.name_ascii AS "tên_không_dấu", p.code AS "mã_đơn_vị_cha", p.name_vi AS "đơn_vị_cha",
	   CASE WHEN isfinite(u.valid_from) THEN u.valid_from END AS "hiệu_lực_từ",
	   CASE WHEN isfinite(u.valid_to) THEN u.valid_to END AS "hiệu_lực_đến"
FROM dti.unit u LEFT JOIN dti.unit p ON p.id = u.parent_id;
COMMENT ON COLUMN dti."đơn_vị"."hiệu_lực_từ" IS 'First day of validity (NULL: always)';
COMMENT ON COLUMN dti."đơn_vị"."hiệu_lực_đến" IS 'Last day of validity (NULL: still valid)';
CREATE OR REPLACE VIEW dti.series AS
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
	   CASE WHEN isfinite(u.valid_from) THEN u.valid_from END AS unit_valid_from,
	   CASE WHEN isfinite(u.valid_to) THEN u.valid_to END AS unit_valid_to,
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
DO $$
DECLARE
	v text;
BEGIN
	FOREACH v IN ARRAY ARRAY['series', 'province_series', 'ministry_series', 'nation_series'] LOOP
		EXECUTE format('COMMENT ON COLUMN dti.%I.unit_valid_from IS %L', v,
					   'First day of the unit (a unit formed in the 2025 merger: 2025-07-01; NULL: no first day, as for the 63 provinces)');
		EXECUTE format('COMMENT ON COLUMN dti.%I.unit_valid_to IS %L', v, 'Last day of the unit (NULL: still valid)');
	END LOOP;
END $$;

-- A direct INSERT of a unit not granted to the loader: the error names the
-- unit and the role, with the grant as HINT (row-level security's own
-- message, "new row violates row-level security policy", named neither).
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

-- A status that does not exist (dti.set_status(id, 'approved')): named as
-- such, where row-level security refused it with its own message.
CREATE OR REPLACE FUNCTION dti.submission_status_check() RETURNS trigger
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
CREATE OR REPLACE TRIGGER submission_status_check BEFORE INSERT ON dti.submission_status
	FOR EACH ROW WHEN (NEW.status NOT IN ('submitted', 'verified', 'rejected', 'withdrawn')
					   OR (NEW.status = 'rejected' AND nullif(btrim(NEW.reason), '') IS NULL))
	EXECUTE FUNCTION dti.submission_status_check();

-- dti.score_map (and dti.map_geojson(), which reads it) and dti.neighbours():
-- the previous rank as dti.score_long and the rankings read it.  A unit
-- formed in the 2025 merger had no rank change on the maps (the rankings
-- give its predecessors' carried rank), and an indicator other than the
-- index was compared with the same code under another framework, where
-- dti.score_long compares only through dti.indicator_map.
CREATE OR REPLACE VIEW dti.score_map AS
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
	   coalesce(prev.rank, cp.rank) - rk.rank AS rank_change,
	   rk.group_rank AS region_rank,
	   dti.value_class(round(rk.value::numeric, 4)) AS class,
	   b.geom
FROM dti.result_rank rk
JOIN dti.unit_boundary b ON b.unit_id = rk.unit_id
JOIN dti.unit u ON u.id = rk.unit_id
LEFT JOIN dti.unit g ON g.id = u.parent_id
JOIN dti.framework f ON f.id = rk.framework_id
LEFT JOIN dti.framework_indicator i ON i.framework_id = rk.framework_id AND i.code = rk.code
-- the rank a period earlier as dti.score_long reads it: the same indicator
-- under the same framework, through the indicator mapping of another
-- framework, or the index itself
LEFT JOIN LATERAL (
	SELECT p.rank FROM dti.result_rank p
	WHERE p.period = dti.previous_period(rk.period) AND p.unit_id = rk.unit_id
	  AND p.code = ANY (rk.code || ARRAY(SELECT m.from_code FROM dti.indicator_map m
										 WHERE m.to_framework_id = rk.framework_id AND m.to_code = rk.code))
	  AND ((p.code = rk.code AND (p.framework_id = rk.framework_id OR rk.code = 'DTI'))
		   OR EXISTS (SELECT 1 FROM dti.indicator_map m
					  WHERE m.from_framework_id = p.framework_id AND m.from_code = p.code
						AND m.to_framework_id = rk.framework_id AND m.to_code = rk.code))
	ORDER BY p.code = rk.code DESC
	LIMIT 1) prev ON true
-- across the 2025 merger: the predecessors' values carried by the succession
-- rule (called only for a successor without a rank a period earlier: the
-- function is STRICT)
LEFT JOIN LATERAL dti.carried_value(
	CASE WHEN prev.rank IS NULL AND EXISTS (SELECT 1 FROM dti.unit_succession s WHERE s.successor_id = rk.unit_id)
		 THEN rk.unit_id END,
	dti.previous_period(rk.period), rk.code) cp ON true;
COMMENT ON COLUMN dti.score_map.rank_change IS 'Rank in the previous period minus rank: positive means the unit moved up (the previous rank as in dti.score_long: through the indicator mapping when the framework changed, the index always, and for a unit formed in the 2025 merger its predecessors'' carried rank)';
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
		   round(rn.value::numeric, 4), rn.rank, coalesce(pn.rank, cp.rank) - rn.rank,
		   round(rn.value::numeric, 4) - round(rm.value::numeric, 4)
	FROM dti.unit_boundary a
	JOIN dti.unit_boundary b ON b.layer = a.layer AND b.unit_id <> a.unit_id AND @postgis@.ST_Intersects(a.geom, b.geom)
	JOIN dti.unit n ON n.id = b.unit_id AND n.level = 'province' AND at BETWEEN n.valid_from AND n.valid_to
	LEFT JOIN dti.result_rank rn ON rn.unit_id = n.id AND rn.period = neighbours.period AND rn.code::text = neighbours.indicator
	-- the rank a period earlier as dti.score_long reads it (codes compared
	-- as text: the core's operators are not on the pinned path)
	LEFT JOIN LATERAL (
		SELECT p.rank FROM dti.result_rank p
		WHERE p.unit_id = n.id AND p.period = dti.previous_period(neighbours.period)
		  AND ((p.code::text = neighbours.indicator AND (p.framework_id = rn.framework_id OR neighbours.indicator = 'DTI'))
			   OR EXISTS (SELECT 1 FROM dti.indicator_map m
						  WHERE m.from_framework_id = p.framework_id AND m.from_code::text = p.code::text
							AND m.to_framework_id = rn.framework_id AND m.to_code::text = neighbours.indicator))
		ORDER BY p.code::text = neighbours.indicator DESC
		LIMIT 1) pn ON true
	-- across the 2025 merger: the predecessors' values carried by the succession rule
	LEFT JOIN LATERAL dti.carried_value(CASE WHEN pn.rank IS NULL THEN n.id END,
										dti.previous_period(neighbours.period), rn.code) cp ON true
	LEFT JOIN dti.result_rank rm ON rm.unit_id = a.unit_id AND rm.period = neighbours.period
		AND rm.code::text = neighbours.indicator
	WHERE a.layer = neighbours.layer AND a.unit_id = me
	  AND @postgis@.ST_Length(@postgis@.ST_CollectionExtract(@postgis@.ST_Intersection(a.geom, b.geom), 2)) > 0
	ORDER BY rn.rank NULLS LAST, n.code;
END $fn$;
$body$, '@postgis@', (SELECT quote_ident(n.nspname) FROM pg_catalog.pg_extension e
								JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'postgis'));
END $do$;

-- Every column of the views a reader reads carries a comment (docs/bi.md):
-- dti.province, dti.publication_status, and the indicator columns of
-- dti.score_wide, which dti.build_score_wide() now comments with every
-- column of the view it builds (a rebuild lost the comments of the others).
COMMENT ON COLUMN dti.province.unit_id IS 'Id of the unit (dti.unit.id): the old and the new unit of one code are two ids';
COMMENT ON COLUMN dti.province.code IS 'GSO 2-digit code (01 Hà Nội); the 34 units of 2025 keep the code of one of their predecessors';
COMMENT ON COLUMN dti.province.kind IS 'city (centrally-run city) or province';
COMMENT ON COLUMN dti.province.name_vi IS 'Short Vietnamese name, with diacritics (Hà Nội)';
COMMENT ON COLUMN dti.province.full_name_vi IS 'Full official Vietnamese name (Thành phố Hà Nội)';
COMMENT ON COLUMN dti.province.name_ascii IS 'ASCII search form of name_vi (Ha Noi)';
COMMENT ON COLUMN dti.province.region_code IS 'Code of the socio-economic region (R1..R6)';
COMMENT ON COLUMN dti.province.region_vi IS 'Vietnamese name of the socio-economic region';
COMMENT ON COLUMN dti.publication_status.period IS 'Assessment period (2024, 2024-Q1, 2024-03)';
COMMENT ON COLUMN dti.publication_status.level IS 'Level of the units: province, ministry, nation or commune';
COMMENT ON COLUMN dti.publication_status.framework IS 'Framework code of the results (or of the newest publication where the results were since replaced)';
COMMENT ON COLUMN dti.publication_status.framework_version IS 'Framework version';
COMMENT ON COLUMN dti.publication_status.status IS 'provisional (never published), announced (published and locked) or open (published, then unlocked)';
COMMENT ON COLUMN dti.publication_status.publication IS 'Id of the newest publication (dti.publication), if any';
COMMENT ON COLUMN dti.publication_status.published_at IS 'When the newest publication was made';
COMMENT ON COLUMN dti.publication_status.note IS 'Note of the newest publication';
COMMENT ON COLUMN dti.publication_status.publications IS 'How many times the period and level were published';
COMMENT ON COLUMN dti.publication_status.pending_changes IS 'Published: values whose current verified revision differs from the one the newest publication used; provisional: units with changes queued for the next refresh';
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
	-- every column carries a comment, also after a rebuild (a new view has none)
	FOR r IN SELECT * FROM (VALUES
		('unit_code', 'Official code of the unit (GSO 2-digit code for provinces)'),
		('unit', 'Vietnamese name of the unit, with diacritics'),
		('region', 'Socio-economic region of a province, or group of a ministry'),
		('period', 'Assessment period (2024, 2024-Q1, 2024-03)'),
		('framework', 'Framework code (e.g. 922-province)'),
		('dti', 'The index, rounded to 4 decimals'),
		('rank', 'Competition rank (1224) among the units of the period on the value at 4 decimals, highest first')) AS c (col, txt)
	LOOP
		EXECUTE format('COMMENT ON COLUMN dti.score_wide.%I IS %L', r.col, r.txt);
	END LOOP;
	FOR r IN
		SELECT DISTINCT ON (i.code::text) i.code::text AS code, i.name_vi FROM dti.framework_indicator i
		WHERE i.framework_id = ANY (fw_ids) AND nlevel(i.code) = 1
		  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator p
						  WHERE p.framework_id = i.framework_id AND p.code = parent(i.code))
		ORDER BY i.code::text, i.framework_id DESC
	LOOP
		EXECUTE format('COMMENT ON COLUMN dti.score_wide.%I IS %L', lower(r.code),
					   format('Main indicator %s (%s) of framework %s: its value rounded to 4 decimals', r.code, r.name_vi, framework_code));
	END LOOP;
	EXECUTE 'GRANT SELECT ON dti.score_wide TO dti_reader, dti_admin';
	IF member THEN
		EXECUTE 'ALTER EXTENSION dti_warehouse ADD VIEW dti.score_wide';
	END IF;
	RETURN sql;
END $$;
-- the view as it stands (built for the framework its comment names): its
-- columns get the comments dti.build_score_wide() writes (a view rebuilt
-- before had lost those of every column)
DO $$
DECLARE
	fw text := substring(obj_description('dti.score_wide'::regclass, 'pg_class') FROM 'of framework (.*?): ');
	r record;
BEGIN
	FOR r IN SELECT * FROM (VALUES
		('unit_code', 'Official code of the unit (GSO 2-digit code for provinces)'),
		('unit', 'Vietnamese name of the unit, with diacritics'),
		('region', 'Socio-economic region of a province, or group of a ministry'),
		('period', 'Assessment period (2024, 2024-Q1, 2024-03)'),
		('framework', 'Framework code (e.g. 922-province)'),
		('dti', 'The index, rounded to 4 decimals'),
		('rank', 'Competition rank (1224) among the units of the period on the value at 4 decimals, highest first')) AS c (col, txt)
	LOOP
		EXECUTE format('COMMENT ON COLUMN dti.score_wide.%I IS %L', r.col, r.txt);
	END LOOP;
	FOR r IN
		SELECT DISTINCT ON (i.code::text) i.code::text AS code, i.name_vi FROM dti.framework_indicator i
		JOIN dti.framework f ON f.id = i.framework_id AND f.code = fw
		WHERE nlevel(i.code) = 1
		  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator p
						  WHERE p.framework_id = i.framework_id AND p.code = parent(i.code))
		  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = 'dti.score_wide'::regclass AND a.attname = lower(i.code::text))
		ORDER BY i.code::text, i.framework_id DESC
	LOOP
		EXECUTE format('COMMENT ON COLUMN dti.score_wide.%I IS %L', lower(r.code),
					   format('Main indicator %s (%s) of framework %s: its value rounded to 4 decimals', r.code, r.name_vi, fw));
	END LOOP;
END $$;

-- Part issue-24c: the refresh's planning set-based, the staging of a
-- period in one function.  dti.refresh_plan() finds the levels assessed in
-- a period asked for whole once per period, and only in periods that have
-- a submission, by index lookups (it looked for each queue row's
-- submissions unit by unit: seconds before a refresh after a framework
-- change, which queues every period of its years).  Its plan is the same.
-- dti.stage_scorecards() and dti.stage_leaf_vectors() are folded into
-- dti.stage_period() (dti.compute_period() calls it).
-- The work of a run: (period, framework) pairs with the units to redo
-- (NULL: all), from the queue rows the run saw, or from the period or
-- framework asked for.  Queue rows meaning "everything" (period NULL) are
-- first turned into one row per period with submissions, so that a period
-- that is locked or fails keeps its own row.  A period asked for whole is
-- assessed by the framework in use for each level with a submission in it:
-- those levels are found once per period, not once per queue row, and only
-- in the periods that have a submission at all (a framework change queues
-- every period of its years, quarters and months among them, most without
-- any): a look at the period's first submission, then the units of each
-- level in use, one look each at their submissions of the period, up to
-- the first that has one.  Both are lookups by index of a few rows
-- whatever the size of dti.submission (a join would let the planner scan
-- the table, or every unit of a level in a period without submissions).
CREATE OR REPLACE FUNCTION dti.refresh_plan(for_period text, for_framework integer)
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
	), per_unit AS MATERIALIZED (
		SELECT r.period, p.year, u.level, r.unit_id, r.whole, r.queue_id
		FROM requested r
		JOIN dti.period p ON p.label = r.period
		LEFT JOIN dti.unit u ON u.id = r.unit_id
	), in_use AS MATERIALIZED (
		-- the framework in use for each level and year, and whether its
		-- rules (z-scores, rank rules) always take the period whole
		SELECT fu.year, fu.level, fu.framework_id,
			   coalesce((SELECT bool_or(scoring_rule_kind(i.rule) IN ('zscore', 'rank', 'prank', 'borda'))
						 FROM dti.framework_indicator i WHERE i.framework_id = fu.framework_id), false) AS whole_only
		FROM dti.framework_in_use fu
		WHERE fu.year IN (SELECT pu.year FROM per_unit pu)
	), submitted_levels AS MATERIALIZED (
		-- the levels in use with a submission in each period asked for
		-- without a unit
		SELECT c.period, c.level
		FROM (SELECT DISTINCT pu.period, f.level
			  FROM per_unit pu JOIN in_use f ON f.year = pu.year
			  WHERE pu.unit_id IS NULL) c
		-- (in the order of an index that starts with the period: a scan
		-- of the table until a row of the period comes up, which the
		-- planner would take for a period with submissions as likely as
		-- any other's, reads the whole table for a period without)
		CROSS JOIN LATERAL (SELECT 1 FROM dti.submission s WHERE s.period = c.period
							ORDER BY s.period, s.unit_id LIMIT 1) any_submission
		CROSS JOIN LATERAL (
			SELECT 1 FROM dti.unit u
			CROSS JOIN LATERAL (SELECT 1 FROM dti.submission s
								WHERE s.unit_id = u.id AND s.period = c.period LIMIT 1) own
			WHERE u.level = c.level LIMIT 1) at_level
	), with_fw AS (
		-- a whole period covers every level assessed in it; a queue row
		-- that no framework assesses gets framework NULL (nothing to do)
		SELECT pu.period, f.framework_id, pu.unit_id, pu.whole, pu.queue_id, f.whole_only
		FROM per_unit pu
		LEFT JOIN in_use f ON f.year = pu.year
			AND (pu.level = f.level OR (pu.unit_id IS NULL AND EXISTS (
				SELECT 1 FROM submitted_levels l WHERE l.period = pu.period AND l.level = f.level)))
		WHERE refresh_plan.for_framework IS NULL OR f.framework_id = refresh_plan.for_framework
	)
	-- (frameworks whose relative rules are all min-max or best rules keep
	-- their units: dti.refresh() decides with dti.keep_leaf_ranges())
	SELECT wf.period, wf.framework_id,
		   CASE WHEN bool_or(wf.whole) OR bool_or(coalesce(wf.whole_only, false)) THEN NULL
				ELSE array_agg(DISTINCT wf.unit_id) END,
		   bool_or(wf.whole) OR bool_or(coalesce(wf.whole_only, false)),
		   array_remove(array_agg(DISTINCT wf.queue_id), NULL)
	FROM with_fw wf
	GROUP BY wf.period, wf.framework_id
	ORDER BY wf.period, wf.framework_id;
END $$;
COMMENT ON FUNCTION dti.refresh_plan(text, integer) IS
	'Internal to dti.refresh(): the (period, framework) pairs to recompute, the units to redo (NULL: all) and the queue rows they answer (framework NULL: rows no framework assesses)';

DROP FUNCTION dti.stage_scorecards(text, integer, indicator_code[], scoring_rule[], indicator_stats[]);
DROP FUNCTION dti.stage_leaf_vectors(text, integer, indicator_code[], scoring_rule[]);

-- Step 2, the values of the period, staged by dti.stage_period() in one
-- statement over the current values of the framework's level, grouped by
-- unit, into a temporary table.  The leaves, rules and statistics come in
-- as arrays, so that the statement reads only shared tables and can run in
-- parallel workers.
--   The fast form (vectors true; frameworks without grade rules: every
-- rule is one that the framework can carry, dti.framework_rules()): each
-- unit's leaf values collected into a leaf_vector (a parallel aggregate
-- whose partial states are values only) into dti_vector (unit_id, leaves);
-- the statistics of relative rules are then computed over those vectors,
-- without a second scan of the values (the same counts and extremes as
-- over the rows, and so the same min-max and best scores), and
-- dti.stage_composites() scores and rolls up each vector by the rules the
-- framework carries into dti_card.  Given the same statistics, the same
-- scorecards, bit for bit, as scoring each row and rolling the scores up.
--   The row form (vectors false; grade rules read the raw text): every
-- leaf value scored by its rule (with the leaf's statistics when given)
-- and each unit's scores rolled up the framework, into dti_card (unit_id,
-- parent_id, scorecard, vals: the values of the ranked nodes,
-- scorecard_values(sc, 2)).
CREATE FUNCTION dti.stage_period(period text, framework_id integer, leaf_codes indicator_code[],
								 leaf_rules scoring_rule[], leaf_stats indicator_stats[], vectors boolean)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	into_table text := CASE WHEN vectors THEN 'dti_vector' ELSE 'dti_card' END;
	staged bigint;
BEGIN
	IF to_regclass('pg_temp.' || into_table) IS NOT NULL THEN
		EXECUTE format('DROP TABLE pg_temp.%I', into_table);
	END IF;
	-- $1 the period, $2 the framework (carrying the rules in the fast
	-- form), $3-$5 the leaves, their rules and statistics, $6 whether
	-- statistics were given; the level as a constant, for the plan
	EXECUTE format($q$CREATE TEMP TABLE %I ON COMMIT DROP AS %s$q$, into_table, format(CASE WHEN vectors THEN $q$
		SELECT v.unit_id, leaf_vector($2, v.indicator, v.value) AS leaves
		FROM dti.current_value v
		WHERE v.period = $1 AND v.indicator = ANY ($3)
		  AND v.unit_id IN (SELECT u.id FROM dti.unit u WHERE u.level = %1$L)
		GROUP BY v.unit_id$q$ ELSE $q$
		SELECT s.unit_id, u.parent_id, s.sc AS scorecard, scorecard_values(s.sc, 2) AS vals
		FROM (
			SELECT v.unit_id, rollup($2, v.indicator,
				CASE WHEN l.rule IS NULL THEN v.value
					 WHEN scoring_rule_kind(l.rule) = 'grade' THEN score(l.rule, v.raw_value)
					 WHEN $6 THEN score(l.rule, v.value, l.stats)
					 ELSE score(l.rule, v.value) END) AS sc
			FROM dti.current_value v
			JOIN unnest($3, $4, $5) AS l (code, rule, stats) ON l.code = v.indicator
			WHERE v.period = $1
			  AND v.unit_id IN (SELECT u.id FROM dti.unit u WHERE u.level = %1$L)
			GROUP BY v.unit_id
		) s
		JOIN dti.unit u ON u.id = s.unit_id$q$ END,
		(SELECT f.level FROM dti.framework f WHERE f.id = stage_period.framework_id)))
	USING period,
		CASE WHEN vectors THEN dti.framework_rules(framework_id, leaf_codes, leaf_rules)
			 ELSE dti.framework_tree(framework_id) END,
		leaf_codes, leaf_rules,
		coalesce(leaf_stats, array_fill(NULL::indicator_stats, ARRAY[coalesce(cardinality(leaf_codes), 0)])),
		leaf_stats IS NOT NULL;
	GET DIAGNOSTICS staged = ROW_COUNT;
	IF NOT vectors THEN
		ANALYZE pg_temp.dti_card;
	END IF;
	RETURN staged;
END $$;
COMMENT ON FUNCTION dti.stage_period(text, integer, indicator_code[], scoring_rule[], indicator_stats[], boolean) IS
	'Internal to dti.refresh(): stages every unit of one period and framework in one statement (leaves, rules and statistics given as arrays): with vectors, the current values of the leaves collected into one leaf_vector per unit into the temporary table dti_vector; without, each value scored and each unit rolled up into the temporary table dti_card';

REVOKE EXECUTE ON FUNCTION dti.stage_period(text, integer, indicator_code[], scoring_rule[], indicator_stats[], boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.stage_period(text, integer, indicator_code[], scoring_rule[], indicator_stats[], boolean) TO dti_admin;
COMMENT ON FUNCTION dti.stage_composites(integer, indicator_code[], scoring_rule[], leaf_stats, text, bigint) IS
	'Internal to dti.refresh(): scores and rolls up the leaf vectors staged by dti.stage_period() by the rules the framework carries, under the given statistics, into the temporary table dti_card (as dti.stage_period() does without vectors); given a period (nothing published for the level in it yet), writes the scorecards to dti.result_scorecard at once and stages only their ranked values';
COMMENT ON FUNCTION dti.staged_ranks(text, integer) IS
	'Internal to dti.refresh(): the rank rows (every inner node and main indicator, national and group rank at 4 decimals) of the scorecards staged in dti_card (dti.stage_period(), dti.stage_composites())';

CREATE OR REPLACE FUNCTION dti.compute_period(period text, framework_id integer, run_id bigint,
								   OUT scorecards bigint, OUT ranks bigint)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	fw_level text;
	leaf_codes indicator_code[];
	leaf_rules scoring_rule[];
	leaf_stats indicator_stats[];
	all_stats leaf_stats;
	vectors boolean;
	published boolean;
	nodes record;
	compression text := pg_catalog.current_setting('default_toast_compression');
BEGIN
	IF EXISTS (SELECT 1 FROM dti.framework_indicator i
			   WHERE i.framework_id = compute_period.framework_id
				 AND scoring_rule_kind(i.rule) IN ('rank', 'prank', 'borda')) THEN
		scorecards := dti.compute_scorecards(period, framework_id, NULL, run_id);
		ranks := dti.compute_ranks(period, framework_id, NULL);
		RETURN;
	END IF;
	SELECT f.level INTO fw_level FROM dti.framework f WHERE f.id = compute_period.framework_id;

	-- the leaves and their rules; step 1, the statistics (relative rules)
	SELECT array_agg(i.code ORDER BY i.code), array_agg(i.rule ORDER BY i.code)
	INTO leaf_codes, leaf_rules
	FROM dti.framework_indicator i
	WHERE i.framework_id = compute_period.framework_id
	  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator c
					  WHERE c.framework_id = i.framework_id AND parent(c.code) = i.code);
	DELETE FROM dti.result_leaf_range g
	WHERE g.period = compute_period.period
	  AND g.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level);
	-- the fast form, where the framework can carry every rule (grade rules
	-- read the raw text: scored row by row)
	vectors := NOT EXISTS (SELECT 1 FROM unnest(leaf_rules) r WHERE scoring_rule_kind(r) = 'grade');
	IF vectors THEN
		PERFORM dti.stage_period(period, framework_id, leaf_codes, leaf_rules, NULL, true);
	END IF;
	IF dti.framework_is_relative(framework_id) AND vectors THEN
		-- the statistics over the vectors, and each leaf's
		EXECUTE format('SELECT leaf_stats($1, x.leaves) FROM pg_temp.dti_vector x') INTO all_stats
		USING dti.framework_rules(framework_id, leaf_codes, leaf_rules);
		EXECUTE format($q$SELECT array_agg(CASE WHEN $1 IS NOT NULL THEN leaf_stats_of($1, $2, l.code) END ORDER BY l.ord)
				   FROM unnest($3) WITH ORDINALITY AS l (code, ord)$q$) INTO leaf_stats
		USING all_stats, dti.framework_rules(framework_id, leaf_codes, leaf_rules), leaf_codes;
	ELSIF dti.framework_is_relative(framework_id) THEN
		SELECT array_agg(s.stats ORDER BY l.ord) INTO leaf_stats
		FROM unnest(leaf_codes) WITH ORDINALITY AS l (code, ord)
		LEFT JOIN dti.leaf_statistics(period, framework_id) s ON s.code = l.code;
	END IF;
	IF dti.framework_is_relative(framework_id) THEN
		-- the ranges of min-max and best leaves, and the units at their
		-- ends, for re-scoring a few units later (dti.keep_leaf_ranges())
		IF NOT EXISTS (SELECT 1 FROM dti.framework_indicator i
					   WHERE i.framework_id = compute_period.framework_id
						 AND scoring_rule_kind(i.rule) IN ('zscore', 'rank', 'prank', 'borda')) THEN
			INSERT INTO dti.result_leaf_range (period, framework_id, code, lo, hi, lo_units, hi_units)
			SELECT compute_period.period, compute_period.framework_id, r.code, r.lo, r.hi,
				   ARRAY(SELECT DISTINCT x FROM unnest(r.at_lo) x WHERE x IS NOT NULL ORDER BY x),
				   ARRAY(SELECT DISTINCT x FROM unnest(r.at_hi) x WHERE x IS NOT NULL ORDER BY x)
			FROM (
				SELECT e.code, e.lo, e.hi,
					   array_agg(v.unit_id) FILTER (WHERE v.value = e.lo) AS at_lo,
					   array_agg(v.unit_id) FILTER (WHERE v.value = e.hi) AS at_hi
				FROM (SELECT l.code, stats_min(l.stats) AS lo, stats_max(l.stats) AS hi
					  FROM unnest(leaf_codes, leaf_rules, leaf_stats) AS l (code, rule, stats)
					  WHERE scoring_rule_kind(l.rule) IN ('minmax', 'best')) e
				LEFT JOIN dti.current_value v ON v.period = compute_period.period AND v.indicator = e.code
					AND (v.value = e.lo OR v.value = e.hi)
					AND v.unit_id IN (SELECT u.id FROM dti.unit u WHERE u.level = fw_level)
				GROUP BY e.code, e.lo, e.hi
			) r;
		END IF;
	END IF;

	-- step 2, the scoring.  The scorecards (some kilobytes each) are
	-- compressed once, when staged, and written to dti.result_scorecard as
	-- they are: with lz4 where the server has it, several times faster than
	-- the default pglz for the same values.
	BEGIN
		PERFORM pg_catalog.set_config('default_toast_compression', 'lz4', true);
	EXCEPTION WHEN invalid_parameter_value THEN
		NULL;  -- a server built without lz4 keeps its default
	END;
	-- (read in key order, from the period's first row: not a scan from the
	-- table's start, as the planner would do for EXISTS)
	published := (SELECT 1 FROM dti.result_scorecard r
				  WHERE r.period = compute_period.period
					AND r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level)
				  ORDER BY r.period, r.unit_id LIMIT 1) IS NOT NULL;
	IF vectors THEN
		PERFORM dti.stage_composites(framework_id, leaf_codes, leaf_rules, all_stats,
									 CASE WHEN NOT published THEN period END, run_id);
		DROP TABLE pg_temp.dti_vector;
	ELSE
		PERFORM dti.stage_period(period, framework_id, leaf_codes, leaf_rules, leaf_stats, false);
	END IF;
	PERFORM pg_catalog.set_config('default_toast_compression', compression, true);

	-- step 3, the results: the scorecards, then the ranks.  Scorecards are
	-- written where they changed only (a nightly run over unchanged data
	-- writes nothing): the previous results of the level in this period,
	-- also those of another framework that assessed it before, are removed
	-- where the unit has no scorecard now, replaced where theirs differs,
	-- and the new units' added.  scorecards counts the units scored.
	SELECT count(*) INTO scorecards FROM pg_temp.dti_card;
	IF published THEN
		DELETE FROM dti.result_scorecard r
		WHERE r.period = compute_period.period
		  AND r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level)
		  AND NOT EXISTS (SELECT 1 FROM pg_temp.dti_card c WHERE c.unit_id = r.unit_id);
		UPDATE dti.result_scorecard r
		SET framework_id = compute_period.framework_id, scorecard = c.scorecard,
			root_value = root_value(c.scorecard), run_id = compute_period.run_id
		FROM pg_temp.dti_card c
		WHERE r.period = compute_period.period AND r.unit_id = c.unit_id
		  AND (r.framework_id <> compute_period.framework_id
			   OR r.root_value IS DISTINCT FROM root_value(c.scorecard)
			   OR scorecard_send(r.scorecard) <> scorecard_send(c.scorecard));
		INSERT INTO dti.result_scorecard (period, unit_id, framework_id, scorecard, root_value, run_id)
		SELECT compute_period.period, c.unit_id, compute_period.framework_id, c.scorecard, root_value(c.scorecard),
			   compute_period.run_id
		FROM pg_temp.dti_card c
		WHERE NOT EXISTS (SELECT 1 FROM dti.result_scorecard r
						  WHERE r.period = compute_period.period AND r.unit_id = c.unit_id)
		ORDER BY c.unit_id;
	ELSIF NOT vectors THEN
		INSERT INTO dti.result_scorecard (period, unit_id, framework_id, scorecard, root_value, run_id)
		SELECT compute_period.period, c.unit_id, compute_period.framework_id, c.scorecard, root_value(c.scorecard),
			   compute_period.run_id
		FROM pg_temp.dti_card c ORDER BY c.unit_id;
	END IF;
	-- the ranks of the level in this period by another framework (an
	-- earlier version that assessed it before) go (a read of the period's
	-- ranks, spared where the level has no other framework)
	IF EXISTS (SELECT 1 FROM dti.framework f
			   WHERE f.level = fw_level AND f.id <> compute_period.framework_id) THEN
		DELETE FROM dti.result_rank r
		WHERE r.period = compute_period.period
		  AND r.framework_id <> compute_period.framework_id
		  AND r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level);
	END IF;
	IF (SELECT 1 FROM dti.result_rank o
		WHERE o.period = compute_period.period AND o.framework_id = compute_period.framework_id
		ORDER BY o.period, o.code, o.unit_id LIMIT 1) IS NOT NULL THEN
		-- ranked before: re-rank (from the staged scorecards), writing only
		-- what changed
		ranks := dti.compute_ranks(period, framework_id, NULL);
	ELSE
		-- ranked for the first time: every row, once, in key order (as
		-- dti.staged_ranks() gives them, without collecting them first)
		nodes := dti.staged_nodes(period);
		INSERT INTO dti.result_rank
		SELECT compute_period.period, x.unit_id, compute_period.framework_id, nodes.codes[p.place],
			   nodes.levels[p.place], x.vals[p.place], x.ranks[p.place]::integer, x.group_ranks[p.place]::integer
		FROM (
			SELECT c.unit_id, c.vals,
				   rank_rounded_each(c.vals, 4) OVER () AS ranks,
				   rank_rounded_each(c.vals, 4) OVER (PARTITION BY c.parent_id) AS group_ranks
			FROM pg_temp.dti_card c
		) x
		CROSS JOIN unnest(nodes.by_code) WITH ORDINALITY AS p (place, k)
		ORDER BY p.k, x.unit_id;
		GET DIAGNOSTICS ranks = ROW_COUNT;
	END IF;
	DROP TABLE pg_temp.dti_card;
END $$;
COMMENT ON FUNCTION dti.compute_period(text, integer, bigint) IS
	'Internal to dti.refresh(): recomputes one period and framework whole (each unit''s values collected into a leaf vector in one scan, the statistics over the vectors, each vector scored and rolled up by composite(); grade rules scored row by row; then scorecards and ranks written from the staged results); returns the scorecards written and the rank rows written or changed';
