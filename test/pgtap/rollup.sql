-- framework, scorecard and rollup contracts.
BEGIN;
SELECT plan(36);

SELECT has_type('framework');
SELECT has_type('scorecard');
SELECT has_function('framework_compile');
SELECT has_function('explain_change', ARRAY['scorecard', 'scorecard']);
SELECT has_function('scorecard_nodes', ARRAY['scorecard']);
SELECT has_function('points', ARRAY['scorecard', 'indicator_code']);
SELECT has_function('coverage', ARRAY['scorecard', 'indicator_code']);
SELECT has_operator('scorecard', '->', 'indicator_code', 'double precision');
SELECT is_aggregate('rollup', ARRAY['framework', 'indicator_code', 'double precision']);

SELECT results_eq(
	$$SELECT a.aggcombinefn <> 0, a.aggserialfn <> 0, a.aggdeserialfn <> 0, p.proparallel, a.aggtranstype::regtype
	  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid WHERE p.proname = 'rollup'$$,
	$$VALUES (true, false, false, 's'::"char", 'rollup_state'::regtype)$$,
	'rollup has a combine function, its state is the type rollup_state (no serialize functions), and it is parallel safe');
SELECT volatility_is('framework_compile', 'immutable');
SELECT isnt_strict('framework_compile', ARRAY['indicator_code[]', 'indicator_code[]', 'double precision[]', 'double precision[]', 'text[]', 'double precision[]', 'text[]'],
	'framework_compile takes NULL arrays for optional columns');
SELECT is_strict('explain_change', ARRAY['scorecard', 'scorecard']);
SELECT is(count(*), 0::bigint, 'every framework/scorecard function is parallel safe')
FROM pg_proc WHERE (proname LIKE 'framework%' OR proname LIKE 'scorecard%' OR proname LIKE 'rollup%'
	OR proname IN ('explain_change', 'points', 'coverage', 'root_value')) AND proparallel <> 's';

-- errors carry SQLSTATEs
SELECT throws_ok($$SELECT framework_compile(ARRAY['R','A','A']::indicator_code[], ARRAY[NULL,'R','R']::indicator_code[], ARRAY[NULL,1,1]::float8[])$$,
	'22023', 'indicator "A" appears twice in the framework');
SELECT throws_ok($$SELECT framework_compile(ARRAY['R','A']::indicator_code[], ARRAY[NULL,'X']::indicator_code[], ARRAY[NULL,1]::float8[])$$,
	'22023', 'indicator "A" is an orphan: its parent "X" is not in the framework');
SELECT throws_ok($$SELECT framework_compile(ARRAY['A','B']::indicator_code[], ARRAY['B','A']::indicator_code[], ARRAY[1,1]::float8[])$$,
	'22023', 'indicator "A" is on a cycle of parent links');
SELECT throws_ok($$SELECT framework_compile(ARRAY['R','A']::indicator_code[], ARRAY[NULL,'R']::indicator_code[], NULL, ARRAY[NULL,-2]::float8[])$$,
	'22023', 'weight of indicator "A" must not be negative');
SELECT throws_ok($$SELECT framework_compile(ARRAY['R','A']::indicator_code[], ARRAY[NULL,'R']::indicator_code[], NULL)$$,
	'22023', 'leaf indicator "A" has neither a weight nor max points');
SELECT throws_ok($$SELECT rollup(framework_compile(ARRAY['R','A']::indicator_code[], ARRAY[NULL,'R']::indicator_code[], ARRAY[NULL,1]::float8[]), 'Z', 1)$$,
	'22023', 'indicator "Z" is not in the framework');
SELECT throws_ok($$SELECT rollup(framework_compile(ARRAY['R','A']::indicator_code[], ARRAY[NULL,'R']::indicator_code[], ARRAY[NULL,1]::float8[]), c, 1)
	FROM (VALUES ('A'::indicator_code), ('A')) v(c)$$,
	'21000', 'indicator "A" has more than one value in one scorecard');
SELECT throws_ok($$SELECT '[{"code": "R"}, {"code": "A"}]'::framework$$, '22023');
SELECT throws_ok($$SELECT 'not json'::scorecard$$, '22P02', 'invalid input syntax for type scorecard',
	'a scorecard that is not JSON is reported as a scorecard, not as json');
SELECT throws_ok($$SELECT '[{"code": "R"},'::framework$$, '22P02', 'invalid input syntax for type framework',
	'and so is a framework');

-- the Decision 922 worked example: Da Nang 2022
SELECT is(
	round(root_value(rollup(
		framework_compile(ARRAY['DTI','NT','TC','HT','NL','ATTT','DTTM','CQS','KTS','XHS']::indicator_code[],
			ARRAY[NULL,'DTI','DTI','DTI','DTI','DTI','DTI','DTI','DTI','DTI']::indicator_code[],
			ARRAY[NULL,100,100,100,100,100,0,200,150,150]::float8[]),
		code, v))::numeric, 4),
	0.8002,
	'published DTI 2022 of Da Nang from its main-indicator values')
FROM (VALUES ('NT'::indicator_code, 1.0::float8), ('TC', 0.9), ('HT', 0.8253), ('NL', 0.8487),
	('ATTT', 0.7578), ('CQS', 0.8575), ('KTS', 0.7836), ('XHS', 0.5197)) v(code, v);

