/*-------------------------------------------------------------------------
 *
 * framework.c
 *	  The framework type: a compiled, immutable index tree.
 *
 * framework_compile() builds one from parallel arrays (one element per
 * node), validating the tree: duplicate codes, orphans, cycles, several
 * roots, leaves without weight or points and negative weights are errors
 * naming the offending code.  The text form is a JSON array of node
 * objects; input goes through the same validation.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "catalog/pg_type_d.h"
#include "common/hashfn.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "dti_util.h"
#include "framework.h"
#include "indicator_code.h"
#include "indicator_code_core.h"
#include "pg_compat.h"
#include "scoring_rule.h"
#include "tree_wire_core.h"

PG_FUNCTION_INFO_V1(framework_in);
PG_FUNCTION_INFO_V1(framework_out);
PG_FUNCTION_INFO_V1(framework_recv);
PG_FUNCTION_INFO_V1(framework_send);
PG_FUNCTION_INFO_V1(framework_compile);
PG_FUNCTION_INFO_V1(framework_nodes);
PG_FUNCTION_INFO_V1(framework_rules);
PG_FUNCTION_INFO_V1(framework_rule);

/* One node as given by the user, before compilation. */
typedef FwNodeSpec NodeSpec;

static char *
code_str(const char *code, int len)
{
	return pnstrdup(code, len);
}

/* palloc for fw_compile, which may need more than 1 GB for huge inputs. */
static void *
compile_alloc(size_t size)
{
	return MemoryContextAllocHuge(CurrentMemoryContext, Max(size, 1));
}

/*
 * Compile and validate n node specifications into a Framework: fw_compile
 * (framework_core.c) does the work; its problems become errors naming the
 * offending codes.  Specifications decoded from the binary form (binary)
 * report every problem as invalid binary data, as recv functions must.
 * Text input reports them as soft errors when escontext asks for them
 * (NULL is returned then).
 */
#define SPEC_ERRCODE(code) \
	errcode(binary ? ERRCODE_INVALID_BINARY_REPRESENTATION : (code))

static Framework *
compile_specs(const NodeSpec *specs, int n, bool binary, Node *escontext)
{
	FwCompileError err;
	Framework  *fw = fw_compile(specs, n, compile_alloc, &err);
	const NodeSpec *s;
	const NodeSpec *o;

	if (fw != NULL)
		return fw;
	s = err.node >= 0 ? &specs[err.node] : NULL;
	o = err.other >= 0 ? &specs[err.other] : NULL;
	switch (err.problem)
	{
		case FWC_EMPTY:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a framework needs at least one indicator")));
			break;
		case FWC_TOO_MANY:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("a framework has at most %d indicators", FRAMEWORK_MAX_NODES),
					 errdetail("%d were given.", n)));
			break;
		case FWC_DUPLICATE:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("indicator \"%s\" appears twice in the framework",
							code_str(s->code, s->code_len)),
					 errhint("Each indicator code is one node of the tree.")));
			break;
		case FWC_TWO_ROOTS:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the framework has more than one root: \"%s\" and \"%s\"",
							code_str(o->code, o->code_len),
							code_str(s->code, s->code_len)),
					 errhint("Give every indicator but the index itself a parent.")));
			break;
		case FWC_ORPHAN:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("indicator \"%s\" is an orphan: its parent \"%s\" is not in the framework",
							code_str(s->code, s->code_len),
							code_str(s->parent, s->parent_len))));
			break;
		case FWC_CYCLE:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("indicator \"%s\" is on a cycle of parent links",
							code_str(s->code, s->code_len)),
					 errdetail("Following parents from it never reaches the root%s.",
							   err.no_root ? " (no indicator is without a parent)" : "")));
			break;
		case FWC_NOT_FINITE:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s of indicator \"%s\" must be a finite number",
							err.what, code_str(s->code, s->code_len))));
			break;
		case FWC_NEGATIVE:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s of indicator \"%s\" must not be negative",
							err.what, code_str(s->code, s->code_len)),
					 errdetail("The %s given is %g.", err.what, err.value)));
			break;
		case FWC_THRESHOLD:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("threshold of indicator \"%s\" must be between 0 and 1",
							code_str(s->code, s->code_len)),
					 errdetail("The threshold is the least share of children present; %g was given.",
							   err.value)));
			break;
		case FWC_LEAF_UNWEIGHTED:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("leaf indicator \"%s\" has neither a weight nor max points",
							code_str(s->code, s->code_len)),
					 errhint("Give max points for a points parent, or a weight for a mean.")));
			break;
		case FWC_METHOD:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown aggregation method \"%s\" for indicator \"%s\"",
							s->method, code_str(s->code, s->code_len)),
					 errhint("Use points, amean, gmean or hmean.")));
			break;
		case FWC_MISSING:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown missing-value rule \"%s\" for indicator \"%s\"",
							s->missing, code_str(s->code, s->code_len)),
					 errhint("Use drop (missing children leave with their weight) or zero (they count as 0).")));
			break;
		case FWC_NEEDS_MAX:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("indicator \"%s\" needs max points: its parent \"%s\" uses the points method",
							code_str(s->code, s->code_len),
							code_str(o->code, o->code_len))));
			break;
		case FWC_MAX_OVERFLOW:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("max points of indicator \"%s\" are out of range",
							code_str(s->code, s->code_len)),
					 errdetail("The max points of its children add up to more than the largest float8.")));
			break;
		case FWC_WEIGHT_OVERFLOW:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("weights of the children of indicator \"%s\" are out of range",
							code_str(s->code, s->code_len)),
					 errdetail("They add up to more than the largest float8, and each is divided by their sum."),
					 errhint("Scale the weights down: only their ratios count.")));
			break;
		case FWC_NEEDS_WEIGHT:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("indicator \"%s\" needs a weight: its parent \"%s\" uses the %s method",
							code_str(s->code, s->code_len),
							code_str(o->code, o->code_len),
							fw_method_name(err.method))));
			break;
		case FWC_RULE_INNER:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("indicator \"%s\" has a scoring rule but is not a leaf",
							code_str(s->code, s->code_len)),
					 errhint("Give rules to leaves only; inner values are computed from them.")));
			break;
		case FWC_RULE_KIND:
			errsave(escontext,
					(SPEC_ERRCODE(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rule %s of indicator \"%s\" cannot be carried by a framework",
							scoring_rule_to_cstring(s->rule), code_str(s->code, s->code_len)),
					 errdetail("A framework carries absolute rules and rules relative to statistics (best, minmax, zscore)."),
					 errhint("Score grade and rank rules with score() or rank_score() and give the leaf no rule.")));
			break;
		case FWC_OK:
			break;
	}
	if (SOFT_ERROR_OCCURRED(escontext))
		return NULL;
	elog(ERROR, "framework compilation failed without a reason");
	return NULL;				/* keep compiler quiet */
}

