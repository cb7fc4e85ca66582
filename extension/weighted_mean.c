/*-------------------------------------------------------------------------
 *
 * weighted_mean.c
 *	  Weighted arithmetic, geometric and harmonic means as parallel
 *	  aggregates.
 *
 * The three means share one state: the compensated sum of the weights and
 * the compensated sum of w * f(x), where f is x, ln(x) or 1/x.  The final
 * functions turn the two sums into
 *
 *		weighted_mean		sum(w * x) / sum(w)
 *		weighted_geomean	exp(sum(w * ln x) / sum(w))
 *		weighted_harmonic	sum(w) / sum(w / x)
 *
 * Rows with a NULL value or weight are skipped, rows with weight 0 do not
 * count, and a group whose weights are all 0 (or that has no rows) gives
 * NULL.  A NaN or infinite value or weight, a negative weight, and for the
 * geometric and harmonic means a value <= 0, are errors even when the
 * weight is 0: they are bad data, not a choice of weights.
 *
 * Neumaier summation (compensated_sum.h) keeps the sums within a few units
 * in the last place of the exact result, so the means agree with the same
 * formula computed over numeric to about 1e-15 relative.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "compensated_sum.h"
#include "weighted_agg.h"

typedef WmeanKind WeightedMeanKind;
typedef WmeanState WeightedMeanState;

PG_FUNCTION_INFO_V1(weighted_mean_step);
PG_FUNCTION_INFO_V1(weighted_geomean_step);
PG_FUNCTION_INFO_V1(weighted_harmonic_step);
PG_FUNCTION_INFO_V1(weighted_mean_combine);
PG_FUNCTION_INFO_V1(weighted_mean_serialize);
PG_FUNCTION_INFO_V1(weighted_mean_deserialize);
PG_FUNCTION_INFO_V1(weighted_mean_final);
PG_FUNCTION_INFO_V1(weighted_geomean_final);
PG_FUNCTION_INFO_V1(weighted_harmonic_final);

/*
 * A new, empty state in the aggregate memory context.
 */
static WeightedMeanState *
wmean_state_new(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcontext = dti_aggregate_context(fcinfo, fname);
	WeightedMeanState *state;

	state = (WeightedMeanState *) MemoryContextAlloc(aggcontext, sizeof(WeightedMeanState));
	wmean_init(state);
	return state;
}

/*
 * The transition step of the three means: checks the row, then adds w and
 * w * f(x) to the sums.  Inlined into each step function with a constant
 * kind, so the switch disappears.
 */
static inline Datum
wmean_accumulate(FunctionCallInfo fcinfo, WeightedMeanKind kind,
				 const char *aggname, const char *fname)
{
	WeightedMeanState *state;
	double		x;
	double		w;

	state = PG_ARGISNULL(0) ? NULL : (WeightedMeanState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}
	x = PG_GETARG_FLOAT8(1);
	w = PG_GETARG_FLOAT8(2);
	wagg_check_row(x, w, aggname);
	if (kind != WMEAN_ARITHMETIC && unlikely(x <= 0.0))
		wagg_report_nonpositive(x, aggname);

	if (state == NULL)
		state = wmean_state_new(fcinfo, fname);

	if (w > 0.0)
		wmean_add(state, kind, x, w);
	PG_RETURN_POINTER(state);
}

/*
 * weighted_mean_step(state, x, w): transition of weighted_mean.
 */
Datum
weighted_mean_step(PG_FUNCTION_ARGS)
{
	return wmean_accumulate(fcinfo, WMEAN_ARITHMETIC, "weighted_mean", "weighted_mean_step");
}

/*
 * weighted_geomean_step(state, x, w): transition of weighted_geomean.
 */
Datum
weighted_geomean_step(PG_FUNCTION_ARGS)
{
	return wmean_accumulate(fcinfo, WMEAN_GEOMETRIC, "weighted_geomean", "weighted_geomean_step");
}

