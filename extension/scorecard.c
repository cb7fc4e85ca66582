/*-------------------------------------------------------------------------
 *
 * scorecard.c
 *	  The scorecard type: one unit's whole index tree for one period, built
 *	  from leaf values by the core's evaluator (tree_eval_core.c), accessors, and
 *	  explain_change() that splits the change of the root between two
 *	  scorecards into per-indicator contributions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "catalog/pg_type_d.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/float.h"
#include "utils/jsonb.h"

#include "dti_util.h"
#include "indicator_code.h"
#include "pg_compat.h"
#include "scorecard.h"
#include "tree_wire_core.h"

PG_FUNCTION_INFO_V1(scorecard_in);
PG_FUNCTION_INFO_V1(scorecard_out);
PG_FUNCTION_INFO_V1(scorecard_recv);
PG_FUNCTION_INFO_V1(scorecard_send);
PG_FUNCTION_INFO_V1(scorecard_value);
PG_FUNCTION_INFO_V1(scorecard_points);
PG_FUNCTION_INFO_V1(scorecard_coverage);
PG_FUNCTION_INFO_V1(scorecard_root_value);
PG_FUNCTION_INFO_V1(scorecard_nodes);
PG_FUNCTION_INFO_V1(scorecard_codes);
PG_FUNCTION_INFO_V1(scorecard_values);
PG_FUNCTION_INFO_V1(scorecard_explain_change);


/*
 * What every scorecard of a framework starts from: codes, parents, levels,
 * methods, maximum points and expected leaves; no value yet.
 */
Scorecard *
scorecard_skeleton(const Framework *fw)
{
	int			n = fw->nnodes;
	Size		code_bytes = fw_code_area(fw, VARSIZE(fw));
	Size		size = offsetof(Scorecard, nodes) + sizeof(ScorecardNode) * n + code_bytes;
	Scorecard  *sc = (Scorecard *) palloc0(size);
	int			i;

	SET_VARSIZE(sc, size);
	sc->version = SCORECARD_VERSION;
	sc->nnodes = n;
	memcpy(SC_CODES(sc), FW_CODES(fw), code_bytes);

	for (i = 0; i < n; i++)
	{
		const FrameworkNode *f = &fw->nodes[i];
		ScorecardNode *s = &sc->nodes[i];

		s->parent = f->parent;
		s->level = f->level;
		s->expected = f->nleaves;
		s->code_offset = f->code_offset;
		s->code_len = f->code_len;
		s->method = f->method;
		s->alpha = f->parent < 0 ? 1.0 : 0.0;
		s->max_points = f->max_points;
		if (!isnan(f->max_points))
			s->flags |= SC_HAS_MAX;
	}
	return sc;
}

/* A node's value, and its points where it has maximum points. */
static inline void
set_value(ScorecardNode *s, float8 v)
{
	/* as sc_build keeps them: a leaf's value may be -0 */
	s->value = fw_unsigned_zero(v);
	s->flags |= SC_HAS_VALUE;
	if (s->flags & SC_HAS_MAX)
	{
		s->points = fw_unsigned_zero(v * s->max_points);
		s->flags |= SC_HAS_POINTS;
	}
}

/*
 * The scorecard of a framework over one unit's leaf values (values[l]
 * counts only where present[l]).  fw_tree_evaluate (tree_eval_core.c), the
 * evaluator rank_intervals() and drop_one() use too, computes every node's
 * value and normalised weight by the rules documented there; this fills
 * them into a copy of the framework's skeleton (scorecard_skeleton) with
 * the points (value times max points) and the leaves present under each
 * node.
 */
