-- dti_warehouse maps: contracts of the map views, the GeoJSON function,
-- neighbours, region aggregates and the layer loader; errors with SQLSTATE;
-- geometry only in the map views.
BEGIN;
SELECT plan(35);

SELECT lives_ok('CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE', 'dti_warehouse installs');
SET LOCAL client_min_messages = warning;

SELECT has_view('dti', 'score_map', 'map view of scores');
SELECT has_view('dti', 'merged_map', 'map view of the 2025 merger');
SELECT has_view('dti', 'region_summary', 'region aggregates');
SELECT has_view('dti', 'region_map', 'map view of the regions');
SELECT has_view('dti', 'published_comparison', 'published vs computed');
SELECT has_function('dti', 'map_geojson', ARRAY['text', 'text', 'text', 'text', 'boolean']);
SELECT has_function('dti', 'neighbours', ARRAY['text', 'text', 'text', 'text']);
SELECT has_function('dti', 'load_boundary_layer', ARRAY['text', 'jsonb', 'date', 'text', 'text']);
SELECT col_type_is('dti', 'score_map', 'geom', 'geometry(MultiPolygon,4326)', 'the map view keeps the geometry type for QGIS');
SELECT col_type_is('dti', 'merged_map', 'geom', 'geometry(MultiPolygon,4326)', 'the merger map keeps the geometry type');

-- Geometry appears only in the map views; the other BI views keep standard types.
SELECT is_empty($$
	SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	WHERE c.relnamespace = 'dti'::regnamespace AND c.relkind = 'v' AND a.attnum > 0
	  AND a.atttypid = 'geometry'::regtype AND c.relname NOT LIKE '%\_map'$$,
	'no geometry outside the map views');
SELECT is_empty($$
	SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
	FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	WHERE c.relnamespace = 'dti'::regnamespace AND c.relkind = 'v' AND a.attnum > 0
	  AND c.relname IN ('score_map', 'merged_map', 'region_summary', 'region_map', 'published_comparison')
	  AND a.atttypid NOT IN ('text'::regtype, 'integer'::regtype, 'numeric'::regtype, 'boolean'::regtype,
							 'geometry'::regtype)$$,
	'the new views use text, integer, numeric, boolean and (maps) geometry only');
SELECT volatility_is('dti', 'map_geojson', ARRAY['text', 'text', 'text', 'text', 'boolean'], 'stable',
	'map_geojson is STABLE');
SELECT volatility_is('dti', 'value_class', ARRAY['numeric'], 'immutable', 'value_class is IMMUTABLE');

-- The shipped layer.
SELECT results_eq(
	$$SELECT u.level, count(*)::integer, bool_and(ST_IsValid(b.geom)), min(ST_SRID(b.geom))
	  FROM dti.unit_boundary b JOIN dti.unit u ON u.id = b.unit_id WHERE b.layer = 'geoboundaries'
	  GROUP BY u.level ORDER BY u.level$$,
	$$VALUES ('province', 97, true, 4326), ('region', 6, true, 4326)$$,
	'geoboundaries: 63 + 34 provinces and 6 regions, all valid, SRID 4326');
SELECT set_eq(
	$$SELECT unit_code FROM dti.neighbours('Hà Nội', '2023')$$,
	ARRAY['17', '19', '24', '25', '26', '27', '33', '35'],
	'Hà Nội borders Hòa Bình, Thái Nguyên, Bắc Giang, Phú Thọ, Vĩnh Phúc, Bắc Ninh, Hưng Yên and Hà Nam');
SELECT set_eq(
	$$SELECT unit_code FROM dti.neighbours('Thành phố Hồ Chí Minh', '2026')$$,
	ARRAY['68', '75', '80', '82'],
	'after the merger Hồ Chí Minh borders Lâm Đồng, Đồng Nai, Tây Ninh and Đồng Tháp');
SELECT is((SELECT count(*)::integer FROM dti.neighbours('Hà Nội', '2025')), 5,
	'docs/bi.md: Hà Nội has 8 neighbours in 2024 and 5 in 2025 (after the merger)');
SELECT is((SELECT count(*)::integer FROM dti.neighbours('Hà Nội', '2023') n
		   JOIN dti.neighbours('Hưng Yên', '2023') m ON m.unit_code = '01' AND n.unit_code = '33'
		   WHERE n.border_km = m.border_km), 1, 'a shared border has the same length seen from both sides');

-- Scores, GeoJSON and region aggregates on a small framework in 2030 (34 units).
SELECT ok(dti.create_framework('map-test', 'province', ARRAY[2030], 'Khung bản đồ', max_points => 10) > 0, 'framework');
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES ('A', 'Chỉ số A', 10, 'ratio');
INSERT INTO dti.submission (unit_code, period, indicator, raw_value)
VALUES ('01', '2030', 'A', '0.9'), ('19', '2030', 'A', '0.6'), ('79', '2030', 'A', '0.7'), ('75', '2030', 'A', '0.7');
DO $$ BEGIN PERFORM dti.set_status(s.id, 'verified') FROM dti.submission s WHERE s.period = '2030'; END $$;
CALL dti.refresh('2030');

SELECT results_eq(
	$$SELECT f ->> 'id', (f -> 'properties' ->> 'rank')::integer, (f -> 'properties' ->> 'value')::numeric,
			 f -> 'properties' ->> 'class', f -> 'geometry' ->> 'type'
	  FROM jsonb_array_elements(dti.map_geojson('2030', 'map-test') -> 'features') f ORDER BY f ->> 'id'$$,
	$$VALUES ('01', 1, 0.9000, 'Rất cao', 'MultiPolygon'), ('19', 4, 0.6000, 'Cao', 'MultiPolygon'),
			 ('75', 2, 0.7000, 'Cao', 'MultiPolygon'), ('79', 2, 0.7000, 'Cao', 'MultiPolygon')$$,
	'GeoJSON features carry value, rank and class; ties share a rank');
