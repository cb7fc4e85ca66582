-- Views for BI tools (Superset, Metabase, Power BI, QGIS): finished scores
-- and ranks from the published results, standard types only (text, integer,
-- numeric at the published scale, date, timestamptz), stable column names,
-- Vietnamese names with diacritics.  docs/bi.md describes every column.

-- A grade scale (A-E) for frameworks that define one.
CREATE TABLE dti.framework_grade (
	framework_id integer NOT NULL REFERENCES dti.framework (id),
	grade text NOT NULL,
	min_value float8 NOT NULL,
	PRIMARY KEY (framework_id, grade)
);
COMMENT ON TABLE dti.framework_grade IS
	'Optional grade scale of a framework: a unit gets the grade with the highest min_value its index reaches (e.g. A 0.90, B 0.80, C 0.65, D 0.50, E 0)';

CREATE VIEW dti.score_long AS
SELECT u.code AS unit_code,
	   u.name_vi AS unit,
	   u.level AS unit_level,
	   r.period,
	   f.code AS framework,
	   f.version AS framework_version,
	   n.code::text AS code,
	   coalesce(i.name_vi, f.title_vi) AS name_vi,
	   coalesce(i.name_en, f.title_en) AS name_en,
	   n.level,
	   round(n.value::numeric, 4) AS value,
	   round(n.points::numeric, 2) AS points,
	   n.max_points::numeric AS max_points,
	   rk.rank,
	   coalesce(prev.rank, cp.rank) AS rank_prev,
	   coalesce(prev.rank, cp.rank) - rk.rank AS rank_change,
	   rk.group_rank AS region_rank,
	   round(n.present::numeric / nullif(n.expected, 0), 4) AS coverage
FROM dti.result_scorecard r
JOIN dti.unit u ON u.id = r.unit_id
JOIN dti.framework f ON f.id = r.framework_id
CROSS JOIN LATERAL scorecard_nodes(r.scorecard) n
LEFT JOIN dti.framework_indicator i ON i.framework_id = r.framework_id AND i.code = n.code
LEFT JOIN dti.result_rank rk ON rk.period = r.period AND rk.unit_id = r.unit_id AND rk.code = n.code
LEFT JOIN LATERAL (
	-- the same indicator a period earlier: under the same framework, through
	-- the indicator mapping of another framework, or the index itself
	-- (the codes it can have first: its rows found by key)
	SELECT p.rank FROM dti.result_rank p
	WHERE p.period = dti.previous_period(r.period) AND p.unit_id = r.unit_id
	  AND p.code = ANY (n.code || ARRAY(SELECT m.from_code FROM dti.indicator_map m
										WHERE m.to_framework_id = r.framework_id AND m.to_code = n.code))
	  AND ((p.code = n.code AND (p.framework_id = r.framework_id OR n.code = 'DTI'))
		   OR EXISTS (SELECT 1 FROM dti.indicator_map m
					  WHERE m.from_framework_id = p.framework_id AND m.from_code = p.code
						AND m.to_framework_id = r.framework_id AND m.to_code = n.code))
	ORDER BY p.code = n.code DESC
	LIMIT 1) prev ON true
-- across the 2025 merger: the predecessors' values carried by the succession rule
LEFT JOIN LATERAL dti.carried_value(r.unit_id, dti.previous_period(r.period), n.code) cp ON prev.rank IS NULL;

