-- indicator_code: hierarchical indicator codes in natural order.

CREATE TYPE indicator_code;

CREATE FUNCTION indicator_code_in(cstring) RETURNS indicator_code
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_out(indicator_code) RETURNS cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_recv(internal) RETURNS indicator_code
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_send(indicator_code) RETURNS bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE indicator_code (
	INPUT = indicator_code_in,
	OUTPUT = indicator_code_out,
	RECEIVE = indicator_code_recv,
	SEND = indicator_code_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = extended,
	CATEGORY = 'S'
);
COMMENT ON TYPE indicator_code IS
	'Hierarchical indicator code such as CQS.3.2: up to 32 labels of 1-63 ASCII letters, digits or _, in natural order (1.9 < 1.10)';
COMMENT ON FUNCTION indicator_code_in(cstring) IS 'Text input of indicator_code; rejects invalid codes with SQLSTATE 22P02';
COMMENT ON FUNCTION indicator_code_out(indicator_code) IS 'Text output of indicator_code';
COMMENT ON FUNCTION indicator_code_recv(internal) IS 'Binary input of indicator_code (version byte 1, then the code)';
COMMENT ON FUNCTION indicator_code_send(indicator_code) IS 'Binary output of indicator_code (version byte 1, then the code)';

-- Casts to and from text
CREATE FUNCTION indicator_code(text) RETURNS indicator_code
	AS 'MODULE_PATHNAME', 'indicator_code_from_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION text(indicator_code) RETURNS text
	AS 'MODULE_PATHNAME', 'indicator_code_to_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (text AS indicator_code) WITH FUNCTION indicator_code(text) AS ASSIGNMENT;
CREATE CAST (varchar AS indicator_code) WITH FUNCTION indicator_code(text) AS ASSIGNMENT;
CREATE CAST (indicator_code AS text) WITH FUNCTION text(indicator_code) AS ASSIGNMENT;
COMMENT ON FUNCTION indicator_code(text) IS 'Parses text as an indicator_code (the cast from text)';
COMMENT ON FUNCTION text(indicator_code) IS 'The text of an indicator_code (the cast to text)';

