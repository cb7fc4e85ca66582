-- dti_warehouse reference data: units, regions, succession, periods,
-- frameworks and targets as shipped, checked against the official tables.
SET client_min_messages = warning;  -- the NOTICEs depend on which test runs first
CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE;
RESET client_min_messages;

-- Counts: the nation, 6 regions, 63 + 34 provinces, two ministry groups and
-- no ministries yet.
SELECT level, kind, count(*) FROM dti.unit GROUP BY level, kind ORDER BY level, kind;
SELECT count(*) AS provinces_63 FROM dti.unit WHERE level = 'province' AND valid_to = '2025-06-30';
SELECT count(*) AS provinces_34 FROM dti.unit WHERE level = 'province' AND valid_from = '2025-07-01';
SELECT count(*) AS valid_2024 FROM dti.unit WHERE level = 'province' AND '2024-12-31' BETWEEN valid_from AND valid_to;
SELECT count(*) AS valid_2025 FROM dti.unit WHERE level = 'province' AND '2025-12-31' BETWEEN valid_from AND valid_to;
SELECT count(*) FILTER (WHERE kind = 'city') AS cities_63 FROM dti.unit WHERE level = 'province' AND valid_to = '2025-06-30';
SELECT count(*) FILTER (WHERE kind = 'city') AS cities_34 FROM dti.unit WHERE level = 'province' AND valid_from = '2025-07-01';

-- Regions, numbered in GSO order, with their provinces before and after.
SELECT r.code, r.name_vi, r.name_en,
	   count(*) FILTER (WHERE p.valid_to = '2025-06-30') AS n63,
	   count(*) FILTER (WHERE p.valid_from = '2025-07-01') AS n34
FROM dti.unit r LEFT JOIN dti.unit p ON p.parent_id = r.id AND p.level = 'province'
WHERE r.level = 'region' GROUP BY r.code, r.name_vi, r.name_en ORDER BY r.code;

-- Names are NFC; the ASCII form has no non-ASCII letter.
SELECT count(*) AS not_nfc FROM dti.unit WHERE name_vi IS NOT NFC NORMALIZED OR full_name_vi IS NOT NFC NORMALIZED;
SELECT count(*) AS not_ascii FROM dti.unit WHERE name_ascii !~ '^[ -~]*$';

-- Every old province has exactly one successor; every new unit has at least one predecessor.
SELECT count(*) AS old_without_one_successor FROM dti.unit o
WHERE o.level = 'province' AND o.valid_to = '2025-06-30'
  AND (SELECT count(*) FROM dti.unit_succession s WHERE s.predecessor_id = o.id) <> 1;
SELECT count(*) AS new_without_predecessor FROM dti.unit n
WHERE n.level = 'province' AND n.valid_from = '2025-07-01'
  AND NOT EXISTS (SELECT 1 FROM dti.unit_succession s WHERE s.successor_id = n.id);

-- Member lists match the official table (provinces_34.csv) both ways.
CREATE TEMP TABLE official34 (code text, full_name text, kind text, members_old_codes text, valid_from date);
\copy official34 FROM PROGRAM 'cat "$PG_ABS_SRCDIR/../sql/data/provinces_34.csv"' (FORMAT csv, HEADER true)
CREATE TEMP TABLE official63 (gso_code text, name text, full_name text, region_vi text, successor_code text, valid_to date);
\copy official63 FROM PROGRAM 'cat "$PG_ABS_SRCDIR/../sql/data/provinces_63.csv"' (FORMAT csv, HEADER true)
WITH official AS (
	SELECT o.code AS successor, m AS predecessor FROM official34 o, unnest(string_to_array(o.members_old_codes, ';')) AS m
), shipped AS (
	SELECT n.code AS successor, p.code AS predecessor FROM dti.unit_succession s
	JOIN dti.unit p ON p.id = s.predecessor_id JOIN dti.unit n ON n.id = s.successor_id
)
SELECT 'missing' AS problem, * FROM (SELECT * FROM official EXCEPT SELECT * FROM shipped) a
UNION ALL
SELECT 'extra', * FROM (SELECT * FROM shipped EXCEPT SELECT * FROM official) b;
SELECT count(*) AS pairs_matching_63_file FROM official63 o
JOIN dti.succession_share s ON s.predecessor_code = o.gso_code AND s.successor_code = o.successor_code;
SELECT count(*) AS names_matching_files FROM dti.unit u
WHERE u.level = 'province'
  AND (EXISTS (SELECT 1 FROM official63 o WHERE o.gso_code = u.code AND o.full_name = u.full_name_vi AND o.name = u.name_vi AND u.valid_to = o.valid_to)
	   OR EXISTS (SELECT 1 FROM official34 o WHERE o.code = u.code AND o.full_name = u.full_name_vi AND o.kind = u.kind AND u.valid_from = o.valid_from));

