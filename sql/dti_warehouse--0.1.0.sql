-- dti_warehouse 0.1.0, as released.  Do not edit: later versions change objects
-- through upgrade scripts (sql/dti_warehouse--A--B.sql); the current definitions
-- are in sql/warehouse/.
\echo Use "CREATE EXTENSION dti_warehouse" to load this file. \quit

-- sql/warehouse/10_units.sql
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
(VALUES
	 ('01', 'Hà Nội', 'Thành phố Hà Nội', 'Đồng bằng sông Hồng', '01', '2025-06-30')
	,('02', 'Hà Giang', 'Tỉnh Hà Giang', 'Trung du và miền núi phía Bắc', '08', '2025-06-30')
	,('04', 'Cao Bằng', 'Tỉnh Cao Bằng', 'Trung du và miền núi phía Bắc', '04', '2025-06-30')
	,('06', 'Bắc Kạn', 'Tỉnh Bắc Kạn', 'Trung du và miền núi phía Bắc', '19', '2025-06-30')
	,('08', 'Tuyên Quang', 'Tỉnh Tuyên Quang', 'Trung du và miền núi phía Bắc', '08', '2025-06-30')
	,('10', 'Lào Cai', 'Tỉnh Lào Cai', 'Trung du và miền núi phía Bắc', '15', '2025-06-30')
	,('11', 'Điện Biên', 'Tỉnh Điện Biên', 'Trung du và miền núi phía Bắc', '11', '2025-06-30')
	,('12', 'Lai Châu', 'Tỉnh Lai Châu', 'Trung du và miền núi phía Bắc', '12', '2025-06-30')
	,('14', 'Sơn La', 'Tỉnh Sơn La', 'Trung du và miền núi phía Bắc', '14', '2025-06-30')
	,('15', 'Yên Bái', 'Tỉnh Yên Bái', 'Trung du và miền núi phía Bắc', '15', '2025-06-30')
	,('17', 'Hoà Bình', 'Tỉnh Hoà Bình', 'Trung du và miền núi phía Bắc', '25', '2025-06-30')
	,('19', 'Thái Nguyên', 'Tỉnh Thái Nguyên', 'Trung du và miền núi phía Bắc', '19', '2025-06-30')
	,('20', 'Lạng Sơn', 'Tỉnh Lạng Sơn', 'Trung du và miền núi phía Bắc', '20', '2025-06-30')
	,('22', 'Quảng Ninh', 'Tỉnh Quảng Ninh', 'Đồng bằng sông Hồng', '22', '2025-06-30')
	,('24', 'Bắc Giang', 'Tỉnh Bắc Giang', 'Trung du và miền núi phía Bắc', '24', '2025-06-30')
	,('25', 'Phú Thọ', 'Tỉnh Phú Thọ', 'Trung du và miền núi phía Bắc', '25', '2025-06-30')
	,('26', 'Vĩnh Phúc', 'Tỉnh Vĩnh Phúc', 'Đồng bằng sông Hồng', '25', '2025-06-30')
	,('27', 'Bắc Ninh', 'Tỉnh Bắc Ninh', 'Đồng bằng sông Hồng', '24', '2025-06-30')
	,('30', 'Hải Dương', 'Tỉnh Hải Dương', 'Đồng bằng sông Hồng', '31', '2025-06-30')
	,('31', 'Hải Phòng', 'Thành phố Hải Phòng', 'Đồng bằng sông Hồng', '31', '2025-06-30')
	,('33', 'Hưng Yên', 'Tỉnh Hưng Yên', 'Đồng bằng sông Hồng', '33', '2025-06-30')
	,('34', 'Thái Bình', 'Tỉnh Thái Bình', 'Đồng bằng sông Hồng', '33', '2025-06-30')
	,('35', 'Hà Nam', 'Tỉnh Hà Nam', 'Đồng bằng sông Hồng', '37', '2025-06-30')
	,('36', 'Nam Định', 'Tỉnh Nam Định', 'Đồng bằng sông Hồng', '37', '2025-06-30')
	,('37', 'Ninh Bình', 'Tỉnh Ninh Bình', 'Đồng bằng sông Hồng', '37', '2025-06-30')
	,('38', 'Thanh Hóa', 'Tỉnh Thanh Hóa', 'Bắc Trung Bộ và duyên hải miền Trung', '38', '2025-06-30')
	,('40', 'Nghệ An', 'Tỉnh Nghệ An', 'Bắc Trung Bộ và duyên hải miền Trung', '40', '2025-06-30')
	,('42', 'Hà Tĩnh', 'Tỉnh Hà Tĩnh', 'Bắc Trung Bộ và duyên hải miền Trung', '42', '2025-06-30')
	,('44', 'Quảng Bình', 'Tỉnh Quảng Bình', 'Bắc Trung Bộ và duyên hải miền Trung', '44', '2025-06-30')
	,('45', 'Quảng Trị', 'Tỉnh Quảng Trị', 'Bắc Trung Bộ và duyên hải miền Trung', '44', '2025-06-30')
	,('46', 'Huế', 'Thành phố Huế', 'Bắc Trung Bộ và duyên hải miền Trung', '46', '2025-06-30')
	,('48', 'Đà Nẵng', 'Thành phố Đà Nẵng', 'Bắc Trung Bộ và duyên hải miền Trung', '48', '2025-06-30')
	,('49', 'Quảng Nam', 'Tỉnh Quảng Nam', 'Bắc Trung Bộ và duyên hải miền Trung', '48', '2025-06-30')
	,('51', 'Quảng Ngãi', 'Tỉnh Quảng Ngãi', 'Bắc Trung Bộ và duyên hải miền Trung', '51', '2025-06-30')
	,('52', 'Bình Định', 'Tỉnh Bình Định', 'Bắc Trung Bộ và duyên hải miền Trung', '52', '2025-06-30')
	,('54', 'Phú Yên', 'Tỉnh Phú Yên', 'Bắc Trung Bộ và duyên hải miền Trung', '66', '2025-06-30')
	,('56', 'Khánh Hòa', 'Tỉnh Khánh Hòa', 'Bắc Trung Bộ và duyên hải miền Trung', '56', '2025-06-30')
	,('58', 'Ninh Thuận', 'Tỉnh Ninh Thuận', 'Bắc Trung Bộ và duyên hải miền Trung', '56', '2025-06-30')
	,('60', 'Bình Thuận', 'Tỉnh Bình Thuận', 'Bắc Trung Bộ và duyên hải miền Trung', '68', '2025-06-30')
	,('62', 'Kon Tum', 'Tỉnh Kon Tum', 'Tây Nguyên', '51', '2025-06-30')
	,('64', 'Gia Lai', 'Tỉnh Gia Lai', 'Tây Nguyên', '52', '2025-06-30')
	,('66', 'Đắk Lắk', 'Tỉnh Đắk Lắk', 'Tây Nguyên', '66', '2025-06-30')
	,('67', 'Đắk Nông', 'Tỉnh Đắk Nông', 'Tây Nguyên', '68', '2025-06-30')
	,('68', 'Lâm Đồng', 'Tỉnh Lâm Đồng', 'Tây Nguyên', '68', '2025-06-30')
	,('70', 'Bình Phước', 'Tỉnh Bình Phước', 'Đông Nam Bộ', '75', '2025-06-30')
	,('72', 'Tây Ninh', 'Tỉnh Tây Ninh', 'Đông Nam Bộ', '80', '2025-06-30')
	,('74', 'Bình Dương', 'Tỉnh Bình Dương', 'Đông Nam Bộ', '79', '2025-06-30')
	,('75', 'Đồng Nai', 'Tỉnh Đồng Nai', 'Đông Nam Bộ', '75', '2025-06-30')
	,('77', 'Bà Rịa - Vũng Tàu', 'Tỉnh Bà Rịa - Vũng Tàu', 'Đông Nam Bộ', '79', '2025-06-30')
	,('79', 'Hồ Chí Minh', 'Thành phố Hồ Chí Minh', 'Đông Nam Bộ', '79', '2025-06-30')
	,('80', 'Long An', 'Tỉnh Long An', 'Đồng bằng sông Cửu Long', '80', '2025-06-30')
	,('82', 'Tiền Giang', 'Tỉnh Tiền Giang', 'Đồng bằng sông Cửu Long', '82', '2025-06-30')
	,('83', 'Bến Tre', 'Tỉnh Bến Tre', 'Đồng bằng sông Cửu Long', '86', '2025-06-30')
	,('84', 'Trà Vinh', 'Tỉnh Trà Vinh', 'Đồng bằng sông Cửu Long', '86', '2025-06-30')
	,('86', 'Vĩnh Long', 'Tỉnh Vĩnh Long', 'Đồng bằng sông Cửu Long', '86', '2025-06-30')
	,('87', 'Đồng Tháp', 'Tỉnh Đồng Tháp', 'Đồng bằng sông Cửu Long', '82', '2025-06-30')
	,('89', 'An Giang', 'Tỉnh An Giang', 'Đồng bằng sông Cửu Long', '91', '2025-06-30')
	,('91', 'Kiên Giang', 'Tỉnh Kiên Giang', 'Đồng bằng sông Cửu Long', '91', '2025-06-30')
	,('92', 'Cần Thơ', 'Thành phố Cần Thơ', 'Đồng bằng sông Cửu Long', '92', '2025-06-30')
	,('93', 'Hậu Giang', 'Tỉnh Hậu Giang', 'Đồng bằng sông Cửu Long', '92', '2025-06-30')
	,('94', 'Sóc Trăng', 'Tỉnh Sóc Trăng', 'Đồng bằng sông Cửu Long', '92', '2025-06-30')
	,('95', 'Bạc Liêu', 'Tỉnh Bạc Liêu', 'Đồng bằng sông Cửu Long', '96', '2025-06-30')
	,('96', 'Cà Mau', 'Tỉnh Cà Mau', 'Đồng bằng sông Cửu Long', '96', '2025-06-30')
) AS p ("gso_code", "name", "full_name", "region_vi", "successor_code", "valid_to")
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
(VALUES
	 ('01', 'Hà Nội', 'Thành phố Hà Nội', 'Đồng bằng sông Hồng', '01', '2025-06-30')
	,('02', 'Hà Giang', 'Tỉnh Hà Giang', 'Trung du và miền núi phía Bắc', '08', '2025-06-30')
	,('04', 'Cao Bằng', 'Tỉnh Cao Bằng', 'Trung du và miền núi phía Bắc', '04', '2025-06-30')
	,('06', 'Bắc Kạn', 'Tỉnh Bắc Kạn', 'Trung du và miền núi phía Bắc', '19', '2025-06-30')
	,('08', 'Tuyên Quang', 'Tỉnh Tuyên Quang', 'Trung du và miền núi phía Bắc', '08', '2025-06-30')
	,('10', 'Lào Cai', 'Tỉnh Lào Cai', 'Trung du và miền núi phía Bắc', '15', '2025-06-30')
	,('11', 'Điện Biên', 'Tỉnh Điện Biên', 'Trung du và miền núi phía Bắc', '11', '2025-06-30')
	,('12', 'Lai Châu', 'Tỉnh Lai Châu', 'Trung du và miền núi phía Bắc', '12', '2025-06-30')
	,('14', 'Sơn La', 'Tỉnh Sơn La', 'Trung du và miền núi phía Bắc', '14', '2025-06-30')
	,('15', 'Yên Bái', 'Tỉnh Yên Bái', 'Trung du và miền núi phía Bắc', '15', '2025-06-30')
	,('17', 'Hoà Bình', 'Tỉnh Hoà Bình', 'Trung du và miền núi phía Bắc', '25', '2025-06-30')
	,('19', 'Thái Nguyên', 'Tỉnh Thái Nguyên', 'Trung du và miền núi phía Bắc', '19', '2025-06-30')
	,('20', 'Lạng Sơn', 'Tỉnh Lạng Sơn', 'Trung du và miền núi phía Bắc', '20', '2025-06-30')
	,('22', 'Quảng Ninh', 'Tỉnh Quảng Ninh', 'Đồng bằng sông Hồng', '22', '2025-06-30')
	,('24', 'Bắc Giang', 'Tỉnh Bắc Giang', 'Trung du và miền núi phía Bắc', '24', '2025-06-30')
	,('25', 'Phú Thọ', 'Tỉnh Phú Thọ', 'Trung du và miền núi phía Bắc', '25', '2025-06-30')
	,('26', 'Vĩnh Phúc', 'Tỉnh Vĩnh Phúc', 'Đồng bằng sông Hồng', '25', '2025-06-30')
	,('27', 'Bắc Ninh', 'Tỉnh Bắc Ninh', 'Đồng bằng sông Hồng', '24', '2025-06-30')
	,('30', 'Hải Dương', 'Tỉnh Hải Dương', 'Đồng bằng sông Hồng', '31', '2025-06-30')
	,('31', 'Hải Phòng', 'Thành phố Hải Phòng', 'Đồng bằng sông Hồng', '31', '2025-06-30')
	,('33', 'Hưng Yên', 'Tỉnh Hưng Yên', 'Đồng bằng sông Hồng', '33', '2025-06-30')
	,('34', 'Thái Bình', 'Tỉnh Thái Bình', 'Đồng bằng sông Hồng', '33', '2025-06-30')
	,('35', 'Hà Nam', 'Tỉnh Hà Nam', 'Đồng bằng sông Hồng', '37', '2025-06-30')
	,('36', 'Nam Định', 'Tỉnh Nam Định', 'Đồng bằng sông Hồng', '37', '2025-06-30')
	,('37', 'Ninh Bình', 'Tỉnh Ninh Bình', 'Đồng bằng sông Hồng', '37', '2025-06-30')
	,('38', 'Thanh Hóa', 'Tỉnh Thanh Hóa', 'Bắc Trung Bộ và duyên hải miền Trung', '38', '2025-06-30')
	,('40', 'Nghệ An', 'Tỉnh Nghệ An', 'Bắc Trung Bộ và duyên hải miền Trung', '40', '2025-06-30')
	,('42', 'Hà Tĩnh', 'Tỉnh Hà Tĩnh', 'Bắc Trung Bộ và duyên hải miền Trung', '42', '2025-06-30')
	,('44', 'Quảng Bình', 'Tỉnh Quảng Bình', 'Bắc Trung Bộ và duyên hải miền Trung', '44', '2025-06-30')
	,('45', 'Quảng Trị', 'Tỉnh Quảng Trị', 'Bắc Trung Bộ và duyên hải miền Trung', '44', '2025-06-30')
	,('46', 'Huế', 'Thành phố Huế', 'Bắc Trung Bộ và duyên hải miền Trung', '46', '2025-06-30')
	,('48', 'Đà Nẵng', 'Thành phố Đà Nẵng', 'Bắc Trung Bộ và duyên hải miền Trung', '48', '2025-06-30')
	,('49', 'Quảng Nam', 'Tỉnh Quảng Nam', 'Bắc Trung Bộ và duyên hải miền Trung', '48', '2025-06-30')
	,('51', 'Quảng Ngãi', 'Tỉnh Quảng Ngãi', 'Bắc Trung Bộ và duyên hải miền Trung', '51', '2025-06-30')
	,('52', 'Bình Định', 'Tỉnh Bình Định', 'Bắc Trung Bộ và duyên hải miền Trung', '52', '2025-06-30')
	,('54', 'Phú Yên', 'Tỉnh Phú Yên', 'Bắc Trung Bộ và duyên hải miền Trung', '66', '2025-06-30')
	,('56', 'Khánh Hòa', 'Tỉnh Khánh Hòa', 'Bắc Trung Bộ và duyên hải miền Trung', '56', '2025-06-30')
	,('58', 'Ninh Thuận', 'Tỉnh Ninh Thuận', 'Bắc Trung Bộ và duyên hải miền Trung', '56', '2025-06-30')
	,('60', 'Bình Thuận', 'Tỉnh Bình Thuận', 'Bắc Trung Bộ và duyên hải miền Trung', '68', '2025-06-30')
	,('62', 'Kon Tum', 'Tỉnh Kon Tum', 'Tây Nguyên', '51', '2025-06-30')
	,('64', 'Gia Lai', 'Tỉnh Gia Lai', 'Tây Nguyên', '52', '2025-06-30')
	,('66', 'Đắk Lắk', 'Tỉnh Đắk Lắk', 'Tây Nguyên', '66', '2025-06-30')
	,('67', 'Đắk Nông', 'Tỉnh Đắk Nông', 'Tây Nguyên', '68', '2025-06-30')
	,('68', 'Lâm Đồng', 'Tỉnh Lâm Đồng', 'Tây Nguyên', '68', '2025-06-30')
	,('70', 'Bình Phước', 'Tỉnh Bình Phước', 'Đông Nam Bộ', '75', '2025-06-30')
	,('72', 'Tây Ninh', 'Tỉnh Tây Ninh', 'Đông Nam Bộ', '80', '2025-06-30')
	,('74', 'Bình Dương', 'Tỉnh Bình Dương', 'Đông Nam Bộ', '79', '2025-06-30')
	,('75', 'Đồng Nai', 'Tỉnh Đồng Nai', 'Đông Nam Bộ', '75', '2025-06-30')
	,('77', 'Bà Rịa - Vũng Tàu', 'Tỉnh Bà Rịa - Vũng Tàu', 'Đông Nam Bộ', '79', '2025-06-30')
	,('79', 'Hồ Chí Minh', 'Thành phố Hồ Chí Minh', 'Đông Nam Bộ', '79', '2025-06-30')
	,('80', 'Long An', 'Tỉnh Long An', 'Đồng bằng sông Cửu Long', '80', '2025-06-30')
	,('82', 'Tiền Giang', 'Tỉnh Tiền Giang', 'Đồng bằng sông Cửu Long', '82', '2025-06-30')
	,('83', 'Bến Tre', 'Tỉnh Bến Tre', 'Đồng bằng sông Cửu Long', '86', '2025-06-30')
	,('84', 'Trà Vinh', 'Tỉnh Trà Vinh', 'Đồng bằng sông Cửu Long', '86', '2025-06-30')
	,('86', 'Vĩnh Long', 'Tỉnh Vĩnh Long', 'Đồng bằng sông Cửu Long', '86', '2025-06-30')
	,('87', 'Đồng Tháp', 'Tỉnh Đồng Tháp', 'Đồng bằng sông Cửu Long', '82', '2025-06-30')
	,('89', 'An Giang', 'Tỉnh An Giang', 'Đồng bằng sông Cửu Long', '91', '2025-06-30')
	,('91', 'Kiên Giang', 'Tỉnh Kiên Giang', 'Đồng bằng sông Cửu Long', '91', '2025-06-30')
	,('92', 'Cần Thơ', 'Thành phố Cần Thơ', 'Đồng bằng sông Cửu Long', '92', '2025-06-30')
	,('93', 'Hậu Giang', 'Tỉnh Hậu Giang', 'Đồng bằng sông Cửu Long', '92', '2025-06-30')
	,('94', 'Sóc Trăng', 'Tỉnh Sóc Trăng', 'Đồng bằng sông Cửu Long', '92', '2025-06-30')
	,('95', 'Bạc Liêu', 'Tỉnh Bạc Liêu', 'Đồng bằng sông Cửu Long', '96', '2025-06-30')
	,('96', 'Cà Mau', 'Tỉnh Cà Mau', 'Đồng bằng sông Cửu Long', '96', '2025-06-30')
) AS p ("gso_code", "name", "full_name", "region_vi", "successor_code", "valid_to")
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
(VALUES
	 ('01', 'Thành phố Hà Nội', 'city', '01', '2025-07-01')
	,('04', 'Tỉnh Cao Bằng', 'province', '04', '2025-07-01')
	,('08', 'Tỉnh Tuyên Quang', 'province', '02;08', '2025-07-01')
	,('11', 'Tỉnh Điện Biên', 'province', '11', '2025-07-01')
	,('12', 'Tỉnh Lai Châu', 'province', '12', '2025-07-01')
	,('14', 'Tỉnh Sơn La', 'province', '14', '2025-07-01')
	,('15', 'Tỉnh Lào Cai', 'province', '10;15', '2025-07-01')
	,('19', 'Tỉnh Thái Nguyên', 'province', '06;19', '2025-07-01')
	,('20', 'Tỉnh Lạng Sơn', 'province', '20', '2025-07-01')
	,('22', 'Tỉnh Quảng Ninh', 'province', '22', '2025-07-01')
	,('24', 'Tỉnh Bắc Ninh', 'province', '24;27', '2025-07-01')
	,('25', 'Tỉnh Phú Thọ', 'province', '17;25;26', '2025-07-01')
	,('31', 'Thành phố Hải Phòng', 'city', '30;31', '2025-07-01')
	,('33', 'Tỉnh Hưng Yên', 'province', '33;34', '2025-07-01')
	,('37', 'Tỉnh Ninh Bình', 'province', '35;36;37', '2025-07-01')
	,('38', 'Tỉnh Thanh Hoá', 'province', '38', '2025-07-01')
	,('40', 'Tỉnh Nghệ An', 'province', '40', '2025-07-01')
	,('42', 'Tỉnh Hà Tĩnh', 'province', '42', '2025-07-01')
	,('44', 'Tỉnh Quảng Trị', 'province', '44;45', '2025-07-01')
	,('46', 'Thành phố Huế', 'city', '46', '2025-07-01')
	,('48', 'Thành phố Đà Nẵng', 'city', '48;49', '2025-07-01')
	,('51', 'Tỉnh Quảng Ngãi', 'province', '51;62', '2025-07-01')
	,('52', 'Tỉnh Gia Lai', 'province', '52;64', '2025-07-01')
	,('56', 'Tỉnh Khánh Hoà', 'province', '56;58', '2025-07-01')
	,('66', 'Tỉnh Đắk Lắk', 'province', '54;66', '2025-07-01')
	,('68', 'Tỉnh Lâm Đồng', 'province', '60;67;68', '2025-07-01')
	,('75', 'Tỉnh Đồng Nai', 'province', '70;75', '2025-07-01')
	,('79', 'Thành phố Hồ Chí Minh', 'city', '74;77;79', '2025-07-01')
	,('80', 'Tỉnh Tây Ninh', 'province', '72;80', '2025-07-01')
	,('82', 'Tỉnh Đồng Tháp', 'province', '82;87', '2025-07-01')
	,('86', 'Tỉnh Vĩnh Long', 'province', '83;84;86', '2025-07-01')
	,('91', 'Tỉnh An Giang', 'province', '89;91', '2025-07-01')
	,('92', 'Thành phố Cần Thơ', 'city', '92;93;94', '2025-07-01')
	,('96', 'Tỉnh Cà Mau', 'province', '95;96', '2025-07-01')
) AS n ("code", "full_name", "kind", "members_old_codes", "valid_from")
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
	('67', '2025-06-30', 'Đắc Nông', 'variant', NULL)
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
BEGIN
	IF unit_code.name IS NULL THEN
		RETURN NULL;
	END IF;
	SELECT array_agg(DISTINCT f.code ORDER BY f.code) INTO codes
	FROM dti.find_units(unit_code.name, unit_code.at) f
	WHERE f.level = unit_code.level;
	IF codes IS NULL THEN
		RAISE EXCEPTION 'no % named "%" %', unit_code.level, unit_code.name,
				coalesce('on ' || to_char(unit_code.at, 'YYYY-MM-DD'), 'on any day')
			USING ERRCODE = 'no_data_found',
				DETAIL = format('The normalised name is "%s".', dti.normalize_name(unit_code.name)),
				HINT = 'Check the spelling, the day and the level, or add the name to dti.unit_name.';
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
(VALUES
	 ('01', 'Hà Nội', 'Thành phố Hà Nội', 'Đồng bằng sông Hồng', '01', '2025-06-30')
	,('02', 'Hà Giang', 'Tỉnh Hà Giang', 'Trung du và miền núi phía Bắc', '08', '2025-06-30')
	,('04', 'Cao Bằng', 'Tỉnh Cao Bằng', 'Trung du và miền núi phía Bắc', '04', '2025-06-30')
	,('06', 'Bắc Kạn', 'Tỉnh Bắc Kạn', 'Trung du và miền núi phía Bắc', '19', '2025-06-30')
	,('08', 'Tuyên Quang', 'Tỉnh Tuyên Quang', 'Trung du và miền núi phía Bắc', '08', '2025-06-30')
	,('10', 'Lào Cai', 'Tỉnh Lào Cai', 'Trung du và miền núi phía Bắc', '15', '2025-06-30')
	,('11', 'Điện Biên', 'Tỉnh Điện Biên', 'Trung du và miền núi phía Bắc', '11', '2025-06-30')
	,('12', 'Lai Châu', 'Tỉnh Lai Châu', 'Trung du và miền núi phía Bắc', '12', '2025-06-30')
	,('14', 'Sơn La', 'Tỉnh Sơn La', 'Trung du và miền núi phía Bắc', '14', '2025-06-30')
	,('15', 'Yên Bái', 'Tỉnh Yên Bái', 'Trung du và miền núi phía Bắc', '15', '2025-06-30')
	,('17', 'Hoà Bình', 'Tỉnh Hoà Bình', 'Trung du và miền núi phía Bắc', '25', '2025-06-30')
	,('19', 'Thái Nguyên', 'Tỉnh Thái Nguyên', 'Trung du và miền núi phía Bắc', '19', '2025-06-30')
	,('20', 'Lạng Sơn', 'Tỉnh Lạng Sơn', 'Trung du và miền núi phía Bắc', '20', '2025-06-30')
	,('22', 'Quảng Ninh', 'Tỉnh Quảng Ninh', 'Đồng bằng sông Hồng', '22', '2025-06-30')
	,('24', 'Bắc Giang', 'Tỉnh Bắc Giang', 'Trung du và miền núi phía Bắc', '24', '2025-06-30')
	,('25', 'Phú Thọ', 'Tỉnh Phú Thọ', 'Trung du và miền núi phía Bắc', '25', '2025-06-30')
	,('26', 'Vĩnh Phúc', 'Tỉnh Vĩnh Phúc', 'Đồng bằng sông Hồng', '25', '2025-06-30')
	,('27', 'Bắc Ninh', 'Tỉnh Bắc Ninh', 'Đồng bằng sông Hồng', '24', '2025-06-30')
	,('30', 'Hải Dương', 'Tỉnh Hải Dương', 'Đồng bằng sông Hồng', '31', '2025-06-30')
	,('31', 'Hải Phòng', 'Thành phố Hải Phòng', 'Đồng bằng sông Hồng', '31', '2025-06-30')
	,('33', 'Hưng Yên', 'Tỉnh Hưng Yên', 'Đồng bằng sông Hồng', '33', '2025-06-30')
	,('34', 'Thái Bình', 'Tỉnh Thái Bình', 'Đồng bằng sông Hồng', '33', '2025-06-30')
	,('35', 'Hà Nam', 'Tỉnh Hà Nam', 'Đồng bằng sông Hồng', '37', '2025-06-30')
	,('36', 'Nam Định', 'Tỉnh Nam Định', 'Đồng bằng sông Hồng', '37', '2025-06-30')
	,('37', 'Ninh Bình', 'Tỉnh Ninh Bình', 'Đồng bằng sông Hồng', '37', '2025-06-30')
	,('38', 'Thanh Hóa', 'Tỉnh Thanh Hóa', 'Bắc Trung Bộ và duyên hải miền Trung', '38', '2025-06-30')
	,('40', 'Nghệ An', 'Tỉnh Nghệ An', 'Bắc Trung Bộ và duyên hải miền Trung', '40', '2025-06-30')
	,('42', 'Hà Tĩnh', 'Tỉnh Hà Tĩnh', 'Bắc Trung Bộ và duyên hải miền Trung', '42', '2025-06-30')
	,('44', 'Quảng Bình', 'Tỉnh Quảng Bình', 'Bắc Trung Bộ và duyên hải miền Trung', '44', '2025-06-30')
	,('45', 'Quảng Trị', 'Tỉnh Quảng Trị', 'Bắc Trung Bộ và duyên hải miền Trung', '44', '2025-06-30')
	,('46', 'Huế', 'Thành phố Huế', 'Bắc Trung Bộ và duyên hải miền Trung', '46', '2025-06-30')
	,('48', 'Đà Nẵng', 'Thành phố Đà Nẵng', 'Bắc Trung Bộ và duyên hải miền Trung', '48', '2025-06-30')
	,('49', 'Quảng Nam', 'Tỉnh Quảng Nam', 'Bắc Trung Bộ và duyên hải miền Trung', '48', '2025-06-30')
	,('51', 'Quảng Ngãi', 'Tỉnh Quảng Ngãi', 'Bắc Trung Bộ và duyên hải miền Trung', '51', '2025-06-30')
	,('52', 'Bình Định', 'Tỉnh Bình Định', 'Bắc Trung Bộ và duyên hải miền Trung', '52', '2025-06-30')
	,('54', 'Phú Yên', 'Tỉnh Phú Yên', 'Bắc Trung Bộ và duyên hải miền Trung', '66', '2025-06-30')
	,('56', 'Khánh Hòa', 'Tỉnh Khánh Hòa', 'Bắc Trung Bộ và duyên hải miền Trung', '56', '2025-06-30')
	,('58', 'Ninh Thuận', 'Tỉnh Ninh Thuận', 'Bắc Trung Bộ và duyên hải miền Trung', '56', '2025-06-30')
	,('60', 'Bình Thuận', 'Tỉnh Bình Thuận', 'Bắc Trung Bộ và duyên hải miền Trung', '68', '2025-06-30')
	,('62', 'Kon Tum', 'Tỉnh Kon Tum', 'Tây Nguyên', '51', '2025-06-30')
	,('64', 'Gia Lai', 'Tỉnh Gia Lai', 'Tây Nguyên', '52', '2025-06-30')
	,('66', 'Đắk Lắk', 'Tỉnh Đắk Lắk', 'Tây Nguyên', '66', '2025-06-30')
	,('67', 'Đắk Nông', 'Tỉnh Đắk Nông', 'Tây Nguyên', '68', '2025-06-30')
	,('68', 'Lâm Đồng', 'Tỉnh Lâm Đồng', 'Tây Nguyên', '68', '2025-06-30')
	,('70', 'Bình Phước', 'Tỉnh Bình Phước', 'Đông Nam Bộ', '75', '2025-06-30')
	,('72', 'Tây Ninh', 'Tỉnh Tây Ninh', 'Đông Nam Bộ', '80', '2025-06-30')
	,('74', 'Bình Dương', 'Tỉnh Bình Dương', 'Đông Nam Bộ', '79', '2025-06-30')
	,('75', 'Đồng Nai', 'Tỉnh Đồng Nai', 'Đông Nam Bộ', '75', '2025-06-30')
	,('77', 'Bà Rịa - Vũng Tàu', 'Tỉnh Bà Rịa - Vũng Tàu', 'Đông Nam Bộ', '79', '2025-06-30')
	,('79', 'Hồ Chí Minh', 'Thành phố Hồ Chí Minh', 'Đông Nam Bộ', '79', '2025-06-30')
	,('80', 'Long An', 'Tỉnh Long An', 'Đồng bằng sông Cửu Long', '80', '2025-06-30')
	,('82', 'Tiền Giang', 'Tỉnh Tiền Giang', 'Đồng bằng sông Cửu Long', '82', '2025-06-30')
	,('83', 'Bến Tre', 'Tỉnh Bến Tre', 'Đồng bằng sông Cửu Long', '86', '2025-06-30')
	,('84', 'Trà Vinh', 'Tỉnh Trà Vinh', 'Đồng bằng sông Cửu Long', '86', '2025-06-30')
	,('86', 'Vĩnh Long', 'Tỉnh Vĩnh Long', 'Đồng bằng sông Cửu Long', '86', '2025-06-30')
	,('87', 'Đồng Tháp', 'Tỉnh Đồng Tháp', 'Đồng bằng sông Cửu Long', '82', '2025-06-30')
	,('89', 'An Giang', 'Tỉnh An Giang', 'Đồng bằng sông Cửu Long', '91', '2025-06-30')
	,('91', 'Kiên Giang', 'Tỉnh Kiên Giang', 'Đồng bằng sông Cửu Long', '91', '2025-06-30')
	,('92', 'Cần Thơ', 'Thành phố Cần Thơ', 'Đồng bằng sông Cửu Long', '92', '2025-06-30')
	,('93', 'Hậu Giang', 'Tỉnh Hậu Giang', 'Đồng bằng sông Cửu Long', '92', '2025-06-30')
	,('94', 'Sóc Trăng', 'Tỉnh Sóc Trăng', 'Đồng bằng sông Cửu Long', '92', '2025-06-30')
	,('95', 'Bạc Liêu', 'Tỉnh Bạc Liêu', 'Đồng bằng sông Cửu Long', '96', '2025-06-30')
	,('96', 'Cà Mau', 'Tỉnh Cà Mau', 'Đồng bằng sông Cửu Long', '96', '2025-06-30')
) AS p ("gso_code", "name", "full_name", "region_vi", "successor_code", "valid_to")
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
	   u.valid_from, u.valid_to
