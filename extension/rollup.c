/*-------------------------------------------------------------------------
 *
 * rollup.c
 *	  The rollup(framework, code, value) aggregate: one unit's leaf values
 *	  in, its whole scorecard out, in one pass.
 *
 * The transition state holds one slot per leaf of the framework.  Partial
 * states (parallel workers) merge slot by slot, so a parallel result is
 * bit-for-bit the serial one.  A serialized state carries its framework,
 * because the final function runs where no framework argument is at hand.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "executor/executor.h"
#include "executor/nodeAgg.h"
#include "fmgr.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "dti_util.h"
#include "indicator_code.h"
#include "scorecard.h"

PG_FUNCTION_INFO_V1(rollup_step);
PG_FUNCTION_INFO_V1(rollup_combine);
PG_FUNCTION_INFO_V1(rollup_serialize);
PG_FUNCTION_INFO_V1(rollup_deserialize);
PG_FUNCTION_INFO_V1(rollup_final);

typedef struct RollupState
{
	CompiledFramework *cf;
	int32		nleaves;
	int32		npresent;
	int32		hint;			/* node expected in the next row */
	bool	   *present;
	float8	   *values;
} RollupState;

static RollupState *
state_new(MemoryContext aggcxt, CompiledFramework *cf)
{
	int			n = cf->fw->nleaves;
	Size		values_at = MAXALIGN(sizeof(RollupState));
	Size		present_at = values_at + sizeof(float8) * n;
	char	   *mem = MemoryContextAlloc(aggcxt, present_at + n);
	RollupState *st = (RollupState *) mem;

	/* one chunk per group: the header, the values, the presence flags */
	st->cf = cf;
	st->nleaves = n;
	st->npresent = 0;
	st->hint = -1;
	st->values = (float8 *) (mem + values_at);
	st->present = (bool *) (mem + present_at);
	memset(st->present, 0, n);
	return st;
}

static char *
leaf_code(const Framework *fw, int leaf)
{
	int			i;

	for (i = 0; i < fw->nnodes; i++)
		if (fw->nodes[i].leaf_index == leaf)
			return pnstrdup(FW_CODE(fw, i), fw->nodes[i].code_len);
	return pstrdup("?");
}

static void
duplicate_error(const Framework *fw, int leaf)
{
	ereport(ERROR,
			(errcode(ERRCODE_CARDINALITY_VIOLATION),
			 errmsg("indicator \"%s\" has more than one value in one scorecard",
					leaf_code(fw, leaf)),
			 errhint("Group rollup() by unit and period, and feed one current value per indicator.")));
}

Datum
rollup_step(PG_FUNCTION_ARGS)
{
	RollupState *st = PG_ARGISNULL(0) ? NULL : (RollupState *) PG_GETARG_POINTER(0);
	CompiledFramework *cf;
	IndicatorCode *code;
	int			node;
	int			leaf;
	float8		v;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the framework given to rollup() must not be NULL")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the indicator code given to rollup() must not be NULL")));

	framework_cached(fcinfo, PG_GETARG_DATUM(1), &cf);
	if (st == NULL)
		st = state_new(dti_aggregate_context(fcinfo, "rollup_step"), cf);
	else if (st->cf != cf && st->cf->fw->fingerprint != cf->fw->fingerprint)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the rows of one scorecard use different frameworks"),
				 errhint("Group rollup() so that each group has one framework.")));

	code = PG_GETARG_INDICATOR_CODE_P(2);
	node = st->hint;
	if (node < 0 || cf->fw->nodes[node].code_len != ICODE_LEN(code) ||
		memcmp(FW_CODE(cf->fw, node), ICODE_DATA(code), ICODE_LEN(code)) != 0)
		node = framework_find(cf, ICODE_DATA(code), ICODE_LEN(code));
	if (node < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("indicator \"%s\" is not in the framework",
						pnstrdup(ICODE_DATA(code), ICODE_LEN(code))),
				 errhint("Filter the rows to the framework's leaves, or add the indicator to the framework.")));
	leaf = cf->fw->nodes[node].leaf_index;
	st->hint = cf->next_leaf[node];
	if (leaf < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("indicator \"%s\" is not a leaf of the framework",
						pnstrdup(ICODE_DATA(code), ICODE_LEN(code))),
				 errdetail("rollup() takes leaf values; inner values are computed from them.")));

	if (PG_ARGISNULL(3))
		PG_RETURN_POINTER(st);	/* a missing value stays missing */
	v = PG_GETARG_FLOAT8(3);
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value of indicator \"%s\" must be finite",
						pnstrdup(ICODE_DATA(code), ICODE_LEN(code))),
				 errdetail("The value is %s.", float8out_internal(v))));
	if (st->present[leaf])
		duplicate_error(cf->fw, leaf);
	st->present[leaf] = true;
	st->values[leaf] = v;
	st->npresent++;
	PG_RETURN_POINTER(st);
}

