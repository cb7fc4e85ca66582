-- dti_warehouse: a revision re-scored alone against the stored ranges of
-- min-max and best rules (dti.result_leaf_range, dti.keep_leaf_ranges())
-- gives what scoring every unit from scratch gives, whatever happened to
-- the period before: a publication that took in queued changes moving a
-- range, a new framework version, a locked period's correction, a verified
-- revision rejected, a unit moved to another region.  After each refresh
-- every published scorecard is compared with one computed here from the
-- current values (the statistics of every leaf over the period, score(),
-- rollup()), and every rank with rank_rounded() over the scorecards.
BEGIN;
SELECT plan(22);
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE;

SELECT ok(dti.create_framework('range-province', 'province', ARRAY[2035], 'Khung thử khoảng', max_points => 100) > 0,
	'framework created');
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES
	('A', 'Nhóm A', 50, NULL),
	('A.1', 'Tương đối', 20, 'minmax'),
	('A.2', 'Tốt nhất', 30, 'best'),
	('B', 'Nhóm B', 50, NULL),
	('B.1', 'Mục tiêu', 30, 'target(80)'),
	('B.2', 'Tương đối ngược', 20, 'minmax(lower)');

SELECT setseed(0.5);
CREATE TEMP TABLE prov AS
SELECT u.id, u.code FROM dti.unit u WHERE u.level = 'province' AND u.valid_from <= '2035-12-31'
  AND (u.valid_to IS NULL OR u.valid_to >= '2035-01-01');
INSERT INTO dti.submission (unit_code, period, indicator, raw_value)
SELECT p.code, '2035', c.code, (5 * floor(random() * 21))::text
FROM prov p, (VALUES ('A.1'), ('A.2'), ('B.1'), ('B.2')) c(code)
ORDER BY 1, 2;
DO $$ BEGIN PERFORM dti.set_status(s.id, 'verified') FROM dti.submission s WHERE s.period = '2035' ORDER BY s.id; END $$;

-- a verified revision
CREATE FUNCTION pg_temp.revise(p_unit integer, p_code text, p_raw text) RETURNS void LANGUAGE sql AS $$
	INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason)
	SELECT u.code, '2035', p_code, p_raw, 'correction' FROM dti.unit u WHERE u.id = p_unit;
	SELECT dti.set_status((SELECT max(s.id) FROM dti.submission s), 'verified');
$$;
-- a province that holds no end of any stored range
CREATE FUNCTION pg_temp.inner_unit() RETURNS integer LANGUAGE sql AS $$
	SELECT p.id FROM prov p
	WHERE NOT EXISTS (SELECT 1 FROM dti.result_leaf_range g
					  WHERE g.period = '2035' AND p.id = ANY (g.lo_units || g.hi_units))
	  AND EXISTS (SELECT 1 FROM dti.result_leaf_range g WHERE g.period = '2035')
	ORDER BY p.id LIMIT 1;
$$;
-- the periods the last refresh recomputed whole
CREATE FUNCTION pg_temp.last_whole() RETURNS text LANGUAGE sql AS $$
	SELECT array_to_string(l.whole_periods, ',') FROM dti.refresh_log l
	WHERE l.requested_period IS NULL ORDER BY l.id DESC LIMIT 1;
$$;

