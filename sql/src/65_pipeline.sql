-- One pipeline call from raw values to scorecards: denominate, impute,
-- treat outliers, normalise and aggregate, in that order, each step's
-- parameters and changed cells written as audit rows (docs/method.md, "The
-- pipeline").  C (pipeline.c): the raw rows are read once, the steps run
-- in memory with the arithmetic of the standalone functions.  VOLATILE
-- and PARALLEL UNSAFE: it writes into the audit table (the one documented
-- exception of docs/scale-out.md).
CREATE FUNCTION pipeline(fw framework, raw regclass, audit regclass,
	declared indicator_code[] DEFAULT NULL, denominators indicator_code[] DEFAULT NULL,
	scales float8[] DEFAULT NULL, imputation text DEFAULT 'none',
	groups regclass DEFAULT NULL, previous regclass DEFAULT NULL,
	outliers boolean DEFAULT true)
	RETURNS TABLE(unit text, sc scorecard)
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pipeline(framework, regclass, regclass, indicator_code[], indicator_code[], float8[], text, regclass, regclass, boolean) IS
	'From raw values (raw: columns unit, code, value; read once) to one scorecard per unit: denominate (declared, denominators, scales), impute (none, mean, median, group_mean with groups, carry_forward with previous), treat outliers (COINr''s default rule), normalise by the rules fw carries (leaf_stats) and aggregate (composite), writing each step''s parameters, effects and changed cells into audit';
