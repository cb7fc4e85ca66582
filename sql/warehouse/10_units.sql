-- Units: the nation, the 6 socio-economic regions, the 63 provinces valid
-- until 2025-06-30 and the 34 valid from 2025-07-01, ministries in their two
-- groups, communes (optional); their names and variants; unit succession.
--
-- Functions with an SQL-standard body (BEGIN ATOMIC) are bound when they are
-- created, so they do not depend on the caller's search_path.  PL/pgSQL
-- functions that are not SECURITY DEFINER use SET search_path FROM CURRENT:
-- the path CREATE EXTENSION sets up (this schema, then the schemas of dti and
-- postgis).  SECURITY DEFINER functions pin pg_catalog, pg_temp.

COMMENT ON SCHEMA dti IS 'dti_warehouse: the Vietnamese Digital Transformation Index warehouse (units, frameworks, submissions)';

-- Shared guard: history and reference rows are never updated or deleted.
CREATE FUNCTION dti.forbid_change() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
BEGIN
	RAISE EXCEPTION 'rows of %.% cannot be changed or deleted', TG_TABLE_SCHEMA, TG_TABLE_NAME
		USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = format('%s on %I.%I is refused: the table keeps history and only grows.',
				TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME),
			HINT = 'Insert a new revision instead (see the documentation of the table).';
END $$;
COMMENT ON FUNCTION dti.forbid_change() IS
	'Trigger function: refuses UPDATE, DELETE and TRUNCATE on append-only tables';

------------------------------------------------------------------------------
-- Name normalisation
------------------------------------------------------------------------------

CREATE FUNCTION dti.fold_case(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT lower(translate(name,
		'ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐÐ',
		'àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđđ') COLLATE "C");
END;
COMMENT ON FUNCTION dti.fold_case(text) IS
	'Lower-cases ASCII and every Vietnamese letter (and maps the look-alike Ð U+00D0 to đ), independently of the database locale; expects NFC';

CREATE FUNCTION dti.tone_style(name text, style text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE style
	WHEN 'new' THEN
		replace(replace(replace(replace(replace(
		replace(replace(replace(replace(replace(
		replace(replace(replace(replace(replace(name,
			'òa', 'oà'), 'óa', 'oá'), 'ỏa', 'oả'), 'õa', 'oã'), 'ọa', 'oạ'),
			'òe', 'oè'), 'óe', 'oé'), 'ỏe', 'oẻ'), 'õe', 'oẽ'), 'ọe', 'oẹ'),
			'ùy', 'uỳ'), 'úy', 'uý'), 'ủy', 'uỷ'), 'ũy', 'uỹ'), 'ụy', 'uỵ')
	WHEN 'old' THEN
		regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
		regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
		regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(name,
			'oà(?![[:alpha:]])', 'òa', 'g'), 'oá(?![[:alpha:]])', 'óa', 'g'),
			'oả(?![[:alpha:]])', 'ỏa', 'g'), 'oã(?![[:alpha:]])', 'õa', 'g'),
			'oạ(?![[:alpha:]])', 'ọa', 'g'),
			'oè(?![[:alpha:]])', 'òe', 'g'), 'oé(?![[:alpha:]])', 'óe', 'g'),
			'oẻ(?![[:alpha:]])', 'ỏe', 'g'), 'oẽ(?![[:alpha:]])', 'õe', 'g'),
			'oẹ(?![[:alpha:]])', 'ọe', 'g'),
			'uỳ(?![[:alpha:]])', 'ùy', 'g'), 'uý(?![[:alpha:]])', 'úy', 'g'),
			'uỷ(?![[:alpha:]])', 'ủy', 'g'), 'uỹ(?![[:alpha:]])', 'ũy', 'g'),
			'uỵ(?![[:alpha:]])', 'ụy', 'g')
	END;
END;
COMMENT ON FUNCTION dti.tone_style(text, text) IS
	'Moves tone marks in the diphthongs oa, oe, uy: style ''new'' puts them on the second vowel (Hoà, Thuý), style ''old'' on the first where the diphthong ends the word (Hòa, Thúy); expects NFC lower-case letters';

