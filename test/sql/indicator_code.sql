-- indicator_code: input, output, errors, natural order, ancestry, functions,
-- and index scans that agree with sequential scans.

-- Valid input
SELECT c::indicator_code AS code, nlevel(c::indicator_code)
FROM (VALUES ('CQS'), ('CQS.3'), ('CQS.3.2'), ('NT.01.a'), ('_'), ('a_b.C_1.007'),
             (repeat('x', 63)), (rtrim(repeat('a.', 32), '.'))) AS v(c);

-- Every kind of invalid input: 22P02 with a detail that says where and what
\set VERBOSITY default
SELECT ''::indicator_code;
SELECT '.a'::indicator_code;
SELECT 'a.'::indicator_code;
SELECT 'a..b'::indicator_code;
SELECT 'CQS.3-2'::indicator_code;
SELECT 'a b'::indicator_code;
SELECT 'KTS.Đ'::indicator_code;
SELECT E'a\tb'::indicator_code;
SELECT ('a.' || repeat('x', 64))::indicator_code;
SELECT rtrim(repeat('a.', 33), '.')::indicator_code;
-- a huge input is quoted only in part
SELECT repeat('y', 100000)::indicator_code;

-- Casts
SELECT 'A.1'::text::indicator_code, 'A.1'::indicator_code::text,
       'A.1'::varchar::indicator_code;
CREATE TABLE codes_cast (c indicator_code);
INSERT INTO codes_cast SELECT t FROM (VALUES ('X.1'::text)) v(t);
SELECT * FROM codes_cast;

-- Natural order: digit runs by value, leading zeros after, parents first
SELECT c FROM unnest('{10,9,1,01,1a,2,001,1.9,1.10,1.2.3,a,A,_,a_1,a01,a1,a1b,a10,a2,
  CQS,CQS.3,CQS.3.10,CQS.3.9,CQS.10,CQS.1,KTS,XHS,NT.01.a,NT.1,NT.1.b,NT.01}'::indicator_code[]) c
ORDER BY c;
SELECT '1.9'::indicator_code < '1.10' AS "1.9<1.10",
       '1'::indicator_code < '01' AS "1<01",
       '01'::indicator_code < '2' AS "01<2",
       '1'::indicator_code < '1a' AS "1<1a",
       '1a'::indicator_code < '9' AS "1a<9",
       '9'::indicator_code < '10' AS "9<10",
       'CQS'::indicator_code < 'CQS.1' AS "parent first";
SELECT '1'::indicator_code = '01' AS "1=01", 'a'::indicator_code = 'a',
       'a'::indicator_code <> 'A', 'a'::indicator_code <= 'a', 'b'::indicator_code >= 'a',
       indicator_code_cmp('x.2', 'x.10'), indicator_code_cmp('x', 'x'), indicator_code_cmp('x.10', 'x.2');

-- Ancestry
SELECT a, b, a::indicator_code @> b::indicator_code AS "a @> b",
       a::indicator_code <@ b::indicator_code AS "a <@ b"
FROM (VALUES ('CQS', 'CQS.3.2'), ('CQS.3', 'CQS.3'), ('CQS.3', 'CQS.30'),
             ('CQS.3', 'CQS'), ('CQ', 'CQS.1'), ('KTS', 'CQS.1')) v(a, b);

-- Building and taking apart
SELECT 'CQS'::indicator_code || '3.2'::indicator_code AS code_code,
       'CQS'::indicator_code || '3'::text AS code_text,
       'CQS.3'::indicator_code || 'a_1' AS code_literal;
SELECT 'CQS'::indicator_code || 'b-c'::text;
SELECT rtrim(repeat('a.', 30), '.')::indicator_code || 'b.c.d'::indicator_code;
SELECT parent('CQS.3.2'), parent('CQS.3'), parent('CQS') IS NULL AS root_has_no_parent;
SELECT subpath('a.b.c.d', 0) AS "0", subpath('a.b.c.d', 1, 2) AS "1,2",
       subpath('a.b.c.d', -2) AS "-2", subpath('a.b.c.d', 1, -1) AS "1,-1",
       subpath('a.b.c.d', -3, 1) AS "-3,1";
SELECT subpath('a.b', 2);
SELECT subpath('a.b', 0, 0);
SELECT subpath('a.b', 1, -1);
SELECT label('NT.01.a', 1) AS "1", label('NT.01.a', 3) AS "3", label('NT.01.a', -1) AS "-1",
       label('NT.01.a', 4) IS NULL AS "4 is null", label('NT.01.a', 0) IS NULL AS "0 is null";
SELECT * FROM ancestors('CQS.3.2.a');
SELECT * FROM ancestors('CQS.3.2.a', include_self => true);
SELECT count(*) FROM ancestors('CQS');
SELECT nlevel(NULL::indicator_code) IS NULL AS strict_null;

