-- Periods, frameworks with their indicator trees, the framework used per
-- level and year, mappings between framework versions, national targets.

------------------------------------------------------------------------------
-- Periods
------------------------------------------------------------------------------

CREATE FUNCTION dti.period_kind(label text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE
		WHEN label ~ '^[0-9]{4}$' THEN 'year'
		WHEN label ~ '^[0-9]{4}-Q[1-4]$' THEN 'quarter'
		WHEN label ~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN 'month'
	END;
END;
COMMENT ON FUNCTION dti.period_kind(text) IS
	'year, quarter or month for a period label of the form 2024, 2024-Q1 or 2024-03; NULL for anything else';

CREATE FUNCTION dti.period_start(label text) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT CASE dti.period_kind(label)
		WHEN 'year' THEN make_date(substr(label, 1, 4)::integer, 1, 1)
		WHEN 'quarter' THEN make_date(substr(label, 1, 4)::integer, 3 * substr(label, 7, 1)::integer - 2, 1)
		WHEN 'month' THEN make_date(substr(label, 1, 4)::integer, substr(label, 6, 2)::integer, 1)
	END;
END;
COMMENT ON FUNCTION dti.period_start(text) IS 'First day of a period given by its label';

CREATE FUNCTION dti.period_end(label text) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT (dti.period_start(label) + CASE dti.period_kind(label)
		WHEN 'year' THEN 12 WHEN 'quarter' THEN 3 ELSE 1 END * interval '1 month'
		- interval '1 day')::date;
END;
COMMENT ON FUNCTION dti.period_end(text) IS 'Last day of a period given by its label';

CREATE TABLE dti.period (
	label text PRIMARY KEY CHECK (dti.period_kind(label) IS NOT NULL),
	kind text GENERATED ALWAYS AS (dti.period_kind(label)) STORED,
	year integer GENERATED ALWAYS AS (substr(label, 1, 4)::integer) STORED,
	starts date GENERATED ALWAYS AS (dti.period_start(label)) STORED,
	ends date GENERATED ALWAYS AS (dti.period_end(label)) STORED,
	shipped boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE dti.period IS
	'Assessment periods: years (2024), quarters (2024-Q1), months (2024-03). 2015 to 2035 are shipped; add others with INSERT INTO dti.period (label)';
COMMENT ON COLUMN dti.period.label IS 'The period as written in loads: 2024, 2024-Q1 or 2024-03';
COMMENT ON COLUMN dti.period.year IS 'The calendar year, which selects the framework';
COMMENT ON COLUMN dti.period.ends IS 'Last day; a unit belongs to a period when it is valid on this day';

INSERT INTO dti.period (label, shipped)
SELECT y::text, true FROM generate_series(2015, 2035) AS y
UNION ALL
SELECT y || '-Q' || q, true FROM generate_series(2015, 2035) AS y, generate_series(1, 4) AS q
UNION ALL
SELECT y || '-' || lpad(m::text, 2, '0'), true FROM generate_series(2015, 2035) AS y, generate_series(1, 12) AS m;

------------------------------------------------------------------------------
-- Frameworks
------------------------------------------------------------------------------

CREATE SEQUENCE dti.framework_id_seq AS integer;
COMMENT ON SEQUENCE dti.framework_id_seq IS 'Identifiers of dti.framework';

CREATE TABLE dti.framework (
	id integer PRIMARY KEY DEFAULT nextval('dti.framework_id_seq'),
	code text NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]+$'),
	version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
	level text NOT NULL CHECK (level IN ('nation', 'province', 'ministry', 'commune')),
	decision text,
	title_vi text NOT NULL,
	title_en text,
	aggregation text NOT NULL DEFAULT 'sum_points'
		CHECK (aggregation IN ('sum_points', 'weighted_mean', 'mean', 'geometric_mean', 'harmonic_mean')),
	max_points float8 CHECK (max_points >= 0),
	supersedes integer REFERENCES dti.framework (id),
	created_by name NOT NULL DEFAULT current_user,
	created_at timestamptz NOT NULL DEFAULT now(),
	note text,
	shipped boolean NOT NULL DEFAULT false,
	UNIQUE (code, version)
);
ALTER SEQUENCE dti.framework_id_seq OWNED BY dti.framework.id;
COMMENT ON TABLE dti.framework IS
	'An assessment framework (e.g. Decision 922/QĐ-BTTTT for provinces) in one version; a frozen framework (used by a published ranking) never changes: changing it means a new version (dti.new_framework_version)';
COMMENT ON COLUMN dti.framework.code IS 'Short name shared by all versions, e.g. 922-province';
COMMENT ON COLUMN dti.framework.level IS 'The unit level it assesses: province, ministry, nation or commune';
COMMENT ON COLUMN dti.framework.aggregation IS 'How the index is computed from the top-level indicators: sum_points (points / max points), weighted_mean, mean, geometric_mean, harmonic_mean';
COMMENT ON COLUMN dti.framework.max_points IS 'Total points of the framework (1,000 under Decision 922)';
COMMENT ON COLUMN dti.framework.supersedes IS 'The version this one was copied from';

CREATE TABLE dti.framework_indicator (
	framework_id integer NOT NULL DEFAULT nullif(current_setting('dti.framework_id', true), '')::integer
		REFERENCES dti.framework (id),
	code indicator_code NOT NULL,
	name_vi text NOT NULL CHECK (name_vi = normalize(name_vi, NFC)),
	name_en text,
	group_name text,
	max_points float8 NOT NULL DEFAULT 0 CHECK (max_points >= 0 AND max_points < 'infinity'),
	weight float8 CHECK (weight >= 0 AND weight < 'infinity'),
	rule scoring_rule,
	aggregation text NOT NULL DEFAULT 'sum_points'
		CHECK (aggregation IN ('sum_points', 'weighted_mean', 'mean', 'geometric_mean', 'harmonic_mean')),
	unit_of_measure text,
	value_min float8,
	value_max float8,
	scored boolean NOT NULL DEFAULT true,
	n_components integer CHECK (n_components >= 0),
	PRIMARY KEY (framework_id, code),
	CHECK (value_min IS NULL OR value_max IS NULL OR value_min <= value_max)
);
COMMENT ON TABLE dti.framework_indicator IS
	'The indicator tree of a framework: one row per node (main indicator, component, criterion), identified by its indicator_code; leaves carry the scoring_rule that turns a submitted raw value into a fraction of max_points';
COMMENT ON COLUMN dti.framework_indicator.framework_id IS 'The framework; defaults to the one dti.create_framework() created in this transaction, so that COPY needs no id column';
COMMENT ON COLUMN dti.framework_indicator.code IS 'Hierarchical code (NT, CQS.3, CQS.3.2); the parent of a node is parent(code)';
COMMENT ON COLUMN dti.framework_indicator.group_name IS 'Optional grouping (foundation, activity under Decision 922)';
COMMENT ON COLUMN dti.framework_indicator.max_points IS 'Maximum points of the node (0 for a node that is reported but not scored)';
COMMENT ON COLUMN dti.framework_indicator.weight IS 'Weight among its siblings for weighted means; NULL means proportional to max_points';
COMMENT ON COLUMN dti.framework_indicator.rule IS 'Scoring rule of a leaf (grade rules take text grades, every other rule a number); NULL: the submitted value is a number used as it is';
COMMENT ON COLUMN dti.framework_indicator.aggregation IS 'How a node aggregates its children: sum_points, weighted_mean, mean, geometric_mean, harmonic_mean';
COMMENT ON COLUMN dti.framework_indicator.unit_of_measure IS 'Unit of the raw value (percent, count, yes/no, grade, ...)';
COMMENT ON COLUMN dti.framework_indicator.value_min IS 'Smallest allowed raw numeric value (NULL: no bound); loads reject values below';
COMMENT ON COLUMN dti.framework_indicator.value_max IS 'Largest allowed raw numeric value (NULL: no bound); loads reject values above';
COMMENT ON COLUMN dti.framework_indicator.scored IS 'False for nodes that are reported but carry no points (smart city under Decision 922)';
COMMENT ON COLUMN dti.framework_indicator.n_components IS 'Number of component indicators the decision lists under the node, when known';

CREATE TABLE dti.frozen_framework (
	framework_id integer PRIMARY KEY REFERENCES dti.framework (id),
	frozen_by name NOT NULL DEFAULT current_user,
	frozen_at timestamptz NOT NULL DEFAULT now(),
	reason text NOT NULL
);
COMMENT ON TABLE dti.frozen_framework IS
	'Frameworks used by a published result: a frozen framework and its indicators are read-only (changing them means a new version); rows are never removed';

-- A frozen framework and its indicators are read-only.
CREATE FUNCTION dti.framework_guard() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	fw_id integer;
	fw dti.framework;
	fz dti.frozen_framework;
BEGIN
	IF TG_TABLE_NAME = 'framework' THEN
		fw_id := OLD.id;
	ELSIF TG_OP = 'INSERT' THEN
		fw_id := NEW.framework_id;
		IF fw_id IS NULL THEN
			RAISE EXCEPTION 'indicator "%" has no framework', NEW.code
				USING ERRCODE = 'not_null_violation',
					DETAIL = 'framework_id was not given, and dti.create_framework() was not called in this transaction.',
					HINT = 'Call dti.create_framework() in the same transaction as the COPY or INSERT, or give framework_id.';
		END IF;
	ELSE
		fw_id := OLD.framework_id;
		IF TG_OP = 'UPDATE' AND NEW.framework_id <> OLD.framework_id
		   AND EXISTS (SELECT 1 FROM dti.frozen_framework z WHERE z.framework_id = NEW.framework_id) THEN
			fw_id := NEW.framework_id;
		END IF;
	END IF;
	SELECT * INTO fz FROM dti.frozen_framework z WHERE z.framework_id = fw_id;
	IF NOT FOUND THEN
		RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
	END IF;
	SELECT * INTO fw FROM dti.framework f WHERE f.id = fw_id;
	RAISE EXCEPTION 'framework % version % is frozen', fw.code, fw.version
		USING ERRCODE = 'object_not_in_prerequisite_state',
			DETAIL = format('It was frozen at %s by %s (%s); %s on %I is refused.',
				fz.frozen_at, fz.frozen_by, fz.reason, TG_OP, TG_TABLE_NAME),
			HINT = format('Create a new version with SELECT dti.new_framework_version(%s) and change that one.', fw.id);
END $$;
COMMENT ON FUNCTION dti.framework_guard() IS
	'Trigger function: refuses changes to a frozen framework and to its indicators';
CREATE TRIGGER framework_guard BEFORE UPDATE OR DELETE ON dti.framework
	FOR EACH ROW EXECUTE FUNCTION dti.framework_guard();
CREATE TRIGGER framework_indicator_guard BEFORE INSERT OR UPDATE OR DELETE ON dti.framework_indicator
	FOR EACH ROW EXECUTE FUNCTION dti.framework_guard();
CREATE TRIGGER frozen_framework_append_only BEFORE UPDATE OR DELETE ON dti.frozen_framework
	FOR EACH ROW EXECUTE FUNCTION dti.forbid_change();

-- An indicator's parent (its code without the last part) must be an
-- indicator of the same framework, and an indicator removed (deleted, or
-- recoded or moved to another framework) must not leave children behind.
-- Checked at commit, so that the rows of a framework may arrive in any
-- order (COPY of a CSV file); like a foreign key, a check looks at the rows
-- as they are at commit, so a row corrected later in the transaction is
-- judged in its final form.
CREATE FUNCTION dti.framework_indicator_parent_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	fw record;
	child indicator_code;
BEGIN
	-- the old key is gone: no child may still point to it
	IF TG_OP IN ('DELETE', 'UPDATE')
	   AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator x
					   WHERE x.framework_id = OLD.framework_id AND x.code = OLD.code) THEN
		SELECT c.code INTO child FROM dti.framework_indicator c
		WHERE c.framework_id = OLD.framework_id AND parent(c.code) = OLD.code LIMIT 1;
		IF FOUND THEN
			SELECT f.code, f.version INTO fw FROM dti.framework f WHERE f.id = OLD.framework_id;
			RAISE EXCEPTION 'indicator "%" of framework % version % was removed, but its child "%" was not',
				OLD.code, fw.code, fw.version, child
				USING ERRCODE = 'foreign_key_violation',
					HINT = 'Remove or recode its children in the same transaction, or keep it.';
		END IF;
	END IF;
	-- the new key, if it is still there, needs its parent
	IF TG_OP IN ('INSERT', 'UPDATE') AND nlevel(NEW.code) > 1
	   AND EXISTS (SELECT 1 FROM dti.framework_indicator x
				   WHERE x.framework_id = NEW.framework_id AND x.code = NEW.code)
	   AND NOT EXISTS (SELECT 1 FROM dti.framework_indicator p
					   WHERE p.framework_id = NEW.framework_id AND p.code = parent(NEW.code)) THEN
		SELECT f.code, f.version INTO fw FROM dti.framework f WHERE f.id = NEW.framework_id;
		RAISE EXCEPTION 'indicator "%" of framework % version % has no parent "%"',
			NEW.code, fw.code, fw.version, parent(NEW.code)
			USING ERRCODE = 'foreign_key_violation',
				DETAIL = 'The parent of an indicator is its code without the last part; it must be an indicator of the same framework.',
				HINT = 'Add the parent indicator in the same transaction, or correct the code.';
	END IF;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION dti.framework_indicator_parent_check() IS
	'Trigger function: an indicator''s parent must be in its framework, and a removed indicator must not leave children (checked at commit)';