/* framework_compile(codes, parents, max_points, weights, methods, thresholds, missing) */

static Datum *
array_elements(FunctionCallInfo fcinfo, int argno, Oid elemtype, int n,
			   bool **nulls, const char *what)
{
	ArrayType  *arr;
	Datum	   *elems;
	int			count;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (PG_ARGISNULL(argno))
	{
		*nulls = NULL;
		return NULL;
	}
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign,
					  &elems, nulls, &count);
	if (n >= 0 && count != n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s has %d elements, but there are %d codes", what, count, n),
				 errhint("Give one element per indicator, NULL where it does not apply.")));
	return elems;
}

Datum
framework_compile(PG_FUNCTION_ARGS)
{
	Oid			code_type = get_fn_expr_argtype(fcinfo->flinfo, 0);
	bool	   *code_nulls,
			   *parent_nulls,
			   *max_nulls,
			   *weight_nulls,
			   *method_nulls,
			   *threshold_nulls,
			   *missing_nulls;
	Datum	   *code_d,
			   *parent_d,
			   *max_d,
			   *weight_d,
			   *method_d,
			   *threshold_d,
			   *missing_d;
	ArrayType  *codes_arr;
	int			n,
				i;
	NodeSpec   *specs;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the array of indicator codes must not be NULL")));
	codes_arr = PG_GETARG_ARRAYTYPE_P(0);
	n = ArrayGetNItems(ARR_NDIM(codes_arr), ARR_DIMS(codes_arr));
	code_type = ARR_ELEMTYPE(codes_arr);
	code_d = array_elements(fcinfo, 0, code_type, -1, &code_nulls, "codes");
	parent_d = array_elements(fcinfo, 1, code_type, n, &parent_nulls, "parents");
	max_d = array_elements(fcinfo, 2, FLOAT8OID, n, &max_nulls, "max_points");
	weight_d = array_elements(fcinfo, 3, FLOAT8OID, n, &weight_nulls, "weights");
	method_d = array_elements(fcinfo, 4, TEXTOID, n, &method_nulls, "methods");
	threshold_d = array_elements(fcinfo, 5, FLOAT8OID, n, &threshold_nulls, "thresholds");
	missing_d = array_elements(fcinfo, 6, TEXTOID, n, &missing_nulls, "missing");

	specs = palloc0(sizeof(NodeSpec) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		NodeSpec   *s = &specs[i];
		IndicatorCode *c;

		if (code_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("indicator code %d of the framework is NULL", i + 1)));
		c = DatumGetIndicatorCodeP(code_d[i]);
		s->code = ICODE_DATA(c);
		s->code_len = ICODE_LEN(c);
		if (parent_d != NULL && !parent_nulls[i])
		{
			IndicatorCode *p = DatumGetIndicatorCodeP(parent_d[i]);

			s->parent = ICODE_DATA(p);
			s->parent_len = ICODE_LEN(p);
		}
		if (max_d != NULL && !max_nulls[i])
		{
			s->has_max = true;
			s->max_points = DatumGetFloat8(max_d[i]);
		}
		if (weight_d != NULL && !weight_nulls[i])
		{
			s->has_weight = true;
			s->weight = DatumGetFloat8(weight_d[i]);
		}
		if (method_d != NULL && !method_nulls[i])
			s->method = TextDatumGetCString(method_d[i]);
		if (missing_d != NULL && !missing_nulls[i])
			s->missing = TextDatumGetCString(missing_d[i]);
		if (threshold_d != NULL && !threshold_nulls[i])
		{
			s->has_threshold = true;
			s->threshold = DatumGetFloat8(threshold_d[i]);
		}
	}
	PG_RETURN_POINTER(compile_specs(specs, n, false, NULL));
}

