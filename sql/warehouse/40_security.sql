-- Roles, unit grants for loaders, row-level security, privileges.
--
-- Four group roles (NOLOGIN), created at install by dti.create_roles() when
-- they do not exist yet (roles belong to the cluster, so a second database
-- reuses them; DROP EXTENSION leaves them):
--   dti_loader    stages and loads submissions, and revises them, only for the
--                 unit codes granted to it (dti.grant_unit) - row-level security;
--   dti_verifier  reads every submission and changes statuses (verify, reject
--                 with a reason), but cannot insert or change values;
--   dti_reader    reads the published views only (no raw submissions);
--   dti_admin     manages reference data, frameworks and grants; member of
--                 dti_loader and dti_verifier, writes every unit.
-- Give people login roles that are members of these.

CREATE FUNCTION dti.create_roles() RETURNS SETOF text
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r record;
BEGIN
	FOR r IN
		SELECT * FROM (VALUES
			('dti_loader', 'dti_warehouse: loads and revises submissions of the unit codes granted to it (dti.grant_unit)'),
			('dti_verifier', 'dti_warehouse: reads all submissions and changes their status (verify, reject with a reason), never their values'),
			('dti_reader', 'dti_warehouse: reads the published views only'),
			('dti_admin', 'dti_warehouse: manages reference data, frameworks and unit grants; member of dti_loader and dti_verifier')
		) AS v (rolname, description)
	LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles x WHERE x.rolname = r.rolname) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r.rolname);
			EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', r.rolname, r.description);
			RETURN NEXT r.rolname;
		END IF;
	END LOOP;
	IF NOT pg_catalog.pg_has_role('dti_admin', 'dti_loader', 'MEMBER') THEN
		EXECUTE pg_catalog.format('GRANT %I TO %I', 'dti_loader', 'dti_admin');
	END IF;
	IF NOT pg_catalog.pg_has_role('dti_admin', 'dti_verifier', 'MEMBER') THEN
		EXECUTE pg_catalog.format('GRANT %I TO %I', 'dti_verifier', 'dti_admin');
	END IF;
END $$;
COMMENT ON FUNCTION dti.create_roles() IS
	'Creates the group roles dti_loader, dti_verifier, dti_reader and dti_admin when missing, with their comments, and makes dti_admin a member of dti_loader and dti_verifier; runs at install (a role dropped later comes back with its privileges when the extension is reinstalled); returns the roles it created';
REVOKE EXECUTE ON FUNCTION dti.create_roles() FROM PUBLIC;

SELECT count(*) FROM dti.create_roles();

------------------------------------------------------------------------------
-- Unit grants
------------------------------------------------------------------------------

CREATE SEQUENCE dti.loader_grant_id_seq;
COMMENT ON SEQUENCE dti.loader_grant_id_seq IS 'Identifiers of dti.loader_grant';

