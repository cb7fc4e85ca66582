-- Every province name of the published DTI 2022 ranking and every shapeName
-- of the geoBoundaries layer resolves to exactly one unit code through the
-- names table and dti.normalize_name().
SET client_min_messages = warning;  -- the NOTICEs depend on which test runs first
CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE;
RESET client_min_messages;

-- The normalisation, step by step.
SELECT n, dti.normalize_name(n) AS normalized, lower(dti.ascii_name(dti.normalize_name(n))) AS search
FROM (VALUES ('TP. Hồ Chí Minh'), ('Thành phố Hồ Chí Minh'), ('TP.Hồ Chí Minh'), ('Thừa Thiên - Huế'),
			 ('Thừa Thiên Huế'), ('Khánh Hòa'), ('Tỉnh Khánh Hoà'), ('THANH HÓA'), ('Thanh  Hoá'),
			 ('Bà Rịa-Vũng Tàu'), ('Đắk Lắk'), (normalize('Đắk Lắk', NFD)), ('Ðà Nẵng'), ('Thủy Nguyên'), ('Thuỷ Nguyên'),
			 ('Hòa Bình'), ('hoà bình'), ('Quảng Ngãi')) AS t (n);
SELECT v FROM dti.name_variants('Thành phố Thủy Nguyên') AS v;
SELECT v FROM dti.name_variants('Tỉnh Khánh Hoà') AS v;
SELECT dti.ascii_name('Thành phố Hồ Chí Minh'), dti.ascii_name('Đắk Lắk'), dti.ascii_name(normalize('Đắk Lắk', NFD));

CREATE TEMP TABLE ranking (rank integer, province text);
\copy ranking FROM PROGRAM 'cat "$PG_ABS_SRCDIR/data/dti_province_2022_rank_order.csv"' (FORMAT csv, HEADER true)
CREATE TEMP TABLE geo (shape_name text, shape_iso text);
\copy geo FROM PROGRAM 'cat "$PG_ABS_SRCDIR/data/geoboundaries_vnm_adm1_names.csv"' (FORMAT csv, HEADER true)
SELECT (SELECT count(*) FROM ranking) AS ranking_names, (SELECT count(*) FROM geo) AS geo_names;

-- Each name, as of 2022: the codes it matches (exactly one each).
SELECT 'ranking' AS list, r.province AS name, count(DISTINCT f.code) AS codes, min(f.code) AS code
FROM ranking r LEFT JOIN LATERAL dti.find_units(r.province, '2022-12-31') f ON f.level = 'province'
GROUP BY r.province HAVING count(DISTINCT f.code) <> 1
UNION ALL
SELECT 'geo', g.shape_name, count(DISTINCT f.code), min(f.code)
FROM geo g LEFT JOIN LATERAL dti.find_units(g.shape_name, '2022-12-31') f ON f.level = 'province'
GROUP BY g.shape_name HAVING count(DISTINCT f.code) <> 1;

-- The ranking covers the 63 provinces once each; the 64 features cover them
-- too, Côn Đảo with Bà Rịa - Vũng Tàu (77).
SELECT count(DISTINCT dti.unit_code(province, '2022-12-31')) AS ranking_codes FROM ranking;
SELECT count(DISTINCT dti.unit_code(shape_name, '2022-12-31')) AS geo_codes FROM geo;
SELECT shape_name, dti.unit_code(shape_name, '2022-12-31') AS code FROM geo
WHERE dti.unit_code(shape_name, '2022-12-31') IN ('77', '46', '79', '17', '38', '56') ORDER BY code, shape_name;
SELECT province, dti.unit_code(province, '2022-12-31') AS code FROM ranking WHERE province LIKE 'TP.%' OR province LIKE '%-%' ORDER BY code;

-- Names also resolve after the merger, to the new codes; search without
-- diacritics works; unknown and ambiguous names raise clear errors.
SELECT n, dti.unit_code(n, '2025-08-01') AS code_after, dti.unit_code(n, '2024-12-31') AS code_before
FROM (VALUES ('Lào Cai'), ('Tây Ninh'), ('An Giang'), ('Bắc Ninh'), ('Huế'), ('TP. Hồ Chí Minh'), ('Khánh Hòa')) AS t (n);
SELECT dti.unit_code('thua thien hue', '2022-01-01') AS ascii_1, dti.unit_code('BA RIA VUNG TAU', '2022-01-01') AS ascii_2;
SELECT dti.unit_code('Quảng Nam', '2025-08-01');
SELECT dti.unit_code('Atlantis', '2022-01-01');
SELECT * FROM dti.find_units('Lào Cai') ORDER BY valid_from;
SELECT dti.unit_code('Lào Cai', NULL);