CREATE CONSTRAINT TRIGGER framework_indicator_parent
	AFTER INSERT OR DELETE OR UPDATE OF framework_id, code ON dti.framework_indicator
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dti.framework_indicator_parent_check();

CREATE SEQUENCE dti.framework_use_id_seq AS integer;
COMMENT ON SEQUENCE dti.framework_use_id_seq IS 'Identifiers of dti.framework_use';

CREATE TABLE dti.framework_use (
	id integer PRIMARY KEY DEFAULT nextval('dti.framework_use_id_seq'),
	level text NOT NULL CHECK (level IN ('nation', 'province', 'ministry', 'commune')),
	year integer NOT NULL CHECK (year BETWEEN 1900 AND 2999),
	framework_id integer NOT NULL REFERENCES dti.framework (id),
	assigned_by name NOT NULL DEFAULT current_user,
	assigned_at timestamptz NOT NULL DEFAULT now(),
	shipped boolean NOT NULL DEFAULT false
);
ALTER SEQUENCE dti.framework_use_id_seq OWNED BY dti.framework_use.id;
CREATE INDEX ON dti.framework_use (level, year, id);
COMMENT ON TABLE dti.framework_use IS
	'Which framework assesses each level in each year, as a history: the newest row for a level and year wins (see dti.framework_in_use); rows are never changed';