/* Text form: a JSON array of node objects. */

static void
append_number(StringInfo buf, float8 v)
{
	char		tmp[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(v, tmp);
	appendStringInfoString(buf, tmp);
}

static void
append_code(StringInfo buf, const char *code, int len)
{
	/* codes hold only [A-Za-z0-9_.]: no escaping needed */
	appendStringInfoChar(buf, '"');
	appendBinaryStringInfo(buf, code, len);
	appendStringInfoChar(buf, '"');
}

Datum
framework_out(PG_FUNCTION_ARGS)
{
	Framework  *fw = DatumGetFrameworkP(PG_GETARG_DATUM(0));
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (i = 0; i < fw->nnodes; i++)
	{
		FwNodeSpec	s;

		fw_node_given(fw, i, &s);
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, "{\"code\": ");
		append_code(&buf, s.code, s.code_len);
		if (s.parent != NULL)
		{
			appendStringInfoString(&buf, ", \"parent\": ");
			append_code(&buf, s.parent, s.parent_len);
		}
		if (s.has_max)
		{
			appendStringInfoString(&buf, ", \"max_points\": ");
			append_number(&buf, s.max_points);
		}
		if (s.has_weight)
		{
			appendStringInfoString(&buf, ", \"weight\": ");
			append_number(&buf, s.weight);
		}
		if (s.method != NULL)
			appendStringInfo(&buf, ", \"method\": \"%s\", \"missing\": \"%s\"",
							 s.method, s.missing);
		if (s.has_threshold)
		{
			appendStringInfoString(&buf, ", \"threshold\": ");
			append_number(&buf, s.threshold);
		}
		if (fw->nodes[i].leaf_index >= 0 &&
			fw_leaf_rule(fw, fw->nodes[i].leaf_index) != NULL)
		{
			/* the rules a framework carries print without quotes or escapes */
			appendStringInfo(&buf, ", \"rule\": \"%s\"",
							 scoring_rule_to_cstring(fw_leaf_rule(fw, fw->nodes[i].leaf_index)));
		}
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoChar(&buf, ']');
	PG_RETURN_CSTRING(buf.data);
}

/*
 * A JSON number as float8: false when the key is absent or null, and on a
 * soft error reported to escontext (the caller checks SOFT_ERROR_OCCURRED).
 */
static bool
json_number(JsonbContainer *obj, const char *key, const char *code, float8 *out,
			Node *escontext)
{
	JsonbValue	v;
	Datum		d;

	if (getKeyJsonValueFromContainer(obj, key, strlen(key), &v) == NULL ||
		v.type == jbvNull)
		return false;
	if (v.type != jbvNumeric)
		ereturn(escontext, false,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", "framework"),
				 errdetail("\"%s\" of indicator \"%s\" must be a number.", key, code)));
	/* through float8in, whose out-of-range error can be soft */
	if (!DirectInputFunctionCallSafe(float8in,
									 DatumGetCString(DirectFunctionCall1(numeric_out,
																		 NumericGetDatum(v.val.numeric))),
									 InvalidOid, -1, escontext, &d))
		return false;
	*out = DatumGetFloat8(d);
	return true;
}

/* A JSON string, like json_number: NULL when absent or on a soft error. */
static char *
json_string(JsonbContainer *obj, const char *key, const char *code, int *len,
			Node *escontext)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(obj, key, strlen(key), &v) == NULL ||
		v.type == jbvNull)
		return NULL;
	if (v.type != jbvString)
		ereturn(escontext, NULL,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", "framework"),
				 errdetail("\"%s\" of indicator \"%s\" must be a string.", key,
						   code ? code : "?")));
	if (len)
		*len = v.val.string.len;
	return pnstrdup(v.val.string.val, v.val.string.len);
}