CREATE TABLE dti.loader_grant (
	id bigint PRIMARY KEY DEFAULT nextval('dti.loader_grant_id_seq'),
	loader name NOT NULL,
	unit_code text NOT NULL,
	action text NOT NULL CHECK (action IN ('grant', 'revoke')),
	changed_by name NOT NULL DEFAULT current_user,
	changed_at timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE dti.loader_grant_id_seq OWNED BY dti.loader_grant.id;
CREATE INDEX ON dti.loader_grant (loader, unit_code, id);
COMMENT ON TABLE dti.loader_grant IS
	'History of unit grants to loader roles (append-only): the newest row for a role and unit code says whether the role may write that code''s submissions; a grant to a group role covers its members';
CREATE TRIGGER loader_grant_append_only BEFORE UPDATE OR DELETE ON dti.loader_grant
	FOR EACH ROW EXECUTE FUNCTION dti.forbid_change();

CREATE VIEW dti.loader_unit AS
SELECT l.loader, l.unit_code, l.changed_by AS granted_by, l.changed_at AS granted_at
FROM (SELECT DISTINCT ON (g.loader, g.unit_code) g.*
	  FROM dti.loader_grant g
	  ORDER BY g.loader, g.unit_code, g.id DESC) l
WHERE l.action = 'grant';
COMMENT ON VIEW dti.loader_unit IS 'Current grants: the unit codes each loader role may write (the newest action for the role and code is a grant)';

CREATE FUNCTION dti.grant_unit(loader name, unit_code text) RETURNS void
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path FROM CURRENT AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = grant_unit.loader) THEN
		RAISE EXCEPTION 'role "%" does not exist', loader
			USING ERRCODE = 'undefined_object', DETAIL = 'Unit grants name an existing role.',
				HINT = 'Create the role first, e.g. CREATE ROLE ... LOGIN IN ROLE dti_loader.';
	END IF;
	IF NOT pg_catalog.pg_has_role(grant_unit.loader, 'dti_loader', 'MEMBER') THEN
		RAISE EXCEPTION 'role "%" is not a member of dti_loader', loader
			USING ERRCODE = 'invalid_grant_operation',
				DETAIL = 'Only loader roles write submissions.',
				HINT = format('GRANT dti_loader TO %I first.', loader);
	END IF;
	IF NOT EXISTS (SELECT 1 FROM dti.unit u WHERE u.code = grant_unit.unit_code) THEN
		RAISE EXCEPTION 'unknown unit code "%"', unit_code
			USING ERRCODE = 'foreign_key_violation', DETAIL = 'No unit in dti.unit has this code.',
				HINT = 'Use an official code; dti.unit_code(name) finds it by name.';
	END IF;
	INSERT INTO dti.loader_grant (loader, unit_code, action) VALUES (grant_unit.loader, grant_unit.unit_code, 'grant');
END $$;
COMMENT ON FUNCTION dti.grant_unit(name, text) IS
	'Lets a loader role (and its members) write submissions of every unit that carries the code (for provinces: the old and the new unit of that code)';

CREATE FUNCTION dti.revoke_unit(loader name, unit_code text) RETURNS void
LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
BEGIN ATOMIC
	INSERT INTO dti.loader_grant (loader, unit_code, action) VALUES (revoke_unit.loader, revoke_unit.unit_code, 'revoke');
END;
COMMENT ON FUNCTION dti.revoke_unit(name, text) IS
	'Withdraws a unit grant from a loader role (recorded as a new row of dti.loader_grant)';

CREATE FUNCTION dti.my_unit_codes() RETURNS text[]
LANGUAGE sql STABLE CALLED ON NULL INPUT PARALLEL SAFE
BEGIN ATOMIC
	SELECT coalesce(array_agg(DISTINCT c.unit_code), '{}')
	FROM dti.loader_unit c JOIN pg_catalog.pg_roles r ON r.rolname = c.loader
	WHERE pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'MEMBER');
END;
COMMENT ON FUNCTION dti.my_unit_codes() IS 'Unit codes the current role may write, through its own grants and those of the roles it belongs to';

CREATE FUNCTION dti.has_group(group_name name) RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
	SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
				   WHERE r.rolname = has_group.group_name AND pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'MEMBER'));
END;
COMMENT ON FUNCTION dti.has_group(name) IS 'True when the current role is a member of the named role (false when that role does not exist)';

CREATE FUNCTION dti.may_write_all() RETURNS boolean
LANGUAGE sql STABLE CALLED ON NULL INPUT PARALLEL SAFE
BEGIN ATOMIC
	SELECT dti.has_group('dti_admin')
		OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = CURRENT_USER AND (r.rolsuper OR r.rolbypassrls));
END;
COMMENT ON FUNCTION dti.may_write_all() IS 'True for dti_admin members, superusers and roles that bypass row-level security: they write every unit';

CREATE FUNCTION dti.may_read_all() RETURNS boolean
LANGUAGE sql STABLE CALLED ON NULL INPUT PARALLEL SAFE
BEGIN ATOMIC
	SELECT dti.may_write_all() OR dti.has_group('dti_verifier');
