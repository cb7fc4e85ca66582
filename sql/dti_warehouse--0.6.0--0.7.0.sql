-- dti_warehouse 0.6.0 -> 0.7.0
\echo Use "ALTER EXTENSION dti_warehouse UPDATE TO '0.7.0'" to load this file. \quit

-- The oldest dti this warehouse works with (see the install script's
-- 00_requires.sql): 0.7.0, for rank_rounded_each() and scorecard_values().
DO $requires$
DECLARE
	need constant text := '0.7.0';
	have text := (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'dti');
BEGIN
	IF have IS NULL OR pg_catalog.string_to_array(have, '.')::integer[] < pg_catalog.string_to_array(need, '.')::integer[] THEN
		RAISE EXCEPTION 'dti_warehouse needs dti % or newer, but dti % is installed', need, coalesce(have, '(none)')
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = format('Update dti first: ALTER EXTENSION dti UPDATE (to %s or newer).', need);
	END IF;
END
$requires$;

------------------------------------------------------------------------------
-- Part issue-17v: bulk verification in fewer passes.  dti.set_status_where()
-- finds the newer revisions of a load's keys with one anti-join over the
-- revisions since the load (instead of grouping them all by key) and reads
-- the statuses of the load's range of ids only.  dti.apply_status_events()
-- plans a statement of more than 100 events for that statement (a range of
-- each index read once for a load; a few events keep the session's plan),
-- reads the earlier statuses within the revisions' range only, and not at a
-- load's first verification, skips the search for other transactions'
-- events when there can be none, keeps fixed-size states per key and reads
-- the current values once.
------------------------------------------------------------------------------

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
ALTER FUNCTION dti.set_status_where(bigint, text, text, text, text) SET jit = off;

-- Trigger function: what a statement of status events implies, in one pass
-- over its rows (a bulk verification inserts tens of thousands):
--  1. each event names an existing revision (checked here, once per
--     statement, instead of a foreign key checked row by row: revisions are
--     never deleted) and follows the workflow from the status before it (the
--     newest earlier event of its revision, else the revision's initial
--     status);
--  2. dti.current_value is brought up to date for the units, periods and
--     indicators of the events;
--  3. their units and periods are queued for dti.refresh().
-- Changes to one key take turns: a statement locks its keys (an advisory
-- lock per key, taken in a fixed order) until the end of its transaction,
-- then reads them with a snapshot that sees the statuses committed before
-- it.  Changes to different keys do not wait for each other.  A statement
-- of more than 100 events, or a transaction that has changed more than 100
-- keys (a bulk verification, or many set_status() calls), locks the whole
-- table instead, so that it does not fill the lock table with advisory
-- locks.  Once its keys are locked, a key's row in dti.current_value is
-- right for every status event but this statement's, so it changes only
-- when this statement verified a newer revision than the current one
-- (updated in place, or inserted).  A key is resolved from the whole
-- history instead when this statement took the status verified away from
-- its current revision (a rejection: the previous verified revision comes
-- back), or when another transaction set a status of one of its revisions
-- after this statement inserted its own.
-- The work is one statement.  For a few events it keeps the plan the
-- session made for it once; for more (a bulk verification) it is planned
-- for the statement's numbers of events and ranges of ids, so that the
-- revisions of a load, their earlier statuses and the new events are each
-- one range of an index read once, and scattered events are looked up one
-- by one.  The earlier statuses are searched only when the revisions have
-- any (not at a load's first verification), and other transactions' events
-- only when there can be some (this statement's event ids are not
-- consecutive, or a newer event exists).
-- (Built with the schema of dti named: the indicator codes are compared with
-- its operator, which the pinned search_path does not find.)
DO $do$
DECLARE
	-- the statement, with @lo@ and @hi@ for the range of revisions of the
	-- events, @first@ for the first event's id, @others@ (events of other
	-- transactions may follow it), @before@ (events before this statement's
	-- may exist) and @events@ for the events, with the status before each
	-- and whether it is its revision's last in this statement
	stmt constant text := $stmt$	WITH w AS (
		-- the events, with the status before an event that follows another
		-- of this statement, and whether it is its revision's last in it
		@events@
	), earlier AS (
		-- the status before each revision's first event in this statement:
		-- the newest event before it (an event of another transaction
		-- between this statement's is refused below)
		SELECT DISTINCT ON (w.id) w.id, t.status
		FROM w
		JOIN dti.submission_status t ON t.submission_id = w.submission_id AND t.id < w.id
		WHERE @before@ AND w.prev IS NULL AND t.submission_id BETWEEN @lo@ AND @hi@ AND t.id < @first@
		ORDER BY w.id, t.id DESC
	), e AS MATERIALIZED (
		-- each event with its revision, the status before it (else the
		-- revision's initial status) and whether it is its revision's last
		SELECT w.id, w.submission_id, w.status, s.id AS found, s.period, s.unit_id, s.indicator, s.raw_value, s.value,
			   coalesce(w.prev, b.status, s.status) AS before, w.last
		FROM w
		LEFT JOIN earlier b ON b.id = w.id
		LEFT JOIN dti.submission s ON s.id = w.submission_id AND s.id BETWEEN @lo@ AND @hi@
	), bad AS (
		SELECT e.submission_id, e.status, e.found IS NOT NULL AS found, e.before
		FROM e
		WHERE e.found IS NULL
		   OR (e.before, e.status) NOT IN (('draft', 'submitted'), ('submitted', 'verified'), ('submitted', 'rejected'),
										   ('verified', 'rejected'), ('rejected', 'verified'),
										   ('draft', 'withdrawn'), ('submitted', 'withdrawn'))
		ORDER BY e.id
		LIMIT 1
	), overtaken AS (
		-- revisions of this statement with a status event of another
		-- transaction inserted after this statement's first one
		SELECT DISTINCT t.submission_id
		FROM dti.submission_status t
		WHERE @others@ AND t.id > @first@ AND t.submission_id BETWEEN @lo@ AND @hi@
		  AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = t.id)
	), k AS (
		-- per key: the newest revision verified now, and whether one of its
		-- revisions was overtaken
		SELECT e.period, e.unit_id, e.indicator,
			   max(e.found) FILTER (WHERE e.last AND e.status = 'verified') AS verified_id,
			   bool_or(o.submission_id IS NOT NULL) AS overtaken
		FROM e
		LEFT JOIN overtaken o ON o.submission_id = e.found
		WHERE e.found IS NOT NULL
		GROUP BY e.period, e.unit_id, e.indicator
	), d AS (
		-- and its current revision, resolved from the history when this
		-- statement set another status than verified on it
		SELECT k.period, k.unit_id, k.indicator, k.verified_id, c.submission_id AS current_id,
			   k.overtaken OR coalesce(c.submission_id IN (SELECT u.found FROM e u WHERE u.last AND u.status <> 'verified'), false)
				   AS from_history
		FROM k
		LEFT JOIN dti.current_value c ON c.period = k.period AND c.unit_id = k.unit_id
			AND c.indicator OPERATOR(@dti@.=) k.indicator
	), resolved AS (
		SELECT v.*
		FROM (SELECT array_agg(d.period) AS periods, array_agg(d.unit_id) AS units, array_agg(d.indicator::text) AS indicators
			  FROM d WHERE d.from_history) a
		CROSS JOIN LATERAL dti.resolve_current(a.periods, a.units, a.indicators) v
	), target AS (
		-- the keys whose current revision changes, with the new one (none: NULL)
		SELECT d.period, d.unit_id, d.indicator, d.current_id, v.submission_id, v.raw_value, v.value
		FROM d
		LEFT JOIN resolved v ON v.period = d.period AND v.unit_id = d.unit_id AND v.indicator OPERATOR(@dti@.=) d.indicator
		WHERE d.from_history AND v.submission_id IS DISTINCT FROM d.current_id
		UNION ALL
		SELECT d.period, d.unit_id, d.indicator, d.current_id, e.found, e.raw_value, e.value
		FROM d
		JOIN e ON e.found = d.verified_id AND e.last
		WHERE NOT d.from_history AND (d.current_id IS NULL OR d.verified_id > d.current_id)
	), deleted AS (
		DELETE FROM dti.current_value c
		USING target x
		WHERE x.submission_id IS NULL
		  AND c.period = x.period AND c.unit_id = x.unit_id AND c.indicator OPERATOR(@dti@.=) x.indicator
	), updated AS (
		UPDATE dti.current_value c
		SET submission_id = x.submission_id, raw_value = x.raw_value, value = x.value
		FROM target x
		WHERE x.current_id IS NOT NULL AND x.submission_id IS NOT NULL
		  AND c.period = x.period AND c.unit_id = x.unit_id AND c.indicator OPERATOR(@dti@.=) x.indicator
	), inserted AS (
		INSERT INTO dti.current_value (period, unit_id, indicator, submission_id, raw_value, value)
		SELECT x.period, x.unit_id, x.indicator, x.submission_id, x.raw_value, x.value
		FROM target x
		WHERE x.current_id IS NULL AND x.submission_id IS NOT NULL
	), queued AS (
		INSERT INTO dti.refresh_queue (period, unit_id, reason)
		SELECT DISTINCT e.period, e.unit_id, 'status' FROM e WHERE e.found IS NOT NULL
		ORDER BY 1, 2
	)
	SELECT b.submission_id, b.status, b.found, b.before, (SELECT count(*) FROM k),
		   (SELECT min(o.submission_id) FROM overtaken o JOIN e ON e.found = o.submission_id)
	FROM (SELECT) one
	LEFT JOIN bad b ON true$stmt$;
	events constant text := $ev$SELECT n.id, n.submission_id, n.status, lag(n.status) OVER r AS prev, lead(n.id) OVER r IS NULL AS last
		FROM new_rows n WINDOW r AS (PARTITION BY n.submission_id ORDER BY n.id)$ev$;
BEGIN
	EXECUTE replace(replace(replace($body$
CREATE OR REPLACE FUNCTION dti.apply_status_events() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $fn$
DECLARE
	n_events bigint;
	first_id bigint;
	last_id bigint;
	lo_sub bigint;
	hi_sub bigint;
	n_revisions bigint;
	others boolean;
	before_first boolean;
	events text;
	n_keys bigint;
	keys_locked bigint;
	whole_table boolean;
	bad_submission bigint;
	bad_status text;
	bad_found boolean;
	bad_before text;
	raced bigint;
BEGIN
	SELECT count(*), min(n.id), max(n.id), min(n.submission_id), max(n.submission_id)
	INTO n_events, first_id, last_id, lo_sub, hi_sub
	FROM new_rows n;
	IF n_events = 0 THEN
		RETURN NULL;
	END IF;
	keys_locked := coalesce(nullif(current_setting('dti.current_value_keys', true), ''), '0')::bigint;
	whole_table := n_events > 100 OR keys_locked > 100;
	IF NOT whole_table THEN
		-- a few events: lock their keys, in a fixed order
		SELECT count(*) INTO n_keys
		FROM (SELECT DISTINCT s.period, s.unit_id, s.indicator FROM new_rows n
			  JOIN dti.submission s ON s.id = n.submission_id) k;
		keys_locked := keys_locked + n_keys;
		PERFORM set_config('dti.current_value_keys', keys_locked::text, true);
		whole_table := keys_locked > 100;
		IF NOT whole_table THEN
			LOCK TABLE dti.current_value IN ROW EXCLUSIVE MODE;
			PERFORM pg_advisory_xact_lock(hashtext('dti.current_value'), hashtext(k.period || '/' || k.unit_id || '/' || k.indicator))
			FROM (SELECT DISTINCT s.period, s.unit_id, s.indicator::text AS indicator FROM new_rows n
				  JOIN dti.submission s ON s.id = n.submission_id) k
			ORDER BY k.period, k.unit_id, k.indicator;
		END IF;
	END IF;
	IF whole_table THEN
		LOCK TABLE dti.current_value IN SHARE ROW EXCLUSIVE MODE;
	END IF;

	-- Status events of other transactions with ids above this statement's
	-- first one (committed before this statement got its locks; none can
	-- commit on its keys after): none when this statement's ids are
	-- consecutive and no event has a higher id than its last.
	others := last_id - first_id + 1 <> n_events
			  OR (SELECT max(t.id) FROM dti.submission_status t) > last_id;
	-- One statement, with a snapshot taken after the locks.  Should an event
	-- be refused, the exception below undoes what the statement wrote.
	IF n_events <= 100 THEN
		-- A few events: a plan kept for the session, made for a few rows.
@static@
		INTO bad_submission, bad_status, bad_found, bad_before, n_keys, raced;
	ELSE
		-- More: planned for this statement's numbers of events and ranges of
		-- ids (the events of a load are a range of revisions: a range of each
		-- index is read once; scattered events are looked up one by one).
		-- Earlier events of these revisions (the status before this
		-- statement): none at a load's first verification.
		EXECUTE format('SELECT EXISTS (SELECT 1 FROM dti.submission_status t WHERE t.submission_id BETWEEN %s AND %s AND t.id < %s)',
					   lo_sub, hi_sub, first_id)
		INTO before_first;
		-- Several events of one revision: the status before each but the
		-- first is the one before it in this statement.
		SELECT count(DISTINCT n.submission_id) INTO n_revisions FROM new_rows n;
		IF n_revisions = n_events THEN
			events := 'SELECT n.id, n.submission_id, n.status, NULL::text AS prev, true AS last FROM new_rows n';
		ELSE
			events := 'SELECT n.id, n.submission_id, n.status, lag(n.status) OVER r AS prev, lead(n.id) OVER r IS NULL AS last '
					  'FROM new_rows n WINDOW r AS (PARTITION BY n.submission_id ORDER BY n.id)';
		END IF;
		EXECUTE format($q$
@dynamic@$q$, lo_sub, hi_sub, first_id, CASE WHEN others THEN 'true' ELSE 'false' END,
			CASE WHEN before_first THEN 'true' ELSE 'false' END, events)
		INTO bad_submission, bad_status, bad_found, bad_before, n_keys, raced;
	END IF;

	-- An event of another transaction on one of these revisions, with a
	-- higher id, committed before this statement took its locks: it was
	-- checked without this statement's events, which the history (in id
	-- order) puts before it, so the history would break the workflow.
	IF raced IS NOT NULL THEN
		RAISE EXCEPTION 'the status of submission % was changed by another transaction at the same time', raced
			USING ERRCODE = 'serialization_failure',
				DETAIL = 'Its newer status event committed first; the history keeps events in the order of their ids.',
				HINT = 'Run the transaction again: it will be checked against the status that is now current.';
	END IF;

	IF bad_submission IS NOT NULL AND NOT bad_found THEN
		RAISE EXCEPTION 'no submission with id %', bad_submission
			USING ERRCODE = 'foreign_key_violation',
				DETAIL = 'dti.submission has no such row.',
				HINT = 'Look the id up in dti.current_submission.';
	ELSIF bad_submission IS NOT NULL THEN
		RAISE EXCEPTION 'submission % cannot go from % to %', bad_submission, bad_before, bad_status
			USING ERRCODE = 'invalid_transaction_state',
				DETAIL = 'Allowed: draft -> submitted, submitted -> verified or rejected, verified -> rejected, rejected -> verified, draft or submitted -> withdrawn.',
				HINT = 'A new value is a new revision: insert it into dti.submission.';
	END IF;
	IF n_events > 100 THEN
		PERFORM set_config('dti.current_value_keys', (keys_locked + n_keys)::text, true);
	END IF;
	RETURN NULL;
END $fn$;
$body$, '@static@', replace(replace(replace(replace(replace(replace(stmt, '@lo@', 'lo_sub'), '@hi@', 'hi_sub'),
							 '@first@', 'first_id'), '@others@', 'others'), '@before@', 'true'), '@events@', events)),
		'@dynamic@', replace(replace(replace(replace(replace(replace(stmt, '@lo@', '%1$s'), '@hi@', '%2$s'),
							 '@first@', '%3$s'), '@others@', '%4$s'), '@before@', '%5$s'), '@events@', '%6$s')),
		'@dti@', (SELECT quote_ident(n.nspname) FROM pg_catalog.pg_extension e
				  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'dti'));
END $do$;
-- end of part issue-17v


------------------------------------------------------------------------------
-- Part issue-22r: refresh.  dti.result_rank indexed on (period, code,
-- unit_id) instead of its values (a refresh writes a period's ranks in about
-- that order); scorecards and ranks of a period recomputed whole written
-- where they changed only; the statistics of the results taken only after
-- runs that changed many rows; re-ranking after a few units' revision reads
-- the changed nodes' rows only; a revision under min-max or best rules that
-- leaves the leaf ranges as they were re-scores its unit alone
-- (dti.result_leaf_range, dti.keep_leaf_ranges()); leaf statistics planned
-- for the level at hand.
------------------------------------------------------------------------------

DROP INDEX dti.result_rank_value_idx;
CREATE INDEX result_rank_code_idx ON dti.result_rank (period, code, unit_id);

-- The ranges that min-max and best rules scored a period against: per
-- leaf with such a rule, the smallest and largest value over the units of
-- the framework's level (what those rules read of the statistics: the
-- count only as "some value") and the units that hold them.  A revision
-- that leaves both ends where they are (the unit held neither, and its new
-- value lies within them) changes no other unit's score: dti.refresh() then
-- re-scores that unit alone against these ranges, as a recompute of the
-- period would, and re-ranks the period incrementally; otherwise the
-- period is recomputed whole, which writes the ranges anew.
CREATE TABLE dti.result_leaf_range (
	period text NOT NULL,
	framework_id integer NOT NULL,
	code indicator_code NOT NULL,
	lo float8,
	hi float8,
	lo_units integer[] NOT NULL,
	hi_units integer[] NOT NULL,
	PRIMARY KEY (period, framework_id, code)
);
COMMENT ON TABLE dti.result_leaf_range IS
	'Per period, framework and leaf scored by a min-max or best rule: the range of the values it was scored against and the units at its ends; written by dti.refresh() only (frameworks whose relative rules are all min-max or best)';