/*
 * Text input; bad input is a soft error when the caller asks for one
 * (every helper reports to escontext and returns, and each result is
 * checked before the next step).
 */
Datum
framework_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Node	   *escontext = fcinfo->context;
	int			n,
				i;
	JsonbContainer *arr = dti_json_array(str, "framework", &n, escontext);
	NodeSpec   *specs;

	if (arr == NULL)
		PG_RETURN_POINTER(NULL);
	specs = palloc0(sizeof(NodeSpec) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(arr, i);
		JsonbContainer *obj;
		NodeSpec   *s = &specs[i];
		char	   *code;
		int			len;
		IndicatorCode *c;

		if (elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
			ereturn(escontext, (Datum) 0,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s", "framework"),
					 errdetail("Element %d is not a JSON object.", i + 1)));
		obj = elem->val.binary.data;
		code = json_string(obj, "code", NULL, &len, escontext);
		if (SOFT_ERROR_OCCURRED(escontext))
			PG_RETURN_POINTER(NULL);
		if (code == NULL)
			ereturn(escontext, (Datum) 0,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s", "framework"),
					 errdetail("Element %d has no \"code\".", i + 1)));
		c = indicator_code_parse_safe(code, len, escontext);
		if (c == NULL)
			PG_RETURN_POINTER(NULL);
		s->code = ICODE_DATA(c);
		s->code_len = ICODE_LEN(c);
		s->parent = json_string(obj, "parent", code, &len, escontext);
		if (s->parent != NULL)
		{
			IndicatorCode *p = indicator_code_parse_safe(s->parent, len, escontext);

			if (p == NULL)
				PG_RETURN_POINTER(NULL);
			s->parent = ICODE_DATA(p);
			s->parent_len = ICODE_LEN(p);
		}
		s->has_max = json_number(obj, "max_points", code, &s->max_points, escontext);
		if (!SOFT_ERROR_OCCURRED(escontext))
			s->has_weight = json_number(obj, "weight", code, &s->weight, escontext);
		if (!SOFT_ERROR_OCCURRED(escontext))
			s->has_threshold = json_number(obj, "threshold", code, &s->threshold, escontext);
		if (!SOFT_ERROR_OCCURRED(escontext))
			s->method = json_string(obj, "method", code, NULL, escontext);
		if (!SOFT_ERROR_OCCURRED(escontext))
			s->missing = json_string(obj, "missing", code, NULL, escontext);
		if (!SOFT_ERROR_OCCURRED(escontext))
		{
			char	   *rule = json_string(obj, "rule", code, NULL, escontext);
			Datum		d;

			if (rule != NULL &&
				DirectInputFunctionCallSafe(scoring_rule_in, rule, InvalidOid, -1,
											escontext, &d))
				s->rule = DatumGetScoringRuleP(d);
		}
		if (SOFT_ERROR_OCCURRED(escontext))
			PG_RETURN_POINTER(NULL);
	}
	PG_RETURN_POINTER(compile_specs(specs, n, false, escontext));
}

/*
 * The binary form: written and read by tree_wire_core.c, the nodes then
 * compiled as text input compiles them.
 */