Datum
rollup_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = dti_aggregate_context(fcinfo, "rollup_combine");
	RollupState *a = PG_ARGISNULL(0) ? NULL : (RollupState *) PG_GETARG_POINTER(0);
	RollupState *b = PG_ARGISNULL(1) ? NULL : (RollupState *) PG_GETARG_POINTER(1);
	int			i;

	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
	{
		/* b came from rollup_deserialize in this context: adopt it */
		if (GetMemoryChunkContext(b) == aggcxt)
			PG_RETURN_POINTER(b);
		a = state_new(aggcxt, b->cf);
		memcpy(a->present, b->present, sizeof(bool) * b->nleaves);
		memcpy(a->values, b->values, sizeof(float8) * b->nleaves);
		a->npresent = b->npresent;
		PG_RETURN_POINTER(a);
	}
	if (a->cf->fw->fingerprint != b->cf->fw->fingerprint || a->nleaves != b->nleaves)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the rows of one scorecard use different frameworks")));
	for (i = 0; i < b->nleaves; i++)
	{
		if (!b->present[i])
			continue;
		if (a->present[i])
			duplicate_error(a->cf->fw, i);
		a->present[i] = true;
		a->values[i] = b->values[i];
		a->npresent++;
	}
	PG_RETURN_POINTER(a);
}

/*
 * The framework argument of the aggregate whose serialize function is being
 * called, found through the FmgrInfo the executor set up for that transition.  NULL outside a plain Agg node (a caller of our own,
 * or an extension running the aggregate's support functions itself).
 */
static Expr *
framework_argument(FunctionCallInfo fcinfo)
{
	AggState   *aggstate;
	int			i;

	if (fcinfo->context == NULL || !IsA(fcinfo->context, AggState))
		return NULL;
	aggstate = (AggState *) fcinfo->context;
	for (i = 0; i < aggstate->numtrans; i++)
	{
		AggStatePerTrans pertrans = &aggstate->pertrans[i];
		if (&pertrans->serialfn == fcinfo->flinfo && pertrans->aggref != NULL &&
			list_length(pertrans->aggref->args) == 3)
			return ((TargetEntry *) linitial(pertrans->aggref->args))->expr;
	}
	return NULL;
}

/*
 * Is the framework argument the same for every row of the query?  Then a
 * partial state need not carry the framework: whoever combines it has the
 * same argument at hand.  Constants, query parameters and the outputs of
 * initial subplans qualify (parallel-safe plans admit no other parameter);
 * anything that reads a column does not.
 */
static bool
framework_is_query_constant(Expr *arg)
{
	return arg != NULL &&
		!contain_var_clause((Node *) arg) &&
		!contain_volatile_functions((Node *) arg) &&
		!contain_subplans((Node *) arg);
}

typedef struct SerializeCache
{
	bool		decided;
	bool		embed;			/* embed the framework in each state */
} SerializeCache;

