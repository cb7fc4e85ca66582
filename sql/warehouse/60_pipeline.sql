-- The scoring pipeline: current verified values -> leaf scores (each leaf's
-- scoring_rule; relative rules with the statistics of their indicator and
-- period) -> one scorecard per unit and period (rollup over the compiled
-- framework) -> ranks of every inner node at the published precision.
-- Results are published by dti.refresh() (70_refresh.sql).

------------------------------------------------------------------------------
-- Frameworks as trees for rollup()
------------------------------------------------------------------------------

-- The method of the core's rollup() for an aggregation name of the warehouse.
CREATE FUNCTION dti.rollup_method(aggregation text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE aggregation
		WHEN 'sum_points' THEN 'points'
		WHEN 'weighted_mean' THEN 'amean'
		WHEN 'mean' THEN 'amean'
		WHEN 'geometric_mean' THEN 'gmean'
		WHEN 'harmonic_mean' THEN 'hmean'
	END;
END;
COMMENT ON FUNCTION dti.rollup_method(text) IS
	'The rollup() method (points, amean, gmean, hmean) of a warehouse aggregation name';

-- The compiled tree of a framework: its indicators under a root named DTI
-- (the index).  A node's parent is parent(code) when that is an indicator of
-- the framework, else the root.  Unscored nodes count 0 in their parent;
-- an inner node without max points under a points parent gets the sum of
-- its children's; children of a "mean" node have equal weights.
-- The core's type "framework" is shadowed here by the row type of the table
-- dti.framework, so the function is created with the core's schema spelled
-- out (the core is relocatable; this finds where it was installed).
DO $do$
DECLARE
	core text := (SELECT quote_ident(n.nspname) FROM pg_catalog.pg_extension e
				  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'dti');
BEGIN
	EXECUTE format($fn$CREATE FUNCTION dti.framework_tree(framework_id integer) RETURNS %s
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	WITH f AS (
		SELECT * FROM dti.framework WHERE id = framework_tree.framework_id
	), node AS (
		SELECT i.code,
			   CASE WHEN p.code IS NULL THEN 'DTI'::indicator_code ELSE p.code END AS parent,
			   coalesce(p.aggregation, f.aggregation) AS parent_aggregation,
			   i.max_points, i.weight, i.scored, i.aggregation,
			   EXISTS (SELECT 1 FROM dti.framework_indicator c
					   WHERE c.framework_id = i.framework_id AND parent(c.code) = i.code) AS inner_node
		FROM f
		JOIN dti.framework_indicator i ON i.framework_id = f.id
		LEFT JOIN dti.framework_indicator p ON p.framework_id = i.framework_id AND p.code = parent(i.code)
	)
	SELECT %s.framework_compile(
		'DTI'::indicator_code || array_agg(n.code ORDER BY n.code),
		NULL::indicator_code || array_agg(n.parent ORDER BY n.code),
		(SELECT f.max_points FROM f) || array_agg(
			CASE WHEN NOT n.scored THEN 0
				 WHEN n.inner_node AND n.max_points = 0 THEN NULL
				 ELSE n.max_points END ORDER BY n.code),
		NULL::float8 || array_agg(
			CASE WHEN NOT n.scored THEN 0
				 WHEN n.parent_aggregation = 'mean' THEN 1
				 WHEN n.inner_node AND n.max_points = 0 THEN coalesce(n.weight, 1)
				 ELSE n.weight END ORDER BY n.code),
		(SELECT dti.rollup_method(f.aggregation) FROM f) || array_agg(
			CASE WHEN n.inner_node THEN dti.rollup_method(n.aggregation) END ORDER BY n.code))
	FROM node n;
END;$fn$, core || '.framework', core);
END $do$;
COMMENT ON FUNCTION dti.framework_tree(integer) IS
	'The framework (indicator tree under a root named DTI) that rollup() evaluates for a warehouse framework';

-- Does a framework score any leaf relative to the other units (so that a
-- change to one unit changes every unit's scores)?
CREATE FUNCTION dti.framework_is_relative(framework_id integer) RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT EXISTS (
		SELECT 1 FROM dti.framework_indicator i
		WHERE i.framework_id = framework_is_relative.framework_id
		  AND scoring_rule_kind(i.rule) IN ('best', 'minmax', 'zscore', 'rank', 'prank', 'borda'));
END;
COMMENT ON FUNCTION dti.framework_is_relative(integer) IS
	'True when some leaf of the framework is scored relative to the other units (best, minmax, zscore, rank, prank, borda)';

-- The previous period of the same kind: 2023 for 2024, 2024-Q4 for 2025-Q1,
-- 2024-12 for 2025-01.
CREATE FUNCTION dti.previous_period(label text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE dti.period_kind(label)
		WHEN 'year' THEN (substr(label, 1, 4)::integer - 1)::text
		WHEN 'quarter' THEN to_char(dti.period_start(label) - interval '3 months', 'YYYY') || '-Q'
			|| extract(quarter FROM dti.period_start(label) - interval '3 months')
		WHEN 'month' THEN to_char(dti.period_start(label) - interval '1 month', 'YYYY-MM')
	END;
END;
COMMENT ON FUNCTION dti.previous_period(text) IS 'The period before a period, of the same kind';

-- The periods that have submissions, read from the period index one
-- distinct value at a time (a few index probes instead of a scan).
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

------------------------------------------------------------------------------
-- Inputs: current verified values
------------------------------------------------------------------------------

-- The pipeline reads one period at a time.
CREATE INDEX submission_period_idx ON dti.submission (period, unit_id, indicator, id);

-- The current verified value of every (period, unit, indicator): the
-- newest revision whose newest status is verified.  Resolving revisions and
-- statuses over the whole history costs one status lookup per submission,
-- so the result is kept in a table, brought up to date by a trigger on
-- status changes (the only events that change it: a new revision counts
-- once verified), and read a period at a time by its primary key.
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
-- Derived rows are not dumped (WHERE false): restoring the statuses fires
-- the trigger below, which computes them again.
SELECT pg_catalog.pg_extension_config_dump('dti.current_value', 'WHERE false');

-- Revisions whose newest status is verified.
CREATE VIEW dti.verified_revision WITH (security_invoker = true) AS
SELECT s.id, s.period, s.unit_id, s.indicator, s.raw_value, s.value
FROM dti.submission s
JOIN LATERAL (
	SELECT t.status FROM dti.submission_status t
	WHERE t.submission_id = s.id ORDER BY t.id DESC LIMIT 1) st ON true
WHERE st.status = 'verified';
COMMENT ON VIEW dti.verified_revision IS
	'Internal: the revisions whose newest status is verified (the newest of them per unit, period and indicator is current)';

-- The current verified revisions of the given (period, unit, indicator)
-- keys, resolved from the history.
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
CREATE FUNCTION dti.apply_status_events() RETURNS trigger
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
COMMENT ON FUNCTION dti.apply_status_events() IS
	'Trigger function: checks new status events (their revision exists, the workflow allows them), brings dti.current_value up to date for their units, periods and indicators and queues their units and periods for dti.refresh(), once per statement';
-- A trigger function runs without an EXECUTE check; nobody calls it directly.
REVOKE EXECUTE ON FUNCTION dti.apply_status_events() FROM PUBLIC;
CREATE TRIGGER submission_status_apply AFTER INSERT ON dti.submission_status
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dti.apply_status_events();

-- Recompute the whole table from the history.
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

-- The current verified value of each indicator of the given units (all
-- units when unit_ids is NULL) in one period.
CREATE FUNCTION dti.verified_values(period text, unit_ids integer[] DEFAULT NULL)
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

------------------------------------------------------------------------------
-- Results
------------------------------------------------------------------------------

CREATE TABLE dti.result_scorecard (
	period text NOT NULL,
	unit_id integer NOT NULL REFERENCES dti.unit (id),
	framework_id integer NOT NULL REFERENCES dti.framework (id),
	scorecard scorecard NOT NULL,
	root_value float8,
	run_id bigint NOT NULL,
	PRIMARY KEY (period, unit_id)
);
CREATE INDEX ON dti.result_scorecard (unit_id, period);
COMMENT ON TABLE dti.result_scorecard IS
	'Published scorecards: one per unit and period, written by dti.refresh() only';
COMMENT ON COLUMN dti.result_scorecard.scorecard IS 'The whole index tree of the unit (see scorecard_nodes())';
COMMENT ON COLUMN dti.result_scorecard.root_value IS 'The index value, unrounded';
COMMENT ON COLUMN dti.result_scorecard.run_id IS 'The refresh run that wrote the row (dti.refresh_log)';

-- Derived rows written only by dti.refresh() from the scorecards (which
-- reference their unit and framework): no foreign keys of their own, whose
-- checks would cost more than writing the rows.  One index besides a small
-- one of the index's ranks: the primary key, keyed node first (period,
-- code, unit), which serves the lookups of one unit's node (what the BI
-- views read: period, unit and code are known), the ranks of one node in one
-- period (the rankings, and what re-ranking after a revision reads), and a
-- refresh writing a whole period in key order, node after node (every entry
-- appended, the pages filled).  A second index keyed unit first cost a
-- whole period's refresh more than its rows (written out of its order, each
-- row went to another page), and an index keyed on the values more still.
CREATE TABLE dti.result_rank (
	period text NOT NULL,
	unit_id integer NOT NULL,
	framework_id integer NOT NULL,
	code indicator_code NOT NULL,
	level integer NOT NULL,
	value float8,
	rank integer,
	group_rank integer,
	PRIMARY KEY (period, code, unit_id)
);
-- the rankings of the index (top N of a period, in rank order)
CREATE INDEX result_rank_rank_idx ON dti.result_rank (period, rank) WHERE code = 'DTI';
COMMENT ON TABLE dti.result_rank IS
	'Published ranks of the index and of every inner node and main indicator per unit and period, written by dti.refresh() only';