Scorecard *
scorecard_evaluate(CompiledFramework *cf, const float8 *values,
				   const bool *present)
{
	const Framework *fw = cf->fw;
	const FwTree *t = cf->tree;
	int			n = fw->nnodes;
	Scorecard  *sc;
	float8	   *val;
	float8	   *alpha;
	uint8	   *has;
	float8		root;
	int			bad_node = -1;
	int			i;

	/* the skeleton and the scratch arrays, made once per framework */
	if (cf->skeleton == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(cf));

		cf->eval_val = palloc(sizeof(float8) * n);
		cf->eval_alpha = palloc(sizeof(float8) * n);
		cf->eval_has = palloc(sizeof(uint8) * n);
		cf->skeleton = scorecard_skeleton(fw);
		MemoryContextSwitchTo(old);
	}
	sc = (Scorecard *) palloc(VARSIZE(cf->skeleton));
	memcpy(sc, cf->skeleton, VARSIZE(cf->skeleton));
	val = cf->eval_val;
	alpha = cf->eval_alpha;
	has = cf->eval_has;

	if (fw_tree_evaluate(t, t->weight, t->method, values,
						 (const uint8 *) present, val, has, alpha, &root,
						 &bad_node) == FW_EVAL_NEGATIVE)
	{
		int			p = fw->nodes[bad_node].parent;

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("indicator \"%s\" has a negative value, which its parent \"%s\" cannot average with the %s method",
						pnstrdup(FW_CODE(fw, bad_node), fw->nodes[bad_node].code_len),
						pnstrdup(FW_CODE(fw, p), fw->nodes[p].code_len),
						fw_method_name(fw->nodes[p].method)),
				 errdetail("The value is %g.", val[bad_node]),
				 errhint("Normalise values to a positive scale before geometric or harmonic means.")));
	}

	/* children before parents: a node's count is complete when reached */
	for (i = n - 1; i >= 0; i--)
	{
		ScorecardNode *s = &sc->nodes[i];
		int			l = fw->nodes[i].leaf_index;

		if (l >= 0)
			s->present = present[l] ? 1 : 0;
		if (has[i])
			set_value(s, val[i]);
		s->alpha = alpha[i];
		if (i > 0)
			sc->nodes[s->parent].present += s->present;
	}
	return sc;
}

/* Text form: a JSON array of node objects, in preorder. */

static void
append_number(StringInfo buf, const char *key, float8 v)
{
	char		tmp[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(v, tmp);
	appendStringInfo(buf, ", \"%s\": %s", key, tmp);
}

Datum
scorecard_out(PG_FUNCTION_ARGS)
{
	Scorecard  *sc = DatumGetScorecardP(PG_GETARG_DATUM(0));
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (i = 0; i < sc->nnodes; i++)
	{
		ScorecardNode *s = &sc->nodes[i];

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfo(&buf, "{\"code\": \"%.*s\"", s->code_len, SC_CODE(sc, i));
		if (s->parent >= 0)
			appendStringInfo(&buf, ", \"parent\": \"%.*s\"",
							 sc->nodes[s->parent].code_len, SC_CODE(sc, s->parent));
		if (s->method != FW_LEAF)
			appendStringInfo(&buf, ", \"method\": \"%s\"", fw_method_name(s->method));
		if (s->flags & SC_HAS_VALUE)
			append_number(&buf, "value", s->value);
		if (s->flags & SC_HAS_POINTS)
			append_number(&buf, "points", s->points);
		if (s->flags & SC_HAS_MAX)
			append_number(&buf, "max_points", s->max_points);
		if (s->parent >= 0)
			append_number(&buf, "weight", s->alpha);
		appendStringInfo(&buf, ", \"present\": %d, \"expected\": %d}", s->present, s->expected);
	}
	appendStringInfoChar(&buf, ']');
	PG_RETURN_CSTRING(buf.data);
}

/*
 * Report bad scorecard text: raised, or saved in escontext (a soft error)
 * when the caller gave one; the caller then returns.
 */
static void
bad_scorecard(const char *detail, int elem, Node *escontext)
{
	errsave(escontext,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s", "scorecard"),
			 errdetail("Node %d: %s", elem, detail)));
}

/*
 * Look a key up: false when it is absent or null, and (after a soft error
 * in escontext) when it has the wrong JSON type.
 */
static bool
get_key(JsonbContainer *obj, const char *key, JsonbValue *v, enum jbvType type, int elem,
		Node *escontext)
{
	if (SOFT_ERROR_OCCURRED(escontext))
		return false;			/* the first error is the one reported */
	if (getKeyJsonValueFromContainer(obj, key, strlen(key), v) == NULL || v->type == jbvNull)
		return false;
	if (v->type != type)
	{
		bad_scorecard(psprintf("\"%s\" has the wrong JSON type.", key), elem, escontext);
		return false;
	}
	return true;
}

/*
 * A JSON number as float8, through float8in (whose out-of-range error can
 * be soft; numeric_float8 does the same conversion but throws).
 */
static float8
numeric_to_double(JsonbValue *v, Node *escontext)
{
	Datum		d;

	if (!DirectInputFunctionCallSafe(float8in,
									 DatumGetCString(DirectFunctionCall1(numeric_out,
																		 NumericGetDatum(v->val.numeric))),
									 InvalidOid, -1, escontext, &d))
		return 0;
	return DatumGetFloat8(d);
}