COMMENT ON COLUMN dti.result_leaf_range.lo IS 'The smallest current value of the leaf over the units of the framework''s level in the period';
COMMENT ON COLUMN dti.result_leaf_range.hi IS 'The largest one';
COMMENT ON COLUMN dti.result_leaf_range.lo_units IS 'The units whose value is lo (ids, ascending)';
COMMENT ON COLUMN dti.result_leaf_range.hi_units IS 'The units whose value is hi (ids, ascending)';

-- Can one period of a relative framework be re-scored for a few units
-- against the stored ranges?  Only when its relative rules are all min-max
-- or best rules (z-scores move with every value; rank rules rank every
-- unit), every such leaf has a stored range, and no unit given holds an end
-- of a range or has a value outside it now.  Then the ends are kept (with
-- the units now at an end added) and true is returned.
CREATE FUNCTION dti.keep_leaf_ranges(period text, framework_id integer, unit_ids integer[])
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
	IF EXISTS (SELECT 1 FROM dti.framework_indicator i
			   WHERE i.framework_id = keep_leaf_ranges.framework_id
				 AND scoring_rule_kind(i.rule) IN ('zscore', 'rank', 'prank', 'borda'))
	   OR EXISTS (SELECT 1 FROM dti.framework_indicator i
				  WHERE i.framework_id = keep_leaf_ranges.framework_id
					AND scoring_rule_kind(i.rule) IN ('minmax', 'best')
					AND NOT EXISTS (SELECT 1 FROM dti.result_leaf_range g
									WHERE g.period = keep_leaf_ranges.period
									  AND g.framework_id = keep_leaf_ranges.framework_id
									  AND g.code = i.code AND g.lo IS NOT NULL AND g.hi IS NOT NULL))
	   OR EXISTS (SELECT 1 FROM dti.result_leaf_range g
				  CROSS JOIN unnest(keep_leaf_ranges.unit_ids) AS c (unit_id)
				  LEFT JOIN dti.current_value v ON v.period = g.period AND v.unit_id = c.unit_id
					AND v.indicator = g.code
				  WHERE g.period = keep_leaf_ranges.period AND g.framework_id = keep_leaf_ranges.framework_id
					AND (c.unit_id = ANY (g.lo_units) OR c.unit_id = ANY (g.hi_units)
						 OR v.value < g.lo OR v.value > g.hi)) THEN
		RETURN false;
	END IF;
	-- (NaN sorts above every number, so it is outside every range)
	UPDATE dti.result_leaf_range g
	SET lo_units = ARRAY(SELECT DISTINCT x FROM unnest(g.lo_units || n.at_lo) x ORDER BY x),
		hi_units = ARRAY(SELECT DISTINCT x FROM unnest(g.hi_units || n.at_hi) x ORDER BY x)
	FROM (SELECT g2.code, array_agg(v.unit_id) FILTER (WHERE v.value = g2.lo) AS at_lo,
				 array_agg(v.unit_id) FILTER (WHERE v.value = g2.hi) AS at_hi
		  FROM dti.result_leaf_range g2
		  JOIN dti.current_value v ON v.period = g2.period AND v.indicator = g2.code
			AND v.unit_id = ANY (keep_leaf_ranges.unit_ids)
		  WHERE g2.period = keep_leaf_ranges.period AND g2.framework_id = keep_leaf_ranges.framework_id
			AND (v.value = g2.lo OR v.value = g2.hi)
		  GROUP BY g2.code) n
	WHERE g.period = keep_leaf_ranges.period AND g.framework_id = keep_leaf_ranges.framework_id
	  AND g.code = n.code;
	RETURN true;