CREATE VIEW dti.ranking AS
SELECT rk.period,
	   u.level AS unit_level,
	   f.code AS framework,
	   rk.rank,
	   u.code AS unit_code,
	   u.name_vi AS unit,
	   g.name_vi AS region,
	   round(rk.value::numeric, 4) AS value,
	   coalesce(prev.rank, cp.rank) AS rank_prev,
	   coalesce(prev.rank, cp.rank) - rk.rank AS rank_change,
	   round((rk.value - coalesce(prev.value, cp.value))::numeric, 4) AS value_change,
	   rk.group_rank AS region_rank,
	   CASE WHEN rk.value > 0.75 THEN 'Rất cao'
			WHEN rk.value >= 0.50 THEN 'Cao'
			WHEN rk.value >= 0.25 THEN 'Trung bình'
			WHEN rk.value IS NOT NULL THEN 'Thấp' END AS band,
	   (SELECT gs.grade FROM dti.framework_grade gs
		WHERE gs.framework_id = rk.framework_id AND rk.value >= gs.min_value
		ORDER BY gs.min_value DESC LIMIT 1) AS grade,
	   -- A-E grading of the unit's information system (65_grading.sql)
	   sg.total AS system_points,
	   sg.grade AS system_grade,
	   CASE WHEN u.level = 'ministry' THEN g.name_vi END AS ministry_group,
	   CASE WHEN u.level = 'ministry' THEN rk.group_rank END AS ministry_group_rank,
	   CASE WHEN rk.value IS NULL THEN dti.points_missing(rk.framework_id) END AS value_note
FROM dti.result_rank rk
JOIN dti.unit u ON u.id = rk.unit_id
LEFT JOIN dti.unit g ON g.id = u.parent_id
JOIN dti.framework f ON f.id = rk.framework_id
LEFT JOIN dti.result_rank prev ON prev.period = dti.previous_period(rk.period)
	AND prev.unit_id = rk.unit_id AND prev.code = 'DTI'
-- across the 2025 merger: the predecessors' values carried by the succession rule
LEFT JOIN LATERAL dti.carried_value(rk.unit_id, dti.previous_period(rk.period), 'DTI') cp ON prev.unit_id IS NULL
-- the grade of the unit's main information system in the same year
LEFT JOIN LATERAL dti.unit_system_grade(rk.unit_id, rk.period) sg ON true
WHERE rk.code = 'DTI';

CREATE VIEW dti.province_ranking AS
SELECT * FROM dti.ranking WHERE unit_level = 'province';

CREATE VIEW dti.top_contributors AS
SELECT u.code AS unit_code,
	   u.name_vi AS unit,
	   r.period,
	   p.period AS period_prev,
	   e.code::text AS code,
	   coalesce(i.name_vi, f.title_vi) AS name_vi,
	   e.k::integer AS place,
	   round(e.value_a::numeric, 4) AS value_prev,
	   round(e.value_b::numeric, 4) AS value,
	   round(e.contribution::numeric, 6) AS contribution,
	   round((e.contribution * f.max_points)::numeric, 2) AS contribution_points,
	   round(e.share::numeric, 4) AS share
FROM dti.result_scorecard r
JOIN dti.result_scorecard p ON p.unit_id = r.unit_id AND p.period = dti.previous_period(r.period)
	AND p.framework_id = r.framework_id
JOIN dti.unit u ON u.id = r.unit_id
JOIN dti.framework f ON f.id = r.framework_id
CROSS JOIN LATERAL (
	SELECT x.*, row_number() OVER (ORDER BY abs(x.contribution) DESC, x.code) AS k
	FROM explain_change(p.scorecard, r.scorecard) x WHERE x.is_leaf AND x.contribution <> 0) e
LEFT JOIN dti.framework_indicator i ON i.framework_id = r.framework_id AND i.code = e.code
WHERE e.k <= 5 AND r.root_value IS NOT NULL AND p.root_value IS NOT NULL
UNION ALL
-- across a framework change: the main indicators mapped by dti.indicator_map
SELECT u.code, u.name_vi, r.period, p.period, e.code, coalesce(e.name_vi, f.title_vi), e.k::integer,
	   round(e.value_a::numeric, 4), round(e.value_b::numeric, 4), round(e.contribution::numeric, 6),
	   round((e.contribution * f.max_points)::numeric, 2),
	   round((e.contribution / nullif(r.root_value - p.root_value, 0))::numeric, 4)
FROM dti.result_scorecard r
JOIN dti.result_scorecard p ON p.unit_id = r.unit_id AND p.period = dti.previous_period(r.period)
	AND p.framework_id <> r.framework_id
JOIN dti.unit u ON u.id = r.unit_id
JOIN dti.framework f ON f.id = r.framework_id
CROSS JOIN LATERAL (
	SELECT x.*, row_number() OVER (ORDER BY abs(x.contribution) DESC, x.code) AS k
	FROM dti.explain_across(p.framework_id, p.scorecard, r.framework_id, r.scorecard) x
	WHERE x.status = 'mapped' AND x.contribution <> 0) e