-- From scratch: the framework in use for 2035, the statistics of each leaf
-- over every province's current value, each value scored and rolled up.
CREATE TEMP VIEW card_mismatch AS
WITH fw AS (
	SELECT fu.framework_id FROM dti.framework_in_use fu WHERE fu.year = 2035 AND fu.level = 'province'
), v AS (
	SELECT c.unit_id, c.indicator, c.value, i.rule
	FROM dti.current_value c
	JOIN dti.unit u ON u.id = c.unit_id AND u.level = 'province'
	JOIN dti.framework_indicator i ON i.framework_id = (SELECT framework_id FROM fw) AND i.code = c.indicator
	WHERE c.period = '2035'
), st AS (
	SELECT v.indicator, indicator_stats(v.value) AS st FROM v GROUP BY v.indicator
), expected AS (
	SELECT v.unit_id, (SELECT framework_id FROM fw) AS framework_id,
		   rollup(dti.framework_tree((SELECT framework_id FROM fw)), v.indicator,
				  CASE WHEN scoring_rule_kind(v.rule) IN ('minmax', 'best') THEN score(v.rule, v.value, st.st)
					   ELSE score(v.rule, v.value) END)::text AS sc
	FROM v JOIN st USING (indicator)
	GROUP BY v.unit_id
), got AS (
	SELECT r.unit_id, r.framework_id, r.scorecard::text AS sc FROM dti.result_scorecard r WHERE r.period = '2035'
)
(SELECT * FROM expected EXCEPT SELECT * FROM got) UNION ALL (SELECT * FROM got EXCEPT SELECT * FROM expected);

CREATE TEMP VIEW rank_mismatch AS
WITH expected AS (
	SELECT r.unit_id, n.code,
		   rank_rounded(n.value, 4) OVER (PARTITION BY n.code) AS rank,
		   rank_rounded(n.value, 4) OVER (PARTITION BY n.code, u.parent_id) AS group_rank
	FROM dti.result_scorecard r
	JOIN dti.unit u ON u.id = r.unit_id
	CROSS JOIN LATERAL scorecard_nodes(r.scorecard) n
	WHERE r.period = '2035' AND (n.method IS NOT NULL OR n.level <= 2)
), got AS (
	SELECT unit_id, code, rank, group_rank FROM dti.result_rank WHERE period = '2035'
)
(SELECT * FROM expected EXCEPT SELECT * FROM got) UNION ALL (SELECT * FROM got EXCEPT SELECT * FROM expected);

CALL dti.refresh();
SELECT is((SELECT count(*) FROM card_mismatch) + (SELECT count(*) FROM rank_mismatch), 0::bigint,
	'the first refresh: every scorecard and rank as from scratch');
SELECT ok((SELECT count(*) FROM dti.result_leaf_range WHERE period = '2035') = 3 AND pg_temp.inner_unit() IS NOT NULL,
	'ranges stored for the three relative leaves, and a province holds no end');

-- 1. a revision within the ranges: the province re-scored alone
SELECT pg_temp.revise(pg_temp.inner_unit(), 'A.2', '55');
CALL dti.refresh();
SELECT is(pg_temp.last_whole(), '', 'a revision within the ranges is re-scored alone');
SELECT is((SELECT count(*) FROM card_mismatch) + (SELECT count(*) FROM rank_mismatch), 0::bigint,
	'... and gives the scorecards and ranks of a recompute from scratch');

-- 2. a publication takes in a queued revision that moves the maximum of
-- A.2 down (the province holding it alone); then, the period open again,
-- a revision of a province that held no end, to a value within the range
-- the last refresh stored and within the values' range
CREATE TEMP TABLE top AS
SELECT g.hi_units[1] AS unit_id FROM dti.result_leaf_range g
WHERE g.period = '2035' AND g.code = 'A.2' AND cardinality(g.hi_units) = 1;
CREATE TEMP TABLE mid AS SELECT pg_temp.inner_unit() AS unit_id;
SELECT ok((SELECT count(*) FROM top) = 1 AND (SELECT unit_id FROM mid) IS NOT NULL,
	'one province holds the maximum of A.2, another no end');
SELECT pg_temp.revise((SELECT unit_id FROM top), 'A.2', '50');
SELECT ok(dti.publish('2035', 'province', 'announced') > 0, 'published with the revision of the maximum');
SELECT is((SELECT count(*) FROM card_mismatch) + (SELECT count(*) FROM rank_mismatch), 0::bigint,
	'the publication: every scorecard and rank as from scratch');
SELECT is((SELECT count(*) FROM dti.result_leaf_range WHERE period = '2035'), 0::bigint,
	'the publication drops the ranges of the last refresh');
