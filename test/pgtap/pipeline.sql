-- pipeline(): contracts, the rebuild from the audit rows alone (the same
-- bits), and the same result as the steps chained by hand.
BEGIN;
SELECT plan(42);

SELECT has_function('pipeline', ARRAY['framework', 'regclass', 'regclass', 'indicator_code[]', 'indicator_code[]',
	'double precision[]', 'text', 'regclass', 'regclass', 'boolean']);
SELECT is((SELECT provolatile::text || proparallel::text FROM pg_proc WHERE proname = 'pipeline'), 'vu',
	'pipeline is volatile (it writes audit rows) and parallel unsafe');

-- Seeded data: 40 units in 4 regions, 6 leaves under 2 pillars, a
-- population; P1.1 is a count denominated by the population, P2.2 has a
-- heavy tail, P2.3 one huge value (both winsorised); missing cells as
-- NULL values and as absent rows.
CREATE TABLE tp_node (code indicator_code, parent indicator_code, rule scoring_rule);
INSERT INTO tp_node VALUES ('DTI', NULL, NULL), ('P1', 'DTI', NULL), ('P2', 'DTI', NULL),
	('P1.1', 'P1', 'minmax'), ('P1.2', 'P1', 'zscore(50, 10)'), ('P1.3', 'P1', 'minmax(0, 100)'),
	('P2.1', 'P2', 'minmax'), ('P2.2', 'P2', 'minmax'), ('P2.3', 'P2', 'minmax');
CREATE TABLE tp_fw AS
	SELECT framework_rules(
		framework_compile(array_agg(code), array_agg(parent), array_agg(NULL::float8),
			weights => array_agg(CASE code::text WHEN 'P1' THEN 2.0 WHEN 'P2' THEN 1.0 WHEN 'DTI' THEN NULL ELSE 1.0 END),
			methods => array_agg(CASE code::text WHEN 'DTI' THEN 'gmean' WHEN 'P1' THEN 'amean' WHEN 'P2' THEN 'amean' END)),
		array_agg(code) FILTER (WHERE rule IS NOT NULL), array_agg(rule) FILTER (WHERE rule IS NOT NULL)) AS fw
	FROM tp_node;
CREATE TABLE tp_group AS SELECT 'u' || lpad(u::text, 2, '0') AS unit, 'R' || (u % 4) AS grp FROM generate_series(1, 40) u;
CREATE TABLE tp_raw (unit text, code indicator_code, value float8);
INSERT INTO tp_raw
SELECT 'u' || lpad(u::text, 2, '0'), c.code::indicator_code,
	   CASE WHEN (u * 7 + c.k * 13) % 23 = 0 THEN NULL
			WHEN c.code = 'POP' THEN 1000 + (u * 7919) % 5000
			WHEN c.code = 'P2.2' THEN CASE WHEN u IN (3, 17) THEN 400 + u ELSE ((u * 104729) % 97) / 3.0 END
			WHEN c.code = 'P2.3' THEN CASE WHEN u = 5 THEN 1e6 ELSE 1 + (u * 31) % 11 END
			ELSE ((u * 7919 + c.k * 104729) % 1000) / 10.0 END
FROM generate_series(1, 40) u,
	 (VALUES ('POP', 0), ('P1.1', 1), ('P1.2', 2), ('P1.3', 3), ('P2.1', 4), ('P2.2', 5), ('P2.3', 6)) c(code, k)
WHERE NOT (u IN (9, 21) AND c.code = 'P1.3') AND NOT (u = 30 AND c.code <> 'POP');
CREATE TABLE tp_audit (step integer, name text, parameters jsonb, effects jsonb,
	unit text, code text, original float8, value float8, note text);
CREATE TABLE tp_cards AS
SELECT p.* FROM tp_fw, pipeline(fw, 'tp_raw', 'tp_audit', '{P1.1}', '{POP}', '{1000}', 'group_mean', 'tp_group') p;

SELECT is((SELECT count(*) FROM tp_cards), 40::bigint, 'one scorecard per unit');
SELECT results_eq($$SELECT step, name FROM tp_audit WHERE unit IS NULL ORDER BY step$$,
	$$VALUES (1, 'denominate'), (2, 'impute'), (3, 'treat_outliers'), (4, 'normalise'), (5, 'aggregate')$$,
	'a summary row per step, in order');