WHERE e.k <= 5 AND r.root_value IS NOT NULL AND p.root_value IS NOT NULL;

CREATE VIEW dti.data_quality AS
SELECT u.code AS unit_code,
	   u.name_vi AS unit,
	   s.period,
	   f.code AS framework,
	   (SELECT count(*) FROM dti.framework_indicator i
		WHERE i.framework_id = f.id
		  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator c
						  WHERE c.framework_id = i.framework_id AND parent(c.code) = i.code))::integer AS expected,
	   s.submitted::integer,
	   coalesce(v.verified, 0)::integer AS verified,
	   round(coalesce(v.verified, 0)::numeric / nullif(s.submitted, 0), 4) AS verified_share,
	   (SELECT count(*) FROM dti.refresh_queue q WHERE q.period = s.period AND (q.unit_id = s.unit_id OR q.unit_id IS NULL))::integer
		   AS pending_changes
FROM (SELECT unit_id, period, count(DISTINCT indicator) AS submitted FROM dti.submission GROUP BY unit_id, period) s
JOIN dti.unit u ON u.id = s.unit_id
JOIN dti.period pe ON pe.label = s.period
JOIN dti.framework_in_use fu ON fu.level = u.level AND fu.year = pe.year
JOIN dti.framework f ON f.id = fu.framework_id
LEFT JOIN LATERAL (SELECT count(*) AS verified FROM dti.current_value c
				   WHERE c.period = s.period AND c.unit_id = s.unit_id) v ON true;

CREATE VIEW dti.merged_series AS
SELECT nu.code AS unit_code,
	   nu.name_vi AS unit,
	   r.period,
	   n.code::text AS code,
	   n.level,
	   -- the succession rule: official mean, or weighted mean (members
	   -- without a value left out)
	   round((sum(us.share * n.value) / nullif(sum(us.share) FILTER (WHERE n.value IS NOT NULL), 0))::numeric, 4)
		   AS carried_value,
	   count(n.value)::integer AS members_with_value,
	   count(*)::integer AS members,
	   string_agg(ou.name_vi, ', ' ORDER BY ou.code) AS member_units,
	   (SELECT round(x.value::numeric, 4) FROM dti.result_rank x
		WHERE x.unit_id = nu.id AND x.period = r.period AND x.code = n.code) AS own_value,
	   min(us.method) AS carry_rule
FROM dti.succession_share us
JOIN dti.unit ou ON ou.id = us.predecessor_id
JOIN dti.unit nu ON nu.id = us.successor_id
JOIN dti.result_scorecard r ON r.unit_id = us.predecessor_id
CROSS JOIN LATERAL scorecard_nodes(r.scorecard) n
WHERE n.level <= 2
GROUP BY nu.id, nu.code, nu.name_vi, r.period, n.code, n.level;

