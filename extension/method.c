/*-------------------------------------------------------------------------
 *
 * method.c
 *	  SQL entry points of the method steps that work on one indicator: the
 *	  skewness and kurtosis aggregates (state float8[5], parallel) and the
 *	  outlier treatment winsorise() / winsorise_report().  The arithmetic is
 *	  in method_core.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include <math.h>

#include "method_core.h"

PG_FUNCTION_INFO_V1(moments_accum);
PG_FUNCTION_INFO_V1(moments_combine);
PG_FUNCTION_INFO_V1(skewness_final);
PG_FUNCTION_INFO_V1(kurtosis_final);
PG_FUNCTION_INFO_V1(winsorise);
PG_FUNCTION_INFO_V1(winsorise_report);

/*
 * The data of a one-dimensional array without NULLs (ARR_DATA_PTR, whose
 * expansion trips -Wsign-compare).
 */
#define STATE_DATA(a) ((double *) ((char *) (a) + ARR_OVERHEAD_NONULLS(1)))

/* The state array as a MomentState; errors on anything but 5 finite numbers. */
static double *
state_values(ArrayType *a, const char *fname)
{
	MomentState *s;
	const char *problem;

	if (ARR_NDIM(a) != 1 || ARR_DIMS(a)[0] != MOMENT_STATE_LEN ||
		ARR_HASNULL(a) || ARR_ELEMTYPE(a) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the state must be an array of %d float8 without NULLs",
						fname, MOMENT_STATE_LEN),
				 errhint("The state is {n, mean, m2, m3, m4}, as the skewness and kurtosis aggregates keep it.")));
	s = (MomentState *) STATE_DATA(a);
	problem = mc_moments_check(s);
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: invalid moments state", fname),
				 errdetail("%s.", problem),
				 errhint("The state is {n, mean, m2, m3, m4}, as the skewness and kurtosis aggregates keep it.")));
	return STATE_DATA(a);
}

/* A fresh state array holding s. */
static ArrayType *
state_array(const MomentState *s)
{
	Datum		d[MOMENT_STATE_LEN];

	d[0] = Float8GetDatum(s->n);
	d[1] = Float8GetDatum(s->mean);
	d[2] = Float8GetDatum(s->m2);
	d[3] = Float8GetDatum(s->m3);
	d[4] = Float8GetDatum(s->m4);
	return construct_array(d, MOMENT_STATE_LEN, FLOAT8OID, sizeof(float8),
						   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/*
 * Transition: add one value.  Inside an aggregate the state array is
 * updated in place (it lives in the aggregate's context); called directly,
 * a new array is returned.
 */
Datum
moments_accum(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	double		x = PG_GETARG_FLOAT8(1);
	MomentState s;

	if (!isfinite(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("skewness and kurtosis need finite values, not %s",
						isnan(x) ? "NaN" : (x > 0 ? "Infinity" : "-Infinity")),
				 errhint("Filter out or correct the non-finite values first.")));
	memcpy(&s, state_values(a, "moments_accum"), sizeof(s));
	mc_moments_add(&s, x);
	if (AggCheckCallContext(fcinfo, NULL))
	{
		memcpy(STATE_DATA(a), &s, sizeof(s));
		PG_RETURN_ARRAYTYPE_P(a);
	}
	PG_RETURN_ARRAYTYPE_P(state_array(&s));
}

/* Combine two partial states (parallel aggregation). */
Datum
moments_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	MomentState s,
				t;

	memcpy(&s, state_values(a, "moments_combine"), sizeof(s));
	memcpy(&t, state_values(b, "moments_combine"), sizeof(t));
	mc_moments_merge(&s, &t);
	if (AggCheckCallContext(fcinfo, NULL))
	{
		memcpy(STATE_DATA(a), &s, sizeof(s));
		PG_RETURN_ARRAYTYPE_P(a);
	}
	PG_RETURN_ARRAYTYPE_P(state_array(&s));
}

/* Final: G1, NULL below 3 values or for zero variance. */
Datum
skewness_final(PG_FUNCTION_ARGS)
{
	MomentState s;
	double		r;

	memcpy(&s, state_values(PG_GETARG_ARRAYTYPE_P(0), "skewness_final"), sizeof(s));
	r = mc_skewness(&s);
	if (isnan(r))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(r);
}

/* Final: G2 (excess), NULL below 4 values or for zero variance. */
Datum
kurtosis_final(PG_FUNCTION_ARGS)
{
	MomentState s;
	double		r;

	memcpy(&s, state_values(PG_GETARG_ARRAYTYPE_P(0), "kurtosis_final"), sizeof(s));
	r = mc_kurtosis(&s);
	if (isnan(r))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(r);
}

/* The arguments of winsorise() and winsorise_report(), checked. */
typedef struct TreatArgs
{
	int			winmax;
	double		skew_limit;
	double		kurt_limit;
	TreatFallback fallback;
} TreatArgs;

static void
treat_args(FunctionCallInfo fcinfo, TreatArgs *t)
{
	char	   *fb = text_to_cstring(PG_GETARG_TEXT_PP(4));

	t->winmax = PG_GETARG_INT32(1);
	t->skew_limit = PG_GETARG_FLOAT8(2);
	t->kurt_limit = PG_GETARG_FLOAT8(3);
	if (t->winmax < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("winmax must be 0 or more, not %d", t->winmax),
				 errhint("winmax is the most winsorisation steps to take (COINr's default is 5).")));
	if (!isfinite(t->skew_limit) || t->skew_limit < 0 || !isfinite(t->kurt_limit))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the thresholds must be finite and the skewness threshold 0 or more"),
				 errhint("COINr's defaults are 2 for |skewness| and 3.5 for kurtosis.")));
	if (strcmp(fb, "log_ct") == 0)
		t->fallback = FALLBACK_LOG_CT;
	else if (strcmp(fb, "none") == 0)
		t->fallback = FALLBACK_NONE;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown outlier fallback \"%s\"", fb),
				 errhint("Use 'log_ct' (log transform when winsorisation is not enough) or 'none'.")));
}

