-- Maps: the shipped geoBoundaries layer (63 provinces, the 34 units and the 6
-- regions as dissolves), neighbours by shared border, the map views, the
-- GeoJSON function, region aggregates, published vs computed, and a user's
-- own layer loaded in one call.
SET client_min_messages = warning;  -- the NOTICEs depend on which test runs first
CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE;
RESET client_min_messages;

-- The shipped layer: every geometry a valid WGS 84 multipolygon.
SELECT u.level, u.valid_from >= '2025-07-01' AS from_2025, count(*) AS units, sum(b.parts) AS parts,
	   bool_and(ST_IsValid(b.geom)) AS valid, min(ST_SRID(b.geom)) AS srid,
	   string_agg(DISTINCT ST_GeometryType(b.geom), ', ') AS type, bool_and(b.shipped) AS shipped
FROM dti.unit_boundary b JOIN dti.unit u ON u.id = b.unit_id
WHERE b.layer = 'geoboundaries' GROUP BY 1, 2 ORDER BY 1, 2;
SELECT DISTINCT source FROM dti.unit_boundary b JOIN dti.unit u ON u.id = b.unit_id
WHERE b.layer = 'geoboundaries' AND u.valid_to = '2025-06-30';

-- Côn Đảo is a separate feature that joined Bà Rịa - Vũng Tàu.
SELECT u.code, u.name_vi, b.parts, ST_NumGeometries(b.geom) > 1 AS several_polygons
FROM dti.unit_boundary b JOIN dti.unit u ON u.id = b.unit_id
WHERE b.layer = 'geoboundaries' AND u.valid_to = '2025-06-30' AND b.parts > 1;

-- Each merged unit and each region covers exactly its members.
SELECT count(*) AS merged_units,
	   count(*) FILTER (WHERE abs(ST_Area(nb.geom) - m.area) > 1e-6 * m.area) AS area_differs,
	   count(*) FILTER (WHERE NOT ST_Covers(ST_Buffer(nb.geom, 1e-9), m.geom)) AS members_outside
FROM (SELECT s.successor_id, sum(ST_Area(b.geom)) AS area, ST_Collect(b.geom) AS geom
	  FROM dti.unit_succession s JOIN dti.unit_boundary b ON b.layer = 'geoboundaries' AND b.unit_id = s.predecessor_id
	  GROUP BY s.successor_id) m
JOIN dti.unit_boundary nb ON nb.layer = 'geoboundaries' AND nb.unit_id = m.successor_id;
SELECT r.code, r.name_vi, count(*) AS provinces,
	   abs(ST_Area(rb.geom) - sum(ST_Area(pb.geom))) < 1e-6 * ST_Area(rb.geom) AS same_area
FROM dti.unit r
JOIN dti.unit_boundary rb ON rb.layer = 'geoboundaries' AND rb.unit_id = r.id
JOIN dti.unit p ON p.parent_id = r.id AND p.level = 'province' AND p.valid_to = '2025-06-30'
JOIN dti.unit_boundary pb ON pb.layer = 'geoboundaries' AND pb.unit_id = p.id
WHERE r.level = 'region' GROUP BY r.code, r.name_vi, rb.geom ORDER BY r.code;

-- Neighbours share a border (a line): Hà Nội's eight before the merger,
-- five after it; the island part of a province names the whole province.
SELECT unit_code, unit_name, border_km FROM dti.neighbours('Hà Nội', '2022');
SELECT unit_code, unit_name, border_km FROM dti.neighbours('01', '2025');
SELECT unit_code, unit_name FROM dti.neighbours('Côn Đảo', '2024');