FROM dti.unit u LEFT JOIN dti.unit r ON r.id = u.parent_id
WHERE u.level = 'province';
COMMENT ON VIEW dti.province IS 'Provinces (63 until 2025-06-30 and 34 from 2025-07-01) with their socio-economic region';

-- sql/warehouse/15_boundaries.sql
-- Boundaries (PostGIS): layers of unit geometries that users load from
-- GeoJSON (e.g. geoBoundaries, or an official layer with the Hoàng Sa and
-- Trường Sa archipelagos), joined to units by name; the 34-unit layer is the
-- dissolve of the 63-unit one through unit succession.  No geometry is
-- shipped.

CREATE TABLE dti.unit_boundary (
	layer text NOT NULL CHECK (layer ~ '^[A-Za-z0-9._-]+$'),
	unit_id integer NOT NULL REFERENCES dti.unit (id),
	geom geometry(MultiPolygon, 4326) NOT NULL,
	parts integer NOT NULL DEFAULT 1 CHECK (parts >= 1),
	source text,
	loaded_by name NOT NULL DEFAULT current_user,
	loaded_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (layer, unit_id)
);
CREATE INDEX ON dti.unit_boundary USING gist (geom);
COMMENT ON TABLE dti.unit_boundary IS
	'Unit geometries (WGS 84 multipolygons) by layer; load them with dti.load_boundaries() and derive merged units with dti.dissolve_boundaries()';