END $$;
COMMENT ON FUNCTION dti.keep_leaf_ranges(text, integer, integer[]) IS
	'Internal to dti.refresh(): true (and the units now at an end of a range recorded) when the given units'' current values leave the ranges of the min-max and best leaves of one period and framework as they were, so that only those units need re-scoring; false when the period must be recomputed whole';
REVOKE EXECUTE ON FUNCTION dti.keep_leaf_ranges(text, integer, integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.keep_leaf_ranges(text, integer, integer[]) TO dti_admin;

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
	SELECT f.level INTO fw_level FROM dti.framework f WHERE f.id = compute_scorecards.framework_id;
	IF unit_ids IS NULL THEN
		-- the whole period of the level: also the results of another
		-- framework (an earlier version) that assessed it before (what was
		-- announced with them stays in dti.publication_*)
		DELETE FROM dti.result_scorecard r
		WHERE r.period = compute_scorecards.period
		  AND (r.framework_id = compute_scorecards.framework_id
			   OR r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level));
		DELETE FROM dti.result_rank r
		WHERE r.period = compute_scorecards.period
		  AND r.framework_id <> compute_scorecards.framework_id
		  AND r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level);
	ELSE
		DELETE FROM dti.result_scorecard r
		WHERE r.period = compute_scorecards.period AND r.unit_id = ANY (unit_ids);
	END IF;

	-- (with the stored range of each min-max or best leaf, as statistics
	-- of its two ends: what those rules read, for re-scoring a few units
	-- after dti.keep_leaf_ranges())
	CREATE TEMP TABLE dti_leaf ON COMMIT DROP AS
	SELECT i.code, i.rule, scoring_rule_kind(i.rule) AS kind,
		   (SELECT indicator_stats(x) FROM unnest(ARRAY[g.lo, g.hi]) AS x) AS stats
	FROM dti.framework_indicator i
	LEFT JOIN dti.result_leaf_range g ON g.period = compute_scorecards.period
		AND g.framework_id = i.framework_id AND g.code = i.code AND unit_ids IS NOT NULL
	WHERE i.framework_id = compute_scorecards.framework_id
	  AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator c
					  WHERE c.framework_id = i.framework_id AND parent(c.code) = i.code);
	ANALYZE pg_temp.dti_leaf;

	IF dti.framework_is_relative(framework_id) AND unit_ids IS NOT NULL THEN
		-- a few units of a framework whose relative rules are min-max or
		-- best rules, whose ranges the units left as they were
		score_expr := $q$CASE
			WHEN l.rule IS NULL THEN v.value
			WHEN l.kind = 'grade' THEN score(l.rule, v.raw_value)
			WHEN l.kind IN ('minmax', 'best') THEN score(l.rule, v.value, l.stats)
			ELSE score(l.rule, v.value)
		END$q$;
	ELSIF dti.framework_is_relative(framework_id) THEN
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
COMMENT ON FUNCTION dti.compute_scorecards(text, integer, integer[], bigint) IS
	'Internal to dti.refresh(): scores the leaves and writes the scorecards of one period and framework (of the given units, or all)';

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
		FULL JOIN (SELECT o.unit_id, o.code, o.level, o.value FROM dti.result_rank o
				   WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id
					 AND o.unit_id = ANY (compute_ranks.changed_units)) o
			ON o.unit_id = n.unit_id AND o.code = n.code
		JOIN dti.unit u ON u.id = coalesce(n.unit_id, o.unit_id)) k;
		ANALYZE pg_temp.dti_rank_change;

		-- every other unit between a changed unit's old and new key moves
		-- one place (NULL keys do not count): the few rows found first (a
		-- range of result_rank_code_idx per node), then updated by their keys
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
		ORDER BY o.period, o.unit_id, o.code LIMIT 1) IS NULL THEN
		INSERT INTO dti.result_rank
		SELECT * FROM dti.ranked_nodes(compute_ranks.period, compute_ranks.framework_id);
		GET DIAGNOSTICS changed = ROW_COUNT;
		RETURN changed;
	END IF;

	-- re-ranking a whole period: write only what changed.  The new rows
	-- and the published ones of the period meet in one join; only the
	-- differences are kept, then deleted, updated or added.
	IF to_regclass('pg_temp.dti_card') IS NOT NULL THEN
		-- the period's scorecards are staged (dti.compute_period()): ranked
		-- from there, without reading them back
		CREATE TEMP TABLE dti_new_rank ON COMMIT DROP AS
		SELECT * FROM dti.staged_ranks(compute_ranks.period, compute_ranks.framework_id);
	ELSE
		CREATE TEMP TABLE dti_new_rank ON COMMIT DROP AS
		SELECT * FROM dti.ranked_nodes(compute_ranks.period, compute_ranks.framework_id);
	END IF;
	CREATE TEMP TABLE dti_rank_diff ON COMMIT DROP AS
	SELECT coalesce(x.unit_id, p.unit_id) AS unit_id, coalesce(x.code, p.code) AS code,
		   x.unit_id IS NULL AS gone, x.framework_id, x.level, x.value, x.rank, x.group_rank
	FROM pg_temp.dti_new_rank x
	FULL JOIN (SELECT * FROM dti.result_rank o
			   WHERE o.period = compute_ranks.period AND o.framework_id = compute_ranks.framework_id) p
		ON p.unit_id = x.unit_id AND p.code = x.code
	WHERE x.unit_id IS NULL OR p.unit_id IS NULL
	   OR (p.level, p.value, p.rank, p.group_rank) IS DISTINCT FROM (x.level, x.value, x.rank, x.group_rank);
	DROP TABLE pg_temp.dti_new_rank;
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
COMMENT ON FUNCTION dti.compute_ranks(text, integer, integer[]) IS
	'Internal to dti.refresh(): ranks every inner node and main indicator of one period and framework; with a few changed units, moves the others between their old and new values by one place instead of re-ranking the period; writes only the rows that changed';