SELECT is((SELECT (effects ->> 'cells')::bigint FROM tp_audit WHERE unit IS NULL AND step = s), 
		  (SELECT count(*) FROM tp_audit WHERE unit IS NOT NULL AND step = s), 'step ' || s || ': the count of cells is the number of cell rows')
FROM generate_series(1, 3) s;
SELECT ok((SELECT (effects ->> 'cells')::int FROM tp_audit WHERE name = 'impute' AND unit IS NULL) > 6,
	'cells imputed (NULL values and absent rows)');
SELECT results_eq($$SELECT effects -> 'indicators' FROM tp_audit WHERE name = 'treat_outliers' AND unit IS NULL$$,
	$$VALUES ('["P1.1", "P2.2", "P2.3"]'::jsonb)$$, 'the heavy-tailed leaves are treated (P1.1 once denominated)');
SELECT results_eq($$SELECT DISTINCT code, note FROM tp_audit WHERE name = 'treat_outliers' AND unit IS NOT NULL ORDER BY 1$$,
	$$VALUES ('P1.1', 'winsorised'), ('P2.2', 'winsorised'), ('P2.3', 'winsorised')$$, 'P1.1, P2.2 and P2.3 winsorised');

-- The rebuild from the audit rows alone: the raw rows, each cell's last
-- recorded value, the recorded statistics and framework: the same bits.
CREATE TABLE tp_replay AS
WITH cell AS (
	SELECT DISTINCT ON (unit, code) unit, code, value FROM tp_audit WHERE unit IS NOT NULL ORDER BY unit, code, step DESC
), val AS (
	SELECT r.unit, r.code::text AS code, CASE WHEN c.unit IS NULL THEN r.value ELSE c.value END AS value
	FROM tp_raw r LEFT JOIN cell c ON c.unit = r.unit AND c.code = r.code::text
	UNION ALL
	SELECT c.unit, c.code, c.value FROM cell c WHERE NOT EXISTS (SELECT FROM tp_raw r WHERE r.unit = c.unit AND r.code::text = c.code)
)
SELECT v.unit, composite((SELECT (parameters ->> 'framework')::framework FROM tp_audit WHERE name = 'aggregate'),
						 (SELECT (parameters ->> 'statistics')::leaf_stats FROM tp_audit WHERE name = 'normalise'),
						 v.code::indicator_code, v.value) AS sc
FROM val v WHERE v.code <> 'POP' GROUP BY v.unit;
SELECT results_eq($$SELECT unit, scorecard_send(sc) FROM tp_cards ORDER BY unit$$,
	$$SELECT unit, scorecard_send(sc) FROM tp_replay ORDER BY unit$$,
	'rebuilt from the audit rows: the same scorecards, bit for bit');
SELECT ok((SELECT count(DISTINCT root_value(sc)) FROM tp_cards) > 30, 'the scorecards differ between units');

-- The steps chained by hand, as docs/method.md does.
CREATE TABLE tp_units AS SELECT array_agg(DISTINCT unit ORDER BY unit) AS units FROM tp_raw;
CREATE TABLE tp_den AS
SELECT r.unit, d.code::text AS code, d.value
FROM (SELECT unit, array_agg(code) AS codes, array_agg(value) AS vals FROM tp_raw GROUP BY unit) r,
	 denominate(r.codes, r.vals, '{P1.1}', '{POP}', '{1000}') d
WHERE d.code <> 'POP';
CREATE TABLE tp_imp AS
SELECT i.unit, l.code, i.value
FROM (SELECT n.code::text AS code FROM tp_fw, framework_nodes(fw) n WHERE n.is_leaf) l, tp_units,
	 LATERAL (SELECT array_agg(d.value ORDER BY u.i) AS vals, array_agg(g.grp ORDER BY u.i) AS grps
			  FROM unnest(units) WITH ORDINALITY u(unit, i)
			  LEFT JOIN tp_den d ON d.unit = u.unit AND d.code = l.code
			  LEFT JOIN tp_group g ON g.unit = u.unit) a,
	 impute(units, a.vals, 'group_mean', a.grps) i