END;
COMMENT ON FUNCTION dti.may_read_all() IS 'True for verifiers and for the roles of dti.may_write_all(): they read every submission';

------------------------------------------------------------------------------
-- Row-level security
------------------------------------------------------------------------------

ALTER TABLE dti.submission ENABLE ROW LEVEL SECURITY;
ALTER TABLE dti.submission FORCE ROW LEVEL SECURITY;
CREATE POLICY submission_read ON dti.submission FOR SELECT
	USING ((SELECT dti.may_read_all()) OR unit_code = ANY ((SELECT dti.my_unit_codes())::text[]));
CREATE POLICY submission_write ON dti.submission FOR INSERT
	WITH CHECK (((SELECT dti.may_write_all()) OR unit_code = ANY ((SELECT dti.my_unit_codes())::text[]))
				AND (load_id IS NULL
					 OR load_id IN (SELECT l.id FROM dti.load l WHERE l.loaded_by = CURRENT_USER)));

ALTER TABLE dti.submission_status ENABLE ROW LEVEL SECURITY;
ALTER TABLE dti.submission_status FORCE ROW LEVEL SECURITY;
CREATE POLICY submission_status_read ON dti.submission_status FOR SELECT
	USING ((SELECT dti.may_read_all())
		   OR EXISTS (SELECT 1 FROM dti.submission s WHERE s.id = submission_id));
CREATE POLICY submission_status_write ON dti.submission_status FOR INSERT
	WITH CHECK ((SELECT dti.may_write_all())
				OR ((SELECT dti.has_group('dti_verifier')) AND status IN ('submitted', 'verified', 'rejected'))
				OR (status = 'submitted'
					AND EXISTS (SELECT 1 FROM dti.submission s
								WHERE s.id = submission_id AND s.unit_code = ANY ((SELECT dti.my_unit_codes())::text[])))
				OR (status = 'withdrawn'
					AND EXISTS (SELECT 1 FROM dti.submission s
								WHERE s.id = submission_id AND s.created_by = CURRENT_USER)));

-- dti.staging has no row-level security: COPY refuses a table that has it.
-- Loaders may only insert into it, and staged_by takes its default (the
-- inserting role); each reads and deletes its own rows through dti.my_staging.

ALTER TABLE dti.reject ENABLE ROW LEVEL SECURITY;
ALTER TABLE dti.reject FORCE ROW LEVEL SECURITY;
CREATE POLICY reject_read ON dti.reject FOR SELECT
	USING (rejected_by = CURRENT_USER OR (SELECT dti.may_read_all()));
CREATE POLICY reject_write ON dti.reject FOR INSERT
	WITH CHECK (rejected_by = CURRENT_USER
				AND EXISTS (SELECT 1 FROM dti.load l WHERE l.id = load_id AND l.loaded_by = CURRENT_USER));

ALTER TABLE dti.load ENABLE ROW LEVEL SECURITY;
ALTER TABLE dti.load FORCE ROW LEVEL SECURITY;
CREATE POLICY load_read ON dti.load FOR SELECT
	USING (loaded_by = CURRENT_USER OR (SELECT dti.may_read_all()));
CREATE POLICY load_write ON dti.load FOR INSERT
	WITH CHECK (loaded_by = CURRENT_USER);
CREATE POLICY load_update ON dti.load FOR UPDATE
	USING (loaded_by = CURRENT_USER) WITH CHECK (loaded_by = CURRENT_USER);

------------------------------------------------------------------------------
-- Privileges
------------------------------------------------------------------------------

GRANT USAGE ON SCHEMA dti TO dti_loader, dti_verifier, dti_reader, dti_admin;

-- Reference data: read by loaders and verifiers, managed by admins.
GRANT SELECT ON dti.unit, dti.unit_name, dti.unit_succession, dti.succession_rule, dti.succession_weight,
	dti.period, dti.framework, dti.framework_indicator, dti.framework_use, dti.frozen_framework,
	dti.indicator_map, dti.target, dti.loader_grant, dti.unit_boundary,
	dti.province, dti.succession_share, dti.framework_in_use, dti.loader_unit
	TO dti_loader, dti_verifier;
