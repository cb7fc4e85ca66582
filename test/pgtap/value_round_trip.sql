-- Values that read back as they were written: what test/scripts/binary_io.sh
-- found.  A zero of either sign in a framework or a scorecard (their text
-- forms are JSON, read through numeric, which has no -0); weights whose sum
-- is beyond float8 (every normalised weight NaN, which no text form holds);
-- statistics states that recv accepted but no final function could finish.
BEGIN;
SELECT plan(16);

-- a framework with -0 as a weight, max points and a threshold
CREATE TEMP TABLE fw AS
SELECT framework_compile('{R,X,Y,Z}', '{NULL,R,R,R}', '{NULL,NULL,NULL,NULL}', '{NULL,1,-0,2}',
						 '{amean,NULL,NULL,NULL}', '{-0,NULL,NULL,NULL}') AS fw,
	   framework_compile('{P,A,B}', '{NULL,P,P}', '{NULL,-0,40}') AS pts;
CREATE TEMP TABLE lv AS
SELECT leaf_vector(fw, c::indicator_code, v) AS lv, leaf_stats(fw, c::indicator_code, v) AS ls
FROM fw, (VALUES ('X', 0.5::float8), ('Z', 0.25)) t(c, v);

SELECT is(fw::text::framework::text, fw::text, 'a framework given a weight and a threshold of -0 reads back from its text')
FROM fw;
SELECT is(pts::text::framework::text, pts::text, 'a framework given max points of -0 reads back from its text')
FROM fw;
SELECT ok(strpos(fw::text || pts::text, '-0') = 0, 'a framework keeps a zero of either sign as 0')
FROM fw;
SELECT is(rollup(fw::text::framework, lv)::text, rollup(fw, lv)::text,
	'a leaf vector scores through its framework read back from text (the same framework)')
FROM fw, lv;
SELECT is(leaf_stats_of(ls, fw::text::framework, 'X')::text, '(n=1,min=0.5,max=0.5,mean=0.5,sd=0)',
	'leaf_stats are those of the framework read back from text')
FROM fw, lv;

-- a leaf value of -0 in a scorecard (its value and points)
SELECT is(sc::text::scorecard::text, sc::text, 'a scorecard of leaf values -0 reads back from its text')
FROM (SELECT rollup(fw, c::indicator_code, v) AS sc
	  FROM fw, (VALUES ('X', '-0'::float8), ('Y', '-0'), ('Z', 0.5)) t(c, v)) s;
SELECT is(sc::text::scorecard::text, sc::text, 'a scorecard of points from values -0 reads back from its text')
FROM (SELECT rollup(pts, c::indicator_code, v) AS sc
	  FROM fw, (VALUES ('A', '-0'::float8), ('B', '-0')) t(c, v)) s;
SELECT is(sc::text, '[{"code": "P", "method": "points", "value": 0, "points": 0, "max_points": 40, "present": 2, "expected": 2}, '
	'{"code": "A", "parent": "P", "value": 0, "points": 0, "max_points": 0, "weight": 0, "present": 1, "expected": 1}, '
	'{"code": "B", "parent": "P", "value": 0, "points": 0, "max_points": 40, "weight": 1, "present": 1, "expected": 1}]',
	'a zero of either sign is 0 in a scorecard')
FROM (SELECT rollup(pts, c::indicator_code, v) AS sc
	  FROM fw, (VALUES ('A', '-0'::float8), ('B', '-0')) t(c, v)) s;

-- weights that add up beyond float8
SELECT throws_ok($$SELECT framework_compile('{R,X,Y}', '{NULL,R,R}', '{NULL,NULL,NULL}', '{NULL,1e308,1e308}')$$,
	'22003', 'weights of the children of indicator "R" are out of range',
	'framework_compile() refuses weights that add up beyond float8');
SELECT throws_ok($$SELECT '[{"code": "R", "method": "hmean"}, {"code": "X", "parent": "R", "weight": 1.7e308},
					{"code": "Y", "parent": "R", "weight": 1e308}]'::framework$$,
	'22003', 'weights of the children of indicator "R" are out of range',
	'the text input of framework refuses them too');
SELECT is(root_value(rollup(framework_compile('{R,X,Y}', '{NULL,R,R}', '{NULL,NULL,NULL}', '{NULL,1e308,1e307}'),
							c::indicator_code, 0.5)),
	0.5::float8, 'weights of 1e308 whose sum is a float8 are fine')
FROM (VALUES ('X'), ('Y')) t(c);

-- statistics states: a state of one value must have min = max
SELECT throws_ok($$SELECT overlay(indicator_stats_step(NULL, 0.5)::text placing '3fe8000000000000' from 75 for 16)
					::indicator_stats_state$$,
	'22P03', 'invalid value of type indicator_stats_state',
	'an indicator_stats_state of one value with min < max is refused');
SELECT throws_ok($$SELECT overlay(leaf_stats(fw, 'X', 0.5)::text placing '3fe8000000000000' from 101 for 16)::leaf_stats
					FROM fw$$,
	'22P02', 'invalid input syntax for type leaf_stats',
	'a leaf_stats whose accumulator of one value has min < max is refused (its text input: 22P02)');
SELECT is(overlay(leaf_stats(fw, 'X', 0.5)::text placing '3fe0000000000000' from 101 for 16)::leaf_stats::text,
		  leaf_stats(fw, 'X', 0.5)::text, 'the offset above is that of the maximum')
FROM fw;
-- values spanning more than float8 on both sides of their mean: a state
-- of its own (partial states combine), only its sd is out of range
SELECT is(s::text::indicator_stats_state::text, s::text, 'a state whose sd is beyond float8 reads back')
FROM (SELECT indicator_stats_combine(indicator_stats_step(NULL, 1.7e308), indicator_stats_step(NULL, -1.7e308)) AS s) t;
SELECT throws_ok($$SELECT leaf_stats_of(s::text::leaf_stats, fw, 'X') FROM fw,
					(SELECT leaf_stats(fw, 'X', v) AS s FROM fw, (VALUES (1.7e308::float8), (-1.7e308)) t(v)) l$$,
	'22003', NULL, 'a leaf_stats whose sd is beyond float8 reads back, its summary is out of range');

SELECT * FROM finish();
ROLLBACK;
