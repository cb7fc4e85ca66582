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
#include "sobol_core.h"

PG_FUNCTION_INFO_V1(framework_rank_intervals);
PG_FUNCTION_INFO_V1(framework_drop_one);
PG_FUNCTION_INFO_V1(framework_sobol);

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
 * Read the leaf values of n scorecards (one per unit, names for the
 * messages) into values/present (n x nleaves), checking that every
 * scorecard has the framework's nodes.
 */
static void
read_leaves(const Framework *fw, Datum *names, Datum *cards, bool *card_nulls, int n,
			double *values, uint8 *present)
{
	int			nl = fw->nleaves;
	int			i,
				j;

	for (i = 0; i < n; i++)
	{
		Scorecard  *sc;

		CHECK_FOR_INTERRUPTS();
		if (card_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the scorecard of unit %d is NULL", i + 1),
					 errhint("Leave units without a scorecard out of both arrays.")));
		sc = DatumGetScorecardP(cards[i]);
		if (sc->nnodes != fw->nnodes)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the scorecard of unit \"%s\" does not match the framework",
							TextDatumGetCString(names[i])),
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
								TextDatumGetCString(names[i])),
						 errdetail("Node %d is \"%.*s\" in the scorecard and \"%.*s\" in the framework.",
								   j + 1, s->code_len, SC_CODE(sc, j), f->code_len, FW_CODE(fw, j)),
						 errhint("Use scorecards made by rollup() over the same framework.")));
			if (f->leaf_index >= 0 && (s->flags & SC_HAS_VALUE))
			{
				if (isnan(s->value) || isinf(s->value))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("value of indicator \"%.*s\" of unit \"%s\" must be finite",
									f->code_len, FW_CODE(fw, j), TextDatumGetCString(names[i]))));
				values[(Size) i * nl + f->leaf_index] = s->value;
				present[(Size) i * nl + f->leaf_index] = 1;
			}
		}
	}
}

/* The scorecards of a scorecard[] argument. */
static void
card_array(FunctionCallInfo fcinfo, int argno, const char *fname, Datum **cards,
		   bool **nulls, int *n)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(argno);
	Oid			card_type = get_fn_expr_argtype(fcinfo->flinfo, argno);
	Oid			card_elem = OidIsValid(card_type) ? get_element_type(card_type) : InvalidOid;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s takes one-dimensional arrays of units and scorecards", fname),
				 errhint("Build them with array_agg(unit ORDER BY unit) and array_agg(sc ORDER BY unit).")));
	if (!OidIsValid(card_elem))
		elog(ERROR, "%s: cannot determine the scorecard type", fname);
	deconstruct_array(arr, card_elem, -1, false, TYPALIGN_DOUBLE, cards, nulls, n);
}

/*
 * Check the units and scorecards arrays (same non-zero length, no NULLs)
 * and that every scorecard has the framework's nodes; read the leaves.
 */
static RankUnits *
read_units(FunctionCallInfo fcinfo, const Framework *fw, const char *fname)
{
	ArrayType  *names_arr = PG_GETARG_ARRAYTYPE_P(1);
	RankUnits  *u = palloc(sizeof(RankUnits));
	Datum	   *cards;
	bool	   *name_nulls,
			   *card_nulls;
	int			ncards;
	int			nl = fw->nleaves;
	int			i;

	if (ARR_NDIM(names_arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s takes one-dimensional arrays of units and scorecards", fname),
				 errhint("Build them with array_agg(unit ORDER BY unit) and array_agg(sc ORDER BY unit).")));
	card_array(fcinfo, 2, fname, &cards, &card_nulls, &ncards);
	deconstruct_array(names_arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &u->names, &name_nulls, &u->n);
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
	for (i = 0; i < u->n; i++)
		if (name_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the name of unit %d is NULL", i + 1),
					 errhint("Leave units without a scorecard out of both arrays.")));
	u->values = palloc(sizeof(double) * (Size) u->n * Max(nl, 1));
	u->present = palloc0(sizeof(uint8) * (Size) u->n * Max(nl, 1));
	read_leaves(fw, u->names, cards, card_nulls, u->n, u->values, u->present);
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
	p.perturb = NULL;
	if (PG_NARGS() > 7)
	{
		/* rank_intervals(..., levels): only the weights of those levels vary */
		ArrayType  *la = PG_GETARG_ARRAYTYPE_P(7);
		Datum	   *ld;
		bool	   *ln;
		int			nl,
					depth = 1,
					j;
		uint8	   *perturb = palloc0(fw->nnodes);

		for (i = 0; i < fw->nnodes; i++)
			depth = Max(depth, fw->nodes[i].level);
		deconstruct_array(la, INT4OID, sizeof(int32), true, TYPALIGN_INT, &ld, &ln, &nl);
		if (nl == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rank_intervals needs at least one level to perturb"),
					 errhint("Levels run from 2 (below the root) to %d; leave the argument out to perturb them all.", depth)));
		for (j = 0; j < nl; j++)
		{
			int32		lv = ln[j] ? 0 : DatumGetInt32(ld[j]);

			if (ln[j] || lv < 2 || lv > depth)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("level to perturb must be between 2 and %d, the depth of the framework", depth),
						 ln[j] ? errdetail("levels[%d] is NULL.", j + 1) :
						 errdetail("levels[%d] is %d.", j + 1, lv)));
			for (i = 1; i < fw->nnodes; i++)
				if (fw->nodes[i].level == lv)
					perturb[i] = 1;
		}
		p.perturb = perturb;
	}

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