SELECT set_eq(
	$$SELECT jsonb_object_keys(dti.map_geojson('2030', 'map-test') -> 'features' -> 0 -> 'properties')$$,
	ARRAY['unit_code', 'unit', 'region', 'period', 'framework', 'indicator', 'name_vi', 'value', 'rank', 'rank_change', 'class'],
	'the property keys BI region maps read');
SELECT is(dti.map_geojson('2030', 'no-such-framework'), '{"type": "FeatureCollection", "features": []}'::jsonb,
	'an empty FeatureCollection when nothing is scored');
SELECT results_eq(
	$$SELECT unit_code, value, rank, value_diff FROM dti.neighbours('01', '2030') WHERE value IS NOT NULL$$,
	$$VALUES ('19', 0.6000, 4, -0.3000)$$,
	'neighbours carry their scores and the difference from the province');
SELECT results_eq(
	$$SELECT region, provinces, mean_value, best_unit, rank FROM dti.region_summary
	  WHERE period = '2030' AND framework = 'map-test' AND code = 'DTI' ORDER BY rank$$,
	$$SELECT r.name_vi, x.n, x.mean, x.best, x.rank
	  FROM (VALUES ('R1', 1, 0.9000, 'Hà Nội', 1), ('R5', 2, 0.7000, 'Đồng Nai', 2), ('R2', 1, 0.6000, 'Thái Nguyên', 3))
		   AS x (code, n, mean, best, rank)
	  JOIN dti.unit r ON r.code = x.code ORDER BY x.rank$$,
	'region aggregates: provinces, mean, best province, rank');

-- The rank change across the 2025 merger: the map view, the GeoJSON and
-- the neighbours say what the rankings say (a unit formed in the merger:
-- its predecessors' carried rank; up to dti_warehouse 0.8.0 the maps and
-- neighbours had none), and across a framework change what dti.score_long
-- says (the index always; another indicator only through the mapping).
SELECT ok(dti.create_framework('merge-test', 'province', ARRAY[2024, 2025], 'Khung sáp nhập', max_points => 10) > 0, 'a framework for 2024 and 2025');
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES ('A', 'Chỉ số A', 10, 'ratio');
INSERT INTO dti.submission (unit_code, period, indicator, raw_value)
SELECT u.code, y.period, 'A', ((u.code::integer * y.k) % 97 / 100.0)::text
FROM (VALUES ('2024', 37, '2024-12-31'::date), ('2025', 53, '2025-12-31')) y (period, k, ends)
JOIN dti.unit u ON u.level = 'province' AND y.ends BETWEEN u.valid_from AND u.valid_to;
DO $$ BEGIN PERFORM dti.set_status(s.id, 'verified') FROM dti.submission s WHERE s.period IN ('2024', '2025'); END $$;
CALL dti.refresh('2024');
CALL dti.refresh('2025');
SELECT is((SELECT count(rank_change)::integer FROM dti.province_ranking WHERE period = '2025' AND framework = 'merge-test'),
	34, 'the 2025 ranking has a rank change for each of the 34 units (carried across the merger)');
SELECT set_eq(
	$$SELECT unit_code, rank_change FROM dti.score_map WHERE layer = 'geoboundaries' AND period = '2025' AND code = 'DTI'$$,
	$$SELECT unit_code, rank_change FROM dti.province_ranking WHERE period = '2025' AND framework = 'merge-test'$$,
	'dti.score_map: the rank change of the ranking, for every unit of 2025');
SELECT set_eq(
	$$SELECT unit_code, rank_change FROM dti.score_map WHERE layer = 'geoboundaries' AND period = '2025' AND code = 'A'$$,
	$$SELECT unit_code, rank_change FROM dti.score_long WHERE period = '2025' AND code = 'A'$$,
	'dti.score_map: the rank change of dti.score_long for a main indicator');
SELECT set_eq(
	$$SELECT f ->> 'id', (f -> 'properties' ->> 'rank_change')::integer
	  FROM jsonb_array_elements(dti.map_geojson('2025', 'merge-test') -> 'features') f$$,
	$$SELECT unit_code, rank_change FROM dti.province_ranking WHERE period = '2025' AND framework = 'merge-test'$$,
	'dti.map_geojson(): the rank change of the ranking');
SELECT set_eq(
	$$SELECT unit_code, rank_change FROM dti.neighbours('79', '2025')$$,
	$$SELECT unit_code, rank_change FROM dti.province_ranking
	  WHERE period = '2025' AND framework = 'merge-test' AND unit_code IN ('68', '75', '80', '82')$$,
	'dti.neighbours(): the rank change of the ranking');

-- Errors
SELECT throws_ok($$SELECT dti.map_geojson('2030', layer => 'nope')$$, 'P0002', NULL, 'unknown layer: no_data_found');
SELECT throws_ok($$SELECT dti.map_geojson('last year')$$, '22023', NULL, 'bad period: invalid_parameter_value');
SELECT throws_ok($$SELECT * FROM dti.load_boundary_layer('geoboundaries', '{"type": "FeatureCollection", "features": []}')$$,
	'23505', NULL, 'a layer is loaded once');

SELECT * FROM finish();
ROLLBACK;