CREATE OR REPLACE FUNCTION dti.refresh_plan(for_period text, for_framework integer)
RETURNS TABLE (period text, framework_id integer, unit_ids integer[], whole boolean, queue_ids bigint[])
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
#variable_conflict use_column
BEGIN
	IF refresh_plan.for_period IS NULL AND refresh_plan.for_framework IS NULL
	   AND EXISTS (SELECT 1 FROM dti.refresh_queue q WHERE q.period IS NULL) THEN
		WITH everything AS (
			DELETE FROM dti.refresh_queue q WHERE q.period IS NULL RETURNING q.reason
		)
		INSERT INTO dti.refresh_queue (period, whole, reason)
		SELECT s.period, true, (SELECT string_agg(DISTINCT e.reason, ', ') FROM everything e)
		FROM dti.submitted_periods() s(period)
		WHERE EXISTS (SELECT 1 FROM everything);
	END IF;
	RETURN QUERY
	WITH requested AS (
		-- explicit period or framework: those periods, whole
		SELECT s.period, NULL::integer AS unit_id, true AS whole, NULL::bigint AS queue_id
		FROM dti.submitted_periods() s(period)
		WHERE (refresh_plan.for_period IS NOT NULL OR refresh_plan.for_framework IS NOT NULL)
		  AND (refresh_plan.for_period IS NULL OR s.period = refresh_plan.for_period)
		UNION ALL
		-- the queue rows committed now (ids are drawn before commit, so a
		-- lower id may still commit later: the run takes exactly these
		-- rows); a run for one framework leaves the queue alone
		SELECT q.period, q.unit_id, q.whole, q.id FROM dti.refresh_queue q
		WHERE q.period IS NOT NULL AND refresh_plan.for_framework IS NULL
		  AND (refresh_plan.for_period IS NULL OR q.period = refresh_plan.for_period)
	), per_unit AS (
		SELECT r.period, p.year, u.level, r.unit_id, r.whole, r.queue_id
		FROM requested r
		JOIN dti.period p ON p.label = r.period
		LEFT JOIN dti.unit u ON u.id = r.unit_id
	), with_fw AS (
		-- a whole period covers every level assessed in it; a queue row
		-- that no framework assesses gets framework NULL (nothing to do)
		SELECT pu.period, fu.framework_id, pu.unit_id, pu.whole, pu.queue_id,
			   EXISTS (SELECT 1 FROM dti.framework_indicator i
					   WHERE i.framework_id = fu.framework_id
						 AND scoring_rule_kind(i.rule) IN ('zscore', 'rank', 'prank', 'borda')) AS whole_only
		FROM per_unit pu
		LEFT JOIN dti.framework_in_use fu ON fu.year = pu.year
			AND (pu.level = fu.level OR (pu.unit_id IS NULL AND EXISTS (
				SELECT 1 FROM dti.submission s JOIN dti.unit u2 ON u2.id = s.unit_id
				WHERE s.period = pu.period AND u2.level = fu.level)))
		WHERE refresh_plan.for_framework IS NULL OR fu.framework_id = refresh_plan.for_framework
	)
	-- (frameworks whose relative rules are all min-max or best rules keep
	-- their units: dti.refresh() decides with dti.keep_leaf_ranges())
	SELECT wf.period, wf.framework_id,
		   CASE WHEN bool_or(wf.whole) OR bool_or(wf.whole_only) THEN NULL
				ELSE array_agg(DISTINCT wf.unit_id) END,
		   bool_or(wf.whole) OR bool_or(wf.whole_only),
		   array_remove(array_agg(DISTINCT wf.queue_id), NULL)
	FROM with_fw wf
	GROUP BY wf.period, wf.framework_id;