CREATE VIEW dti.target_attainment AS
WITH obs AS (
	-- verified submissions of the target's code, and monitored values of
	-- the series of that code
	SELECT t.id AS target_id, s.unit_id, s.period, s.value, s.id AS revision
	FROM dti.target t
	JOIN dti.submission s ON s.indicator::text = t.code
	JOIN LATERAL (SELECT st.status FROM dti.submission_status st
				  WHERE st.submission_id = s.id ORDER BY st.id DESC LIMIT 1) st ON st.status = 'verified'
	UNION ALL
	SELECT t.id, m.unit_id, m.period, m.value, 0
	FROM dti.target t
	JOIN dti.monitored_value m ON m.series_code = t.code
), latest AS (
	SELECT DISTINCT ON (o.target_id, o.unit_id) o.target_id, o.unit_id, o.period, o.value
	FROM obs o
	ORDER BY o.target_id, o.unit_id, o.period DESC, o.revision DESC
), carried AS (
	-- a unit formed in the 2025 merger, in periods before it existed: its
	-- predecessors' values (a sum for counts, else the succession rule)
	SELECT x.target_id, sh.successor_id AS unit_id, x.period,
		   CASE WHEN t.unit_of_measure = 'count' THEN sum(x.value)
				ELSE sum(sh.share * x.value) / nullif(sum(sh.share), 0) END AS value
	FROM (SELECT DISTINCT ON (o.target_id, o.unit_id, o.period) o.target_id, o.unit_id, o.period, o.value
		  FROM obs o ORDER BY o.target_id, o.unit_id, o.period, o.revision DESC) x
	JOIN dti.succession_share sh ON sh.predecessor_id = x.unit_id
	JOIN dti.target t ON t.id = x.target_id
	WHERE dti.period_end(x.period) < sh.effective
	GROUP BY x.target_id, sh.successor_id, x.period, t.unit_of_measure
), first AS (
	SELECT DISTINCT ON (f.target_id, f.unit_id) f.target_id, f.unit_id, f.period, f.value, f.carried
	FROM (SELECT o.target_id, o.unit_id, o.period, o.value, o.revision, false AS carried FROM obs o
		  UNION ALL
		  SELECT c.target_id, c.unit_id, c.period, c.value, 0, true FROM carried c) f
	ORDER BY f.target_id, f.unit_id, f.period, f.carried, f.revision DESC
)
SELECT t.code,
	   coalesce(t.name_vi, tr.name_vi, t.name_en) AS name_vi,
	   t.name_en,
	   t.pillar,
	   u.code AS unit_code,
	   u.name_vi AS unit,
	   l.period,
	   t.target_value::numeric AS target,
	   t.unit_of_measure,
	   t.direction,
	   t.deadline,
	   l.value::numeric AS value,
	   CASE t.direction WHEN 'higher' THEN t.target_value - l.value ELSE l.value - t.target_value END::numeric AS gap,
	   CASE
		   WHEN l.value IS NULL THEN 'no data'
		   WHEN (t.direction = 'higher' AND l.value >= t.target_value)
			 OR (t.direction = 'lower' AND l.value <= t.target_value) THEN 'achieved'
		   WHEN dti.period_end(l.period) >= t.deadline THEN 'missed'
		   WHEN fi.period IS NULL OR fi.period = l.period THEN 'not enough data'
		   WHEN (l.value + (l.value - fi.value) / (dti.period_end(l.period) - dti.period_end(fi.period))
					 * (t.deadline - dti.period_end(l.period)) - t.target_value)
					* CASE t.direction WHEN 'higher' THEN 1 ELSE -1 END >= 0 THEN 'on track'
		   ELSE 'off track'
	   END AS status,
	   t.name_vi IS NULL AND tr.name_vi IS NOT NULL AS name_vi_translated,
	   fi.period AS trend_from,
	   fi.carried AS trend_carried
FROM dti.target t
LEFT JOIN dti.target_translation tr ON tr.code = t.code
LEFT JOIN latest l ON l.target_id = t.id
LEFT JOIN first fi ON fi.target_id = t.id AND fi.unit_id = l.unit_id
LEFT JOIN dti.unit u ON u.id = l.unit_id;

CREATE VIEW dti.refresh_history AS
SELECT id AS run, started_at, ended_at, round(extract(epoch FROM ended_at - started_at)::numeric, 3) AS seconds,
	   requested_period, requested_framework, array_to_string(periods, ', ') AS periods,
	   array_to_string(whole_periods, ', ') AS whole_periods, array_to_string(pending_periods, ', ') AS pending_periods,
	   scorecards, ranks, outcome, error, sqlstate, run_by::text AS run_by,
	   (SELECT string_agg(f->>'period', ', ') FROM jsonb_array_elements(failures) f) AS failed_periods
FROM dti.refresh_log;


-- The wide form: one row per unit and period, the index and each main
-- indicator of one framework as columns named after their codes (lower
-- case).  Built for the shipped provincial framework at install; rebuild it
-- with dti.build_score_wide('<framework code>') when a new framework
-- becomes the current one.
CREATE FUNCTION dti.build_score_wide(framework_code text DEFAULT '922-province') RETURNS text
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	fw_ids integer[];
	member boolean;
	cols text := '';
	r record;
	sql text;
