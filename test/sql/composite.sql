-- composite(): leaf rules carried by the framework, the statistics of every
-- leaf in one pass, scoring and roll-up in one aggregate.
SET extra_float_digits = 0;
CREATE TABLE comp_node (code indicator_code, parent indicator_code, weight float8, rule scoring_rule);
INSERT INTO comp_node VALUES
	('DTI', NULL, NULL, NULL),
	('P1', 'DTI', 2, NULL), ('P2', 'DTI', 1, NULL),
	('P1.1', 'P1', 1, 'minmax(0, 100)'), ('P1.2', 'P1', 1, 'target(80)'),
	('P2.1', 'P2', 1, 'zscore(50, 10)'), ('P2.2', 'P2', 1, NULL);
CREATE TABLE comp_fw AS
	SELECT framework_rules(
		framework_compile(array_agg(code), array_agg(parent), array_agg(NULL::float8),
			weights => array_agg(weight), methods => array_agg(CASE WHEN code IN ('DTI', 'P1', 'P2') THEN 'amean' END)),
		array_agg(code) FILTER (WHERE rule IS NOT NULL), array_agg(rule) FILTER (WHERE rule IS NOT NULL)) AS fw
	FROM comp_node;
-- the rules show in the text form, on the leaves
SELECT fw FROM comp_fw;
SELECT n.code, framework_rule(fw, n.code) FROM comp_fw, framework_nodes(fw) n WHERE n.is_leaf;
CREATE TABLE comp_leaf (unit text, code indicator_code, v float8);
INSERT INTO comp_leaf VALUES
	('A', 'P1.1', 10), ('A', 'P1.2', 40), ('A', 'P2.1', 3), ('A', 'P2.2', 0.5),
	('B', 'P1.1', 30), ('B', 'P1.2', 100), ('B', 'P2.1', 5), ('B', 'P2.2', 0.25),
	('C', 'P1.1', 20), ('C', 'P1.2', NULL), ('C', 'P2.1', 7);
-- pass 1: the statistics of every leaf
SELECT n.code, leaf_stats_of(st, fw, n.code)
FROM (SELECT leaf_stats((SELECT fw FROM comp_fw), code, v) AS st FROM comp_leaf) s, comp_fw, framework_nodes(fw) n
WHERE n.is_leaf ORDER BY n.code;
-- pass 2: one scorecard per unit
SELECT unit, root_value(sc), sc -> 'P1' AS p1, sc -> 'P2' AS p2, sc -> 'P1.1' AS p11, sc -> 'P2.1' AS p21
FROM (SELECT unit, composite((SELECT fw FROM comp_fw), (SELECT leaf_stats((SELECT fw FROM comp_fw), code, v) FROM comp_leaf), code, v) AS sc
      FROM comp_leaf GROUP BY unit) s
ORDER BY unit;
SELECT n.code, n.value, n.weight, n.present, n.expected
FROM (SELECT composite((SELECT fw FROM comp_fw), (SELECT leaf_stats((SELECT fw FROM comp_fw), code, v) FROM comp_leaf), code, v) AS sc
      FROM comp_leaf WHERE unit = 'C') s, scorecard_nodes(sc) n;
-- errors
SELECT composite(fw, NULL, 'P1.1', 1) FROM comp_fw;
SELECT composite(fw, (SELECT leaf_stats(fw, 'P1.1', 1) FROM comp_fw), 'P1.1', 1)
FROM (SELECT framework_rules(fw, ARRAY['P1.1']::indicator_code[], ARRAY['ratio']::scoring_rule[]) AS fw FROM comp_fw) f;
SELECT framework_rules(fw, ARRAY['P1']::indicator_code[], ARRAY['ratio']::scoring_rule[]) FROM comp_fw;
SELECT framework_rules(fw, ARRAY['P1.1']::indicator_code[], ARRAY['rank']::scoring_rule[]) FROM comp_fw;
SELECT 'abc'::leaf_stats;
DROP TABLE comp_node, comp_fw, comp_leaf;
