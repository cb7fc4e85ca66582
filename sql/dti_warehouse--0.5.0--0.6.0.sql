-- dti_warehouse 0.5.0 -> 0.6.0
\echo Use "ALTER EXTENSION dti_warehouse UPDATE TO '0.6.0'" to load this file. \quit

DO $requires$
DECLARE
	need constant text := '0.6.0';
	have text := (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'dti');
BEGIN
	IF have IS NULL OR pg_catalog.string_to_array(have, '.')::integer[] < pg_catalog.string_to_array(need, '.')::integer[] THEN
		RAISE EXCEPTION 'dti_warehouse needs dti % or newer, but dti % is installed', need, coalesce(have, '(none)')
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = format('Update dti first: ALTER EXTENSION dti UPDATE (to %s or newer).', need);
	END IF;
END
$requires$;

------------------------------------------------------------------------------
-- Part issue-23: Citus coordinator.  CREATE EXTENSION dti_warehouse on a
-- Citus coordinator runs in a distributed transaction (Citus propagates the
-- extension to the workers) and Citus refuses to commit one that touched a
-- temporary object: the install loads the shipped boundary layer through
-- dti.load_boundaries(), which kept the resolved features in a temporary
-- table.  It keeps them in a jsonb variable now; what it checks, loads and
-- returns is unchanged.
------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION dti.load_boundaries(layer text, features jsonb, valid_on date,
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
-- end of part issue-23
