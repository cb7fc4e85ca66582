-- A short worked example of dti.  Run with: make demo
\pset footer off
\echo '== dti demo =='
CREATE EXTENSION dti;
SELECT extversion AS "dti version" FROM pg_extension WHERE extname = 'dti';

\echo
\echo '-- Indicator codes sort naturally: 1.9 before 1.10, parents before children.'
CREATE TABLE indicator (code indicator_code PRIMARY KEY, name_vi text, max_points numeric);
INSERT INTO indicator VALUES
	('CQS', 'Chính quyền số', 400),
	('CQS.10', 'Dịch vụ công trực tuyến toàn trình', 40),
	('CQS.9', 'Hồ sơ xử lý trực tuyến', 40),
	('CQS.1', 'Nền tảng chia sẻ dữ liệu', 30),
	('CQS.1.a', 'Kết nối với nền tảng quốc gia', 15),
	('CQS.1.b', 'Dữ liệu mở', 15),
	('KTS', 'Kinh tế số', 300),
	('KTS.2', 'Tỷ trọng kinh tế số trong GRDP', 60),
	('XHS', 'Xã hội số', 300);
SELECT code, nlevel(code) AS level, parent(code), name_vi FROM indicator ORDER BY code;

\echo
\echo '-- Everything under CQS.1, found with a btree range scan of the primary key:'
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT code FROM indicator WHERE code <@ 'CQS.1';
SELECT code, name_vi FROM indicator WHERE code <@ 'CQS.1' ORDER BY code;
RESET enable_seqscan;

\echo
\echo '-- Ancestors of a criterion, root first, and building codes:'
SELECT string_agg(a::text, ' > ') AS path FROM ancestors('CQS.1.a', true) a;
SELECT 'CQS'::indicator_code || '1.a' AS appended, subpath('CQS.1.a', 1) AS below_pillar,
       label('CQS.1.a', -1) AS last_label;

\echo
\echo '-- Bad codes are rejected with a reason:'
\set ON_ERROR_STOP 0
SELECT 'CQS..1'::indicator_code;
\set ON_ERROR_STOP 1

\echo
\echo '-- Scoring rules: a raw submitted value becomes a fraction of the maximum points.'
SELECT rule, raw, score(rule::scoring_rule, raw) AS fraction
FROM (VALUES ('target(80)', 60::float8), ('target(80)', 95), ('steps(50:0.5, 90:1)', 72),
             ('piecewise(0:0, 50:0.6, 100:1)', 75), ('linear(30, 5)', 12), ('bool', 1)) v(rule, raw);
SELECT score('grade(A:1, B:0.75, C:0.5, D:0.25, E:0)', 'C') AS "public-service system graded C";

\echo
\echo '-- Relative rules see every unit of the period through indicator_stats (one pass; illustrative values, not published data):'
SELECT unit, share_online,
       round(score('best', share_online, s)::numeric, 4) AS ratio_to_best,
       round(score('minmax(0, 100)', share_online, s)::numeric, 1) AS minmax_0_100
FROM (SELECT unit, share_online, indicator_stats(share_online) OVER () AS s
      FROM (VALUES ('Đà Nẵng', 92.5), ('Hà Nội', 88.0), ('Cà Mau', 61.0), ('Lai Châu', 47.5)) t(unit, share_online)) x
ORDER BY share_online DESC;

\echo
\echo '-- The warehouse follows (demo/warehouse.sql): it reproduces the published DTI 2022 of Đà Nẵng (0.8002).'
