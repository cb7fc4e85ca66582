-- dti_warehouse 0.7.0 -> 0.8.0
\echo Use "ALTER EXTENSION dti_warehouse UPDATE TO '0.8.0'" to load this file. \quit

-- Part issue-rv: dti.publish() drops the stored min-max ranges of the
-- period and level it recomputes (dti.result_leaf_range): they were those
-- of the last refresh, and the changes the publication took in may have
-- moved them, so that the next revision of the period was re-scored alone
-- against ranges that were no longer the values'.  The next revision now
-- recomputes the period whole, which stores the ranges anew.
CREATE OR REPLACE FUNCTION dti.publish(period text, level text DEFAULT 'province', note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
-- runs as the owner: admins read the record of announcements but cannot
-- write it except through this function (the core's operators are not on
-- the pinned path: codes are compared as text)
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	fw integer;
	pub bigint;
	run bigint;
	n_units integer;
	who name := session_user;
BEGIN
	IF publish.period IS NULL OR NOT EXISTS (SELECT 1 FROM dti.period p WHERE p.label = publish.period) THEN
		RAISE EXCEPTION 'unknown period "%"', publish.period
			USING ERRCODE = 'no_data_found', HINT = 'Periods are the labels of dti.period (2024, 2024-Q1, 2024-03).';
	END IF;
	IF publish.level IS NULL OR publish.level NOT IN ('nation', 'province', 'ministry', 'commune') THEN
		RAISE EXCEPTION 'invalid level "%"', publish.level
			USING ERRCODE = 'invalid_parameter_value', HINT = 'A level is nation, province, ministry or commune.';
	END IF;
	SELECT fu.framework_id INTO fw FROM dti.framework_in_use fu JOIN dti.period p ON p.year = fu.year
	WHERE p.label = publish.period AND fu.level = publish.level;
	IF fw IS NULL THEN
		RAISE EXCEPTION 'no framework assesses level % in %', publish.level, publish.period
			USING ERRCODE = 'no_data_found', HINT = 'See dti.framework_in_use; dti.use_framework() assigns one.';
	END IF;
	-- One at a time with the refresh, and no status change while the values
	-- are read: what is announced is exactly what they give.
	PERFORM pg_advisory_xact_lock(hashtext('dti.refresh'));
	LOCK TABLE dti.current_value IN SHARE MODE;
	INSERT INTO dti.refresh_log (started_at, requested_period, requested_framework, outcome, run_by)
	VALUES (clock_timestamp(), publish.period, fw, 'running', who)
	RETURNING id INTO run;
	PERFORM dti.compute_scorecards(publish.period, fw, NULL, run);
	PERFORM dti.compute_ranks(publish.period, fw, NULL);
	-- The ranges of min-max and best leaves stored by the last refresh
	-- (dti.result_leaf_range) are those of the values it scored; this
	-- recompute took in the changes queued since, which may have moved
	-- them.  They are dropped: the next revision of the period recomputes
	-- it whole and stores them anew, rather than re-scoring one unit
	-- against ranges that are no longer the values'.
	DELETE FROM dti.result_leaf_range g
	WHERE g.period = publish.period
	  AND g.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = publish.level);
	SELECT count(*) INTO n_units FROM dti.result_scorecard r WHERE r.period = publish.period AND r.framework_id = fw;
	IF n_units = 0 THEN
		RAISE EXCEPTION 'nothing to publish: no verified value of level % in %', publish.level, publish.period
			USING ERRCODE = 'no_data_found',
				HINT = 'Load and verify the period''s values first; dti.data_quality shows what it has.';
	END IF;
	DELETE FROM dti.refresh_queue q WHERE q.id IN (SELECT dti.publication_queue(publish.period, publish.level));

	INSERT INTO dti.publication (period, level, framework_id, note, units, inputs, published_by)
	SELECT publish.period, publish.level, fw, coalesce(publish.note, 'published'), n_units, count(*), who
	FROM dti.current_value c
	JOIN dti.unit u ON u.id = c.unit_id AND u.level = publish.level
	WHERE c.period = publish.period
	  AND EXISTS (SELECT 1 FROM dti.framework_indicator i WHERE i.framework_id = fw AND i.code::text = c.indicator::text)
	RETURNING id INTO pub;
	INSERT INTO dti.publication_scorecard (publication_id, unit_id, scorecard, root_value)
	SELECT pub, r.unit_id, r.scorecard, r.root_value FROM dti.result_scorecard r
	WHERE r.period = publish.period AND r.framework_id = fw;
	INSERT INTO dti.publication_rank (publication_id, unit_id, code, level, value, rank, group_rank)
	SELECT pub, r.unit_id, r.code, r.level, r.value, r.rank, r.group_rank FROM dti.result_rank r
	WHERE r.period = publish.period AND r.framework_id = fw;
	INSERT INTO dti.publication_input (publication_id, submission_id)
	SELECT pub, c.submission_id FROM dti.current_value c
	JOIN dti.unit u ON u.id = c.unit_id AND u.level = publish.level
	WHERE c.period = publish.period
	  AND EXISTS (SELECT 1 FROM dti.framework_indicator i WHERE i.framework_id = fw AND i.code::text = c.indicator::text);

	PERFORM dti.freeze_framework(fw, format('announced for %s (publication %s)', publish.period, pub));
	DELETE FROM dti.period_lock l WHERE l.period = publish.period;
	INSERT INTO dti.period_lock (period, reason, locked_by)
	VALUES (publish.period, format('announced (publication %s): %s', pub, coalesce(publish.note, 'published')), who);
	UPDATE dti.refresh_log SET ended_at = clock_timestamp(), outcome = 'ok', periods = ARRAY[publish.period],
		whole_periods = ARRAY[publish.period], scorecards = n_units
	WHERE id = run;
	RETURN pub;