CREATE FUNCTION dti.normalize_name(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT btrim(regexp_replace(regexp_replace(regexp_replace(
		dti.tone_style(dti.fold_case(normalize(name, NFC)), 'new'),
		'^\s*(thành phố|tp\.|tp\s|tỉnh\s|t\.\s)\s*', ''),
		'[-‐‑–—_.,;:/()"''’]+', ' ', 'g'),
		'\s+', ' ', 'g'));
END;
COMMENT ON FUNCTION dti.normalize_name(text) IS
	'Join key of a Vietnamese unit name: NFC, lower case, tone marks of oa/oe/uy moved to the second vowel (Hòa = Hoà), a leading "Thành phố", "TP.", "Tỉnh" dropped, hyphens and punctuation turned into spaces, spaces collapsed. "TP. Hồ Chí Minh" and "Thừa Thiên - Huế" become "hồ chí minh" and "thừa thiên huế"';

CREATE FUNCTION dti.ascii_name(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT translate(normalize(name, NFC),
		'àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐÐ',
		'aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyydAAAAAAAAAAAAAAAAAEEEEEEEEEEEIIIIIOOOOOOOOOOOOOOOOOUUUUUUUUUUUYYYYYDD');
END;
COMMENT ON FUNCTION dti.ascii_name(text) IS
	'ASCII search form of a Vietnamese name: diacritics removed, đ/Đ to d/D, case kept ("Thành phố Hồ Chí Minh" -> "Thanh pho Ho Chi Minh"); no unaccent dictionary needed';

CREATE FUNCTION dti.name_variants(name text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE ROWS 4
BEGIN ATOMIC
	SELECT DISTINCT v
	FROM (VALUES (normalize(name, NFC)),
				 (dti.tone_style(normalize(name, NFC), 'new')),
				 (dti.tone_style(normalize(name, NFC), 'old'))) AS t (v)
	ORDER BY v;
END;
COMMENT ON FUNCTION dti.name_variants(text) IS
	'The spellings of a name that differ only in tone-mark placement (Khánh Hòa, Khánh Hoà), NFC; all share one normalize_name()';

------------------------------------------------------------------------------
-- Units
------------------------------------------------------------------------------

CREATE SEQUENCE dti.unit_id_seq AS integer;
COMMENT ON SEQUENCE dti.unit_id_seq IS 'Identifiers of dti.unit';

CREATE TABLE dti.unit (
	id integer PRIMARY KEY DEFAULT nextval('dti.unit_id_seq'),
	code text NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
	level text NOT NULL CHECK (level IN ('nation', 'region', 'province', 'ministry_group', 'ministry', 'commune')),
	kind text CHECK (kind IS NULL OR kind IN ('city', 'province', 'ministry', 'commune', 'ward', 'special_zone')),
	name_vi text NOT NULL CHECK (name_vi = normalize(name_vi, NFC) AND name_vi <> ''),
	full_name_vi text NOT NULL CHECK (full_name_vi = normalize(full_name_vi, NFC) AND full_name_vi <> ''),
	name_en text,
	name_ascii text GENERATED ALWAYS AS (dti.ascii_name(name_vi)) STORED,
	parent_id integer REFERENCES dti.unit (id),
	valid_from date NOT NULL DEFAULT '-infinity',
	valid_to date NOT NULL DEFAULT 'infinity',
	shipped boolean NOT NULL DEFAULT false,
	UNIQUE (code, valid_from),
	CHECK (valid_from <= valid_to),
	CHECK ((level = 'province') = coalesce(kind IN ('city', 'province'), false))
);
ALTER SEQUENCE dti.unit_id_seq OWNED BY dti.unit.id;
CREATE INDEX ON dti.unit (parent_id);
COMMENT ON TABLE dti.unit IS
	'Every unit that is assessed or grouped: nation, socio-economic regions, provinces (63 until 2025-06-30, 34 from 2025-07-01), ministry groups and ministries, communes. A code names one unit at a time: validity intervals of one code never overlap';
COMMENT ON COLUMN dti.unit.code IS 'Official code: GSO 2-digit code for provinces (01 Hà Nội), VN for the nation, R1..R6 for regions, MIN.PS / MIN.NPS for the ministry groups';
COMMENT ON COLUMN dti.unit.level IS 'nation, region, province, ministry_group, ministry or commune';
COMMENT ON COLUMN dti.unit.kind IS 'For provinces city (centrally-run city) or province; for communes commune, ward or special_zone';
COMMENT ON COLUMN dti.unit.name_vi IS 'Short Vietnamese name, NFC with diacritics (Hà Nội)';
COMMENT ON COLUMN dti.unit.full_name_vi IS 'Full official Vietnamese name (Thành phố Hà Nội)';
COMMENT ON COLUMN dti.unit.name_ascii IS 'ASCII search form of name_vi (Ha Noi)';
COMMENT ON COLUMN dti.unit.parent_id IS 'The region of a province, the group of a ministry, the province of a commune, the nation of a region';
COMMENT ON COLUMN dti.unit.valid_from IS 'First day of validity (-infinity: always)';
COMMENT ON COLUMN dti.unit.valid_to IS 'Last day of validity, inclusive (infinity: still valid)';
COMMENT ON COLUMN dti.unit.shipped IS 'True for rows installed by the extension (they are not dumped: CREATE EXTENSION recreates them)';

CREATE FUNCTION dti.unit_check_overlap() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	other dti.unit;
BEGIN
	SELECT * INTO other FROM dti.unit u
	WHERE u.code = NEW.code AND u.id <> NEW.id
	  AND u.valid_from <= NEW.valid_to AND NEW.valid_from <= u.valid_to
	LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'unit code % is already valid from % to %', NEW.code, other.valid_from, other.valid_to
			USING ERRCODE = 'exclusion_violation',
				DETAIL = format('Unit %s "%s" overlaps unit %s "%s" of the same code.',
					NEW.id, NEW.name_vi, other.id, other.name_vi),
				HINT = 'Give the new unit a validity (valid_from, valid_to) that does not overlap, or use another code.';
	END IF;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION dti.unit_check_overlap() IS
	'Constraint trigger of dti.unit: the validity intervals of one code must not overlap';
CREATE CONSTRAINT TRIGGER unit_check_overlap AFTER INSERT OR UPDATE ON dti.unit
	FOR EACH ROW EXECUTE FUNCTION dti.unit_check_overlap();

-- Nation, regions, ministry groups.
INSERT INTO dti.unit (code, level, name_vi, full_name_vi, name_en, shipped)
VALUES ('VN', 'nation', 'Việt Nam', 'Cộng hòa xã hội chủ nghĩa Việt Nam', 'Viet Nam', true);

-- The 6 socio-economic regions as they appear in provinces_63.csv, numbered
-- R1..R6 in the order of their lowest province code (the GSO order).
INSERT INTO dti.unit (code, level, name_vi, full_name_vi, name_en, parent_id, shipped)
SELECT 'R' || row_number() OVER (ORDER BY min(p.gso_code)),
	   'region', p.region_vi, 'Vùng ' || p.region_vi,
	   CASE p.region_vi
	   WHEN 'Đồng bằng sông Hồng' THEN 'Red River Delta'
	   WHEN 'Trung du và miền núi phía Bắc' THEN 'Northern Midlands and Mountains'
	   WHEN 'Bắc Trung Bộ và duyên hải miền Trung' THEN 'North Central and Central Coast'
	   WHEN 'Tây Nguyên' THEN 'Central Highlands'
	   WHEN 'Đông Nam Bộ' THEN 'Southeast'
	   WHEN 'Đồng bằng sông Cửu Long' THEN 'Mekong River Delta'
	   END,
	   (SELECT id FROM dti.unit WHERE code = 'VN'), true
FROM
--@csv provinces_63.csv p
GROUP BY p.region_vi
ORDER BY min(p.gso_code);

INSERT INTO dti.unit (code, level, name_vi, full_name_vi, name_en, parent_id, shipped)
VALUES ('MIN.PS', 'ministry_group', 'Bộ, ngành có cung cấp dịch vụ công',
		'Nhóm bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ có cung cấp dịch vụ công',
		'Ministries and agencies providing public services',
		(SELECT id FROM dti.unit WHERE code = 'VN'), true),
	   ('MIN.NPS', 'ministry_group', 'Bộ, ngành không cung cấp dịch vụ công',
		'Nhóm bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ không cung cấp dịch vụ công',
		'Ministries and agencies not providing public services',
		(SELECT id FROM dti.unit WHERE code = 'VN'), true);

-- The 63 provinces valid until 2025-06-30.
INSERT INTO dti.unit (code, level, kind, name_vi, full_name_vi, parent_id, valid_to, shipped)
SELECT p.gso_code, 'province',
	   CASE WHEN p.full_name LIKE 'Thành phố %' THEN 'city' ELSE 'province' END,
	   p.name, p.full_name,
	   (SELECT r.id FROM dti.unit r WHERE r.level = 'region' AND r.name_vi = p.region_vi),
	   p.valid_to::date, true
FROM
--@csv provinces_63.csv p
ORDER BY p.gso_code;

-- The 34 provinces from 2025-07-01; each takes the region of the old province
-- whose code it keeps.
INSERT INTO dti.unit (code, level, kind, name_vi, full_name_vi, parent_id, valid_from, shipped)
SELECT n.code, 'province', n.kind,
	   regexp_replace(n.full_name, '^(Thành phố|Tỉnh) ', ''), n.full_name,
	   (SELECT o.parent_id FROM dti.unit o
		WHERE o.level = 'province' AND o.code = n.code AND o.valid_to < n.valid_from::date),
	   n.valid_from::date, true
FROM
--@csv provinces_34.csv n
ORDER BY n.code;

CREATE FUNCTION dti.add_ministry(code text, name_vi text, name_en text,
								 provides_public_services boolean,
								 valid_from date DEFAULT '-infinity',
								 full_name_vi text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	new_id integer;
BEGIN
	IF add_ministry.code IS NULL OR add_ministry.name_vi IS NULL OR provides_public_services IS NULL THEN
		RAISE EXCEPTION 'a ministry needs a code, a Vietnamese name and its group'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'code, name_vi or provides_public_services is NULL.',
				HINT = 'provides_public_services is true for the group that provides public services, false for the other.';
	END IF;
	INSERT INTO dti.unit (code, level, kind, name_vi, full_name_vi, name_en, parent_id, valid_from)
	VALUES (add_ministry.code, 'ministry', 'ministry', normalize(add_ministry.name_vi, NFC),
			normalize(coalesce(add_ministry.full_name_vi, add_ministry.name_vi), NFC), add_ministry.name_en,
			(SELECT g.id FROM dti.unit g
			 WHERE g.code = CASE WHEN provides_public_services THEN 'MIN.PS' ELSE 'MIN.NPS' END),
			coalesce(add_ministry.valid_from, '-infinity'))
	RETURNING id INTO new_id;
	INSERT INTO dti.unit_name (unit_id, name, kind)
	SELECT new_id, v, 'short' FROM dti.name_variants(normalize(add_ministry.name_vi, NFC)) AS v
	ON CONFLICT DO NOTHING;
	RETURN new_id;
END $$;
COMMENT ON FUNCTION dti.add_ministry(text, text, text, boolean, date, text) IS
	'Adds a ministry (or ministry-level agency) to the group that provides public services or to the one that does not, with its names; returns its unit id';

------------------------------------------------------------------------------
-- Names
------------------------------------------------------------------------------

CREATE TABLE dti.unit_name (
	unit_id integer NOT NULL REFERENCES dti.unit (id),
	name text NOT NULL CHECK (name = normalize(name, NFC) AND name <> ''),
	kind text NOT NULL CHECK (kind IN ('official', 'short', 'published', 'variant', 'former', 'part', 'abbreviation')),
	norm text GENERATED ALWAYS AS (dti.normalize_name(name)) STORED,
	search text GENERATED ALWAYS AS (lower(dti.ascii_name(dti.normalize_name(name)))) STORED,
	source text,
	shipped boolean NOT NULL DEFAULT false,
	PRIMARY KEY (unit_id, name)
);
CREATE INDEX ON dti.unit_name (norm);
CREATE INDEX ON dti.unit_name (search);
COMMENT ON TABLE dti.unit_name IS
	'Names of units as they appear in sources (official, short, published with "TP.", tone-mark variants, former names, parts such as Côn Đảo), so that tables and boundary files join by name through dti.normalize_name()';
COMMENT ON COLUMN dti.unit_name.name IS 'The name as written in a source, NFC';
COMMENT ON COLUMN dti.unit_name.kind IS 'official, short, published, variant (tone marks, hyphens), former, part (a territory of the unit, e.g. Côn Đảo) or abbreviation';
COMMENT ON COLUMN dti.unit_name.norm IS 'dti.normalize_name(name): the join key';
COMMENT ON COLUMN dti.unit_name.search IS 'ASCII lower-case form of norm, for searches typed without diacritics';
COMMENT ON COLUMN dti.unit_name.shipped IS 'True for rows installed by the extension (not dumped)';

-- Official, short and tone-variant names of every shipped unit.
INSERT INTO dti.unit_name (unit_id, name, kind, shipped)
SELECT u.id, u.full_name_vi, 'official', true FROM dti.unit u
UNION
SELECT u.id, v, 'short', true FROM dti.unit u, dti.name_variants(u.name_vi) AS v
WHERE v <> u.full_name_vi
UNION
SELECT u.id, v, 'variant', true FROM dti.unit u, dti.name_variants(u.full_name_vi) AS v
WHERE v <> u.full_name_vi
ON CONFLICT DO NOTHING;

-- Names as published for centrally-run cities ("TP. Đà Nẵng").
INSERT INTO dti.unit_name (unit_id, name, kind, shipped)
SELECT u.id, 'TP. ' || u.name_vi, 'published', true FROM dti.unit u
WHERE u.kind = 'city'
ON CONFLICT DO NOTHING;

-- Former and variant names seen in published tables and boundary files.
INSERT INTO dti.unit_name (unit_id, name, kind, source, shipped)
SELECT u.id, v.name, v.kind, v.source, true
FROM (VALUES
	('46', '2025-06-30'::date, 'Thừa Thiên Huế', 'former', 'name of the province until 2025-01-01; geoBoundaries'),
	('46', '2025-06-30', 'Thừa Thiên - Huế', 'variant', 'dti.gov.vn result tables'),
	('46', '2025-06-30', 'Tỉnh Thừa Thiên Huế', 'former', 'name of the province until 2025-01-01'),
	('77', '2025-06-30', 'Côn Đảo', 'part', 'geoBoundaries ADM1 lists Côn Đảo as a separate feature'),
	('77', '2025-06-30', 'Bà Rịa-Vũng Tàu', 'variant', NULL),
	('79', '2025-06-30', 'TP. HCM', 'abbreviation', NULL),
	('79', '2025-06-30', 'Sài Gòn', 'former', NULL),
	('79', '2025-07-01', 'TP. HCM', 'abbreviation', NULL),
	('06', '2025-06-30', 'Bắc Cạn', 'variant', NULL),
	('66', '2025-06-30', 'Đắc Lắc', 'variant', NULL),
	('67', '2025-06-30', 'Đắc Nông', 'variant', NULL),
	('79', '2025-06-30', 'TPHCM', 'abbreviation', NULL),
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

CREATE FUNCTION dti.find_units(name text, at date DEFAULT NULL)
RETURNS TABLE (unit_id integer, code text, level text, name_vi text, valid_from date, valid_to date, matched_by text)
LANGUAGE sql STABLE CALLED ON NULL INPUT PARALLEL SAFE ROWS 2
BEGIN ATOMIC
	WITH by_norm AS (
		SELECT DISTINCT u.id, u.code, u.level, u.name_vi, u.valid_from, u.valid_to, 'name'::text AS matched_by
		FROM dti.unit_name n JOIN dti.unit u ON u.id = n.unit_id
		WHERE n.norm = dti.normalize_name(find_units.name)
	), by_search AS (
		SELECT DISTINCT u.id, u.code, u.level, u.name_vi, u.valid_from, u.valid_to, 'ascii'::text AS matched_by
		FROM dti.unit_name n JOIN dti.unit u ON u.id = n.unit_id
		WHERE n.search = lower(dti.ascii_name(dti.normalize_name(find_units.name)))
	), hits AS (
		SELECT * FROM by_norm
		UNION ALL
		SELECT * FROM by_search WHERE NOT EXISTS (SELECT 1 FROM by_norm)
	)
	SELECT h.id, h.code, h.level, h.name_vi, h.valid_from, h.valid_to, h.matched_by
	FROM hits h
	WHERE find_units.at IS NULL OR find_units.at BETWEEN h.valid_from AND h.valid_to
	ORDER BY h.valid_from, h.code;
END;
COMMENT ON FUNCTION dti.find_units(text, date) IS
	'Units whose names match a name after dti.normalize_name() (or, when nothing matches, after removing diacritics), valid on the given day (any day when NULL)';

CREATE FUNCTION dti.unit_code(name text, at date DEFAULT CURRENT_DATE, level text DEFAULT 'province')
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
COMMENT ON FUNCTION dti.unit_code(text, date, text) IS
	'The one unit code of the given level whose name matches on the given day (any day when NULL); raises no_data_found (P0002) or too_many_rows (P0003) otherwise; NULL for a NULL name';

------------------------------------------------------------------------------
-- Succession: old province -> new unit
------------------------------------------------------------------------------

CREATE TABLE dti.unit_succession (
	predecessor_id integer NOT NULL REFERENCES dti.unit (id),
	successor_id integer NOT NULL REFERENCES dti.unit (id),
	effective date NOT NULL,
	shipped boolean NOT NULL DEFAULT false,
	PRIMARY KEY (predecessor_id, successor_id),
	CHECK (predecessor_id <> successor_id)
);
CREATE INDEX ON dti.unit_succession (successor_id);
COMMENT ON TABLE dti.unit_succession IS
	'Which unit a unit became (each of the 63 old provinces -> one of the 34 new units on 2025-07-01); values are carried across by dti.succession_share';
COMMENT ON COLUMN dti.unit_succession.effective IS 'First day of the successor';

INSERT INTO dti.unit_succession (predecessor_id, successor_id, effective, shipped)
SELECT o.id, n.id, n.valid_from, true
FROM
--@csv provinces_63.csv p
JOIN dti.unit o ON o.level = 'province' AND o.code = p.gso_code AND o.valid_to = p.valid_to::date
JOIN dti.unit n ON n.level = 'province' AND n.code = p.successor_code AND n.valid_from = p.valid_to::date + 1;

CREATE TABLE dti.succession_rule (
	successor_id integer PRIMARY KEY REFERENCES dti.unit (id),
	method text NOT NULL CHECK (method IN ('mean', 'weighted_mean')),
	weight_basis text,
	note text,
	CHECK ((method = 'mean') = (weight_basis IS NULL))
);
COMMENT ON TABLE dti.succession_rule IS
	'How values of the predecessors are carried to a successor: without a row, the official unweighted mean of the members; method weighted_mean uses the weights of dti.succession_weight with the named basis (population, area, ...)';
COMMENT ON COLUMN dti.succession_rule.weight_basis IS 'The basis of dti.succession_weight to use (required for weighted_mean)';

CREATE TABLE dti.succession_weight (
	predecessor_id integer NOT NULL,
	successor_id integer NOT NULL,
	basis text NOT NULL CHECK (basis ~ '^[a-z_]+$'),
	weight float8 NOT NULL CHECK (weight > 0 AND weight < 'infinity'),
	source text,
	PRIMARY KEY (predecessor_id, successor_id, basis),
	FOREIGN KEY (predecessor_id, successor_id) REFERENCES dti.unit_succession (predecessor_id, successor_id)
);
COMMENT ON TABLE dti.succession_weight IS
	'User-provided weights of predecessors (e.g. basis population or area) for the weighted_mean carry rule';

CREATE VIEW dti.succession_share AS
SELECT s.predecessor_id, o.code AS predecessor_code, o.name_vi AS predecessor_name,
	   s.successor_id, n.code AS successor_code, n.name_vi AS successor_name,
	   s.effective,
	   coalesce(r.method, 'mean') AS method,
	   r.weight_basis,
	   CASE WHEN r.method = 'weighted_mean'
			THEN w.weight / sum(w.weight) OVER (PARTITION BY s.successor_id)
			ELSE 1.0::float8 / count(*) OVER (PARTITION BY s.successor_id) END AS share
FROM dti.unit_succession s
JOIN dti.unit o ON o.id = s.predecessor_id
JOIN dti.unit n ON n.id = s.successor_id
LEFT JOIN dti.succession_rule r ON r.successor_id = s.successor_id
LEFT JOIN dti.succession_weight w ON w.predecessor_id = s.predecessor_id
	AND w.successor_id = s.successor_id AND w.basis = r.weight_basis;
COMMENT ON VIEW dti.succession_share IS
	'Share of each predecessor in its successor: 1/n under the official mean, weight / total weight under weighted_mean (NULL for every member when a weight is missing)';

CREATE FUNCTION dti.set_succession_rule(successor_code text, method text, weight_basis text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	succ integer;
	missing text;
BEGIN
	SELECT u.id INTO succ FROM dti.unit u
	WHERE u.code = set_succession_rule.successor_code
	  AND EXISTS (SELECT 1 FROM dti.unit_succession s WHERE s.successor_id = u.id);
	IF succ IS NULL THEN
		RAISE EXCEPTION 'no successor unit with code %', successor_code
			USING ERRCODE = 'no_data_found',
				DETAIL = 'Only units listed as successor in dti.unit_succession take a carry rule.',
				HINT = 'Use the code of one of the 34 units valid from 2025-07-01.';
	END IF;
	IF set_succession_rule.method = 'weighted_mean' THEN
		SELECT string_agg(o.code, ', ' ORDER BY o.code) INTO missing
		FROM dti.unit_succession s JOIN dti.unit o ON o.id = s.predecessor_id
		WHERE s.successor_id = succ
		  AND NOT EXISTS (SELECT 1 FROM dti.succession_weight w
						  WHERE w.predecessor_id = s.predecessor_id AND w.successor_id = succ
							AND w.basis = set_succession_rule.weight_basis);
		IF missing IS NOT NULL THEN
			RAISE EXCEPTION 'weights with basis % are missing for unit %', weight_basis, successor_code
				USING ERRCODE = 'foreign_key_violation',
					DETAIL = format('Predecessors without a weight: %s.', missing),
					HINT = 'Insert them into dti.succession_weight first.';
		END IF;
	END IF;
	INSERT INTO dti.succession_rule (successor_id, method, weight_basis)
	VALUES (succ, set_succession_rule.method, set_succession_rule.weight_basis)
	ON CONFLICT (successor_id) DO UPDATE
	SET method = EXCLUDED.method, weight_basis = EXCLUDED.weight_basis;
END $$;
COMMENT ON FUNCTION dti.set_succession_rule(text, text, text) IS
	'Chooses how a successor''s value is carried from its predecessors: ''mean'' (official, unweighted) or ''weighted_mean'' with a weight basis present for every predecessor';

CREATE VIEW dti.province AS
SELECT u.id AS unit_id, u.code, u.kind, u.name_vi, u.full_name_vi, u.name_ascii,
	   r.code AS region_code, r.name_vi AS region_vi,
	   CASE WHEN isfinite(u.valid_from) THEN u.valid_from END AS valid_from,
	   CASE WHEN isfinite(u.valid_to) THEN u.valid_to END AS valid_to
FROM dti.unit u LEFT JOIN dti.unit r ON r.id = u.parent_id
WHERE u.level = 'province';
COMMENT ON VIEW dti.province IS 'Provinces (63 until 2025-06-30 and 34 from 2025-07-01) with their socio-economic region';
COMMENT ON COLUMN dti.province.unit_id IS 'Id of the unit (dti.unit.id): the old and the new unit of one code are two ids';
COMMENT ON COLUMN dti.province.code IS 'GSO 2-digit code (01 Hà Nội); the 34 units of 2025 keep the code of one of their predecessors';
COMMENT ON COLUMN dti.province.kind IS 'city (centrally-run city) or province';
COMMENT ON COLUMN dti.province.name_vi IS 'Short Vietnamese name, with diacritics (Hà Nội)';
COMMENT ON COLUMN dti.province.full_name_vi IS 'Full official Vietnamese name (Thành phố Hà Nội)';
COMMENT ON COLUMN dti.province.name_ascii IS 'ASCII search form of name_vi (Ha Noi)';
COMMENT ON COLUMN dti.province.region_code IS 'Code of the socio-economic region (R1..R6)';
COMMENT ON COLUMN dti.province.region_vi IS 'Vietnamese name of the socio-economic region';
COMMENT ON COLUMN dti.province.valid_from IS 'First day of validity; NULL where dti.unit says -infinity (always), which drivers cannot read as a date';
COMMENT ON COLUMN dti.province.valid_to IS 'Last day of validity, inclusive; NULL where dti.unit says infinity (still valid), which drivers cannot read as a date';