CREATE VIEW dti.framework_in_use AS
SELECT DISTINCT ON (u.level, u.year) u.level, u.year, u.framework_id, f.code, f.version, u.assigned_by, u.assigned_at
FROM dti.framework_use u JOIN dti.framework f ON f.id = u.framework_id
ORDER BY u.level, u.year, u.id DESC;
COMMENT ON VIEW dti.framework_in_use IS
	'The framework that assesses each level in each year (Decision 922 for provinces in 2021-2023); submissions are validated against it';

CREATE FUNCTION dti.framework_use_check() RETURNS trigger
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM dti.framework f WHERE f.id = NEW.framework_id AND f.level = NEW.level) THEN
		RAISE EXCEPTION 'framework % does not assess level %', NEW.framework_id, NEW.level
			USING ERRCODE = 'check_violation',
				DETAIL = 'dti.framework_use must name a framework of the same level.',
				HINT = 'Pick a framework whose level column matches.';
	END IF;
	RETURN NEW;
END $$;
COMMENT ON FUNCTION dti.framework_use_check() IS 'Trigger function: a framework is used only for its own level';
CREATE TRIGGER framework_use_check BEFORE INSERT ON dti.framework_use
	FOR EACH ROW EXECUTE FUNCTION dti.framework_use_check();