-- Scores on the map: three provinces in 2022 under the shipped Decision 922
-- framework (main-indicator values; Đà Nẵng's are the published ones).
BEGIN;
CREATE TEMP TABLE v (unit text, code text, raw text);
INSERT INTO v VALUES
	('48', 'NT', '1.0000'), ('48', 'TC', '0.9000'), ('48', 'HT', '0.8253'), ('48', 'NL', '0.8487'),
	('48', 'ATTT', '0.7578'), ('48', 'CQS', '0.8575'), ('48', 'KTS', '0.7836'), ('48', 'XHS', '0.5197'),
	('49', 'NT', '0.6'), ('49', 'TC', '0.5'), ('49', 'HT', '0.7'), ('49', 'NL', '0.4'),
	('49', 'ATTT', '0.5'), ('49', 'CQS', '0.6'), ('49', 'KTS', '0.5'), ('49', 'XHS', '0.4'),
	('46', 'NT', '0.9'), ('46', 'TC', '0.8'), ('46', 'HT', '0.8'), ('46', 'NL', '0.7'),
	('46', 'ATTT', '0.7'), ('46', 'CQS', '0.8'), ('46', 'KTS', '0.6'), ('46', 'XHS', '0.5');
INSERT INTO dti.submission (unit_code, period, indicator, raw_value) SELECT unit, '2022', code, raw FROM v;
SELECT count(dti.set_status(s.id, 'verified')) AS verified FROM dti.submission s WHERE s.period = '2022';
CALL dti.refresh('2022');

SELECT unit_code, unit, region, framework, value, rank, region_rank, class, ST_GeometryType(geom) AS geometry
FROM dti.score_map WHERE layer = 'geoboundaries' AND period = '2022' AND code = 'DTI' ORDER BY rank;
SELECT code, name_vi, value, rank FROM dti.score_map
WHERE layer = 'geoboundaries' AND period = '2022' AND unit_code = '49' ORDER BY code;
SELECT * FROM dti.neighbours('Đà Nẵng', '2022');

-- GeoJSON: a FeatureCollection, one feature per unit with the scores in its properties.
SELECT g ->> 'type' AS type, jsonb_array_length(g -> 'features') AS features,
	   (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(g -> 'features' -> 0 -> 'properties') k) AS property_keys
FROM dti.map_geojson('2022', '922-province') g;
SELECT f -> 'id' AS id, f -> 'properties' AS properties, f -> 'geometry' ->> 'type' AS geometry,
	   ST_SRID(ST_GeomFromGeoJSON(f ->> 'geometry')) AS srid, ST_IsValid(ST_GeomFromGeoJSON(f ->> 'geometry')) AS valid
FROM jsonb_array_elements(dti.map_geojson('2022', '922-province', 'DTI') -> 'features') f ORDER BY f ->> 'id';
SELECT f -> 'properties' ->> 'unit' AS unit, f -> 'properties' -> 'value' AS value
FROM jsonb_array_elements(dti.map_geojson('2022', indicator => 'XHS') -> 'features') f ORDER BY 1;
SELECT dti.map_geojson('2023');
-- The merger: Đà Nẵng and Quảng Nam form the new Đà Nẵng; Huế stays.
SELECT unit_code, unit, value, rank, members, members_with_value, member_units, class
FROM dti.merged_map WHERE layer = 'geoboundaries' AND period = '2022' AND code = 'DTI' ORDER BY rank;
SELECT f -> 'properties' AS properties
FROM jsonb_array_elements(dti.map_geojson('2022', merged => true) -> 'features') f ORDER BY f ->> 'id';
-- Regions
SELECT region_code, region, code, provinces, mean_value, median_value, min_value, max_value, best_unit, rank
FROM dti.region_summary WHERE period = '2022' AND code IN ('DTI', 'XHS') ORDER BY code, rank;
SELECT layer, region, mean_value, ST_GeometryType(geom) AS geometry
FROM dti.region_map WHERE period = '2022' AND code = 'DTI';
-- Published vs computed: the warehouse computed the published 0.8002.
SELECT unit_code, unit, period, published, published_rank, recomputed, recomputed_from, computed, computed_rank, matches
FROM dti.published_comparison WHERE period = '2022';
ROLLBACK;

-- Errors say what to fix.
\set VERBOSITY default
SELECT dti.map_geojson('2022', layer => 'official');
SELECT dti.map_geojson('2022/23');
SELECT * FROM dti.neighbours('Atlantis', '2022');
SELECT * FROM dti.neighbours('01', '2022', layer => 'official');

-- A user's own layer in one call: provinces (here synthetic squares) with
-- the Hoàng Sa archipelago as a part of Đà Nẵng; the merged unit follows
-- when all its members are in the layer, the regions from the provinces.
BEGIN;
CREATE TEMP TABLE layer AS SELECT jsonb_build_object('type', 'FeatureCollection', 'features', jsonb_agg(f)) AS doc
FROM (VALUES ('Thành phố Đà Nẵng', 0, 0, 1), ('Quảng Nam', 0, -1, 1), ('Quần đảo Hoàng Sa', 5, 1, 0.5),
			 ('Thừa Thiên Huế', 0, 1, 1)) AS v (name, x, y, size),
LATERAL (SELECT jsonb_build_object('type', 'Feature', 'properties', jsonb_build_object('ten', v.name),
		 'geometry', ST_AsGeoJSON(ST_MakeEnvelope(v.x, v.y, v.x + v.size, v.y + v.size, 4326))::jsonb) AS f) g;
SELECT * FROM dti.load_boundary_layer('official-squares', (SELECT doc FROM layer), '2024-12-31', 'ten', 'synthetic squares');
SELECT u.code, u.name_vi, u.level, u.valid_from, b.parts, ST_NumGeometries(b.geom) AS polygons, ST_Area(b.geom) AS area, b.shipped
FROM dti.unit_boundary b JOIN dti.unit u ON u.id = b.unit_id WHERE b.layer = 'official-squares' ORDER BY u.level, u.valid_from, u.code;
SELECT unit_code, unit_name, border_km > 0 AS shares_border FROM dti.neighbours('48', '2024', layer => 'official-squares');
SELECT * FROM dti.load_boundary_layer('official-squares', (SELECT doc FROM layer), '2024-12-31', 'ten');
ROLLBACK;
