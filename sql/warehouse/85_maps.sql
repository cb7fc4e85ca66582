-- Maps: published scores with their geometries (for QGIS and BI tools that
-- read PostGIS), the same as a GeoJSON FeatureCollection (for Superset and
-- Metabase region maps), the 2025 merger on the 34 units, neighbours of a
-- province with their scores, and region aggregates.  Geometry comes from a
-- boundary layer of dti.unit_boundary (the shipped one is "geoboundaries").
-- docs/bi.md describes every column.

CREATE FUNCTION dti.value_class(value numeric) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE WHEN value > 0.75 THEN 'Rất cao'
				WHEN value >= 0.50 THEN 'Cao'
				WHEN value >= 0.25 THEN 'Trung bình'
				ELSE 'Thấp' END;
END;
COMMENT ON FUNCTION dti.value_class(numeric) IS
	'Class of a value in [0, 1] for maps and bands (as dti.ranking.band): Rất cao (> 0.75), Cao (0.50-0.75), Trung bình (0.25-0.50), Thấp (< 0.25)';

------------------------------------------------------------------------------
-- Scores with geometry
------------------------------------------------------------------------------

CREATE VIEW dti.score_map AS
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

-- The 2025 merger: each of the 34 units with the official mean of its
-- members' values (dti.merged_series), ranked among the merged units.
CREATE VIEW dti.merged_map AS
SELECT format('%s/%s/%s/%s', b.layer, m.period, nu.id, m.code) AS feature_id,
	   b.layer,
	   m.unit_code,
	   m.unit,
	   m.period,
	   m.code,
	   m.level,
	   m.carried_value AS value,
	   (rank_rounded(m.carried_value::float8, 4) OVER (PARTITION BY b.layer, m.period, m.code))::integer AS rank,
	   m.members,
	   m.members_with_value,
	   m.member_units,
	   dti.value_class(m.carried_value) AS class,
	   b.geom
FROM dti.merged_series m
JOIN dti.unit nu ON nu.code = m.unit_code AND nu.level = 'province'
	AND nu.id IN (SELECT s.successor_id FROM dti.unit_succession s)
JOIN dti.unit_boundary b ON b.unit_id = nu.id;

------------------------------------------------------------------------------
-- Region aggregates
------------------------------------------------------------------------------

CREATE VIEW dti.region_summary AS
SELECT x.region_code, x.region, x.period, x.framework, x.code, x.provinces,
	   x.mean_value, x.median_value, x.min_value, x.max_value, x.best_unit,
	   (rank() OVER (PARTITION BY x.period, x.framework, x.code ORDER BY x.mean_value DESC NULLS LAST))::integer AS rank
FROM (
	SELECT g.code AS region_code,
		   g.name_vi AS region,
		   rk.period,
		   f.code AS framework,
		   rk.code::text AS code,
		   count(rk.value)::integer AS provinces,
		   round(avg(rk.value)::numeric, 4) AS mean_value,
		   round((percentile_cont(0.5) WITHIN GROUP (ORDER BY rk.value))::numeric, 4) AS median_value,
		   round(min(rk.value)::numeric, 4) AS min_value,
		   round(max(rk.value)::numeric, 4) AS max_value,
		   (array_agg(u.name_vi ORDER BY rk.value DESC NULLS LAST, u.code))[1] AS best_unit
	FROM dti.result_rank rk
	JOIN dti.unit u ON u.id = rk.unit_id AND u.level = 'province'
	JOIN dti.unit g ON g.id = u.parent_id AND g.level = 'region'
	JOIN dti.framework f ON f.id = rk.framework_id
	GROUP BY g.code, g.name_vi, rk.period, f.code, rk.code
) x;

CREATE VIEW dti.region_map AS
SELECT format('%s/%s/%s/%s/%s', b.layer, s.period, s.framework, r.id, s.code) AS feature_id,
	   b.layer, s.*, b.geom
FROM dti.region_summary s
JOIN dti.unit r ON r.level = 'region' AND r.code = s.region_code
JOIN dti.unit_boundary b ON b.unit_id = r.id;

------------------------------------------------------------------------------
-- GeoJSON for BI region maps
------------------------------------------------------------------------------