SELECT dti.unlock_period('2035');
SELECT pg_temp.revise(m.unit_id, 'A.2', CASE WHEN c.value = 5 THEN '10' ELSE '5' END)
FROM mid m JOIN dti.current_value c ON c.unit_id = m.unit_id AND c.period = '2035' AND c.indicator = 'A.2';
CALL dti.refresh();
SELECT is(pg_temp.last_whole(), '2035', 'the next revision recomputes the period whole');
SELECT is((SELECT count(*) FROM card_mismatch) + (SELECT count(*) FROM rank_mismatch), 0::bigint,
	'a revision after a publication that moved a range: every scorecard and rank as from scratch');

-- 3. a new framework version for the year (the announced one is frozen):
-- A.1 scored by best instead of min-max
SELECT ok(dti.new_framework_version((SELECT id FROM dti.framework WHERE code = 'range-province' ORDER BY version LIMIT 1)) > 0,
	'a new framework version');
UPDATE dti.framework_indicator SET rule = 'best'
WHERE code = 'A.1' AND framework_id = (SELECT max(id) FROM dti.framework WHERE code = 'range-province');
SELECT dti.use_framework((SELECT max(id) FROM dti.framework WHERE code = 'range-province'), ARRAY[2035]);
CALL dti.refresh();
SELECT is((SELECT count(*) FROM card_mismatch) + (SELECT count(*) FROM rank_mismatch), 0::bigint,
	'the new version in use: every scorecard and rank as from scratch');
SELECT pg_temp.revise(pg_temp.inner_unit(), 'B.2', '40');
CALL dti.refresh();
SELECT is(pg_temp.last_whole(), '', 'under the new version, a revision within the ranges is re-scored alone');
SELECT is((SELECT count(*) FROM card_mismatch) + (SELECT count(*) FROM rank_mismatch), 0::bigint,
	'... as from scratch');

-- 4. a correction in a locked period: pending, then applied after the unlock
SELECT dti.lock_period('2035', 'announced');
SELECT pg_temp.revise(pg_temp.inner_unit(), 'A.1', '35');
CALL dti.refresh();
SELECT is((SELECT array_to_string(pending_periods, ',') FROM dti.refresh_log ORDER BY id DESC LIMIT 1), '2035',
	'a correction in a locked period is left pending');
SELECT dti.unlock_period('2035');
CALL dti.refresh();
SELECT is((SELECT count(*) FROM card_mismatch) + (SELECT count(*) FROM rank_mismatch), 0::bigint,
	'the correction applied after the unlock: as from scratch');

-- 5. a verified revision rejected: the previous verified value is back
SELECT pg_temp.revise(pg_temp.inner_unit(), 'A.2', '45');
CALL dti.refresh();
SELECT ok(dti.set_status((SELECT max(id) FROM dti.submission), 'rejected', 'typing error') > 0, 'the revision rejected');
CALL dti.refresh();
SELECT is(pg_temp.last_whole(), '', 'a rejected revision within the ranges is re-scored alone');
SELECT is((SELECT count(*) FROM card_mismatch) + (SELECT count(*) FROM rank_mismatch), 0::bigint,
	'... as from scratch');

-- 6. a province moved to another region (group ranks), then a revision
UPDATE dti.unit SET parent_id = (SELECT min(u2.parent_id) FROM dti.unit u2 JOIN prov p2 ON p2.id = u2.id)
WHERE id = (SELECT max(p.id) FROM prov p);
CALL dti.refresh();
SELECT is((SELECT count(*) FROM card_mismatch) + (SELECT count(*) FROM rank_mismatch), 0::bigint,
	'a province moved to another region: as from scratch');
SELECT pg_temp.revise(pg_temp.inner_unit(), 'A.1', '65');
CALL dti.refresh();
SELECT is((SELECT count(*) FROM card_mismatch) + (SELECT count(*) FROM rank_mismatch), 0::bigint,
	'then a revision: as from scratch');

SELECT * FROM finish();
ROLLBACK;
