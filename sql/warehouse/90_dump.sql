-- Backups: every table that holds user data is registered with
-- pg_extension_config_dump, so that a plain pg_dump keeps it.  Tables that
-- also hold rows shipped by this script dump only the rows users added
-- (WHERE NOT shipped): CREATE EXTENSION recreates the shipped ones, with the
-- same ids because the script is deterministic.  Shipped rows are never
-- changed in place (frameworks are frozen in dti.frozen_framework, framework
-- use and grants are histories), so nothing users did to them is lost.
-- The sequences are registered too, so that new ids continue after a restore.

SELECT pg_catalog.pg_extension_config_dump('dti.unit', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.unit_name', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.unit_succession', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.succession_rule', '');
SELECT pg_catalog.pg_extension_config_dump('dti.succession_weight', '');
SELECT pg_catalog.pg_extension_config_dump('dti.period', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.framework', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.framework_indicator',
	'WHERE framework_id NOT IN (SELECT f.id FROM dti.framework f WHERE f.shipped)');
SELECT pg_catalog.pg_extension_config_dump('dti.frozen_framework', '');
SELECT pg_catalog.pg_extension_config_dump('dti.framework_use', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.indicator_map', '');
SELECT pg_catalog.pg_extension_config_dump('dti.target', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.unit_boundary', 'WHERE NOT shipped');
SELECT pg_catalog.pg_extension_config_dump('dti.loader_grant', '');
SELECT pg_catalog.pg_extension_config_dump('dti.load', '');
SELECT pg_catalog.pg_extension_config_dump('dti.staging', '');
SELECT pg_catalog.pg_extension_config_dump('dti.reject', '');
SELECT pg_catalog.pg_extension_config_dump('dti.submission', '');
SELECT pg_catalog.pg_extension_config_dump('dti.submission_status', '');

SELECT pg_catalog.pg_extension_config_dump('dti.unit_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.framework_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.framework_use_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.target_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.loader_grant_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.load_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.staging_line_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.submission_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dti.submission_status_id_seq', '');