/* palloc for sc_build. */
static void *
build_alloc(size_t size)
{
	return palloc(Max(size, 1));
}

/*
 * Input reads what output writes: nodes in preorder, each parent named
 * before its children.  Values are taken as given (a scorecard is a
 * record of a computation, not recomputed on input).  This function takes
 * the JSON apart; sc_build (framework_core.c) checks the nodes and lays
 * the scorecard out, in time linear in the nodes.  Bad input is a soft
 * error when the caller asks for one: each step's result is checked.
 */
Datum
scorecard_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Node	   *escontext = fcinfo->context;
	int			n,
				i;
	JsonbContainer *arr = dti_json_array(str, "scorecard", &n, escontext);
	ScNodeSpec *specs;
	Scorecard  *sc;
	const char *problem = NULL;
	int			bad_node = 0;

	if (arr == NULL)
		PG_RETURN_POINTER(NULL);
	if (n <= 0 || n > FRAMEWORK_MAX_NODES)
	{
		bad_scorecard("a scorecard has 1 to 100000 nodes.", 0, escontext);
		PG_RETURN_POINTER(NULL);
	}
	specs = palloc0(sizeof(ScNodeSpec) * n);
	for (i = 0; i < n; i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(arr, i);
		JsonbContainer *obj;
		JsonbValue	v;
		ScNodeSpec *p = &specs[i];
		IndicatorCode *c;

		CHECK_FOR_INTERRUPTS();
		if (elem->type != jbvBinary || !JsonContainerIsObject(elem->val.binary.data))
		{
			bad_scorecard("not a JSON object.", i + 1, escontext);
			PG_RETURN_POINTER(NULL);
		}
		obj = elem->val.binary.data;
		if (!get_key(obj, "code", &v, jbvString, i + 1, escontext))
		{
			if (!SOFT_ERROR_OCCURRED(escontext))
				bad_scorecard("no \"code\".", i + 1, escontext);
			PG_RETURN_POINTER(NULL);
		}
		c = indicator_code_parse_safe(v.val.string.val, v.val.string.len, escontext);
		if (c == NULL)
			PG_RETURN_POINTER(NULL);
		p->code = ICODE_DATA(c);
		p->code_len = ICODE_LEN(c);
		if (get_key(obj, "parent", &v, jbvString, i + 1, escontext))
		{
			p->parent = v.val.string.val;
			p->parent_len = v.val.string.len;
		}
		if (get_key(obj, "method", &v, jbvString, i + 1, escontext))
		{
			p->method = v.val.string.val;
			p->method_len = v.val.string.len;
		}
		if ((p->has_value = get_key(obj, "value", &v, jbvNumeric, i + 1, escontext)))
			p->value = numeric_to_double(&v, escontext);
		if ((p->has_points = get_key(obj, "points", &v, jbvNumeric, i + 1, escontext)))
			p->points = numeric_to_double(&v, escontext);
		if ((p->has_max = get_key(obj, "max_points", &v, jbvNumeric, i + 1, escontext)))
			p->max_points = numeric_to_double(&v, escontext);
		if ((p->has_weight = get_key(obj, "weight", &v, jbvNumeric, i + 1, escontext)))
			p->weight = numeric_to_double(&v, escontext);
		if ((p->has_present = get_key(obj, "present", &v, jbvNumeric, i + 1, escontext)))
			p->present = numeric_to_double(&v, escontext);
		if ((p->has_expected = get_key(obj, "expected", &v, jbvNumeric, i + 1, escontext)))
			p->expected = numeric_to_double(&v, escontext);
		if (SOFT_ERROR_OCCURRED(escontext))
			PG_RETURN_POINTER(NULL);
	}
	sc = sc_build(specs, n, build_alloc, &problem, &bad_node);
	if (sc == NULL)
		bad_scorecard(problem, bad_node, escontext);
	PG_RETURN_POINTER(sc);
}

/*
 * The binary form: written and read by tree_wire_core.c, the nodes then
 * checked and laid out by sc_build as text input does.
 */
