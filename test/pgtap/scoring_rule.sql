-- pgTAP tests of scoring_rule, indicator_stats, score() and rank_score().
-- Run in a database where pgtap and dti are installed.
BEGIN;


-- Random rules of every kind, reproducible through setseed.
SELECT setseed(0.3);
CREATE TEMP TABLE random_rules AS
SELECT (CASE i % 14
	WHEN 0 THEN format('target(%s%s)', random() * 1000 + 1e-9, CASE WHEN random() < 0.5 THEN ', lower' ELSE '' END)
	WHEN 1 THEN format('linear(%s, %s)', a, a + (random() - 0.5) * 1e4 + 1e-6)
	WHEN 2 THEN format('goalposts(%s, %s%s)', a, a + random() * 100 + 1e-6, CASE WHEN random() < 0.5 THEN ', LOWER' ELSE '' END)
	WHEN 3 THEN (SELECT 'steps(' || string_agg(format('%s:%s', k * 10 + random(), random()), ', ' ORDER BY k) || ')'
				 FROM generate_series(1, 1 + (i % 37)) k)
	WHEN 4 THEN (SELECT 'piecewise(' || string_agg(format('%s:%s', -k * 3.5 + random() * 0.1, random()), ', ' ORDER BY k DESC) || ')'
				 FROM generate_series(1, 2 + (i % 41)) k)
	WHEN 5 THEN (SELECT 'grade(' || string_agg(format('"g%s ""%s"" ü":%s', k, i, random()), ', ') || ')'
				 FROM generate_series(1, 1 + (i % 9)) k)
	WHEN 6 THEN format('minmax(%s, %s%s)', a, a + random() * 100 + 1, CASE WHEN random() < 0.5 THEN ',lower' ELSE '' END)
	WHEN 7 THEN format('zscore(%s, %s%s)', a, random() * 20 + 1e-3, CASE WHEN random() < 0.5 THEN ',lower' ELSE ',higher' END)
	WHEN 8 THEN (ARRAY['ratio', 'bool', 'best', 'best(lower)', 'minmax', 'zscore(lower)'])[1 + i % 6]
	WHEN 9 THEN (ARRAY['rank', 'prank', 'borda', 'rank(lower)', 'PRANK(Lower)', 'borda(higher)'])[1 + i % 6]
	WHEN 10 THEN format('target(%s)', (random() * 1e300)::text)
	WHEN 11 THEN format('linear(%s, %s)', random() * 1e-300, -random())
	WHEN 12 THEN (SELECT 'grade(' || string_agg(format('G%s_%s:%s', k, i, round(random()::numeric, 2)), ',') || ')'
				  FROM generate_series(1, 1 + (i % 30)) k)
	ELSE format('minmax(%s, %s)', -a, a + 1)
	END)::scoring_rule AS r
FROM generate_series(1, 1000) i, LATERAL (SELECT (random() - 0.5) * 1000 + i * 0 AS a) s;

SELECT plan(110);