COMMENT ON COLUMN dti.unit_boundary.layer IS 'Name of the layer (e.g. geoboundaries-2008, official-2025)';
COMMENT ON COLUMN dti.unit_boundary.parts IS 'Number of source features merged into the geometry (Côn Đảo joins Bà Rịa - Vũng Tàu)';
COMMENT ON COLUMN dti.unit_boundary.source IS 'Source and attribution line of the layer';

CREATE FUNCTION dti.load_boundaries(layer text, features jsonb, valid_on date,
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
COMMENT ON FUNCTION dti.load_boundaries(text, jsonb, date, text, text) IS
	'Loads a GeoJSON FeatureCollection as a boundary layer: each feature''s name (property name_property) must resolve to exactly one province valid on valid_on; features of one unit are merged; returns one row per unit';

CREATE FUNCTION dti.dissolve_boundaries(from_layer text, to_layer text, valid_on date) RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	n bigint;
BEGIN
	INSERT INTO dti.unit_boundary (layer, unit_id, geom, parts, source)
	SELECT dissolve_boundaries.to_layer, s.successor_id,
		   ST_Multi(ST_CollectionExtract(ST_Union(b.geom), 3)), sum(b.parts)::integer,
		   format('dissolve of layer %s', dissolve_boundaries.from_layer)
	FROM dti.unit_succession s
	JOIN dti.unit n ON n.id = s.successor_id AND dissolve_boundaries.valid_on BETWEEN n.valid_from AND n.valid_to
	JOIN dti.unit_boundary b ON b.layer = dissolve_boundaries.from_layer AND b.unit_id = s.predecessor_id
	GROUP BY s.successor_id;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;
COMMENT ON FUNCTION dti.dissolve_boundaries(text, text, date) IS
	'Builds a layer of the units valid on a day from an older layer, each new unit as the union of its predecessors (e.g. the 34 units from the 63); returns the number of units';

-- sql/warehouse/20_frameworks.sql
-- Periods, frameworks with their indicator trees, the framework used per
-- level and year, mappings between framework versions, national targets.

------------------------------------------------------------------------------
-- Periods
------------------------------------------------------------------------------

CREATE FUNCTION dti.period_kind(label text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE
		WHEN label ~ '^[0-9]{4}$' THEN 'year'
		WHEN label ~ '^[0-9]{4}-Q[1-4]$' THEN 'quarter'
		WHEN label ~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN 'month'
	END;
END;
COMMENT ON FUNCTION dti.period_kind(text) IS
	'year, quarter or month for a period label of the form 2024, 2024-Q1 or 2024-03; NULL for anything else';

CREATE FUNCTION dti.period_start(label text) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE dti.period_kind(label)
		WHEN 'year' THEN make_date(substr(label, 1, 4)::integer, 1, 1)
		WHEN 'quarter' THEN make_date(substr(label, 1, 4)::integer, 3 * substr(label, 7, 1)::integer - 2, 1)
		WHEN 'month' THEN make_date(substr(label, 1, 4)::integer, substr(label, 6, 2)::integer, 1)
	END;
END;
COMMENT ON FUNCTION dti.period_start(text) IS 'First day of a period given by its label';

CREATE FUNCTION dti.period_end(label text) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT (dti.period_start(label) + CASE dti.period_kind(label)
		WHEN 'year' THEN 12 WHEN 'quarter' THEN 3 ELSE 1 END * interval '1 month'
		- interval '1 day')::date;
END;
COMMENT ON FUNCTION dti.period_end(text) IS 'Last day of a period given by its label';

CREATE TABLE dti.period (
	label text PRIMARY KEY CHECK (dti.period_kind(label) IS NOT NULL),
	kind text GENERATED ALWAYS AS (dti.period_kind(label)) STORED,
	year integer GENERATED ALWAYS AS (substr(label, 1, 4)::integer) STORED,
	starts date GENERATED ALWAYS AS (dti.period_start(label)) STORED,
	ends date GENERATED ALWAYS AS (dti.period_end(label)) STORED,
	shipped boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE dti.period IS
	'Assessment periods: years (2024), quarters (2024-Q1), months (2024-03). 2015 to 2035 are shipped; add others with INSERT INTO dti.period (label)';
COMMENT ON COLUMN dti.period.label IS 'The period as written in loads: 2024, 2024-Q1 or 2024-03';
COMMENT ON COLUMN dti.period.year IS 'The calendar year, which selects the framework';
COMMENT ON COLUMN dti.period.ends IS 'Last day; a unit belongs to a period when it is valid on this day';

INSERT INTO dti.period (label, shipped)
SELECT y::text, true FROM generate_series(2015, 2035) AS y
UNION ALL
SELECT y || '-Q' || q, true FROM generate_series(2015, 2035) AS y, generate_series(1, 4) AS q
UNION ALL
SELECT y || '-' || lpad(m::text, 2, '0'), true FROM generate_series(2015, 2035) AS y, generate_series(1, 12) AS m;

------------------------------------------------------------------------------
-- Frameworks
------------------------------------------------------------------------------

CREATE SEQUENCE dti.framework_id_seq AS integer;
COMMENT ON SEQUENCE dti.framework_id_seq IS 'Identifiers of dti.framework';

CREATE TABLE dti.framework (
	id integer PRIMARY KEY DEFAULT nextval('dti.framework_id_seq'),
	code text NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]+$'),
	version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
	level text NOT NULL CHECK (level IN ('nation', 'province', 'ministry', 'commune')),
	decision text,
	title_vi text NOT NULL,
	title_en text,
	aggregation text NOT NULL DEFAULT 'sum_points'
		CHECK (aggregation IN ('sum_points', 'weighted_mean', 'mean', 'geometric_mean', 'harmonic_mean')),
	max_points float8 CHECK (max_points >= 0),
	supersedes integer REFERENCES dti.framework (id),
	created_by name NOT NULL DEFAULT current_user,
	created_at timestamptz NOT NULL DEFAULT now(),
	note text,
	shipped boolean NOT NULL DEFAULT false,
	UNIQUE (code, version)
);
ALTER SEQUENCE dti.framework_id_seq OWNED BY dti.framework.id;
COMMENT ON TABLE dti.framework IS
	'An assessment framework (e.g. Decision 922/QĐ-BTTTT for provinces) in one version; a frozen framework (used by a published ranking) never changes: changing it means a new version (dti.new_framework_version)';
COMMENT ON COLUMN dti.framework.code IS 'Short name shared by all versions, e.g. 922-province';
COMMENT ON COLUMN dti.framework.level IS 'The unit level it assesses: province, ministry, nation or commune';
COMMENT ON COLUMN dti.framework.aggregation IS 'How the index is computed from the top-level indicators: sum_points (points / max points), weighted_mean, mean, geometric_mean, harmonic_mean';
COMMENT ON COLUMN dti.framework.max_points IS 'Total points of the framework (1,000 under Decision 922)';
COMMENT ON COLUMN dti.framework.supersedes IS 'The version this one was copied from';

CREATE TABLE dti.framework_indicator (
	framework_id integer NOT NULL DEFAULT nullif(current_setting('dti.framework_id', true), '')::integer
		REFERENCES dti.framework (id),
	code indicator_code NOT NULL,
	name_vi text NOT NULL CHECK (name_vi = normalize(name_vi, NFC)),
	name_en text,
	group_name text,
	max_points float8 NOT NULL DEFAULT 0 CHECK (max_points >= 0 AND max_points < 'infinity'),
	weight float8 CHECK (weight >= 0 AND weight < 'infinity'),
	rule scoring_rule,
	aggregation text NOT NULL DEFAULT 'sum_points'
		CHECK (aggregation IN ('sum_points', 'weighted_mean', 'mean', 'geometric_mean', 'harmonic_mean')),
	unit_of_measure text,
	value_min float8,
	value_max float8,
	scored boolean NOT NULL DEFAULT true,
	n_components integer CHECK (n_components >= 0),
	PRIMARY KEY (framework_id, code),
	CHECK (value_min IS NULL OR value_max IS NULL OR value_min <= value_max)
);
COMMENT ON TABLE dti.framework_indicator IS
	'The indicator tree of a framework: one row per node (main indicator, component, criterion), identified by its indicator_code; leaves carry the scoring_rule that turns a submitted raw value into a fraction of max_points';
COMMENT ON COLUMN dti.framework_indicator.framework_id IS 'The framework; defaults to the one dti.create_framework() created in this transaction, so that COPY needs no id column';
COMMENT ON COLUMN dti.framework_indicator.code IS 'Hierarchical code (NT, CQS.3, CQS.3.2); the parent of a node is parent(code)';
COMMENT ON COLUMN dti.framework_indicator.group_name IS 'Optional grouping (foundation, activity under Decision 922)';
COMMENT ON COLUMN dti.framework_indicator.max_points IS 'Maximum points of the node (0 for a node that is reported but not scored)';
COMMENT ON COLUMN dti.framework_indicator.weight IS 'Weight among its siblings for weighted means; NULL means proportional to max_points';
COMMENT ON COLUMN dti.framework_indicator.rule IS 'Scoring rule of a leaf (grade rules take text grades, every other rule a number); NULL: the submitted value is a number used as it is';
COMMENT ON COLUMN dti.framework_indicator.aggregation IS 'How a node aggregates its children: sum_points, weighted_mean, mean, geometric_mean, harmonic_mean';
COMMENT ON COLUMN dti.framework_indicator.unit_of_measure IS 'Unit of the raw value (percent, count, yes/no, grade, ...)';
COMMENT ON COLUMN dti.framework_indicator.value_min IS 'Smallest allowed raw numeric value (NULL: no bound); loads reject values below';
COMMENT ON COLUMN dti.framework_indicator.value_max IS 'Largest allowed raw numeric value (NULL: no bound); loads reject values above';
COMMENT ON COLUMN dti.framework_indicator.scored IS 'False for nodes that are reported but carry no points (smart city under Decision 922)';
COMMENT ON COLUMN dti.framework_indicator.n_components IS 'Number of component indicators the decision lists under the node, when known';

CREATE TABLE dti.frozen_framework (
	framework_id integer PRIMARY KEY REFERENCES dti.framework (id),
	frozen_by name NOT NULL DEFAULT current_user,
	frozen_at timestamptz NOT NULL DEFAULT now(),
	reason text NOT NULL
);
COMMENT ON TABLE dti.frozen_framework IS
	'Frameworks used by a published result: a frozen framework and its indicators are read-only (changing them means a new version); rows are never removed';

-- A frozen framework and its indicators are read-only.
CREATE FUNCTION dti.framework_guard() RETURNS trigger
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
COMMENT ON FUNCTION dti.framework_guard() IS
	'Trigger function: refuses changes to a frozen framework and to its indicators';
CREATE TRIGGER framework_guard BEFORE UPDATE OR DELETE ON dti.framework
	FOR EACH ROW EXECUTE FUNCTION dti.framework_guard();
CREATE TRIGGER framework_indicator_guard BEFORE INSERT OR UPDATE OR DELETE ON dti.framework_indicator
	FOR EACH ROW EXECUTE FUNCTION dti.framework_guard();
CREATE TRIGGER frozen_framework_append_only BEFORE UPDATE OR DELETE ON dti.frozen_framework
	FOR EACH ROW EXECUTE FUNCTION dti.forbid_change();

CREATE SEQUENCE dti.framework_use_id_seq AS integer;
COMMENT ON SEQUENCE dti.framework_use_id_seq IS 'Identifiers of dti.framework_use';

CREATE TABLE dti.framework_use (
	id integer PRIMARY KEY DEFAULT nextval('dti.framework_use_id_seq'),
	level text NOT NULL CHECK (level IN ('nation', 'province', 'ministry', 'commune')),
	year integer NOT NULL CHECK (year BETWEEN 1900 AND 2999),
	framework_id integer NOT NULL REFERENCES dti.framework (id),
	assigned_by name NOT NULL DEFAULT current_user,
	assigned_at timestamptz NOT NULL DEFAULT now(),
	shipped boolean NOT NULL DEFAULT false
);
ALTER SEQUENCE dti.framework_use_id_seq OWNED BY dti.framework_use.id;
CREATE INDEX ON dti.framework_use (level, year, id);
COMMENT ON TABLE dti.framework_use IS
	'Which framework assesses each level in each year, as a history: the newest row for a level and year wins (see dti.framework_in_use); rows are never changed';

CREATE VIEW dti.framework_in_use AS
SELECT DISTINCT ON (u.level, u.year) u.level, u.year, u.framework_id, f.code, f.version, u.assigned_by, u.assigned_at
FROM dti.framework_use u JOIN dti.framework f ON f.id = u.framework_id
ORDER BY u.level, u.year, u.id DESC;
COMMENT ON VIEW dti.framework_in_use IS
	'The framework that assesses each level in each year (Decision 922 for provinces in 2021-2023); submissions are validated against it';

CREATE FUNCTION dti.framework_use_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM dti.framework f WHERE f.id = NEW.framework_id AND f.level = NEW.level) THEN
		RAISE EXCEPTION 'framework % does not assess level %', NEW.framework_id, NEW.level
			USING ERRCODE = 'check_violation',
				DETAIL = 'dti.framework_use must name a framework of the same level.',
				HINT = 'Pick a framework whose level column matches.';
	END IF;
	RETURN NEW;
END $$;
COMMENT ON FUNCTION dti.framework_use_check() IS 'Trigger function: a framework is used only for its own level';
CREATE TRIGGER framework_use_check BEFORE INSERT ON dti.framework_use
	FOR EACH ROW EXECUTE FUNCTION dti.framework_use_check();
CREATE TRIGGER framework_use_append_only BEFORE UPDATE OR DELETE ON dti.framework_use
	FOR EACH ROW EXECUTE FUNCTION dti.forbid_change();

CREATE FUNCTION dti.create_framework(code text, level text, years integer[], title_vi text,
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
COMMENT ON FUNCTION dti.create_framework(text, text, integer[], text, text, text, float8, text) IS
	'Creates the next version of a framework, uses it for the given years of its level, and makes it the default framework_id of dti.framework_indicator for the rest of the transaction (so that a COPY of the indicator rows follows); returns its id';

CREATE FUNCTION dti.freeze_framework(framework_id integer, reason text) RETURNS timestamptz
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	at timestamptz;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM dti.framework f WHERE f.id = freeze_framework.framework_id) THEN
		RAISE EXCEPTION 'no framework with id %', framework_id
			USING ERRCODE = 'no_data_found', DETAIL = 'dti.framework has no such row.',
				HINT = 'Look the id up in dti.framework.';
	END IF;
	INSERT INTO dti.frozen_framework (framework_id, reason)
	VALUES (freeze_framework.framework_id, freeze_framework.reason)
	ON CONFLICT ON CONSTRAINT frozen_framework_pkey DO NOTHING;
	SELECT z.frozen_at INTO at FROM dti.frozen_framework z WHERE z.framework_id = freeze_framework.framework_id;
	RETURN at;
END $$;
COMMENT ON FUNCTION dti.freeze_framework(integer, text) IS
	'Marks a framework as used by a published result (idempotent): from then on it and its indicators are read-only; returns when it was first frozen';

CREATE FUNCTION dti.new_framework_version(framework_id integer, note text DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	old dti.framework;
	new_id integer;
BEGIN
	SELECT * INTO old FROM dti.framework f WHERE f.id = new_framework_version.framework_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no framework with id %', framework_id
			USING ERRCODE = 'no_data_found', DETAIL = 'dti.framework has no such row.',
				HINT = 'Look the id up in dti.framework.';
	END IF;
	INSERT INTO dti.framework (code, version, level, decision, title_vi, title_en, aggregation, max_points, supersedes, note)
	SELECT old.code, max(f.version) + 1, old.level, old.decision, old.title_vi, old.title_en,
		   old.aggregation, old.max_points, old.id, new_framework_version.note
	FROM dti.framework f WHERE f.code = old.code
	RETURNING id INTO new_id;
	INSERT INTO dti.framework_indicator (framework_id, code, name_vi, name_en, group_name, max_points, weight,
										 rule, aggregation, unit_of_measure, value_min, value_max, scored, n_components)
	SELECT new_id, i.code, i.name_vi, i.name_en, i.group_name, i.max_points, i.weight,
		   i.rule, i.aggregation, i.unit_of_measure, i.value_min, i.value_max, i.scored, i.n_components
	FROM dti.framework_indicator i WHERE i.framework_id = old.id;
	PERFORM set_config('dti.framework_id', new_id::text, true);
	RETURN new_id;
END $$;
COMMENT ON FUNCTION dti.new_framework_version(integer, text) IS
	'Copies a framework and its indicators into a new, unfrozen version (not yet used for any year: see dti.use_framework); returns its id';

CREATE FUNCTION dti.use_framework(framework_id integer, years integer[]) RETURNS void
LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
BEGIN ATOMIC
	INSERT INTO dti.framework_use (level, year, framework_id)
	SELECT f.level, y, f.id FROM dti.framework f, unnest(use_framework.years) AS y
	WHERE f.id = use_framework.framework_id;
END;
COMMENT ON FUNCTION dti.use_framework(integer, integer[]) IS
	'Makes a framework the one that assesses its level in the given years';

-- The provincial framework of Decision 922/QĐ-BTTTT (assessments 2021-2023).
-- The nine main indicators are its shipped nodes; a submitted main-indicator
-- value in [0,1] scores as itself (rule ratio), as published.
-- Shipped rows carry fixed authors and dates (the decision's), so that every
-- installation holds the same rows.
INSERT INTO dti.framework (code, version, level, decision, title_vi, title_en, aggregation, max_points,
						   created_by, created_at, shipped, note)
VALUES ('922-province', 1, 'province', '922/QĐ-BTTTT',
		'Bộ chỉ số đánh giá chuyển đổi số cấp tỉnh', 'Provincial Digital Transformation Index',
		'sum_points', 1000, 'dti_warehouse', '2022-05-20 00:00:00+07', true,
		'DTI = total points / 1,000; main-indicator value = its points / its max points');

INSERT INTO dti.framework_indicator (framework_id, code, name_vi, name_en, group_name, max_points, rule,
									 aggregation, unit_of_measure, value_min, value_max, scored, n_components)
SELECT (SELECT id FROM dti.framework WHERE code = '922-province' AND version = 1),
	   f.code::indicator_code, f.name_vi, f.name_en, f."group", f.max_points::float8,
	   'ratio'::scoring_rule, 'sum_points', 'ratio', 0, 1, f.scored::boolean, f.components::integer
FROM
(VALUES
	 ('NT', 'foundation', 'Nhận thức số', 'Digital awareness', '10', '100', 'true')
	,('TC', 'foundation', 'Thể chế số', 'Digital institutions', '11', '100', 'true')
	,('HT', 'foundation', 'Hạ tầng số', 'Digital infrastructure', '7', '100', 'true')
	,('NL', 'foundation', 'Nhân lực số', 'Digital human resources', '13', '100', 'true')
	,('ATTT', 'foundation', 'An toàn thông tin mạng', 'Cyber-security', '12', '100', 'true')
	,('DTTM', 'foundation', 'Đô thị thông minh', 'Smart city', '3', '0', 'false')
	,('CQS', 'activity', 'Hoạt động chính quyền số', 'Digital-government activity', '22', '200', 'true')
	,('KTS', 'activity', 'Hoạt động kinh tế số', 'Digital-economy activity', '12', '150', 'true')
	,('XHS', 'activity', 'Hoạt động xã hội số', 'Digital-society activity', '8', '150', 'true')
) AS f ("code", "group", "name_vi", "name_en", "components", "max_points", "scored")
;

INSERT INTO dti.framework_use (level, year, framework_id, assigned_by, assigned_at, shipped)
SELECT 'province', y, f.id, 'dti_warehouse', '2022-05-20 00:00:00+07', true
FROM dti.framework f, generate_series(2021, 2023) AS y
WHERE f.code = '922-province' AND f.version = 1;

-- Optional mapping between indicators of two frameworks (922 -> 405, ...).
CREATE TABLE dti.indicator_map (
	from_framework_id integer NOT NULL,
	from_code indicator_code NOT NULL,
	to_framework_id integer NOT NULL,
	to_code indicator_code NOT NULL,
	share float8 NOT NULL DEFAULT 1 CHECK (share > 0 AND share <= 1),
	note text,
	PRIMARY KEY (from_framework_id, from_code, to_framework_id, to_code),
	FOREIGN KEY (from_framework_id, from_code) REFERENCES dti.framework_indicator (framework_id, code),
	FOREIGN KEY (to_framework_id, to_code) REFERENCES dti.framework_indicator (framework_id, code),
	CHECK (from_framework_id <> to_framework_id)
);
COMMENT ON TABLE dti.indicator_map IS
	'Correspondence between indicators of two frameworks (e.g. Decision 922 -> 405) for comparisons across versions; share is the part of the source indicator that goes to the target';

------------------------------------------------------------------------------
-- National targets
------------------------------------------------------------------------------

CREATE SEQUENCE dti.target_id_seq AS integer;
COMMENT ON SEQUENCE dti.target_id_seq IS 'Identifiers of dti.target';

CREATE TABLE dti.target (
	id integer PRIMARY KEY DEFAULT nextval('dti.target_id_seq'),
	decision text NOT NULL,
	pillar text NOT NULL,
	code text NOT NULL CHECK (code ~ '^[A-Z0-9_]+$'),
	name_en text NOT NULL,
	name_vi text,
	target_value float8 NOT NULL,
	unit_of_measure text NOT NULL,
	direction text NOT NULL CHECK (direction IN ('higher', 'lower')),
	deadline date NOT NULL,
	verified boolean NOT NULL,
	shipped boolean NOT NULL DEFAULT false,
	UNIQUE (code, deadline)
);
ALTER SEQUENCE dti.target_id_seq OWNED BY dti.target.id;
COMMENT ON TABLE dti.target IS
	'National digital-transformation targets (Decisions 749/QĐ-TTg and 411/QĐ-TTg) with deadline and direction (higher or lower is better)';
COMMENT ON COLUMN dti.target.direction IS 'higher: a higher value is better; lower: a lower value is better (ranks)';
COMMENT ON COLUMN dti.target.verified IS 'False for a widely cited figure that could not be read in the decision itself';

INSERT INTO dti.target (decision, pillar, code, name_en, target_value, unit_of_measure, direction, deadline, verified, shipped)
SELECT t.decision, t.pillar, t.target_code, t.name_en, t.target_value::float8, t.unit, t.direction,
	   t.deadline::date, t.verified = 'yes', true
FROM
(VALUES
	 ('749/QĐ-TTg', 'digital government', 'DVC_L4', 'Online public services at level 4', '80', 'percent', 'higher', '2025-12-31', 'yes')
	,('749/QĐ-TTg', 'digital government', 'DVC_L4', 'Online public services at level 4', '100', 'percent', 'higher', '2030-12-31', 'yes')
	,('749/QĐ-TTg', 'digital government', 'HS_ONLINE_PROV', 'Ministry and province work dossiers processed online', '90', 'percent', 'higher', '2025-12-31', 'yes')
	,('749/QĐ-TTg', 'digital government', 'HS_ONLINE_DIST', 'District work dossiers processed online', '80', 'percent', 'higher', '2025-12-31', 'yes')
	,('749/QĐ-TTg', 'digital government', 'HS_ONLINE_COMM', 'Commune work dossiers processed online', '60', 'percent', 'higher', '2025-12-31', 'yes')
	,('749/QĐ-TTg', 'digital government', 'EGDI_RANK', 'UN EGDI rank', '70', 'rank', 'lower', '2025-12-31', 'yes')
	,('749/QĐ-TTg', 'digital government', 'EGDI_RANK', 'UN EGDI rank', '50', 'rank', 'lower', '2030-12-31', 'yes')
	,('749/QĐ-TTg', 'digital economy', 'DE_GDP', 'Digital economy share of GDP', '20', 'percent', 'higher', '2025-12-31', 'yes')
	,('411/QĐ-TTg', 'digital economy', 'DE_GDP', 'Digital economy share of GDP', '30', 'percent', 'higher', '2030-12-31', 'yes')
	,('749/QĐ-TTg', 'digital economy', 'DE_SECTOR', 'Digital economy share in each sector', '10', 'percent', 'higher', '2025-12-31', 'yes')
	,('749/QĐ-TTg', 'digital economy', 'PROD_GROWTH', 'Labour productivity growth per year', '7', 'percent', 'higher', '2025-12-31', 'yes')
	,('749/QĐ-TTg', 'digital economy', 'IDI_RANK', 'ITU ICT Development Index rank', '50', 'rank', 'lower', '2025-12-31', 'yes')
	,('749/QĐ-TTg', 'digital economy', 'GII_RANK', 'Global Innovation Index rank', '35', 'rank', 'lower', '2025-12-31', 'yes')
	,('749/QĐ-TTg', 'digital society', 'FIBRE_HH', 'Households covered by fibre broadband', '80', 'percent', 'higher', '2025-12-31', 'yes')
	,('749/QĐ-TTg', 'digital society', 'FIBRE_COMMUNE', 'Communes covered by fibre broadband', '100', 'percent', 'higher', '2025-12-31', 'yes')
	,('749/QĐ-TTg', 'digital society', 'GCI_RANK', 'ITU Global Cybersecurity Index rank', '40', 'rank', 'lower', '2025-12-31', 'yes')
	,('749/QĐ-TTg', 'digital society', 'GCI_RANK', 'ITU Global Cybersecurity Index rank', '30', 'rank', 'lower', '2030-12-31', 'yes')
	,('749/QĐ-TTg', 'digital society', 'EPAY', 'Population using e-payment', '80', 'percent', 'higher', '2030-12-31', 'yes')
	,('749/QĐ-TTg', 'digital society', 'EPAY_ACCOUNT', 'Population with e-payment accounts', '50', 'percent', 'higher', '2025-12-31', 'no')
) AS t ("decision", "pillar", "target_code", "name_en", "target_value", "unit", "direction", "deadline", "verified")
;

-- sql/warehouse/30_submissions.sql
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
	staged_at timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE dti.staging_line_seq OWNED BY dti.staging.line;
CREATE INDEX ON dti.staging (staged_by, line);
COMMENT ON TABLE dti.staging IS
	'Landing table for portal CSV exports: COPY dti.staging (unit_code, year, indicator_code, raw_value, source, note) FROM ... CSV HEADER, then SELECT * FROM dti.load_staging(); each role sees and loads only its own rows';
COMMENT ON COLUMN dti.staging.year IS 'The period: a year (2024), a quarter (2024-Q1) or a month (2024-03)';
COMMENT ON COLUMN dti.staging.raw_value IS 'The value as text: a number with a decimal point, or a grade for grade rules';
COMMENT ON COLUMN dti.staging.status IS 'Initial status of the submission: submitted (default) or draft';

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
		'unknown_indicator', 'unparseable_value', 'out_of_range', 'duplicate', 'not_granted', 'bad_status')),
	reason text NOT NULL,
	rejected_by name NOT NULL DEFAULT current_user,
	rejected_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (load_id, line)
);
COMMENT ON TABLE dti.reject IS
	'Staged rows that a load refused, kept as they were with the reason; fix them and stage them again';