/*
 * Serialized state: version byte, how the framework is carried (embedded
 * whole, or only its header when the reader can evaluate the aggregate's
 * framework argument), the framework or its header, the number of leaves,
 * one presence byte per leaf, then the values of the present leaves.
 *
 * A framework is some kilobytes and a state of 100 leaves under one; with
 * many groups, shipping the framework with every state made parallel plans
 * move more framework than data.
 */
Datum
rollup_serialize(PG_FUNCTION_ARGS)
{
	RollupState *st = (RollupState *) PG_GETARG_POINTER(0);
	Framework  *fw = st->cf->fw;
	SerializeCache *cache = (SerializeCache *) fcinfo->flinfo->fn_extra;
	Size		fw_bytes;
	Size		size;
	bytea	   *out;
	char	   *p;
	int			i;

	dti_aggregate_context(fcinfo, "rollup_serialize");
	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SerializeCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	if (!cache->decided)
	{
		cache->embed = !framework_is_query_constant(framework_argument(fcinfo));
		cache->decided = true;
	}
	fw_bytes = cache->embed ? VARSIZE(fw) : offsetof(Framework, nodes);
	size = VARHDRSZ + 2 + fw_bytes + sizeof(int32) +
		st->nleaves + sizeof(float8) * st->npresent;
	out = (bytea *) palloc(size);
	SET_VARSIZE(out, size);
	p = VARDATA(out);
	*p++ = ROLLUP_STATE_VERSION;
	*p++ = cache->embed ? ROLLUP_FW_EMBEDDED : ROLLUP_FW_ARGUMENT;
	memcpy(p, fw, fw_bytes);
	p += fw_bytes;
	memcpy(p, &st->nleaves, sizeof(int32));
	p += sizeof(int32);
	for (i = 0; i < st->nleaves; i++)
		*p++ = st->present[i] ? 1 : 0;
	for (i = 0; i < st->nleaves; i++)
		if (st->present[i])
		{
			memcpy(p, &st->values[i], sizeof(float8));
			p += sizeof(float8);
		}
	PG_RETURN_BYTEA_P(out);
}

static void
corrupt_state(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid rollup state"),
			 errdetail("In the state, %s.", why)));
}

/* What find_partial_frameworks() looks for and what it found. */
typedef struct PartialSearch
{
	Oid			aggfnoid;		/* the aggregate being combined */
	const Framework *hdr;		/* the header the state carries */
	Framework  *found;
} PartialSearch;

/*
 * Walk the plan below a combining Agg node to the partial Agg nodes that
 * produced its states (below Gather, Gather Merge, Sort or Append) and
 * evaluate their framework arguments until one has the state's framework.
 */
static bool
find_partial_frameworks(PlanState *ps, void *context)
{
	PartialSearch *search = (PartialSearch *) context;

	if (ps == NULL || search->found != NULL)
		return search->found != NULL;
	if (IsA(ps, AggState) && DO_AGGSPLIT_SERIALIZE(((AggState *) ps)->aggsplit))
	{
		AggState   *partial = (AggState *) ps;
		int			i;

		for (i = 0; i < partial->numtrans; i++)
		{
			Aggref	   *aggref = partial->pertrans[i].aggref;
			Expr	   *arg;
			ExprState  *es;
			Datum		d;
			bool		isnull;
			Framework  *fw;

			if (aggref == NULL || aggref->aggfnoid != search->aggfnoid ||
				list_length(aggref->args) != 3)
				continue;
			arg = ((TargetEntry *) linitial(aggref->args))->expr;
			if (!framework_is_query_constant(arg))
				continue;
			es = ExecInitExpr(arg, ps);
			d = ExecEvalExprSwitchContext(es, ps->ps_ExprContext, &isnull);
			if (isnull)
				continue;
			fw = DatumGetFrameworkP(d);
			if (fw->fingerprint == search->hdr->fingerprint &&
				fw->nnodes == search->hdr->nnodes &&
				VARSIZE(fw) == VARSIZE(search->hdr))
			{
				search->found = fw;
				return true;
			}
		}
	}
	return planstate_tree_walker(ps, find_partial_frameworks, context);
}