WHERE i.value IS NOT NULL;
CREATE TABLE tp_treat AS
SELECT t.unit, l.code, t.value
FROM (SELECT code, array_agg(unit ORDER BY unit) AS units, array_agg(value ORDER BY unit) AS vals FROM tp_imp GROUP BY code) l,
	 treat_outliers(l.units, l.vals) t;
CREATE TABLE tp_hand AS
SELECT unit, composite((SELECT fw FROM tp_fw), (SELECT leaf_stats((SELECT fw FROM tp_fw), code::indicator_code, value) FROM tp_treat),
					   code::indicator_code, value) AS sc
FROM tp_treat GROUP BY unit;
SELECT is((SELECT count(*) FROM tp_hand), 40::bigint, 'by hand: one scorecard per unit');
SELECT is((SELECT count(*) FROM tp_cards p JOIN tp_hand h USING (unit),
				  scorecard_nodes(p.sc) a JOIN scorecard_nodes(h.sc) b USING (code)
		   WHERE a.value IS DISTINCT FROM b.value AND NOT abs(a.value - b.value) <= 1e-12 * greatest(abs(a.value), abs(b.value), 1)),
		  0::bigint, 'every node of every scorecard as the steps chained by hand (1e-12)');
SELECT is((SELECT count(*) FROM tp_treat t LEFT JOIN tp_audit a ON a.unit = t.unit AND a.code = t.code AND a.step = 3
		   WHERE a.unit IS NULL AND t.value IS DISTINCT FROM (SELECT value FROM tp_imp i WHERE i.unit = t.unit AND i.code = t.code)),
		  0::bigint, 'every cell the treatment changed by hand is in the audit');

