-- indicator_code contracts: function properties, errors with SQLSTATE, and a
-- round trip of 100,000 random codes through text and binary I/O.
BEGIN;
SELECT plan(38);

SELECT has_type('indicator_code');
SELECT has_function('nlevel', ARRAY['indicator_code']);
SELECT has_function('parent', ARRAY['indicator_code']);
SELECT has_function('subpath', ARRAY['indicator_code', 'integer', 'integer']);
SELECT has_function('subpath', ARRAY['indicator_code', 'integer']);
SELECT has_function('label', ARRAY['indicator_code', 'integer']);
SELECT has_function('ancestors', ARRAY['indicator_code', 'boolean']);
SELECT has_operator('indicator_code', '@>', 'indicator_code', 'boolean');
SELECT has_operator('indicator_code', '<@', 'indicator_code', 'boolean');
SELECT has_operator('indicator_code', '||', 'indicator_code', 'indicator_code');
SELECT has_opclass('indicator_code_ops');

-- Every function of the type is immutable, strict and parallel safe.
SELECT is(count(*), 0::bigint, 'every indicator_code function is IMMUTABLE')
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dti'
WHERE (p.proname LIKE 'indicator\_code%' OR p.proname IN ('nlevel', 'parent', 'subpath', 'label', 'ancestors', 'text'))
  AND (p.proargtypes::oid[] && ARRAY['indicator_code'::regtype::oid] OR p.prorettype = 'indicator_code'::regtype)
  AND p.provolatile <> 'i';
SELECT is(count(*), 0::bigint, 'every indicator_code function is STRICT')
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dti'
WHERE (p.proname LIKE 'indicator\_code%' OR p.proname IN ('nlevel', 'parent', 'subpath', 'label', 'ancestors', 'text'))
  AND (p.proargtypes::oid[] && ARRAY['indicator_code'::regtype::oid] OR p.prorettype = 'indicator_code'::regtype)
  AND NOT p.proisstrict;
SELECT is(count(*), 0::bigint, 'every indicator_code function is PARALLEL SAFE')
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dti'
WHERE (p.proname LIKE 'indicator\_code%' OR p.proname IN ('nlevel', 'parent', 'subpath', 'label', 'ancestors', 'text'))
  AND (p.proargtypes::oid[] && ARRAY['indicator_code'::regtype::oid] OR p.prorettype = 'indicator_code'::regtype)
  AND p.proparallel <> 's';
SELECT volatility_is('nlevel', ARRAY['indicator_code'], 'immutable');
SELECT is_strict('parent', ARRAY['indicator_code']);
SELECT is_strict('ancestors', ARRAY['indicator_code', 'boolean']);
SELECT is(count(*), 0::bigint, 'every public object of dti has a comment')
FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dti'
WHERE d.deptype = 'e' AND d.classid IN ('pg_proc'::regclass, 'pg_type'::regclass, 'pg_operator'::regclass, 'pg_opclass'::regclass)
  AND obj_description(d.objid, d.classid::regclass::name) IS NULL
  AND NOT (d.classid = 'pg_type'::regclass AND EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = d.objid AND t.typelem <> 0 AND t.typlen = -1 AND t.typname LIKE '\_%'));

-- Bad input: SQLSTATE 22P02 and the message of each kind of problem.
SELECT throws_ok($$SELECT ''::indicator_code$$, '22P02', 'invalid input syntax for type indicator_code: ""');
SELECT throws_ok($$SELECT 'a..b'::indicator_code$$, '22P02');
SELECT throws_ok($$SELECT '.a'::indicator_code$$, '22P02');
SELECT throws_ok($$SELECT 'a.'::indicator_code$$, '22P02');
SELECT throws_ok($$SELECT 'a-b'::indicator_code$$, '22P02');
SELECT throws_ok($$SELECT repeat('x', 64)::indicator_code$$, '22P02');
SELECT throws_ok($$SELECT rtrim(repeat('a.', 33), '.')::indicator_code$$, '22P02');
SELECT throws_ok($$SELECT 'a'::indicator_code || 'b c'::text$$, '22P02');
SELECT throws_ok($$SELECT rtrim(repeat('a.', 32), '.')::indicator_code || 'b'::indicator_code$$, '54000');
SELECT throws_ok($$SELECT subpath('a.b', 5)$$, '22023');
SELECT lives_ok($$SELECT (repeat('x', 63) || '.' || repeat('y', 63))::indicator_code$$, 'labels of 63 characters are accepted');

