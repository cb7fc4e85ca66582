-- dti_warehouse 0.2.0 -> 0.3.0: current verified values kept in a table by
-- a trigger; ranks kept up to date one change at a time (incremental
-- refresh); scoring joins the leaves by hashing and computes statistics only
-- for relative rules; rankings read from the published ranks alone; the
-- reliability and security fixes (the refresh queue, admin rights, invalid
-- text, rejects, pg_cron's schema, build_score_wide).
\echo Use "ALTER EXTENSION dti_warehouse UPDATE TO '0.3.0'" to load this file. \quit

CREATE FUNCTION dti.submitted_periods() RETURNS SETOF text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	WITH RECURSIVE p(period) AS (
		(SELECT s.period FROM dti.submission s ORDER BY s.period LIMIT 1)
		UNION ALL
		SELECT (SELECT s.period FROM dti.submission s WHERE s.period > p.period ORDER BY s.period LIMIT 1)
		FROM p WHERE p.period IS NOT NULL
	)
	SELECT p.period FROM p WHERE p.period IS NOT NULL;
END;
COMMENT ON FUNCTION dti.submitted_periods() IS
	'Internal to dti.refresh(): the distinct periods of dti.submission (that the caller may see)';
CREATE TABLE dti.current_value (
	period text NOT NULL,
	unit_id integer NOT NULL,
	indicator indicator_code NOT NULL,
	submission_id bigint NOT NULL,
	raw_value text NOT NULL,
	value float8,
	PRIMARY KEY (period, unit_id, indicator)
);
COMMENT ON TABLE dti.current_value IS
	'The current verified revision of each unit, period and indicator, derived from dti.submission and dti.submission_status by a trigger (rebuild it with dti.rebuild_current_values() after loading with triggers disabled); read by the scoring pipeline';
COMMENT ON COLUMN dti.current_value.submission_id IS 'The revision (dti.submission.id) that is current';
SELECT pg_catalog.pg_extension_config_dump('dti.current_value', 'WHERE false');
CREATE VIEW dti.verified_revision WITH (security_invoker = true) AS
SELECT s.id, s.period, s.unit_id, s.indicator, s.raw_value, s.value
FROM dti.submission s
JOIN LATERAL (
	SELECT t.status FROM dti.submission_status t
	WHERE t.submission_id = s.id ORDER BY t.id DESC LIMIT 1) st ON true
WHERE st.status = 'verified';
COMMENT ON VIEW dti.verified_revision IS
	'Internal: the revisions whose newest status is verified (the newest of them per unit, period and indicator is current)';
CREATE FUNCTION dti.resolve_current(periods text[], unit_ids integer[], indicators text[])
RETURNS TABLE (period text, unit_id integer, indicator indicator_code, submission_id bigint, raw_value text, value float8)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT DISTINCT ON (r.period, r.unit_id, r.indicator) r.period, r.unit_id, r.indicator, r.id, r.raw_value, r.value
	FROM unnest(resolve_current.periods, resolve_current.unit_ids, resolve_current.indicators) k(period, unit_id, indicator)
	JOIN dti.verified_revision r ON r.unit_id = k.unit_id AND r.period = k.period
		AND r.indicator = k.indicator::indicator_code
	ORDER BY r.period, r.unit_id, r.indicator, r.id DESC;
END;
COMMENT ON FUNCTION dti.resolve_current(text[], integer[], text[]) IS
	'Internal: the current verified revision of each given (period, unit, indicator), from the history';
CREATE FUNCTION dti.sync_current_value() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	k_period text[];
	k_unit integer[];
	k_indicator text[];
BEGIN
	SELECT array_agg(k.period ORDER BY k.period, k.unit_id, k.indicator),
		   array_agg(k.unit_id ORDER BY k.period, k.unit_id, k.indicator),
		   array_agg(k.indicator ORDER BY k.period, k.unit_id, k.indicator)
	INTO k_period, k_unit, k_indicator
	FROM (SELECT DISTINCT s.period, s.unit_id, s.indicator::text AS indicator
		  FROM new_rows n JOIN dti.submission s ON s.id = n.submission_id) k;
	IF k_period IS NULL THEN
		RETURN NULL;
	END IF;
	IF cardinality(k_period) > 100 THEN
		LOCK TABLE dti.current_value IN SHARE ROW EXCLUSIVE MODE;
	ELSE
		PERFORM pg_advisory_xact_lock(hashtext('dti.current_value'), hashtext(k.period || '/' || k.unit_id || '/' || k.indicator))
		FROM unnest(k_period, k_unit, k_indicator) WITH ORDINALITY k(period, unit_id, indicator, i)
		ORDER BY k.i;
	END IF;
	DELETE FROM dti.current_value c
	USING unnest(k_period, k_unit, k_indicator) k(period, unit_id, indicator)
	WHERE c.period = k.period AND c.unit_id = k.unit_id AND c.indicator::text = k.indicator;
	INSERT INTO dti.current_value (period, unit_id, indicator, submission_id, raw_value, value)
	SELECT * FROM dti.resolve_current(k_period, k_unit, k_indicator);
	RETURN NULL;
END $$;
COMMENT ON FUNCTION dti.sync_current_value() IS
	'Trigger function: brings dti.current_value up to date for the units, periods and indicators of new status changes';
CREATE TRIGGER submission_status_current AFTER INSERT ON dti.submission_status
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dti.sync_current_value();
CREATE FUNCTION dti.rebuild_current_values() RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	n bigint;
BEGIN
	LOCK TABLE dti.current_value IN SHARE ROW EXCLUSIVE MODE;
	DELETE FROM dti.current_value;
	INSERT INTO dti.current_value (period, unit_id, indicator, submission_id, raw_value, value)
	SELECT DISTINCT ON (r.period, r.unit_id, r.indicator) r.period, r.unit_id, r.indicator, r.id, r.raw_value, r.value
	FROM dti.verified_revision r
	ORDER BY r.period, r.unit_id, r.indicator, r.id DESC;
	GET DIAGNOSTICS n = ROW_COUNT;
	INSERT INTO dti.refresh_queue (period, whole, reason) VALUES (NULL, true, 'current values rebuilt');
	RETURN n;
END $$;
COMMENT ON FUNCTION dti.rebuild_current_values() IS
	'Recomputes dti.current_value from the whole history (after a load with triggers disabled) and queues every period for dti.refresh(); returns the number of current values';
REVOKE EXECUTE ON FUNCTION dti.resolve_current(text[], integer[], text[]), dti.rebuild_current_values() FROM PUBLIC;
GRANT SELECT ON dti.current_value TO dti_admin;
-- the current values of the existing history
INSERT INTO dti.current_value (period, unit_id, indicator, submission_id, raw_value, value)
SELECT DISTINCT ON (r.period, r.unit_id, r.indicator) r.period, r.unit_id, r.indicator, r.id, r.raw_value, r.value
FROM dti.verified_revision r
ORDER BY r.period, r.unit_id, r.indicator, r.id DESC;

CREATE OR REPLACE FUNCTION dti.verified_values(period text, unit_ids integer[] DEFAULT NULL)
RETURNS TABLE (unit_id integer, indicator indicator_code, raw_value text, value float8)
LANGUAGE sql STABLE CALLED ON NULL INPUT PARALLEL SAFE
BEGIN ATOMIC
	SELECT c.unit_id, c.indicator, c.raw_value, c.value
	FROM dti.current_value c
	WHERE c.period = verified_values.period
	  AND (verified_values.unit_ids IS NULL OR c.unit_id = ANY (verified_values.unit_ids));
END;
COMMENT ON FUNCTION dti.verified_values(text, integer[]) IS
	'Current verified raw and numeric values per unit and indicator in one period (newest revision whose newest status is verified)';

ALTER TABLE dti.result_rank DROP CONSTRAINT result_rank_unit_id_fkey, DROP CONSTRAINT result_rank_framework_id_fkey;
DROP INDEX dti.result_rank_period_framework_id_code_rank_idx;
CREATE INDEX result_rank_value_idx ON dti.result_rank (period, framework_id, code, value);
CREATE INDEX result_rank_rank_idx ON dti.result_rank (period, code, rank);

CREATE OR REPLACE FUNCTION dti.compute_scorecards(period text, framework_id integer, unit_ids integer[], run_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	written bigint;
	fw_level text;
	score_expr text;
BEGIN
	IF unit_ids IS NULL THEN
		DELETE FROM dti.result_scorecard r
		WHERE r.period = compute_scorecards.period AND r.framework_id = compute_scorecards.framework_id;
	ELSE
		DELETE FROM dti.result_scorecard r
		WHERE r.period = compute_scorecards.period AND r.unit_id = ANY (unit_ids);
	END IF;
	SELECT f.level INTO fw_level FROM dti.framework f WHERE f.id = compute_scorecards.framework_id;

	CREATE TEMP TABLE dti_leaf ON COMMIT DROP AS
	SELECT i.code, i.rule, scoring_rule_kind(i.rule) AS kind
	FROM dti.framework_indicator i
	WHERE i.framework_id = compute_scorecards.framework_id
	  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator c
					  WHERE c.framework_id = i.framework_id AND parent(c.code) = i.code);
	ANALYZE pg_temp.dti_leaf;

	IF dti.framework_is_relative(framework_id) THEN
		-- window functions run for every row: give rank_score a rank rule
		-- everywhere, and use it only where it applies
		score_expr := $q$CASE
			WHEN l.rule IS NULL THEN v.value
			WHEN l.kind IN ('rank', 'prank', 'borda')
				THEN rank_score(CASE WHEN l.kind IN ('rank', 'prank', 'borda') THEN l.rule
									 ELSE 'rank'::scoring_rule END, v.value) OVER w
			WHEN l.kind = 'grade' THEN score(l.rule, v.raw_value)
			ELSE score(l.rule, v.value, indicator_stats(v.value) OVER w)
		END$q$;
	ELSE
		score_expr := $q$CASE
			WHEN l.rule IS NULL THEN v.value
			WHEN l.kind = 'grade' THEN score(l.rule, v.raw_value)
			ELSE score(l.rule, v.value)
		END$q$;
	END IF;
	EXECUTE format($q$
		INSERT INTO dti.result_scorecard (period, unit_id, framework_id, scorecard, root_value, run_id)
		SELECT $1, s.unit_id, $2, s.sc, root_value(s.sc), $4
		FROM (
			SELECT x.unit_id, rollup($5, x.indicator, x.score) AS sc
			FROM (
				SELECT v.unit_id, v.indicator, %s AS score
				FROM dti.verified_values($1, $3) v
				JOIN pg_temp.dti_leaf l ON l.code = v.indicator
				WHERE v.unit_id IN (SELECT u.id FROM dti.unit u WHERE u.level = $6)
				WINDOW w AS (PARTITION BY v.indicator)
			) x
			GROUP BY x.unit_id
		) s$q$, score_expr)
	USING period, framework_id, unit_ids, run_id, dti.framework_tree(framework_id), fw_level;
	GET DIAGNOSTICS written = ROW_COUNT;
	DROP TABLE pg_temp.dti_leaf;
	RETURN written;
END $$;
CREATE FUNCTION dti.ranked_nodes(period text, framework_id integer)
RETURNS SETOF dti.result_rank
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT x.period, x.unit_id, x.framework_id, x.code, x.level, x.value,
		   rank_rounded(x.value, 4) OVER (PARTITION BY x.code),
		   rank_rounded(x.value, 4) OVER (PARTITION BY x.code, x.parent_id)
	FROM (
		SELECT r.period, r.unit_id, r.framework_id, n.code, n.level, n.value, u.parent_id
		FROM dti.result_scorecard r
		JOIN dti.unit u ON u.id = r.unit_id
		CROSS JOIN LATERAL scorecard_nodes(r.scorecard) n
		WHERE r.period = ranked_nodes.period AND r.framework_id = ranked_nodes.framework_id
		  AND (n.method IS NOT NULL OR n.level <= 2)
	) x;
END;
COMMENT ON FUNCTION dti.ranked_nodes(text, integer) IS
	'Internal to dti.refresh(): every inner node and main indicator of the published scorecards of one period and framework, with its national and group rank';
CREATE OR REPLACE FUNCTION dti.compute_ranks(period text, framework_id integer, changed_units integer[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	changed bigint;
	removed bigint;
	shifted bigint;
BEGIN
	IF changed_units IS NOT NULL AND cardinality(changed_units) <= 64 THEN
		-- old and new values of the changed units' ranked nodes
		CREATE TEMP TABLE dti_rank_change ON COMMIT DROP AS
		SELECT k.*,
			   -- the values whose keys may lie between the two keys (a key is
			   -- within 0.5e-4 of its value)
			   CASE WHEN k.old_key IS NULL OR k.new_key IS NULL THEN '-Infinity'
					ELSE least(k.old_key, k.new_key) - 1e-4 END AS lo,
			   greatest(k.old_key, k.new_key) + 1e-4 AS hi
		FROM (
		SELECT coalesce(n.unit_id, o.unit_id) AS unit_id, coalesce(n.code, o.code) AS code,
			   coalesce(n.level, o.level) AS level, u.parent_id,
			   n.unit_id IS NOT NULL AS kept, n.value AS new_value,
			   round_decimal(o.value, 4) AS old_key, round_decimal(n.value, 4) AS new_key
		FROM (SELECT r.unit_id, x.code, x.level, x.value
			  FROM dti.result_scorecard r
			  CROSS JOIN LATERAL scorecard_nodes(r.scorecard) x
			  WHERE r.period = compute_ranks.period AND r.framework_id = compute_ranks.framework_id
				AND r.unit_id = ANY (compute_ranks.changed_units)
				AND (x.method IS NOT NULL OR x.level <= 2)) n
		FULL JOIN (SELECT o.unit_id, o.code, o.level, o.value FROM dti.result_rank o
				   WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id
					 AND o.unit_id = ANY (compute_ranks.changed_units)) o
			ON o.unit_id = n.unit_id AND o.code = n.code
		JOIN dti.unit u ON u.id = coalesce(n.unit_id, o.unit_id)) k;
		ANALYZE pg_temp.dti_rank_change;

		-- every other unit between a changed unit's old and new key moves
		-- one place (NULL keys do not count)
		UPDATE dti.result_rank t
		SET rank = t.rank + d.by_rank, group_rank = t.group_rank + d.by_group
		FROM (
			SELECT x.unit_id, x.code, sum(x.step) AS by_rank,
				   coalesce(sum(x.step) FILTER (WHERE x.same_group), 0) AS by_group
			FROM (
				SELECT o.unit_id, o.code,
					   coalesce((c.new_key > round_decimal(o.value, 4))::int, 0)
					   - coalesce((c.old_key > round_decimal(o.value, 4))::int, 0) AS step,
					   c.parent_id IS NOT DISTINCT FROM ou.parent_id AS same_group
				FROM pg_temp.dti_rank_change c
				JOIN dti.result_rank o ON o.period = compute_ranks.period
					AND o.framework_id = compute_ranks.framework_id AND o.code = c.code
					AND o.value > c.lo AND o.value < c.hi
				JOIN dti.unit ou ON ou.id = o.unit_id
				WHERE c.old_key IS DISTINCT FROM c.new_key
				  AND NOT (o.unit_id = ANY (compute_ranks.changed_units))
			) x
			WHERE x.step <> 0
			GROUP BY x.unit_id, x.code
		) d
		WHERE t.period = compute_ranks.period AND t.unit_id = d.unit_id AND t.code = d.code;
		GET DIAGNOSTICS shifted = ROW_COUNT;

		DELETE FROM dti.result_rank o
		USING pg_temp.dti_rank_change c
		WHERE o.period = compute_ranks.period AND o.unit_id = c.unit_id AND o.code = c.code AND NOT c.kept;
		GET DIAGNOSTICS removed = ROW_COUNT;
		INSERT INTO dti.result_rank AS o (period, unit_id, framework_id, code, level, value, rank, group_rank)
		SELECT compute_ranks.period, c.unit_id, compute_ranks.framework_id, c.code, c.level, c.new_value, NULL, NULL
		FROM pg_temp.dti_rank_change c WHERE c.kept
		ON CONFLICT ON CONSTRAINT result_rank_pkey DO UPDATE
			SET framework_id = excluded.framework_id, level = excluded.level, value = excluded.value
			WHERE (o.framework_id, o.level, o.value) IS DISTINCT FROM (excluded.framework_id, excluded.level, excluded.value);

		-- the changed units' own ranks: the old rank, less the changed units
		-- that were above the old key, plus those above the new key, plus
		-- the others the unit passed or fell behind (a range scan between
		-- its two keys); counted from scratch for a new row
		UPDATE dti.result_rank t
		SET rank = r.rank, group_rank = r.group_rank
		FROM (
			SELECT c.unit_id, c.code,
				   CASE WHEN c.new_key IS NULL THEN NULL
						WHEN c.old_key IS NULL OR p.rank IS NULL THEN
							1 + (SELECT count(*) FROM dti.result_rank o
								 WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id
								   AND o.code = c.code AND o.value > c.new_key - 1e-4
								   AND round_decimal(o.value, 4) > c.new_key)
						ELSE p.rank + x.passed
							 + (SELECT count(*) FILTER (WHERE v.new_key > c.new_key)
									   - count(*) FILTER (WHERE v.old_key > c.old_key)
								FROM pg_temp.dti_rank_change v
								WHERE v.code = c.code AND v.unit_id <> c.unit_id)
				   END AS rank,
				   CASE WHEN c.new_key IS NULL THEN NULL
						WHEN c.old_key IS NULL OR p.group_rank IS NULL THEN
							1 + (SELECT count(*) FROM dti.result_rank o
								 JOIN dti.unit ou ON ou.id = o.unit_id
								 WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id
								   AND o.code = c.code AND o.value > c.new_key - 1e-4
								   AND round_decimal(o.value, 4) > c.new_key
								   AND ou.parent_id IS NOT DISTINCT FROM c.parent_id)
						ELSE p.group_rank + x.passed_in_group
							 + (SELECT count(*) FILTER (WHERE v.new_key > c.new_key)
									   - count(*) FILTER (WHERE v.old_key > c.old_key)
								FROM pg_temp.dti_rank_change v
								WHERE v.code = c.code AND v.unit_id <> c.unit_id
								  AND v.parent_id IS NOT DISTINCT FROM c.parent_id)
				   END AS group_rank
			FROM pg_temp.dti_rank_change c
			JOIN dti.result_rank p ON p.period = compute_ranks.period AND p.unit_id = c.unit_id AND p.code = c.code
			CROSS JOIN LATERAL (
				SELECT coalesce(sum(y.step), 0) AS passed,
					   coalesce(sum(y.step) FILTER (WHERE y.same_group), 0) AS passed_in_group
				FROM (
					SELECT (round_decimal(o.value, 4) > c.new_key)::int
						   - (round_decimal(o.value, 4) > c.old_key)::int AS step,
						   ou.parent_id IS NOT DISTINCT FROM c.parent_id AS same_group
					FROM dti.result_rank o
					JOIN dti.unit ou ON ou.id = o.unit_id
					WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id
					  AND o.code = c.code AND o.value > c.lo AND o.value < c.hi
					  AND NOT (o.unit_id = ANY (compute_ranks.changed_units))
				) y
			) x
			WHERE c.kept
		) r
		WHERE t.period = compute_ranks.period AND t.unit_id = r.unit_id AND t.code = r.code
		  AND (t.rank, t.group_rank) IS DISTINCT FROM (r.rank, r.group_rank);
		GET DIAGNOSTICS changed = ROW_COUNT;
		DROP TABLE pg_temp.dti_rank_change;
		RETURN shifted + removed + changed;
	END IF;

	-- a period ranked for the first time: write every row
	IF NOT EXISTS (SELECT 1 FROM dti.result_rank o
				   WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id) THEN
		INSERT INTO dti.result_rank
		SELECT * FROM dti.ranked_nodes(compute_ranks.period, compute_ranks.framework_id);
		GET DIAGNOSTICS changed = ROW_COUNT;
		RETURN changed;
	END IF;

	-- re-ranking a whole period: write only what changed
	IF to_regclass('pg_temp.dti_new_rank') IS NULL THEN
		CREATE TEMP TABLE dti_new_rank (LIKE dti.result_rank, PRIMARY KEY (unit_id, code)) ON COMMIT DROP;
	END IF;
	TRUNCATE pg_temp.dti_new_rank;
	INSERT INTO pg_temp.dti_new_rank
	SELECT * FROM dti.ranked_nodes(compute_ranks.period, compute_ranks.framework_id);
	ANALYZE pg_temp.dti_new_rank;
	DELETE FROM dti.result_rank o
	WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id
	  AND NOT EXISTS (SELECT 1 FROM pg_temp.dti_new_rank x WHERE x.unit_id = o.unit_id AND x.code = o.code);
	GET DIAGNOSTICS removed = ROW_COUNT;
	-- only new rows and rows whose rank or value changed reach the upsert
	INSERT INTO dti.result_rank AS o
	SELECT x.* FROM pg_temp.dti_new_rank x
	LEFT JOIN dti.result_rank p ON p.period = x.period AND p.unit_id = x.unit_id AND p.code = x.code
	WHERE p.unit_id IS NULL
	   OR (p.framework_id, p.level, p.value, p.rank, p.group_rank)
		  IS DISTINCT FROM (x.framework_id, x.level, x.value, x.rank, x.group_rank)
	ON CONFLICT ON CONSTRAINT result_rank_pkey DO UPDATE
		SET framework_id = excluded.framework_id, level = excluded.level, value = excluded.value,
			rank = excluded.rank, group_rank = excluded.group_rank;
	GET DIAGNOSTICS changed = ROW_COUNT;
	TRUNCATE pg_temp.dti_new_rank;
	RETURN changed + removed;
END $$;
COMMENT ON FUNCTION dti.compute_ranks(text, integer, integer[]) IS
	'Internal to dti.refresh(): ranks every inner node and main indicator of one period and framework; with a few changed units, moves the others between their old and new values by one place instead of re-ranking the period; writes only the rows that changed';

CREATE OR REPLACE VIEW dti.ranking AS
SELECT rk.period,
	   u.level AS unit_level,
	   f.code AS framework,
	   rk.rank,
	   u.code AS unit_code,
	   u.name_vi AS unit,
	   g.name_vi AS region,
	   round(rk.value::numeric, 4) AS value,
	   prev.rank AS rank_prev,
	   prev.rank - rk.rank AS rank_change,
	   round((rk.value - prev.value)::numeric, 4) AS value_change,
	   rk.group_rank AS region_rank,
	   CASE WHEN rk.value > 0.75 THEN 'Rất cao'
			WHEN rk.value >= 0.50 THEN 'Cao'
			WHEN rk.value >= 0.25 THEN 'Trung bình'
			WHEN rk.value IS NOT NULL THEN 'Thấp' END AS band,
	   (SELECT gs.grade FROM dti.framework_grade gs
		WHERE gs.framework_id = rk.framework_id AND rk.value >= gs.min_value
		ORDER BY gs.min_value DESC LIMIT 1) AS grade
FROM dti.result_rank rk
JOIN dti.unit u ON u.id = rk.unit_id
LEFT JOIN dti.unit g ON g.id = u.parent_id
JOIN dti.framework f ON f.id = rk.framework_id
LEFT JOIN dti.result_rank prev ON prev.period = dti.previous_period(rk.period)
	AND prev.unit_id = rk.unit_id AND prev.code = 'DTI'
WHERE rk.code = 'DTI';

CREATE OR REPLACE PROCEDURE dti.refresh(period text DEFAULT NULL, framework_id integer DEFAULT NULL)
LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
DECLARE
	run bigint;
	max_queued bigint;
	w record;
	todo_periods text[] := '{}';
	v_whole text[] := '{}';
	pending text[];
	n_cards bigint := 0;
	n_ranks bigint := 0;
	msg text;
	state text;
BEGIN
	-- One refresh at a time: a second call leaves at once with a notice.
	IF NOT pg_try_advisory_xact_lock(hashtext('dti.refresh')) THEN
		INSERT INTO dti.refresh_log (started_at, ended_at, requested_period, requested_framework, outcome, error)
		VALUES (clock_timestamp(), clock_timestamp(), refresh.period, refresh.framework_id, 'skipped',
				'another refresh is running');
		RAISE NOTICE 'dti.refresh: another refresh is running; this call does nothing'
			USING HINT = 'Its results are published when it commits; see dti.refresh_log.';
		RETURN;
	END IF;
	INSERT INTO dti.refresh_log (started_at, requested_period, requested_framework, outcome)
	VALUES (clock_timestamp(), refresh.period, refresh.framework_id, 'running')
	RETURNING id INTO run;
	-- The queue rows this run handles: those committed now.  A row with a
	-- lower id may still commit later (ids are drawn before commit), so the
	-- run works on and removes exactly these rows, never "every id up to".
	IF to_regclass('pg_temp.dti_refresh_seen') IS NULL THEN
		CREATE TEMP TABLE dti_refresh_seen (id bigint PRIMARY KEY) ON COMMIT DROP;
	END IF;
	TRUNCATE pg_temp.dti_refresh_seen;
	INSERT INTO pg_temp.dti_refresh_seen SELECT q.id FROM dti.refresh_queue q;
	SELECT coalesce(max(q.id), 0) INTO max_queued FROM pg_temp.dti_refresh_seen q;

	BEGIN
		-- The work: (period, framework) pairs with the units to redo (NULL: all).
		IF to_regclass('pg_temp.dti_refresh_work') IS NULL THEN
			CREATE TEMP TABLE dti_refresh_work (
				period text, framework_id integer, unit_ids integer[], whole boolean) ON COMMIT DROP;
		END IF;
		TRUNCATE pg_temp.dti_refresh_work;
		INSERT INTO pg_temp.dti_refresh_work
		WITH requested AS (
			-- explicit period or framework: those periods, whole
			SELECT s.period, NULL::integer AS unit_id, true AS whole
			FROM dti.submitted_periods() s(period)
			WHERE (refresh.period IS NOT NULL OR refresh.framework_id IS NOT NULL)
			  AND (refresh.period IS NULL OR s.period = refresh.period)
			UNION ALL
			-- queued changes; "everything" expands to every period with submissions
			SELECT q.period, q.unit_id, q.whole FROM dti.refresh_queue q
			WHERE refresh.period IS NULL AND refresh.framework_id IS NULL AND q.id <= max_queued AND q.period IS NOT NULL
			  AND EXISTS (SELECT 1 FROM pg_temp.dti_refresh_seen x WHERE x.id = q.id)
			UNION ALL
			SELECT s.period, NULL::integer, true FROM dti.submitted_periods() s(period)
			WHERE refresh.period IS NULL AND refresh.framework_id IS NULL
			  AND EXISTS (SELECT 1 FROM dti.refresh_queue q WHERE q.id <= max_queued AND q.period IS NULL
						  AND EXISTS (SELECT 1 FROM pg_temp.dti_refresh_seen x WHERE x.id = q.id))
		), per_unit AS (
			SELECT r.period, p.year, u.level, r.unit_id, r.whole
			FROM requested r
			JOIN dti.period p ON p.label = r.period
			LEFT JOIN dti.unit u ON u.id = r.unit_id
		), with_fw AS (
			-- a whole period covers every level assessed in it
			SELECT pu.period, fu.framework_id, pu.unit_id, pu.whole
			FROM per_unit pu
			JOIN dti.framework_in_use fu ON fu.year = pu.year
				AND (pu.level = fu.level OR (pu.unit_id IS NULL AND EXISTS (
					SELECT 1 FROM dti.submission s JOIN dti.unit u2 ON u2.id = s.unit_id
					WHERE s.period = pu.period AND u2.level = fu.level)))
			WHERE refresh.framework_id IS NULL OR fu.framework_id = refresh.framework_id
		)
		SELECT wf.period, wf.framework_id,
			   CASE WHEN bool_or(wf.whole) OR dti.framework_is_relative(wf.framework_id) THEN NULL
					ELSE array_agg(DISTINCT wf.unit_id) END,
			   bool_or(wf.whole) OR dti.framework_is_relative(wf.framework_id)
		FROM with_fw wf
		GROUP BY wf.period, wf.framework_id;

		SELECT array_agg(DISTINCT x.period ORDER BY x.period) INTO pending
		FROM pg_temp.dti_refresh_work x JOIN dti.period_lock l ON l.period = x.period;

		FOR w IN
			SELECT x.* FROM pg_temp.dti_refresh_work x
			WHERE NOT EXISTS (SELECT 1 FROM dti.period_lock l WHERE l.period = x.period)
			ORDER BY x.period, x.framework_id
		LOOP
			n_cards := n_cards + dti.compute_scorecards(w.period, w.framework_id, w.unit_ids, run);
			n_ranks := n_ranks + dti.compute_ranks(w.period, w.framework_id, w.unit_ids);
			todo_periods := todo_periods || w.period;
			IF w.whole THEN
				v_whole := v_whole || w.period;
			END IF;
		END LOOP;

		-- Publish statistics with the results, so that the dashboards' first
		-- queries after a large refresh are planned well (only the tables'
		-- owner may analyse them; others leave it to autovacuum).
		IF n_cards + n_ranks > 10000 AND pg_has_role(
				(SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = 'dti.result_rank'::regclass), 'USAGE') THEN
			ANALYZE dti.result_scorecard, dti.result_rank;
		END IF;

		-- done with the queue, except what waits for a locked period
		DELETE FROM dti.refresh_queue q
		WHERE q.id <= max_queued
		  AND EXISTS (SELECT 1 FROM pg_temp.dti_refresh_seen x WHERE x.id = q.id)
		  AND (refresh.period IS NULL AND refresh.framework_id IS NULL)
		  AND NOT EXISTS (SELECT 1 FROM dti.period_lock l WHERE l.period = q.period);
		IF refresh.period IS NOT NULL THEN
			DELETE FROM dti.refresh_queue q WHERE q.period = refresh.period
				AND EXISTS (SELECT 1 FROM pg_temp.dti_refresh_seen x WHERE x.id = q.id);
		END IF;
		DROP TABLE pg_temp.dti_refresh_work;
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, state = RETURNED_SQLSTATE;
		UPDATE dti.refresh_log SET ended_at = clock_timestamp(), outcome = 'failed', error = msg, sqlstate = state
		WHERE id = run;
		RAISE WARNING 'dti.refresh failed: %', msg
			USING DETAIL = 'The previous results are still published; the queued changes stay queued.',
				  HINT = format('See dti.refresh_log (run %s).', run);
		RETURN;
	END;

	UPDATE dti.refresh_log
	SET ended_at = clock_timestamp(), outcome = 'ok',
		periods = ARRAY(SELECT DISTINCT unnest(todo_periods) ORDER BY 1),
		whole_periods = ARRAY(SELECT DISTINCT unnest(v_whole) ORDER BY 1),
		pending_periods = pending, scorecards = n_cards, ranks = n_ranks
	WHERE id = run;
END $$;

-- dti_admin runs dti.refresh(): the rights it needs on the results, the log
-- and the queue.
GRANT INSERT, UPDATE, DELETE ON dti.result_scorecard, dti.result_rank TO dti_admin;
GRANT INSERT, UPDATE ON dti.refresh_log TO dti_admin;
GRANT DELETE ON dti.refresh_queue TO dti_admin;
GRANT USAGE ON SEQUENCE dti.refresh_log_id_seq TO dti_admin;
GRANT EXECUTE ON FUNCTION dti.compute_scorecards(text, integer, integer[], bigint),
	dti.compute_ranks(text, integer, integer[]) TO dti_admin;

-- A NUL byte or bytes that are not UTF-8 in a file, marked with U+FFFD by a
-- pre-filter (tools/dti-clean-text), are rejected as invalid_text; messages
-- quote long fields by their first characters (dti.clip).
-- Messages quote what was submitted; a field of megabytes is quoted by its
-- first characters and its length.
CREATE FUNCTION dti.clip(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE WHEN length(value) <= 80 THEN value
				ELSE left(value, 60) || format('... (%s characters)', length(value)) END;
END;
COMMENT ON FUNCTION dti.clip(text) IS
	'The text itself when it has at most 80 characters, else its first 60 characters and its length: how messages quote submitted values';
ALTER TABLE dti.reject DROP CONSTRAINT reject_reason_code_check;
ALTER TABLE dti.reject ADD CONSTRAINT reject_reason_code_check CHECK (reason_code IN ('unknown_unit', 'unknown_period', 'unit_not_valid',
		'unknown_indicator', 'unparseable_value', 'out_of_range', 'duplicate', 'not_granted', 'bad_status',
		'invalid_text'));
COMMENT ON COLUMN dti.reject.reason_code IS
	'unknown_unit, unknown_period, unit_not_valid (not valid in that period), unknown_indicator (not in that year''s framework), unparseable_value (for the indicator''s rule), out_of_range, duplicate (same unit, period and indicator more than once in the load), not_granted (unit not granted to the loading role), bad_status, invalid_text (a field holds U+FFFD, the mark of a NUL byte or of bytes that were not UTF-8 in the file)';

CREATE OR REPLACE FUNCTION dti.validation_query(input_sql text, check_grants boolean, check_duplicates boolean) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT format($q$
WITH input AS (%s),
known_code AS (SELECT DISTINCT code FROM dti.unit),
fw AS (SELECT level, year, framework_id, code AS framework_code FROM dti.framework_in_use),
resolved AS (
	SELECT i.k, i.unit_code, i.period, i.indicator, i.raw_value,
		   kc.code IS NOT NULL AS code_known, p.label AS p_label, p.year AS p_year,
		   u.id AS u_id, u.code AS u_code, u.level AS u_level,
		   fw.framework_id, fw.framework_code,
		   fi.code AS fi_code, fi.rule, fi.value_min, fi.value_max,
		   coalesce(scoring_rule_kind(fi.rule), 'number') AS rule_kind,
		   dti.parse_number(i.raw_value) AS num
	FROM input i
	LEFT JOIN known_code kc ON kc.code = btrim(i.unit_code)
	LEFT JOIN dti.period p ON p.label = btrim(i.period)
	LEFT JOIN dti.unit u ON u.code = btrim(i.unit_code) AND p.ends BETWEEN u.valid_from AND u.valid_to
		AND (i.unit_id IS NULL OR u.id = i.unit_id)
	LEFT JOIN fw ON fw.level = u.level AND fw.year = p.year
	LEFT JOIN dti.framework_indicator fi ON fi.framework_id = fw.framework_id
		AND fi.code::text = btrim(i.indicator)
),
grades AS MATERIALIZED (
	SELECT g.framework_id, g.fi_code, g.v, dti.grade_problem(x.rule, g.v) AS problem
	FROM (SELECT DISTINCT framework_id, fi_code, btrim(raw_value) AS v
		  FROM resolved WHERE rule_kind = 'grade' AND raw_value IS NOT NULL) g
	JOIN dti.framework_indicator x ON x.framework_id = g.framework_id AND x.code = g.fi_code
),
mine AS MATERIALIZED (
	SELECT %L::boolean = false OR dti.may_write_all() AS all_units, dti.my_unit_codes() AS codes
),
checked AS (
	SELECT r.*,
		CASE
		WHEN strpos(concat(r.unit_code, r.period, r.indicator, r.raw_value), U&'\FFFD') > 0 THEN 'invalid_text'
		WHEN NOT r.code_known THEN 'unknown_unit'
		WHEN r.p_label IS NULL THEN 'unknown_period'
		WHEN r.u_id IS NULL THEN 'unit_not_valid'
		WHEN r.fi_code IS NULL THEN 'unknown_indicator'
		WHEN r.raw_value IS NULL OR btrim(r.raw_value) = '' THEN 'unparseable_value'
		WHEN r.rule_kind = 'grade' AND g.problem IS NOT NULL THEN 'unparseable_value'
		WHEN r.rule_kind <> 'grade' AND r.num IS NULL THEN 'unparseable_value'
		WHEN r.rule_kind <> 'grade' AND (r.num < r.value_min OR r.num > r.value_max) THEN 'out_of_range'
		WHEN NOT (m.all_units OR r.u_code = ANY (m.codes)) THEN 'not_granted'
		END AS reason_code,
		g.problem AS grade_problem
	FROM resolved r
	CROSS JOIN mine m
	LEFT JOIN grades g ON r.rule_kind = 'grade' AND g.framework_id = r.framework_id
		AND g.fi_code = r.fi_code AND g.v = btrim(r.raw_value)
),
counted AS (
	SELECT c.*,
		%s AS copies
	FROM checked c
)
SELECT c.k, c.u_id AS unit_id, c.u_code AS unit_code, c.p_label AS period, c.fi_code AS indicator, c.raw_value,
	coalesce(c.reason_code, CASE WHEN c.copies > 1 THEN 'duplicate' END) AS reason_code,
	CASE coalesce(c.reason_code, CASE WHEN c.copies > 1 THEN 'duplicate' END)
	WHEN 'invalid_text' THEN format('the row holds U+FFFD, the mark of a NUL byte or of bytes that are not UTF-8 (unit "%%s", period "%%s", indicator "%%s", value "%%s")',
		dti.clip(c.unit_code), dti.clip(c.period), dti.clip(c.indicator), dti.clip(c.raw_value))
	WHEN 'unknown_unit' THEN format('unknown unit code "%%s"', dti.clip(c.unit_code))
	WHEN 'unknown_period' THEN format('unknown period "%%s"', dti.clip(c.period))
	WHEN 'unit_not_valid' THEN format('unit %%s is not valid in period %%s', btrim(c.unit_code), c.p_label)
	WHEN 'unknown_indicator' THEN
		CASE WHEN c.framework_id IS NULL
			 THEN format('no framework assesses level %%s in %%s', c.u_level, c.p_year)
			 ELSE format('indicator "%%s" is not in framework %%s used for %%s in %%s',
						 dti.clip(c.indicator), c.framework_code, c.u_level, c.p_year) END
	WHEN 'unparseable_value' THEN
		CASE WHEN c.rule_kind = 'grade'
			 THEN format('value "%%s" is not a grade of rule %%s: %%s', dti.clip(c.raw_value), c.rule, c.grade_problem)
			 ELSE format('value "%%s" is not a number (rule %%s); write it with a decimal point', dti.clip(c.raw_value),
						 coalesce(c.rule::text, 'none')) END
	WHEN 'out_of_range' THEN format('value %%s is outside the allowed range [%%s, %%s] of indicator %%s',
		c.num, coalesce(c.value_min::text, '-infinity'), coalesce(c.value_max::text, 'infinity'), c.fi_code)
	WHEN 'not_granted' THEN format('unit %%s is not granted to role %%s', c.u_code, current_user)
	WHEN 'duplicate' THEN format('unit %%s, period %%s, indicator %%s appears %%s times in this load',
		c.u_code, c.p_label, c.fi_code, c.copies)
	END AS reason
FROM counted c
$q$, input_sql, check_grants,
	CASE WHEN check_duplicates
		 THEN 'CASE WHEN c.reason_code IS NULL THEN count(*) FILTER (WHERE c.reason_code IS NULL) OVER (PARTITION BY c.u_id, c.p_label, c.fi_code) END'
		 ELSE 'NULL::bigint' END);
END;
CREATE OR REPLACE FUNCTION dti.submission_validate() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	bad record;
	n_all bigint;
	no_reason record;
BEGIN
	-- Several rows of one unit, period and indicator in one statement are
	-- revisions in order (a restore replays them so); each later one needs a
	-- reason, checked below.  Loads refuse such duplicates before inserting.
	EXECUTE format('SELECT v.* FROM (%s) v WHERE v.reason_code IS NOT NULL AND v.reason_code <> %L ORDER BY v.k LIMIT 1',
		dti.validation_query(
			'SELECT s.id AS k, s.unit_code, s.unit_id, s.period, s.indicator::text AS indicator, s.raw_value FROM new_rows s',
			false, false), 'duplicate')
	INTO bad;
	IF bad.k IS NOT NULL THEN
		SELECT count(*) INTO n_all FROM new_rows;
		RAISE EXCEPTION 'invalid submission: %', bad.reason
			USING ERRCODE = CASE bad.reason_code
					WHEN 'unknown_unit' THEN 'foreign_key_violation'
					WHEN 'unknown_period' THEN 'foreign_key_violation'
					WHEN 'unknown_indicator' THEN 'foreign_key_violation'
					WHEN 'unit_not_valid' THEN 'check_violation'
					WHEN 'unparseable_value' THEN 'invalid_text_representation'
					WHEN 'out_of_range' THEN 'numeric_value_out_of_range'
					WHEN 'invalid_text' THEN 'character_not_in_repertoire'
					ELSE 'check_violation' END,
				DETAIL = format('Reason %s; at least one of the %s inserted rows is invalid (submission id %s); nothing was inserted.',
					bad.reason_code, n_all, bad.k),
				HINT = CASE bad.reason_code
					WHEN 'unknown_unit' THEN 'Use an official unit code; dti.unit_code(name) finds it by name.'
					WHEN 'unknown_period' THEN 'Write the period as 2024, 2024-Q1 or 2024-03.'
					WHEN 'unit_not_valid' THEN 'Use the unit codes valid in that period (provinces changed on 2025-07-01).'
					WHEN 'unknown_indicator' THEN 'Use a code of the framework in dti.framework_in_use for that level and year.'
					WHEN 'unparseable_value' THEN 'Grade rules take one of their grades as text; other rules take a number with a decimal point.'
					WHEN 'out_of_range' THEN 'Check the value against value_min and value_max of the indicator in dti.framework_indicator.'
					WHEN 'invalid_text' THEN 'Fix the text at its source: U+FFFD marks a NUL byte or bytes that were not UTF-8.'
					ELSE 'Fix the row and insert it again.' END;
	END IF;
	-- A revision that replaces an earlier one says why.
	SELECT n.id, n.unit_code, n.period, n.indicator::text AS indicator INTO no_reason
	FROM new_rows n
	WHERE nullif(btrim(n.reason), '') IS NULL
	  AND EXISTS (SELECT 1 FROM dti.submission s
				  WHERE s.unit_id = n.unit_id AND s.period = n.period AND s.indicator = n.indicator AND s.id < n.id)
	LIMIT 1;
	IF no_reason.id IS NOT NULL THEN
		RAISE EXCEPTION 'a revision of unit %, period %, indicator % needs a reason',
				no_reason.unit_code, no_reason.period, no_reason.indicator
			USING ERRCODE = 'not_null_violation',
				DETAIL = 'The unit already has a value for this indicator and period; the new row would replace it.',
				HINT = 'Say why in the reason column.';
	END IF;
	RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION dti.load_staging(note text DEFAULT NULL)
RETURNS TABLE (load_id bigint, staged bigint, accepted bigint, rejected bigint, reasons jsonb)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	lid bigint;
	last_line bigint;
	n_staged bigint;
	n_ok bigint;
	n_bad bigint;
	by_reason jsonb;
BEGIN
	SELECT max(s.line), count(*) INTO last_line, n_staged FROM dti.staging s WHERE s.staged_by = current_user;
	INSERT INTO dti.load (note) VALUES (load_staging.note) RETURNING id INTO lid;
	IF n_staged = 0 THEN
		UPDATE dti.load l SET staged = 0, accepted = 0, rejected = 0, reasons = '{}' WHERE l.id = lid;
		RETURN QUERY SELECT lid, 0::bigint, 0::bigint, 0::bigint, '{}'::jsonb;
		RETURN;
	END IF;

	EXECUTE format('CREATE TEMP TABLE dti_load_checked ON COMMIT DROP AS '
		'SELECT v.*, s.year, s.indicator_code, s.source, s.note, s.status, s.unit_code AS staged_unit_code, '
		'strpos(concat(s.source, s.note), U&''\FFFD'') > 0 AS bad_text '
		'FROM (%s) v JOIN dti.staging s ON s.staged_by = current_user AND s.line = v.k',
		dti.validation_query(format(
			'SELECT s.line AS k, s.unit_code, NULL::integer AS unit_id, s.year AS period, s.indicator_code AS indicator, s.raw_value '
			'FROM dti.staging s WHERE s.staged_by = current_user AND s.line <= %L::bigint', last_line),
			true, true));

	INSERT INTO dti.reject (load_id, line, unit_code, year, indicator_code, raw_value, source, note, reason_code, reason)
	SELECT lid, c.k, c.staged_unit_code, c.year, c.indicator_code, c.raw_value, c.source, c.note,
		   CASE WHEN c.reason_code IS NOT NULL THEN c.reason_code WHEN c.bad_text THEN 'invalid_text' ELSE 'bad_status' END,
		   CASE WHEN c.reason_code IS NOT NULL THEN c.reason
				WHEN c.bad_text THEN format('the source or note holds U+FFFD, the mark of a NUL byte or of bytes that are not UTF-8 (source "%s", note "%s")',
											dti.clip(c.source), dti.clip(c.note))
				ELSE format('status "%s" is not draft or submitted', dti.clip(c.status)) END
	FROM pg_temp.dti_load_checked c
	WHERE c.reason_code IS NOT NULL OR c.bad_text OR c.status NOT IN ('draft', 'submitted');
	GET DIAGNOSTICS n_bad = ROW_COUNT;

	INSERT INTO dti.submission (unit_code, unit_id, period, indicator, raw_value, status, source, note, reason, load_id)
	SELECT c.unit_code, c.unit_id, c.period, c.indicator, btrim(c.raw_value), c.status, c.source, c.note,
		   coalesce(load_staging.note, format('load %s', lid)), lid
	FROM pg_temp.dti_load_checked c
	WHERE c.reason_code IS NULL AND NOT c.bad_text AND c.status IN ('draft', 'submitted')
	ORDER BY c.k;
	GET DIAGNOSTICS n_ok = ROW_COUNT;

	DELETE FROM dti.staging s WHERE s.staged_by = current_user AND s.line <= last_line;

	SELECT coalesce(jsonb_object_agg(r.reason_code, r.n), '{}') INTO by_reason
	FROM (SELECT j.reason_code, count(*) AS n FROM dti.reject j WHERE j.load_id = lid GROUP BY j.reason_code) r;
	UPDATE dti.load l SET staged = n_staged, accepted = n_ok, rejected = n_bad, reasons = by_reason WHERE l.id = lid;
	DROP TABLE pg_temp.dti_load_checked;
	RETURN QUERY SELECT lid, n_staged, n_ok, n_bad, by_reason;
END $$;

-- Security review: a loader writes rejects only into its own loads; pg_cron
-- is called only through the schema of the pg_cron extension (not any schema
-- named cron); dti.build_score_wide() is for superusers and keeps the view a
-- member of the extension when it rebuilds it.
ALTER POLICY reject_write ON dti.reject
	WITH CHECK (rejected_by = CURRENT_USER
				AND EXISTS (SELECT 1 FROM dti.load l WHERE l.id = load_id AND l.loaded_by = CURRENT_USER));
CREATE OR REPLACE FUNCTION dti.schedule_refresh(schedule text DEFAULT '0 2 * * *') RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
DECLARE
	job bigint;
BEGIN
	-- the schema cron of the extension pg_cron, not any schema of that name
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
				   WHERE d.classid = 'pg_catalog.pg_namespace'::regclass AND d.objid = to_regnamespace('cron')
					 AND d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = 'feature_not_supported',
				DETAIL = 'dti.schedule_refresh() schedules through pg_cron, which works in the database named by cron.database_name.',
				HINT = 'Set shared_preload_libraries = ''pg_cron'', cron.database_name to this database and cron.use_background_workers = on, restart, then CREATE EXTENSION pg_cron.';
	END IF;
	EXECUTE format('SELECT %I.schedule($1, $2, $3)', 'cron') INTO job
		USING 'dti-refresh', schedule, 'CALL dti.refresh()';
	RETURN job;
END $$;
CREATE OR REPLACE FUNCTION dti.unschedule_refresh() RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
DECLARE
	done boolean;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
				   WHERE d.classid = 'pg_catalog.pg_namespace'::regclass AND d.objid = to_regnamespace('cron')
					 AND d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e' AND e.extname = 'pg_cron') THEN
		RETURN false;
	END IF;
	EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.job WHERE jobname = $1)', 'cron') INTO done USING 'dti-refresh';
	IF done THEN
		EXECUTE format('SELECT %I.unschedule($1)', 'cron') INTO done USING 'dti-refresh';
	END IF;
	RETURN done;
END $$;
CREATE OR REPLACE FUNCTION dti.build_score_wide(framework_code text DEFAULT '922-province') RETURNS text
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	fw_ids integer[];
	member boolean;
	cols text := '';
	r record;
	sql text;
BEGIN
	SELECT array_agg(f.id) INTO fw_ids FROM dti.framework f WHERE f.code = build_score_wide.framework_code;
	IF fw_ids IS NULL THEN
		RAISE EXCEPTION 'no framework with code %', framework_code
			USING ERRCODE = 'no_data_found', HINT = 'Look the code up in dti.framework.';
	END IF;
	FOR r IN
		SELECT DISTINCT i.code::text AS code FROM dti.framework_indicator i
		WHERE i.framework_id = ANY (fw_ids) AND nlevel(i.code) = 1
		  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator p
						  WHERE p.framework_id = i.framework_id AND p.code = parent(i.code))
		ORDER BY 1
	LOOP
		cols := cols || format(E',\n\tmax(round(n.value::numeric, 4)) FILTER (WHERE n.code = %L) AS %I',
							   r.code, lower(r.code));
	END LOOP;
	sql := format($v$CREATE VIEW dti.score_wide AS
SELECT u.code AS unit_code, u.name_vi AS unit, g.name_vi AS region, r.period, f.code AS framework,
	round(r.root_value::numeric, 4) AS dti, min(rk.rank) AS rank%s
FROM dti.result_scorecard r
JOIN dti.framework f ON f.id = r.framework_id AND f.code = %L
JOIN dti.unit u ON u.id = r.unit_id
LEFT JOIN dti.unit g ON g.id = u.parent_id
LEFT JOIN dti.result_rank rk ON rk.period = r.period AND rk.unit_id = r.unit_id AND rk.code = 'DTI'
CROSS JOIN LATERAL scorecard_nodes(r.scorecard) n
GROUP BY u.code, u.name_vi, g.name_vi, r.period, f.code, r.root_value$v$, cols, framework_code);
	-- the view shipped by the extension stays a member of it when rebuilt
	member := EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
					  WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = to_regclass('dti.score_wide')
						AND d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
						AND e.extname = 'dti_warehouse');
	IF member THEN
		EXECUTE 'ALTER EXTENSION dti_warehouse DROP VIEW dti.score_wide';
	END IF;
	EXECUTE 'DROP VIEW IF EXISTS dti.score_wide';
	EXECUTE sql;
	EXECUTE format('COMMENT ON VIEW dti.score_wide IS %L',
				   format('One row per unit and period of framework %s: the index (dti) and each main indicator as a column named after its code, values rounded to 4 decimals', framework_code));
	EXECUTE 'GRANT SELECT ON dti.score_wide TO dti_reader, dti_admin';
	IF member THEN
		EXECUTE 'ALTER EXTENSION dti_warehouse ADD VIEW dti.score_wide';
	END IF;
	RETURN sql;
END $$;
COMMENT ON FUNCTION dti.build_score_wide(text) IS
	'Builds (or rebuilds) the view dti.score_wide for a framework code: one column per main indicator; returns the view definition (superusers only: the view belongs to the extension)';
REVOKE EXECUTE ON FUNCTION dti.build_score_wide(text) FROM PUBLIC;

-- Submissions stored under 0.1.0 were never queued (the queue came with
-- 0.2.0): a warehouse that was never refreshed queues everything, so that
-- its first CALL dti.refresh() computes them.
INSERT INTO dti.refresh_queue (period, whole, reason)
SELECT NULL, true, 'update to dti_warehouse 0.3.0'
WHERE EXISTS (SELECT 1 FROM dti.submission)
  AND NOT EXISTS (SELECT 1 FROM dti.refresh_log l WHERE l.outcome = 'ok');
