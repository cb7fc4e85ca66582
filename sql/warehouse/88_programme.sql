-- The whole programme in the BI views: the points of a framework completed
-- when they become known, the published national values, the ministries'
-- ranking in their groups, and one series per level across framework
-- changes and the 2025 merger.

-- Completing the points of a framework shipped without them (Decision 405
-- for provinces): one call gives every main indicator its points; the
-- update queues the years that use the framework for dti.refresh().
CREATE FUNCTION dti.complete_points(framework_code text, points jsonb) RETURNS integer
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	fw dti.framework;
	unknown text;
	missing text;
	bad text;
	total float8;
BEGIN
	SELECT * INTO fw FROM dti.framework f WHERE f.code = complete_points.framework_code
	ORDER BY f.version DESC LIMIT 1;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no framework with code %', framework_code
			USING ERRCODE = 'no_data_found', HINT = 'Look the code up in dti.framework.';
	END IF;
	IF points IS NULL OR jsonb_typeof(points) <> 'object' THEN
		RAISE EXCEPTION 'the points must be a JSON object of main-indicator codes and points'
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'For example ''{"NT": 100, "TC": 100}''.';
	END IF;
	SELECT string_agg(k, ', ' ORDER BY k) INTO unknown
	FROM jsonb_object_keys(points) AS k
	WHERE NOT EXISTS (SELECT 1 FROM dti.framework_indicator i
					  WHERE i.framework_id = fw.id AND i.code::text = k AND nlevel(i.code) = 1 AND i.scored);
	IF unknown IS NOT NULL THEN
		RAISE EXCEPTION 'not scored main indicators of framework % version %: %', fw.code, fw.version, unknown
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Give points to the scored main indicators of the framework only (dti.framework_indicator).';
	END IF;
	SELECT string_agg(i.code::text, ', ' ORDER BY i.code) INTO missing
	FROM dti.framework_indicator i
	WHERE i.framework_id = fw.id AND nlevel(i.code) = 1 AND i.scored AND i.max_points = 0
	  AND NOT points ? i.code::text;
	IF missing IS NOT NULL THEN
		RAISE EXCEPTION 'main indicators without points in framework % version %: %', fw.code, fw.version, missing
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Give every scored main indicator its points in the same call.';
	END IF;
	SELECT string_agg(e.key, ', ' ORDER BY e.key) INTO bad
	FROM jsonb_each(points) e
	WHERE jsonb_typeof(e.value) <> 'number' OR (e.value::text)::float8 <= 0;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'points must be positive numbers: %', bad
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT sum(coalesce((points ->> i.code::text)::float8, i.max_points)) INTO total
	FROM dti.framework_indicator i
	WHERE i.framework_id = fw.id AND nlevel(i.code) = 1 AND i.scored;
	IF fw.max_points IS NOT NULL AND total <> fw.max_points THEN
		RAISE EXCEPTION 'the main indicators of framework % version % would have % points, not %',
			fw.code, fw.version, total, fw.max_points
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'The points of the scored main indicators add up to the framework''s max points.',
				HINT = 'Correct the points.';
	END IF;
	-- a frozen framework refuses this (dti.framework_guard): its hint names
	-- dti.new_framework_version()
	UPDATE dti.framework_indicator i SET max_points = (points ->> i.code::text)::float8
	WHERE i.framework_id = fw.id AND points ? i.code::text;
	RETURN fw.id;
END $$;
COMMENT ON FUNCTION dti.complete_points(text, jsonb) IS
	'Gives the scored main indicators of the newest version of a framework their points ({"NT": 100, ...}: every main indicator still without points, adding up to the framework''s max points), so that its index and ranks are computed at the next dti.refresh(); returns the framework id';
