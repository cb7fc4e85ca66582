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