CREATE FUNCTION dti.map_geojson(period text, framework text DEFAULT NULL, indicator text DEFAULT 'DTI',
								layer text DEFAULT 'geoboundaries', merged boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path FROM CURRENT AS $$
DECLARE
	doc jsonb;
BEGIN
	IF dti.period_kind(map_geojson.period) IS NULL THEN
		RAISE EXCEPTION 'invalid period "%"', map_geojson.period
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Periods look like 2024, 2024-Q1 or 2024-03.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM dti.unit_boundary b WHERE b.layer = map_geojson.layer) THEN
		RAISE EXCEPTION 'no boundary layer "%"', map_geojson.layer
			USING ERRCODE = 'no_data_found',
				DETAIL = format('Layers: %s.', (SELECT string_agg(DISTINCT b.layer, ', ') FROM dti.unit_boundary b)),
				HINT = 'Load one with dti.load_boundary_layer(), or use the shipped layer geoboundaries.';
	END IF;
	IF merged THEN
		SELECT jsonb_agg(jsonb_build_object(
				   'type', 'Feature',
				   'id', m.unit_code,
				   'properties', jsonb_build_object(
					   'unit_code', m.unit_code, 'unit', m.unit, 'period', m.period,
					   'indicator', m.code, 'value', m.value, 'rank', m.rank, 'class', m.class,
					   'members', m.member_units),
				   'geometry', ST_AsGeoJSON(m.geom, 5)::jsonb) ORDER BY m.unit_code)
		INTO doc
		FROM dti.merged_map m
		WHERE m.layer = map_geojson.layer AND m.period = map_geojson.period AND m.code = map_geojson.indicator;
	ELSE
		SELECT jsonb_agg(jsonb_build_object(
				   'type', 'Feature',
				   'id', s.unit_code,
				   'properties', jsonb_build_object(
					   'unit_code', s.unit_code, 'unit', s.unit, 'region', s.region, 'period', s.period,
					   'framework', s.framework, 'indicator', s.code, 'name_vi', s.name_vi,
					   'value', s.value, 'rank', s.rank, 'rank_change', s.rank_change, 'class', s.class),
				   'geometry', ST_AsGeoJSON(s.geom, 5)::jsonb) ORDER BY s.unit_code)
		INTO doc
		FROM dti.score_map s
		WHERE s.layer = map_geojson.layer AND s.period = map_geojson.period AND s.code = map_geojson.indicator
		  AND (map_geojson.framework IS NULL OR s.framework = map_geojson.framework);
	END IF;
	RETURN jsonb_build_object('type', 'FeatureCollection', 'features', coalesce(doc, '[]'::jsonb));
END $$;
COMMENT ON FUNCTION dti.map_geojson(text, text, text, text, boolean) IS
	'A GeoJSON FeatureCollection of one period, framework (any when NULL) and indicator (DTI: the index) on a boundary layer: one feature per unit with unit_code, unit, region, period, framework, indicator, name_vi, value, rank, rank_change and class in its properties; merged => true maps the 2025 merger (dti.merged_map) instead';

------------------------------------------------------------------------------
-- Neighbours
------------------------------------------------------------------------------