Datum
scorecard_send(PG_FUNCTION_ARGS)
{
	Scorecard  *sc = DatumGetScorecardP(PG_GETARG_DATUM(0));
	size_t		size = sc_wire_size(sc);
	bytea	   *out = (bytea *) palloc(VARHDRSZ + size);

	SET_VARSIZE(out, VARHDRSZ + size);
	sc_wire_write(sc, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

Datum
scorecard_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	const unsigned char *bytes;
	size_t		len;
	ScNodeSpec *specs;
	Scorecard  *sc;
	int			n,
				bad_node;
	const char *problem;

	if (tree_recv_bytes(buf, &bytes, &len))
		return tree_recv_text(buf, scorecard_in, "scorecard");
	problem = sc_wire_decode(bytes, len, build_alloc, &specs, &n, &bad_node);
	if (problem == NULL)
	{
		sc = sc_build(specs, n, build_alloc, &problem, &bad_node);
		if (sc != NULL)
			PG_RETURN_POINTER(sc);
		/* sc_build's sentences are lower-case with a final dot */
		problem = psprintf("%c%.*s", pg_toupper((unsigned char) problem[0]),
						   (int) strlen(problem) - 2, problem + 1);
	}
	tree_recv_fail("scorecard", problem, bad_node);
	PG_RETURN_NULL();			/* keep compiler quiet */
}

/* Accessors */

static int
find_node(const Scorecard *sc, const IndicatorCode *code)
{
	int			i;

	for (i = 0; i < sc->nnodes; i++)
		if (sc->nodes[i].code_len == ICODE_LEN(code) &&
			memcmp(SC_CODE(sc, i), ICODE_DATA(code), ICODE_LEN(code)) == 0)
			return i;
	return -1;
}

Datum
scorecard_value(PG_FUNCTION_ARGS)
{
	Scorecard  *sc = DatumGetScorecardP(PG_GETARG_DATUM(0));
	int			i = find_node(sc, PG_GETARG_INDICATOR_CODE_P(1));

	if (i < 0 || !(sc->nodes[i].flags & SC_HAS_VALUE))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(sc->nodes[i].value);
}

Datum
scorecard_points(PG_FUNCTION_ARGS)
{
	Scorecard  *sc = DatumGetScorecardP(PG_GETARG_DATUM(0));
	int			i = find_node(sc, PG_GETARG_INDICATOR_CODE_P(1));

	if (i < 0 || !(sc->nodes[i].flags & SC_HAS_POINTS))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(sc->nodes[i].points);
}

Datum
scorecard_coverage(PG_FUNCTION_ARGS)
{
	Scorecard  *sc = DatumGetScorecardP(PG_GETARG_DATUM(0));
	int			i = find_node(sc, PG_GETARG_INDICATOR_CODE_P(1));

	if (i < 0 || sc->nodes[i].expected == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((float8) sc->nodes[i].present / sc->nodes[i].expected);
}

Datum
scorecard_root_value(PG_FUNCTION_ARGS)
{
	Scorecard  *sc = DatumGetScorecardP(PG_GETARG_DATUM(0));

	if (!(sc->nodes[0].flags & SC_HAS_VALUE))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(sc->nodes[0].value);
}

/* Is node s a row of scorecard_nodes(sc, leaf_level)? */
static bool
node_listed(const ScorecardNode *s, int32 leaf_level)
{
	return !(s->method == FW_LEAF && s->level > leaf_level);
}

/*
 * scorecard_nodes(sc): one row per node, in preorder: code, parent,
 * level, method, value, points, max_points, weight, present, expected.
 */
Datum
scorecard_nodes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Scorecard  *sc = DatumGetScorecardP(PG_GETARG_DATUM(0));
	/* scorecard_nodes(sc, leaf_level): leaves below that level left out */
	int32		leaf_level = PG_NARGS() > 1 ? PG_GETARG_INT32(1) : PG_INT32_MAX;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < sc->nnodes; i++)
	{
		ScorecardNode *s = &sc->nodes[i];
		Datum		values[10];
		bool		nulls[10] = {0};

		if (!node_listed(s, leaf_level))
			continue;

		values[0] = PointerGetDatum(indicator_code_make(SC_CODE(sc, i), s->code_len));
		if (s->parent >= 0)
			values[1] = PointerGetDatum(indicator_code_make(SC_CODE(sc, s->parent),
															sc->nodes[s->parent].code_len));
		else
			nulls[1] = true;
		values[2] = Int32GetDatum(s->level);
		if (s->method == FW_LEAF)
			nulls[3] = true;
		else
			values[3] = CStringGetTextDatum(fw_method_name(s->method));
		values[4] = Float8GetDatum(s->value);
		nulls[4] = !(s->flags & SC_HAS_VALUE);
		values[5] = Float8GetDatum(s->points);
		nulls[5] = !(s->flags & SC_HAS_POINTS);
		values[6] = Float8GetDatum(s->max_points);
		nulls[6] = !(s->flags & SC_HAS_MAX);
		values[7] = Float8GetDatum(s->alpha);
		values[8] = Int32GetDatum(s->present);
		values[9] = Int32GetDatum(s->expected);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * scorecard_codes(sc, leaf_level) and scorecard_values(sc, leaf_level): the
 * codes and values of the rows scorecard_nodes(sc, leaf_level) returns, as
 * two arrays in the same order, for ranking every node at once
 * (rank_rounded_each()) without a row per node before the ranks.
 */
typedef struct CodeArrayType
{
	Oid			type;
	int16		typlen;
	bool		typbyval;
	char		typalign;
} CodeArrayType;

Datum
scorecard_codes(PG_FUNCTION_ARGS)
{
	Scorecard  *sc = DatumGetScorecardP(PG_GETARG_DATUM(0));
	int32		leaf_level = PG_GETARG_INT32(1);
	CodeArrayType *t = (CodeArrayType *) fcinfo->flinfo->fn_extra;
	Datum	   *elems = palloc(sizeof(Datum) * Max(sc->nnodes, 1));
	int			n = 0;
	int			i;

	/* the element type, looked up once per query */
	if (t == NULL)
	{
		Oid			rettype = get_fn_expr_rettype(fcinfo->flinfo);

		t = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(CodeArrayType));
		t->type = OidIsValid(rettype) ? get_element_type(rettype) : InvalidOid;
		if (!OidIsValid(t->type))
			elog(ERROR, "could not determine the element type of scorecard_codes()");
		get_typlenbyvalalign(t->type, &t->typlen, &t->typbyval, &t->typalign);
		fcinfo->flinfo->fn_extra = t;
	}
	for (i = 0; i < sc->nnodes; i++)
		if (node_listed(&sc->nodes[i], leaf_level))
			elems[n++] = PointerGetDatum(indicator_code_make(SC_CODE(sc, i),
															 sc->nodes[i].code_len));
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, t->type, t->typlen, t->typbyval, t->typalign));
}