CREATE TRIGGER framework_use_append_only BEFORE UPDATE OR DELETE ON dti.framework_use
	FOR EACH ROW EXECUTE FUNCTION dti.forbid_change();

CREATE FUNCTION dti.create_framework(code text, level text, years integer[], title_vi text,
									 decision text DEFAULT NULL, title_en text DEFAULT NULL,
									 max_points float8 DEFAULT NULL,
									 aggregation text DEFAULT 'sum_points')
RETURNS integer
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	new_id integer;
	new_version integer;
BEGIN
	IF create_framework.level IS NULL OR create_framework.level <> ALL (ARRAY['nation', 'province', 'ministry', 'commune']) THEN
		RAISE EXCEPTION 'unknown unit level "%"', create_framework.level
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'A framework assesses one level: nation, province, ministry or commune.';
	END IF;
	IF create_framework.code IS NULL OR create_framework.code !~ '^[A-Za-z0-9._-]+$' THEN
		RAISE EXCEPTION 'invalid framework code "%"', create_framework.code
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Use letters, digits, dots, hyphens and underscores, e.g. 405-province.';
	END IF;
	SELECT coalesce(max(f.version), 0) + 1 INTO new_version FROM dti.framework f WHERE f.code = create_framework.code;
	INSERT INTO dti.framework (code, version, level, decision, title_vi, title_en, aggregation, max_points)
	VALUES (create_framework.code, new_version, create_framework.level, create_framework.decision,
			create_framework.title_vi, create_framework.title_en, create_framework.aggregation,
			create_framework.max_points)
	RETURNING id INTO new_id;
	INSERT INTO dti.framework_use (level, year, framework_id)
	SELECT create_framework.level, y, new_id FROM unnest(years) AS y;
	PERFORM set_config('dti.framework_id', new_id::text, true);
	RETURN new_id;