COMMENT ON COLUMN dti.reject.reason_code IS
	'unknown_unit, unknown_period, unit_not_valid (not valid in that period), unknown_indicator (not in that year''s framework), unparseable_value (for the indicator''s rule), out_of_range, duplicate (same unit, period and indicator more than once in the load), not_granted (unit not granted to the loading role), bad_status';
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
	submission_id bigint NOT NULL REFERENCES dti.submission (id),
	status text NOT NULL CHECK (status IN ('submitted', 'verified', 'rejected')),
	reason text,
	changed_by name NOT NULL DEFAULT current_user,
	changed_at timestamptz NOT NULL DEFAULT now(),
	CHECK (status <> 'rejected' OR nullif(btrim(reason), '') IS NOT NULL)
);
ALTER SEQUENCE dti.submission_status_id_seq OWNED BY dti.submission_status.id;
CREATE INDEX ON dti.submission_status (submission_id, id);
COMMENT ON TABLE dti.submission_status IS
	'Status changes of submission revisions, append-only: draft -> submitted (loader), submitted -> verified or rejected, verified -> rejected, rejected -> verified (verifier; a rejection needs a reason)';

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
	WHEN 'unknown_unit' THEN format('unknown unit code "%%s"', c.unit_code)
	WHEN 'unknown_period' THEN format('unknown period "%%s"', c.period)
	WHEN 'unit_not_valid' THEN format('unit %%s is not valid in period %%s', btrim(c.unit_code), c.p_label)
	WHEN 'unknown_indicator' THEN
		CASE WHEN c.framework_id IS NULL
			 THEN format('no framework assesses level %%s in %%s', c.u_level, c.p_year)
			 ELSE format('indicator "%%s" is not in framework %%s used for %%s in %%s',
						 c.indicator, c.framework_code, c.u_level, c.p_year) END
	WHEN 'unparseable_value' THEN
		CASE WHEN c.rule_kind = 'grade'
			 THEN format('value "%%s" is not a grade of rule %%s: %%s', c.raw_value, c.rule, c.grade_problem)
			 ELSE format('value "%%s" is not a number (rule %%s); write it with a decimal point', c.raw_value,
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
					HINT = 'Use an official code (GSO 2-digit code for provinces); dti.unit_code(name) finds it by name.';
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
COMMENT ON FUNCTION dti.submission_resolve_unit() IS
	'Trigger function: fills dti.submission.unit_id from unit_code and period, or raises a clear error';
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
	IF (current, NEW.status) NOT IN (('draft', 'submitted'), ('submitted', 'verified'), ('submitted', 'rejected'),
									 ('verified', 'rejected'), ('rejected', 'verified')) THEN
		RAISE EXCEPTION 'submission % cannot go from % to %', NEW.submission_id, current, NEW.status
			USING ERRCODE = 'invalid_transaction_state',
				DETAIL = 'Allowed: draft -> submitted, submitted -> verified or rejected, verified -> rejected, rejected -> verified.',
				HINT = 'A new value is a new revision: insert it into dti.submission.';
	END IF;
	RETURN NEW;
END $$;
COMMENT ON FUNCTION dti.submission_status_check() IS
	'Trigger function: enforces the status workflow of submissions';
CREATE TRIGGER submission_status_check BEFORE INSERT ON dti.submission_status
	FOR EACH ROW EXECUTE FUNCTION dti.submission_status_check();

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
		'SELECT v.*, s.year, s.indicator_code, s.source, s.note, s.status, s.unit_code AS staged_unit_code '
		'FROM (%s) v JOIN dti.staging s ON s.staged_by = current_user AND s.line = v.k',
		dti.validation_query(format(
			'SELECT s.line AS k, s.unit_code, NULL::integer AS unit_id, s.year AS period, s.indicator_code AS indicator, s.raw_value '
			'FROM dti.staging s WHERE s.staged_by = current_user AND s.line <= %L::bigint', last_line),
			true, true));

	INSERT INTO dti.reject (load_id, line, unit_code, year, indicator_code, raw_value, source, note, reason_code, reason)
	SELECT lid, c.k, c.staged_unit_code, c.year, c.indicator_code, c.raw_value, c.source, c.note,
		   CASE WHEN c.reason_code IS NULL THEN 'bad_status' ELSE c.reason_code END,
		   CASE WHEN c.reason_code IS NULL THEN format('status "%s" is not draft or submitted', c.status) ELSE c.reason END
	FROM pg_temp.dti_load_checked c
	WHERE c.reason_code IS NOT NULL OR c.status NOT IN ('draft', 'submitted');
	GET DIAGNOSTICS n_bad = ROW_COUNT;

	INSERT INTO dti.submission (unit_code, unit_id, period, indicator, raw_value, status, source, note, reason, load_id)
	SELECT c.unit_code, c.unit_id, c.period, c.indicator, btrim(c.raw_value), c.status, c.source, c.note,
		   coalesce(load_staging.note, format('load %s', lid)), lid
	FROM pg_temp.dti_load_checked c
	WHERE c.reason_code IS NULL AND c.status IN ('draft', 'submitted')
	ORDER BY c.k;
	GET DIAGNOSTICS n_ok = ROW_COUNT;

	DELETE FROM dti.staging s WHERE s.staged_by = current_user AND s.line <= last_line;

	SELECT coalesce(jsonb_object_agg(r.reason_code, r.n), '{}') INTO by_reason
	FROM (SELECT j.reason_code, count(*) AS n FROM dti.reject j WHERE j.load_id = lid GROUP BY j.reason_code) r;
	UPDATE dti.load l SET staged = n_staged, accepted = n_ok, rejected = n_bad, reasons = by_reason WHERE l.id = lid;
	DROP TABLE pg_temp.dti_load_checked;
	RETURN QUERY SELECT lid, n_staged, n_ok, n_bad, by_reason;