END $$;

-- Part issue-rv2: dti.verify_load() and dti.verify_unit() raise
-- no_data_found for a load, unit code or period that does not exist,
-- instead of returning 0 as if nothing were left to verify.
------------------------------------------------------------------------------

CREATE FUNCTION dti.check_status_where(load_id bigint, unit_code text, period text)
RETURNS void
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SET search_path FROM CURRENT AS $$
BEGIN
	IF check_status_where.load_id IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM dti.load l WHERE l.id = check_status_where.load_id) THEN
		RAISE EXCEPTION 'load % does not exist', check_status_where.load_id
			USING ERRCODE = 'no_data_found',
				DETAIL = 'dti.load has no such row that you may read.',
				HINT = 'dti.load lists the loads; its id is the one dti.load_staging() returned.';
	END IF;
	IF check_status_where.unit_code IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM dti.unit u WHERE u.code = btrim(check_status_where.unit_code)) THEN
		RAISE EXCEPTION 'unknown unit code "%"', check_status_where.unit_code
			USING ERRCODE = 'no_data_found',
				DETAIL = 'No unit in dti.unit has this code.',
				HINT = 'Use an official code (GSO 2-digit code for provinces); dti.unit_code(name, date) finds it by name on a date of the period.';
	END IF;
	IF check_status_where.period IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM dti.period p WHERE p.label = btrim(check_status_where.period)) THEN
		RAISE EXCEPTION 'unknown period "%"', check_status_where.period
			USING ERRCODE = 'no_data_found',
				DETAIL = 'dti.period has no such label.',
				HINT = 'Write the period as 2024, 2024-Q1 or 2024-03, as in dti.period.';
	END IF;
END $$;
COMMENT ON FUNCTION dti.check_status_where(bigint, text, text) IS
	'Internal to dti.verify_load and dti.verify_unit: raises no_data_found for a load, unit code or period that does not exist';

