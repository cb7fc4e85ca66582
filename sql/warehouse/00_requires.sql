-- The oldest dti this warehouse works with.  The control file can only say
-- "requires dti", and CREATE EXTENSION ... CASCADE installs the newest dti,
-- so a warehouse script that used a function of a newer dti than the one a
-- database has would fail halfway, or later at run time.  Every warehouse
-- install and upgrade script starts with this check (the upgrade check,
-- test/upgrade/check.sh, installs each warehouse version with the dti it
-- names here).  Raise the version when the warehouse starts to use a newer
-- dti function.
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