/*
 * weighted_harmonic_step(state, x, w): transition of weighted_harmonic.
 */
Datum
weighted_harmonic_step(PG_FUNCTION_ARGS)
{
	return wmean_accumulate(fcinfo, WMEAN_HARMONIC, "weighted_harmonic", "weighted_harmonic_step");
}

/*
 * weighted_mean_combine(state, state): merges two partial states (from
 * parallel workers) for any of the three means.  When the first is NULL the
 * second is copied into the aggregate context, since it may live in a
 * shorter-lived context (a deserialized state does).
 */
Datum
weighted_mean_combine(PG_FUNCTION_ARGS)
{
	WeightedMeanState *state1;
	WeightedMeanState *state2;

	state1 = PG_ARGISNULL(0) ? NULL : (WeightedMeanState *) PG_GETARG_POINTER(0);
	state2 = PG_ARGISNULL(1) ? NULL : (WeightedMeanState *) PG_GETARG_POINTER(1);

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	if (state1 == NULL)
	{
		state1 = wmean_state_new(fcinfo, "weighted_mean_combine");
		*state1 = *state2;
		PG_RETURN_POINTER(state1);
	}
	wmean_merge(state1, state2);
	PG_RETURN_POINTER(state1);
}

/*
 * weighted_mean_serialize(state): the state as bytea: a version byte, then
 * each scaled sum's sum, compensation and scale in the server's byte order
 * (the state only travels between processes of the same build).
 */
Datum
weighted_mean_serialize(PG_FUNCTION_ARGS)
{
	WeightedMeanState *state = (WeightedMeanState *) PG_GETARG_POINTER(0);
	bytea	   *result = (bytea *) palloc(VARHDRSZ + WMEAN_SERIAL_SIZE);

	SET_VARSIZE(result, VARHDRSZ + WMEAN_SERIAL_SIZE);
	wmean_state_encode(state, (unsigned char *) VARDATA(result));
	PG_RETURN_BYTEA_P(result);
}

/*
 * weighted_mean_deserialize(bytea, internal): reads back what
 * weighted_mean_serialize wrote; wmean_state_decode (weighted_agg_core.c)
 * checks the size, the version byte, the sums and their scales.
 */
Datum
weighted_mean_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *data = PG_GETARG_BYTEA_PP(0);
	WeightedMeanState *state = (WeightedMeanState *) palloc(sizeof(WeightedMeanState));
	const char *problem;

	problem = wmean_state_decode((const unsigned char *) VARDATA_ANY(data),
								 VARSIZE_ANY_EXHDR(data), state);
	if (problem != NULL)
		wagg_report_bad_state("weighted_mean", psprintf("%s.", problem));
	PG_RETURN_POINTER(state);
}

/*
 * The mean of a state (wmean_result), NULL when all weights are zero; a
 * mean beyond the float8 range is an error.
 */
static Datum
wmean_final(FunctionCallInfo fcinfo, WeightedMeanKind kind, const char *aggname)
{
	WeightedMeanState *state = (WeightedMeanState *) PG_GETARG_POINTER(0);
	double		v;

	switch (wmean_result(state, kind, &v))
	{
		case 0:
			PG_RETURN_NULL();
		case 1:
			PG_RETURN_FLOAT8(v);
	}
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value out of range: overflow in %s", aggname),
			 errdetail("The mean is beyond the largest float8, about 1.8e308.")));
	PG_RETURN_NULL();			/* keep compiler quiet */
}

/* weighted_mean_final(state): sum(w * x) / sum(w) */
Datum
weighted_mean_final(PG_FUNCTION_ARGS)
{
	return wmean_final(fcinfo, WMEAN_ARITHMETIC, "weighted_mean");
}

/* weighted_geomean_final(state): exp(sum(w * ln x) / sum(w)) */
Datum
weighted_geomean_final(PG_FUNCTION_ARGS)
{
	return wmean_final(fcinfo, WMEAN_GEOMETRIC, "weighted_geomean");
}

