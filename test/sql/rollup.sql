-- framework, rollup and scorecard: validation, published DTI numbers,
-- the DTI 2020 rule, a JRC-style index, parallel plans, explain_change.
\set VERBOSITY default
SET extra_float_digits = 0;

-- The Decision 922 provincial framework with its nine main indicators as
-- leaves (shipped CSV; smart city has 0 points: reported, not scored).
CREATE TABLE f922 (code indicator_code, grp text, name_vi text, name_en text,
                   components int, max_points float8, scored boolean);
\copy f922 FROM 'test/data/dti_province_922.csv' CSV HEADER
SELECT sum(components) AS components, sum(max_points) AS points FROM f922;
CREATE TABLE fw (name text PRIMARY KEY, fw framework);
INSERT INTO fw SELECT 'main922', framework_compile(
	array_prepend('DTI'::indicator_code, array_agg(code ORDER BY code)),
	array_prepend(NULL::indicator_code, array_agg('DTI'::indicator_code ORDER BY code)),
	array_prepend(NULL::float8, array_agg(max_points ORDER BY code)),
	methods => array_prepend('points', array_agg(NULL::text ORDER BY code)))
FROM f922;
SELECT * FROM framework_nodes((SELECT fw FROM fw WHERE name = 'main922'));

-- Published DTI 2022 of TP. Da Nang from its published main-indicator values: 0.8002.
CREATE TABLE published (unit text, code indicator_code, value float8);
INSERT INTO published VALUES
	('Đà Nẵng', 'NT', 1.0000), ('Đà Nẵng', 'TC', 0.9000), ('Đà Nẵng', 'HT', 0.8253),
	('Đà Nẵng', 'NL', 0.8487), ('Đà Nẵng', 'ATTT', 0.7578), ('Đà Nẵng', 'CQS', 0.8575),
	('Đà Nẵng', 'KTS', 0.7836), ('Đà Nẵng', 'XHS', 0.5197);
SELECT unit, round(root_value(rollup(f.fw, p.code, p.value))::numeric, 4) AS dti_2022
FROM published p, fw f WHERE f.name = 'main922' GROUP BY unit;
SELECT (n).code, (n).value, (n).points, (n).max_points, (n).weight, (n).present, (n).expected
FROM (SELECT scorecard_nodes(rollup(f.fw, p.code, p.value)) n
      FROM published p, fw f WHERE f.name = 'main922') s;

-- The same framework with 98 synthetic components (max points split evenly,
-- the remainder to the first components): the root equals points summed by hand.
CREATE TABLE comp AS
SELECT m.code AS parent, (m.code || lpad(i::text, 2, '0'))::indicator_code AS code,
       CASE WHEN m.max_points = 0 THEN 10
            ELSE floor(m.max_points / m.components) + CASE WHEN i <= m.max_points::int % m.components THEN 1 ELSE 0 END
       END AS max_points, m.max_points = 0 AS unscored
FROM f922 m, generate_series(1, m.components) i;
SELECT parent, count(*) AS components, sum(max_points) AS points FROM comp GROUP BY parent ORDER BY parent;
INSERT INTO fw SELECT 'comp922', framework_compile(
	('DTI'::indicator_code || array_agg(m.code ORDER BY m.code)) || (SELECT array_agg(code ORDER BY code) FROM comp),
	(NULL::indicator_code || array_agg('DTI'::indicator_code ORDER BY m.code)) || (SELECT array_agg(parent ORDER BY code) FROM comp),
	(1000::float8 || array_agg(m.max_points ORDER BY m.code)) || (SELECT array_agg(max_points ORDER BY code) FROM comp))
FROM f922 m;
SELECT count(*) AS nodes, count(*) FILTER (WHERE is_leaf) AS leaves FROM framework_nodes((SELECT fw FROM fw WHERE name = 'comp922'));
-- the same tree with 500 points at the root (for the parallel plans below)
INSERT INTO fw SELECT 'comp922_root500', framework_compile(
	('DTI'::indicator_code || array_agg(m.code ORDER BY m.code)) || (SELECT array_agg(code ORDER BY code) FROM comp),
	(NULL::indicator_code || array_agg('DTI'::indicator_code ORDER BY m.code)) || (SELECT array_agg(parent ORDER BY code) FROM comp),
	(500::float8 || array_agg(m.max_points ORDER BY m.code)) || (SELECT array_agg(max_points ORDER BY code) FROM comp))