END $$;
COMMENT ON FUNCTION dti.create_framework(text, text, integer[], text, text, text, float8, text) IS
	'Creates the next version of a framework, uses it for the given years of its level, and makes it the default framework_id of dti.framework_indicator for the rest of the transaction (so that a COPY of the indicator rows follows); returns its id';

CREATE FUNCTION dti.freeze_framework(framework_id integer, reason text) RETURNS timestamptz
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	at timestamptz;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM dti.framework f WHERE f.id = freeze_framework.framework_id) THEN
		RAISE EXCEPTION 'no framework with id %', framework_id
			USING ERRCODE = 'no_data_found', DETAIL = 'dti.framework has no such row.',
				HINT = 'Look the id up in dti.framework.';
	END IF;
	INSERT INTO dti.frozen_framework (framework_id, reason)
	VALUES (freeze_framework.framework_id, freeze_framework.reason)
	ON CONFLICT ON CONSTRAINT frozen_framework_pkey DO NOTHING;
	SELECT z.frozen_at INTO at FROM dti.frozen_framework z WHERE z.framework_id = freeze_framework.framework_id;
	RETURN at;
END $$;
COMMENT ON FUNCTION dti.freeze_framework(integer, text) IS
	'Marks a framework as used by a published result (idempotent): from then on it and its indicators are read-only; returns when it was first frozen';