/* Most doubles the model outputs of one analysis may take (400 MB). */
#define SOBOL_MAX_OUTPUTS	(50 * 1000 * 1000)

static void
core_tick_sobol(void)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * sobol_sensitivity(fw, units, cards, sources, base_samples, seed, factor,
 * bootstrap, variants, variant_counts): first-order and total-effect Sobol
 * indices of every unit's rank and of the mean absolute rank shift, for the
 * uncertainty sources named in sources ('weights:L', 'methods:L',
 * 'data:NAME').  See docs/method.md.
 */
Datum
framework_sobol(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Framework  *fw;
	ArrayType  *src_arr;
	int32		nbase,
				nboot;
	int64		seed;
	float8		factor;
	Datum	   *src_d;
	bool	   *src_nulls;
	int			nsrc;
	SbSource   *sources;
	char	  **labels;
	int32	   *counts = NULL;
	int			ncounts = 0,
				ndata = 0;
	int64		nvariants = 1;
	RankUnits  *u;
	SbIndexProblem prob;
	SbIndexModel mod;
	SbDesign	d;
	SbIndex    *out;
	int32	   *level;
	int			depth = 1;
	int			i,
				s,
				o,
				rc;

	for (i = 0; i < 6; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("sobol_sensitivity: the framework, units, cards, sources, base samples and seed must not be NULL")));
	fw = DatumGetFrameworkP(PG_GETARG_DATUM(0));
	src_arr = PG_GETARG_ARRAYTYPE_P(3);
	nbase = PG_GETARG_INT32(4);
	seed = PG_GETARG_INT64(5);
	factor = PG_ARGISNULL(6) ? 0.25 : PG_GETARG_FLOAT8(6);
	nboot = PG_ARGISNULL(7) ? 200 : PG_GETARG_INT32(7);
	if (nbase < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of base samples must be at least 2"),
				 errdetail("The number given is %d.", nbase),
				 errhint("1,000 base samples are usual; the analysis runs the model base_samples x (sources + 2) times.")));
	if (nboot < 0 || nboot > 100000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of bootstrap resamples must be between 0 and 100000"),
				 errdetail("The number given is %d.", nboot)));
	if (isnan(factor) || factor < 0 || factor >= 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight factor must be at least 0 and less than 1"),
				 errdetail("The factor given is %g.", factor),
				 errhint("Each weight is multiplied by a uniform factor in [1 - f, 1 + f]; 0.25 is usual.")));
	for (i = 0; i < fw->nnodes; i++)
		depth = Max(depth, fw->nodes[i].level);
	level = palloc(sizeof(int32) * fw->nnodes);
	for (i = 0; i < fw->nnodes; i++)
		level[i] = fw->nodes[i].level;
	if (!PG_ARGISNULL(9))
	{
		ArrayType  *ca = PG_GETARG_ARRAYTYPE_P(9);
		Datum	   *cd;
		bool	   *cn;

		deconstruct_array(ca, INT4OID, sizeof(int32), true, TYPALIGN_INT, &cd, &cn, &ncounts);
		counts = palloc(sizeof(int32) * Max(ncounts, 1));
		for (i = 0; i < ncounts; i++)
		{
			if (cn[i] || DatumGetInt32(cd[i]) < 2 || DatumGetInt32(cd[i]) > 1000)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("each data source needs between 2 and 1000 variants"),
						 errdetail("variant_counts[%d] is %s.", i + 1,
								   cn[i] ? "NULL" : psprintf("%d", DatumGetInt32(cd[i])))));
			counts[i] = DatumGetInt32(cd[i]);
		}
	}

	/* the sources */
	deconstruct_array(src_arr, TEXTOID, -1, false, TYPALIGN_INT, &src_d, &src_nulls, &nsrc);
	if (nsrc == 0 || ARR_NDIM(src_arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sobol_sensitivity needs a one-dimensional array of at least one uncertainty source"),
				 errhint("Sources are 'weights:L' and 'methods:L' for a level L, and 'data:NAME' for a data choice with variants.")));
	sources = palloc0(sizeof(SbSource) * nsrc);
	labels = palloc(sizeof(char *) * nsrc);
	for (s = 0; s < nsrc; s++)
	{
		char	   *spec;
		int			lv = 0;
		char		tail;
		bool		has_node = false;

		if (src_nulls[s])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("uncertainty source %d is NULL", s + 1)));
		spec = TextDatumGetCString(src_d[s]);
		labels[s] = spec;
		if (strncmp(spec, "data:", 5) == 0 && spec[5] != '\0')
		{
			sources[s].kind = SB_DATA;
			if (ndata >= ncounts)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("data source \"%s\" has no number of variants", spec),
						 errhint("Give variant_counts one entry per data source, in the order of sources.")));
			sources[s].noptions = counts[ndata++];
			nvariants *= sources[s].noptions;
			if (nvariants > 1000000)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("the data sources have more than 1,000,000 variants together")));
			continue;
		}
		if (sscanf(spec, "weights:%d%c", &lv, &tail) == 1)
			sources[s].kind = SB_WEIGHTS;
		else if (sscanf(spec, "methods:%d%c", &lv, &tail) == 1)
			sources[s].kind = SB_METHODS;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown uncertainty source \"%s\"", spec),
					 errhint("Sources are 'weights:L' and 'methods:L' for a level L, and 'data:NAME' for a data choice with variants.")));
		sources[s].level = lv;
		for (i = 0; i < fw->nnodes; i++)
			if (level[i] == lv && (sources[s].kind == SB_WEIGHTS ? i > 0 : fw->nodes[i].first_child >= 0))
				has_node = true;
		if (!has_node)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("uncertainty source \"%s\": level %d has no %s", spec, lv,
							sources[s].kind == SB_WEIGHTS ? "weighted node" : "inner node"),
					 errhint("Weights can vary from level 2 to %d, methods from level 1 to %d.",
							 depth, Max(depth - 1, 1))));
	}
	if (ndata != ncounts)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%d data sources but %d variant counts", ndata, ncounts),
				 errhint("Give variant_counts one entry per data source, in the order of sources.")));

	u = read_units(fcinfo, fw, "sobol_sensitivity");
	if ((double) nbase * (nsrc + 2) * (u->n + 1) > SOBOL_MAX_OUTPUTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("base_samples x (sources + 2) x (units + 1) must not exceed %d", SOBOL_MAX_OUTPUTS),
				 errhint("Use fewer base samples.")));

	/* the data: the nominal cards, then the other variants */
	prob.values = u->values;
	prob.present = u->present;
	if (nvariants > 1)
	{
		Datum	   *vc;
		bool	   *vn;
		int			nvc;
		Size		block = (Size) u->n * Max(fw->nleaves, 1);
		double	   *values;
		uint8	   *present;

		if (PG_ARGISNULL(8))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("data sources need the scorecards of their variants")));
		card_array(fcinfo, 8, "sobol_sensitivity", &vc, &vn, &nvc);
		if ((int64) nvc != (nvariants - 1) * u->n)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("sobol_sensitivity got %d variant scorecards, not %lld", nvc,
							(long long) ((nvariants - 1) * u->n)),
					 errdetail("%lld variants besides the nominal one, %d units each.",
							   (long long) (nvariants - 1), u->n),
					 errhint("Pass every variant but the first (all data sources at their first option), in mixed-radix order, the first data source varying slowest, units in the order of units.")));
		values = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * block * nvariants);
		present = MemoryContextAllocHuge(CurrentMemoryContext, block * nvariants);
		memset(present, 0, block * nvariants);
		memcpy(values, u->values, sizeof(double) * block);
		memcpy(present, u->present, block);
		for (i = 1; i < nvariants; i++)
			read_leaves(fw, u->names, vc + (Size) (i - 1) * u->n, vn + (Size) (i - 1) * u->n,
						u->n, values + block * i, present + block * i);
		prob.values = values;
		prob.present = present;
	}
	prob.tree = fw_tree_from_framework(fw, core_alloc);
	prob.node_level = level;
	prob.nunits = u->n;
	prob.nsources = nsrc;
	prob.sources = sources;
	prob.factor = factor;
	if (sb_index_prepare(&prob, core_alloc, &mod) != FW_EVAL_OK)
		negative_error(fw, mod.bad_node);

	memset(&d, 0, sizeof(d));
	d.k = mod.k;
	d.ngroups = nsrc;
	d.group_start = mod.group_start;
	d.m = u->n + 1;
	d.n = nbase;
	d.nboot = nboot;
	d.seed = (uint64) seed;
	d.level = 0.95;
	out = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(SbIndex) * (Size) d.m * nsrc);
	rc = sb_analyse(&d, sb_index_model, &mod, core_alloc, core_tick_sobol, out);
	if (rc == FW_EVAL_NEGATIVE)
		negative_error(fw, mod.bad_node);

	InitMaterializedSRF(fcinfo, 0);
	for (o = 0; o < d.m; o++)
		for (s = 0; s < nsrc; s++)
		{
			SbIndex    *r = &out[o * nsrc + s];
			double		f[6] = {r->first, r->first_lo, r->first_hi, r->total, r->total_lo, r->total_hi};
			Datum		values[9];
			bool		nulls[9] = {0};

			if (o < u->n)
			{
				values[0] = u->names[o];
				values[1] = CStringGetTextDatum("rank");
			}
			else
			{
				nulls[0] = true;
				values[1] = CStringGetTextDatum("mean_abs_rank_shift");
			}
			values[2] = CStringGetTextDatum(labels[s]);
			for (i = 0; i < 6; i++)
			{
				values[3 + i] = Float8GetDatum(f[i]);
				nulls[3 + i] = isnan(f[i]);
			}
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	return (Datum) 0;
}