FROM f922 m;
CREATE TABLE comp_values AS
SELECT u AS unit, c.code, c.parent, c.max_points, c.unscored,
       CASE WHEN (u * 7 + row_number() OVER (PARTITION BY u ORDER BY c.code)) % 13 = 0 THEN NULL
            ELSE ((u * 31 + row_number() OVER (PARTITION BY u ORDER BY c.code) * 17) % 101) / 100.0 END AS value
FROM comp c, generate_series(1, 63) u;
CREATE TABLE by_hand AS
SELECT unit, sum(value * max_points) FILTER (WHERE NOT unscored) / 1000 AS dti
FROM comp_values GROUP BY unit;
CREATE TABLE by_rollup AS
SELECT unit, rollup(f.fw, v.code, v.value) AS sc
FROM comp_values v, fw f WHERE f.name = 'comp922' GROUP BY unit;
SELECT count(*) AS units, max(abs(root_value(sc) - dti) / dti) < 1e-12 AS root_equals_hand_sum
FROM by_hand JOIN by_rollup USING (unit);
-- main indicators too: points of a main indicator = its components' points
SELECT count(*) AS main_indicators_checked,
       max(abs(points(r.sc, h.parent) - h.pts)) < 1e-9 AS points_equal
FROM (SELECT unit, parent, sum(coalesce(value, 0) * max_points) AS pts FROM comp_values GROUP BY unit, parent) h
JOIN by_rollup r USING (unit) WHERE h.parent <> 'DTTM';
SELECT unit, round(root_value(sc)::numeric, 4) AS dti, round((sc -> 'CQS')::numeric, 4) AS cqs,
       round(coverage(sc, 'CQS')::numeric, 4) AS cqs_coverage, round((sc -> 'DTTM')::numeric, 4) AS smart_city
FROM by_rollup WHERE unit <= 3 ORDER BY unit;

-- The DTI 2020 rule: DTI = 0.4 CQS + 0.3 KTS + 0.3 XHS, each pillar its points / max.
INSERT INTO fw SELECT 'dti2020', framework_compile(
	ARRAY['DTI', 'CQS', 'KTS', 'XHS', 'CQS.1', 'CQS.2', 'KTS.1', 'KTS.2', 'XHS.1']::indicator_code[],
	ARRAY[NULL, 'DTI', 'DTI', 'DTI', 'CQS', 'CQS', 'KTS', 'KTS', 'XHS']::indicator_code[],
	ARRAY[NULL, 400, 300, 300, 250, 150, 200, 100, 300]::float8[],
	weights => ARRAY[NULL, 0.4, 0.3, 0.3, NULL, NULL, NULL, NULL, NULL]::float8[],
	methods => ARRAY['amean', 'points', 'points', 'points', NULL, NULL, NULL, NULL, NULL]);
WITH v(code, value) AS (VALUES ('CQS.1'::indicator_code, 0.5::float8), ('CQS.2', 0.2), ('KTS.1', 0.3), ('KTS.2', 0.9), ('XHS.1', 0.25)),
     sc AS (SELECT rollup(f.fw, v.code, v.value) AS sc FROM v, fw f WHERE f.name = 'dti2020')
SELECT round((sc -> 'CQS')::numeric, 6) AS cqs, round((sc -> 'KTS')::numeric, 6) AS kts,
       round((sc -> 'XHS')::numeric, 6) AS xhs, round(root_value(sc)::numeric, 6) AS dti,
       round((0.4 * (0.5 * 250 + 0.2 * 150) / 400 + 0.3 * (0.3 * 200 + 0.9 * 100) / 300 + 0.3 * 0.25)::numeric, 6) AS by_formula
