/*-------------------------------------------------------------------------
 *
 * rank_intervals.c
 *	  Uncertainty and sensitivity of ranks over a framework:
 *	  rank_intervals() (seeded Monte Carlo over weights and, optionally,
 *	  aggregation methods) and drop_one() (each node of a level left out in
 *	  turn).  The computation itself is in rank_core.c, free of the server;
 *	  this file checks the arguments, reads the units' leaf values from
 *	  their scorecards and returns the rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "indicator_code.h"
#include "rank_core.h"
#include "scorecard.h"

PG_FUNCTION_INFO_V1(framework_rank_intervals);
PG_FUNCTION_INFO_V1(framework_drop_one);

/* The units of one call: names, and leaf values read from scorecards. */
typedef struct RankUnits
{
	int			n;
	Datum	   *names;			/* text */
	double	   *values;			/* n x nleaves */
	uint8	   *present;		/* n x nleaves */
} RankUnits;

/* palloc for the core, which may need more than 1 GB for huge inputs. */
static void *
core_alloc(size_t size)
{
	return MemoryContextAllocHuge(CurrentMemoryContext, Max(size, 1));
}

static void
core_tick(void)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * Check the units and scorecards arrays (same non-zero length, no NULLs)
 * and that every scorecard has the framework's nodes; read the leaves.
 */
static RankUnits *
read_units(FunctionCallInfo fcinfo, const Framework *fw, const char *fname)
{
	ArrayType  *names_arr = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *cards_arr = PG_GETARG_ARRAYTYPE_P(2);
	Oid			card_type = get_fn_expr_argtype(fcinfo->flinfo, 2);
	Oid			card_elem = OidIsValid(card_type) ? get_element_type(card_type) : InvalidOid;
	RankUnits  *u = palloc(sizeof(RankUnits));
	Datum	   *cards;
	bool	   *name_nulls,
			   *card_nulls;
	int			ncards;
	int			nl = fw->nleaves;
	int			i,
				j;

	if (ARR_NDIM(names_arr) > 1 || ARR_NDIM(cards_arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s takes one-dimensional arrays of units and scorecards", fname),
				 errhint("Build them with array_agg(unit ORDER BY unit) and array_agg(sc ORDER BY unit).")));
	if (!OidIsValid(card_elem))
		elog(ERROR, "%s: cannot determine the scorecard type", fname);
	deconstruct_array(names_arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &u->names, &name_nulls, &u->n);
	deconstruct_array(cards_arr, card_elem, -1, false, TYPALIGN_DOUBLE,
					  &cards, &card_nulls, &ncards);
	if (u->n != ncards)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s got %d units but %d scorecards", fname, u->n, ncards),
				 errhint("Pass one scorecard per unit, in the same order (array_agg(unit ORDER BY unit), array_agg(sc ORDER BY unit)).")));
	if (u->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs at least one unit", fname),
				 errdetail("The arrays of units and scorecards are empty.")));
	u->values = palloc(sizeof(double) * (Size) u->n * Max(nl, 1));
	u->present = palloc0(sizeof(uint8) * (Size) u->n * Max(nl, 1));
	for (i = 0; i < u->n; i++)
	{
		Scorecard  *sc;

		CHECK_FOR_INTERRUPTS();
		if (name_nulls[i] || card_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s of unit %d is NULL", name_nulls[i] ? "the name" : "the scorecard", i + 1),
					 errhint("Leave units without a scorecard out of both arrays.")));
		sc = DatumGetScorecardP(cards[i]);
		if (sc->nnodes != fw->nnodes)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the scorecard of unit \"%s\" does not match the framework",
							TextDatumGetCString(u->names[i])),
					 errdetail("The scorecard has %d nodes, the framework %d.", sc->nnodes, fw->nnodes),
					 errhint("Use scorecards made by rollup() over the same framework.")));
		for (j = 0; j < fw->nnodes; j++)
		{
			const FrameworkNode *f = &fw->nodes[j];
			const ScorecardNode *s = &sc->nodes[j];

			if (s->parent != f->parent || s->code_len != f->code_len ||
				memcmp(SC_CODE(sc, j), FW_CODE(fw, j), f->code_len) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the scorecard of unit \"%s\" does not match the framework",
								TextDatumGetCString(u->names[i])),
						 errdetail("Node %d is \"%.*s\" in the scorecard and \"%.*s\" in the framework.",
								   j + 1, s->code_len, SC_CODE(sc, j), f->code_len, FW_CODE(fw, j)),
						 errhint("Use scorecards made by rollup() over the same framework.")));
			if (f->leaf_index >= 0 && (s->flags & SC_HAS_VALUE))
			{
				if (isnan(s->value) || isinf(s->value))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("value of indicator \"%.*s\" of unit \"%s\" must be finite",
									f->code_len, FW_CODE(fw, j), TextDatumGetCString(u->names[i]))));
				u->values[(Size) i * nl + f->leaf_index] = s->value;
				u->present[(Size) i * nl + f->leaf_index] = 1;
			}
		}
	}
	return u;
}