COMMENT ON COLUMN dti.result_rank.rank IS
	'Competition rank ("1224") among the units of the period and framework, on the value rounded to 4 decimals, highest first; NULL when the value is NULL';
COMMENT ON COLUMN dti.result_rank.group_rank IS
	'The same rank within the unit''s parent group: its socio-economic region (provinces) or its ministry group (ministries)';

-- Score the leaves of the given units (all when NULL) in one period and
-- write their scorecards.  Relative rules see every unit of the period, so
-- callers pass NULL for frameworks with relative rules.  The leaves and
-- their rules go to a small analysed temporary table first, so that the
-- planner joins them to the period's values by hashing; the statistics of
-- relative rules are computed (a window over the period) only when the
-- framework has such rules.  JIT is off: the work is in the C functions.
CREATE FUNCTION dti.compute_scorecards(period text, framework_id integer, unit_ids integer[], run_id bigint)
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

-- The ranked nodes of one period and framework, ranked from the published
-- scorecards: every inner node and every main indicator of every unit,
-- at the published 4 decimals (rank_rounded, the core's competition rank
-- of rounded values), nationally and within the unit's parent group.
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
		CROSS JOIN LATERAL scorecard_nodes(r.scorecard, 2) n
		WHERE r.period = ranked_nodes.period AND r.framework_id = ranked_nodes.framework_id
	) x;