/* weighted_harmonic_final(state): sum(w) / sum(w / x) */
Datum
weighted_harmonic_final(PG_FUNCTION_ARGS)
{
	return wmean_final(fcinfo, WMEAN_HARMONIC, "weighted_harmonic");
}

/*
 * The type weighted_mean_state: the state of the three means as a value
 * of its own (not internal), so that Citus can run the aggregates in two
 * steps, partial states on the workers and their combination on the
 * coordinator, and parallel workers hand their states over without
 * serialize functions.  The transition and combine functions update it in
 * place when an aggregate calls them (AggCheckCallContext).  Its binary
 * form is the encoding of weighted_agg_core.c (network byte order), its
 * text form that encoding in hexadecimal; both inputs check every byte.
 */
typedef struct WmeanDatum
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		pad;
	WeightedMeanState st;
} WmeanDatum;

PG_FUNCTION_INFO_V1(weighted_mean_state_in);
PG_FUNCTION_INFO_V1(weighted_mean_state_out);
PG_FUNCTION_INFO_V1(weighted_mean_state_recv);
PG_FUNCTION_INFO_V1(weighted_mean_state_send);
PG_FUNCTION_INFO_V1(wmean_state_mean_step);
PG_FUNCTION_INFO_V1(wmean_state_geomean_step);
PG_FUNCTION_INFO_V1(wmean_state_harmonic_step);
PG_FUNCTION_INFO_V1(wmean_state_combine);
PG_FUNCTION_INFO_V1(wmean_state_mean_final);
PG_FUNCTION_INFO_V1(wmean_state_geomean_final);
PG_FUNCTION_INFO_V1(wmean_state_harmonic_final);

/* A new datum holding st, in the current memory context. */
static WmeanDatum *
wmean_datum_new(const WeightedMeanState *st)
{
	WmeanDatum *d = (WmeanDatum *) palloc(sizeof(WmeanDatum));

	SET_VARSIZE(d, sizeof(WmeanDatum));
	d->pad = 0;
	d->st = *st;
	return d;
}

/* The state of the encoding bytes[0..len), or an error naming the problem. */
static WmeanDatum *
wmean_datum_decode(const unsigned char *bytes, size_t len)
{
	WeightedMeanState st;
	const char *problem = wmean_state_decode(bytes, len, &st);

	if (problem != NULL)
		dti_state_bad_input("weighted_mean_state", problem);
	return wmean_datum_new(&st);
}

/* Text input: the hexadecimal form weighted_mean_state_out writes. */
Datum
weighted_mean_state_in(PG_FUNCTION_ARGS)
{
	size_t		len;
	unsigned char *bytes = dti_state_hex_in(PG_GETARG_CSTRING(0), "weighted_mean_state", &len);

	PG_RETURN_POINTER(wmean_datum_decode(bytes, len));
}

/* Text output: the binary form in hexadecimal. */
Datum
weighted_mean_state_out(PG_FUNCTION_ARGS)
{
	WmeanDatum *d = (WmeanDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	unsigned char bytes[WMEAN_SERIAL_SIZE];

	wmean_state_encode(&d->st, bytes);
	PG_RETURN_CSTRING(dti_state_hex_out(bytes, WMEAN_SERIAL_SIZE));
}

/* Binary input: the whole message is the encoding, checked byte by byte. */
Datum
weighted_mean_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	const char *bytes = pq_getmsgbytes(buf, len);

	PG_RETURN_POINTER(wmean_datum_decode((const unsigned char *) bytes, len));
}

