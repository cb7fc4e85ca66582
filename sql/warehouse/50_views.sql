-- Published views for BI tools and the dti_reader role: standard types only
-- (text, integer, double precision, date, timestamptz, boolean) and
-- Vietnamese names with diacritics.  They run with the rights of their owner,
-- so a reader sees them whole without any right on the tables below.

CREATE VIEW dti."đơn_vị" AS
SELECT u.code AS "mã", u.level AS "cấp", u.kind AS "loại", u.name_vi AS "tên", u.full_name_vi AS "tên_đầy_đủ",
	   u.name_ascii AS "tên_không_dấu", p.code AS "mã_đơn_vị_cha", p.name_vi AS "đơn_vị_cha",
	   CASE WHEN isfinite(u.valid_from) THEN u.valid_from END AS "hiệu_lực_từ",
	   CASE WHEN isfinite(u.valid_to) THEN u.valid_to END AS "hiệu_lực_đến"
FROM dti.unit u LEFT JOIN dti.unit p ON p.id = u.parent_id;
COMMENT ON VIEW dti."đơn_vị" IS 'Published: units (nation, regions, provinces 63 and 34, ministries, communes) with their parent (the region of a province)';
COMMENT ON COLUMN dti."đơn_vị"."mã" IS 'Official code (GSO code for provinces)';
COMMENT ON COLUMN dti."đơn_vị"."cấp" IS 'Level: nation, region, province, ministry_group, ministry, commune';
COMMENT ON COLUMN dti."đơn_vị"."loại" IS 'Kind: city or province for provinces';
COMMENT ON COLUMN dti."đơn_vị"."tên" IS 'Short Vietnamese name';
COMMENT ON COLUMN dti."đơn_vị"."tên_đầy_đủ" IS 'Full official Vietnamese name';
COMMENT ON COLUMN dti."đơn_vị"."tên_không_dấu" IS 'Name without diacritics, for search';
COMMENT ON COLUMN dti."đơn_vị"."mã_đơn_vị_cha" IS 'Code of the parent unit (the socio-economic region of a province)';
COMMENT ON COLUMN dti."đơn_vị"."đơn_vị_cha" IS 'Name of the parent unit';
COMMENT ON COLUMN dti."đơn_vị"."hiệu_lực_từ" IS 'First day of validity (NULL: always)';
COMMENT ON COLUMN dti."đơn_vị"."hiệu_lực_đến" IS 'Last day of validity (NULL: still valid)';

CREATE VIEW dti."kế_thừa_đơn_vị" AS
SELECT s.predecessor_code AS "mã_đơn_vị_cũ", s.predecessor_name AS "đơn_vị_cũ",
	   s.successor_code AS "mã_đơn_vị_mới", s.successor_name AS "đơn_vị_mới",
	   s.effective AS "ngày_hiệu_lực", s.method AS "cách_quy_đổi", s.share AS "tỷ_trọng"
FROM dti.succession_share s;
COMMENT ON VIEW dti."kế_thừa_đơn_vị" IS 'Published: which old unit became which new unit, and its share in the carried value';
COMMENT ON COLUMN dti."kế_thừa_đơn_vị"."mã_đơn_vị_cũ" IS 'Code of the old unit';
COMMENT ON COLUMN dti."kế_thừa_đơn_vị"."đơn_vị_cũ" IS 'Name of the old unit';
COMMENT ON COLUMN dti."kế_thừa_đơn_vị"."mã_đơn_vị_mới" IS 'Code of the new unit';
COMMENT ON COLUMN dti."kế_thừa_đơn_vị"."đơn_vị_mới" IS 'Name of the new unit';
COMMENT ON COLUMN dti."kế_thừa_đơn_vị"."ngày_hiệu_lực" IS 'First day of the new unit';
COMMENT ON COLUMN dti."kế_thừa_đơn_vị"."cách_quy_đổi" IS 'mean (official, unweighted) or weighted_mean';
COMMENT ON COLUMN dti."kế_thừa_đơn_vị"."tỷ_trọng" IS 'Share of the old unit in the value of the new one';

CREATE VIEW dti."khung_chỉ_số" AS
SELECT f.code AS "khung", f.version AS "phiên_bản", f.level AS "cấp", f.decision AS "quyết_định",
	   i.code::text AS "mã_chỉ_số", i.name_vi AS "tên_chỉ_số", i.name_en AS "tên_tiếng_anh",
	   i.group_name AS "nhóm", i.max_points AS "điểm_tối_đa", i.weight AS "trọng_số",
	   i.rule::text AS "quy_tắc_chấm", i.unit_of_measure AS "đơn_vị_đo", i.scored AS "tính_điểm",
	   z.framework_id IS NOT NULL AS "đã_khóa"
