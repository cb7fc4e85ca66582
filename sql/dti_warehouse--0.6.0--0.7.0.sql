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