FROM sc;

-- A JRC-style index: min-max normalised indicators, weighted means level by
-- level, missing values dropped with their weight, a 0.6 availability
-- threshold on the pillars.  Expected values computed independently.
CREATE TABLE jrc_raw (unit text, code indicator_code, x float8);
INSERT INTO jrc_raw VALUES
	('U1', 'P1.a', 10), ('U1', 'P1.b', 200), ('U1', 'P1.c', 3), ('U1', 'P2.a', 50), ('U1', 'P2.b', 0.8),
	('U2', 'P1.a', 20), ('U2', 'P1.b', 150), ('U2', 'P1.c', NULL), ('U2', 'P2.a', 70), ('U2', 'P2.b', 0.6),
	('U3', 'P1.a', 15), ('U3', 'P1.b', NULL), ('U3', 'P1.c', NULL), ('U3', 'P2.a', NULL), ('U3', 'P2.b', 0.9),
	('U4', 'P1.a', 5), ('U4', 'P1.b', 100), ('U4', 'P1.c', 7), ('U4', 'P2.a', 60), ('U4', 'P2.b', NULL);
CREATE TABLE jrc_norm AS
SELECT unit, code, (x - min(x) OVER w) / (max(x) OVER w - min(x) OVER w) AS v01,
       10 + 90 * (x - min(x) OVER w) / (max(x) OVER w - min(x) OVER w) AS v10
FROM jrc_raw WINDOW w AS (PARTITION BY code);
INSERT INTO fw SELECT 'jrc_' || m, framework_compile(
	ARRAY['IDX', 'P1', 'P2', 'P1.a', 'P1.b', 'P1.c', 'P2.a', 'P2.b']::indicator_code[],
	ARRAY[NULL, 'IDX', 'IDX', 'P1', 'P1', 'P1', 'P2', 'P2']::indicator_code[],
	NULL,
	weights => ARRAY[NULL, 0.5, 0.5, 1, 2, 1, 1, 1]::float8[],
	methods => ARRAY[m, m, m, NULL, NULL, NULL, NULL, NULL],
	thresholds => ARRAY[NULL, 0.6, 0.6, NULL, NULL, NULL, NULL, NULL]::float8[],
	missing => ARRAY['drop', 'drop', 'drop', NULL, NULL, NULL, NULL, NULL])
FROM unnest(ARRAY['amean', 'gmean']) m;
CREATE TABLE jrc_expected (method text, unit text, p1 numeric, p2 numeric, idx numeric);
INSERT INTO jrc_expected VALUES
	('amean', 'U1', 0.5833333333, 0.3333333333, 0.4583333333),
	('amean', 'U2', 0.6666666667, 0.5, 0.5833333333),
	('amean', 'U3', NULL, NULL, NULL),
	('amean', 'U4', 0.25, NULL, 0.25),
	('gmean', 'U1', 44.72135955, 26.4575131106, 34.3979062825),
	('gmean', 'U2', 67.1287344459, 31.6227766017, 46.0738209066),
	('gmean', 'U3', NULL, NULL, NULL),
	('gmean', 'U4', 17.7827941004, NULL, 17.7827941004);
CREATE TABLE jrc_got AS
SELECT substr(f.name, 5) AS method, n.unit,
       rollup(f.fw, n.code, CASE f.name WHEN 'jrc_amean' THEN n.v01 ELSE n.v10 END) AS sc
FROM jrc_norm n, fw f WHERE f.name LIKE 'jrc_%' GROUP BY f.name, n.unit;
SELECT e.method, e.unit, round((sc -> 'P1')::numeric, 10) AS p1, round((sc -> 'P2')::numeric, 10) AS p2,
       round(root_value(sc)::numeric, 10) AS idx,
       round((sc -> 'P1')::numeric, 10) IS NOT DISTINCT FROM e.p1
         AND round((sc -> 'P2')::numeric, 10) IS NOT DISTINCT FROM e.p2
         AND round(root_value(sc)::numeric, 10) IS NOT DISTINCT FROM e.idx AS as_expected
