-- dti_warehouse: ranks kept up to date one change at a time equal a full
-- re-ranking.  34 provinces with values on a coarse grid (many ties at the
-- published 4 decimals), then 40 rounds of revisions to one to three
-- provinces (values up, down, to a tie, a leaf withdrawn), each followed by
-- an incremental refresh whose ranks are compared with rank_rounded() over
-- the published scorecards, nationally and within regions.
BEGIN;
SELECT plan(6);
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dti_warehouse CASCADE;

SELECT ok(dti.create_framework('inc-rank', 'province', ARRAY[2032], 'Khung thử xếp hạng', max_points => 100) > 0,
	'framework created');
INSERT INTO dti.framework_indicator (code, name_vi, max_points, rule) VALUES
	('A', 'Nhóm A', 60, NULL),
	('A.1', 'Mục tiêu', 30, 'target(80)'),
	('A.2', 'Tỷ lệ A', 30, 'ratio'),
	('B', 'Nhóm B', 40, NULL),
	('B.1', 'Tỷ lệ B', 40, 'ratio');

SELECT setseed(0.42);
CREATE TEMP TABLE prov AS
SELECT u.code FROM dti.unit u WHERE u.level = 'province' AND u.valid_from <= '2032-12-31'
  AND (u.valid_to IS NULL OR u.valid_to >= '2032-01-01');
INSERT INTO dti.submission (unit_code, period, indicator, raw_value)
SELECT p.code, '2032', c.code,
	   CASE WHEN c.code = 'A.1' THEN (10 * floor(random() * 11))::text ELSE (0.05 * floor(random() * 21))::text END
FROM prov p, (VALUES ('A.1'), ('A.2'), ('B.1')) c(code);
DO $$ BEGIN PERFORM dti.set_status(s.id, 'verified') FROM dti.submission s WHERE s.period = '2032'; END $$;
CALL dti.refresh();

CREATE TEMP VIEW rank_mismatch AS
WITH expected AS (
	SELECT r.unit_id, n.code,
		   rank_rounded(n.value, 4) OVER (PARTITION BY n.code) AS rank,
		   rank_rounded(n.value, 4) OVER (PARTITION BY n.code, u.parent_id) AS group_rank
	FROM dti.result_scorecard r
	JOIN dti.unit u ON u.id = r.unit_id
	CROSS JOIN LATERAL scorecard_nodes(r.scorecard) n
	WHERE r.period = '2032' AND (n.method IS NOT NULL OR n.level <= 2)
), got AS (
	SELECT unit_id, code, rank, group_rank FROM dti.result_rank WHERE period = '2032'
)
(SELECT * FROM expected EXCEPT SELECT * FROM got) UNION ALL (SELECT * FROM got EXCEPT SELECT * FROM expected);

SELECT is((SELECT count(*) FROM prov), 34::bigint, '34 provinces in 2032');
SELECT is((SELECT count(*) FROM rank_mismatch), 0::bigint, 'the first (whole) refresh ranks every node');

CREATE TEMP TABLE round_result (round integer, units integer, whole boolean, mismatches bigint);
DO $$
DECLARE
	r integer;
	k integer;
	u text;
	c text;
BEGIN
	FOR r IN 1 .. 40 LOOP
		k := 1 + floor(random() * 3)::integer;
		FOR u IN SELECT code FROM prov ORDER BY random() LIMIT k LOOP
			c := (ARRAY['A.1', 'A.2', 'B.1'])[1 + floor(random() * 3)::integer];
			INSERT INTO dti.submission (unit_code, period, indicator, raw_value, reason)
			VALUES (u, '2032', c,
					CASE WHEN c = 'A.1' THEN (10 * floor(random() * 11))::text ELSE (0.05 * floor(random() * 21))::text END,
					'round ' || r);
			IF random() < 0.1 THEN
				-- withdrawn: the revision is rejected, the previous value stays current
				PERFORM dti.set_status(currval('dti.submission_id_seq'), 'rejected', 'withdrawn by the province');
			ELSE
				PERFORM dti.set_status(currval('dti.submission_id_seq'), 'verified');
			END IF;
		END LOOP;
		CALL dti.refresh();
		INSERT INTO round_result
		SELECT r, k, l.whole_periods <> '{}', (SELECT count(*) FROM rank_mismatch)
		FROM dti.refresh_log l ORDER BY l.id DESC LIMIT 1;
	END LOOP;
END $$;

SELECT is((SELECT count(*) FROM round_result WHERE NOT whole), 40::bigint,
	'each of the 40 rounds of revisions logged an incremental refresh');
SELECT is((SELECT count(*) FROM round_result WHERE whole), 0::bigint, 'every round refreshed the period incrementally');
SELECT is((SELECT sum(mismatches) FROM round_result), 0::numeric,
	'after every round the ranks equal a full re-ranking, nationally and within regions');

SELECT * FROM finish();
ROLLBACK;