-- Round trip of 100,000 random codes through text and binary I/O.
SELECT setseed(0.2024);
CREATE TEMP TABLE rt AS
SELECT i, (SELECT string_agg(
          (SELECT string_agg(substr('0123456789ABCXYZabcxyz_', 1 + floor(random() * 23)::int, 1), '')
           FROM generate_series(1, 1 + floor(random() * random() * 63)::int + 0 * l)), '.')
        FROM generate_series(1, 1 + floor(random() * random() * 32)::int + 0 * i) l) AS t
FROM generate_series(1, 100000) i;
SELECT is((SELECT count(DISTINCT t::indicator_code) FROM rt), (SELECT count(DISTINCT t) FROM rt),
	'random codes: equal as indicator codes exactly when equal as text');
SELECT ok(max(nlevel(t::indicator_code)) > 20 AND max(length(t)) > 200, 'random codes reach deep levels and long labels') FROM rt;
SELECT is(count(*), 0::bigint, 'text round trip keeps every code')
FROM rt WHERE t::indicator_code::text <> t;

CREATE TEMP TABLE rt_code AS SELECT i, t::indicator_code AS c FROM rt;
CREATE TEMP TABLE rt_back (i int, c indicator_code);
DO $$
DECLARE f text := current_setting('data_directory') || '/pgtap_codes.bin';
BEGIN
	EXECUTE format('COPY rt_code TO %L WITH (FORMAT binary)', f);
	EXECUTE format('COPY rt_back FROM %L WITH (FORMAT binary)', f);
END $$;
SELECT is(count(*), 100000::bigint, 'binary COPY reads back every code') FROM rt_back;
SELECT is(count(*), 0::bigint, 'binary round trip keeps every code')
FROM rt_code a JOIN rt_back b USING (i) WHERE a.c <> b.c OR a.c::text <> b.c::text;
SELECT is(
	(SELECT indicator_code_send('CQS.3')),
	'\x014351532e33'::bytea,
	'binary form: version byte 1, then the code');

-- Sorts go through the sort support function: same order as indicator_code_cmp().
SELECT is(
	(SELECT p.amproc::text FROM pg_amproc p
	 JOIN pg_opfamily f ON f.oid = p.amprocfamily
	 JOIN pg_am a ON a.oid = f.opfmethod
	 WHERE f.opfname = 'indicator_code_ops' AND a.amname = 'btree' AND p.amprocnum = 2),
	'indicator_code_sortsupport',
	'the btree operator family has sort support (function 2)');
SELECT is(count(*), 0::bigint, 'ORDER BY (sort support) puts 100,000 random codes in indicator_code_cmp() order')
FROM (SELECT c, lag(c) OVER (ORDER BY c) AS prev FROM rt_code) s
WHERE indicator_code_cmp(prev, c) > 0
   OR (indicator_code_cmp(prev, c) = 0 AND prev::text <> c::text);

-- Codes that share their first 8 key bytes: the sort gives up abbreviation
-- and must still be in order (1 < 2 < ... < 10 < ... numerically).
SELECT is(array_agg(c ORDER BY c)::text[],
	array_agg(('CQS.1.' || i) ORDER BY i),
	'20,000 codes with one abbreviated key sort in natural order')
FROM (SELECT ('CQS.1.' || i)::indicator_code AS c, i FROM generate_series(20000, 1, -1) i) s;

SELECT * FROM finish();
ROLLBACK;
