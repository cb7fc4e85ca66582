-- Boundaries (PostGIS): layers of unit geometries that users load from
-- GeoJSON (e.g. geoBoundaries, or an official layer with the Hoàng Sa and
-- Trường Sa archipelagos), joined to units by name; the 34-unit layer is the
-- dissolve of the 63-unit one through unit succession, the 6 regions the
-- dissolve of their provinces.  The extension ships one layer,
-- "geoboundaries": geoBoundaries' 63 provinces (boundary year 2008,
-- simplified; sql/data/geoboundaries_vnm_adm1.geojson), the 34 units of
-- 2025 and the 6 regions derived from them.

CREATE TABLE dti.unit_boundary (
	layer text NOT NULL CHECK (layer ~ '^[A-Za-z0-9._-]+$'),
	unit_id integer NOT NULL REFERENCES dti.unit (id),
	geom geometry(MultiPolygon, 4326) NOT NULL,
	parts integer NOT NULL DEFAULT 1 CHECK (parts >= 1),
	source text,
	loaded_by name NOT NULL DEFAULT current_user,
	loaded_at timestamptz NOT NULL DEFAULT now(),
	shipped boolean NOT NULL DEFAULT false,
	PRIMARY KEY (layer, unit_id)
);
CREATE INDEX ON dti.unit_boundary USING gist (geom);
COMMENT ON TABLE dti.unit_boundary IS
	'Unit geometries (WGS 84 multipolygons) by layer; load them with dti.load_boundaries() and derive merged units with dti.dissolve_boundaries()';
COMMENT ON COLUMN dti.unit_boundary.layer IS 'Name of the layer (e.g. geoboundaries-2008, official-2025)';
COMMENT ON COLUMN dti.unit_boundary.parts IS 'Number of source features merged into the geometry (Côn Đảo joins Bà Rịa - Vũng Tàu)';
COMMENT ON COLUMN dti.unit_boundary.source IS 'Source and attribution line of the layer';
COMMENT ON COLUMN dti.unit_boundary.shipped IS 'True for the rows installed by the extension (layer geoboundaries; not dumped: CREATE EXTENSION recreates them)';

CREATE FUNCTION dti.load_boundaries(layer text, features jsonb, valid_on date,
									name_property text DEFAULT 'shapeName', source text DEFAULT NULL)
RETURNS TABLE (unit_code text, parts integer)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	problems text;
	resolved jsonb;
BEGIN
	IF jsonb_typeof(features -> 'features') IS DISTINCT FROM 'array' THEN
		RAISE EXCEPTION 'not a GeoJSON FeatureCollection'
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'The document has no "features" array.',
				HINT = 'Pass the whole file, e.g. pg_read_file(''layer.geojson'')::jsonb.';
	END IF;
	IF jsonb_array_length(features -> 'features') > 0 AND NOT EXISTS (
			SELECT 1 FROM jsonb_array_elements(features -> 'features') AS f
			WHERE jsonb_typeof(f -> 'properties') = 'object' AND f -> 'properties' ? load_boundaries.name_property) THEN
		RAISE EXCEPTION 'no feature has the property "%"', load_boundaries.name_property
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('The first feature''s properties: %s.',
					coalesce((SELECT string_agg(format('"%s"', k), ', ')
							  FROM jsonb_object_keys(CASE WHEN jsonb_typeof(features -> 'features' -> 0 -> 'properties') = 'object'
														  THEN features -> 'features' -> 0 -> 'properties' END) AS k), 'none')),
				HINT = 'Pass the property that holds the province names as name_property.';
	END IF;
	-- each feature with the units its name resolves to, kept in a variable:
	-- no temporary table, which a Citus coordinator refuses to commit in a
	-- distributed transaction (CREATE EXTENSION propagated to the workers)
	SELECT coalesce(jsonb_agg(jsonb_build_object('ord', x.ord, 'name', x.name, 'units', to_jsonb(x.units), 'geometry', x.geometry)
							  ORDER BY x.ord), '[]')
	INTO resolved
	FROM (SELECT f.ord, f.f -> 'properties' ->> load_boundaries.name_property AS name,
				 (SELECT array_agg(DISTINCT u.unit_id) FROM dti.find_units(f.f -> 'properties' ->> load_boundaries.name_property, valid_on) u
				  WHERE u.level = 'province') AS units,
				 f.f -> 'geometry' AS geometry
		  FROM jsonb_array_elements(features -> 'features') WITH ORDINALITY AS f(f, ord)) x;
	SELECT string_agg(format('"%s" (%s)', coalesce(b.name, '<no name>'),
						  CASE WHEN b.units IS NULL THEN 'no unit' ELSE cardinality(b.units) || ' units' END), ', ' ORDER BY b.ord)
	INTO problems
	FROM jsonb_to_recordset(resolved) AS b(ord bigint, name text, units integer[], geometry jsonb)
	WHERE b.units IS NULL OR cardinality(b.units) <> 1;
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
	FROM jsonb_to_recordset(resolved) AS b(name text, units integer[], geometry jsonb)
	GROUP BY b.units[1]
	RETURNING (SELECT u.code FROM dti.unit u WHERE u.id = t.unit_id), t.parts;
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

