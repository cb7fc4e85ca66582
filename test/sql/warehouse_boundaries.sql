-- Boundary layers: features join units by name (Côn Đảo merges into Bà Rịa -
-- Vũng Tàu), and the merged units' layer is the dissolve of their members.
SET client_min_messages = warning;  -- the NOTICEs depend on which test runs first
CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE;
RESET client_min_messages;

CREATE TEMP TABLE layer AS SELECT jsonb_build_object('type', 'FeatureCollection', 'features', jsonb_agg(f)) AS doc
FROM (VALUES
	('TP. Hồ Chí Minh', 0, 0, 1), ('Bình Dương', 1, 0, 1), ('Bà Rịa - Vũng Tàu', 0, 1, 1), ('Côn Đảo', 5, 5, 0.1),
	('Hà Nội', 10, 10, 1)
) AS v (name, x, y, size),
LATERAL (SELECT jsonb_build_object('type', 'Feature', 'properties', jsonb_build_object('shapeName', v.name),
		 'geometry', ST_AsGeoJSON(ST_MakeEnvelope(v.x, v.y, v.x + v.size, v.y + v.size, 4326))::jsonb) AS f) g;

SELECT * FROM dti.load_boundaries('test-63', (SELECT doc FROM layer), '2022-12-31', source => 'synthetic squares') ORDER BY 1;
SELECT u.code, b.parts, ST_GeometryType(b.geom), round(ST_Area(b.geom)::numeric, 2) AS area, ST_SRID(b.geom)
FROM dti.unit_boundary b JOIN dti.unit u ON u.id = b.unit_id WHERE b.layer = 'test-63' ORDER BY u.code;

SELECT dti.dissolve_boundaries('test-63', 'test-34', '2025-07-01') AS units;
SELECT u.code, u.name_vi, b.parts, round(ST_Area(b.geom)::numeric, 2) AS area, ST_NumGeometries(b.geom) AS polygons
FROM dti.unit_boundary b JOIN dti.unit u ON u.id = b.unit_id WHERE b.layer = 'test-34' ORDER BY u.code;

-- Names that do not resolve stop the load and are listed.
SELECT * FROM dti.load_boundaries('bad', jsonb_build_object('type', 'FeatureCollection', 'features', jsonb_build_array(
	jsonb_build_object('type', 'Feature', 'properties', jsonb_build_object('shapeName', 'Atlantis'),
		'geometry', ST_AsGeoJSON(ST_MakeEnvelope(0, 0, 1, 1, 4326))::jsonb),
	jsonb_build_object('type', 'Feature', 'properties', jsonb_build_object('shapeName', 'Lào Cai'),
		'geometry', ST_AsGeoJSON(ST_MakeEnvelope(0, 0, 1, 1, 4326))::jsonb))), NULL);
SELECT * FROM dti.load_boundaries('bad', '{"type": "Feature"}', '2022-12-31');
-- A name property that no feature has is named, with the properties there are.
SELECT * FROM dti.load_boundaries('bad', jsonb_build_object('type', 'FeatureCollection', 'features', jsonb_build_array(
	jsonb_build_object('type', 'Feature', 'properties', jsonb_build_object('shapeName', 'Lào Cai', 'shapeISO', 'VN-02'),
		'geometry', ST_AsGeoJSON(ST_MakeEnvelope(0, 0, 1, 1, 4326))::jsonb))), '2022-12-31', 'name');