CREATE FUNCTION dti.new_framework_version(framework_id integer, note text DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
DECLARE
	old dti.framework;
	new_id integer;
BEGIN
	SELECT * INTO old FROM dti.framework f WHERE f.id = new_framework_version.framework_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no framework with id %', framework_id
			USING ERRCODE = 'no_data_found', DETAIL = 'dti.framework has no such row.',
				HINT = 'Look the id up in dti.framework.';
	END IF;
	INSERT INTO dti.framework (code, version, level, decision, title_vi, title_en, aggregation, max_points, supersedes, note)
	SELECT old.code, max(f.version) + 1, old.level, old.decision, old.title_vi, old.title_en,
		   old.aggregation, old.max_points, old.id, new_framework_version.note
	FROM dti.framework f WHERE f.code = old.code
	RETURNING id INTO new_id;
	INSERT INTO dti.framework_indicator (framework_id, code, name_vi, name_en, group_name, max_points, weight,
										 rule, aggregation, unit_of_measure, value_min, value_max, scored, n_components)
	SELECT new_id, i.code, i.name_vi, i.name_en, i.group_name, i.max_points, i.weight,
		   i.rule, i.aggregation, i.unit_of_measure, i.value_min, i.value_max, i.scored, i.n_components
	FROM dti.framework_indicator i WHERE i.framework_id = old.id;
	PERFORM set_config('dti.framework_id', new_id::text, true);
	RETURN new_id;
END $$;
COMMENT ON FUNCTION dti.new_framework_version(integer, text) IS
	'Copies a framework and its indicators into a new, unfrozen version (not yet used for any year: see dti.use_framework); returns its id';

CREATE FUNCTION dti.use_framework(framework_id integer, years integer[]) RETURNS void
LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
BEGIN ATOMIC
	INSERT INTO dti.framework_use (level, year, framework_id)
	SELECT f.level, y, f.id FROM dti.framework f, unnest(use_framework.years) AS y
	WHERE f.id = use_framework.framework_id;
END;
COMMENT ON FUNCTION dti.use_framework(integer, integer[]) IS
	'Makes a framework the one that assesses its level in the given years';

-- The provincial framework of Decision 922/QĐ-BTTTT (assessments 2021-2023).
-- The nine main indicators are its shipped nodes; a submitted main-indicator
-- value in [0,1] scores as itself (rule ratio), as published.
-- Shipped rows carry fixed authors and dates (the decision's), so that every
-- installation holds the same rows.
INSERT INTO dti.framework (code, version, level, decision, title_vi, title_en, aggregation, max_points,
						   created_by, created_at, shipped, note)
VALUES ('922-province', 1, 'province', '922/QĐ-BTTTT',
		'Bộ chỉ số đánh giá chuyển đổi số cấp tỉnh', 'Provincial Digital Transformation Index',
		'sum_points', 1000, 'dti_warehouse', '2022-05-20 00:00:00+07', true,
		'DTI = total points / 1,000; main-indicator value = its points / its max points');

INSERT INTO dti.framework_indicator (framework_id, code, name_vi, name_en, group_name, max_points, rule,
									 aggregation, unit_of_measure, value_min, value_max, scored, n_components)
SELECT (SELECT id FROM dti.framework WHERE code = '922-province' AND version = 1),
	   f.code::indicator_code, f.name_vi, f.name_en, f."group", f.max_points::float8,
	   'ratio'::scoring_rule, 'sum_points', 'ratio', 0, 1, f.scored::boolean, f.components::integer
FROM
--@csv dti_province_922.csv f
;

INSERT INTO dti.framework_use (level, year, framework_id, assigned_by, assigned_at, shipped)
SELECT 'province', y, f.id, 'dti_warehouse', '2022-05-20 00:00:00+07', true
FROM dti.framework f, generate_series(2021, 2023) AS y
WHERE f.code = '922-province' AND f.version = 1;

-- Optional mapping between indicators of two frameworks (922 -> 405, ...).
CREATE TABLE dti.indicator_map (
	from_framework_id integer NOT NULL,
	from_code indicator_code NOT NULL,
	to_framework_id integer NOT NULL,
	to_code indicator_code NOT NULL,
	share float8 NOT NULL DEFAULT 1 CHECK (share > 0 AND share <= 1),
	note text,
	PRIMARY KEY (from_framework_id, from_code, to_framework_id, to_code),
	FOREIGN KEY (from_framework_id, from_code) REFERENCES dti.framework_indicator (framework_id, code),
	FOREIGN KEY (to_framework_id, to_code) REFERENCES dti.framework_indicator (framework_id, code),
	CHECK (from_framework_id <> to_framework_id)
);
COMMENT ON TABLE dti.indicator_map IS
	'Correspondence between indicators of two frameworks (e.g. Decision 922 -> 405) for comparisons across versions; share is the part of the source indicator that goes to the target';

------------------------------------------------------------------------------
-- National targets
------------------------------------------------------------------------------

CREATE SEQUENCE dti.target_id_seq AS integer;
COMMENT ON SEQUENCE dti.target_id_seq IS 'Identifiers of dti.target';

CREATE TABLE dti.target (
	id integer PRIMARY KEY DEFAULT nextval('dti.target_id_seq'),
	decision text NOT NULL,
	pillar text NOT NULL,
	code text NOT NULL CHECK (code ~ '^[A-Z0-9_]+$'),
	name_en text NOT NULL,
	name_vi text,
	target_value float8 NOT NULL,
	unit_of_measure text NOT NULL,
	direction text NOT NULL CHECK (direction IN ('higher', 'lower')),
	deadline date NOT NULL,
	verified boolean NOT NULL,
	shipped boolean NOT NULL DEFAULT false,
	UNIQUE (code, deadline)
);
ALTER SEQUENCE dti.target_id_seq OWNED BY dti.target.id;
COMMENT ON TABLE dti.target IS
	'National digital-transformation targets (Decisions 749/QĐ-TTg and 411/QĐ-TTg) with deadline and direction (higher or lower is better)';
COMMENT ON COLUMN dti.target.direction IS 'higher: a higher value is better; lower: a lower value is better (ranks)';
COMMENT ON COLUMN dti.target.verified IS 'False for a widely cited figure that could not be read in the decision itself';

INSERT INTO dti.target (decision, pillar, code, name_en, target_value, unit_of_measure, direction, deadline, verified, shipped)
SELECT t.decision, t.pillar, t.target_code, t.name_en, t.target_value::float8, t.unit, t.direction,
	   t.deadline::date, t.verified = 'yes', true
FROM
--@csv national_targets.csv t
;