Datum
framework_send(PG_FUNCTION_ARGS)
{
	Framework  *fw = DatumGetFrameworkP(PG_GETARG_DATUM(0));
	size_t		size;
	bytea	   *out;

	if (fw->rules_at > 0)
	{
		/* version 2 has no place for rules: the text form, version 1 */
		char	   *text = DatumGetCString(DirectFunctionCall1(framework_out,
															  PointerGetDatum(fw)));
		StringInfoData buf;

		pq_begintypsend(&buf);
		pq_sendbyte(&buf, TREE_WIRE_TEXT_VERSION);
		pq_sendtext(&buf, text, strlen(text));
		PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
	}
	size = fw_wire_size(fw);
	out = (bytea *) palloc(VARHDRSZ + size);
	SET_VARSIZE(out, VARHDRSZ + size);
	fw_wire_write(fw, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

Datum
framework_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	const unsigned char *bytes;
	size_t		len;
	FwNodeSpec *specs;
	int			n,
				bad_node;
	const char *problem;

	if (tree_recv_bytes(buf, &bytes, &len))
		return tree_recv_text(buf, framework_in, "framework");
	problem = fw_wire_decode(bytes, len, compile_alloc, &specs, &n, &bad_node);
	if (problem != NULL)
		tree_recv_fail("framework", problem, bad_node);
	PG_RETURN_POINTER(compile_specs(specs, n, true, NULL));
}

/*
 * A framework from its binary form (no version 1 text form here), checked
 * and compiled as framework_recv does: what a rollup() or composite() state
 * carries.
 */
Framework *
framework_from_wire(const unsigned char *bytes, size_t len)
{
	FwNodeSpec *specs;
	int			n,
				bad_node;
	const char *problem;

	problem = fw_wire_decode(bytes, len, compile_alloc, &specs, &n, &bad_node);
	if (problem != NULL)
		tree_recv_fail("framework", problem, bad_node);
	return compile_specs(specs, n, true, NULL);
}

/*
 * framework_nodes(fw): the compiled tree, one row per node in preorder.
 */
Datum
framework_nodes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Framework  *fw = DatumGetFrameworkP(PG_GETARG_DATUM(0));
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < fw->nnodes; i++)
	{
		FrameworkNode *node = &fw->nodes[i];
		Datum		values[9];
		bool		nulls[9] = {0};

		values[0] = PointerGetDatum(indicator_code_make(FW_CODE(fw, i), node->code_len));
		if (node->parent >= 0)
			values[1] = PointerGetDatum(indicator_code_make(FW_CODE(fw, node->parent),
															fw->nodes[node->parent].code_len));
		else
			nulls[1] = true;
		values[2] = Int32GetDatum(node->level);
		values[3] = BoolGetDatum(node->first_child < 0);
		if (isnan(node->max_points))
			nulls[4] = true;
		else
			values[4] = Float8GetDatum(node->max_points);
		if (node->parent >= 0)
			values[5] = Float8GetDatum(node->weight);
		else
			nulls[5] = true;
		if (node->method == FW_LEAF)
		{
			nulls[6] = nulls[7] = nulls[8] = true;
		}
		else
		{
			values[6] = CStringGetTextDatum(fw_method_name(node->method));
			values[7] = CStringGetTextDatum(node->missing == FW_MISSING_ZERO ? "zero" : "drop");
			values[8] = Float8GetDatum(node->threshold);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * framework_rules(fw, codes, rules): the framework with each given leaf's
 * scoring rule attached (a NULL rule: none), every other leaf without one;
 * the tree is the same.  composite() scores leaves by these rules.
 */
Datum
framework_rules(PG_FUNCTION_ARGS)
{
	Framework  *fw = DatumGetFrameworkP(PG_GETARG_DATUM(0));
	CompiledFramework *cf = framework_prepare(fw, CurrentMemoryContext);
	bool	   *code_nulls,
			   *rule_nulls;
	Datum	   *code_d,
			   *rule_d;
	int			n,
				i;
	NodeSpec   *specs;
	bool	   *given;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the arrays of codes and rules must not be NULL")));
	n = ArrayGetNItems(ARR_NDIM(PG_GETARG_ARRAYTYPE_P(1)),
					   ARR_DIMS(PG_GETARG_ARRAYTYPE_P(1)));
	code_d = array_elements(fcinfo, 1, ARR_ELEMTYPE(PG_GETARG_ARRAYTYPE_P(1)), -1,
							&code_nulls, "codes");
	rule_d = array_elements(fcinfo, 2, ARR_ELEMTYPE(PG_GETARG_ARRAYTYPE_P(2)), n,
							&rule_nulls, "rules");
	specs = palloc0(sizeof(NodeSpec) * fw->nnodes);
	for (i = 0; i < fw->nnodes; i++)
		fw_node_given(fw, i, &specs[i]);
	given = palloc0(sizeof(bool) * fw->nnodes);
	for (i = 0; i < n; i++)
	{
		IndicatorCode *c;
		int			node;

		if (code_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("indicator code %d of the rules is NULL", i + 1)));
		c = DatumGetIndicatorCodeP(code_d[i]);
		node = framework_find(cf, ICODE_DATA(c), ICODE_LEN(c));
		if (node < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("indicator \"%s\" is not in the framework",
							pnstrdup(ICODE_DATA(c), ICODE_LEN(c)))));
		if (given[node])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("indicator \"%s\" is given two rules",
							pnstrdup(ICODE_DATA(c), ICODE_LEN(c)))));
		given[node] = true;
		if (!rule_nulls[i])
			specs[node].rule = DatumGetScoringRuleP(rule_d[i]);
	}
	PG_RETURN_POINTER(compile_specs(specs, fw->nnodes, false, NULL));
}

/* framework_rule(fw, code): the scoring rule a framework carries for a leaf. */
Datum
framework_rule(PG_FUNCTION_ARGS)
{
	Framework  *fw = DatumGetFrameworkP(PG_GETARG_DATUM(0));
	IndicatorCode *c = PG_GETARG_INDICATOR_CODE_P(1);
	CompiledFramework *cf = framework_prepare(fw, CurrentMemoryContext);
	int			node = framework_find(cf, ICODE_DATA(c), ICODE_LEN(c));
	const SrRule *rule;
	SrRule	   *copy;

	if (node < 0 || fw->nodes[node].leaf_index < 0)
		PG_RETURN_NULL();
	rule = fw_leaf_rule(fw, fw->nodes[node].leaf_index);
	if (rule == NULL)
		PG_RETURN_NULL();
	copy = palloc(VARSIZE(rule));
	memcpy(copy, rule, VARSIZE(rule));
	PG_RETURN_POINTER(copy);
}