-- Verification in bulk: one status event per revision, in one statement.
-- It acts on the revisions that match and are the newest of their unit,
-- period and indicator, and whose status (the newest event, else the initial
-- status) waits for the verifier.  When the revisions that match are most of
-- those since the oldest of them (a recent load), the revisions since then
-- and the statuses of the range of ids of the matches are read once each,
-- with hash joins only (the statistics of a table that just grew may count a
-- few rows where there are thousands, and a nested loop over them would read
-- one side once per row of the other).  Otherwise (a unit and period, an old
-- load: revisions spread over the history) with an index probe per revision
-- that matches.
CREATE OR REPLACE FUNCTION dti.set_status_where(load_id bigint, unit_code text, period text, status text, reason text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	n bigint;
	lo bigint;
	hi bigint;
	n_match bigint;
	nestloop text;
BEGIN
	IF set_status_where.status NOT IN ('verified', 'rejected') THEN
		RAISE EXCEPTION 'status "%" is not verified or rejected', set_status_where.status
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF set_status_where.status = 'rejected' AND nullif(btrim(set_status_where.reason), '') IS NULL THEN
		RAISE EXCEPTION 'a rejection needs a reason'
			USING ERRCODE = 'check_violation', HINT = 'Give it as the last argument.';
	END IF;
	SELECT min(s.id), max(s.id), count(*) INTO lo, hi, n_match
	FROM dti.submission s
	WHERE (set_status_where.load_id IS NULL OR s.load_id = set_status_where.load_id)
	  AND (set_status_where.unit_code IS NULL OR s.unit_code = btrim(set_status_where.unit_code))
	  AND (set_status_where.period IS NULL OR s.period = btrim(set_status_where.period));
	IF lo IS NULL THEN
		PERFORM dti.check_status_where(set_status_where.load_id, set_status_where.unit_code, set_status_where.period);
		RETURN 0;
	END IF;
	IF (SELECT max(x.id) FROM dti.submission x) - lo < 8 * n_match THEN
		nestloop := current_setting('enable_nestloop');
		PERFORM set_config('enable_nestloop', 'off', true);
		EXECUTE format($q$
			INSERT INTO dti.submission_status (submission_id, status, reason)
			SELECT s.id, $4, $5
			FROM dti.submission s
			LEFT JOIN (SELECT DISTINCT ON (t.submission_id) t.submission_id, t.status
					   FROM dti.submission_status t
					   WHERE t.submission_id BETWEEN %1$s AND %2$s
					   ORDER BY t.submission_id, t.id DESC) st ON st.submission_id = s.id
			WHERE s.id BETWEEN %1$s AND %2$s
			  AND ($1 IS NULL OR s.load_id = $1)
			  AND ($2 IS NULL OR s.unit_code = btrim($2))
			  AND ($3 IS NULL OR s.period = btrim($3))
			  AND (coalesce(st.status, s.status) = 'submitted' OR ($4 = 'rejected' AND st.status = 'verified'))
			  AND NOT EXISTS (SELECT 1 FROM dti.submission x
							  WHERE x.id > %1$s AND x.unit_id = s.unit_id AND x.period = s.period
								AND x.indicator = s.indicator AND x.id > s.id)
			ORDER BY s.id$q$, lo, hi)
		USING set_status_where.load_id, set_status_where.unit_code, set_status_where.period,
			  set_status_where.status, set_status_where.reason;
		GET DIAGNOSTICS n = ROW_COUNT;
		PERFORM set_config('enable_nestloop', nestloop, true);
		RETURN n;
	ELSE
		INSERT INTO dti.submission_status (submission_id, status, reason)
		SELECT s.id, set_status_where.status, set_status_where.reason
		FROM dti.submission s
		LEFT JOIN (SELECT DISTINCT ON (t.submission_id) t.submission_id, t.status
				   FROM dti.submission_status t
				   WHERE t.submission_id IN (SELECT x.id FROM dti.submission x
											 WHERE (set_status_where.load_id IS NULL OR x.load_id = set_status_where.load_id)
											   AND (set_status_where.unit_code IS NULL OR x.unit_code = btrim(set_status_where.unit_code))
											   AND (set_status_where.period IS NULL OR x.period = btrim(set_status_where.period)))
				   ORDER BY t.submission_id, t.id DESC) st ON st.submission_id = s.id
		WHERE (set_status_where.load_id IS NULL OR s.load_id = set_status_where.load_id)
		  AND (set_status_where.unit_code IS NULL OR s.unit_code = btrim(set_status_where.unit_code))
		  AND (set_status_where.period IS NULL OR s.period = btrim(set_status_where.period))
		  AND (coalesce(st.status, s.status) = 'submitted'
			   OR (set_status_where.status = 'rejected' AND st.status = 'verified'))
		  AND NOT EXISTS (SELECT 1 FROM dti.submission n
						  WHERE n.unit_id = s.unit_id AND n.period = s.period AND n.indicator = s.indicator AND n.id > s.id)
		ORDER BY s.id;
	END IF;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;
COMMENT ON FUNCTION dti.set_status_where(bigint, text, text, text, text) IS
	'Internal: the status change of dti.verify_load and dti.verify_unit for the current revisions that match (NULL matches all)';
ALTER FUNCTION dti.set_status_where(bigint, text, text, text, text) SET jit = off;
REVOKE EXECUTE ON FUNCTION dti.check_status_where(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.check_status_where(bigint, text, text) TO dti_verifier;

------------------------------------------------------------------------------
-- Part issue-22w: the full refresh in fewer writes.  A period recomputed
-- whole collects each unit's values into a leaf vector in one scan and
-- scores it by the rules the framework carries (dti 0.10.0's leaf_vector()
-- and composite()); dti.result_rank keeps one index besides the small one of
-- the index's ranks, its primary key keyed node first (period, code,
-- unit), and a whole period's rank rows are written in that order.
------------------------------------------------------------------------------

-- The oldest dti this warehouse works with: 0.10.0, for leaf_vector() and
-- composite() over vectors.
DO $requires$
DECLARE
	need constant text := '0.10.0';
	have text := (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'dti');
BEGIN
	IF have IS NULL OR pg_catalog.string_to_array(have, '.')::integer[] < pg_catalog.string_to_array(need, '.')::integer[] THEN
		RAISE EXCEPTION 'dti_warehouse needs dti % or newer, but dti % is installed', need, coalesce(have, '(none)')
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = format('Update dti first: ALTER EXTENSION dti UPDATE (to %s or newer).', need);
	END IF;
END
$requires$;

-- dti.result_rank: the primary key node first, the index by node dropped
-- (the primary key serves its lookups).  Rebuilding them takes the table's
-- exclusive lock for the time of the update.
ALTER TABLE dti.result_rank DROP CONSTRAINT result_rank_pkey,
	ADD CONSTRAINT result_rank_pkey PRIMARY KEY (period, code, unit_id);
DROP INDEX dti.result_rank_code_idx;

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
			  CROSS JOIN LATERAL scorecard_nodes(r.scorecard, 2) x
			  WHERE r.period = compute_ranks.period AND r.framework_id = compute_ranks.framework_id
				AND r.unit_id = ANY (compute_ranks.changed_units)) n
		-- (their rows found by key: the framework's codes under its root
		-- DTI, the units)
		FULL JOIN (SELECT o.unit_id, o.code, o.level, o.value FROM dti.result_rank o
				   WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id
					 AND o.code = ANY ('DTI'::indicator_code
									   || ARRAY(SELECT i.code FROM dti.framework_indicator i
												WHERE i.framework_id = compute_ranks.framework_id))
					 AND o.unit_id = ANY (compute_ranks.changed_units)) o
			ON o.unit_id = n.unit_id AND o.code = n.code
		JOIN dti.unit u ON u.id = coalesce(n.unit_id, o.unit_id)) k;
		ANALYZE pg_temp.dti_rank_change;

		-- every other unit between a changed unit's old and new key moves
		-- one place (NULL keys do not count): the few rows found first (a
		-- range of the primary key per node), then updated by their keys
		CREATE TEMP TABLE dti_rank_shift ON COMMIT DROP AS
		SELECT x.unit_id, x.code, sum(x.step) AS by_rank,
			   coalesce(sum(x.step) FILTER (WHERE x.same_group), 0) AS by_group
		FROM (
			SELECT o.unit_id, o.code,
				   coalesce((c.new_key > round_decimal(o.value, 4))::int, 0)
				   - coalesce((c.old_key > round_decimal(o.value, 4))::int, 0) AS step,
				   c.parent_id IS NOT DISTINCT FROM ou.parent_id AS same_group
			FROM pg_temp.dti_rank_change c
			-- per changed node, its range (OFFSET 0: not merged into a join
			-- over the whole period)
			CROSS JOIN LATERAL (
				SELECT o.unit_id, o.code, o.value FROM dti.result_rank o
				WHERE o.period = compute_ranks.period AND o.code = c.code
				  AND o.framework_id = compute_ranks.framework_id
				  AND o.value > c.lo AND o.value < c.hi
				OFFSET 0) o
			JOIN dti.unit ou ON ou.id = o.unit_id
			WHERE c.old_key IS DISTINCT FROM c.new_key
			  AND NOT (o.unit_id = ANY (compute_ranks.changed_units))
		) x
		WHERE x.step <> 0
		GROUP BY x.unit_id, x.code;
		ANALYZE pg_temp.dti_rank_shift;
		UPDATE dti.result_rank t
		SET rank = t.rank + d.by_rank, group_rank = t.group_rank + d.by_group
		FROM pg_temp.dti_rank_shift d
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
					  -- nobody is passed by a key that did not move (read nothing)
					  AND c.old_key IS DISTINCT FROM c.new_key
				) y
			) x
			WHERE c.kept
		) r
		WHERE t.period = compute_ranks.period AND t.unit_id = r.unit_id AND t.code = r.code
		  AND (t.rank, t.group_rank) IS DISTINCT FROM (r.rank, r.group_rank);
		GET DIAGNOSTICS changed = ROW_COUNT;
		DROP TABLE pg_temp.dti_rank_change;
		DROP TABLE pg_temp.dti_rank_shift;
		RETURN shifted + removed + changed;
	END IF;

	-- a period ranked for the first time: write every row
	-- (read in key order, from the period's first row: not a scan from
	-- the table's start, as the planner would do for EXISTS)
	IF (SELECT 1 FROM dti.result_rank o
		WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id
		ORDER BY o.period, o.code, o.unit_id LIMIT 1) IS NULL THEN
		INSERT INTO dti.result_rank
		SELECT * FROM dti.ranked_nodes(compute_ranks.period, compute_ranks.framework_id) x
		ORDER BY x.code, x.unit_id;
		GET DIAGNOSTICS changed = ROW_COUNT;
		RETURN changed;
	END IF;

	-- re-ranking a whole period: write only what changed.  The new rows
	-- and the published ones of the period meet in one join; only the
	-- differences are kept, then deleted, updated or added.
	-- (the period's scorecards staged by dti.compute_period(): ranked from
	-- there, without reading them back, and compared as they come)
	EXECUTE format($q$
		CREATE TEMP TABLE dti_rank_diff ON COMMIT DROP AS
		SELECT coalesce(x.unit_id, p.unit_id) AS unit_id, coalesce(x.code, p.code) AS code,
			   x.unit_id IS NULL AS gone, x.framework_id, x.level, x.value, x.rank, x.group_rank
		FROM %s($1, $2) x
		FULL JOIN (SELECT * FROM dti.result_rank o WHERE o.period = $1 AND o.framework_id = $2) p
			ON p.unit_id = x.unit_id AND p.code = x.code
		WHERE x.unit_id IS NULL OR p.unit_id IS NULL
		   OR (p.level, p.value, p.rank, p.group_rank) IS DISTINCT FROM (x.level, x.value, x.rank, x.group_rank)$q$,
		CASE WHEN to_regclass('pg_temp.dti_card') IS NOT NULL THEN 'dti.staged_ranks' ELSE 'dti.ranked_nodes' END)
	USING period, framework_id;
	ANALYZE pg_temp.dti_rank_diff;
	DELETE FROM dti.result_rank o
	USING pg_temp.dti_rank_diff d
	WHERE d.gone AND o.period = compute_ranks.period AND o.unit_id = d.unit_id AND o.code = d.code;
	GET DIAGNOSTICS removed = ROW_COUNT;
	-- rows of this framework that changed, and new rows (also where
	-- another framework of the level had the key: it is replaced)
	INSERT INTO dti.result_rank AS o
	SELECT compute_ranks.period, d.unit_id, d.framework_id, d.code, d.level, d.value, d.rank, d.group_rank
	FROM pg_temp.dti_rank_diff d WHERE NOT d.gone
	ON CONFLICT ON CONSTRAINT result_rank_pkey DO UPDATE
		SET framework_id = excluded.framework_id, level = excluded.level, value = excluded.value,
			rank = excluded.rank, group_rank = excluded.group_rank;
	GET DIAGNOSTICS changed = ROW_COUNT;
	DROP TABLE pg_temp.dti_rank_diff;
	RETURN changed + removed;
END $$;


-- The framework of dti.framework_tree() carrying each leaf's rule (the
-- core's type "framework" is shadowed by the row type of dti.framework:
-- created with the core's schema spelled out, as dti.framework_tree() is).
DO $do$
DECLARE
	core text := (SELECT quote_ident(n.nspname) FROM pg_catalog.pg_extension e
				  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'dti');
BEGIN
	EXECUTE format($fn$CREATE FUNCTION dti.framework_rules(framework_id integer, leaf_codes indicator_code[],
									  leaf_rules scoring_rule[]) RETURNS %s
LANGUAGE sql STABLE CALLED ON NULL INPUT PARALLEL SAFE
RETURN %s.framework_rules(dti.framework_tree(framework_id), leaf_codes, leaf_rules)$fn$, core || '.framework', core);
END $do$;
COMMENT ON FUNCTION dti.framework_rules(integer, indicator_code[], scoring_rule[]) IS
	'Internal to dti.refresh(): the framework of dti.framework_tree() with the given rules attached to its leaves (absolute, min-max, best and z-score rules)';
REVOKE EXECUTE ON FUNCTION dti.framework_rules(integer, indicator_code[], scoring_rule[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.framework_rules(integer, indicator_code[], scoring_rule[]) TO dti_admin;

-- Step 2, the fast form (frameworks without grade rules: every rule is one
-- that the framework can carry, dti.framework_rules()): one scan of the period's values collects
-- each unit's leaf values into a leaf_vector (a parallel aggregate whose
-- partial states are values only) into the temporary table dti_vector
-- (unit_id, leaves); the statistics of relative rules are then computed
-- over those vectors, without a second scan of the values (the same counts
-- and extremes as over the rows, and so the same min-max and best scores);
-- dti.stage_composites() then scores and rolls up each vector by the rules
-- the framework carries into dti_card, as dti.stage_scorecards() does.
-- Given the same statistics, the same scorecards, bit for bit, as scoring
-- each row and rolling the scores up.
CREATE FUNCTION dti.stage_leaf_vectors(period text, framework_id integer, leaf_codes indicator_code[],
									   leaf_rules scoring_rule[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	staged bigint;
BEGIN
	IF to_regclass('pg_temp.dti_vector') IS NOT NULL THEN
		DROP TABLE pg_temp.dti_vector;
	END IF;
	EXECUTE format($q$
		CREATE TEMP TABLE dti_vector ON COMMIT DROP AS
		SELECT v.unit_id, leaf_vector($2, v.indicator, v.value) AS leaves
		FROM dti.current_value v
		WHERE v.period = $1 AND v.indicator = ANY ($3)
		  AND v.unit_id IN (SELECT u.id FROM dti.unit u WHERE u.level = %L)
		GROUP BY v.unit_id$q$,
		(SELECT f.level FROM dti.framework f WHERE f.id = stage_leaf_vectors.framework_id))
	USING period, dti.framework_rules(framework_id, leaf_codes, leaf_rules), leaf_codes;
	GET DIAGNOSTICS staged = ROW_COUNT;
	RETURN staged;
END $$;
COMMENT ON FUNCTION dti.stage_leaf_vectors(text, integer, indicator_code[], scoring_rule[]) IS
	'Internal to dti.refresh(): collects the current values of the given leaves of every unit of one period and framework into one leaf_vector per unit, in one scan, into the temporary table dti_vector';

CREATE FUNCTION dti.stage_composites(framework_id integer, leaf_codes indicator_code[], leaf_rules scoring_rule[],
									 stats leaf_stats, publish_period text, run_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	staged bigint;
BEGIN
	IF to_regclass('pg_temp.dti_card') IS NOT NULL THEN
		DROP TABLE pg_temp.dti_card;
	END IF;
	IF publish_period IS NULL THEN
		-- (OFFSET 0: each unit scored once, not once per use of its scorecard)
		EXECUTE format($q$
			CREATE TEMP TABLE dti_card ON COMMIT DROP AS
			SELECT s.unit_id, u.parent_id, s.sc AS scorecard, scorecard_values(s.sc, 2) AS vals
			FROM (SELECT x.unit_id, composite($1, $2, x.leaves) AS sc FROM pg_temp.dti_vector x OFFSET 0) s
			JOIN dti.unit u ON u.id = s.unit_id$q$)
		USING dti.framework_rules(framework_id, leaf_codes, leaf_rules), stats;
	ELSE
		-- nothing published for the level in the period: the scorecards go
		-- straight to dti.result_scorecard, in unit order, and only the
		-- values of their ranked nodes are staged (without the scorecards,
		-- some kilobytes each, written and read back once more)
		CREATE TEMP TABLE dti_card (unit_id integer, parent_id integer, scorecard scorecard, vals float8[])
		ON COMMIT DROP;
		EXECUTE format($q$
			WITH s AS MATERIALIZED (
				SELECT x.unit_id, composite($1, $2, x.leaves) AS sc FROM pg_temp.dti_vector x
			), published AS (
				INSERT INTO dti.result_scorecard (period, unit_id, framework_id, scorecard, root_value, run_id)
				SELECT $3, s.unit_id, $4, s.sc, root_value(s.sc), $5 FROM s ORDER BY s.unit_id
			)
			INSERT INTO pg_temp.dti_card (unit_id, parent_id, vals)
			SELECT s.unit_id, u.parent_id, scorecard_values(s.sc, 2)
			FROM s JOIN dti.unit u ON u.id = s.unit_id$q$)
		USING dti.framework_rules(framework_id, leaf_codes, leaf_rules), stats, publish_period, framework_id, run_id;
	END IF;
	GET DIAGNOSTICS staged = ROW_COUNT;
	ANALYZE pg_temp.dti_card;
	RETURN staged;
END $$;
COMMENT ON FUNCTION dti.stage_composites(integer, indicator_code[], scoring_rule[], leaf_stats, text, bigint) IS
	'Internal to dti.refresh(): scores and rolls up the leaf vectors staged by dti.stage_leaf_vectors() by the rules the framework carries, under the given statistics, into the temporary table dti_card (as dti.stage_scorecards() does); given a period (nothing published for the level in it yet), writes the scorecards to dti.result_scorecard at once and stages only their ranked values';

CREATE OR REPLACE FUNCTION dti.staged_nodes(period text, OUT codes indicator_code[], OUT levels integer[],
								 OUT by_code integer[])
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
	-- the nodes of a staged scorecard, or of a published one where only
	-- the values were staged (dti.stage_composites())
	SELECT array_agg(n.code ORDER BY n.ord), array_agg(n.level ORDER BY n.ord), array_agg(n.ord::integer ORDER BY n.code)
	INTO codes, levels, by_code
	FROM (SELECT coalesce(
			(SELECT c.scorecard FROM pg_temp.dti_card c WHERE c.scorecard IS NOT NULL LIMIT 1),
			(SELECT r.scorecard FROM dti.result_scorecard r
			 WHERE r.period = staged_nodes.period
			   AND r.unit_id = (SELECT c.unit_id FROM pg_temp.dti_card c LIMIT 1))) AS scorecard) c
	CROSS JOIN LATERAL scorecard_nodes(c.scorecard, 2) WITH ORDINALITY AS n (code, parent, level, method, value,
		points, max_points, weight, present, expected, ord);
END $$;
COMMENT ON FUNCTION dti.staged_nodes(text) IS
	'Internal to dti.refresh(): the ranked nodes (inner nodes and main indicators) of the scorecards staged in dti_card, in scorecard order: codes, levels, and their places in code order';

CREATE OR REPLACE FUNCTION dti.staged_ranks(period text, framework_id integer)
RETURNS SETOF dti.result_rank
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	nodes record;
BEGIN
	nodes := dti.staged_nodes(period);
	IF nodes.codes IS NULL THEN
		RETURN;
	END IF;
	-- node after node in code order (by_code: the nodes' places in that
	-- order), each unit after unit: sorted on two integers
	RETURN QUERY
	SELECT staged_ranks.period, x.unit_id, staged_ranks.framework_id, nodes.codes[p.place], nodes.levels[p.place],
		   x.vals[p.place], x.ranks[p.place]::integer, x.group_ranks[p.place]::integer
	FROM (
		SELECT c.unit_id, c.vals,
			   rank_rounded_each(c.vals, 4) OVER () AS ranks,
			   rank_rounded_each(c.vals, 4) OVER (PARTITION BY c.parent_id) AS group_ranks
		FROM pg_temp.dti_card c
	) x
	CROSS JOIN unnest(nodes.by_code) WITH ORDINALITY AS p (place, k)
	ORDER BY p.k, x.unit_id;
END $$;
COMMENT ON FUNCTION dti.staged_ranks(text, integer) IS
	'Internal to dti.refresh(): the rank rows (every inner node and main indicator, national and group rank at 4 decimals) of the scorecards staged by dti.stage_scorecards()';

CREATE OR REPLACE FUNCTION dti.compute_period(period text, framework_id integer, run_id bigint,
								   OUT scorecards bigint, OUT ranks bigint)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	fw_level text;
	leaf_codes indicator_code[];
	leaf_rules scoring_rule[];
	leaf_stats indicator_stats[];
	all_stats leaf_stats;
	vectors boolean;
	published boolean;
	nodes record;
	compression text := pg_catalog.current_setting('default_toast_compression');
BEGIN
	IF EXISTS (SELECT 1 FROM dti.framework_indicator i
			   WHERE i.framework_id = compute_period.framework_id
				 AND scoring_rule_kind(i.rule) IN ('rank', 'prank', 'borda')) THEN
		scorecards := dti.compute_scorecards(period, framework_id, NULL, run_id);
		ranks := dti.compute_ranks(period, framework_id, NULL);
		RETURN;
	END IF;
	SELECT f.level INTO fw_level FROM dti.framework f WHERE f.id = compute_period.framework_id;

	-- the leaves and their rules; step 1, the statistics (relative rules)
	SELECT array_agg(i.code ORDER BY i.code), array_agg(i.rule ORDER BY i.code)
	INTO leaf_codes, leaf_rules
	FROM dti.framework_indicator i
	WHERE i.framework_id = compute_period.framework_id
	  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator c
					  WHERE c.framework_id = i.framework_id AND parent(c.code) = i.code);
	DELETE FROM dti.result_leaf_range g
	WHERE g.period = compute_period.period
	  AND g.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level);
	-- the fast form, where the framework can carry every rule (grade rules
	-- read the raw text: scored row by row)
	vectors := NOT EXISTS (SELECT 1 FROM unnest(leaf_rules) r WHERE scoring_rule_kind(r) = 'grade');
	IF vectors THEN
		PERFORM dti.stage_leaf_vectors(period, framework_id, leaf_codes, leaf_rules);
	END IF;
	IF dti.framework_is_relative(framework_id) AND vectors THEN
		-- the statistics over the vectors, and each leaf's
		EXECUTE format('SELECT leaf_stats($1, x.leaves) FROM pg_temp.dti_vector x') INTO all_stats
		USING dti.framework_rules(framework_id, leaf_codes, leaf_rules);
		EXECUTE format($q$SELECT array_agg(CASE WHEN $1 IS NOT NULL THEN leaf_stats_of($1, $2, l.code) END ORDER BY l.ord)
				   FROM unnest($3) WITH ORDINALITY AS l (code, ord)$q$) INTO leaf_stats
		USING all_stats, dti.framework_rules(framework_id, leaf_codes, leaf_rules), leaf_codes;
	ELSIF dti.framework_is_relative(framework_id) THEN
		SELECT array_agg(s.stats ORDER BY l.ord) INTO leaf_stats
		FROM unnest(leaf_codes) WITH ORDINALITY AS l (code, ord)
		LEFT JOIN dti.leaf_statistics(period, framework_id) s ON s.code = l.code;
	END IF;
	IF dti.framework_is_relative(framework_id) THEN
		-- the ranges of min-max and best leaves, and the units at their
		-- ends, for re-scoring a few units later (dti.keep_leaf_ranges())
		IF NOT EXISTS (SELECT 1 FROM dti.framework_indicator i
					   WHERE i.framework_id = compute_period.framework_id
						 AND scoring_rule_kind(i.rule) IN ('zscore', 'rank', 'prank', 'borda')) THEN
			INSERT INTO dti.result_leaf_range (period, framework_id, code, lo, hi, lo_units, hi_units)
			SELECT compute_period.period, compute_period.framework_id, r.code, r.lo, r.hi,
				   ARRAY(SELECT DISTINCT x FROM unnest(r.at_lo) x WHERE x IS NOT NULL ORDER BY x),
				   ARRAY(SELECT DISTINCT x FROM unnest(r.at_hi) x WHERE x IS NOT NULL ORDER BY x)
			FROM (
				SELECT e.code, e.lo, e.hi,
					   array_agg(v.unit_id) FILTER (WHERE v.value = e.lo) AS at_lo,
					   array_agg(v.unit_id) FILTER (WHERE v.value = e.hi) AS at_hi
				FROM (SELECT l.code, stats_min(l.stats) AS lo, stats_max(l.stats) AS hi
					  FROM unnest(leaf_codes, leaf_rules, leaf_stats) AS l (code, rule, stats)
					  WHERE scoring_rule_kind(l.rule) IN ('minmax', 'best')) e
				LEFT JOIN dti.current_value v ON v.period = compute_period.period AND v.indicator = e.code
					AND (v.value = e.lo OR v.value = e.hi)
					AND v.unit_id IN (SELECT u.id FROM dti.unit u WHERE u.level = fw_level)
				GROUP BY e.code, e.lo, e.hi
			) r;
		END IF;
	END IF;

	-- step 2, the scoring.  The scorecards (some kilobytes each) are
	-- compressed once, when staged, and written to dti.result_scorecard as
	-- they are: with lz4 where the server has it, several times faster than
	-- the default pglz for the same values.
	BEGIN
		PERFORM pg_catalog.set_config('default_toast_compression', 'lz4', true);
	EXCEPTION WHEN invalid_parameter_value THEN
		NULL;  -- a server built without lz4 keeps its default
	END;
	-- (read in key order, from the period's first row: not a scan from the
	-- table's start, as the planner would do for EXISTS)
	published := (SELECT 1 FROM dti.result_scorecard r
				  WHERE r.period = compute_period.period
					AND r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level)
				  ORDER BY r.period, r.unit_id LIMIT 1) IS NOT NULL;
	IF vectors THEN
		PERFORM dti.stage_composites(framework_id, leaf_codes, leaf_rules, all_stats,
									 CASE WHEN NOT published THEN period END, run_id);
		DROP TABLE pg_temp.dti_vector;
	ELSE
		PERFORM dti.stage_scorecards(period, framework_id, leaf_codes, leaf_rules, leaf_stats);
	END IF;
	PERFORM pg_catalog.set_config('default_toast_compression', compression, true);

	-- step 3, the results: the scorecards, then the ranks.  Scorecards are
	-- written where they changed only (a nightly run over unchanged data
	-- writes nothing): the previous results of the level in this period,
	-- also those of another framework that assessed it before, are removed
	-- where the unit has no scorecard now, replaced where theirs differs,
	-- and the new units' added.  scorecards counts the units scored.
	SELECT count(*) INTO scorecards FROM pg_temp.dti_card;
	IF published THEN
		DELETE FROM dti.result_scorecard r
		WHERE r.period = compute_period.period
		  AND r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level)
		  AND NOT EXISTS (SELECT 1 FROM pg_temp.dti_card c WHERE c.unit_id = r.unit_id);
		UPDATE dti.result_scorecard r
		SET framework_id = compute_period.framework_id, scorecard = c.scorecard,
			root_value = root_value(c.scorecard), run_id = compute_period.run_id
		FROM pg_temp.dti_card c
		WHERE r.period = compute_period.period AND r.unit_id = c.unit_id
		  AND (r.framework_id <> compute_period.framework_id
			   OR r.root_value IS DISTINCT FROM root_value(c.scorecard)
			   OR scorecard_send(r.scorecard) <> scorecard_send(c.scorecard));
		INSERT INTO dti.result_scorecard (period, unit_id, framework_id, scorecard, root_value, run_id)
		SELECT compute_period.period, c.unit_id, compute_period.framework_id, c.scorecard, root_value(c.scorecard),
			   compute_period.run_id
		FROM pg_temp.dti_card c
		WHERE NOT EXISTS (SELECT 1 FROM dti.result_scorecard r
						  WHERE r.period = compute_period.period AND r.unit_id = c.unit_id)
		ORDER BY c.unit_id;
	ELSIF NOT vectors THEN
		INSERT INTO dti.result_scorecard (period, unit_id, framework_id, scorecard, root_value, run_id)
		SELECT compute_period.period, c.unit_id, compute_period.framework_id, c.scorecard, root_value(c.scorecard),
			   compute_period.run_id
		FROM pg_temp.dti_card c ORDER BY c.unit_id;
	END IF;
	-- the ranks of the level in this period by another framework (an
	-- earlier version that assessed it before) go (a read of the period's
	-- ranks, spared where the level has no other framework)
	IF EXISTS (SELECT 1 FROM dti.framework f
			   WHERE f.level = fw_level AND f.id <> compute_period.framework_id) THEN
		DELETE FROM dti.result_rank r
		WHERE r.period = compute_period.period
		  AND r.framework_id <> compute_period.framework_id
		  AND r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level);
	END IF;
	IF (SELECT 1 FROM dti.result_rank o
		WHERE o.period = compute_period.period AND o.framework_id = compute_period.framework_id
		ORDER BY o.period, o.code, o.unit_id LIMIT 1) IS NOT NULL THEN
		-- ranked before: re-rank (from the staged scorecards), writing only
		-- what changed
		ranks := dti.compute_ranks(period, framework_id, NULL);
	ELSE
		-- ranked for the first time: every row, once, in key order (as
		-- dti.staged_ranks() gives them, without collecting them first)
		nodes := dti.staged_nodes(period);
		INSERT INTO dti.result_rank
		SELECT compute_period.period, x.unit_id, compute_period.framework_id, nodes.codes[p.place],
			   nodes.levels[p.place], x.vals[p.place], x.ranks[p.place]::integer, x.group_ranks[p.place]::integer
		FROM (
			SELECT c.unit_id, c.vals,
				   rank_rounded_each(c.vals, 4) OVER () AS ranks,
				   rank_rounded_each(c.vals, 4) OVER (PARTITION BY c.parent_id) AS group_ranks
			FROM pg_temp.dti_card c
		) x
		CROSS JOIN unnest(nodes.by_code) WITH ORDINALITY AS p (place, k)
		ORDER BY p.k, x.unit_id;
		GET DIAGNOSTICS ranks = ROW_COUNT;
	END IF;
	DROP TABLE pg_temp.dti_card;
END $$;
COMMENT ON FUNCTION dti.compute_period(text, integer, bigint) IS
	'Internal to dti.refresh(): recomputes one period and framework whole (each unit''s values collected into a leaf vector in one scan, the statistics over the vectors, each vector scored and rolled up by composite(); grade rules scored row by row; then scorecards and ranks written from the staged results); returns the scorecards written and the rank rows written or changed';
REVOKE EXECUTE ON FUNCTION dti.leaf_statistics(text, integer),
	dti.stage_scorecards(text, integer, indicator_code[], scoring_rule[], indicator_stats[]),
	dti.stage_leaf_vectors(text, integer, indicator_code[], scoring_rule[]),
	dti.stage_composites(integer, indicator_code[], scoring_rule[], leaf_stats, text, bigint),
	dti.staged_nodes(text), dti.staged_ranks(text, integer), dti.compute_period(text, integer, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.leaf_statistics(text, integer),
	dti.stage_scorecards(text, integer, indicator_code[], scoring_rule[], indicator_stats[]),
	dti.stage_leaf_vectors(text, integer, indicator_code[], scoring_rule[]),
	dti.stage_composites(integer, indicator_code[], scoring_rule[], leaf_stats, text, bigint),
	dti.staged_nodes(text), dti.staged_ranks(text, integer), dti.compute_period(text, integer, bigint) TO dti_admin;

-- dti.score_long: the rank of the period before read by key (the codes it
-- can have: the node's, and those mapped onto it), now that the primary
-- key of dti.result_rank is keyed node first
CREATE OR REPLACE VIEW dti.score_long AS
SELECT u.code AS unit_code,
	   u.name_vi AS unit,
	   u.level AS unit_level,
	   r.period,
	   f.code AS framework,
	   f.version AS framework_version,
	   n.code::text AS code,
	   coalesce(i.name_vi, f.title_vi) AS name_vi,
	   coalesce(i.name_en, f.title_en) AS name_en,
	   n.level,
	   round(n.value::numeric, 4) AS value,
	   round(n.points::numeric, 2) AS points,
	   n.max_points::numeric AS max_points,
	   rk.rank,
	   coalesce(prev.rank, cp.rank) AS rank_prev,
	   coalesce(prev.rank, cp.rank) - rk.rank AS rank_change,
	   rk.group_rank AS region_rank,
	   round(n.present::numeric / nullif(n.expected, 0), 4) AS coverage
FROM dti.result_scorecard r
JOIN dti.unit u ON u.id = r.unit_id
JOIN dti.framework f ON f.id = r.framework_id
CROSS JOIN LATERAL scorecard_nodes(r.scorecard) n
LEFT JOIN dti.framework_indicator i ON i.framework_id = r.framework_id AND i.code = n.code
LEFT JOIN dti.result_rank rk ON rk.period = r.period AND rk.unit_id = r.unit_id AND rk.code = n.code
LEFT JOIN LATERAL (
	-- the same indicator a period earlier: under the same framework, through
	-- the indicator mapping of another framework, or the index itself
	-- (the codes it can have first: its rows found by key)
	SELECT p.rank FROM dti.result_rank p
	WHERE p.period = dti.previous_period(r.period) AND p.unit_id = r.unit_id
	  AND p.code = ANY (n.code || ARRAY(SELECT m.from_code FROM dti.indicator_map m
										WHERE m.to_framework_id = r.framework_id AND m.to_code = n.code))
	  AND ((p.code = n.code AND (p.framework_id = r.framework_id OR n.code = 'DTI'))
		   OR EXISTS (SELECT 1 FROM dti.indicator_map m
					  WHERE m.from_framework_id = p.framework_id AND m.from_code = p.code
						AND m.to_framework_id = r.framework_id AND m.to_code = n.code))
	ORDER BY p.code = n.code DESC
	LIMIT 1) prev ON true
-- across the 2025 merger: the predecessors' values carried by the succession rule
LEFT JOIN LATERAL dti.carried_value(r.unit_id, dti.previous_period(r.period), n.code) cp ON prev.rank IS NULL;