BEGIN
	SELECT array_agg(f.id) INTO fw_ids FROM dti.framework f WHERE f.code = build_score_wide.framework_code;
	IF fw_ids IS NULL THEN
		RAISE EXCEPTION 'no framework with code %', framework_code
			USING ERRCODE = 'no_data_found', HINT = 'Look the code up in dti.framework.';
	END IF;
	FOR r IN
		SELECT DISTINCT i.code::text AS code FROM dti.framework_indicator i
		WHERE i.framework_id = ANY (fw_ids) AND nlevel(i.code) = 1
		  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator p
						  WHERE p.framework_id = i.framework_id AND p.code = parent(i.code))
		ORDER BY 1
	LOOP
		cols := cols || format(E',\n\tmax(round(n.value::numeric, 4)) FILTER (WHERE n.code = %L) AS %I',
							   r.code, lower(r.code));
	END LOOP;
	sql := format($v$CREATE VIEW dti.score_wide AS
SELECT u.code AS unit_code, u.name_vi AS unit, g.name_vi AS region, r.period, f.code AS framework,
	round(r.root_value::numeric, 4) AS dti, min(rk.rank) AS rank%s
FROM dti.result_scorecard r
JOIN dti.framework f ON f.id = r.framework_id AND f.code = %L
JOIN dti.unit u ON u.id = r.unit_id
LEFT JOIN dti.unit g ON g.id = u.parent_id
LEFT JOIN dti.result_rank rk ON rk.period = r.period AND rk.unit_id = r.unit_id AND rk.code = 'DTI'
CROSS JOIN LATERAL scorecard_nodes(r.scorecard) n
GROUP BY u.code, u.name_vi, g.name_vi, r.period, f.code, r.root_value$v$, cols, framework_code);
	-- the view shipped by the extension stays a member of it when rebuilt
	member := EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
					  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = to_regclass('dti.score_wide')
						AND d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
						AND e.extname = 'dti_warehouse');
	IF member THEN
		EXECUTE 'ALTER EXTENSION dti_warehouse DROP VIEW dti.score_wide';
	END IF;
	EXECUTE 'DROP VIEW IF EXISTS dti.score_wide';
	EXECUTE sql;
	EXECUTE format('COMMENT ON VIEW dti.score_wide IS %L',
				   format('One row per unit and period of framework %s: the index (dti) and each main indicator as a column named after its code, values rounded to 4 decimals', framework_code));
	-- every column carries a comment, also after a rebuild (a new view has none)
	FOR r IN SELECT * FROM (VALUES
		('unit_code', 'Official code of the unit (GSO 2-digit code for provinces)'),
		('unit', 'Vietnamese name of the unit, with diacritics'),
		('region', 'Socio-economic region of a province, or group of a ministry'),
		('period', 'Assessment period (2024, 2024-Q1, 2024-03)'),
		('framework', 'Framework code (e.g. 922-province)'),
		('dti', 'The index, rounded to 4 decimals'),
		('rank', 'Competition rank (1224) among the units of the period on the value at 4 decimals, highest first')) AS c (col, txt)
	LOOP
		EXECUTE format('COMMENT ON COLUMN dti.score_wide.%I IS %L', r.col, r.txt);
	END LOOP;
	FOR r IN
		SELECT DISTINCT ON (i.code::text) i.code::text AS code, i.name_vi FROM dti.framework_indicator i
		WHERE i.framework_id = ANY (fw_ids) AND nlevel(i.code) = 1
		  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator p
						  WHERE p.framework_id = i.framework_id AND p.code = parent(i.code))
		ORDER BY i.code::text, i.framework_id DESC
	LOOP
		EXECUTE format('COMMENT ON COLUMN dti.score_wide.%I IS %L', lower(r.code),
					   format('Main indicator %s (%s) of framework %s: its value rounded to 4 decimals', r.code, r.name_vi, framework_code));
	END LOOP;
	EXECUTE 'GRANT SELECT ON dti.score_wide TO dti_reader, dti_admin';
	IF member THEN
		EXECUTE 'ALTER EXTENSION dti_warehouse ADD VIEW dti.score_wide';
	END IF;
	RETURN sql;