/* Lookups */

/* palloc for the server-free cores. */
static void *
core_alloc(size_t size)
{
	return palloc(Max(size, 1));
}

/*
 * A framework ready for lookups and evaluation, in cxt: a private copy,
 * its tree as plain arrays (fw_tree_evaluate), the code lookup table
 * (fw_table_*, the one fw_compile uses) and the next-leaf hints.
 */
CompiledFramework *
framework_prepare(Framework *fw, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	CompiledFramework *cf = palloc(sizeof(CompiledFramework));
	int			n = fw->nnodes;
	int			i;
	int32		next;

	cf->fw = (Framework *) palloc(VARSIZE(fw));
	memcpy(cf->fw, fw, VARSIZE(fw));
	cf->wire = NULL;
	cf->wire_len = 0;
	cf->wire_hash = 0;
	cf->skeleton = NULL;
	cf->eval_val = NULL;
	cf->eval_alpha = NULL;
	cf->eval_has = NULL;
	cf->tree = fw_tree_from_framework(cf->fw, core_alloc);
	cf->codes = palloc(sizeof(const char *) * n);
	cf->lens = palloc(sizeof(int) * n);
	for (i = 0; i < n; i++)
	{
		cf->codes[i] = FW_CODE(cf->fw, i);
		cf->lens[i] = cf->fw->nodes[i].code_len;
	}
	cf->mask = fw_table_mask_for(n);
	cf->slots = palloc(sizeof(int32) * (cf->mask + 1));
	memset(cf->slots, -1, sizeof(int32) * (cf->mask + 1));
	for (i = 0; i < n; i++)
		fw_table_insert(cf->slots, cf->mask, cf->codes, cf->lens, i);
	/* rows usually arrive in code order: predict the next leaf */
	cf->next_leaf = palloc(sizeof(int32) * n);
	for (i = n - 1, next = -1; i >= 0; i--)
	{
		cf->next_leaf[i] = next;
		if (fw->nodes[i].first_child < 0)
			next = i;
	}
	MemoryContextSwitchTo(old);
	return cf;
}

/* The node of a code, or -1. */
int
framework_find(const CompiledFramework *cf, const char *code, int len)
{
	return fw_table_lookup(cf->slots, cf->mask, cf->codes, cf->lens, code, len);
}

/*
 * The compiled form of the framework datum d, cached in fn_extra.  Rows of
 * an aggregate usually carry one framework, or a few (a query rolling up
 * several frameworks at once): a constant, a parameter, or the same
 * toasted value of a joined row.  The cache keeps the FW_CACHE_SLOTS
 * frameworks used last, keyed by fingerprint (and node count).  A slot is
 * recognised by datum pointer, by the first bytes of a compressed inline
 * datum, by TOAST pointer, and finally by the fingerprint read from the
 * (sliced) header, so a framework is detoasted and compiled once per query
 * rather than once per row, however the rows of several frameworks
 * interleave.
 *
 * A framework stored in a table is usually compressed inline (a few
 * kilobytes), and reading its header would mean decompressing a slice per
 * row.  The header is the first FW_HEADER_SIZE bytes of the raw value,
 * which neither pglz nor LZ4 encodes in more than FW_PREFIX_BYTES of
 * compressed data, so equal prefixes mean equal headers, hence (by the
 * fingerprint) equal frameworks.
 *
 * Aggregate states point at their compiled framework, so a framework that
 * leaves the slots cannot be freed: it moves to a list of retired ones,
 * which a framework coming back takes from instead of compiling again.  A
 * query thus holds at most one compiled copy per distinct framework.
 */
#define FW_PREFIX_BYTES	FW_PREFIX_LEN
#define FW_CACHE_SLOTS	8

typedef struct FrameworkSlot
{
	CompiledFramework *cf;		/* NULL: the slot is free */
	uint64		fingerprint;
	int32		nnodes;
	uint64		used;			/* the cache's clock when last used */
	Pointer		last_ptr;
	bool		ext_valid;
	struct varatt_external last_ext;
	Size		prefix_len;		/* 0: no compressed datum seen */
	char		prefix[FW_PREFIX_BYTES];
} FrameworkSlot;

typedef struct RetiredFramework
{
	CompiledFramework *cf;
	struct RetiredFramework *next;
} RetiredFramework;

typedef struct FrameworkCache
{
	uint64		clock;
	FrameworkSlot slots[FW_CACHE_SLOTS];
	RetiredFramework *retired;
} FrameworkCache;