-- Hashing agrees with equality: a hash join and a merge join find the same pairs
CREATE TABLE codes AS
SELECT (chr(65 + g % 5) || '.' || (g % 37) || '.' || lpad((g % 11)::text, 1 + g % 3, '0'))::indicator_code AS code, g
FROM generate_series(1, 5000) g;
ANALYZE codes;
SELECT count(DISTINCT code) AS distinct_codes FROM codes;
SET enable_mergejoin = off; SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM codes a JOIN codes b USING (code);
SELECT count(*) AS hash_join FROM codes a JOIN codes b USING (code);
RESET enable_mergejoin; SET enable_hashjoin = off;
SELECT count(*) AS merge_join FROM codes a JOIN codes b USING (code);
RESET enable_hashjoin; RESET enable_nestloop;
SELECT count(*) AS hash_groups FROM (SELECT code FROM codes GROUP BY code) s;

-- Index scans return what sequential scans return
CREATE INDEX codes_code ON codes (code);
CREATE TEMP TABLE probes(p indicator_code);
INSERT INTO probes VALUES ('A'), ('A.1'), ('A.10'), ('B.3'), ('B.3.07'), ('C.36'), ('Z'), ('A.1.0'), ('E.9.009');
SET enable_seqscan = off; SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM codes WHERE code <@ 'B.3';
EXPLAIN (COSTS OFF) SELECT count(*) FROM codes WHERE 'B.3' @> code;
EXPLAIN (COSTS OFF) SELECT count(*) FROM codes WHERE code >= 'B' AND code < 'C';
CREATE TEMP TABLE by_index AS
SELECT p, count(c.code) AS n, md5(string_agg(c.code::text, ',' ORDER BY c.code)) AS rows
FROM probes, LATERAL (SELECT code FROM codes WHERE code <@ p) c GROUP BY p;
CREATE TEMP TABLE by_index_rev AS
SELECT p, count(c.code) AS n, md5(string_agg(c.code::text, ',' ORDER BY c.code)) AS rows
FROM probes, LATERAL (SELECT code FROM codes WHERE p @> code) c GROUP BY p;
RESET enable_seqscan; RESET enable_bitmapscan;
SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off;
CREATE TEMP TABLE by_seqscan AS
SELECT p, count(c.code) AS n, md5(string_agg(c.code::text, ',' ORDER BY c.code)) AS rows
FROM probes, LATERAL (SELECT code FROM codes WHERE code <@ p) c GROUP BY p;
RESET enable_indexscan; RESET enable_bitmapscan; RESET enable_indexonlyscan;
SELECT p, s.n, s.rows = i.rows AND s.rows = r.rows AS same_rows
FROM by_seqscan s JOIN by_index i USING (p) JOIN by_index_rev r USING (p) ORDER BY p;
SELECT count(*) AS probes_without_rows FROM probes WHERE p NOT IN (SELECT p FROM by_seqscan);

-- Ordering by the index equals ordering by sort
SET enable_seqscan = off;
CREATE TEMP TABLE ordered_by_index AS SELECT row_number() OVER () AS i, code FROM (SELECT code FROM codes ORDER BY code) s;
RESET enable_seqscan; SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = off;
CREATE TEMP TABLE ordered_by_sort AS SELECT row_number() OVER () AS i, code FROM (SELECT code FROM codes ORDER BY code) s;
RESET enable_indexscan; RESET enable_indexonlyscan; RESET enable_bitmapscan;
SELECT count(*) AS order_mismatches FROM ordered_by_index a JOIN ordered_by_sort b USING (i) WHERE a.code <> b.code;

-- The natural order is a total order: random triples never break
-- antisymmetry or transitivity, and cmp agrees with the operators.
SELECT setseed(0.42);
CREATE TEMP TABLE rnd AS
SELECT i, (SELECT string_agg(
          (SELECT string_agg(substr('0012AZaz_9', 1 + floor(random() * 10)::int, 1), '')
           FROM generate_series(1, 1 + floor(random() * 3)::int + 0 * l)), '.')
        FROM generate_series(1, 1 + floor(random() * 3)::int + 0 * i) l)::indicator_code AS c
FROM generate_series(1, 400) i;
SELECT count(DISTINCT c) AS distinct_random_codes, max(nlevel(c)) AS deepest FROM rnd;
SELECT count(*) AS antisymmetry_violations
FROM rnd a, rnd b WHERE sign(indicator_code_cmp(a.c, b.c)) <> -sign(indicator_code_cmp(b.c, a.c));
SELECT count(*) AS equality_violations
FROM rnd a, rnd b WHERE (indicator_code_cmp(a.c, b.c) = 0) <> (a.c::text = b.c::text);
SELECT count(*) AS transitivity_violations
FROM (SELECT c FROM rnd WHERE i <= 120) a, (SELECT c FROM rnd WHERE i <= 120) b, (SELECT c FROM rnd WHERE i <= 120) c
WHERE a.c <= b.c AND b.c <= c.c AND NOT a.c <= c.c;
SELECT count(*) AS operator_violations
FROM rnd a, rnd b
WHERE (a.c < b.c) <> (indicator_code_cmp(a.c, b.c) < 0)
   OR (a.c > b.c) <> (indicator_code_cmp(a.c, b.c) > 0)
   OR (a.c = b.c) <> (indicator_code_cmp(a.c, b.c) = 0);
