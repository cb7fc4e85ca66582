-- A small loaded warehouse for the scenario scripts: a framework for
-- provinces in 2030 and 2031, three units, verified values, refreshed.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE;
BEGIN;
SELECT dti.create_framework('scenario', 'province', ARRAY[2030, 2031], 'Khung kịch bản', max_points => 100) IS NOT NULL AS created;
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES
	('A', 'Nhóm A', 60, NULL), ('A.1', 'Mục tiêu', 30, 'target(80)'), ('A.2', 'Có hay không', 30, 'bool'),
	('B', 'Tỷ lệ', 40, 'ratio');
INSERT INTO dti.submission (unit_code, period, indicator, raw_value) VALUES
	('01', '2030', 'A.1', '60'), ('01', '2030', 'A.2', '1'), ('01', '2030', 'B', '0.5'),
	('79', '2030', 'A.1', '100'), ('79', '2030', 'A.2', '0'), ('79', '2030', 'B', '0.9'),
	('48', '2030', 'A.1', '40'), ('48', '2030', 'A.2', '1'), ('48', '2030', 'B', '0.8'),
	('01', '2031', 'A.1', '80'), ('01', '2031', 'A.2', '1'), ('01', '2031', 'B', '0.5');
DO $$ BEGIN PERFORM dti.set_status(s.id, 'verified') FROM dti.submission s; END $$;
COMMIT;