FROM jrc_expected e JOIN jrc_got g USING (method, unit) ORDER BY 1, 2;

-- Missing children as zero (the DTI practice) versus dropped (the JRC rule)
INSERT INTO fw VALUES ('zero', framework_compile(
	ARRAY['R', 'A', 'B']::indicator_code[], ARRAY[NULL, 'R', 'R']::indicator_code[],
	ARRAY[NULL, 60, 40]::float8[], missing => ARRAY['zero', NULL, NULL])),
	('drop', framework_compile(
	ARRAY['R', 'A', 'B']::indicator_code[], ARRAY[NULL, 'R', 'R']::indicator_code[],
	ARRAY[NULL, 60, 40]::float8[], missing => ARRAY['drop', NULL, NULL]));
SELECT f.name, root_value(rollup(f.fw, 'A', 0.5)) AS value, points(rollup(f.fw, 'A', 0.5), 'R') AS points
FROM fw f WHERE f.name IN ('zero', 'drop') GROUP BY f.name ORDER BY 1;

-- Validation: each error names the offending code.
SELECT framework_compile(ARRAY['R', 'A', 'A']::indicator_code[], ARRAY[NULL, 'R', 'R']::indicator_code[], ARRAY[NULL, 1, 1]::float8[]);
SELECT framework_compile(ARRAY['R', 'A']::indicator_code[], ARRAY[NULL, 'X']::indicator_code[], ARRAY[NULL, 1]::float8[]);
SELECT framework_compile(ARRAY['R', 'A', 'B']::indicator_code[], ARRAY[NULL, 'B', 'A']::indicator_code[], ARRAY[NULL, 1, 1]::float8[]);
SELECT framework_compile(ARRAY['A', 'B']::indicator_code[], ARRAY['B', 'A']::indicator_code[], ARRAY[1, 1]::float8[]);
SELECT framework_compile(ARRAY['R', 'S']::indicator_code[], ARRAY[NULL, NULL]::indicator_code[], ARRAY[1, 1]::float8[]);
SELECT framework_compile(ARRAY['R', 'A', 'B']::indicator_code[], ARRAY[NULL, 'R', 'R']::indicator_code[], ARRAY[NULL, 1, NULL]::float8[], methods => ARRAY['amean', NULL, NULL]);
SELECT framework_compile(ARRAY['R', 'A', 'B']::indicator_code[], ARRAY[NULL, 'R', 'R']::indicator_code[], ARRAY[NULL, 1, NULL]::float8[]);
SELECT framework_compile(ARRAY['R', 'A']::indicator_code[], ARRAY[NULL, 'R']::indicator_code[], NULL, weights => ARRAY[NULL, -1]::float8[]);
SELECT framework_compile(ARRAY['R', 'A']::indicator_code[], ARRAY[NULL, 'R']::indicator_code[], ARRAY[NULL, 'NaN']::float8[]);
SELECT framework_compile(ARRAY['R', 'A']::indicator_code[], ARRAY[NULL, 'R']::indicator_code[], ARRAY[NULL, 1]::float8[], methods => ARRAY['median', NULL]);
SELECT framework_compile(ARRAY['R', 'A']::indicator_code[], ARRAY[NULL, 'R']::indicator_code[], ARRAY[NULL, 1]::float8[], thresholds => ARRAY[1.5, NULL]::float8[]);
SELECT framework_compile(ARRAY['R', 'A']::indicator_code[], ARRAY[NULL, 'R']::indicator_code[], ARRAY[NULL, 1]::float8[], missing => ARRAY['ignore', NULL]);
SELECT framework_compile(ARRAY['R', 'A']::indicator_code[], ARRAY[NULL, 'R']::indicator_code[], ARRAY[1]::float8[]);
SELECT framework_compile(ARRAY[]::indicator_code[], ARRAY[]::indicator_code[], ARRAY[]::float8[]);