END $$;
COMMENT ON FUNCTION dti.build_score_wide(text) IS
	'Builds (or rebuilds) the view dti.score_wide for a framework code: one column per main indicator; returns the view definition (superusers only: the view belongs to the extension)';
REVOKE EXECUTE ON FUNCTION dti.build_score_wide(text) FROM PUBLIC;
SELECT dti.build_score_wide();

-- Comments on every column of the BI views.
DO $$
DECLARE
	c record;
BEGIN
	FOR c IN SELECT * FROM (VALUES
		('score_long', NULL, 'Long form: one row per unit, period and indicator of the published scorecards (the index DTI, pillars, main indicators, components), with ranks'),
		('ranking', NULL, 'Published ranking of every unit on the index: rank at 4 decimals (competition, 1224), change since the previous period, rank within the region or ministry group, band and grade'),
		('province_ranking', NULL, 'The ranking of provinces (dti.ranking for unit_level province)'),
		('top_contributors', NULL, 'The five leaves that contributed most to each unit''s change of the index since the previous period, from explain_change(); across a framework change, the five main indicators mapped by dti.indicator_map that contributed most (dti.explain_across(); dti.change_across_frameworks lists the unmapped ones)'),
		('data_quality', NULL, 'Per unit and period: leaves the framework expects, indicators submitted, indicators with a current verified value, and changes waiting for a refresh'),
		('merged_series', NULL, 'Pre-merger values carried onto the 34 units of 2025: the official unweighted mean of the members'' values per main indicator and index, beside the unit''s own value where it has one'),
		('target_attainment', NULL, 'National targets: latest verified value (or monitored value, dti.monitored_value) of each target per unit, the gap, and achieved / on track / off track / missed / not enough data / no data; the trend of a unit formed in the 2025 merger starts from its predecessors'' values'),
		('refresh_history', NULL, 'The refresh log: one row per CALL dti.refresh()'),
		('score_wide', NULL, NULL),
		(NULL, 'unit_code', 'Official code of the unit (GSO 2-digit code for provinces)'),
		(NULL, 'unit', 'Vietnamese name of the unit, with diacritics'),
		(NULL, 'unit_level', 'province, ministry, nation or commune'),
		(NULL, 'region', 'Socio-economic region of a province, or group of a ministry'),
		(NULL, 'period', 'Assessment period (2024, 2024-Q1, 2024-03)'),
		(NULL, 'period_prev', 'The previous period of the same kind'),
		(NULL, 'framework', 'Framework code (e.g. 922-province)'),
		(NULL, 'framework_version', 'Framework version'),
		(NULL, 'code', 'Indicator code; DTI is the index itself'),
		(NULL, 'name_vi', 'Vietnamese name of the indicator, with diacritics'),
		(NULL, 'name_en', 'English name of the indicator'),
		(NULL, 'level', 'Depth in the tree: 1 the index, 2 main indicators, 3 components, ...'),
		(NULL, 'value', 'Value in [0, 1] (or the normalised scale of a mean framework), rounded to the published 4 decimals'),
		(NULL, 'points', 'Points: value times max points'),
		(NULL, 'max_points', 'Maximum points'),
		(NULL, 'rank', 'Competition rank (1224) among the units of the period on the value at 4 decimals, highest first'),
		(NULL, 'rank_prev', 'Rank in the previous period (through the indicator mapping when the framework changed; the index always); for a unit formed in the 2025 merger, the rank of its predecessors'' values carried by its succession rule among all such units'),
		(NULL, 'rank_change', 'rank_prev minus rank: positive means the unit moved up'),
		(NULL, 'value_change', 'Value minus the value of the previous period (for a unit formed in the 2025 merger, its predecessors'' carried value)'),
		(NULL, 'region_rank', 'Rank within the socio-economic region (provinces) or ministry group (ministries)'),
		(NULL, 'coverage', 'Share of the leaves under the node that have a verified value'),
		(NULL, 'band', 'EGDI-style band of the index: Rất cao (> 0.75), Cao (0.50-0.75), Trung bình (0.25-0.50), Thấp (< 0.25)'),
		(NULL, 'grade', 'A-E grade where the framework defines a scale (dti.framework_grade)'),
		(NULL, 'ministry_group', 'For a ministry, its group: Bộ, ngành có cung cấp dịch vụ công (with public services) or không cung cấp (without); ministries are ranked within it'),
		(NULL, 'ministry_group_rank', 'For a ministry, its rank within its ministry group (competition rank at 4 decimals)'),
		(NULL, 'value_note', 'Why the value is empty, when the framework says so (points of main indicators not published yet: see dti.complete_points())'),
		(NULL, 'place', 'Place of the contribution by size, 1 the largest'),
		(NULL, 'value_prev', 'Value in the previous period'),
		(NULL, 'contribution', 'Contribution to the change of the index (index scale); the leaves sum to the change'),
		(NULL, 'contribution_points', 'Contribution in points (times the framework''s max points)'),
		(NULL, 'share', 'Contribution as a share of the change of the index'),
		(NULL, 'expected', 'Leaves of the framework'),
		(NULL, 'submitted', 'Indicators with at least one submission'),
		(NULL, 'verified', 'Indicators with a current verified value'),
		(NULL, 'verified_share', 'verified / submitted'),
		(NULL, 'pending_changes', 'Queued changes not yet refreshed'),
		(NULL, 'carried_value', 'The members'' values combined by the unit''s succession rule: their mean (the official rule for units merged in 2025) or a weighted mean (dti.set_succession_rule()); members without a value left out'),
		(NULL, 'carry_rule', 'The succession rule used: mean or weighted_mean'),
		(NULL, 'members_with_value', 'Members that have a value'),
		(NULL, 'members', 'Members (old provinces) of the new unit'),
		(NULL, 'member_units', 'Names of the members'),
		(NULL, 'own_value', 'The unit''s own value in the period, where it has one'),
		(NULL, 'pillar', 'Pillar of the target (digital government, economy, society)'),
		(NULL, 'target', 'Target value'),
		(NULL, 'unit_of_measure', 'Unit of the values'),
		(NULL, 'direction', 'higher or lower is better'),
		(NULL, 'deadline', 'Date by which the target is due'),
		(NULL, 'gap', 'How far the latest value is from the target, in the target''s direction (positive: still to go)'),
		(NULL, 'status', 'achieved, on track (a straight line through the first and latest values reaches the target by the deadline), off track, missed, not enough data (a single value: no trend), no data'),
		(NULL, 'name_vi_translated', 'True when name_vi is a translation of the English name (dti.target_translation), not the decision''s own wording'),
		(NULL, 'trend_from', 'Period of the first value of the trend line'),
		(NULL, 'trend_carried', 'True when the first value is carried from the predecessors of a unit formed in the 2025 merger (their sum for counts, else by the succession rule)'),
		(NULL, 'dti', 'The index, rounded to 4 decimals'),
		(NULL, 'run', 'Refresh run number'),
		(NULL, 'started_at', 'When the run started'),
		(NULL, 'ended_at', 'When the run ended'),
		(NULL, 'seconds', 'Duration in seconds'),
		(NULL, 'requested_period', 'Period asked for, if any'),
		(NULL, 'requested_framework', 'Framework asked for, if any'),
		(NULL, 'periods', 'Periods recomputed'),
		(NULL, 'whole_periods', 'Periods recomputed whole (relative rules, framework or unit changes, or asked for)'),
		(NULL, 'pending_periods', 'Locked periods with changes waiting'),
		(NULL, 'scorecards', 'Scorecards written'),
		(NULL, 'ranks', 'Rank rows written or removed'),
		(NULL, 'outcome', 'ok, failed, skipped (another refresh was running)'),
		(NULL, 'error', 'Error message of a failed run'),
		(NULL, 'sqlstate', 'SQLSTATE of a failed run'),
		(NULL, 'run_by', 'Role that ran it'),
		(NULL, 'failed_periods', 'Periods that failed in the run (their error is in error and in dti.refresh_log.failures); the others were committed')
	) AS v (view_name, column_name, comment)
	LOOP
		IF c.view_name IS NOT NULL AND c.comment IS NOT NULL THEN
			EXECUTE format('COMMENT ON VIEW dti.%I IS %L', c.view_name, c.comment);
		ELSIF c.column_name IS NOT NULL THEN
			FOR c.view_name IN
				SELECT a.attrelid::regclass::text FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid
				WHERE k.relnamespace = 'dti'::regnamespace AND k.relkind = 'v' AND a.attname = c.column_name
				  AND k.relname IN ('score_long', 'ranking', 'province_ranking', 'top_contributors', 'data_quality',
									'merged_series', 'target_attainment', 'refresh_history', 'score_wide')
			LOOP
				EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', c.view_name, c.column_name, c.comment);
			END LOOP;
		END IF;
	END LOOP;