REVOKE EXECUTE ON FUNCTION dti.complete_points(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.complete_points(text, jsonb) TO dti_admin;

-- The published national values, each tagged with its framework.
INSERT INTO dti.published_value (unit_id, period, framework_id, code, value, rank, source, shipped)
SELECT u.id, p.period, f.id, 'DTI', p.value::numeric, NULL, p.source, true
FROM
--@csv dti_published_national.csv p
JOIN dti.framework f ON f.code = p.framework AND f.version = 1
JOIN dti.unit u ON u.level = 'nation' AND u.code = 'VN';

CREATE VIEW dti.ministry_ranking AS
SELECT * FROM dti.ranking WHERE unit_level = 'ministry';

-- One row per unit and year: the unit's own index (computed, or published
-- when the warehouse has none), or, for a unit formed in the 2025 merger,
-- its predecessors' values carried by its succession rule; with the
-- framework of the year and a flag where it changed.
CREATE VIEW dti.series AS
WITH own AS (
	SELECT rk.unit_id, rk.period, rk.framework_id, rk.value, rk.rank, 'computed'::text AS source,
		   NULL::integer AS members_with_value
	FROM dti.result_rank rk
	WHERE rk.code = 'DTI' AND dti.period_kind(rk.period) = 'year'
	UNION ALL
	SELECT p.unit_id, p.period, p.framework_id, p.value::float8, p.rank, 'published', NULL
	FROM dti.published_value p
	WHERE p.code = 'DTI' AND dti.period_kind(p.period) = 'year'
	  AND NOT EXISTS (SELECT 1 FROM dti.result_rank r
					  WHERE r.unit_id = p.unit_id AND r.period = p.period AND r.code = 'DTI')
), carried AS (
	SELECT k.successor_id AS unit_id, k.period, k.framework_id, c.value, c.rank, 'carried'::text AS source,
		   c.members_with_value
	FROM (SELECT DISTINCT ON (s.successor_id, r.period) s.successor_id, r.period, r.framework_id
		  FROM dti.unit_succession s
		  JOIN dti.result_rank r ON r.unit_id = s.predecessor_id AND r.code = 'DTI'
		  WHERE dti.period_kind(r.period) = 'year'
		  ORDER BY s.successor_id, r.period, r.framework_id) k
	CROSS JOIN LATERAL dti.carried_value(k.successor_id, k.period, 'DTI') c
	WHERE NOT EXISTS (SELECT 1 FROM own o WHERE o.unit_id = k.successor_id AND o.period = k.period)
), allrows AS (
	SELECT * FROM own UNION ALL SELECT * FROM carried
)
SELECT u.level AS unit_level,
	   u.code AS unit_code,
	   u.name_vi AS unit,
	   CASE WHEN isfinite(u.valid_from) THEN u.valid_from END AS unit_valid_from,
	   CASE WHEN isfinite(u.valid_to) THEN u.valid_to END AS unit_valid_to,
	   a.period,
	   substr(a.period, 1, 4)::integer AS year,
	   f.code AS framework,
	   f.version AS framework_version,
	   f.decision,
	   round(a.value::numeric, 4) AS value,
	   a.rank,
	   lag(a.rank) OVER w AS rank_prev,
	   lag(a.rank) OVER w - a.rank AS rank_change,
	   round((a.value - lag(a.value) OVER w)::numeric, 4) AS value_change,
	   coalesce(lag(a.framework_id) OVER w <> a.framework_id, false) AS framework_changed,
	   a.source,
	   a.members_with_value
FROM allrows a
JOIN dti.unit u ON u.id = a.unit_id
JOIN dti.framework f ON f.id = a.framework_id
WINDOW w AS (PARTITION BY a.unit_id ORDER BY a.period);

CREATE VIEW dti.province_series AS
SELECT * FROM dti.series WHERE unit_level = 'province';
CREATE VIEW dti.ministry_series AS
SELECT * FROM dti.series WHERE unit_level = 'ministry';
CREATE VIEW dti.nation_series AS
SELECT * FROM dti.series WHERE unit_level = 'nation';

-- Every main indicator of a unit's change across a framework change.
CREATE VIEW dti.change_across_frameworks AS
SELECT u.code AS unit_code,
	   u.name_vi AS unit,
	   r.period,
	   p.period AS period_prev,
	   fp.code AS framework_prev,
	   f.code AS framework,
	   e.code,
	   e.name_vi,
	   e.status,
	   e.mapped_from,
	   round(e.value_a::numeric, 4) AS value_prev,
	   round(e.value_b::numeric, 4) AS value,
	   round(e.contribution::numeric, 6) AS contribution,
	   round((e.contribution * f.max_points)::numeric, 2) AS contribution_points
