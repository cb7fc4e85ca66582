-- The whole programme's frameworks beside the provincial 922 one: the
-- provinces under Decision 1726 (2020) and 405 (2024), the ministries under
-- Decision 922 (2021-2023), the nation under 922 (2021-2023) and 405
-- (2024).  Shipped at the level of their main indicators (or pillars), the
-- deepest level whose points were published; rows carry the decisions'
-- dates, so that every installation holds the same rows.

-- Decision 1726/QĐ-BTTTT (DTI 2020): three pillars of 400, 300 and 300
-- points; DTI = 0.4 CQS + 0.3 KTS + 0.3 XHS is the points sum of the pillars.
INSERT INTO dti.framework (code, version, level, decision, title_vi, title_en, aggregation, max_points,
						   created_by, created_at, shipped, note)
VALUES ('1726-province', 1, 'province', '1726/QĐ-BTTTT',
		'Bộ chỉ số đánh giá chuyển đổi số cấp tỉnh (2020)', 'Provincial Digital Transformation Index (2020)',
		'sum_points', 1000, 'dti_warehouse', '2020-10-12 00:00:00+07', true,
		'DTI = 0.4 CQS + 0.3 KTS + 0.3 XHS, each pillar = its points / its max points; 108 components, 306 criteria'),
	   ('922-ministry', 1, 'ministry', '922/QĐ-BTTTT',
		'Bộ chỉ số đánh giá chuyển đổi số cấp bộ', 'Ministry Digital Transformation Index',
		'sum_points', 1000, 'dti_warehouse', '2022-05-20 00:00:00+07', true,
		'DTI = total points / 1,000; five foundation indicators of 100 points and one activity indicator of 500; ministries are ranked within their group (with or without public services)'),
	   ('922-nation', 1, 'nation', '922/QĐ-BTTTT',
		'Bộ chỉ số đánh giá chuyển đổi số quốc gia', 'National Digital Transformation Index',
		'sum_points', 1000, 'dti_warehouse', '2022-05-20 00:00:00+07', true,
		'24 indicators, 1,000 points; the indicators were not published: only the published national values are shipped'),
	   ('405-province', 1, 'province', '405/QĐ-BKHCN',
		'Bộ chỉ số đánh giá chuyển đổi số cấp tỉnh (2024)', 'Provincial Digital Transformation Index (2024)',
		'sum_points', 1000, 'dti_warehouse', '2025-04-03 00:00:00+07', true,
		'8 main indicators, 47 components, 1,000 points; the points of the main indicators were not published: complete them with dti.complete_points()'),
	   ('405-nation', 1, 'nation', '405/QĐ-BKHCN',
		'Bộ chỉ số đánh giá chuyển đổi số quốc gia (2024)', 'National Digital Transformation Index (2024)',
		'sum_points', 1000, 'dti_warehouse', '2025-04-03 00:00:00+07', true,
		'12 indicators: digital government 4 (400 points), digital economy 3 (300), digital society 5 (300)');

INSERT INTO dti.framework_indicator (framework_id, code, name_vi, name_en, group_name, max_points, rule,
									 aggregation, unit_of_measure, value_min, value_max, scored, n_components)
SELECT f.id, v.code::indicator_code, v.name_vi, v.name_en, v.group_name, v.max_points, 'ratio'::scoring_rule,
	   'sum_points', 'ratio', 0, 1, true, v.n_components
FROM (VALUES
	('1726-province', 'CQS', 'Chính quyền số', 'Digital government', 'pillar', 400::float8, NULL::integer),
	('1726-province', 'KTS', 'Kinh tế số', 'Digital economy', 'pillar', 300, NULL),
	('1726-province', 'XHS', 'Xã hội số', 'Digital society', 'pillar', 300, NULL),
	('405-nation', 'CQS', 'Chính quyền số', 'Digital government', 'pillar', 400, 4),
	('405-nation', 'KTS', 'Kinh tế số', 'Digital economy', 'pillar', 300, 3),
	('405-nation', 'XHS', 'Xã hội số', 'Digital society', 'pillar', 300, 5)
) AS v (framework, code, name_vi, name_en, group_name, max_points, n_components)
JOIN dti.framework f ON f.code = v.framework AND f.version = 1;

-- Decision 922, ministries (Appendix II, table II.1): six main indicators.
INSERT INTO dti.framework_indicator (framework_id, code, name_vi, name_en, group_name, max_points, rule,
									 aggregation, unit_of_measure, value_min, value_max, scored, n_components)
SELECT (SELECT id FROM dti.framework WHERE code = '922-ministry' AND version = 1),
	   m.code::indicator_code, m.name_vi, m.name_en, m."group", m.max_points::float8,
	   'ratio'::scoring_rule, 'sum_points', 'ratio', 0, 1, m.scored::boolean, m.components::integer
FROM
--@csv dti_ministry_922.csv m
;

-- Decision 405, provinces: the eight main indicators without their points
-- (0 until dti.complete_points() gives them): their values load, score and
-- rank; the index stays NULL (a points sum over no points), and the BI
-- views say why.
INSERT INTO dti.framework_indicator (framework_id, code, name_vi, name_en, group_name, max_points, rule,
									 aggregation, unit_of_measure, value_min, value_max, scored)
