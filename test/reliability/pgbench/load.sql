-- A loader stages three rows of its own province (one of them bad one time
-- in ten), loads them with dti.load_staging(), and logs what it expects (a
-- value equal to the current revision's is rejected as unchanged; only this
-- client writes its province).
\set period random(2030, 2031)
\set a1 random(0, 100)
\set b1 random(0, 100)
\set bad random(0, 9)
BEGIN;
SELECT loader AS me, unit_code AS my_unit FROM rel.client_unit WHERE client = :client_id \gset
SET LOCAL ROLE :me;
WITH r (indicator, raw_value, expect) AS (VALUES
	('A.1', ':a1', 'accepted'),
	('B.1', round(:b1 / 100.0, 2)::text, 'accepted'),
	('A.2', CASE WHEN :bad = 0 THEN '7' WHEN :bad = 1 THEN 'yes' ELSE (:a1 % 2)::text END,
	        CASE WHEN :bad = 0 THEN 'out_of_range' WHEN :bad = 1 THEN 'unparseable_value' ELSE 'accepted' END)),
staged AS (
	INSERT INTO dti.staging (unit_code, year, indicator_code, raw_value, source)
	SELECT ':my_unit', ':period', r.indicator, r.raw_value, 'pgbench' FROM r RETURNING 1)
INSERT INTO rel.expected (client, kind, unit_code, period, indicator, raw_value, expect)
SELECT :client_id, 'load', ':my_unit', ':period', r.indicator, r.raw_value,
	   CASE WHEN r.expect = 'accepted'
				 AND r.raw_value = (SELECT s.raw_value FROM dti.submission s
									WHERE s.unit_code = ':my_unit' AND s.period = ':period' AND s.indicator = r.indicator::indicator_code
									ORDER BY s.id DESC LIMIT 1)
			THEN 'unchanged' ELSE r.expect END
FROM r;
INSERT INTO rel.loaded (client, load_id, accepted, rejected, reasons)
SELECT :client_id, l.load_id, l.accepted, l.rejected, l.reasons FROM dti.load_staging('pgbench') l;
END;