-- Nodes whose children all have a value take their weights from the
-- framework's evaluation plan; the others follow the general rule.  Both
-- must give the same bits: M below is computed by the general rule when D
-- is missing and dropped, and by the plan when D is not in the framework.
-- The weights 3, 3, 14 are ones where w * (1 / 20) and w / 20 differ in the
-- last bit, so a plan that computed its weights differently would show.
CREATE TEMP TABLE plan_fw AS
SELECT framework_compile(ARRAY['R','M','N','A','B','C','D','E']::indicator_code[],
		ARRAY[NULL,'R','R','M','M','M','M','N']::indicator_code[],
		ARRAY[NULL,NULL,NULL,3,3,14,11,2]::float8[],
		missing => ARRAY[NULL,'drop','drop',NULL,NULL,NULL,NULL,NULL]) AS with_d,
	framework_compile(ARRAY['R','M','N','A','B','C','E']::indicator_code[],
		ARRAY[NULL,'R','R','M','M','M','N']::indicator_code[],
		ARRAY[NULL,NULL,NULL,3,3,14,2]::float8[]) AS without_d;
CREATE TEMP TABLE plan_rows (code indicator_code, x float8);
INSERT INTO plan_rows VALUES ('A', 0.1234567891), ('B', 0.7777777), ('C', 0.3141592653589793), ('E', 0.1);
SELECT is((SELECT rollup(with_d, code, x) FROM plan_fw, plan_rows) -> 'M',
	(SELECT rollup(without_d, code, x) FROM plan_fw, plan_rows) -> 'M',
	'a node with a dropped child gets the bits of the same node without that child');
SELECT ok(abs(((SELECT rollup(with_d, code, x) FROM plan_fw, plan_rows) -> 'M')
	- (0.1234567891::float8 * 3 + 0.7777777 * 3 + 0.3141592653589793 * 14) / 20) < 1e-15,
	'that value is the weighted mean of the present children');
SELECT results_eq(
	$$SELECT n.code::text, n.present, n.expected
	  FROM plan_fw, LATERAL (SELECT rollup(with_d, code, x) AS sc FROM (SELECT * FROM plan_rows UNION ALL SELECT 'D', 0.5) r) s,
	       scorecard_nodes(s.sc) n ORDER BY 1$$,
	$$VALUES ('A', 1, 1), ('B', 1, 1), ('C', 1, 1), ('D', 1, 1), ('E', 1, 1), ('M', 4, 4), ('N', 1, 1), ('R', 5, 5)$$,
	'a complete scorecard counts every leaf present at every node');

-- The availability threshold: a node has a value when the share of its
-- children present reaches the threshold, the share exactly at the
-- threshold included (2 of 4 children at 0.5, 3 of 4 at 0.75).
CREATE TEMP TABLE thr AS SELECT t, framework_compile('{R,A,B,C,D}', '{NULL,R,R,R,R}', NULL,
	weights => '{NULL,1,1,1,1}', methods => '{amean,NULL,NULL,NULL,NULL}',
	thresholds => ARRAY[t, NULL, NULL, NULL, NULL]::float8[]) AS fw
FROM unnest('{0.5,0.75}'::float8[]) t;
SELECT is((SELECT root_value(rollup(fw, c, v)) FROM thr, (VALUES ('A'::indicator_code, 0.2::float8), ('B', 0.6)) x(c, v) WHERE t = 0.5),
	0.4::float8, 'a share present exactly at the threshold (2 of 4 at 0.5) gives a value');
SELECT is((SELECT root_value(rollup(fw, c, v)) FROM thr, (VALUES ('A'::indicator_code, 0.2::float8)) x(c, v) WHERE t = 0.5),
	NULL::float8, 'a share below the threshold (1 of 4 at 0.5) gives NULL');
SELECT is((SELECT root_value(rollup(fw, c, v)) FROM thr, (VALUES ('A'::indicator_code, 0.3::float8), ('B', 0.6), ('D', 0.9)) x(c, v) WHERE t = 0.75),
	0.6::float8, 'a share present exactly at the threshold (3 of 4 at 0.75) gives a value');
SELECT is((SELECT coverage(rollup(fw, c, v), 'R') FROM thr, (VALUES ('A'::indicator_code, 0.3::float8), ('B', 0.6), ('D', 0.9)) x(c, v) WHERE t = 0.75),
	0.75::float8, 'coverage counts the leaves present');

-- Compensated sums: Neumaier's rule keeps a small term that a huge one of the
-- opposite sign cancels (Kahan's loses it): the mean of 1, 1e100, 1, -1e100
-- is 0.5.
CREATE TEMP TABLE big AS SELECT framework_compile('{R,A,B,C,D}', '{NULL,R,R,R,R}', NULL,
	weights => '{NULL,1,1,1,1}', methods => '{amean,NULL,NULL,NULL,NULL}') AS fw;
SELECT is((SELECT root_value(rollup(fw, c, v)) FROM big, (VALUES ('A'::indicator_code, 1::float8), ('B', 1e100), ('C', 1), ('D', -1e100)) x(c, v)),
	0.5::float8, 'rollup: the arithmetic mean of 1, 1e100, 1, -1e100 is 0.5');
SELECT is((SELECT weight FROM scorecard_nodes((SELECT rollup(fw, c, v) FROM big, (VALUES ('A'::indicator_code, 1::float8), ('C', 1)) x(c, v))) WHERE code = 'C'),
	0.5::float8, 'missing children leave with their weight: two of four present weigh 0.5 each');

-- The operator classes pass the access methods' own validation (as contrib
-- modules check theirs).
SELECT is((SELECT count(*) FROM pg_opclass c JOIN pg_depend d ON d.classid = 'pg_opclass'::regclass AND d.objid = c.oid
	JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dti'), 3::bigint, 'dti has three operator classes');
SELECT is((SELECT count(*) FROM pg_opclass c JOIN pg_depend d ON d.classid = 'pg_opclass'::regclass AND d.objid = c.oid
	JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dti' WHERE NOT amvalidate(c.oid)), 0::bigint,
	'every operator class of dti passes amvalidate');

SELECT * FROM finish();
ROLLBACK;