SELECT (SELECT id FROM dti.framework WHERE code = '405-province' AND version = 1),
	   p.code::indicator_code, p.name_vi, p.name_en, p."group", 0,
	   'ratio'::scoring_rule, 'sum_points', 'ratio', 0, 1, true
FROM
--@csv dti_province_405_main.csv p
;

INSERT INTO dti.framework_use (level, year, framework_id, assigned_by, assigned_at, shipped)
SELECT f.level, y, f.id, 'dti_warehouse', f.created_at, true
FROM dti.framework f
CROSS JOIN LATERAL unnest(CASE f.code
	WHEN '1726-province' THEN ARRAY[2020]
	WHEN '922-ministry' THEN ARRAY[2021, 2022, 2023]
	WHEN '922-nation' THEN ARRAY[2021, 2022, 2023]
	WHEN '405-province' THEN ARRAY[2024]
	WHEN '405-nation' THEN ARRAY[2024] END) AS y
WHERE f.shipped AND f.code IN ('1726-province', '922-ministry', '922-nation', '405-province', '405-nation')
  AND f.version = 1
  -- an installation that already assesses the level that year keeps its choice
  AND NOT EXISTS (SELECT 1 FROM dti.framework_use x WHERE x.level = f.level AND x.year = y)
ORDER BY f.id, y;

-- Why a framework's index is NULL although its indicators have values: its
-- scored main indicators carry no points yet (Decision 405 did not publish
-- them).  NULL when the points are complete.
CREATE FUNCTION dti.points_missing(framework_id integer) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT format('the points of %s main indicators of framework %s version %s (%s) were not published: the index and its rank are not computed until dti.complete_points(%L, ...) gives them',
				  count(*), f.code, f.version, string_agg(i.code::text, ', ' ORDER BY i.code), f.code)
	FROM dti.framework f
	JOIN dti.framework_indicator i ON i.framework_id = f.id
	WHERE f.id = points_missing.framework_id AND f.aggregation = 'sum_points'
	  AND i.scored AND i.max_points = 0 AND nlevel(i.code) = 1
	GROUP BY f.code, f.version
	HAVING count(*) > 0;
END;
COMMENT ON FUNCTION dti.points_missing(integer) IS
	'The reason a framework''s index is not computed (scored main indicators without points, as in Decision 405 for provinces), or NULL when its points are complete';