CREATE FUNCTION dti.dissolve_regions(from_layer text, to_layer text, valid_on date) RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	n bigint;
BEGIN
	INSERT INTO dti.unit_boundary (layer, unit_id, geom, parts, source)
	SELECT dissolve_regions.to_layer, r.id,
		   ST_Multi(ST_CollectionExtract(ST_Union(b.geom), 3)), sum(b.parts)::integer,
		   format('dissolve of layer %s', dissolve_regions.from_layer)
	FROM dti.unit p
	JOIN dti.unit r ON r.id = p.parent_id AND r.level = 'region'
	JOIN dti.unit_boundary b ON b.layer = dissolve_regions.from_layer AND b.unit_id = p.id
	WHERE p.level = 'province' AND dissolve_regions.valid_on BETWEEN p.valid_from AND p.valid_to
	GROUP BY r.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;
COMMENT ON FUNCTION dti.dissolve_regions(text, text, date) IS
	'Builds the socio-economic regions of a layer as the union of their provinces valid on a day (the 6 regions from the 63 provinces); returns the number of regions';

CREATE FUNCTION dti.load_boundary_layer(layer text, features jsonb, valid_on date DEFAULT '2025-06-30',
										name_property text DEFAULT 'shapeName', source text DEFAULT NULL)
RETURNS TABLE (level text, units bigint)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	successor_day date;
	n bigint;
BEGIN
	IF EXISTS (SELECT 1 FROM dti.unit_boundary b WHERE b.layer = load_boundary_layer.layer) THEN
		RAISE EXCEPTION 'boundary layer % exists already', load_boundary_layer.layer
			USING ERRCODE = 'unique_violation',
				DETAIL = 'A layer is loaded once; its rows are kept as they were loaded.',
				HINT = 'Choose another layer name, or delete the layer first: DELETE FROM dti.unit_boundary WHERE layer = ''...''.';
	END IF;
	SELECT count(*) INTO n FROM dti.load_boundaries(load_boundary_layer.layer, features, valid_on, name_property, source);
	level := 'province';
	units := n;
	RETURN NEXT;
	-- the units these provinces became (the 34 units of 2025), each the
	-- union of its members, when every member is in the layer
	FOR successor_day IN
		SELECT DISTINCT s.effective FROM dti.unit_succession s
		JOIN dti.unit_boundary b ON b.layer = load_boundary_layer.layer AND b.unit_id = s.predecessor_id
		WHERE NOT EXISTS (SELECT 1 FROM dti.unit_succession m
						  WHERE m.successor_id = s.successor_id
							AND NOT EXISTS (SELECT 1 FROM dti.unit_boundary x
											WHERE x.layer = load_boundary_layer.layer AND x.unit_id = m.predecessor_id))
		ORDER BY 1
	LOOP
		level := format('province from %s', successor_day);
		units := dti.dissolve_boundaries(load_boundary_layer.layer, load_boundary_layer.layer, successor_day);
		RETURN NEXT;
	END LOOP;
	level := 'region';
	units := dti.dissolve_regions(load_boundary_layer.layer, load_boundary_layer.layer, valid_on);
	RETURN NEXT;
END $$;
COMMENT ON FUNCTION dti.load_boundary_layer(text, jsonb, date, text, text) IS
	'One call to load a whole boundary layer from a GeoJSON FeatureCollection of provinces valid on valid_on (names in property name_property): the provinces (dti.load_boundaries), the units they became (dti.dissolve_boundaries, e.g. the 34 units of 2025) and the regions (dti.dissolve_regions), all in the one layer; returns the units per level';

-- Territories named as parts of a province in official layers.
INSERT INTO dti.unit_name (unit_id, name, kind, source, shipped)
SELECT u.id, v.name, 'part', 'archipelago shown on official maps', true
FROM (VALUES ('48', 'Hoàng Sa'), ('48', 'Quần đảo Hoàng Sa'), ('48', 'Huyện đảo Hoàng Sa'), ('48', 'Đặc khu Hoàng Sa'),
			 ('56', 'Trường Sa'), ('56', 'Quần đảo Trường Sa'), ('56', 'Huyện đảo Trường Sa'), ('56', 'Đặc khu Trường Sa'))
	 AS v (code, name)
JOIN dti.unit u ON u.level = 'province' AND u.code = v.code
ON CONFLICT DO NOTHING;

-- The shipped layer: geoBoundaries VNM ADM1 (64 features: the 63 provinces
-- and Côn Đảo), simplified, WGS 84, coordinates at 6 decimals.
SELECT count(*) FROM dti.load_boundary_layer('geoboundaries',
--@json geoboundaries_vnm_adm1.geojson
	::jsonb, '2025-06-30', 'shapeName',
	'Administrative boundaries courtesy of geoBoundaries.org (Runfola et al. 2020, PLoS ONE 15(4): e0231866); VNM ADM1, boundary year 2008, simplified; CC BY 4.0, source listed as public domain');
UPDATE dti.unit_boundary SET shipped = true, loaded_by = 'dti_warehouse', loaded_at = '2023-12-12 00:00:00+00'
WHERE layer = 'geoboundaries';