END $$;
COMMENT ON FUNCTION dti.load_staging(text) IS
	'Validates the caller''s staged rows in one set-based pass, moves the good ones into dti.submission (one revision each, with the note as reason), keeps the bad ones in dti.reject with their reason, empties the caller''s staging rows; returns the load id and the counts';

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

-- sql/warehouse/40_security.sql
-- Roles, unit grants for loaders, row-level security, privileges.
--
-- Four group roles (NOLOGIN), created at install by dti.create_roles() when
-- they do not exist yet (roles belong to the cluster, so a second database
-- reuses them; DROP EXTENSION leaves them):
--   dti_loader    stages and loads submissions, and revises them, only for the
--                 unit codes granted to it (dti.grant_unit) - row-level security;
--   dti_verifier  reads every submission and changes statuses (verify, reject
--                 with a reason), but cannot insert or change values;
--   dti_reader    reads the published views only (no raw submissions);
--   dti_admin     manages reference data, frameworks and grants; member of
--                 dti_loader and dti_verifier, writes every unit.
-- Give people login roles that are members of these.

CREATE FUNCTION dti.create_roles() RETURNS SETOF text
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r record;
BEGIN
	FOR r IN
		SELECT * FROM (VALUES
			('dti_loader', 'dti_warehouse: loads and revises submissions of the unit codes granted to it (dti.grant_unit)'),
			('dti_verifier', 'dti_warehouse: reads all submissions and changes their status (verify, reject with a reason), never their values'),
			('dti_reader', 'dti_warehouse: reads the published views only'),
			('dti_admin', 'dti_warehouse: manages reference data, frameworks and unit grants; member of dti_loader and dti_verifier')
		) AS v (rolname, description)
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles x WHERE x.rolname = r.rolname) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r.rolname);
			EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', r.rolname, r.description);
			RETURN NEXT r.rolname;
		END IF;
	END LOOP;
	IF NOT pg_catalog.pg_has_role('dti_admin', 'dti_loader', 'MEMBER') THEN
		EXECUTE pg_catalog.format('GRANT %I TO %I', 'dti_loader', 'dti_admin');
	END IF;
	IF NOT pg_catalog.pg_has_role('dti_admin', 'dti_verifier', 'MEMBER') THEN
		EXECUTE pg_catalog.format('GRANT %I TO %I', 'dti_verifier', 'dti_admin');
	END IF;