-- Natural order
CREATE FUNCTION indicator_code_cmp(indicator_code, indicator_code) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_lt(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_le(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_eq(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION indicator_code_ne(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION indicator_code_ge(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_gt(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_hash(indicator_code) RETURNS integer
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_hash_extended(indicator_code, bigint) RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION indicator_code_cmp(indicator_code, indicator_code) IS 'Natural-order comparison: -1, 0 or 1 (btree support)';
COMMENT ON FUNCTION indicator_code_lt(indicator_code, indicator_code) IS 'Sorts before, in natural order';
COMMENT ON FUNCTION indicator_code_le(indicator_code, indicator_code) IS 'Sorts before or equal, in natural order';
COMMENT ON FUNCTION indicator_code_eq(indicator_code, indicator_code) IS 'Equal (byte for byte)';
COMMENT ON FUNCTION indicator_code_ne(indicator_code, indicator_code) IS 'Not equal';
COMMENT ON FUNCTION indicator_code_ge(indicator_code, indicator_code) IS 'Sorts after or equal, in natural order';
COMMENT ON FUNCTION indicator_code_gt(indicator_code, indicator_code) IS 'Sorts after, in natural order';
COMMENT ON FUNCTION indicator_code_hash(indicator_code) IS 'Hash of the code''s bytes (hash support)';
COMMENT ON FUNCTION indicator_code_hash_extended(indicator_code, bigint) IS 'Seeded 64-bit hash of the code''s bytes (hash support)';

CREATE OPERATOR < (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_lt,
	COMMUTATOR = >, NEGATOR = >=, RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR <= (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_le,
	COMMUTATOR = >=, NEGATOR = >, RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR = (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_eq,
	COMMUTATOR = =, NEGATOR = <>, RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR <> (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_ne,
	COMMUTATOR = <>, NEGATOR = =, RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR >= (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_ge,
	COMMUTATOR = <=, NEGATOR = <, RESTRICT = scalargesel, JOIN = scalargejoinsel
);
CREATE OPERATOR > (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_gt,
	COMMUTATOR = <, NEGATOR = <=, RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR < (indicator_code, indicator_code) IS 'Sorts before, in natural order';
COMMENT ON OPERATOR <= (indicator_code, indicator_code) IS 'Sorts before or equal, in natural order';
COMMENT ON OPERATOR = (indicator_code, indicator_code) IS 'Equal';
COMMENT ON OPERATOR <> (indicator_code, indicator_code) IS 'Not equal';
COMMENT ON OPERATOR >= (indicator_code, indicator_code) IS 'Sorts after or equal, in natural order';
COMMENT ON OPERATOR > (indicator_code, indicator_code) IS 'Sorts after, in natural order';

CREATE FUNCTION indicator_code_sortsupport(internal) RETURNS void
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION indicator_code_sortsupport(internal) IS
	'B-tree sort support for indicator codes: sorts call the natural-order comparison directly';

CREATE OPERATOR CLASS indicator_code_ops
	DEFAULT FOR TYPE indicator_code USING btree AS
	OPERATOR 1 <,
	OPERATOR 2 <=,
	OPERATOR 3 =,
	OPERATOR 4 >=,
	OPERATOR 5 >,
	FUNCTION 1 indicator_code_cmp(indicator_code, indicator_code),
	FUNCTION 2 indicator_code_sortsupport(internal);
COMMENT ON OPERATOR CLASS indicator_code_ops USING btree IS 'Natural order of indicator codes';

CREATE OPERATOR CLASS indicator_code_ops
	DEFAULT FOR TYPE indicator_code USING hash AS
	OPERATOR 1 =,
	FUNCTION 1 indicator_code_hash(indicator_code),
	FUNCTION 2 indicator_code_hash_extended(indicator_code, bigint);
COMMENT ON OPERATOR CLASS indicator_code_ops USING hash IS 'Hashing of indicator codes, consistent with equality';

-- Ancestry
CREATE FUNCTION indicator_code_support(internal) RETURNS internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION indicator_code_support(internal) IS
	'Planner support: turns code <@ constant into a btree range scan';

CREATE FUNCTION indicator_code_contains(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	SUPPORT indicator_code_support;
CREATE FUNCTION indicator_code_contained(indicator_code, indicator_code) RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	SUPPORT indicator_code_support;
COMMENT ON FUNCTION indicator_code_contains(indicator_code, indicator_code) IS
	'Is the first code an ancestor of the second, or equal to it?';
COMMENT ON FUNCTION indicator_code_contained(indicator_code, indicator_code) IS
	'Is the first code a descendant of the second, or equal to it?';

CREATE OPERATOR @> (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_contains,
	COMMUTATOR = <@, RESTRICT = contsel, JOIN = contjoinsel
);
CREATE OPERATOR <@ (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_contained,
	COMMUTATOR = @>, RESTRICT = contsel, JOIN = contjoinsel
);
COMMENT ON OPERATOR @> (indicator_code, indicator_code) IS 'Is ancestor of, or equal to';
COMMENT ON OPERATOR <@ (indicator_code, indicator_code) IS 'Is descendant of, or equal to';

-- Building and taking apart
CREATE FUNCTION indicator_code_concat(indicator_code, indicator_code) RETURNS indicator_code
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION indicator_code_concat_text(indicator_code, text) RETURNS indicator_code
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION indicator_code_concat(indicator_code, indicator_code) IS 'Appends the second code below the first';
COMMENT ON FUNCTION indicator_code_concat_text(indicator_code, text) IS 'Appends a label (or a dotted code given as text) below the code';
CREATE OPERATOR || (
	LEFTARG = indicator_code, RIGHTARG = indicator_code, PROCEDURE = indicator_code_concat
);
CREATE OPERATOR || (
	LEFTARG = indicator_code, RIGHTARG = text, PROCEDURE = indicator_code_concat_text
);
COMMENT ON OPERATOR || (indicator_code, indicator_code) IS 'Appends the second code below the first';
COMMENT ON OPERATOR || (indicator_code, text) IS 'Appends a label (or a dotted code) below the code';

CREATE FUNCTION nlevel(indicator_code) RETURNS integer
	AS 'MODULE_PATHNAME', 'indicator_code_nlevel' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parent(indicator_code) RETURNS indicator_code
	AS 'MODULE_PATHNAME', 'indicator_code_parent' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION subpath(indicator_code, integer, integer) RETURNS indicator_code
	AS 'MODULE_PATHNAME', 'indicator_code_subpath' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION subpath(indicator_code, integer) RETURNS indicator_code
	AS 'MODULE_PATHNAME', 'indicator_code_subpath' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION label(indicator_code, integer) RETURNS text
	AS 'MODULE_PATHNAME', 'indicator_code_label' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ancestors(code indicator_code, include_self boolean DEFAULT false)
	RETURNS SETOF indicator_code
	AS 'MODULE_PATHNAME', 'indicator_code_ancestors' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	ROWS 4;
COMMENT ON FUNCTION nlevel(indicator_code) IS 'Number of labels of the code';
COMMENT ON FUNCTION parent(indicator_code) IS 'The code without its last label; NULL for a one-label code';
COMMENT ON FUNCTION subpath(indicator_code, integer, integer) IS
	'Labels from offset (0-based, negative from the end), len of them (negative: all but the last -len)';
COMMENT ON FUNCTION subpath(indicator_code, integer) IS
	'Labels from offset (0-based, negative from the end) to the end';
COMMENT ON FUNCTION label(indicator_code, integer) IS
	'Label n (1-based, negative from the end) as text; NULL when out of range';
COMMENT ON FUNCTION ancestors(indicator_code, boolean) IS
	'The ancestors of a code, root first; the code itself last when include_self is true';