-- It reads the units, boundaries and result tables as their owner, for
-- readers, who see only the published views.  Its search_path is pinned to
-- pg_catalog: PostGIS is named by the schema it was installed in.
DO $do$
BEGIN
	EXECUTE replace($body$
CREATE FUNCTION dti.neighbours(unit text, period text, indicator text DEFAULT 'DTI',
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
REVOKE EXECUTE ON FUNCTION dti.neighbours(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.neighbours(text, text, text, text) TO dti_reader, dti_admin;
COMMENT ON FUNCTION dti.neighbours(text, text, text, text) IS
	'Provinces that share a border (a line, not a point) with a province (code or name, the unit valid at the end of the period) on a layer, with the length of the border in km and their value, rank, rank change and difference from the province on an indicator (DTI: the index) in the period';

------------------------------------------------------------------------------
-- Comments and grants
------------------------------------------------------------------------------

DO $$
DECLARE
	c record;
	v text;
BEGIN
	FOR c IN SELECT * FROM (VALUES
		('score_map', NULL, 'Map view: published values and ranks of every unit, period and ranked indicator with the unit''s geometry from each boundary layer (filter on layer, period, code); for QGIS and BI tools that read PostGIS'),
		('merged_map', NULL, 'Map view of the 2025 merger: the 34 units with the official mean of their members'' values per period and main indicator, ranked among the merged units, with geometry'),
		('region_summary', NULL, 'Region aggregates: per socio-economic region, period, framework and ranked indicator, the provinces with a value, mean, median, min, max, best province and the region''s rank by mean'),
		('region_map', NULL, 'Map view of dti.region_summary with the regions'' geometry from each boundary layer'),
		(NULL, 'feature_id', 'Unique key of the row (layer/period/unit id/indicator; region_map adds the framework): the key a GIS client proposes, as the first column'),
		(NULL, 'layer', 'Boundary layer of the geometry (geoboundaries: the shipped geoBoundaries layer)'),
		(NULL, 'unit_code', 'Official code of the unit (GSO 2-digit code for provinces)'),
		(NULL, 'unit', 'Vietnamese name of the unit, with diacritics'),
		(NULL, 'unit_level', 'province, region, ministry, nation or commune'),
		(NULL, 'region', 'Vietnamese name of the socio-economic region'),
		(NULL, 'region_code', 'Code of the region (R1..R6)'),
		(NULL, 'period', 'Assessment period (2024, 2024-Q1, 2024-03)'),
		(NULL, 'framework', 'Framework code (e.g. 922-province)'),
		(NULL, 'code', 'Indicator code; DTI is the index itself'),
		(NULL, 'name_vi', 'Vietnamese name of the indicator'),
		(NULL, 'level', 'Depth in the tree: 1 the index, 2 main indicators'),
		(NULL, 'value', 'Value in [0, 1] at the published 4 decimals'),
		(NULL, 'rank', 'Competition rank (1224) at 4 decimals, highest first'),
		(NULL, 'rank_change', 'Rank in the previous period minus rank: positive means the unit moved up (the previous rank as in dti.score_long: through the indicator mapping when the framework changed, the index always, and for a unit formed in the 2025 merger its predecessors'' carried rank)'),
		(NULL, 'region_rank', 'Rank within the socio-economic region'),
		(NULL, 'class', 'Class of the value: Rất cao (> 0.75), Cao (0.50-0.75), Trung bình (0.25-0.50), Thấp (< 0.25)'),
		(NULL, 'members', 'Members (old provinces) of the merged unit'),
		(NULL, 'members_with_value', 'Members that have a value'),
		(NULL, 'member_units', 'Names of the members'),
		(NULL, 'provinces', 'Provinces of the region with a value'),
		(NULL, 'mean_value', 'Unweighted mean of the provinces'' values'),
		(NULL, 'median_value', 'Median of the provinces'' values'),
		(NULL, 'min_value', 'Lowest value of a province in the region'),
		(NULL, 'max_value', 'Highest value of a province in the region'),
		(NULL, 'best_unit', 'The province with the highest value'),
		(NULL, 'geom', 'Geometry of the unit: MultiPolygon, WGS 84 (SRID 4326)')
	) AS t (view_name, column_name, comment)
	LOOP
		IF c.view_name IS NOT NULL THEN
			EXECUTE format('COMMENT ON VIEW dti.%I IS %L', c.view_name, c.comment);
		ELSE
			FOR v IN
				SELECT k.relname FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid
				WHERE k.relnamespace = 'dti'::regnamespace AND k.relkind = 'v' AND a.attname = c.column_name
				  AND k.relname IN ('score_map', 'merged_map', 'region_summary', 'region_map')
			LOOP
				EXECUTE format('COMMENT ON COLUMN dti.%I.%I IS %L', v, c.column_name,
							   CASE WHEN v = 'region_summary' AND c.column_name = 'rank'
									THEN 'Rank of the region by mean value, highest first'
									WHEN v = 'region_map' AND c.column_name = 'rank'
									THEN 'Rank of the region by mean value, highest first'
									ELSE c.comment END);
			END LOOP;
		END IF;
	END LOOP;
END $$;

GRANT SELECT ON dti.score_map, dti.merged_map, dti.region_summary, dti.region_map TO dti_reader, dti_admin;
GRANT SELECT ON dti.unit_boundary TO dti_reader, dti_admin;
-- Readers: the reference data the published views and functions look up
-- (a function runs with its caller's rights): the framework definitions of
-- dti.published_comparison (through dti.framework_tree()) ...
GRANT SELECT ON dti.framework, dti.framework_indicator TO dti_reader;
-- and the units, their names and the periods, which dti.unit_code() and
-- dti.find_units() look up
GRANT SELECT ON dti.unit, dti.unit_name, dti.period, dti.province TO dti_reader;
-- Functions whose tables not every role may read: for the roles that may.
REVOKE EXECUTE ON FUNCTION dti.dissolve_regions(text, text, date), dti.load_boundary_layer(text, jsonb, date, text, text),
	dti.my_unit_codes(), dti.submitted_periods(), dti.verified_values(text, integer[]), dti.ranked_nodes(text, integer),
	dti.map_geojson(text, text, text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.dissolve_regions(text, text, date), dti.load_boundary_layer(text, jsonb, date, text, text),
	dti.verified_values(text, integer[]), dti.ranked_nodes(text, integer) TO dti_admin;
GRANT EXECUTE ON FUNCTION dti.my_unit_codes(), dti.submitted_periods() TO dti_loader, dti_verifier;
GRANT EXECUTE ON FUNCTION dti.map_geojson(text, text, text, text, boolean) TO dti_reader, dti_admin;