END $$;
COMMENT ON FUNCTION dti.create_roles() IS
	'Creates the group roles dti_loader, dti_verifier, dti_reader and dti_admin when missing, with their comments, and makes dti_admin a member of dti_loader and dti_verifier; runs at install (a role dropped later comes back with its privileges when the extension is reinstalled); returns the roles it created';
REVOKE EXECUTE ON FUNCTION dti.create_roles() FROM PUBLIC;

SELECT count(*) FROM dti.create_roles();

------------------------------------------------------------------------------
-- Unit grants
------------------------------------------------------------------------------

CREATE SEQUENCE dti.loader_grant_id_seq;
COMMENT ON SEQUENCE dti.loader_grant_id_seq IS 'Identifiers of dti.loader_grant';

CREATE TABLE dti.loader_grant (
	id bigint PRIMARY KEY DEFAULT nextval('dti.loader_grant_id_seq'),
	loader name NOT NULL,
	unit_code text NOT NULL,
	action text NOT NULL CHECK (action IN ('grant', 'revoke')),
	changed_by name NOT NULL DEFAULT current_user,
	changed_at timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE dti.loader_grant_id_seq OWNED BY dti.loader_grant.id;
CREATE INDEX ON dti.loader_grant (loader, unit_code, id);
COMMENT ON TABLE dti.loader_grant IS
	'History of unit grants to loader roles (append-only): the newest row for a role and unit code says whether the role may write that code''s submissions; a grant to a group role covers its members';
CREATE TRIGGER loader_grant_append_only BEFORE UPDATE OR DELETE ON dti.loader_grant
	FOR EACH ROW EXECUTE FUNCTION dti.forbid_change();

CREATE VIEW dti.loader_unit AS
SELECT l.loader, l.unit_code, l.changed_by AS granted_by, l.changed_at AS granted_at
FROM (SELECT DISTINCT ON (g.loader, g.unit_code) g.*
	  FROM dti.loader_grant g
	  ORDER BY g.loader, g.unit_code, g.id DESC) l
WHERE l.action = 'grant';
COMMENT ON VIEW dti.loader_unit IS 'Current grants: the unit codes each loader role may write (the newest action for the role and code is a grant)';

CREATE FUNCTION dti.grant_unit(loader name, unit_code text) RETURNS void
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = grant_unit.loader) THEN
		RAISE EXCEPTION 'role "%" does not exist', loader
			USING ERRCODE = 'undefined_object', DETAIL = 'Unit grants name an existing role.',
				HINT = 'Create the role first, e.g. CREATE ROLE ... LOGIN IN ROLE dti_loader.';
	END IF;
	IF NOT pg_catalog.pg_has_role(grant_unit.loader, 'dti_loader', 'MEMBER') THEN
		RAISE EXCEPTION 'role "%" is not a member of dti_loader', loader
			USING ERRCODE = 'invalid_grant_operation',
				DETAIL = 'Only loader roles write submissions.',
				HINT = format('GRANT dti_loader TO %I first.', loader);
	END IF;
	IF NOT EXISTS (SELECT 1 FROM dti.unit u WHERE u.code = grant_unit.unit_code) THEN
		RAISE EXCEPTION 'unknown unit code "%"', unit_code
			USING ERRCODE = 'foreign_key_violation', DETAIL = 'No unit in dti.unit has this code.',
				HINT = 'Use an official code; dti.unit_code(name) finds it by name.';
	END IF;
	INSERT INTO dti.loader_grant (loader, unit_code, action) VALUES (grant_unit.loader, grant_unit.unit_code, 'grant');