-- Under search_path = pg_catalog (dti's objects are qualified inside).
CREATE TABLE tp_audit_path (LIKE tp_audit, written timestamptz DEFAULT now());
CREATE FUNCTION pg_temp.catalog_path_count(query text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE n bigint;
BEGIN
	EXECUTE query INTO n;
	RETURN n;
END $$;
SELECT is(pg_temp.catalog_path_count($$SELECT count(*) FROM public.tp_fw,
		public.pipeline(fw, 'public.tp_raw', 'public.tp_audit_path', '{P1.1}', '{POP}', '{1000}', 'group_mean', 'public.tp_group')$$),
	40::bigint, 'pipeline() runs with search_path = pg_catalog');

-- Median imputation: every imputed cell as impute() gives it by hand.
CREATE TABLE tp_audit_median (LIKE tp_audit);
CREATE TABLE tp_cards_median AS
SELECT p.* FROM tp_fw, pipeline(fw, 'tp_raw', 'tp_audit_median', '{P1.1}', '{POP}', '{1000}', 'median', outliers => false) p;
CREATE TABLE tp_imp_median AS
SELECT i.unit, l.code, i.value, i.how || ' of ' || i.donors || ' values' AS note
FROM (SELECT n.code::text AS code FROM tp_fw, framework_nodes(fw) n WHERE n.is_leaf) l, tp_units,
	 LATERAL (SELECT array_agg(d.value ORDER BY u.i) AS vals
			  FROM unnest(units) WITH ORDINALITY u(unit, i)
			  LEFT JOIN tp_den d ON d.unit = u.unit AND d.code = l.code) a,
	 impute(units, a.vals, 'median') i
WHERE i.imputed;
SELECT results_eq($$SELECT unit, code, value, note FROM tp_audit_median WHERE step = 2 AND unit IS NOT NULL ORDER BY unit, code$$,
	$$SELECT unit, code, value, note FROM tp_imp_median ORDER BY unit, code$$,
	'median: the imputed cells, their values and notes are impute()''s');
SELECT is((SELECT (effects ->> 'cells')::int FROM tp_audit_median WHERE step = 3 AND unit IS NULL), 0,
	'outliers => false: no cell treated');

-- Carry forward: the previous period's value of the unit, where it has one.
CREATE TABLE tp_prev AS
SELECT unit, code, value + 0.5 AS value FROM tp_raw WHERE code <> 'POP' AND unit <> 'u07' AND value IS NOT NULL;
INSERT INTO tp_prev VALUES ('u30', 'P1.2', 41.5), ('u30', 'P2.1', NULL), ('zz', 'P1.2', 1), ('u01', 'Q9', 1);
CREATE TABLE tp_audit_cf (LIKE tp_audit);
CREATE TABLE tp_cards_cf AS
SELECT p.* FROM tp_fw, pipeline(fw, 'tp_raw', 'tp_audit_cf', imputation => 'carry_forward', previous => 'tp_prev',
	declared => '{P1.1}', denominators => '{POP}') p;
SELECT results_eq($$SELECT a.unit, a.code, a.value, a.note FROM tp_audit_cf a WHERE a.step = 2 AND a.unit IS NOT NULL AND a.code <> 'P1.1' ORDER BY 1, 2$$,
	$$SELECT p.unit, p.code::text, p.value, 'carry_forward of 1 value' FROM tp_prev p
	  WHERE p.value IS NOT NULL AND p.code <> 'P1.1' AND p.unit <> 'zz' AND p.code <> 'Q9'
		AND NOT EXISTS (SELECT FROM tp_raw r WHERE r.unit = p.unit AND r.code = p.code AND r.value IS NOT NULL)
	  ORDER BY 1, 2$$,
	'carry_forward: each missing cell with a previous value takes it (other units and codes of previous ignored)');
SELECT is((SELECT count(*) FROM tp_cards_cf), 40::bigint,
	'a unit with no leaf row gets a scorecard once a cell is imputed (u30)');
SELECT is((SELECT count(*) FROM tp_fw, pipeline(fw, 'tp_raw', 'tp_audit_cf', declared => '{P1.1}', denominators => '{POP}')),
	39::bigint, 'without imputation, a unit with no leaf row (only its population) has no scorecard');

-- group_mean: a unit without a group keeps its missing cells.
CREATE TABLE tp_group_partial AS SELECT * FROM tp_group WHERE unit <> 'u30';
CREATE TABLE tp_audit_gp (LIKE tp_audit);
SELECT is((SELECT count(*) FROM tp_fw, pipeline(fw, 'tp_raw', 'tp_audit_gp', '{P1.1}', '{POP}', '{1000}', 'group_mean', 'tp_group_partial')),
	39::bigint, 'group_mean: u30, without a group, is not imputed (and, with no leaf row, has no scorecard)');
SELECT is((SELECT count(*) FROM tp_audit_gp WHERE step = 2 AND unit = 'u30'), 0::bigint, 'no audit row imputes u30');

-- The order of the raw rows does not matter, nor the type of code (text).
CREATE TABLE tp_raw_shuffled AS SELECT unit, code::text AS code, value FROM tp_raw ORDER BY md5(unit || code::text);
CREATE TABLE tp_audit_shuffled (LIKE tp_audit);
SELECT results_eq($$SELECT unit, scorecard_send(sc) FROM tp_fw,
		pipeline(fw, 'tp_raw_shuffled', 'tp_audit_shuffled', '{P1.1}', '{POP}', '{1000}', 'group_mean', 'tp_group') ORDER BY unit$$,
	$$SELECT unit, scorecard_send(sc) FROM tp_cards ORDER BY unit$$,
	'raw rows in another order, codes as text: the same scorecards, bit for bit');
SELECT results_eq($$SELECT step, unit, code, original, value, note FROM tp_audit_shuffled ORDER BY 1, 2, 3$$,
	$$SELECT step, unit, code, original, value, note FROM tp_audit ORDER BY 1, 2, 3$$,
	'and the same audit rows');

-- Rows that do not fit
CREATE TABLE tp_dup AS SELECT * FROM tp_raw UNION ALL SELECT 'u01', 'P1.2', 1;
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_dup', 'tp_audit', '{P1.1}', '{POP}')$$,
	'21000', 'pipeline: unit "u01" has more than one raw row for "P1.2"', 'two raw rows for one unit and code');
CREATE TABLE tp_nounit AS SELECT * FROM tp_raw UNION ALL SELECT NULL, 'P1.2', 1;
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_nounit', 'tp_audit', '{P1.1}', '{POP}')$$,
	'22004', 'pipeline: a raw row has no unit', 'a raw row without a unit');
CREATE TABLE tp_intcode (unit text, code integer, value float8);
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_intcode', 'tp_audit')$$,
	'42804', 'pipeline: raw column code must be text or indicator_code, not integer', 'a code column of another type');