/* Does slot s hold the framework of datum ptr, judged without reading it? */
static bool
slot_matches_datum(const FrameworkSlot *s, Pointer ptr)
{
	if (s->cf == NULL)
		return false;
	if (ptr == s->last_ptr && !VARATT_IS_EXTENDED(ptr))
	{
		const Framework *h = (const Framework *) ptr;

		return h->fingerprint == s->fingerprint && h->nnodes == s->nnodes;
	}
	if (VARATT_IS_COMPRESSED(ptr) && s->prefix_len > 0 &&
		Min(VARSIZE(ptr), FW_PREFIX_BYTES) == s->prefix_len &&
		memcmp(ptr, s->prefix, s->prefix_len) == 0)
		return true;
	if (VARATT_IS_EXTERNAL_ONDISK(ptr) && s->ext_valid)
	{
		struct varatt_external ext;

		VARATT_EXTERNAL_GET_POINTER(ext, ptr);
		return ext.va_valueid == s->last_ext.va_valueid &&
			ext.va_toastrelid == s->last_ext.va_toastrelid;
	}
	return false;
}

/* Remember how datum ptr looks, for slot_matches_datum. */
static void
slot_remember_datum(FrameworkSlot *s, Pointer ptr)
{
	s->last_ptr = ptr;
	s->prefix_len = 0;
	if (VARATT_IS_COMPRESSED(ptr))
	{
		s->prefix_len = Min(VARSIZE(ptr), FW_PREFIX_BYTES);
		memcpy(s->prefix, ptr, s->prefix_len);
	}
	s->ext_valid = VARATT_IS_EXTERNAL_ONDISK(ptr);
	if (s->ext_valid)
		VARATT_EXTERNAL_GET_POINTER(s->last_ext, ptr);
}

Framework *
framework_cached(FunctionCallInfo fcinfo, Datum d, CompiledFramework **cfp)
{
	return framework_cached_in(&fcinfo->flinfo->fn_extra, fcinfo->flinfo->fn_mcxt,
							   d, cfp);
}

/* The same, with the cache at *extra (allocated in cxt on first use). */
Framework *
framework_cached_in(void **extra, MemoryContext cxt, Datum d,
					CompiledFramework **cfp)
{
	FrameworkCache *cache = (FrameworkCache *) *extra;
	Pointer		ptr = DatumGetPointer(d);
	FrameworkSlot *s = NULL;
	uint64		fingerprint;
	int32		nnodes;
	int			i;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(cxt, sizeof(FrameworkCache));
		*extra = cache;
	}
	cache->clock++;
	for (i = 0; i < FW_CACHE_SLOTS; i++)
		if (slot_matches_datum(&cache->slots[i], ptr))
		{
			s = &cache->slots[i];
			s->used = cache->clock;
			*cfp = s->cf;
			return s->cf->fw;
		}

	/* read the header only */
	if (!VARATT_IS_EXTENDED(ptr))
	{
		fingerprint = ((const Framework *) ptr)->fingerprint;
		nnodes = ((const Framework *) ptr)->nnodes;
	}
	else
	{
		Framework  *h = (Framework *) PG_DETOAST_DATUM_SLICE(d, 0,
															 offsetof(Framework, nodes) - VARHDRSZ);

		fingerprint = h->fingerprint;
		nnodes = h->nnodes;
	}
	for (i = 0; i < FW_CACHE_SLOTS && s == NULL; i++)
		if (cache->slots[i].cf != NULL &&
			cache->slots[i].fingerprint == fingerprint &&
			cache->slots[i].nnodes == nnodes)
			s = &cache->slots[i];
	if (s == NULL)
	{
		RetiredFramework **r;
		CompiledFramework *cf = NULL;

		/* a free slot, else the one used longest ago */
		s = &cache->slots[0];
		for (i = 1; i < FW_CACHE_SLOTS && s->cf != NULL; i++)
			if (cache->slots[i].cf == NULL || cache->slots[i].used < s->used)
				s = &cache->slots[i];
		/* a framework that was here before is taken back */
		for (r = &cache->retired; *r != NULL; r = &(*r)->next)
			if ((*r)->cf->fw->fingerprint == fingerprint &&
				(*r)->cf->fw->nnodes == nnodes)
			{
				RetiredFramework *found = *r;

				cf = found->cf;
				*r = found->next;
				pfree(found);
				break;
			}
		if (cf == NULL)
		{
			Framework  *fw = DatumGetFrameworkP(d);

			if (fw->version != FRAMEWORK_VERSION)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("framework value has unknown version %d", fw->version)));
			cf = framework_prepare(fw, cxt);
		}
		if (s->cf != NULL)
		{
			RetiredFramework *old = MemoryContextAlloc(cxt,
													   sizeof(RetiredFramework));

			old->cf = s->cf;
			old->next = cache->retired;
			cache->retired = old;
		}
		s->cf = cf;
		s->fingerprint = fingerprint;
		s->nnodes = nnodes;
	}
	s->used = cache->clock;
	slot_remember_datum(s, ptr);
	*cfp = s->cf;
	return s->cf->fw;
}