END $$;
COMMENT ON FUNCTION dti.grant_unit(name, text) IS
	'Lets a loader role (and its members) write submissions of every unit that carries the code (for provinces: the old and the new unit of that code)';

CREATE FUNCTION dti.revoke_unit(loader name, unit_code text) RETURNS void
LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
BEGIN ATOMIC
	INSERT INTO dti.loader_grant (loader, unit_code, action) VALUES (revoke_unit.loader, revoke_unit.unit_code, 'revoke');
END;
COMMENT ON FUNCTION dti.revoke_unit(name, text) IS
	'Withdraws a unit grant from a loader role (recorded as a new row of dti.loader_grant)';

CREATE FUNCTION dti.my_unit_codes() RETURNS text[]
LANGUAGE sql STABLE CALLED ON NULL INPUT PARALLEL SAFE
BEGIN ATOMIC
	SELECT coalesce(array_agg(DISTINCT c.unit_code), '{}')
	FROM dti.loader_unit c JOIN pg_catalog.pg_roles r ON r.rolname = c.loader
	WHERE pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'MEMBER');
END;
COMMENT ON FUNCTION dti.my_unit_codes() IS 'Unit codes the current role may write, through its own grants and those of the roles it belongs to';

CREATE FUNCTION dti.has_group(group_name name) RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
				   WHERE r.rolname = has_group.group_name AND pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'MEMBER'));
END;
COMMENT ON FUNCTION dti.has_group(name) IS 'True when the current role is a member of the named role (false when that role does not exist)';

CREATE FUNCTION dti.may_write_all() RETURNS boolean
LANGUAGE sql STABLE CALLED ON NULL INPUT PARALLEL SAFE
BEGIN ATOMIC
	SELECT dti.has_group('dti_admin')
		OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER AND (r.rolsuper OR r.rolbypassrls));
END;
COMMENT ON FUNCTION dti.may_write_all() IS 'True for dti_admin members, superusers and roles that bypass row-level security: they write every unit';

CREATE FUNCTION dti.may_read_all() RETURNS boolean
LANGUAGE sql STABLE CALLED ON NULL INPUT PARALLEL SAFE
BEGIN ATOMIC
	SELECT dti.may_write_all() OR dti.has_group('dti_verifier');
END;
COMMENT ON FUNCTION dti.may_read_all() IS 'True for verifiers and for the roles of dti.may_write_all(): they read every submission';

------------------------------------------------------------------------------
-- Row-level security
------------------------------------------------------------------------------

ALTER TABLE dti.submission ENABLE ROW LEVEL SECURITY;
ALTER TABLE dti.submission FORCE ROW LEVEL SECURITY;
CREATE POLICY submission_read ON dti.submission FOR SELECT
	USING ((SELECT dti.may_read_all()) OR unit_code = ANY ((SELECT dti.my_unit_codes())::text[]));
CREATE POLICY submission_write ON dti.submission FOR INSERT
	WITH CHECK ((SELECT dti.may_write_all()) OR unit_code = ANY ((SELECT dti.my_unit_codes())::text[]));

ALTER TABLE dti.submission_status ENABLE ROW LEVEL SECURITY;
ALTER TABLE dti.submission_status FORCE ROW LEVEL SECURITY;
CREATE POLICY submission_status_read ON dti.submission_status FOR SELECT
	USING ((SELECT dti.may_read_all())
		   OR EXISTS (SELECT 1 FROM dti.submission s WHERE s.id = submission_id));
CREATE POLICY submission_status_write ON dti.submission_status FOR INSERT
	WITH CHECK ((SELECT dti.may_write_all())
				OR ((SELECT dti.has_group('dti_verifier')) AND status IN ('submitted', 'verified', 'rejected'))
				OR (status = 'submitted'
					AND EXISTS (SELECT 1 FROM dti.submission s
								WHERE s.id = submission_id AND s.unit_code = ANY ((SELECT dti.my_unit_codes())::text[]))));

ALTER TABLE dti.staging ENABLE ROW LEVEL SECURITY;
ALTER TABLE dti.staging FORCE ROW LEVEL SECURITY;
CREATE POLICY staging_own ON dti.staging
	USING (staged_by = CURRENT_USER) WITH CHECK (staged_by = CURRENT_USER);

ALTER TABLE dti.reject ENABLE ROW LEVEL SECURITY;
ALTER TABLE dti.reject FORCE ROW LEVEL SECURITY;
CREATE POLICY reject_read ON dti.reject FOR SELECT
	USING (rejected_by = CURRENT_USER OR (SELECT dti.may_read_all()));
CREATE POLICY reject_write ON dti.reject FOR INSERT
	WITH CHECK (rejected_by = CURRENT_USER);

ALTER TABLE dti.load ENABLE ROW LEVEL SECURITY;
ALTER TABLE dti.load FORCE ROW LEVEL SECURITY;
CREATE POLICY load_read ON dti.load FOR SELECT
	USING (loaded_by = CURRENT_USER OR (SELECT dti.may_read_all()));
CREATE POLICY load_write ON dti.load FOR INSERT
	WITH CHECK (loaded_by = CURRENT_USER);
CREATE POLICY load_update ON dti.load FOR UPDATE
	USING (loaded_by = CURRENT_USER) WITH CHECK (loaded_by = CURRENT_USER);

------------------------------------------------------------------------------
-- Privileges
------------------------------------------------------------------------------

GRANT USAGE ON SCHEMA dti TO dti_loader, dti_verifier, dti_reader, dti_admin;

-- Reference data: read by loaders and verifiers, managed by admins.
GRANT SELECT ON dti.unit, dti.unit_name, dti.unit_succession, dti.succession_rule, dti.succession_weight,
	dti.period, dti.framework, dti.framework_indicator, dti.framework_use, dti.frozen_framework,
	dti.indicator_map, dti.target, dti.loader_grant, dti.unit_boundary,
	dti.province, dti.succession_share, dti.framework_in_use, dti.loader_unit
	TO dti_loader, dti_verifier;
GRANT INSERT, UPDATE ON dti.unit, dti.unit_name, dti.unit_succession, dti.succession_rule, dti.succession_weight,
	dti.period, dti.framework, dti.framework_indicator, dti.indicator_map, dti.target
	TO dti_admin;
GRANT INSERT ON dti.framework_use, dti.frozen_framework, dti.loader_grant, dti.unit_boundary TO dti_admin;
GRANT USAGE ON SEQUENCE dti.unit_id_seq, dti.framework_id_seq, dti.framework_use_id_seq, dti.target_id_seq,
	dti.loader_grant_id_seq TO dti_admin;

-- Submissions: loaders insert revisions (never created_by/created_at, which
-- default to who and when), verifiers insert status events.
GRANT SELECT ON dti.submission, dti.submission_status, dti.reject, dti.load,
	dti.submission_history, dti.current_submission, dti.current_verified
	TO dti_loader, dti_verifier;
GRANT INSERT (unit_code, unit_id, period, indicator, raw_value, status, source, note, reason, load_id)
	ON dti.submission TO dti_loader;
GRANT INSERT (submission_id, status, reason) ON dti.submission_status TO dti_loader, dti_verifier;
GRANT SELECT, DELETE, INSERT (unit_code, year, indicator_code, raw_value, source, note, status)
	ON dti.staging TO dti_loader;
GRANT INSERT (load_id, line, unit_code, year, indicator_code, raw_value, source, note, reason_code, reason)
	ON dti.reject TO dti_loader;
GRANT INSERT (note), UPDATE (staged, accepted, rejected, reasons) ON dti.load TO dti_loader;
GRANT USAGE ON SEQUENCE dti.submission_id_seq, dti.staging_line_seq, dti.load_id_seq TO dti_loader;
GRANT USAGE ON SEQUENCE dti.submission_status_id_seq TO dti_loader, dti_verifier;