END $$;
COMMENT ON FUNCTION dti.refresh_plan(text, integer) IS
	'Internal to dti.refresh(): the (period, framework) pairs to recompute, the units to redo (NULL: all) and the queue rows they answer (framework NULL: rows no framework assesses)';

CREATE OR REPLACE FUNCTION dti.leaf_statistics(period text, framework_id integer)
RETURNS TABLE (code indicator_code, stats indicator_stats)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
BEGIN
	-- planned for the level and period at hand (as a prepared statement,
	-- planned once for any level, it probed the values unit by unit)
	RETURN QUERY EXECUTE format($q$
		SELECT v.indicator, indicator_stats(v.value)
		FROM dti.current_value v
		JOIN (SELECT l.code FROM dti.framework_indicator l
			  WHERE l.framework_id = $2
				AND l.rule IS NOT NULL AND scoring_rule_kind(l.rule) <> 'grade'
				AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator c
								WHERE c.framework_id = l.framework_id AND parent(c.code) = l.code)) l
			ON l.code = v.indicator
		WHERE v.period = $1
		  AND v.unit_id IN (SELECT u.id FROM dti.unit u WHERE u.level = %L)
		GROUP BY v.indicator$q$,
		(SELECT f.level FROM dti.framework f WHERE f.id = leaf_statistics.framework_id))
	USING period, framework_id;
