-- pipeline(): raw values to scorecards in one call, with its audit rows.
-- A case small enough to compute by hand (4 units a..d):
--   P1.1 is denominated by POP: a 20/1 = 20, b 20/2 = 10, c 90/3 = 30,
--        d 40/0 -> NULL (denominator zero), then imputed with the mean of
--        the 3 others, 20; minmax: a 0.5, b 0, c 1, d 0.5
--   P1.2: d has no row; imputed with the mean of 1, 2, 3 = 2;
--        minmax: a 0, b 0.5, c 1, d 0.5
--   P2.1: 0, 0, 0, 1 has skewness exactly 2 (not over 2): not treated;
--        minmax: 0, 0, 0, 1
--   P1 = mean(P1.1, P1.2): a 0.25, b 0.25, c 1, d 0.5
--   DTI = mean(P1, P2): a 0.125, b 0.125, c 0.5, d 0.75
SET extra_float_digits = 0;
CREATE TABLE pl_node (code indicator_code, parent indicator_code, rule scoring_rule);
INSERT INTO pl_node VALUES ('DTI', NULL, NULL), ('P1', 'DTI', NULL), ('P2', 'DTI', NULL),
	('P1.1', 'P1', 'minmax'), ('P1.2', 'P1', 'minmax'), ('P2.1', 'P2', 'minmax');
CREATE TABLE pl_fw AS
	SELECT framework_rules(
		framework_compile(array_agg(code), array_agg(parent), array_agg(NULL::float8),
			weights => array_agg(CASE WHEN parent IS NOT NULL THEN 1.0 END),
			methods => array_agg(CASE WHEN rule IS NULL THEN 'amean' END)),
		array_agg(code) FILTER (WHERE rule IS NOT NULL), array_agg(rule) FILTER (WHERE rule IS NOT NULL)) AS fw
	FROM pl_node;
CREATE TABLE pl_raw (unit text, code indicator_code, value float8);
INSERT INTO pl_raw VALUES
	('a', 'P1.1', 20), ('b', 'P1.1', 20), ('c', 'P1.1', 90), ('d', 'P1.1', 40),
	('a', 'POP', 1), ('b', 'POP', 2), ('c', 'POP', 3), ('d', 'POP', 0),
	('a', 'P1.2', 1), ('b', 'P1.2', 2), ('c', 'P1.2', 3),
	('a', 'P2.1', 0), ('b', 'P2.1', 0), ('c', 'P2.1', 0), ('d', 'P2.1', 1);
CREATE TABLE pl_audit (step integer, name text, parameters jsonb, effects jsonb,
	unit text, code text, original float8, value float8, note text);
SELECT p.unit, root_value(p.sc), p.sc -> 'P1' AS p1, p.sc -> 'P2' AS p2,
	   p.sc -> 'P1.1' AS p11, p.sc -> 'P1.2' AS p12, p.sc -> 'P2.1' AS p21
FROM pl_fw, pipeline(fw, 'pl_raw', 'pl_audit', '{P1.1}', '{POP}', imputation => 'mean') p
ORDER BY p.unit;
-- the audit rows: a summary row per step, a row per changed cell
SELECT step, name, parameters - 'statistics' - 'framework' AS parameters, effects, unit, code, original, value, note
FROM pl_audit ORDER BY step, unit NULLS FIRST, code;
-- the framework and the statistics are recorded whole
SELECT (SELECT parameters ->> 'framework' FROM pl_audit WHERE name = 'aggregate') = fw::text AS framework_recorded
FROM pl_fw;
SELECT n.code, leaf_stats_of((SELECT (parameters ->> 'statistics')::leaf_stats FROM pl_audit WHERE name = 'normalise'), fw, n.code)
FROM pl_fw, framework_nodes(fw) n WHERE n.is_leaf ORDER BY n.code;
-- errors
\set VERBOSITY terse
SELECT * FROM pl_fw, pipeline(fw, 'pl_raw', 'pl_audit', imputation => 'hot_deck');
SELECT * FROM pl_fw, pipeline(fw, 'pl_raw', 'pl_audit', '{P1.1}', '{POP}', imputation => 'group_mean');
SELECT * FROM pl_fw, pipeline(fw, 'pl_raw', 'pl_audit', '{P1.1}', '{POP}', imputation => 'carry_forward');
SELECT * FROM pl_fw, pipeline(fw, 'pl_raw', 'pl_audit', '{P1.1}', NULL);
SELECT * FROM pl_fw, pipeline(fw, 'pl_raw', 'pl_audit');
SELECT * FROM pl_fw, pipeline(fw, 'pl_raw', 'pl_audit', '{P1.1}', '{P1.1}');
SELECT * FROM pl_fw, pipeline(fw, 'pl_raw', 'pl_audit', '{POP}', '{P1.1}');
SELECT * FROM pl_fw, pipeline(fw, 'pl_raw', NULL);
SELECT * FROM pl_fw, pipeline(fw, 'no_such_table', 'pl_audit');