/*
 * The non-NULL values of a float8[] in order (palloc'd), their positions
 * in the array and their count; errors on a non-finite value.
 */
static double *
present_values(ArrayType *a, int **pos, int *nall, int *npresent)
{
	Datum	   *d;
	bool	   *nulls;
	int			n,
				i,
				k = 0;
	double	   *x;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the values must be a one-dimensional array")));
	deconstruct_array(a, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &d, &nulls, &n);
	x = palloc(sizeof(double) * (n + 1));
	*pos = palloc(sizeof(int) * (n + 1));
	for (i = 0; i < n; i++)
	{
		double		v;

		if (nulls[i])
			continue;
		v = DatumGetFloat8(d[i]);
		if (!isfinite(v))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("outlier treatment needs finite values, not %s at position %d",
							isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"), i + 1),
					 errhint("Correct the value or make it NULL (missing).")));
		x[k] = v;
		(*pos)[k++] = i;
	}
	*nall = n;
	*npresent = k;
	return x;
}

/* Run the treatment on the present values of argument 0. */
static void
run_treatment(FunctionCallInfo fcinfo, double **x, int **pos, int *nall, int *npresent,
			  TreatResult *r)
{
	TreatArgs	t;
	double	   *work;

	treat_args(fcinfo, &t);
	*x = present_values(PG_GETARG_ARRAYTYPE_P(0), pos, nall, npresent);
	work = palloc(sizeof(double) * (*npresent + 1));
	mc_treat(*x, *npresent, t.winmax, t.skew_limit, t.kurt_limit, t.fallback, work, r);
}

/* winsorise(vals, ...): the treated values, NULLs where the input had them. */
Datum
winsorise(PG_FUNCTION_ARGS)
{
	double	   *x;
	int		   *pos,
				nall,
				npresent,
				i;
	TreatResult r;
	Datum	   *d;
	bool	   *nulls;
	int			dims[1],
				lbs[1] = {1};

	run_treatment(fcinfo, &x, &pos, &nall, &npresent, &r);
	if (nall == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(FLOAT8OID));
	d = palloc(sizeof(Datum) * nall);
	nulls = palloc(sizeof(bool) * nall);
	for (i = 0; i < nall; i++)
		nulls[i] = true;
	for (i = 0; i < npresent; i++)
	{
		d[pos[i]] = Float8GetDatum(x[i]);
		nulls[pos[i]] = false;
	}
	dims[0] = nall;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(d, nulls, 1, dims, lbs, FLOAT8OID,
											 sizeof(float8), FLOAT8PASSBYVAL,
											 TYPALIGN_DOUBLE));
}

/* winsorise_report(vals, ...): what the treatment found and did. */
Datum
winsorise_report(PG_FUNCTION_ARGS)
{
	double	   *x;
	int		   *pos,
				nall,
				npresent;
	TreatResult r;
	TupleDesc	desc;
	Datum		v[8];
	bool		n[8] = {false};
	double		f[4];
	int			i;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "winsorise_report: return type must be a row type");
	desc = BlessTupleDesc(desc);
	run_treatment(fcinfo, &x, &pos, &nall, &npresent, &r);
	f[0] = r.skew_before;
	f[1] = r.kurt_before;
	f[2] = r.skew_after;
	f[3] = r.kurt_after;
	v[0] = Int32GetDatum(npresent);
	v[3] = CStringGetTextDatum(mc_treat_name(r.method));
	v[4] = Int32GetDatum(r.steps);
	v[5] = Int32GetDatum(r.cells);
	for (i = 0; i < 4; i++)
	{
		int			col = i < 2 ? 1 + i : 4 + i;

		v[col] = Float8GetDatum(f[i]);
		n[col] = isnan(f[i]);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, v, n)));
}

PG_FUNCTION_INFO_V1(method_require);

/*
 * method_require(arr, ok, sqlstate, message, hint): arr when ok is true;
 * otherwise (false or NULL) an error with that SQLSTATE, message and hint.
 * The SQL functions of the method (bodies bound at creation, no procedural
 * language) check their arguments by passing an array they go on to read
 * through it, so the check runs before the array is used.
 */
Datum
method_require(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(1) || !PG_GETARG_BOOL(1))
	{
		char	   *state = PG_ARGISNULL(2) ? "22023" : text_to_cstring(PG_GETARG_TEXT_PP(2));
		char	   *msg = PG_ARGISNULL(3) ? "invalid argument" : text_to_cstring(PG_GETARG_TEXT_PP(3));
		char	   *hint = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
		int			i;

		if (strlen(state) != 5)
			state = "22023";
		for (i = 0; i < 5; i++)
			if (!((state[i] >= '0' && state[i] <= '9') || (state[i] >= 'A' && state[i] <= 'Z')))
				state = "22023";
		ereport(ERROR,
				(errcode(MAKE_SQLSTATE(state[0], state[1], state[2], state[3], state[4])),
				 errmsg("%s", msg),
				 hint ? errhint("%s", hint) : 0));
	}
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}