Datum
scorecard_values(PG_FUNCTION_ARGS)
{
	Scorecard  *sc = DatumGetScorecardP(PG_GETARG_DATUM(0));
	int32		leaf_level = PG_GETARG_INT32(1);
	Datum	   *elems = palloc(sizeof(Datum) * Max(sc->nnodes, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(sc->nnodes, 1));
	int			dims[1];
	int			lbs[1] = {1};
	int			n = 0;
	int			i;

	for (i = 0; i < sc->nnodes; i++)
	{
		const ScorecardNode *s = &sc->nodes[i];

		if (!node_listed(s, leaf_level))
			continue;
		elems[n] = Float8GetDatum(s->value);
		nulls[n] = !(s->flags & SC_HAS_VALUE);
		n++;
	}
	dims[0] = n;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, nulls, 1, dims, lbs, FLOAT8OID,
											 sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * explain_change(a, b): how much each node contributed to the change of
 * the root value from scorecard a to scorecard b (same framework).
 *
 * With A the product of normalised weights from the root down to a node,
 * a node under linear parents (points, amean) contributes
 *     A_b * v_b - A_a * v_a
 * (a missing value counts as 0), so the children of a node sum exactly to
 * the node's own contribution, and the leaves sum to the root's change.
 * Below a geometric or harmonic node, where no such split exists, the
 * node's contribution is shared among its children in proportion to
 * mean(alpha) * (ln v_b - ln v_a) (geometric) or
 * mean(alpha) * (1/v_a - 1/v_b) (harmonic): each child's share of the
 * change of the log or of the reciprocal; the shares still sum exactly.
 */
Datum
scorecard_explain_change(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Scorecard  *a = DatumGetScorecardP(PG_GETARG_DATUM(0));
	Scorecard  *b = DatumGetScorecardP(PG_GETARG_DATUM(1));
	int			n = a->nnodes;
	float8	   *contrib;
	float8	   *path_a;
	float8	   *path_b;
	bool	   *direct;
	int32	   *first_child;
	int32	   *next_sibling;
	float8		change;
	int			i;

	if (b->nnodes != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the two scorecards come from different frameworks"),
				 errdetail("One has %d nodes, the other %d.", n, b->nnodes)));
	for (i = 0; i < n; i++)
		if (a->nodes[i].parent != b->nodes[i].parent ||
			a->nodes[i].code_len != b->nodes[i].code_len ||
			memcmp(SC_CODE(a, i), SC_CODE(b, i), a->nodes[i].code_len) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the two scorecards come from different frameworks"),
					 errdetail("Node %d is \"%.*s\" in one and \"%.*s\" in the other.",
							   i + 1, a->nodes[i].code_len, SC_CODE(a, i),
							   b->nodes[i].code_len, SC_CODE(b, i))));
	if (!(a->nodes[0].flags & SC_HAS_VALUE) || !(b->nodes[0].flags & SC_HAS_VALUE))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("explain_change needs a root value in both scorecards")));

	contrib = palloc0(sizeof(float8) * n);
	path_a = palloc(sizeof(float8) * n);
	path_b = palloc(sizeof(float8) * n);
	direct = palloc(sizeof(bool) * n);
	/* children lists in node order: each node's children in one walk */
	first_child = palloc(sizeof(int32) * n);
	next_sibling = palloc(sizeof(int32) * n);
	memset(first_child, -1, sizeof(int32) * n);
	for (i = n - 1; i > 0; i--)
	{
		next_sibling[i] = first_child[a->nodes[i].parent];
		first_child[a->nodes[i].parent] = i;
	}
