-- make test-citus: the data, on the coordinator (psql variable units).
-- A framework DTI -> 4 pillars (points; arithmetic mean; geometric mean with
-- a threshold; harmonic mean with missing as zero) -> 5 main indicators each
-- -> 5 leaves each, 1 to 5 points: 100 leaves.
CREATE TABLE fw_node AS
SELECT 'DTI'::indicator_code AS code, NULL::indicator_code AS parent, NULL::float8 AS max_points,
	NULL::float8 AS weight, 'amean' AS method, NULL::float8 AS threshold, NULL::text AS missing
UNION ALL
SELECT p::indicator_code, 'DTI', NULL, 1 + ascii(p) % 3, CASE p WHEN 'A' THEN 'points' WHEN 'B' THEN 'amean'
	WHEN 'C' THEN 'gmean' ELSE 'hmean' END, CASE p WHEN 'C' THEN 0.6 END, CASE p WHEN 'D' THEN 'zero' END
FROM unnest('{A,B,C,D}'::text[]) p
UNION ALL
SELECT (p || '.' || m)::indicator_code, p::indicator_code, NULL, NULL, 'points', NULL, NULL
FROM unnest('{A,B,C,D}'::text[]) p, generate_series(1, 5) m
UNION ALL
SELECT (p || '.' || m || '.' || l)::indicator_code, (p || '.' || m)::indicator_code, (1 + (m * 3 + l) % 5)::float8,
	NULL, NULL, NULL, NULL
FROM unnest('{A,B,C,D}'::text[]) p, generate_series(1, 5) m, generate_series(1, 5) l;

CREATE TABLE fw_local AS
SELECT framework_compile(array_agg(code ORDER BY code), array_agg(parent ORDER BY code),
	array_agg(max_points ORDER BY code), weights => array_agg(weight ORDER BY code),
	methods => array_agg(method ORDER BY code), thresholds => array_agg(threshold ORDER BY code),
	missing => array_agg(missing ORDER BY code)) AS fw
FROM fw_node;

-- the framework in a reference table (a copy on every node)
CREATE TABLE fw_ref (id int PRIMARY KEY, fw framework);
INSERT INTO fw_ref SELECT 1, fw FROM fw_local;
SELECT create_reference_table('fw_ref');

-- leaf values in (0.5, 120], about 2% NULL, fractional weights
CREATE TABLE leaf_local (unit int NOT NULL, code indicator_code NOT NULL, v float8, w float8 NOT NULL);
INSERT INTO leaf_local
SELECT u, n.code,
	CASE WHEN (u * 37 + i * 11) % 47 = 0 THEN NULL ELSE 0.5 + 119.5 * abs(sin(u * 1.618 + i * 2.414)) END,
	0.125 + ((u * 5 + i * 3) % 23) * 0.29
FROM generate_series(1, :units) u,
	(SELECT code, row_number() OVER (ORDER BY code) AS i FROM fw_node WHERE nlevel(code) = 3) n;
ANALYZE leaf_local;

-- distributed by unit: a unit's rows on one shard
CREATE TABLE leaf (LIKE leaf_local);
SELECT create_distributed_table('leaf', 'unit');
INSERT INTO leaf SELECT * FROM leaf_local;
ANALYZE leaf;

\if :{?bench}
-- (test/bench/citus.sh: the two tables above are all it times)
\else
-- the framework carrying a relative rule on every leaf, for composite()
CREATE TABLE fwr_local AS
SELECT framework_rules((SELECT fw FROM fw_local), array_agg(code), array_agg('minmax(0, 100)'::scoring_rule)) AS fw
FROM fw_node WHERE nlevel(code) = 3;

-- distributed by row: a unit's rows on several shards and both workers
CREATE TABLE leaf_rid (rid bigint NOT NULL, LIKE leaf_local);
SELECT create_distributed_table('leaf_rid', 'rid');
INSERT INTO leaf_rid SELECT row_number() OVER (ORDER BY code, unit), * FROM leaf_local;
ANALYZE leaf_rid;

-- values of the dti types and the aggregates' states, stored on the workers
CREATE TABLE card_local AS
SELECT s.unit, f.fw, s.sc, weighted_mean_step(NULL, 1.5, s.unit) AS wms,
	indicator_stats_step(NULL, s.unit) AS iss, rollup_step(NULL, f.fw, 'A.1.1', s.unit / 1000.0) AS rs, s.lv, s.wqs
FROM (SELECT l.unit, rollup((SELECT fw FROM fw_local), l.code, l.v / 120) AS sc,
		leaf_vector((SELECT fw FROM fw_local), l.code, l.v / 120) AS lv,
		weighted_quantile_step(weighted_quantile_step(NULL, l.unit, 2, 0.25), 1, l.unit, 0.25) AS wqs FROM leaf_local l
	  WHERE l.unit <= 50 GROUP BY l.unit) s, fw_local f;
CREATE TABLE card_dist (LIKE card_local);
SELECT create_distributed_table('card_dist', 'unit');
INSERT INTO card_dist SELECT * FROM card_local;
\endif