/* Binary output: version byte, then the two scaled sums in network byte order. */
Datum
weighted_mean_state_send(PG_FUNCTION_ARGS)
{
	WmeanDatum *d = (WmeanDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	bytea	   *out = (bytea *) palloc(VARHDRSZ + WMEAN_SERIAL_SIZE);

	SET_VARSIZE(out, VARHDRSZ + WMEAN_SERIAL_SIZE);
	wmean_state_encode(&d->st, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

/*
 * The transition of the three means on weighted_mean_state: the checks of
 * wmean_accumulate, then the sums updated in place.  The first state is
 * made in the current memory context; the executor copies it into the
 * aggregate's context, and from then on hands the same copy back.
 */
static inline Datum
wmean_state_accumulate(FunctionCallInfo fcinfo, WeightedMeanKind kind, const char *aggname)
{
	WmeanDatum *d;
	double		x;
	double		w;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	x = PG_GETARG_FLOAT8(1);
	w = PG_GETARG_FLOAT8(2);
	wagg_check_row(x, w, aggname);
	if (kind != WMEAN_ARITHMETIC && unlikely(x <= 0.0))
		wagg_report_nonpositive(x, aggname);

	d = (WmeanDatum *) dti_state_for_update(fcinfo);
	if (d == NULL)
	{
		WeightedMeanState empty;

		wmean_init(&empty);
		d = wmean_datum_new(&empty);
	}
	if (w > 0.0)
		wmean_add(&d->st, kind, x, w);
	PG_RETURN_POINTER(d);
}

/* wmean_state_mean_step(state, x, w): transition of weighted_mean. */
Datum
wmean_state_mean_step(PG_FUNCTION_ARGS)
{
	return wmean_state_accumulate(fcinfo, WMEAN_ARITHMETIC, "weighted_mean");
}

/* wmean_state_geomean_step(state, x, w): transition of weighted_geomean. */
Datum
wmean_state_geomean_step(PG_FUNCTION_ARGS)
{
	return wmean_state_accumulate(fcinfo, WMEAN_GEOMETRIC, "weighted_geomean");
}

/* wmean_state_harmonic_step(state, x, w): transition of weighted_harmonic. */
Datum
wmean_state_harmonic_step(PG_FUNCTION_ARGS)
{
	return wmean_state_accumulate(fcinfo, WMEAN_HARMONIC, "weighted_harmonic");
}

/*
 * wmean_state_combine(a, b): b merged into a, in place under an aggregate;
 * a copy of b when a is NULL (the executor moves it into its context).
 */
Datum
wmean_state_combine(PG_FUNCTION_ARGS)
{
	WmeanDatum *a;
	WmeanDatum *b;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = (WmeanDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(wmean_datum_new(&b->st));
	a = (WmeanDatum *) dti_state_for_update(fcinfo);
	wmean_merge(&a->st, &b->st);
	PG_RETURN_POINTER(a);
}

/* The mean of a weighted_mean_state, as wmean_final gives it. */
static Datum
wmean_state_final(FunctionCallInfo fcinfo, WeightedMeanKind kind, const char *aggname)
{
	WmeanDatum *d = (WmeanDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	double		v;

	switch (wmean_result(&d->st, kind, &v))
	{
		case 0:
			PG_RETURN_NULL();
		case 1:
			PG_RETURN_FLOAT8(v);
	}
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value out of range: overflow in %s", aggname),
			 errdetail("The mean is beyond the largest float8, about 1.8e308.")));
	PG_RETURN_NULL();			/* keep compiler quiet */
}

/* wmean_state_mean_final(state): sum(w * x) / sum(w) */
Datum
wmean_state_mean_final(PG_FUNCTION_ARGS)
{
	return wmean_state_final(fcinfo, WMEAN_ARITHMETIC, "weighted_mean");
}

/* wmean_state_geomean_final(state): exp(sum(w * ln x) / sum(w)) */
Datum
wmean_state_geomean_final(PG_FUNCTION_ARGS)
{
	return wmean_state_final(fcinfo, WMEAN_GEOMETRIC, "weighted_geomean");
}

/* wmean_state_harmonic_final(state): sum(w) / sum(w / x) */
Datum
wmean_state_harmonic_final(PG_FUNCTION_ARGS)
{
	return wmean_state_final(fcinfo, WMEAN_HARMONIC, "weighted_harmonic");
}