/* ---------- frameworks named by their binary form ---------- */

void
framework_wire(CompiledFramework *cf)
{
	if (cf->wire != NULL)
		return;
	cf->wire_len = (uint32) fw_wire_size(cf->fw);
	cf->wire = MemoryContextAlloc(GetMemoryChunkContext(cf), cf->wire_len);
	fw_wire_write(cf->fw, cf->wire);
	cf->wire_hash = fw_wire_hash(cf->wire, cf->wire_len);
}

bool
framework_hash_names(CompiledFramework *cf, uint64 h)
{
	framework_wire(cf);
	if (h == cf->wire_hash)
		return true;
#ifdef WORDS_BIGENDIAN
	/* written by dti 0.10.0 or 0.11.0 on a machine of this byte order */
	return h == hash_bytes_extended(cf->wire, (int) cf->wire_len, 0);
#else
	return false;
#endif
}

/*
 * Frameworks compiled from the binary forms that states carry, per
 * backend, each in a memory context of its own so that the one used
 * longest ago can be dropped.  rollup_state, composite_state and their
 * final functions share it: a framework is compiled once per backend, not
 * once per query or per aggregate.
 */
#define WIRE_CACHE_SLOTS 8

typedef struct WireCacheSlot
{
	MemoryContext cxt;
	CompiledFramework *cf;
	uint64		used;
} WireCacheSlot;

static WireCacheSlot wire_cache[WIRE_CACHE_SLOTS];
static uint64 wire_cache_clock;

/*
 * Compile a framework's binary form into the cache, in place of the slot
 * used longest ago; the cache keeps the bytes it compiled, whatever they
 * were, with their hash.
 */
static CompiledFramework *
wire_cache_add(const unsigned char *wire, size_t len, uint64 hash)
{
	Framework  *fw = framework_from_wire(wire, len);
	WireCacheSlot *s = &wire_cache[0];
	MemoryContext cxt;
	CompiledFramework *cf;
	int			i;

	for (i = 1; i < WIRE_CACHE_SLOTS && s->cf != NULL; i++)
		if (wire_cache[i].cf == NULL || wire_cache[i].used < s->used)
			s = &wire_cache[i];
	cxt = AllocSetContextCreate(TopMemoryContext, "dti framework of a state",
								ALLOCSET_SMALL_SIZES);
	cf = framework_prepare(fw, cxt);
	cf->wire = MemoryContextAlloc(cxt, len);
	memcpy(cf->wire, wire, len);
	cf->wire_len = (uint32) len;
	cf->wire_hash = hash;
	if (s->cxt != NULL)
		MemoryContextDelete(s->cxt);
	s->cxt = cxt;
	s->cf = cf;
	s->used = ++wire_cache_clock;
	return cf;
}

CompiledFramework *
framework_of_wire(const unsigned char *wire, size_t len, uint64 hash)
{
	int			i;

	for (i = 0; i < WIRE_CACHE_SLOTS; i++)
		if (wire_cache[i].cf != NULL && wire_cache[i].cf->wire_hash == hash &&
			wire_cache[i].cf->wire_len == len)
		{
			wire_cache[i].used = ++wire_cache_clock;
			return wire_cache[i].cf;
		}
	return wire_cache_add(wire, len, hash);
}

CompiledFramework *
framework_of_wire_bytes(const unsigned char *wire, size_t len)
{
	int			i;

	for (i = 0; i < WIRE_CACHE_SLOTS; i++)
		if (wire_cache[i].cf != NULL && wire_cache[i].cf->wire_len == len &&
			memcmp(wire_cache[i].cf->wire, wire, len) == 0)
		{
			wire_cache[i].used = ++wire_cache_clock;
			return wire_cache[i].cf;
		}
	return wire_cache_add(wire, len, fw_wire_hash(wire, len));
}

/*
 * Check a framework that arrived as bytes (a serialized aggregate state)
 * before trusting its indexes: fw_check (framework_core.c) requires the
 * tree links, the leaf numbering, the numbers, the codes and the
 * fingerprint to be what compile_specs() produces.
 */
void
framework_validate(const Framework *fw, Size size)
{
	const char *problem;

	if (size < FW_HEADER_SIZE || VARSIZE(fw) != size)
		problem = "the size does not match its header";
	else
		problem = fw_check(fw, size);
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid framework value"),
				 errdetail("In the framework, %s.", problem)));
}