#define VAL(sc, k) (((sc)->nodes[k].flags & SC_HAS_VALUE) ? (sc)->nodes[k].value : 0.0)
	change = a->nodes[0].value;
	change = b->nodes[0].value - change;
	contrib[0] = change;
	path_a[0] = path_b[0] = 1.0;
	direct[0] = true;

	for (i = 1; i < n; i++)
	{
		int			p = a->nodes[i].parent;

		path_a[i] = path_a[p] * a->nodes[i].alpha;
		path_b[i] = path_b[p] * b->nodes[i].alpha;
	}
	/* distribute each inner node's contribution to its children */
	for (i = 0; i < n; i++)
	{
		int			method = a->nodes[i].method;
		int			k;
		float8		total = 0;
		int			nchildren = 0;

		if (method == FW_LEAF)
			continue;
		if (direct[i] && (method == FW_POINTS || method == FW_AMEAN))
		{
			for (k = first_child[i]; k >= 0; k = next_sibling[k])
			{
				contrib[k] = path_b[k] * VAL(b, k) - path_a[k] * VAL(a, k);
				direct[k] = true;
			}
			continue;
		}
		/* proportional split */
		for (k = first_child[i]; k >= 0; k = next_sibling[k])
		{
			float8		va,
						vb,
						w,
						s;

			nchildren++;
			direct[k] = false;
			va = VAL(a, k);
			vb = VAL(b, k);
			w = (a->nodes[k].alpha + b->nodes[k].alpha) / 2;
			if (method == FW_GMEAN && va > 0 && vb > 0)
				s = w * (log(vb) - log(va));
			else if (method == FW_HMEAN && va > 0 && vb > 0)
				s = w * (1 / va - 1 / vb);
			else
				s = b->nodes[k].alpha * vb - a->nodes[k].alpha * va;
			contrib[k] = s;
			total += s;
		}
		for (k = first_child[i]; k >= 0; k = next_sibling[k])
			contrib[k] = (total != 0) ? contrib[i] * contrib[k] / total
				: contrib[i] / nchildren;
	}

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < n; i++)
	{
		Datum		values[7];
		bool		nulls[7] = {0};

		values[0] = PointerGetDatum(indicator_code_make(SC_CODE(a, i), a->nodes[i].code_len));
		values[1] = Int32GetDatum(a->nodes[i].level);
		values[2] = BoolGetDatum(a->nodes[i].method == FW_LEAF);
		values[3] = Float8GetDatum(a->nodes[i].value);
		nulls[3] = !(a->nodes[i].flags & SC_HAS_VALUE);
		values[4] = Float8GetDatum(b->nodes[i].value);
		nulls[4] = !(b->nodes[i].flags & SC_HAS_VALUE);
		values[5] = Float8GetDatum(contrib[i]);
		if (change != 0)
			values[6] = Float8GetDatum(contrib[i] / change);
		else
			nulls[6] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
#undef VAL
	return (Datum) 0;
}