GRANT INSERT, UPDATE ON dti.unit, dti.unit_name, dti.unit_succession, dti.succession_rule, dti.succession_weight,
	dti.period, dti.framework, dti.framework_indicator, dti.indicator_map, dti.target
	TO dti_admin;
GRANT INSERT ON dti.framework_use, dti.frozen_framework, dti.loader_grant, dti.unit_boundary TO dti_admin;
GRANT USAGE ON SEQUENCE dti.unit_id_seq, dti.framework_id_seq, dti.framework_use_id_seq, dti.target_id_seq,
	dti.loader_grant_id_seq TO dti_admin;

-- Submissions: loaders insert revisions (never created_by/created_at, which
-- default to who and when), verifiers insert status events.
GRANT SELECT ON dti.submission, dti.submission_status, dti.reject, dti.load,
	dti.submission_history, dti.current_submission, dti.current_verified
	TO dti_loader, dti_verifier;
GRANT INSERT (unit_code, unit_id, period, indicator, raw_value, status, source, note, reason, load_id)
	ON dti.submission TO dti_loader;
GRANT INSERT (submission_id, status, reason) ON dti.submission_status TO dti_loader, dti_verifier;
REVOKE ALL ON dti.staging FROM PUBLIC;
GRANT INSERT (unit_code, year, indicator_code, raw_value, source, note, status)
	ON dti.staging TO dti_loader;
GRANT SELECT, DELETE ON dti.my_staging TO dti_loader;
GRANT INSERT (load_id, line, unit_code, year, indicator_code, raw_value, source, note, reason_code, reason, file_line)
	ON dti.reject TO dti_loader;
GRANT INSERT (note), UPDATE (staged, accepted, rejected, reasons) ON dti.load TO dti_loader;
GRANT USAGE ON SEQUENCE dti.submission_id_seq, dti.staging_line_seq, dti.load_id_seq TO dti_loader;
GRANT USAGE ON SEQUENCE dti.submission_status_id_seq TO dti_loader, dti_verifier;

-- Functions that change data or roles are not for everyone.
REVOKE EXECUTE ON FUNCTION dti.grant_unit(name, text), dti.revoke_unit(name, text),
	dti.add_ministry(text, text, text, boolean, date, text),
	dti.set_succession_rule(text, text, text),
	dti.create_framework(text, text, integer[], text, text, text, float8, text),
	dti.freeze_framework(integer, text), dti.new_framework_version(integer, text),
	dti.use_framework(integer, integer[]),
	dti.load_boundaries(text, jsonb, date, text, text), dti.dissolve_boundaries(text, text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.grant_unit(name, text), dti.revoke_unit(name, text),
	dti.add_ministry(text, text, text, boolean, date, text),
	dti.set_succession_rule(text, text, text),
	dti.create_framework(text, text, integer[], text, text, text, float8, text),
	dti.freeze_framework(integer, text), dti.new_framework_version(integer, text),
	dti.use_framework(integer, integer[]),
	dti.load_boundaries(text, jsonb, date, text, text), dti.dissolve_boundaries(text, text, date) TO dti_admin;
REVOKE EXECUTE ON FUNCTION dti.load_staging(text), dti.set_status(bigint, text, text),
	dti.withdraw_load(bigint, text), dti.set_status_where(bigint, text, text, text, text),
	dti.verify_load(bigint, text, text), dti.verify_unit(text, text, text, text),
	dti.check_status_where(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dti.load_staging(text), dti.withdraw_load(bigint, text) TO dti_loader;
GRANT EXECUTE ON FUNCTION dti.set_status(bigint, text, text) TO dti_loader, dti_verifier;
GRANT EXECUTE ON FUNCTION dti.set_status_where(bigint, text, text, text, text),
	dti.verify_load(bigint, text, text), dti.verify_unit(text, text, text, text),
	dti.check_status_where(bigint, text, text) TO dti_verifier;