/*
 * The framework of a state that carries only its header.  Its serialize
 * function ran in a partial Agg node of this very plan, whose framework
 * argument is a constant of the query (see rollup_serialize): evaluate that
 * argument here and check it is the framework the state was built with.
 */
static CompiledFramework *
framework_from_plan(FunctionCallInfo fcinfo, const Framework *hdr)
{
	AggState   *aggstate = (AggState *) fcinfo->context;
	PartialSearch search;
	MemoryContext old;
	int			i;

	search.aggfnoid = InvalidOid;
	search.hdr = hdr;
	search.found = NULL;
	for (i = 0; i < aggstate->numtrans; i++)
		if (&aggstate->pertrans[i].deserialfn == fcinfo->flinfo)
			search.aggfnoid = aggstate->pertrans[i].aggref->aggfnoid;
	if (OidIsValid(search.aggfnoid))
	{
		old = MemoryContextSwitchTo(aggstate->ss.ps.state->es_query_cxt);
		find_partial_frameworks(outerPlanState(aggstate), &search);
		MemoryContextSwitchTo(old);
	}
	if (search.found == NULL)
		corrupt_state("the state does not carry its framework, and no partial aggregate of this query has it");
	return framework_prepare(search.found, fcinfo->flinfo->fn_mcxt);
}

/*
 * Serialized state to state: rollup_state_parse (framework_core.c) checks
 * the layout and the values, framework_validate the framework unless it is
 * the one already compiled for this query.
 */
Datum
rollup_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = dti_aggregate_context(fcinfo, "rollup_deserialize");
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	CompiledFramework *cf = (CompiledFramework *) fcinfo->flinfo->fn_extra;
	RollupStateView view;
	Framework	hdr;
	RollupState *st;
	const char *problem;
	int			i,
				k;

	problem = rollup_state_parse((const unsigned char *) VARDATA_ANY(in),
								 VARSIZE_ANY_EXHDR(in), &view);
	if (problem != NULL)
		corrupt_state(problem);
	memcpy(&hdr, view.fw, FW_HEADER_SIZE);
	/* one compiled framework per query, kept in fn_extra */
	if (cf == NULL || cf->fw->fingerprint != hdr.fingerprint ||
		cf->fw->nnodes != hdr.nnodes || VARSIZE(cf->fw) != view.fw_size)
	{
		if (view.carried == ROLLUP_FW_EMBEDDED)
		{
			Framework  *fw = (Framework *) palloc(view.fw_size);

			memcpy(fw, view.fw, view.fw_size);
			framework_validate(fw, view.fw_size);
			cf = framework_prepare(fw, fcinfo->flinfo->fn_mcxt);
		}
		else
			cf = framework_from_plan(fcinfo, &hdr);
		fcinfo->flinfo->fn_extra = cf;
	}
	if (view.nleaves != cf->fw->nleaves)
		corrupt_state("the number of leaves does not match the framework");
	st = state_new(aggcxt, cf);
	for (i = 0, k = 0; i < view.nleaves; i++)
		if (view.present[i] != 0)
		{
			st->present[i] = true;
			memcpy(&st->values[i], view.values + sizeof(float8) * k++, sizeof(float8));
		}
	st->npresent = view.npresent;
	PG_RETURN_POINTER(st);
}

Datum
rollup_final(PG_FUNCTION_ARGS)
{
	RollupState *st;

	dti_aggregate_context(fcinfo, "rollup_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (RollupState *) PG_GETARG_POINTER(0);
	PG_RETURN_POINTER(scorecard_evaluate(st->cf, st->values, st->present));
}