-- A change of the index across a framework change, at the level of main
-- indicators, through dti.indicator_map: each main indicator of the new
-- framework is compared with the share-weighted mean of the old indicators
-- mapped to it (its contribution to the change is the difference times its
-- part of the new index's points); main indicators of the new framework
-- that nothing maps to, and old ones that map to nothing, are listed with
-- their one value and no contribution.
CREATE FUNCTION dti.explain_across(framework_a integer, a scorecard, framework_b integer, b scorecard)
RETURNS TABLE (code text, name_vi text, status text, mapped_from text, value_a float8, value_b float8, contribution float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	WITH nb AS (
		SELECT n.code, n.value, n.max_points FROM scorecard_nodes(explain_across.b) n WHERE n.level = 2
	), na AS (
		SELECT n.code, n.value FROM scorecard_nodes(explain_across.a) n WHERE n.level = 2
	), root AS (
		SELECT n.max_points FROM scorecard_nodes(explain_across.b) n WHERE n.level = 1
	), m AS (
		SELECT im.to_code,
			   sum(im.share * x.value) / nullif(sum(im.share) FILTER (WHERE x.value IS NOT NULL), 0) AS value_a,
			   string_agg(im.from_code::text, ', ' ORDER BY im.from_code) AS mapped_from
		FROM dti.indicator_map im
		LEFT JOIN na x ON x.code = im.from_code
		WHERE im.from_framework_id = explain_across.framework_a AND im.to_framework_id = explain_across.framework_b
		GROUP BY im.to_code
	)
	SELECT y.code::text, i.name_vi, CASE WHEN m.to_code IS NULL THEN 'new' ELSE 'mapped' END,
		   m.mapped_from, m.value_a, y.value,
		   (y.value - m.value_a) * y.max_points / nullif((SELECT r.max_points FROM root r), 0)
	FROM nb y
	LEFT JOIN m ON m.to_code = y.code
	LEFT JOIN dti.framework_indicator i ON i.framework_id = explain_across.framework_b AND i.code = y.code
	UNION ALL
	SELECT x.code::text, i.name_vi, 'unmapped', NULL, x.value, NULL, NULL
	FROM na x
	LEFT JOIN dti.framework_indicator i ON i.framework_id = explain_across.framework_a AND i.code = x.code
	WHERE NOT EXISTS (SELECT 1 FROM dti.indicator_map im
					  WHERE im.from_framework_id = explain_across.framework_a AND im.from_code = x.code
						AND im.to_framework_id = explain_across.framework_b)
	ORDER BY 3, 1;
END;
COMMENT ON FUNCTION dti.explain_across(integer, scorecard, integer, scorecard) IS
	'The change between scorecard a (framework_a) and scorecard b (framework_b) of another framework, per main indicator through dti.indicator_map: mapped (b''s indicator against the share-weighted mean of the a indicators mapped to it, with its contribution to the change of the index: the difference times its part of b''s points), new (b''s indicators nothing maps to) and unmapped (a''s indicators that map to nothing), the last two without a contribution';

-- Vietnamese names of the shipped targets: translations of the English
-- names of national_targets.csv, labelled as such (not the decisions' own
-- wording); a name_vi of dti.target, where one is given, comes first.
CREATE TABLE dti.target_translation (
	code text PRIMARY KEY CHECK (code ~ '^[A-Z0-9_]+$'),
	name_vi text NOT NULL CHECK (name_vi = normalize(name_vi, NFC) AND name_vi <> ''),
	shipped boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE dti.target_translation IS
	'Vietnamese names of targets translated from their English names (the shipped targets: the data is English), shown where dti.target.name_vi is empty and marked as translations in the views';
COMMENT ON COLUMN dti.target_translation.code IS 'The target code (dti.target.code)';
COMMENT ON COLUMN dti.target_translation.name_vi IS 'The translated name';
COMMENT ON COLUMN dti.target_translation.shipped IS 'True for rows installed by the extension (not dumped)';

INSERT INTO dti.target_translation (code, name_vi, shipped)
SELECT v.code, v.name_vi, true
FROM (VALUES
	('DVC_L4', 'Dịch vụ công trực tuyến mức độ 4'),
	('HS_ONLINE_PROV', 'Hồ sơ công việc cấp bộ, cấp tỉnh được xử lý trên môi trường mạng'),
	('HS_ONLINE_DIST', 'Hồ sơ công việc cấp huyện được xử lý trên môi trường mạng'),
	('HS_ONLINE_COMM', 'Hồ sơ công việc cấp xã được xử lý trên môi trường mạng'),
	('EGDI_RANK', 'Thứ hạng Chỉ số phát triển Chính phủ điện tử (EGDI) của Liên Hợp Quốc'),
	('DE_GDP', 'Tỷ trọng kinh tế số trong GDP'),
	('DE_SECTOR', 'Tỷ trọng kinh tế số trong từng ngành, lĩnh vực'),
	('PROD_GROWTH', 'Tốc độ tăng năng suất lao động hằng năm'),
	('IDI_RANK', 'Thứ hạng Chỉ số phát triển công nghệ thông tin và truyền thông (IDI) của ITU'),
	('GII_RANK', 'Thứ hạng Chỉ số đổi mới sáng tạo toàn cầu (GII)'),
	('FIBRE_HH', 'Hộ gia đình được phủ băng rộng cáp quang'),
	('FIBRE_COMMUNE', 'Xã được phủ băng rộng cáp quang'),
	('GCI_RANK', 'Thứ hạng Chỉ số an toàn, an ninh mạng toàn cầu (GCI) của ITU'),
	('EPAY', 'Người dân sử dụng thanh toán điện tử'),
	('EPAY_ACCOUNT', 'Người dân có tài khoản thanh toán điện tử')
) AS v (code, name_vi);

-- Monitored counts: series the programme follows that are not indicators of
-- a DTI framework (community digital technology teams and their members,
-- online-training visits, resolutions issued), with values per unit and
-- period; a target on one is a row of dti.target with the series' code.
CREATE TABLE dti.monitored_series (
	code text PRIMARY KEY CHECK (code ~ '^[A-Z0-9_]+$'),
	name_vi text NOT NULL CHECK (name_vi = normalize(name_vi, NFC) AND name_vi <> ''),
	name_en text,
	unit_of_measure text NOT NULL,
	source text,
	synthetic boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE dti.monitored_series IS
	'Series the programme monitors that are not DTI indicators (community digital technology teams, their members, online-training visits, resolutions issued); their values are in dti.monitored_value, a target on one is a dti.target row with its code';
COMMENT ON COLUMN dti.monitored_series.code IS 'Series code (upper-case letters, digits, _), also the code of its targets in dti.target';
COMMENT ON COLUMN dti.monitored_series.unit_of_measure IS 'Unit of the values (count, percent, ...)';
COMMENT ON COLUMN dti.monitored_series.synthetic IS 'True for made-up series (demos, tests)';

CREATE TABLE dti.monitored_value (
	series_code text NOT NULL REFERENCES dti.monitored_series (code),
	unit_id integer NOT NULL REFERENCES dti.unit (id),
	period text NOT NULL REFERENCES dti.period (label),
	value float8 NOT NULL CHECK (value > '-infinity' AND value < 'infinity'),
	source text,
	loaded_by name NOT NULL DEFAULT current_user,
	loaded_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (series_code, unit_id, period)
);
CREATE INDEX ON dti.monitored_value (unit_id, period);
COMMENT ON TABLE dti.monitored_value IS
	'Values of the monitored series per unit and period (load them with INSERT ... SELECT or \copy into a staging table; a correction is an UPDATE)';
COMMENT ON COLUMN dti.monitored_value.value IS 'The value, finite';
COMMENT ON COLUMN dti.monitored_value.source IS 'Where the value comes from';