FROM dti.framework f
JOIN dti.framework_indicator i ON i.framework_id = f.id
LEFT JOIN dti.frozen_framework z ON z.framework_id = f.id;
COMMENT ON VIEW dti."khung_chỉ_số" IS 'Published: frameworks and their indicators';
COMMENT ON COLUMN dti."khung_chỉ_số"."khung" IS 'Framework code (e.g. 922-province)';
COMMENT ON COLUMN dti."khung_chỉ_số"."phiên_bản" IS 'Framework version';
COMMENT ON COLUMN dti."khung_chỉ_số"."cấp" IS 'Level it assesses';
COMMENT ON COLUMN dti."khung_chỉ_số"."quyết_định" IS 'Decision that set it';
COMMENT ON COLUMN dti."khung_chỉ_số"."mã_chỉ_số" IS 'Indicator code';
COMMENT ON COLUMN dti."khung_chỉ_số"."tên_chỉ_số" IS 'Vietnamese name of the indicator';
COMMENT ON COLUMN dti."khung_chỉ_số"."tên_tiếng_anh" IS 'English name of the indicator';
COMMENT ON COLUMN dti."khung_chỉ_số"."nhóm" IS 'Group of the indicator';
COMMENT ON COLUMN dti."khung_chỉ_số"."điểm_tối_đa" IS 'Maximum points';
COMMENT ON COLUMN dti."khung_chỉ_số"."trọng_số" IS 'Weight among siblings (empty: by maximum points)';
COMMENT ON COLUMN dti."khung_chỉ_số"."quy_tắc_chấm" IS 'Scoring rule as text';
COMMENT ON COLUMN dti."khung_chỉ_số"."đơn_vị_đo" IS 'Unit of the raw value';
COMMENT ON COLUMN dti."khung_chỉ_số"."tính_điểm" IS 'False for indicators reported but not scored';
COMMENT ON COLUMN dti."khung_chỉ_số"."đã_khóa" IS 'True when a published result used the framework (it can no longer change)';

CREATE VIEW dti."giá_trị_đã_xác_minh" AS
WITH revision AS (
	SELECT s.id, s.unit_id, s.period, s.indicator, s.raw_value, s.value,
		   row_number() OVER (PARTITION BY s.unit_id, s.period, s.indicator ORDER BY s.id) AS revision,
		   coalesce(st.status, s.status) AS status, st.changed_by, st.changed_at
	FROM dti.submission s
	LEFT JOIN LATERAL (
		SELECT t.status, t.changed_by, t.changed_at FROM dti.submission_status t
		WHERE t.submission_id = s.id ORDER BY t.id DESC LIMIT 1) st ON true
)
SELECT DISTINCT ON (r.unit_id, r.period, r.indicator)
	   u.code AS "mã_đơn_vị", u.name_vi AS "tên_đơn_vị", r.period AS "kỳ", p.year AS "năm",
	   r.indicator::text AS "mã_chỉ_số", r.raw_value AS "giá_trị_gốc", r.value AS "giá_trị",
	   r.revision::integer AS "lần_sửa", r.changed_by::text AS "người_xác_minh", r.changed_at AS "thời_điểm_xác_minh"
FROM revision r
JOIN dti.unit u ON u.id = r.unit_id
JOIN dti.period p ON p.label = r.period
WHERE r.status = 'verified'
ORDER BY r.unit_id, r.period, r.indicator, r.id DESC;
COMMENT ON VIEW dti."giá_trị_đã_xác_minh" IS 'Published: the current verified value of every unit, period and indicator';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."mã_đơn_vị" IS 'Unit code';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."tên_đơn_vị" IS 'Unit name';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."kỳ" IS 'Period (2024, 2024-Q1, 2024-03)';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."năm" IS 'Year of the period';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."mã_chỉ_số" IS 'Indicator code';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."giá_trị_gốc" IS 'Value as submitted (a number or a grade)';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."giá_trị" IS 'Numeric value (empty for grades)';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."lần_sửa" IS 'Revision number of the value';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."người_xác_minh" IS 'Role that verified it';
COMMENT ON COLUMN dti."giá_trị_đã_xác_minh"."thời_điểm_xác_minh" IS 'When it was verified';

CREATE VIEW dti."mục_tiêu_quốc_gia" AS
SELECT t.decision AS "quyết_định", t.pillar AS "trụ_cột", t.code AS "mã_mục_tiêu", t.name_en AS "tên_tiếng_anh",
	   t.target_value AS "giá_trị_mục_tiêu", t.unit_of_measure AS "đơn_vị_đo",
	   CASE t.direction WHEN 'higher' THEN 'càng cao càng tốt' ELSE 'càng thấp càng tốt' END AS "chiều",
	   t.deadline AS "thời_hạn", t.verified AS "đã_đối_chiếu",
	   coalesce(t.name_vi, tr.name_vi, t.name_en) AS "tên", t.name_vi IS NULL AND tr.name_vi IS NOT NULL AS "tên_là_bản_dịch"
FROM dti.target t
LEFT JOIN dti.target_translation tr ON tr.code = t.code;
COMMENT ON VIEW dti."mục_tiêu_quốc_gia" IS 'Published: national digital-transformation targets with deadline and direction';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."quyết_định" IS 'Decision that set the target';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."trụ_cột" IS 'Pillar (digital government, economy, society)';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."mã_mục_tiêu" IS 'Target code';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."tên_tiếng_anh" IS 'English name';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."giá_trị_mục_tiêu" IS 'Target value';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."đơn_vị_đo" IS 'Unit (percent, rank)';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."chiều" IS 'Whether higher or lower is better';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."thời_hạn" IS 'Deadline';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."đã_đối_chiếu" IS 'False for a widely cited figure not read in the decision itself';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."tên" IS 'Vietnamese name (the English one where there is none)';
COMMENT ON COLUMN dti."mục_tiêu_quốc_gia"."tên_là_bản_dịch" IS 'True when the Vietnamese name is a translation of the English one, not the decision''s own wording';

GRANT SELECT ON dti."đơn_vị", dti."kế_thừa_đơn_vị", dti."khung_chỉ_số", dti."giá_trị_đã_xác_minh",
	dti."mục_tiêu_quốc_gia" TO dti_reader, dti_loader, dti_verifier;