SELECT has_function('scoring_rule_in', ARRAY['cstring'], 'scoring_rule_in(cstring) exists');
SELECT volatility_is('scoring_rule_in', ARRAY['cstring'], 'immutable', 'scoring_rule_in(cstring) is immutable');
SELECT is_strict('scoring_rule_in', ARRAY['cstring'], 'scoring_rule_in(cstring) is strict');
SELECT has_function('scoring_rule_out', ARRAY['scoring_rule'], 'scoring_rule_out(scoring_rule) exists');
SELECT volatility_is('scoring_rule_out', ARRAY['scoring_rule'], 'immutable', 'scoring_rule_out(scoring_rule) is immutable');
SELECT is_strict('scoring_rule_out', ARRAY['scoring_rule'], 'scoring_rule_out(scoring_rule) is strict');
SELECT has_function('scoring_rule_recv', ARRAY['internal'], 'scoring_rule_recv(internal) exists');
SELECT volatility_is('scoring_rule_recv', ARRAY['internal'], 'immutable', 'scoring_rule_recv(internal) is immutable');
SELECT is_strict('scoring_rule_recv', ARRAY['internal'], 'scoring_rule_recv(internal) is strict');
SELECT has_function('scoring_rule_send', ARRAY['scoring_rule'], 'scoring_rule_send(scoring_rule) exists');
SELECT volatility_is('scoring_rule_send', ARRAY['scoring_rule'], 'immutable', 'scoring_rule_send(scoring_rule) is immutable');
SELECT is_strict('scoring_rule_send', ARRAY['scoring_rule'], 'scoring_rule_send(scoring_rule) is strict');
SELECT has_function('scoring_rule_eq', ARRAY['scoring_rule', 'scoring_rule'], 'scoring_rule_eq(scoring_rule, scoring_rule) exists');
SELECT volatility_is('scoring_rule_eq', ARRAY['scoring_rule', 'scoring_rule'], 'immutable', 'scoring_rule_eq(scoring_rule, scoring_rule) is immutable');
SELECT is_strict('scoring_rule_eq', ARRAY['scoring_rule', 'scoring_rule'], 'scoring_rule_eq(scoring_rule, scoring_rule) is strict');
SELECT has_function('scoring_rule_ne', ARRAY['scoring_rule', 'scoring_rule'], 'scoring_rule_ne(scoring_rule, scoring_rule) exists');
SELECT volatility_is('scoring_rule_ne', ARRAY['scoring_rule', 'scoring_rule'], 'immutable', 'scoring_rule_ne(scoring_rule, scoring_rule) is immutable');
SELECT is_strict('scoring_rule_ne', ARRAY['scoring_rule', 'scoring_rule'], 'scoring_rule_ne(scoring_rule, scoring_rule) is strict');
SELECT has_function('scoring_rule_hash', ARRAY['scoring_rule'], 'scoring_rule_hash(scoring_rule) exists');
SELECT volatility_is('scoring_rule_hash', ARRAY['scoring_rule'], 'immutable', 'scoring_rule_hash(scoring_rule) is immutable');
SELECT is_strict('scoring_rule_hash', ARRAY['scoring_rule'], 'scoring_rule_hash(scoring_rule) is strict');
SELECT has_function('scoring_rule_kind', ARRAY['scoring_rule'], 'scoring_rule_kind(scoring_rule) exists');
SELECT volatility_is('scoring_rule_kind', ARRAY['scoring_rule'], 'immutable', 'scoring_rule_kind(scoring_rule) is immutable');
SELECT is_strict('scoring_rule_kind', ARRAY['scoring_rule'], 'scoring_rule_kind(scoring_rule) is strict');
SELECT has_function('indicator_stats_in', ARRAY['cstring'], 'indicator_stats_in(cstring) exists');
SELECT volatility_is('indicator_stats_in', ARRAY['cstring'], 'immutable', 'indicator_stats_in(cstring) is immutable');
SELECT is_strict('indicator_stats_in', ARRAY['cstring'], 'indicator_stats_in(cstring) is strict');
SELECT has_function('indicator_stats_out', ARRAY['indicator_stats'], 'indicator_stats_out(indicator_stats) exists');
SELECT volatility_is('indicator_stats_out', ARRAY['indicator_stats'], 'immutable', 'indicator_stats_out(indicator_stats) is immutable');
SELECT is_strict('indicator_stats_out', ARRAY['indicator_stats'], 'indicator_stats_out(indicator_stats) is strict');
SELECT has_function('indicator_stats_recv', ARRAY['internal'], 'indicator_stats_recv(internal) exists');
SELECT volatility_is('indicator_stats_recv', ARRAY['internal'], 'immutable', 'indicator_stats_recv(internal) is immutable');
SELECT is_strict('indicator_stats_recv', ARRAY['internal'], 'indicator_stats_recv(internal) is strict');
SELECT has_function('indicator_stats_send', ARRAY['indicator_stats'], 'indicator_stats_send(indicator_stats) exists');
SELECT volatility_is('indicator_stats_send', ARRAY['indicator_stats'], 'immutable', 'indicator_stats_send(indicator_stats) is immutable');
SELECT is_strict('indicator_stats_send', ARRAY['indicator_stats'], 'indicator_stats_send(indicator_stats) is strict');
SELECT has_function('stats_n', ARRAY['indicator_stats'], 'stats_n(indicator_stats) exists');
SELECT volatility_is('stats_n', ARRAY['indicator_stats'], 'immutable', 'stats_n(indicator_stats) is immutable');
SELECT is_strict('stats_n', ARRAY['indicator_stats'], 'stats_n(indicator_stats) is strict');
SELECT has_function('stats_min', ARRAY['indicator_stats'], 'stats_min(indicator_stats) exists');
SELECT volatility_is('stats_min', ARRAY['indicator_stats'], 'immutable', 'stats_min(indicator_stats) is immutable');
SELECT is_strict('stats_min', ARRAY['indicator_stats'], 'stats_min(indicator_stats) is strict');
SELECT has_function('stats_max', ARRAY['indicator_stats'], 'stats_max(indicator_stats) exists');
SELECT volatility_is('stats_max', ARRAY['indicator_stats'], 'immutable', 'stats_max(indicator_stats) is immutable');
SELECT is_strict('stats_max', ARRAY['indicator_stats'], 'stats_max(indicator_stats) is strict');
SELECT has_function('stats_mean', ARRAY['indicator_stats'], 'stats_mean(indicator_stats) exists');
SELECT volatility_is('stats_mean', ARRAY['indicator_stats'], 'immutable', 'stats_mean(indicator_stats) is immutable');
SELECT is_strict('stats_mean', ARRAY['indicator_stats'], 'stats_mean(indicator_stats) is strict');
SELECT has_function('stats_sd', ARRAY['indicator_stats'], 'stats_sd(indicator_stats) exists');
SELECT volatility_is('stats_sd', ARRAY['indicator_stats'], 'immutable', 'stats_sd(indicator_stats) is immutable');
SELECT is_strict('stats_sd', ARRAY['indicator_stats'], 'stats_sd(indicator_stats) is strict');
SELECT has_function('indicator_stats_step', ARRAY['indicator_stats_state', 'double precision'], 'indicator_stats_step(indicator_stats_state, double precision) exists');
SELECT volatility_is('indicator_stats_step', ARRAY['indicator_stats_state', 'double precision'], 'immutable', 'indicator_stats_step(indicator_stats_state, double precision) is immutable');
SELECT isnt_strict('indicator_stats_step', ARRAY['indicator_stats_state', 'double precision'], 'indicator_stats_step(indicator_stats_state, double precision) is not strict');
SELECT has_function('indicator_stats_combine', ARRAY['indicator_stats_state', 'indicator_stats_state'], 'indicator_stats_combine(indicator_stats_state, indicator_stats_state) exists');
SELECT volatility_is('indicator_stats_combine', ARRAY['indicator_stats_state', 'indicator_stats_state'], 'immutable', 'indicator_stats_combine(indicator_stats_state, indicator_stats_state) is immutable');
SELECT isnt_strict('indicator_stats_combine', ARRAY['indicator_stats_state', 'indicator_stats_state'], 'indicator_stats_combine(indicator_stats_state, indicator_stats_state) is not strict');
SELECT has_function('indicator_stats_state_in', ARRAY['cstring'], 'indicator_stats_state_in(cstring) exists');
SELECT volatility_is('indicator_stats_state_in', ARRAY['cstring'], 'immutable', 'indicator_stats_state_in(cstring) is immutable');
SELECT is_strict('indicator_stats_state_in', ARRAY['cstring'], 'indicator_stats_state_in(cstring) is strict');
SELECT has_function('indicator_stats_state_recv', ARRAY['internal'], 'indicator_stats_state_recv(internal) exists');
SELECT volatility_is('indicator_stats_state_recv', ARRAY['internal'], 'immutable', 'indicator_stats_state_recv(internal) is immutable');
SELECT is_strict('indicator_stats_state_recv', ARRAY['internal'], 'indicator_stats_state_recv(internal) is strict');
SELECT has_function('indicator_stats_final', ARRAY['indicator_stats_state'], 'indicator_stats_final(indicator_stats_state) exists');
SELECT volatility_is('indicator_stats_final', ARRAY['indicator_stats_state'], 'immutable', 'indicator_stats_final(indicator_stats_state) is immutable');
SELECT isnt_strict('indicator_stats_final', ARRAY['indicator_stats_state'], 'indicator_stats_final(indicator_stats_state) is not strict');
SELECT has_function('score', ARRAY['scoring_rule', 'double precision'], 'score(scoring_rule, double precision) exists');
SELECT volatility_is('score', ARRAY['scoring_rule', 'double precision'], 'immutable', 'score(scoring_rule, double precision) is immutable');
SELECT is_strict('score', ARRAY['scoring_rule', 'double precision'], 'score(scoring_rule, double precision) is strict');
SELECT has_function('score', ARRAY['scoring_rule', 'double precision', 'indicator_stats'], 'score(scoring_rule, double precision, indicator_stats) exists');
SELECT volatility_is('score', ARRAY['scoring_rule', 'double precision', 'indicator_stats'], 'immutable', 'score(scoring_rule, double precision, indicator_stats) is immutable');
SELECT isnt_strict('score', ARRAY['scoring_rule', 'double precision', 'indicator_stats'], 'score(scoring_rule, double precision, indicator_stats) is not strict');
SELECT has_function('score', ARRAY['scoring_rule', 'text'], 'score(scoring_rule, text) exists');
SELECT volatility_is('score', ARRAY['scoring_rule', 'text'], 'immutable', 'score(scoring_rule, text) is immutable');
SELECT is_strict('score', ARRAY['scoring_rule', 'text'], 'score(scoring_rule, text) is strict');
SELECT has_function('rank_score', ARRAY['scoring_rule', 'double precision'], 'rank_score(scoring_rule, double precision) exists');
SELECT volatility_is('rank_score', ARRAY['scoring_rule', 'double precision'], 'immutable', 'rank_score(scoring_rule, double precision) is immutable');
SELECT isnt_strict('rank_score', ARRAY['scoring_rule', 'double precision'], 'rank_score(scoring_rule, double precision) is not strict');
SELECT is_aggregate('indicator_stats', ARRAY['double precision'], 'indicator_stats(double precision) is an aggregate');
SELECT has_type('scoring_rule', 'type scoring_rule exists');
SELECT has_type('indicator_stats', 'type indicator_stats exists');
SELECT is(
	(SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
	 JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dti'
	 WHERE p.proname IN ('score', 'rank_score', 'stats_n', 'stats_min', 'stats_max', 'stats_mean', 'stats_sd', 'indicator_stats')
	    OR p.proname LIKE 'scoring\_rule\_%' OR p.proname LIKE 'indicator\_stats\_%'),
	29::bigint, 'the 29 scoring functions and the aggregate belong to dti');