static void
negative_error(const Framework *fw, int bad_node)
{
	const FrameworkNode *f = &fw->nodes[bad_node];
	const FrameworkNode *p = &fw->nodes[f->parent];

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("indicator \"%.*s\" has a negative value, which its parent \"%.*s\" cannot average geometrically or harmonically",
					f->code_len, FW_CODE(fw, bad_node),
					p->code_len, FW_CODE(fw, f->parent)),
			 errhint("Normalise values to a positive scale, or do not alternate methods.")));
}

/*
 * rank_intervals(fw, units, cards, draws, factor, seed, alternate_methods):
 * per unit its nominal rank and the mean, median, 5th and 95th percentile
 * of its ranks over the draws, and the share of draws that keep the
 * nominal rank.  See docs/ranking.md for the method.
 */
Datum
framework_rank_intervals(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Framework  *fw = DatumGetFrameworkP(PG_GETARG_DATUM(0));
	int32		draws = PG_GETARG_INT32(3);
	float8		factor = PG_GETARG_FLOAT8(4);
	int64		seed = PG_GETARG_INT64(5);
	bool		alternate = PG_GETARG_BOOL(6);
	RankUnits  *units;
	RcProblem	p;
	RcUnitResult *res;
	int			bad_node = 0;
	int			i;

	if (draws <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of draws must be positive"),
				 errdetail("The number given is %d.", draws),
				 errhint("1,000 draws are usual for an uncertainty analysis.")));
	if (isnan(factor) || factor < 0 || factor >= 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight factor must be at least 0 and less than 1"),
				 errdetail("The factor given is %g.", factor),
				 errhint("Each weight is multiplied by a uniform factor in [1 - f, 1 + f]; 0.25 is usual.")));
	units = read_units(fcinfo, fw, "rank_intervals");

	p.tree = fw_tree_from_framework(fw, core_alloc);
	p.nunits = units->n;
	p.values = units->values;
	p.present = units->present;
	p.draws = draws;
	p.factor = factor;
	p.seed = (uint64) seed;
	p.alternate_methods = alternate;
	res = palloc0(sizeof(RcUnitResult) * units->n);
	if (rc_rank_intervals(&p, core_alloc, core_tick, res, &bad_node) != FW_EVAL_OK)
		negative_error(fw, bad_node);

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < units->n; i++)
	{
		Datum		values[7];
		bool		nulls[7] = {0};

		values[0] = units->names[i];
		if (res[i].nominal_rank == 0)
		{
			nulls[1] = nulls[2] = nulls[3] = nulls[4] = nulls[5] = nulls[6] = true;
		}
		else
		{
			values[1] = Int32GetDatum(res[i].nominal_rank);
			values[2] = Float8GetDatum(res[i].mean_rank);
			values[3] = Float8GetDatum(res[i].median_rank);
			values[4] = Float8GetDatum(res[i].p05);
			values[5] = Float8GetDatum(res[i].p95);
			values[6] = Float8GetDatum(res[i].keep_share);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* Roots of every unit under the given weights, and their ranks. */
static void
rank_units(const Framework *fw, const FwTree *t, const RankUnits *u,
		   const double *weight, double *val, uint8 *has, double *roots,
		   uint8 *valid, RcPair *scratch, int32 *ranks)
{
	int			i;
	int			bad_node = 0;

	for (i = 0; i < u->n; i++)
	{
		int			rc;

		if ((i & (RC_TICK_UNITS - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
		rc = fw_tree_evaluate(t, weight, t->method,
							  u->values + (Size) i * t->nleaves,
							  u->present + (Size) i * t->nleaves,
							  val, has, NULL, &roots[i], &bad_node);

		if (rc == FW_EVAL_NEGATIVE)
			negative_error(fw, bad_node);
		valid[i] = (rc == FW_EVAL_OK);
	}
	rc_competition_ranks(roots, valid, u->n, scratch, ranks);
}

/*
 * drop_one(fw, units, cards, level): for each node at the level, in
 * preorder, its weight set to 0 (the node then leaves its parent, whose
 * other children are renormalised by the parent's missing rule, as for a
 * node with 0 max points), one row per unit: the dropped node, the unit,
 * its nominal rank, its rank without the node and the change
 * (nominal - without: positive when the unit climbs).
 */
Datum
framework_drop_one(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Framework  *fw = DatumGetFrameworkP(PG_GETARG_DATUM(0));
	int32		level = PG_GETARG_INT32(3);
	RankUnits  *u;
	FwTree	   *t;
	double	   *weight;
	double	   *val;
	uint8	   *has;
	double	   *roots;
	uint8	   *valid;
	uint8	   *valid_without;
	RcPair	   *scratch;
	int32	   *nominal;
	int32	   *without;
	int			depth = 1;
	int			i,
				j;

	for (i = 0; i < fw->nnodes; i++)
		depth = Max(depth, fw->nodes[i].level);
	if (level < 2 || level > depth)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("level must be between 2 and %d, the depth of the framework", depth),
				 level == 1 ? errdetail("The root is level 1 and cannot be dropped.") :
				 errdetail("The level given is %d.", level)));
	u = read_units(fcinfo, fw, "drop_one");
	t = fw_tree_from_framework(fw, core_alloc);
	weight = palloc(sizeof(double) * fw->nnodes);
	memcpy(weight, t->weight, sizeof(double) * fw->nnodes);
	val = palloc(sizeof(double) * fw->nnodes);
	has = palloc(sizeof(uint8) * fw->nnodes);
	roots = palloc(sizeof(double) * u->n);
	valid = palloc(sizeof(uint8) * u->n);
	valid_without = palloc(sizeof(uint8) * u->n);
	scratch = palloc(sizeof(RcPair) * u->n);
	nominal = palloc(sizeof(int32) * u->n);
	without = palloc(sizeof(int32) * u->n);

	rank_units(fw, t, u, weight, val, has, roots, valid, scratch, nominal);

	InitMaterializedSRF(fcinfo, 0);
	for (j = 0; j < fw->nnodes; j++)
	{
		Datum		code;

		if (fw->nodes[j].level != level)
			continue;
		CHECK_FOR_INTERRUPTS();
		weight[j] = 0;
		rank_units(fw, t, u, weight, val, has, roots, valid_without, scratch, without);
		weight[j] = t->weight[j];
		code = PointerGetDatum(indicator_code_make(FW_CODE(fw, j), fw->nodes[j].code_len));
		for (i = 0; i < u->n; i++)
		{
			Datum		values[5];
			bool		nulls[5] = {0};

			values[0] = code;
			values[1] = u->names[i];
			values[2] = Int32GetDatum(nominal[i]);
			nulls[2] = !valid[i];
			values[3] = Int32GetDatum(without[i]);
			nulls[3] = !valid_without[i];
			values[4] = Int32GetDatum(nominal[i] - without[i]);
			nulls[4] = !valid[i] || !valid_without[i];
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}