END;
COMMENT ON FUNCTION dti.ranked_nodes(text, integer) IS
	'Internal to dti.refresh(): every inner node and main indicator of the published scorecards of one period and framework, with its national and group rank';

-- Rank every inner node (and every main indicator) of every unit of one
-- period and framework, at the published 4 decimals (rank_rounded, the
-- core's competition rank of rounded values).  Only rows whose rank or value
-- changed are written, so that a change to one unit touches few rows.
--
-- When a few units changed, their ranks are kept up to date without
-- re-ranking the period: a competition rank is one more than the number of
-- greater keys (round_decimal(value, 4)), so a unit whose key moves from k
-- to k' moves every other unit whose key lies between them by one place,
-- and its own rank is counted from the keys above k'.  Both searches read
-- the node's rows of the period (a range of the primary key, filtered on
-- the values: a key is within 0.5e-4 of its value).  Many changed units, or
-- none given, re-rank the whole period with the window function.
CREATE FUNCTION dti.compute_ranks(period text, framework_id integer, changed_units integer[] DEFAULT NULL)
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
COMMENT ON FUNCTION dti.compute_ranks(text, integer, integer[]) IS
	'Internal to dti.refresh(): ranks every inner node and main indicator of one period and framework; with a few changed units, moves the others between their old and new values by one place instead of re-ranking the period; writes only the rows that changed';