SELECT is(
	(SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
	 JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dti'
	 WHERE (p.proname IN ('score', 'rank_score', 'stats_n', 'stats_min', 'stats_max', 'stats_mean', 'stats_sd', 'indicator_stats')
	    OR p.proname LIKE 'scoring\_rule\_%' OR p.proname LIKE 'indicator\_stats\_%') AND p.proparallel <> 's'),
	0::bigint, 'every scoring function is parallel safe');
SELECT is((SELECT prokind FROM pg_proc WHERE proname = 'rank_score'), 'w'::"char", 'rank_score is a window function');
SELECT throws_ok('SELECT ''linear(1, 1)''::scoring_rule', '22P02', 'invalid input syntax for type scoring_rule: "linear(1, 1)"', 'lo = hi is a bad rule');
SELECT throws_ok('SELECT ''steps(10:0.5, 5:1)''::scoring_rule', '22P02', NULL, 'decreasing thresholds are a bad rule');
SELECT throws_ok('SELECT ''steps(10:1.5)''::scoring_rule', '22P02', NULL, 'a fraction above 1 is a bad rule');
SELECT throws_ok('SELECT ''target(0)''::scoring_rule', '22P02', NULL, 'a target of 0 is a bad rule');
SELECT throws_ok('SELECT ''grade(A:1, A:0)''::scoring_rule', '22P02', NULL, 'duplicate grades are a bad rule');
SELECT throws_ok('SELECT ''nonsense''::scoring_rule', '22P02', NULL, 'an unknown kind is a bad rule');
SELECT throws_ok('SELECT (''steps('' || string_agg(g || '':1'', '', '') || '')'')::scoring_rule FROM generate_series(1, 10000) g', '22P02', NULL, 'a 10,000-step rule is refused');
SELECT throws_ok('SELECT score(''target(80)'', ''NaN''::float8)', '22023', 'indicator value NaN is not a finite number', 'NaN is refused');
SELECT throws_ok('SELECT score(''target(80)'', ''Infinity''::float8)', '22023', 'indicator value Infinity is not a finite number', 'Infinity is refused');
SELECT throws_ok('SELECT indicator_stats(x) FROM unnest(ARRAY[1, ''NaN'']::float8[]) x', '22023', NULL, 'indicator_stats refuses NaN');
SELECT throws_ok('SELECT score(''minmax'', 1.0)', '22023', 'rule minmax is relative to all units and needs statistics', 'relative rule without statistics');
SELECT throws_ok('SELECT score(''minmax'', 1.0, NULL)', '22004', NULL, 'relative rule with NULL statistics');
SELECT throws_ok('SELECT score(''rank'', 1.0)', '22023', NULL, 'rank rule through score()');
SELECT throws_ok('SELECT score(''target(80)'', ''A'')', '22023', NULL, 'numeric rule with a text value');
SELECT throws_ok('SELECT score(''grade(A:1, B:0.5)'', ''C'')', '22023', 'unknown grade "C"', 'unknown grade');
SELECT throws_ok('SELECT ''(n=5,min=9,max=1,mean=4,sd=1)''::indicator_stats', '22P02', NULL, 'inconsistent statistics');
SELECT results_eq(
	$$SELECT score('target(80)', x) FROM unnest(ARRAY[0, 40, 60, 80, 120]::float8[]) x$$,
	$$VALUES (0::float8), (0.5), (0.75), (1), (1)$$,
	'target(80) scores');