CREATE TABLE tp_group2 AS SELECT * FROM tp_group UNION ALL SELECT 'u01', 'R9';
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_raw', 'tp_audit', '{P1.1}', '{POP}', imputation => 'group_mean', groups => 'tp_group2')$$,
	'21000', 'pipeline: unit "u01" has more than one row in groups', 'a unit in two groups');
CREATE TABLE tp_prev2 AS SELECT * FROM tp_prev UNION ALL SELECT 'u01', 'P1.2', 3;
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_raw', 'tp_audit', '{P1.1}', '{POP}', imputation => 'carry_forward', previous => 'tp_prev2')$$,
	'21000', 'pipeline: unit "u01" has more than one row in previous for "P1.2"', 'two previous rows for one unit and code');
CREATE TABLE tp_inf AS SELECT unit, code, CASE WHEN unit = 'u02' AND code = 'P2.1' THEN 'Infinity' ELSE value END AS value FROM tp_raw;
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_inf', 'tp_audit', '{P1.1}', '{POP}')$$,
	'22023', 'outlier treatment needs finite values, not Infinity for unit "u02" and indicator "P2.1"', 'a non-finite value');

CREATE TABLE tp_nullcode AS SELECT * FROM tp_raw UNION ALL SELECT 'u01', NULL, 1;
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_nullcode', 'tp_audit', '{P1.1}', '{POP}')$$,
	'22004', 'pipeline: a raw row has a NULL code', 'a raw row without a code');
CREATE FUNCTION pg_temp.error_of(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	st text;
	m text;
	d text;
	h text;
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
	RETURN st || ': ' || m || E'\n' || d || E'\n' || h;
END $f$;
SELECT is(pg_temp.error_of($$SELECT * FROM tp_fw, pipeline(fw, 'tp_nullcode', 'tp_audit', '{P1.1}', '{POP}')$$),
	'22004: pipeline: a raw row has a NULL code' || E'\n'
	|| 'Raw row ' || (SELECT count(*) + 1 FROM tp_raw) || E' as read, of unit "u01", has no code.\n'
	|| 'Give every raw row the code of a leaf of the framework or of a declared denominator, or leave out the rows without one.',
	'a raw row without a code: its position and unit, what to fix');
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_inf', 'tp_audit', '{P1.1}', '{POP}', outliers => false)$$,
	'22023', 'indicator value Infinity is not a finite number', 'a non-finite value, outliers not treated');
CREATE TABLE tp_novalue AS SELECT unit, code FROM tp_raw;
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_novalue', 'tp_audit', '{P1.1}', '{POP}')$$,
	'42703', NULL, 'raw without a value column');
CREATE TABLE tp_huge AS SELECT unit, code, CASE WHEN code = 'POP' THEN 1e-10 WHEN code = 'P1.1' THEN 1e308 ELSE value END AS value FROM tp_raw;
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_huge', 'tp_audit', '{P1.1}', '{POP}')$$,
	'22003', 'value out of range: overflow', 'a ratio beyond float8');

-- Bad declarations
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_raw', 'tp_audit', '{P1.1}', '{POP}', imputation => 'knn')$$,
	'22023', 'pipeline: unknown imputation method "knn"', 'an unknown imputation method');
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_raw', 'tp_audit', '{P1.1}', '{POP}', imputation => 'group_mean')$$,
	'22023', 'pipeline: group_mean needs groups', 'group_mean without groups');
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_raw', 'tp_audit', '{P1.1}', '{POP}', '{-1}')$$,
	'22023', 'denominate: scales must be positive and finite', 'a negative scale');
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_raw', 'tp_audit', '{P1.1,P1.1}', '{POP,POP}')$$,
	'22023', 'denominate: indicator "P1.1" is declared twice', 'an indicator declared twice');
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_raw', 'tp_audit')$$,
	'22023', 'pipeline: raw code "POP" is neither a leaf of the framework nor a declared denominator', 'a raw code that is not a leaf');
SELECT throws_ok($$SELECT * FROM tp_fw, pipeline(fw, 'tp_raw', 'tp_audit', '{P1.1}', '{POP}', outliers => NULL)$$,
	'22004', 'pipeline: fw, raw, audit, imputation and outliers must not be NULL', 'NULL outliers');

SELECT * FROM finish();
ROLLBACK;
