-- Benchmark warehouse: a 4-level framework "bench-commune" (4 pillars, 20
-- main indicators, 100 leaves with absolute rules: ratio, target, steps,
-- linear, piecewise) used for 2015-2024, :units synthetic communes, and one
-- verified submission per commune, leaf and year (:units x 1,000 rows; 10
-- million for 10,000 communes).  Deterministic: values are a function of
-- the ids.  The submissions are inserted with triggers off
-- (session_replication_role) to keep the set-up short, then
-- dti.rebuild_current_values() derives the current values and the refresh
-- queue is emptied; loading through dti.load_staging() is measured by
-- test/bench/warehouse_load.sh.  Used by test/bench/refresh.sh and
-- test/bench/scale.sh:  psql -v units=N -f test/bench/warehouse_data.sql
BEGIN;
SELECT dti.create_framework('bench-commune', 'commune', ARRAY(SELECT generate_series(2015, 2024)), 'Khung đo hiệu năng (tổng hợp)');
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule)
SELECT ('P' || p)::indicator_code, 'Trụ cột ' || p, 0, NULL::scoring_rule FROM generate_series(1, 4) p
UNION ALL
SELECT ('P' || p || '.' || m)::indicator_code, 'Chỉ số ' || p || '.' || m, 0, NULL FROM generate_series(1, 4) p, generate_series(1, 5) m
UNION ALL
SELECT ('P' || p || '.' || m || '.' || l)::indicator_code, 'Thành phần ' || p || '.' || m || '.' || l, 2 + (p * 7 + m * 3 + l) % 9,
	(ARRAY['ratio', 'target(80)', 'steps(20:0.5, 60:1)', 'linear(0, 100)', 'piecewise(0:0, 50:0.6, 100:1)'])[1 + l % 5]::scoring_rule
FROM generate_series(1, 4) p, generate_series(1, 5) m, generate_series(1, 5) l;
COMMIT;
INSERT INTO dti.unit (code, level, kind, name_vi, full_name_vi, parent_id)
SELECT 'X' || lpad(n::text, 5, '0'), 'commune', 'commune', 'Xã tổng hợp ' || n, 'Xã tổng hợp ' || n,
	(SELECT id FROM dti.unit WHERE level = 'province' AND code = '01' ORDER BY valid_from LIMIT 1)
FROM generate_series(1, :units) n;
SET session_replication_role = replica;
INSERT INTO dti.submission (unit_code, unit_id, period, indicator, raw_value)
SELECT u.code, u.id, y::text, i.code,
	CASE WHEN i.rule::text = 'ratio' THEN ((u.id * 7 + y * 13 + i.max_points::int * 31) % 101 / 100.0)::text
		 ELSE ((u.id * 7 + y * 13 + i.max_points::int * 31) % 101)::text END
FROM generate_series(2015, 2024) y,
	 (SELECT id, code FROM dti.unit WHERE level = 'commune') u,
	 (SELECT i.code, i.rule, i.max_points FROM dti.framework_indicator i JOIN dti.framework f ON f.id = i.framework_id
	  WHERE f.code = 'bench-commune' AND i.rule IS NOT NULL) i;
INSERT INTO dti.submission_status (submission_id, status) SELECT id, 'verified' FROM dti.submission;
SET session_replication_role = origin;
-- the triggers were off: derive the current values from the history
SELECT dti.rebuild_current_values();
TRUNCATE dti.refresh_queue;
VACUUM ANALYZE;