END $$;
COMMENT ON FUNCTION dti.leaf_statistics(text, integer) IS
	'Internal to dti.refresh(): per leaf of a framework, indicator_stats() of the current verified values of every unit of its level in one period (what relative rules score against)';

CREATE OR REPLACE FUNCTION dti.staged_ranks(period text, framework_id integer)
RETURNS SETOF dti.result_rank
LANGUAGE plpgsql STABLE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	node_codes indicator_code[];
	node_levels integer[];
BEGIN
	SELECT array_agg(n.code ORDER BY n.ord), array_agg(n.level ORDER BY n.ord) INTO node_codes, node_levels
	FROM (SELECT c.scorecard FROM pg_temp.dti_card c LIMIT 1) c
	CROSS JOIN LATERAL scorecard_nodes(c.scorecard, 2) WITH ORDINALITY AS n (code, parent, level, method, value,
		points, max_points, weight, present, expected, ord);
	IF node_codes IS NULL THEN
		RETURN;
	END IF;
	RETURN QUERY
	SELECT staged_ranks.period, x.unit_id, staged_ranks.framework_id, n.code, n.level, n.value,
		   n.rank::integer, n.group_rank::integer
	FROM (
		SELECT c.unit_id, c.vals,
			   rank_rounded_each(c.vals, 4) OVER () AS ranks,
			   rank_rounded_each(c.vals, 4) OVER (PARTITION BY c.parent_id) AS group_ranks
		FROM pg_temp.dti_card c
		-- units in order (the rows come out unit after unit, which is the
		-- cheap order to write them in): sorting 10,000 units rather than
		-- 25 times as many rows
		ORDER BY c.unit_id
	) x
	CROSS JOIN LATERAL unnest(node_codes, node_levels, x.vals, x.ranks, x.group_ranks)
		AS n (code, level, value, rank, group_rank);
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
	IF dti.framework_is_relative(framework_id) THEN
		SELECT array_agg(s.stats ORDER BY l.ord) INTO leaf_stats
		FROM unnest(leaf_codes) WITH ORDINALITY AS l (code, ord)
		LEFT JOIN dti.leaf_statistics(period, framework_id) s ON s.code = l.code;
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
	PERFORM dti.stage_scorecards(period, framework_id, leaf_codes, leaf_rules, leaf_stats);
	PERFORM pg_catalog.set_config('default_toast_compression', compression, true);

	-- step 3, the results: the scorecards, then the ranks.  Scorecards are
	-- written where they changed only (a nightly run over unchanged data
	-- writes nothing): the previous results of the level in this period,
	-- also those of another framework that assessed it before, are removed
	-- where the unit has no scorecard now, replaced where theirs differs,
	-- and the new units' added.  scorecards counts the units scored.
	SELECT count(*) INTO scorecards FROM pg_temp.dti_card;
	IF (SELECT 1 FROM dti.result_scorecard r
		WHERE r.period = compute_period.period
		  AND r.framework_id IN (SELECT f.id FROM dti.framework f WHERE f.level = fw_level)
		ORDER BY r.period, r.unit_id LIMIT 1) IS NOT NULL THEN
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
	ELSE
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
		ORDER BY o.period, o.unit_id, o.code LIMIT 1) IS NOT NULL THEN
		-- ranked before: re-rank (from the staged scorecards), writing only
		-- what changed
		ranks := dti.compute_ranks(period, framework_id, NULL);
	ELSE
		-- ranked for the first time: every row, once, in key order
		INSERT INTO dti.result_rank SELECT * FROM dti.staged_ranks(period, framework_id);
		GET DIAGNOSTICS ranks = ROW_COUNT;
	END IF;
	DROP TABLE pg_temp.dti_card;