-- rollup errors
SELECT rollup(fw, 'XX', 1) FROM fw WHERE name = 'main922';
SELECT rollup(fw, 'DTI', 1) FROM fw WHERE name = 'main922';
SELECT rollup(f.fw, v.c, v.x) FROM fw f, (VALUES ('NT'::indicator_code, 0.5::float8), ('NT', 0.6)) v(c, x) WHERE f.name = 'main922';
SELECT rollup(fw, 'NT', 'NaN') FROM fw WHERE name = 'main922';
SELECT rollup(NULL::framework, 'NT', 1);
SELECT rollup(fw, NULL, 1) FROM fw WHERE name = 'main922';
SELECT root_value(rollup(fw, 'NT', NULL)) IS NULL AS null_value_is_missing FROM fw WHERE name = 'main922';
SELECT rollup(fw, 'NT', 1) IS NULL AS no_rows_no_scorecard FROM fw WHERE false;
SELECT rollup(f.fw, v.c, v.x) FROM fw f, (VALUES ('P1.a'::indicator_code, -1::float8), ('P1.b', 5), ('P1.c', 5)) v(c, x) WHERE f.name = 'jrc_gmean';

-- Text forms read back to the same value.
SELECT count(*) AS frameworks, bool_and(fw::text::framework::text = fw::text) AS framework_round_trip FROM fw;
SELECT count(*) AS scorecards, bool_and(sc::text::scorecard::text = sc::text) AS scorecard_round_trip FROM by_rollup;
SELECT '[{"code": "R", "method": "points"}, {"code": "A", "parent": "R", "max_points": 2}]'::framework;
SELECT '[{"code": "A", "parent": "R"}]'::framework;
SELECT '{"code": "R"}'::framework;
SELECT '[{"code": "R", "method": "points", "value": 2}, {"code": "A", "parent": "X"}]'::scorecard;

-- Parallel: partial scorecards merge to the serial result, bit for bit.
CREATE TABLE many AS
SELECT u AS unit, v.code, v.value FROM generate_series(1, 40) u, comp_values v WHERE v.unit = 1 + u % 63;
ANALYZE many;
CREATE TABLE serial AS
SELECT unit, rollup(f.fw, m.code, m.value)::text AS sc FROM many m, fw f WHERE f.name = 'comp922' GROUP BY unit;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT unit, rollup((SELECT fw FROM fw WHERE name = 'comp922'), m.code, m.value) FROM many m GROUP BY unit;
CREATE TABLE parallel AS
SELECT unit, rollup((SELECT fw FROM fw WHERE name = 'comp922'), m.code, m.value)::text AS sc FROM many m GROUP BY unit;
EXPLAIN (COSTS OFF)
SELECT rollup((SELECT fw FROM fw WHERE name = 'comp922'), m.code, m.value) FROM many m WHERE unit = 7;
SELECT root_value(rollup((SELECT fw FROM fw WHERE name = 'comp922'), m.code, m.value)) =
       (SELECT root_value(sc::scorecard) FROM serial WHERE unit = 7) AS one_unit_split_across_workers
FROM many m WHERE unit = 7;
-- A framework that is a constant of the query (above: an initial subplan) is
-- not shipped with every partial state; the combining node evaluates the
-- argument again.  A framework read from a column travels with each state.
-- Two rollups over two frameworks in one query each find their own.
SET enable_hashagg = on;
CREATE TABLE many_fw AS SELECT m.*, f.fw FROM many m, fw f WHERE f.name = 'comp922';
ANALYZE many_fw;
EXPLAIN (COSTS OFF)
SELECT unit, rollup(fw, code, value) FROM many_fw GROUP BY unit;
CREATE TABLE parallel_column AS
SELECT unit, rollup(fw, code, value)::text AS sc FROM many_fw GROUP BY unit;
SELECT fw AS comp922 FROM fw WHERE name = 'comp922' \gset
PREPARE by_param(framework) AS SELECT unit, rollup($1, m.code, m.value)::text AS sc FROM many m GROUP BY unit;
SET plan_cache_mode = force_generic_plan;
CREATE TABLE parallel_param AS EXECUTE by_param(:'comp922');
EXPLAIN (COSTS OFF) EXECUTE by_param(:'comp922');
CREATE TABLE parallel_two AS
SELECT unit, rollup((SELECT fw FROM fw WHERE name = 'comp922'), m.code, m.value)::text AS a,
       rollup((SELECT fw FROM fw WHERE name = 'comp922_root500'), m.code, m.value) AS b
