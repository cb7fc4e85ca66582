-- A loader corrects one value of its own province with a direct INSERT
-- (a new revision, with its reason).
\set period random(2030, 2031)
\set v random(0, 100)
BEGIN;
SELECT loader AS me, unit_code AS my_unit FROM rel.client_unit WHERE client = :client_id \gset
SET LOCAL ROLE :me;
INSERT INTO dti.submission (unit_code, period, indicator, raw_value, source, reason)
VALUES (':my_unit', ':period', 'A.3', ':v', 'pgbench', 'pgbench correction');
INSERT INTO rel.expected (client, kind, unit_code, period, indicator, raw_value, expect)
VALUES (:client_id, 'revision', ':my_unit', ':period', 'A.3', ':v', 'accepted');
END;