SELECT results_eq(
	$$SELECT score('steps(50:0.5, 80:1)', x) FROM unnest(ARRAY[10, 50, 79, 80, 100]::float8[]) x$$,
	$$VALUES (0::float8), (0.5), (0.5), (1), (1)$$,
	'steps scores');
SELECT results_eq(
	$$SELECT score('grade(A:1, B:0.75, C:0.5)', g) FROM unnest(ARRAY['A', ' B ', 'C']) g$$,
	$$VALUES (1::float8), (0.75), (0.5)$$,
	'grade scores');
SELECT results_eq(
	$$SELECT score('minmax(0, 100)', x, indicator_stats(x) OVER ()) FROM unnest(ARRAY[10, 20, 30]::float8[]) x$$,
	$$VALUES (0::float8), (50), (100)$$,
	'minmax over a window');
SELECT results_eq(
	$$SELECT rank_score('rank', x) OVER () FROM unnest(ARRAY[3, 1, 3, 2]::float8[]) x ORDER BY x$$,
	$$VALUES (1::float8), (2), (3), (3)$$,
	'competition ranks with ties');
SELECT is(score('goalposts(0, 10, lower)', 2.5, NULL), 0.75::float8, 'goalposts with NULL statistics');
SELECT is(score('best(lower)', 4, '(n=3,min=2,max=8,mean=4.75,sd=2.5)'), 0.5::float8, 'best(lower) is min/x');
SELECT is((SELECT count(*) FROM random_rules WHERE r::text::scoring_rule::text <> r::text), 0::bigint,
	'random rules: the canonical text reads back to itself');
SELECT is((SELECT count(*) FROM random_rules WHERE r::text::scoring_rule = r), 1000::bigint,
	'every random rule survives rule::text::scoring_rule');
SELECT is((SELECT count(*) FROM (SELECT r FROM random_rules GROUP BY r) g), (SELECT count(DISTINCT r::text) FROM random_rules),
	'hash equality agrees with canonical text');

SELECT * FROM finish();
ROLLBACK;