END $$;

-- The grade of the unit's information system beside the DTI (65_grading.sql).
COMMENT ON COLUMN dti.ranking.system_points IS 'Total points of the unit''s main administrative-procedure information system in the year (dti.system_grade), 2 decimals';
COMMENT ON COLUMN dti.ranking.system_grade IS 'A-E grade of the unit''s main information system in the year (Decision 473/QĐ-BTTTT for 2024)';
COMMENT ON COLUMN dti.province_ranking.system_points IS 'Total points of the province''s main administrative-procedure information system in the year (dti.system_grade), 2 decimals';
COMMENT ON COLUMN dti.province_ranking.system_grade IS 'A-E grade of the province''s main information system in the year (Decision 473/QĐ-BTTTT for 2024)';

GRANT SELECT ON dti.score_long, dti.ranking, dti.province_ranking, dti.top_contributors, dti.data_quality,
	dti.merged_series, dti.target_attainment, dti.refresh_history TO dti_reader, dti_admin;
GRANT SELECT ON dti.result_scorecard, dti.result_rank, dti.refresh_log, dti.refresh_queue, dti.period_lock,
	dti.framework_grade TO dti_admin;
GRANT INSERT, DELETE ON dti.period_lock TO dti_admin;
GRANT INSERT ON dti.framework_grade TO dti_admin;
REVOKE EXECUTE ON FUNCTION dti.compute_scorecards(text, integer, integer[], bigint), dti.compute_ranks(text, integer, integer[]),
	dti.lock_period(text, text), dti.unlock_period(text), dti.schedule_refresh(text), dti.unschedule_refresh()
	FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE dti.refresh(text, integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE dti.refresh(text, integer) TO dti_admin;
-- dti.refresh() runs with the caller's rights: an admin writes the results,
-- the log and the queue through it (and through nothing else: readers see
-- the results only through the views).
GRANT INSERT, UPDATE, DELETE ON dti.result_scorecard, dti.result_rank TO dti_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON dti.result_leaf_range TO dti_admin;
GRANT INSERT, UPDATE ON dti.refresh_log TO dti_admin;
GRANT DELETE ON dti.refresh_queue TO dti_admin;
GRANT USAGE ON SEQUENCE dti.refresh_log_id_seq TO dti_admin;
GRANT EXECUTE ON FUNCTION dti.compute_scorecards(text, integer, integer[], bigint),
	dti.compute_ranks(text, integer, integer[]) TO dti_admin;
GRANT EXECUTE ON FUNCTION dti.lock_period(text, text), dti.unlock_period(text) TO dti_admin;

SELECT pg_catalog.pg_extension_config_dump('dti.result_scorecard', '');
SELECT pg_catalog.pg_extension_config_dump('dti.result_rank', '');
SELECT pg_catalog.pg_extension_config_dump('dti.result_leaf_range', '');
-- The queue's rows are not dumped (WHERE false): restoring the submissions
-- fires the queueing triggers, so a restored database queues everything for
-- the next refresh.
SELECT pg_catalog.pg_extension_config_dump('dti.refresh_queue', 'WHERE false');
SELECT pg_catalog.pg_extension_config_dump('dti.refresh_queue_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.refresh_log', '');
SELECT pg_catalog.pg_extension_config_dump('dti.refresh_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.period_lock', '');
SELECT pg_catalog.pg_extension_config_dump('dti.framework_grade', '');
