-- make demo, part 3: writes report.html (in the current directory) from the
-- demo database: a choropleth of the DTI 2024 by province (SVG paths from
-- ST_AsSVG), the ranking table, a chart of the rank intervals of the top
-- 10, the 2025 merger on the 34 units, regions, and published vs computed.
-- One self-contained file: no network access, no scripts, no external
-- style sheets or fonts.  Every score in it is SYNTHETIC.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only on
\pset footer off
SET client_min_messages = warning;

CREATE FUNCTION pg_temp.h(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(replace(replace(replace(replace(s, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '');

-- Five classes by quintile of the mapped values, light to dark.
CREATE FUNCTION pg_temp.colour(k integer) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (ARRAY['#f0f9e8', '#bae4bc', '#7bccc4', '#43a2ca', '#0868ac'])[k];

-- An SVG choropleth of rows (name, value, rank, geom) with a legend.
CREATE FUNCTION pg_temp.choropleth(title text, rows_sql text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	box box2d;
	svg text;
	legend text;
BEGIN
	EXECUTE format('CREATE TEMP TABLE IF NOT EXISTS map_rows AS SELECT * FROM (%s) r WITH NO DATA', rows_sql);
	TRUNCATE map_rows;
	EXECUTE format('INSERT INTO map_rows SELECT * FROM (%s) r', rows_sql);
	SELECT ST_Extent(geom) INTO box FROM map_rows;
	WITH c AS (SELECT m.*, ntile(5) OVER (ORDER BY m.value) AS k FROM map_rows m WHERE m.value IS NOT NULL)
	SELECT string_agg(format('<path class="unit" d="%s" fill="%s"><title>%s: %s (hạng %s)</title></path>',
							 ST_AsSVG(c.geom, 0, 3), pg_temp.colour(c.k::integer), pg_temp.h(c.name), c.value, c.rank),
					  E'\n' ORDER BY c.name),
		   (SELECT string_agg(format('<span class="key"><i style="background:%s"></i>%s – %s</span>',
									 pg_temp.colour(x.k::integer), x.lo, x.hi), ' ' ORDER BY x.k)
			FROM (SELECT k, min(value) AS lo, max(value) AS hi FROM c GROUP BY k) x)
	INTO svg, legend
	FROM c;
	RETURN format('<figure><svg class="map" role="img" aria-label="%s" viewBox="%s %s %s %s" preserveAspectRatio="xMidYMid meet">%s</svg>'
				  '<figcaption>%s<br>%s</figcaption></figure>',
				  pg_temp.h(title), round(ST_XMin(box)::numeric - 0.1, 3), round(-ST_YMax(box)::numeric - 0.1, 3),
				  round((ST_XMax(box) - ST_XMin(box))::numeric + 0.2, 3), round((ST_YMax(box) - ST_YMin(box))::numeric + 0.2, 3),
				  svg, pg_temp.h(title), legend);
END $$;

-- The rank intervals of the top 10 as an SVG chart: the 5th-95th
-- percentile range as a bar, the median as a dot, the nominal rank as a tick.
CREATE FUNCTION pg_temp.interval_chart() RETURNS text
LANGUAGE sql STABLE
RETURN (
	WITH t AS (
		SELECT i.*, r.unit, row_number() OVER (ORDER BY i.nominal_rank, r.unit) AS n
		FROM demo_interval i
		JOIN dti.province_ranking r ON r.unit_code = i.unit_code AND r.period = '2024' AND r.framework = '922-synthetic'
		WHERE i.nominal_rank <= 10
	), s AS (SELECT greatest(12, ceil(max(p95)) + 1) AS top FROM t)
	SELECT format('<svg class="chart" viewBox="0 0 640 %s" role="img" aria-label="Rank intervals of the top 10">', 40 + 28 * count(*))
		|| string_agg(format('<g><text x="150" y="%s" text-anchor="end">%s</text>'
							 '<line class="range" x1="%s" x2="%s" y1="%s" y2="%s"/>'
							 '<line class="nominal" x1="%s" x2="%s" y1="%s" y2="%s"/>'
							 '<circle class="median" cx="%s" cy="%s" r="5"><title>%s: hạng %s, trung vị %s, 5%%–95%%: %s–%s</title></circle></g>',
							 34 + 28 * t.n, pg_temp.h(t.unit),
							 160 + 460 * (t.p05 - 1) / (s.top - 1), 160 + 460 * (t.p95 - 1) / (s.top - 1), 30 + 28 * t.n, 30 + 28 * t.n,
							 160 + 460 * (t.nominal_rank - 1) / (s.top - 1), 160 + 460 * (t.nominal_rank - 1) / (s.top - 1), 20 + 28 * t.n, 40 + 28 * t.n,
							 160 + 460 * (t.median_rank - 1) / (s.top - 1), 30 + 28 * t.n,
							 pg_temp.h(t.unit), t.nominal_rank, t.median_rank, t.p05, t.p95), '' ORDER BY t.n)
		|| (SELECT string_agg(format('<text class="tick" x="%s" y="20" text-anchor="middle">%s</text>', 160 + 460 * (g - 1) / (s.top - 1), g), '')
			FROM generate_series(1, s.top::integer) g WHERE g = 1 OR g % 2 = 0)
		|| '</svg>'
	FROM t, s GROUP BY s.top);

\o report.html
SELECT concat_ws(E'\n',
'<!DOCTYPE html>',
'<html lang="vi"><head><meta charset="utf-8">',
'<meta name="viewport" content="width=device-width, initial-scale=1">',
'<title>DTI demo report (SYNTHETIC data)</title>',
'<style>
body { font: 14px/1.4 "DejaVu Sans", Arial, sans-serif; margin: 24px; color: #222; max-width: 1500px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ccc; }
.synthetic { background: #fff3cd; border: 1px solid #e0b252; padding: 8px 12px; margin: 12px 0; }
.row { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
figure { margin: 0; } figcaption { font-size: 12px; color: #555; max-width: 340px; }
svg.map { width: 340px; height: auto; background: #f7fbff; border: 1px solid #ddd; }
svg.map path.unit { stroke: #555; stroke-width: 0.4px; vector-effect: non-scaling-stroke; }
svg.chart { width: 640px; } svg.chart text { font-size: 12px; }
svg.chart line.range { stroke: #43a2ca; stroke-width: 8; stroke-linecap: round; opacity: 0.6; }
svg.chart line.nominal { stroke: #222; stroke-width: 2; } svg.chart circle.median { fill: #0868ac; }
.key { display: inline-block; margin-right: 8px; white-space: nowrap; }
.key i { display: inline-block; width: 12px; height: 12px; margin-right: 3px; border: 1px solid #888; vertical-align: middle; }
table { border-collapse: collapse; font-size: 13px; } th, td { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } .up { color: #1a7f37; } .down { color: #c62828; }
.scroll { max-height: 520px; overflow-y: auto; }
footer { margin-top: 32px; font-size: 12px; color: #555; }
</style></head><body>',
'<h1>Digital Transformation Index: demo report</h1>',
format('<p>Generated by <code>make demo</code> at %s with dti %s and dti_warehouse %s, PostgreSQL %s, PostGIS %s.</p>',
	   to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'),
	   (SELECT extversion FROM pg_extension WHERE extname = 'dti'),
	   (SELECT extversion FROM pg_extension WHERE extname = 'dti_warehouse'),
	   current_setting('server_version'), postgis_lib_version()),
'<p class="synthetic"><b>SYNTHETIC DATA.</b> The framework has the nine real main indicators of Decision 922/QĐ-BTTTT, but its 98 component indicators and every submitted value are generated from a fixed seed. No score, rank or map on this page except the sections &ldquo;The nation&rdquo; and &ldquo;Published vs computed&rdquo; is a published DTI result; in the grading section only the counts, the named grades and Hà Giang''s points are published.</p>',

'<h2>DTI 2024 by province (synthetic) and the 2025 merger</h2>',
'<div class="row">',
pg_temp.choropleth('DTI 2024 of the 63 provinces (synthetic), five classes by quintile',
	$q$SELECT unit AS name, value, rank, geom FROM dti.score_map
	   WHERE layer = 'geoboundaries' AND period = '2024' AND framework = '922-synthetic' AND code = 'DTI'$q$),
pg_temp.choropleth('The same 2024 values carried onto the 34 units of 1 July 2025 (official rule: mean of the members; synthetic)',
	$q$SELECT unit AS name, value, rank, geom FROM dti.merged_map
	   WHERE layer = 'geoboundaries' AND period = '2024' AND code = 'DTI'$q$),
'<div><h3>Ranking 2024 (synthetic)</h3><div class="scroll"><table id="ranking"><tr><th>Hạng</th><th>Tỉnh, thành phố</th><th>Vùng</th><th>DTI</th><th>2023</th><th>Thay đổi</th></tr>',
(SELECT string_agg(format('<tr><td class="n">%s</td><td>%s</td><td>%s</td><td class="n">%s</td><td class="n">%s</td><td class="n %s">%s</td></tr>',
						  rank, pg_temp.h(unit), pg_temp.h(region), value, rank_prev,
						  CASE WHEN rank_change > 0 THEN 'up' WHEN rank_change < 0 THEN 'down' END,
						  CASE WHEN rank_change > 0 THEN '▲ ' || rank_change WHEN rank_change < 0 THEN '▼ ' || -rank_change
							   WHEN rank_change = 0 THEN '=' END), E'\n' ORDER BY rank, unit_code)
 FROM dti.province_ranking WHERE period = '2024' AND framework = '922-synthetic'),
'</table></div></div>',
'</div>',

'<h2>How solid are the top 10 ranks? (synthetic)</h2>',
'<p><code>rank_intervals()</code>: 1,000 draws of every weight within ±25% (seed 2026). Bar: 5th–95th percentile rank; dot: median; tick: nominal rank.</p>',
pg_temp.interval_chart(),

'<h2>The biggest move of 2024 (synthetic)</h2>',
(SELECT format('<p>%s moved from rank %s to %s. The five components that contributed most (<code>explain_change()</code>):</p>',
			   pg_temp.h(unit), rank_prev, rank)
 FROM dti.province_ranking WHERE period = '2024' AND framework = '922-synthetic'
 ORDER BY abs(rank_change) DESC NULLS LAST, rank LIMIT 1),
'<table><tr><th>#</th><th>Chỉ số</th><th>2023</th><th>2024</th><th>Điểm đóng góp</th></tr>',
(SELECT string_agg(format('<tr><td>%s</td><td>%s %s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td></tr>',
						  c.place, c.code, pg_temp.h(c.name_vi), c.value_prev, c.value, c.contribution_points), E'\n' ORDER BY c.place)
 FROM dti.top_contributors c
 WHERE c.period = '2024' AND c.unit_code = (SELECT unit_code FROM dti.province_ranking WHERE period = '2024' AND framework = '922-synthetic'
											ORDER BY abs(rank_change) DESC NULLS LAST, rank LIMIT 1)),
'</table>',

'<h2>Regions 2024 (synthetic)</h2>',
'<table><tr><th>Hạng</th><th>Vùng</th><th>Tỉnh</th><th>Trung bình</th><th>Thấp nhất</th><th>Cao nhất</th><th>Dẫn đầu</th></tr>',
(SELECT string_agg(format('<tr><td class="n">%s</td><td>%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td>%s</td></tr>',
						  rank, pg_temp.h(region), provinces, mean_value, min_value, max_value, pg_temp.h(best_unit)), E'\n' ORDER BY rank)
 FROM dti.region_summary WHERE period = '2024' AND framework = '922-synthetic' AND code = 'DTI'),
'</table>',

'<h2>Ministries in their two groups (synthetic)</h2>',
'<p>Eight synthetic ministries scored in 2023 by the shipped <code>922-ministry</code> framework (five foundation indicators of 100 points, one activity indicator of 500), ranked within their group as published (<code>dti.ministry_ranking</code>).</p>',
'<table><tr><th>Nhóm</th><th>Hạng trong nhóm</th><th>Hạng chung</th><th>Bộ, ngành</th><th>DTI</th></tr>',
(SELECT string_agg(format('<tr><td>%s</td><td class="n">%s</td><td class="n">%s</td><td>%s</td><td class="n">%s</td></tr>',
						  pg_temp.h(ministry_group), ministry_group_rank, rank, pg_temp.h(unit), value), E'\n'
				   ORDER BY ministry_group, ministry_group_rank, unit_code)
 FROM dti.ministry_ranking WHERE period = '2023'),
'</table>',

'<h2>A monitored count beside the DTI (synthetic)</h2>',
'<p>Community digital technology teams are followed by the programme but are not a DTI indicator: a monitored series (<code>dti.monitored_series</code>, <code>dti.monitored_value</code>) with a target, seen beside the DTI in <code>dti.monitored_beside_dti</code>. Values and target here are synthetic.</p>',
'<table><tr><th>Hạng DTI</th><th>Tỉnh, thành phố</th><th>DTI</th><th>Tổ công nghệ số cộng đồng</th><th>Mục tiêu</th><th>Tình trạng</th></tr>',
(SELECT string_agg(format('<tr><td class="n">%s</td><td>%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td>%s</td></tr>',
						  m.dti_rank, pg_temp.h(m.unit), m.dti, m.value, m.target, a.status), E'\n' ORDER BY m.dti_rank, m.unit_code)
 FROM dti.monitored_beside_dti m
 LEFT JOIN dti.target_attainment a ON a.code = m.series_code AND a.unit_code = m.unit_code AND a.period = m.period
 WHERE m.series_code = 'SYN_CDT_TEAMS' AND m.period = '2024' AND m.dti_rank <= 10),
'</table>',

'<h2>The nation (published figures)</h2>',
'<p>The published national DTI, each value under its framework (<code>dti.nation_series</code>); the framework changed between the two years, so the values are not strictly comparable.</p>',
'<table><tr><th>Năm</th><th>Khung</th><th>Quyết định</th><th>DTI</th><th>Khung thay đổi</th></tr>',
(SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td>%s</td><td class="n">%s</td><td>%s</td></tr>',
						  year, framework, pg_temp.h(decision), value, CASE WHEN framework_changed THEN 'yes' ELSE '' END), E'\n' ORDER BY year)
 FROM dti.nation_series),
'</table>',
'<h2>Grading of the information systems 2024 (published counts and named grades; points synthetic)</h2>',
'<p class="synthetic"><b>Mostly SYNTHETIC.</b> Published (Decision 473/QĐ-BTTTT, results of 11/07/2024): the counts per level and grade, the grades of the 16 units named below, Hà Giang''s 72.5 points and 38.75 functionality points. Every other point value is invented (loaded with source &ldquo;synthetic&rdquo;: <code>dti.grading_score.synthetic</code>), and the 15 ministries at E, not named in the announcement, are placeholders. Bands: A 90-100, B 80-89.99, C 65-79.99, D 50-64.99, E below 50.</p>',
'<table><tr><th>Cấp</th><th>A</th><th>B</th><th>C</th><th>D</th><th>E</th><th>Điểm trung bình (synthetic)</th></tr>',
(SELECT string_agg(format('<tr><td>%s</td>%s<td class="n">%s</td></tr>', c.unit_level,
						  (SELECT string_agg(format('<td class="n">%s</td>', x.systems), '' ORDER BY x.grade)
						   FROM dti.grade_count x WHERE x.year = 2024 AND x.unit_level = c.unit_level),
						  (SELECT m.mean_points FROM dti.grade_mean m WHERE m.year = 2024 AND m.unit_level = c.unit_level AND m.code = 'TOTAL')),
				   E'\n' ORDER BY c.unit_level)
 FROM (SELECT DISTINCT unit_level FROM dti.grade_count WHERE year = 2024) c),
'</table>',
'<table><tr><th>Đơn vị</th><th>Cấp</th><th>Xếp loại</th><th>Công bố</th><th>Tổng điểm</th><th>Hạng</th><th>Nhóm yếu nhất</th><th>Dữ liệu</th></tr>',
(SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class="n">%s</td><td class="n">%s</td><td>%s</td><td>%s</td></tr>',
						  pg_temp.h(s.unit), s.unit_level, s.grade, d.grade, s.total, s.rank, pg_temp.h(s.weakest_group_name),
						  CASE WHEN s.unit_code = '02' THEN 'total published; group points other than functionality synthetic'
							   ELSE 'grade published; points synthetic' END),
				   E'\n' ORDER BY s.unit_level, s.grade, s.unit)
 FROM dti.system_grade s JOIN demo_grading d ON d.code = s.unit_code WHERE s.year = 2024 AND d.named),
'</table>',
'<details><summary>All 84 systems (every row synthetic except the grades above)</summary><table><tr><th>Đơn vị</th><th>Cấp</th><th>Xếp loại</th><th>Tổng điểm</th><th>Hạng</th><th>Dữ liệu</th></tr>',
(SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td>%s</td><td class="n">%s</td><td class="n">%s</td><td>%s</td></tr>',
						  pg_temp.h(s.unit), s.unit_level, s.grade, s.total, s.rank,
						  CASE WHEN s.synthetic THEN 'synthetic' ELSE 'published' END),
				   E'\n' ORDER BY s.unit_level, s.rank, s.unit)
 FROM dti.system_grade s WHERE s.year = 2024),
'</table></details>',

'<h2>Published vs computed (published figures)</h2>',
'<p>From the shipped table <code>dti.published_value</code> (dti.gov.vn result pages; extend it with INSERT): the published DTI 2022 of Đà Nẵng recomputed from its published main-indicator values with <code>rollup()</code> through the Decision 922 framework.</p>',
'<table><tr><th>Đơn vị</th><th>Kỳ</th><th>Công bố</th><th>Tính lại</th><th>Khớp</th></tr>',
(SELECT string_agg(format('<tr><td>%s</td><td>%s</td><td class="n">%s</td><td class="n">%s</td><td>%s</td></tr>',
						  pg_temp.h(unit), period, published, recomputed, CASE WHEN matches THEN 'yes' ELSE 'no' END), E'\n')
 FROM dti.published_comparison WHERE recomputed IS NOT NULL),
'</table>',

'<footer>Administrative boundaries courtesy of geoBoundaries.org (Runfola et al. 2020, PLoS ONE 15(4): e0231866), VNM ADM1, boundary year 2008, simplified; the 34 units of 2025 and the regions are dissolves (ST_Union) of the 63 provinces. This layer has only a few islets of the Hoàng Sa and Trường Sa archipelagos; an official layer can be loaded with <code>dti.load_boundary_layer()</code>. Maps drawn with ST_AsSVG.</footer>',
'</body></html>');
\o