-- Merged units: member count, the region of the old province whose code they
-- keep, and the official unweighted mean as the default carry rule.
SELECT n.code, n.name_vi, n.kind, r.name_vi AS region, count(*) AS members,
	   string_agg(p.code, ';' ORDER BY p.code) AS old_codes,
	   string_agg(DISTINCT pr.code, ';') AS old_regions,
	   min(sh.share)::numeric(5, 4) AS share, min(sh.method) AS method
FROM dti.unit n
JOIN dti.unit r ON r.id = n.parent_id
JOIN dti.unit_succession s ON s.successor_id = n.id
JOIN dti.unit p ON p.id = s.predecessor_id
JOIN dti.unit pr ON pr.id = p.parent_id
JOIN dti.succession_share sh ON sh.predecessor_id = p.id
WHERE n.valid_from = '2025-07-01'
GROUP BY n.code, n.name_vi, n.kind, r.name_vi ORDER BY n.code;
SELECT count(*) AS region_differs_from_kept_code FROM dti.unit n
JOIN dti.unit o ON o.code = n.code AND o.valid_to = '2025-06-30'
WHERE n.valid_from = '2025-07-01' AND n.parent_id IS DISTINCT FROM o.parent_id;

-- A weighted carry rule needs a weight for every member.
SELECT dti.set_succession_rule('79', 'weighted_mean', 'population');
INSERT INTO dti.succession_weight (predecessor_id, successor_id, basis, weight)
SELECT s.predecessor_id, s.successor_id, 'population', w
FROM dti.unit_succession s JOIN dti.unit p ON p.id = s.predecessor_id JOIN dti.unit n ON n.id = s.successor_id
JOIN (VALUES ('74', 2.8), ('77', 1.2), ('79', 9.5)) AS v (code, w) ON v.code = p.code
WHERE n.code = '79';
SELECT dti.set_succession_rule('79', 'weighted_mean', 'population');
SELECT predecessor_code, method, share::numeric(6, 4) FROM dti.succession_share WHERE successor_code = '79' ORDER BY 1;
SELECT dti.set_succession_rule('79', 'mean');
SELECT predecessor_code, method, share::numeric(6, 4) FROM dti.succession_share WHERE successor_code = '79' ORDER BY 1;

-- Ministries: two groups, an empty list, and the documented way to add one.
SELECT code, name_vi, name_en FROM dti.unit WHERE level = 'ministry_group' ORDER BY code;
SELECT count(*) AS ministries FROM dti.unit WHERE level = 'ministry';
BEGIN;
SELECT dti.add_ministry('BKHCN', 'Bộ Khoa học và Công nghệ', 'Ministry of Science and Technology', true) > 0 AS added;
SELECT u.code, g.code AS group_code, u.name_ascii FROM dti.unit u JOIN dti.unit g ON g.id = u.parent_id WHERE u.level = 'ministry';
ROLLBACK;

-- A code is valid once at a time.
INSERT INTO dti.unit (code, level, kind, name_vi, full_name_vi, valid_from) VALUES ('01', 'province', 'city', 'Hà Nội', 'Thành phố Hà Nội', '2020-01-01');

-- Periods, the shipped framework and targets.
SELECT kind, count(*), min(label), max(label) FROM dti.period GROUP BY kind ORDER BY kind;
SELECT label, kind, year, to_char(starts, 'YYYY-MM-DD') AS starts, to_char(ends, 'YYYY-MM-DD') AS ends FROM dti.period WHERE label IN ('2024', '2024-Q2', '2024-02') ORDER BY label;
SELECT level, year, code, version FROM dti.framework_in_use ORDER BY level, year;
SELECT f.code AS framework, i.code, i.name_vi, i.name_en, i.group_name, i.max_points, i.rule, i.scored, i.n_components
FROM dti.framework_indicator i JOIN dti.framework f ON f.id = i.framework_id ORDER BY f.code, i.code;
SELECT f.code AS framework, sum(i.max_points) AS points, sum(i.n_components) AS components
FROM dti.framework_indicator i JOIN dti.framework f ON f.id = i.framework_id GROUP BY f.code ORDER BY f.code;
SELECT count(*) AS targets, count(*) FILTER (WHERE direction = 'lower') AS lower_is_better,
	   count(*) FILTER (WHERE NOT verified) AS unverified FROM dti.target;
