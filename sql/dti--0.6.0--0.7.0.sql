-- dti 0.6.0 -> 0.7.0: sort support for indicator codes, so that sorts,
-- window partitions and merge joins on indicator_code compare without a
-- function call per comparison.
\echo Use "ALTER EXTENSION dti UPDATE TO '0.7.0'" to load this file. \quit

CREATE FUNCTION indicator_code_sortsupport(internal) RETURNS void
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION indicator_code_sortsupport(internal) IS
	'B-tree sort support for indicator codes: sorts call the natural-order comparison directly';

ALTER OPERATOR FAMILY indicator_code_ops USING btree
	ADD FUNCTION 2 (indicator_code, indicator_code) indicator_code_sortsupport(internal);