FROM many m GROUP BY unit;
RESET ALL;
SELECT count(*) AS units, count(*) FILTER (WHERE s.sc = p.sc) AS identical FROM serial s JOIN parallel p USING (unit);
SELECT count(*) AS units, count(*) FILTER (WHERE s.sc = c.sc AND s.sc = p.sc AND s.sc = t.a) AS identical,
       count(*) FILTER (WHERE root_value(t.b) = root_value(t.a::scorecard) AND points(t.b, 'DTI') = 500 * root_value(t.b)) AS second_framework
FROM serial s JOIN parallel_column c USING (unit) JOIN parallel_param p USING (unit) JOIN parallel_two t USING (unit);

-- scorecard_nodes(sc, leaf_level): the inner nodes and the leaves down to a level.
SELECT count(*) AS units,
       bool_and((SELECT array_agg(n ORDER BY n.code) FROM scorecard_nodes(sc, 0) n) =
                (SELECT array_agg(n ORDER BY n.code) FROM scorecard_nodes(sc) n WHERE n.method IS NOT NULL)) AS inner_only,
       bool_and((SELECT array_agg(n ORDER BY n.code) FROM scorecard_nodes(sc, 2) n) =
                (SELECT array_agg(n ORDER BY n.code) FROM scorecard_nodes(sc) n WHERE n.method IS NOT NULL OR n.level <= 2)) AS down_to_level_2,
       min((SELECT count(*) FROM scorecard_nodes(sc, 2))) AS nodes_to_level_2
FROM by_rollup;
-- explain_change: contributions of the leaves sum to the change of the root.
CREATE TABLE two AS
SELECT 'a' AS k, sc FROM by_rollup WHERE unit = 1 UNION ALL SELECT 'b', sc FROM by_rollup WHERE unit = 2;
SELECT round((SELECT root_value(sc) FROM two WHERE k = 'b')::numeric - (SELECT root_value(sc) FROM two WHERE k = 'a')::numeric, 10) AS root_change,
       round(sum(contribution) FILTER (WHERE is_leaf)::numeric, 10) AS sum_of_leaves,
       abs(sum(contribution) FILTER (WHERE is_leaf) - ((SELECT root_value(sc) FROM two WHERE k = 'b') - (SELECT root_value(sc) FROM two WHERE k = 'a'))) < 1e-12 AS exact,
       round(sum(contribution) FILTER (WHERE level = 2)::numeric, 10) AS sum_of_main_indicators
FROM explain_change((SELECT sc FROM two WHERE k = 'a'), (SELECT sc FROM two WHERE k = 'b'));
SELECT code, round(value_a::numeric, 4) AS a, round(value_b::numeric, 4) AS b,
       round(contribution::numeric, 6) AS contribution, round(share::numeric, 4) AS share
FROM explain_change((SELECT sc FROM two WHERE k = 'a'), (SELECT sc FROM two WHERE k = 'b'))
WHERE level <= 2 ORDER BY abs(contribution) DESC, code;
-- geometric means: the shares of the children still sum to the parent's change
WITH g AS (SELECT unit, sc FROM jrc_got WHERE method = 'gmean')
SELECT round(sum(contribution) FILTER (WHERE is_leaf)::numeric, 10) AS sum_of_leaves,
       round(((SELECT root_value(sc) FROM g WHERE unit = 'U2') - (SELECT root_value(sc) FROM g WHERE unit = 'U1'))::numeric, 10) AS root_change
FROM explain_change((SELECT sc FROM g WHERE unit = 'U1'), (SELECT sc FROM g WHERE unit = 'U2'));
SELECT * FROM explain_change((SELECT sc FROM by_rollup WHERE unit = 1), (SELECT sc FROM jrc_got LIMIT 1));