FROM dti.result_scorecard r
JOIN dti.result_scorecard p ON p.unit_id = r.unit_id AND p.period = dti.previous_period(r.period)
	AND p.framework_id <> r.framework_id
JOIN dti.unit u ON u.id = r.unit_id
JOIN dti.framework f ON f.id = r.framework_id
JOIN dti.framework fp ON fp.id = p.framework_id
CROSS JOIN LATERAL dti.explain_across(p.framework_id, p.scorecard, r.framework_id, r.scorecard) e;

-- Monitored counts beside the DTI: each value of a monitored series with
-- the series' nearest target due on or after its period, and the unit's
-- index and rank in the same period.
CREATE VIEW dti.monitored_beside_dti AS
SELECT ms.code AS series_code,
	   ms.name_vi AS series_name,
	   ms.unit_of_measure,
	   ms.synthetic,
	   u.code AS unit_code,
	   u.name_vi AS unit,
	   u.level AS unit_level,
	   mv.period,
	   mv.value::numeric AS value,
	   tg.target_value::numeric AS target,
	   tg.deadline,
	   round(rk.value::numeric, 4) AS dti,
	   rk.rank AS dti_rank,
	   f.code AS framework
FROM dti.monitored_value mv
JOIN dti.monitored_series ms ON ms.code = mv.series_code
JOIN dti.unit u ON u.id = mv.unit_id
LEFT JOIN LATERAL (
	SELECT t.target_value, t.deadline FROM dti.target t
	WHERE t.code = ms.code AND t.deadline >= dti.period_end(mv.period)
	ORDER BY t.deadline LIMIT 1) tg ON true
LEFT JOIN dti.result_rank rk ON rk.unit_id = mv.unit_id AND rk.period = mv.period AND rk.code = 'DTI'
LEFT JOIN dti.framework f ON f.id = rk.framework_id;

DO $$
DECLARE
	c record;
	v text;
