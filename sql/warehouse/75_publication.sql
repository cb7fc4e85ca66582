-- Publication: dti.publish(period, level, note) announces the results of a
-- period and level.  It recomputes them from the current verified values
-- (so that what is announced is exactly what those values give), keeps a
-- copy of every scorecard and rank, records which revision of each value
-- was used, freezes the framework and locks the period.  While a period is
-- locked, dti.refresh() leaves its results (what readers see) as announced
-- and keeps later corrections queued: they are listed in
-- dti.unpublished_change and reach readers at the next dti.publish().
-- Periods never published are provisional: every refresh updates them.

CREATE SEQUENCE dti.publication_id_seq;
CREATE TABLE dti.publication (
	id bigint PRIMARY KEY DEFAULT nextval('dti.publication_id_seq'),
	period text NOT NULL REFERENCES dti.period (label),
	level text NOT NULL,
	framework_id integer NOT NULL REFERENCES dti.framework (id),
	note text NOT NULL,
	units integer NOT NULL,
	inputs integer NOT NULL,
	published_by name NOT NULL DEFAULT current_user,
	published_at timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE dti.publication_id_seq OWNED BY dti.publication.id;
CREATE INDEX ON dti.publication (period, level, id);
COMMENT ON SEQUENCE dti.publication_id_seq IS 'Identifiers of dti.publication';
COMMENT ON TABLE dti.publication IS
	'One row per announcement (dti.publish()): a period and level, the framework it used, who and when; the newest row of a period and level is what readers see';
COMMENT ON COLUMN dti.publication.units IS 'Scorecards announced';
COMMENT ON COLUMN dti.publication.inputs IS 'Verified revisions used (rows of dti.publication_input)';

CREATE TABLE dti.publication_input (
	publication_id bigint NOT NULL REFERENCES dti.publication (id),
	submission_id bigint NOT NULL REFERENCES dti.submission (id),
	PRIMARY KEY (publication_id, submission_id)
);
COMMENT ON TABLE dti.publication_input IS
	'The revision (dti.submission row) of every value an announcement used: with the framework, enough to compute it again exactly';

CREATE TABLE dti.publication_scorecard (
	publication_id bigint NOT NULL REFERENCES dti.publication (id),
	unit_id integer NOT NULL REFERENCES dti.unit (id),
	scorecard scorecard NOT NULL,
	root_value float8,
	PRIMARY KEY (publication_id, unit_id)
);
COMMENT ON TABLE dti.publication_scorecard IS 'The scorecards as announced, one per unit';

CREATE TABLE dti.publication_rank (
	publication_id bigint NOT NULL REFERENCES dti.publication (id),
	unit_id integer NOT NULL,
	code indicator_code NOT NULL,
	level integer NOT NULL,
	value float8,
	rank integer,
	group_rank integer,
	PRIMARY KEY (publication_id, unit_id, code)
);
COMMENT ON TABLE dti.publication_rank IS 'The ranks as announced (every ranked node of every unit)';

-- The queue rows a publication of a period and level answers: its units'
-- changes, and the period's whole-period rows when the level is the only
-- one submitted in it.
CREATE FUNCTION dti.publication_queue(period text, level text) RETURNS SETOF bigint
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT q.id FROM dti.refresh_queue q
	LEFT JOIN dti.unit u ON u.id = q.unit_id
	WHERE q.period = publication_queue.period
	  AND (u.level = publication_queue.level
		   OR (q.unit_id IS NULL AND NOT EXISTS (
				SELECT 1 FROM dti.submission s JOIN dti.unit u2 ON u2.id = s.unit_id
				WHERE s.period = publication_queue.period AND u2.level <> publication_queue.level)));
END;
COMMENT ON FUNCTION dti.publication_queue(text, text) IS
	'Internal to dti.publish(): the queued changes a publication of the period and level takes in';

CREATE FUNCTION dti.publish(period text, level text DEFAULT 'province', note text DEFAULT NULL)
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
COMMENT ON FUNCTION dti.publish(text, text, text) IS
	'Announces the results of a period and level: recomputes them from the current verified values, keeps a copy of every scorecard and rank with the revision of every value used (dti.publication*), freezes the framework and locks the period, so that readers see the announced results until the next dti.publish(); corrections made meanwhile wait in dti.unpublished_change; returns the publication id';

-- Verified values that differ from what the newest announcement used.
CREATE VIEW dti.unpublished_change AS
WITH newest AS (
	SELECT DISTINCT ON (a.period, a.level) a.id, a.period, a.level, a.published_at
	FROM dti.publication a ORDER BY a.period, a.level, a.id DESC
), used AS (
	SELECT n.id AS publication_id, n.period, n.level, s.unit_id, s.indicator, s.id AS submission_id, s.raw_value
	FROM newest n
	JOIN dti.publication_input i ON i.publication_id = n.id
	JOIN dti.submission s ON s.id = i.submission_id
), now_verified AS (
	SELECT n.id AS publication_id, n.period, n.level, c.unit_id, c.indicator, c.submission_id, c.raw_value
	FROM newest n
	JOIN dti.current_value c ON c.period = n.period
	JOIN dti.unit u ON u.id = c.unit_id AND u.level = n.level
	JOIN dti.publication pb ON pb.id = n.id
	WHERE EXISTS (SELECT 1 FROM dti.framework_indicator fi WHERE fi.framework_id = pb.framework_id AND fi.code = c.indicator)
)
SELECT coalesce(v.period, o.period) AS period,
	   coalesce(v.level, o.level) AS level,
	   un.code AS unit_code,
	   un.name_vi AS unit,
	   coalesce(v.indicator, o.indicator)::text AS code,
	   o.raw_value AS published_value,
	   v.raw_value AS current_value,
	   o.submission_id AS published_revision,
	   v.submission_id AS current_revision,
	   coalesce(v.publication_id, o.publication_id) AS publication
FROM now_verified v
FULL JOIN used o ON o.publication_id = v.publication_id AND o.unit_id = v.unit_id AND o.indicator = v.indicator
JOIN dti.unit un ON un.id = coalesce(v.unit_id, o.unit_id)
WHERE v.submission_id IS DISTINCT FROM o.submission_id;
COMMENT ON VIEW dti.unpublished_change IS
	'Values whose current verified revision differs from the one the newest announcement of their period and level used (a correction, a new value, or a value no longer verified): they reach readers at the next dti.publish()';

-- What readers see of each period and level, and what waits.
CREATE VIEW dti.publication_status AS
SELECT x.period, x.level,
	   f.code AS framework, f.version AS framework_version,
	   CASE WHEN p.id IS NULL THEN 'provisional'
			WHEN l.period IS NULL THEN 'open'
			ELSE 'announced' END AS status,
	   p.id AS publication,
	   p.published_at,
	   p.note,
	   (SELECT count(*) FROM dti.publication a WHERE a.period = x.period AND a.level = x.level)::integer AS publications,
	   -- announced or open: values whose current verified revision is not the
	   -- one the announcement used; provisional: units with queued changes
	   CASE WHEN p.id IS NOT NULL THEN
			(SELECT count(*) FROM dti.unpublished_change c WHERE c.period = x.period AND c.level = x.level)
			ELSE (SELECT count(DISTINCT coalesce(q.unit_id, 0)) FROM dti.refresh_queue q LEFT JOIN dti.unit u ON u.id = q.unit_id
				  WHERE q.period = x.period AND (u.level = x.level OR q.unit_id IS NULL)) END::integer AS pending_changes
FROM (SELECT DISTINCT r.period, u.level, r.framework_id FROM dti.result_scorecard r JOIN dti.unit u ON u.id = r.unit_id
	  UNION
	  -- a period announced whose results were since replaced
	  SELECT a.period, a.level, a.framework_id FROM dti.publication a
	  WHERE NOT EXISTS (SELECT 1 FROM dti.result_scorecard r JOIN dti.unit u ON u.id = r.unit_id
						WHERE r.period = a.period AND u.level = a.level)) x
JOIN dti.framework f ON f.id = x.framework_id
LEFT JOIN LATERAL (SELECT a.* FROM dti.publication a WHERE a.period = x.period AND a.level = x.level
				   ORDER BY a.id DESC LIMIT 1) p ON true
LEFT JOIN dti.period_lock l ON l.period = x.period;
COMMENT ON VIEW dti.publication_status IS
	'Per period and level with results: provisional (never published: each refresh updates it), announced (published and locked: readers see the newest publication) or open (published, then unlocked: each refresh updates it again), the newest publication, and what waits: for a published period the values whose current verified revision differs from the one it used, for a provisional one the units with queued changes';
COMMENT ON COLUMN dti.publication_status.period IS 'Assessment period (2024, 2024-Q1, 2024-03)';
COMMENT ON COLUMN dti.publication_status.level IS 'Level of the units: province, ministry, nation or commune';
COMMENT ON COLUMN dti.publication_status.framework IS 'Framework code of the results (or of the newest publication where the results were since replaced)';
COMMENT ON COLUMN dti.publication_status.framework_version IS 'Framework version';
COMMENT ON COLUMN dti.publication_status.status IS 'provisional (never published), announced (published and locked) or open (published, then unlocked)';
COMMENT ON COLUMN dti.publication_status.publication IS 'Id of the newest publication (dti.publication), if any';
COMMENT ON COLUMN dti.publication_status.published_at IS 'When the newest publication was made';
COMMENT ON COLUMN dti.publication_status.note IS 'Note of the newest publication';
COMMENT ON COLUMN dti.publication_status.publications IS 'How many times the period and level were published';
COMMENT ON COLUMN dti.publication_status.pending_changes IS 'Published: values whose current verified revision differs from the one the newest publication used; provisional: units with changes queued for the next refresh';

-- The published view of verified values shows, for an announced period,
-- the revisions its announcement used (later corrections wait for the next
-- one, as in every other view readers have).
CREATE OR REPLACE VIEW dti."giá_trị_đã_xác_minh" AS
WITH revision AS (
	SELECT s.id, s.unit_id, s.period, s.indicator, s.raw_value, s.value,
		   row_number() OVER (PARTITION BY s.unit_id, s.period, s.indicator ORDER BY s.id) AS revision,
		   coalesce(st.status, s.status) AS status, st.changed_by, st.changed_at
	FROM dti.submission s
	LEFT JOIN LATERAL (
		SELECT t.status, t.changed_by, t.changed_at FROM dti.submission_status t
		WHERE t.submission_id = s.id ORDER BY t.id DESC LIMIT 1) st ON true
), announced AS (
	SELECT DISTINCT ON (a.period, a.level) a.id, a.period, a.level
	FROM dti.publication a JOIN dti.period_lock l ON l.period = a.period
	ORDER BY a.period, a.level, a.id DESC
)
SELECT DISTINCT ON (r.unit_id, r.period, r.indicator)
	   u.code AS "mã_đơn_vị", u.name_vi AS "tên_đơn_vị", r.period AS "kỳ", p.year AS "năm",
	   r.indicator::text AS "mã_chỉ_số", r.raw_value AS "giá_trị_gốc", r.value AS "giá_trị",
	   r.revision::integer AS "lần_sửa", r.changed_by::text AS "người_xác_minh", r.changed_at AS "thời_điểm_xác_minh"
FROM revision r
JOIN dti.unit u ON u.id = r.unit_id
JOIN dti.period p ON p.label = r.period
LEFT JOIN announced an ON an.period = r.period AND an.level = u.level
WHERE CASE WHEN an.id IS NULL THEN r.status = 'verified'
		   ELSE EXISTS (SELECT 1 FROM dti.publication_input i WHERE i.publication_id = an.id AND i.submission_id = r.id) END
ORDER BY r.unit_id, r.period, r.indicator, r.id DESC;
COMMENT ON VIEW dti."giá_trị_đã_xác_minh" IS 'Published: the verified value of every unit, period and indicator; for an announced period the one its announcement used';

REVOKE EXECUTE ON FUNCTION dti.publish(text, text, text), dti.publication_queue(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.publish(text, text, text), dti.publication_queue(text, text) TO dti_admin;
-- the record of announcements is written by dti.publish() only
GRANT SELECT ON dti.publication, dti.publication_input, dti.publication_scorecard, dti.publication_rank TO dti_admin;
GRANT SELECT ON dti.publication_status TO dti_admin, dti_verifier, dti_reader;
-- unpublished values are not for readers
GRANT SELECT ON dti.unpublished_change TO dti_admin, dti_verifier;
-- dti.refresh() turns "everything" queue rows into one row per period
GRANT INSERT ON dti.refresh_queue TO dti_admin;
GRANT USAGE ON SEQUENCE dti.refresh_queue_id_seq TO dti_admin;
REVOKE EXECUTE ON FUNCTION dti.refresh_plan(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.refresh_plan(text, integer) TO dti_admin;

SELECT pg_catalog.pg_extension_config_dump('dti.publication', '');
SELECT pg_catalog.pg_extension_config_dump('dti.publication_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.publication_input', '');
SELECT pg_catalog.pg_extension_config_dump('dti.publication_scorecard', '');
SELECT pg_catalog.pg_extension_config_dump('dti.publication_rank', '');