-- Functions that change data or roles are not for everyone.
REVOKE EXECUTE ON FUNCTION dti.grant_unit(name, text), dti.revoke_unit(name, text),
	dti.add_ministry(text, text, text, boolean, date, text),
	dti.set_succession_rule(text, text, text),
	dti.create_framework(text, text, integer[], text, text, text, float8, text),
	dti.freeze_framework(integer, text), dti.new_framework_version(integer, text),
	dti.use_framework(integer, integer[]),
	dti.load_boundaries(text, jsonb, date, text, text), dti.dissolve_boundaries(text, text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.grant_unit(name, text), dti.revoke_unit(name, text),
	dti.add_ministry(text, text, text, boolean, date, text),
	dti.set_succession_rule(text, text, text),
	dti.create_framework(text, text, integer[], text, text, text, float8, text),
	dti.freeze_framework(integer, text), dti.new_framework_version(integer, text),
	dti.use_framework(integer, integer[]),
	dti.load_boundaries(text, jsonb, date, text, text), dti.dissolve_boundaries(text, text, date) TO dti_admin;
REVOKE EXECUTE ON FUNCTION dti.load_staging(text), dti.set_status(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.load_staging(text) TO dti_loader;
GRANT EXECUTE ON FUNCTION dti.set_status(bigint, text, text) TO dti_loader, dti_verifier;

-- sql/warehouse/50_views.sql
-- Published views for BI tools and the dti_reader role: standard types only
-- (text, integer, double precision, date, timestamptz, boolean) and
-- Vietnamese names with diacritics.  They run with the rights of their owner,
-- so a reader sees them whole without any right on the tables below.

CREATE VIEW dti."đơn_vị" AS
SELECT u.code AS "mã", u.level AS "cấp", u.kind AS "loại", u.name_vi AS "tên", u.full_name_vi AS "tên_đầy_đủ",
	   u.name_ascii AS "tên_không_dấu", p.code AS "mã_đơn_vị_cha", p.name_vi AS "đơn_vị_cha",
	   u.valid_from AS "hiệu_lực_từ", u.valid_to AS "hiệu_lực_đến"
FROM dti.unit u LEFT JOIN dti.unit p ON p.id = u.parent_id;
COMMENT ON VIEW dti."đơn_vị" IS 'Published: units (nation, regions, provinces 63 and 34, ministries, communes) with their parent (the region of a province)';
COMMENT ON COLUMN dti."đơn_vị"."mã" IS 'Official code (GSO code for provinces)';
COMMENT ON COLUMN dti."đơn_vị"."cấp" IS 'Level: nation, region, province, ministry_group, ministry, commune';
COMMENT ON COLUMN dti."đơn_vị"."loại" IS 'Kind: city or province for provinces';
COMMENT ON COLUMN dti."đơn_vị"."tên" IS 'Short Vietnamese name';
COMMENT ON COLUMN dti."đơn_vị"."tên_đầy_đủ" IS 'Full official Vietnamese name';
COMMENT ON COLUMN dti."đơn_vị"."tên_không_dấu" IS 'Name without diacritics, for search';
COMMENT ON COLUMN dti."đơn_vị"."mã_đơn_vị_cha" IS 'Code of the parent unit (the socio-economic region of a province)';
COMMENT ON COLUMN dti."đơn_vị"."đơn_vị_cha" IS 'Name of the parent unit';
COMMENT ON COLUMN dti."đơn_vị"."hiệu_lực_từ" IS 'First day of validity (-infinity: always)';
COMMENT ON COLUMN dti."đơn_vị"."hiệu_lực_đến" IS 'Last day of validity (infinity: still valid)';

CREATE VIEW dti."kế_thừa_đơn_vị" AS
SELECT s.predecessor_code AS "mã_đơn_vị_cũ", s.predecessor_name AS "đơn_vị_cũ",
	   s.successor_code AS "mã_đơn_vị_mới", s.successor_name AS "đơn_vị_mới",
	   s.effective AS "ngày_hiệu_lực", s.method AS "cách_quy_đổi", s.share AS "tỷ_trọng"
FROM dti.succession_share s;
COMMENT ON VIEW dti."kế_thừa_đơn_vị" IS 'Published: which old unit became which new unit, and its share in the carried value';
COMMENT ON COLUMN dti."kế_thừa_đơn_vị"."mã_đơn_vị_cũ" IS 'Code of the old unit';
COMMENT ON COLUMN dti."kế_thừa_đơn_vị"."đơn_vị_cũ" IS 'Name of the old unit';
COMMENT ON COLUMN dti."kế_thừa_đơn_vị"."mã_đơn_vị_mới" IS 'Code of the new unit';
COMMENT ON COLUMN dti."kế_thừa_đơn_vị"."đơn_vị_mới" IS 'Name of the new unit';
COMMENT ON COLUMN dti."kế_thừa_đơn_vị"."ngày_hiệu_lực" IS 'First day of the new unit';
COMMENT ON COLUMN dti."kế_thừa_đơn_vị"."cách_quy_đổi" IS 'mean (official, unweighted) or weighted_mean';
COMMENT ON COLUMN dti."kế_thừa_đơn_vị"."tỷ_trọng" IS 'Share of the old unit in the value of the new one';

CREATE VIEW dti."khung_chỉ_số" AS
SELECT f.code AS "khung", f.version AS "phiên_bản", f.level AS "cấp", f.decision AS "quyết_định",
	   i.code::text AS "mã_chỉ_số", i.name_vi AS "tên_chỉ_số", i.name_en AS "tên_tiếng_anh",
	   i.group_name AS "nhóm", i.max_points AS "điểm_tối_đa", i.weight AS "trọng_số",
	   i.rule::text AS "quy_tắc_chấm", i.unit_of_measure AS "đơn_vị_đo", i.scored AS "tính_điểm",
	   z.framework_id IS NOT NULL AS "đã_khóa"
FROM dti.framework f
JOIN dti.framework_indicator i ON i.framework_id = f.id
LEFT JOIN dti.frozen_framework z ON z.framework_id = f.id;
COMMENT ON VIEW dti."khung_chỉ_số" IS 'Published: frameworks and their indicators';
COMMENT ON COLUMN dti."khung_chỉ_số"."khung" IS 'Framework code (e.g. 922-province)';
COMMENT ON COLUMN dti."khung_chỉ_số"."phiên_bản" IS 'Framework version';
COMMENT ON COLUMN dti."khung_chỉ_số"."cấp" IS 'Level it assesses';
COMMENT ON COLUMN dti."khung_chỉ_số"."quyết_định" IS 'Decision that set it';
COMMENT ON COLUMN dti."khung_chỉ_số"."mã_chỉ_số" IS 'Indicator code';
COMMENT ON COLUMN dti."khung_chỉ_số"."tên_chỉ_số" IS 'Vietnamese name of the indicator';
COMMENT ON COLUMN dti."khung_chỉ_số"."tên_tiếng_anh" IS 'English name of the indicator';
COMMENT ON COLUMN dti."khung_chỉ_số"."nhóm" IS 'Group of the indicator';
COMMENT ON COLUMN dti."khung_chỉ_số"."điểm_tối_đa" IS 'Maximum points';
COMMENT ON COLUMN dti."khung_chỉ_số"."trọng_số" IS 'Weight among siblings (empty: by maximum points)';
COMMENT ON COLUMN dti."khung_chỉ_số"."quy_tắc_chấm" IS 'Scoring rule as text';
COMMENT ON COLUMN dti."khung_chỉ_số"."đơn_vị_đo" IS 'Unit of the raw value';
COMMENT ON COLUMN dti."khung_chỉ_số"."tính_điểm" IS 'False for indicators reported but not scored';
COMMENT ON COLUMN dti."khung_chỉ_số"."đã_khóa" IS 'True when a published result used the framework (it can no longer change)';

CREATE VIEW dti."giá_trị_đã_xác_minh" AS
WITH revision AS (
	SELECT s.id, s.unit_id, s.period, s.indicator, s.raw_value, s.value,
		   row_number() OVER (PARTITION BY s.unit_id, s.period, s.indicator ORDER BY s.id) AS revision,
		   coalesce(st.status, s.status) AS status, st.changed_by, st.changed_at
	FROM dti.submission s
	LEFT JOIN LATERAL (
		SELECT t.status, t.changed_by, t.changed_at FROM dti.submission_status t
		WHERE t.submission_id = s.id ORDER BY t.id DESC LIMIT 1) st ON true
)
SELECT DISTINCT ON (r.unit_id, r.period, r.indicator)
	   u.code AS "mã_đơn_vị", u.name_vi AS "tên_đơn_vị", r.period AS "kỳ", p.year AS "năm",
	   r.indicator::text AS "mã_chỉ_số", r.raw_value AS "giá_trị_gốc", r.value AS "giá_trị",
	   r.revision::integer AS "lần_sửa", r.changed_by::text AS "người_xác_minh", r.changed_at AS "thời_điểm_xác_minh"
FROM revision r
JOIN dti.unit u ON u.id = r.unit_id
JOIN dti.period p ON p.label = r.period
WHERE r.status = 'verified'
ORDER BY r.unit_id, r.period, r.indicator, r.id DESC;
COMMENT ON VIEW dti."giá_trị_đã_xác_minh" IS 'Published: the current verified value of every unit, period and indicator';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."mã_đơn_vị" IS 'Unit code';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."tên_đơn_vị" IS 'Unit name';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."kỳ" IS 'Period (2024, 2024-Q1, 2024-03)';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."năm" IS 'Year of the period';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."mã_chỉ_số" IS 'Indicator code';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."giá_trị_gốc" IS 'Value as submitted (a number or a grade)';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."giá_trị" IS 'Numeric value (empty for grades)';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."lần_sửa" IS 'Revision number of the value';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."người_xác_minh" IS 'Role that verified it';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."thời_điểm_xác_minh" IS 'When it was verified';

CREATE VIEW dti."mục_tiêu_quốc_gia" AS
SELECT t.decision AS "quyết_định", t.pillar AS "trụ_cột", t.code AS "mã_mục_tiêu", t.name_en AS "tên_tiếng_anh",
	   t.target_value AS "giá_trị_mục_tiêu", t.unit_of_measure AS "đơn_vị_đo",
	   CASE t.direction WHEN 'higher' THEN 'càng cao càng tốt' ELSE 'càng thấp càng tốt' END AS "chiều",
	   t.deadline AS "thời_hạn", t.verified AS "đã_đối_chiếu"
FROM dti.target t;
COMMENT ON VIEW dti."mục_tiêu_quốc_gia" IS 'Published: national digital-transformation targets with deadline and direction';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."quyết_định" IS 'Decision that set the target';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."trụ_cột" IS 'Pillar (digital government, economy, society)';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."mã_mục_tiêu" IS 'Target code';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."tên_tiếng_anh" IS 'English name';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."giá_trị_mục_tiêu" IS 'Target value';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."đơn_vị_đo" IS 'Unit (percent, rank)';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."chiều" IS 'Whether higher or lower is better';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."thời_hạn" IS 'Deadline';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."đã_đối_chiếu" IS 'False for a widely cited figure not read in the decision itself';

GRANT SELECT ON dti."đơn_vị", dti."kế_thừa_đơn_vị", dti."khung_chỉ_số", dti."giá_trị_đã_xác_minh",
	dti."mục_tiêu_quốc_gia" TO dti_reader, dti_loader, dti_verifier;

-- sql/warehouse/90_dump.sql
-- Backups: every table that holds user data is registered with
-- pg_extension_config_dump, so that a plain pg_dump keeps it.  Tables that
-- also hold rows shipped by this script dump only the rows users added
-- (WHERE NOT shipped): CREATE EXTENSION recreates the shipped ones, with the
-- same ids because the script is deterministic.  Shipped rows are never
-- changed in place (frameworks are frozen in dti.frozen_framework, framework
-- use and grants are histories), so nothing users did to them is lost.
-- The sequences are registered too, so that new ids continue after a restore.

SELECT pg_catalog.pg_extension_config_dump('dti.unit', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.unit_name', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.unit_succession', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.succession_rule', '');
SELECT pg_catalog.pg_extension_config_dump('dti.succession_weight', '');
SELECT pg_catalog.pg_extension_config_dump('dti.period', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.framework', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.framework_indicator',
	'WHERE framework_id NOT IN (SELECT f.id FROM dti.framework f WHERE f.shipped)');
SELECT pg_catalog.pg_extension_config_dump('dti.frozen_framework', '');
SELECT pg_catalog.pg_extension_config_dump('dti.framework_use', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.indicator_map', '');
SELECT pg_catalog.pg_extension_config_dump('dti.target', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.unit_boundary', '');
SELECT pg_catalog.pg_extension_config_dump('dti.loader_grant', '');
SELECT pg_catalog.pg_extension_config_dump('dti.load', '');
SELECT pg_catalog.pg_extension_config_dump('dti.staging', '');
SELECT pg_catalog.pg_extension_config_dump('dti.reject', '');
SELECT pg_catalog.pg_extension_config_dump('dti.submission', '');
SELECT pg_catalog.pg_extension_config_dump('dti.submission_status', '');

SELECT pg_catalog.pg_extension_config_dump('dti.unit_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.framework_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.framework_use_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.target_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.loader_grant_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.load_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.staging_line_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.submission_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.submission_status_id_seq', '');