BEGIN
	FOR c IN SELECT * FROM (VALUES
		('ministry_ranking', NULL, 'The ranking of ministries (dti.ranking for unit_level ministry): rank among all ministries, and ministry_group_rank within their group (with or without public services)'),
		('series', NULL, 'One row per unit and year across framework changes (1726 in 2020, 922 in 2021-2023, 405 in 2024) and the 2025 merger: the index, its rank, the previous rank and the change, the framework, and a flag where the framework changed (values not strictly comparable)'),
		('province_series', NULL, 'dti.series for provinces: the 63 provinces until 2024 and the 34 units from 2025, which carry their predecessors'' values before'),
		('ministry_series', NULL, 'dti.series for ministries'),
		('nation_series', NULL, 'dti.series for the nation: its computed or published national index'),
		('monitored_beside_dti', NULL, 'Monitored series that are not DTI indicators (dti.monitored_value) beside the DTI: each value with the series'' nearest target due on or after its period and the unit''s index and rank in the same period'),
		('change_across_frameworks', NULL, 'Each unit''s change since the previous period where the framework changed, per main indicator through dti.indicator_map: mapped indicators compared (with their contribution), new and unmapped ones listed (dti.explain_across())'),
		(NULL, 'unit_valid_from', 'First day of the unit (a unit formed in the 2025 merger: 2025-07-01; NULL: no first day, as for the 63 provinces)'),
		(NULL, 'unit_valid_to', 'Last day of the unit (NULL: still valid)'),
		(NULL, 'year', 'Year of the period'),
		(NULL, 'framework_version', 'Framework version'),
		(NULL, 'decision', 'Decision that set the framework'),
		(NULL, 'framework_changed', 'True when the framework differs from the unit''s previous row (values and ranks not strictly comparable)'),
		(NULL, 'source', 'computed (the warehouse''s result), published (a published value, dti.published_value) or carried (the predecessors'' values by the succession rule)'),
		(NULL, 'members_with_value', 'For a carried value: predecessors that have a value'),
		(NULL, 'framework_prev', 'Framework of the previous period'),
		(NULL, 'status', 'mapped (compared with the indicators mapped to it), new (nothing maps to it) or unmapped (an indicator of the previous framework that maps to nothing)'),
		(NULL, 'mapped_from', 'Codes of the previous framework''s indicators mapped to it'),
		(NULL, 'series_code', 'Code of the monitored series (dti.monitored_series), also the code of its targets'),
		(NULL, 'series_name', 'Vietnamese name of the series'),
		(NULL, 'synthetic', 'True for a made-up series (demo)'),
		(NULL, 'unit_of_measure', 'Unit of the values (count, percent, ...)'),
		(NULL, 'target', 'The series'' nearest target due on or after the period (dti.target), if any'),
		(NULL, 'deadline', 'Deadline of that target'),
		(NULL, 'dti', 'The unit''s index in the same period, 4 decimals'),
		(NULL, 'dti_rank', 'The unit''s rank on the index in the same period')
	) AS x (view_name, column_name, comment)
	LOOP
		IF c.view_name IS NOT NULL THEN
			EXECUTE format('COMMENT ON VIEW dti.%I IS %L', c.view_name, c.comment);
		ELSE
			FOR v IN SELECT k.relname FROM pg_class k JOIN pg_attribute a ON a.attrelid = k.oid
						 WHERE k.relnamespace = 'dti'::regnamespace AND a.attname = c.column_name
						   AND k.relname IN ('series', 'province_series', 'ministry_series', 'nation_series', 'change_across_frameworks',
										   'monitored_beside_dti')
						 ORDER BY 1 LOOP
				EXECUTE format('COMMENT ON COLUMN dti.%I.%I IS %L', v, c.column_name, c.comment);
			END LOOP;
		END IF;
	END LOOP;
	-- the columns these views share with dti.ranking (or else with
	-- dti.top_contributors) keep its comments
	FOR c IN
		SELECT DISTINCT ON (k.relname, a.attname) k.relname, a.attname, d.description
		FROM pg_attribute a
		JOIN pg_class k ON k.oid = a.attrelid
		JOIN pg_attribute ra ON ra.attrelid IN ('dti.ranking'::regclass, 'dti.top_contributors'::regclass)
			AND ra.attname = a.attname
		JOIN pg_description d ON d.objoid = ra.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = ra.attnum
		WHERE k.relnamespace = 'dti'::regnamespace
		  AND k.relname IN ('ministry_ranking', 'series', 'province_series', 'ministry_series', 'nation_series',
							'change_across_frameworks', 'monitored_beside_dti')
		  AND a.attnum > 0 AND NOT EXISTS (SELECT 1 FROM pg_description x
										   WHERE x.objoid = a.attrelid AND x.objsubid = a.attnum)
		ORDER BY k.relname, a.attname, ra.attrelid = 'dti.ranking'::regclass DESC
	LOOP
		EXECUTE format('COMMENT ON COLUMN dti.%I.%I IS %L', c.relname, c.attname, c.description);
	END LOOP;
END $$;

GRANT SELECT ON dti.ministry_ranking, dti.series, dti.province_series, dti.ministry_series, dti.nation_series,
	dti.change_across_frameworks, dti.monitored_beside_dti TO dti_reader, dti_admin;
-- monitored series are reference data of admins: they load and correct them
GRANT SELECT, INSERT, UPDATE, DELETE ON dti.monitored_series, dti.monitored_value TO dti_admin;
GRANT SELECT ON dti.monitored_series, dti.monitored_value TO dti_loader, dti_verifier;
GRANT SELECT ON dti.target_translation TO dti_loader, dti_verifier, dti_admin;
GRANT INSERT, UPDATE ON dti.target_translation TO dti_admin;
SELECT pg_catalog.pg_extension_config_dump('dti.target_translation', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.monitored_series', '');
SELECT pg_catalog.pg_extension_config_dump('dti.monitored_value', '');