END $$;
COMMENT ON FUNCTION dti.compute_period(text, integer, bigint) IS
	'Internal to dti.refresh(): recomputes one period and framework whole (statistics, scoring in one statement, then scorecards and ranks written from the staged scorecards); returns the scorecards written and the rank rows written or changed';

CREATE OR REPLACE PROCEDURE dti.refresh(period text DEFAULT NULL, framework_id integer DEFAULT NULL)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	saved_path text := pg_catalog.current_setting('search_path');
	own_transactions boolean;
	lock_key bigint;
	got_lock boolean;
	run bigint;
	p record;
	w record;
	done_periods text[] := '{}';
	v_whole text[] := '{}';
	pending text[] := '{}';
	failed jsonb := '[]';
	n_cards bigint := 0;
	n_ranks bigint := 0;
	c bigint;
	r bigint;
	msg text;
	state text;
BEGIN
	-- A procedure that commits cannot pin its search_path with a SET clause:
	-- it is set for each of its transactions instead (and given back to a
	-- caller whose transaction it runs in).
	PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
	-- A CALL that is the only statement of its transaction (the transaction
	-- started with it, and the query holds no other statement) may commit;
	-- otherwise (a transaction block, or several statements sent as one
	-- query, which run as one transaction) the refresh runs in the caller's
	-- transaction, each period in a subtransaction.
	own_transactions := statement_timestamp() = transaction_timestamp()
		AND strpos(rtrim(coalesce(current_query(), ''), E'; \t\r\n'), ';') = 0;
	lock_key := hashtext('dti.refresh');
	IF refresh.framework_id IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM dti.framework f WHERE f.id = refresh.framework_id) THEN
		RAISE EXCEPTION 'no framework with id %', refresh.framework_id
			USING ERRCODE = 'no_data_found', HINT = 'Look the id up in dti.framework.';
	END IF;
	IF refresh.period IS NOT NULL AND dti.period_kind(refresh.period) IS NULL THEN
		RAISE EXCEPTION 'invalid period "%"', refresh.period
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'A period is a year (2024), a quarter (2024-Q1) or a month (2024-03).';
	END IF;
	-- One refresh at a time: a second call leaves at once with a notice.  A
	-- run that commits per period holds a session lock (released below; a
	-- hold left by a run of this session that was cancelled is dropped
	-- first), one in the caller's transaction a transaction lock.
	IF own_transactions THEN
		WHILE EXISTS (SELECT 1 FROM pg_catalog.pg_locks l
					  WHERE l.locktype = 'advisory' AND l.pid = pg_catalog.pg_backend_pid()
						AND l.granted AND l.objsubid = 1
						AND l.classid = ((lock_key >> 32) & 4294967295)::oid
						AND l.objid = (lock_key & 4294967295)::oid) LOOP
			PERFORM pg_catalog.pg_advisory_unlock(lock_key);
		END LOOP;
	END IF;
	IF own_transactions THEN
		got_lock := pg_catalog.pg_try_advisory_lock(lock_key);
	ELSE
		got_lock := pg_catalog.pg_try_advisory_xact_lock(lock_key);
	END IF;
	IF NOT got_lock THEN
		INSERT INTO dti.refresh_log (started_at, ended_at, requested_period, requested_framework, outcome, error)
		VALUES (pg_catalog.clock_timestamp(), pg_catalog.clock_timestamp(), refresh.period, refresh.framework_id,
				'skipped', 'another refresh is running');
		RAISE NOTICE 'dti.refresh: another refresh is running; this call does nothing'
			USING HINT = 'Its results are published when it commits; see dti.refresh_log.';
		PERFORM pg_catalog.set_config('search_path', saved_path, true);
		RETURN;
	END IF;
	-- holding the lock, a run still marked running was cut short
	UPDATE dti.refresh_log l SET outcome = 'failed', ended_at = coalesce(l.ended_at, pg_catalog.clock_timestamp()),
		error = 'interrupted: the session or the server ended during the run'
	WHERE l.outcome = 'running';
	INSERT INTO dti.refresh_log (started_at, requested_period, requested_framework, outcome)
	VALUES (pg_catalog.clock_timestamp(), refresh.period, refresh.framework_id, 'running')
	RETURNING id INTO run;

	IF to_regclass('pg_temp.dti_refresh_plan') IS NULL THEN
		CREATE TEMP TABLE dti_refresh_plan (
			period text, framework_id integer, unit_ids integer[], whole boolean, queue_ids bigint[]);
	END IF;
	TRUNCATE pg_temp.dti_refresh_plan;
	INSERT INTO pg_temp.dti_refresh_plan SELECT * FROM dti.refresh_plan(refresh.period, refresh.framework_id);
	-- queue rows that no framework assesses: nothing to do
	DELETE FROM dti.refresh_queue q
	WHERE q.id = ANY (ARRAY(SELECT unnest(x.queue_ids) FROM pg_temp.dti_refresh_plan x WHERE x.framework_id IS NULL));
	DELETE FROM pg_temp.dti_refresh_plan x WHERE x.framework_id IS NULL;

	-- Each period on its own: computed, its queue rows removed and committed
	-- together; a locked period is left queued; a failing one is rolled back,
	-- noted and left queued, and the others go on.
	FOR p IN SELECT x.period, bool_or(l.period IS NOT NULL) AS locked
			 FROM pg_temp.dti_refresh_plan x LEFT JOIN dti.period_lock l ON l.period = x.period
			 GROUP BY x.period ORDER BY x.period LOOP
		IF p.locked THEN
			pending := pending || p.period;
			CONTINUE;
		END IF;
		BEGIN
			c := 0;
			r := 0;
			FOR w IN SELECT x.* FROM pg_temp.dti_refresh_plan x WHERE x.period = p.period ORDER BY x.framework_id LOOP
				IF w.unit_ids IS NULL THEN
					SELECT c + x.scorecards, r + x.ranks INTO c, r
					FROM dti.compute_period(w.period, w.framework_id, run) x;
				ELSIF dti.framework_is_relative(w.framework_id)
					  AND NOT dti.keep_leaf_ranges(w.period, w.framework_id, w.unit_ids) THEN
					-- a revision moved a range of a min-max or best rule
					SELECT c + x.scorecards, r + x.ranks INTO c, r
					FROM dti.compute_period(w.period, w.framework_id, run) x;
					w.whole := true;
				ELSE
					c := c + dti.compute_scorecards(w.period, w.framework_id, w.unit_ids, run);
					r := r + dti.compute_ranks(w.period, w.framework_id, w.unit_ids);
				END IF;
				IF w.whole THEN
					v_whole := v_whole || w.period;
				END IF;
			END LOOP;
			DELETE FROM dti.refresh_queue q
			WHERE q.id = ANY (ARRAY(SELECT unnest(x.queue_ids) FROM pg_temp.dti_refresh_plan x WHERE x.period = p.period));
			n_cards := n_cards + c;
			n_ranks := n_ranks + r;
			done_periods := done_periods || p.period;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, state = RETURNED_SQLSTATE;
			failed := failed || jsonb_build_object('period', p.period, 'sqlstate', state, 'message', msg);
			RAISE WARNING 'dti.refresh: period % failed: %', p.period, msg
				USING DETAIL = 'Its previous results are still published; its queued changes stay queued.';
		END;
		-- the log shows how far a run got (the planning above commits with
		-- the first period)
		UPDATE dti.refresh_log SET periods = done_periods, failures = nullif(failed, '[]') WHERE id = run;
		IF own_transactions THEN
			COMMIT;
			PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
		END IF;
	END LOOP;

	-- Publish statistics with the results, so that the dashboards' and
	-- GIS clients' queries (and their row estimates) after a refresh are
	-- planned on the rows just written: after a run that recomputed a
	-- period whole and changed its ranks, or changed many rows (not after a
	-- few units' revision: the statistics would hardly move, and taking them
	-- costs more than the rest of such a run).
	IF n_ranks > 0 AND (cardinality(v_whole) > 0 OR n_ranks >= 10000) THEN
		PERFORM dti.analyze_results();
	END IF;
	DROP TABLE pg_temp.dti_refresh_plan;

	UPDATE dti.refresh_log
	SET ended_at = pg_catalog.clock_timestamp(),
		outcome = CASE WHEN jsonb_array_length(failed) > 0 THEN 'failed' ELSE 'ok' END,
		periods = done_periods,
		whole_periods = ARRAY(SELECT DISTINCT x FROM unnest(v_whole) x ORDER BY 1),
		pending_periods = nullif(pending, '{}'), scorecards = n_cards, ranks = n_ranks,
		failures = nullif(failed, '[]'),
		error = (SELECT string_agg(f->>'period' || ': ' || (f->>'message'), '; ') FROM jsonb_array_elements(failed) f),
		sqlstate = failed->0->>'sqlstate'
	WHERE id = run;
	IF own_transactions THEN
		COMMIT;
		PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
		PERFORM pg_advisory_unlock(lock_key);
	END IF;
	IF cardinality(pending) > 0 THEN
		RAISE NOTICE 'dti.refresh: locked periods left with queued changes: %', array_to_string(pending, ', ')
			USING HINT = 'dti.publish() announces a locked period again with its corrections; see dti.unpublished_change.';
	END IF;
	IF jsonb_array_length(failed) = 0 THEN
		PERFORM pg_catalog.set_config('search_path', saved_path, true);
	ELSE
		RAISE EXCEPTION 'dti.refresh: % of % periods failed (run %)', jsonb_array_length(failed),
				jsonb_array_length(failed) + cardinality(done_periods), run
			USING ERRCODE = failed->0->>'sqlstate',
				DETAIL = (SELECT string_agg(format('%s: %s (%s)', f->>'period', f->>'message', f->>'sqlstate'), E'\n')
						  FROM jsonb_array_elements(failed) f),
				HINT = CASE WHEN own_transactions
							THEN 'The other periods were committed; the failed ones keep their previous results and their queued changes. See dti.refresh_log.'
							ELSE 'Called inside a transaction block, the refresh runs in that transaction: it is rolled back with this error.' END;
	END IF;
END $$;
COMMENT ON PROCEDURE dti.refresh(text, integer) IS
	'Recomputes what changed since the last refresh (or the given period or framework, whole): one unit''s change re-scores that unit and re-ranks its period; periods of frameworks with relative rules are recomputed whole. Called at top level, each period is committed on its own, so readers see a period''s new results all at once and a failing period does not hold back the others; a run in which a period failed ends in an error after committing the rest. Locked (announced) periods keep their queued changes (reported as pending); a concurrent call exits with a notice; every run is logged in dti.refresh_log';

GRANT SELECT, INSERT, UPDATE, DELETE ON dti.result_leaf_range TO dti_admin;
SELECT pg_catalog.pg_extension_config_dump('dti.result_leaf_range', '');
COMMENT ON FUNCTION dti.analyze_results() IS
	'Internal: refreshes the planner statistics of the result tables (dti.result_scorecard, dti.result_rank) as their owner; called by dti.refresh() after a run that recomputed a period whole and changed its ranks, or changed many rows';
