/*-------------------------------------------------------------------------
 *
 * indicator_stats.c
 *	  The indicator_stats type (n, min, max, mean, sample sd of one
 *	  indicator's values in one period) and the indicator_stats(float8)
 *	  aggregate that computes it, in parallel if asked.
 *
 * The aggregate keeps a compensated sum for the mean and Welford's running
 * mean and M2 for the variance; partial states from parallel workers merge
 * with Chan's formula.  The type is 40 bytes passed by reference.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include <math.h>

#include "compensated_sum.h"
#include "dti_util.h"
#include "indicator_stats_core.h"
#include "scoring_rule.h"
#include "pg_compat.h"

#define ISTATS_BINARY_VERSION 1

PG_FUNCTION_INFO_V1(indicator_stats_in);
PG_FUNCTION_INFO_V1(indicator_stats_out);
PG_FUNCTION_INFO_V1(indicator_stats_recv);
PG_FUNCTION_INFO_V1(indicator_stats_send);
PG_FUNCTION_INFO_V1(indicator_stats_n);
PG_FUNCTION_INFO_V1(indicator_stats_min);
PG_FUNCTION_INFO_V1(indicator_stats_max);
PG_FUNCTION_INFO_V1(indicator_stats_mean);
PG_FUNCTION_INFO_V1(indicator_stats_sd);
PG_FUNCTION_INFO_V1(indicator_stats_step);
PG_FUNCTION_INFO_V1(indicator_stats_combine);
PG_FUNCTION_INFO_V1(indicator_stats_serialize);
PG_FUNCTION_INFO_V1(indicator_stats_deserialize);
PG_FUNCTION_INFO_V1(indicator_stats_final);

typedef IstatsState StatsState;

/*
 * Text input: "(n=5,min=1,max=9,mean=4.2,sd=2.1)"; white space allowed
 * around tokens, keys case-insensitive and in any order, each exactly once.
 * The parser is istats_parse (indicator_stats_core.c).
 */
Datum
indicator_stats_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	SrStats    *s = palloc0(sizeof(SrStats));
	const char *problem = istats_parse(str, s);

	if (problem != NULL)
		ereturn(fcinfo->context, (Datum) 0,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"",
						"indicator_stats", str),
				 errdetail("%s.", problem),
				 errhint("Statistics look like (n=5,min=1,max=9,mean=4.2,sd=2.1).")));
	PG_RETURN_POINTER(s);
}

/* Text output with shortest round-trip numbers. */
Datum
indicator_stats_out(PG_FUNCTION_ARGS)
{
	SrStats    *s = PG_GETARG_INDICATOR_STATS_P(0);
	char		min[32],
				max[32],
				mean[32],
				sd[32];

	sr_format_double(s->min, min);
	sr_format_double(s->max, max);
	sr_format_double(s->mean, mean);
	sr_format_double(s->sd, sd);
	PG_RETURN_CSTRING(psprintf("(n=" INT64_FORMAT ",min=%s,max=%s,mean=%s,sd=%s)",
							   s->n, min, max, mean, sd));
}

/*
 * Binary input: version byte 1, int8 n, float8 min, max, mean, sd, decoded
 * and checked by istats_decode (indicator_stats_core.c).
 */
Datum
indicator_stats_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int			len = buf->len - buf->cursor;
	SrStats    *s;
	const char *problem;

	if (version != ISTATS_BINARY_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary format version %d for type %s",
						version, "indicator_stats"),
				 errdetail("This server reads version %d.", ISTATS_BINARY_VERSION)));
	s = palloc0(sizeof(SrStats));
	problem = istats_decode((const unsigned char *) pq_getmsgbytes(buf, len), len, s);
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary value for type %s", "indicator_stats"),
				 errdetail("%s.", problem)));
	PG_RETURN_POINTER(s);
}

/* Binary output; see indicator_stats_recv. */
Datum
indicator_stats_send(PG_FUNCTION_ARGS)
{
	SrStats    *s = PG_GETARG_INDICATOR_STATS_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, ISTATS_BINARY_VERSION);
	pq_sendint64(&buf, s->n);
	pq_sendfloat8(&buf, s->min);
	pq_sendfloat8(&buf, s->max);
	pq_sendfloat8(&buf, s->mean);
	pq_sendfloat8(&buf, s->sd);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Accessors; min, max, mean are NULL for n = 0, sd for n < 2. */
Datum
indicator_stats_n(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_INDICATOR_STATS_P(0)->n);
}

/* stats_min(s) */
Datum
indicator_stats_min(PG_FUNCTION_ARGS)
{
	SrStats    *s = PG_GETARG_INDICATOR_STATS_P(0);

	if (s->n < 1)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(s->min);
}

/* stats_max(s) */
Datum
indicator_stats_max(PG_FUNCTION_ARGS)
{
	SrStats    *s = PG_GETARG_INDICATOR_STATS_P(0);

	if (s->n < 1)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(s->max);
}

/* stats_mean(s) */
Datum
indicator_stats_mean(PG_FUNCTION_ARGS)
{
	SrStats    *s = PG_GETARG_INDICATOR_STATS_P(0);

	if (s->n < 1)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(s->mean);
}

/* stats_sd(s): the sample standard deviation */
Datum
indicator_stats_sd(PG_FUNCTION_ARGS)
{
	SrStats    *s = PG_GETARG_INDICATOR_STATS_P(0);

	if (s->n < 2)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(s->sd);
}

/* A new, empty state in the aggregate's memory context. */
static StatsState *
new_state(FunctionCallInfo fcinfo)
{
	StatsState *st = (StatsState *) MemoryContextAlloc(dti_aggregate_context(fcinfo, "indicator_stats state function"),
													   sizeof(StatsState));

	istats_init(st);
	return st;
}

/*
 * Transition: skip NULLs, reject NaN and infinities, then istats_add
 * (indicator_stats_core.c): the extremes, the compensated sum and
 * Welford's mean and M2, scaled so that no value's size overflows them.
 */
Datum
indicator_stats_step(PG_FUNCTION_ARGS)
{
	StatsState *st = PG_ARGISNULL(0) ? NULL : (StatsState *) PG_GETARG_POINTER(0);
	double		x;

	if (PG_ARGISNULL(1))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	x = PG_GETARG_FLOAT8(1);
	dti_check_value(x);
	if (st == NULL)
		st = new_state(fcinfo);
	istats_add(st, x);
	PG_RETURN_POINTER(st);
}

/* Combine two partial states; the result lives in the aggregate context. */
Datum
indicator_stats_combine(PG_FUNCTION_ARGS)
{
	StatsState *a = PG_ARGISNULL(0) ? NULL : (StatsState *) PG_GETARG_POINTER(0);
	StatsState *b = PG_ARGISNULL(1) ? NULL : (StatsState *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = new_state(fcinfo);
	istats_merge(a, b);
	PG_RETURN_POINTER(a);
}

/* State to bytea: version byte, n, scale, sum, comp, min, max, mean, m2. */
Datum
indicator_stats_serialize(PG_FUNCTION_ARGS)
{
	StatsState *st = (StatsState *) PG_GETARG_POINTER(0);
	bytea	   *out;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "indicator_stats_serialize called in non-aggregate context");
	out = (bytea *) palloc(VARHDRSZ + ISTATS_STATE_SIZE);
	SET_VARSIZE(out, VARHDRSZ + ISTATS_STATE_SIZE);
	istats_state_encode(st, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

/*
 * Bytea to state, checked by istats_state_decode (indicator_stats_core.c):
 * size, version, a count that is not negative, extremes in order.
 */
Datum
indicator_stats_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	StatsState *st;
	const char *problem;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "indicator_stats_deserialize called in non-aggregate context");
	st = (StatsState *) palloc0(sizeof(StatsState));
	problem = istats_state_decode((const unsigned char *) VARDATA_ANY(b),
								  VARSIZE_ANY_EXHDR(b), st);
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid serialized state of %s", "indicator_stats"),
				 errdetail("%s.", problem)));
	PG_RETURN_POINTER(st);
}

/*
 * Final: the summary, or NULL when no value was seen (istats_finish).  The
 * state is not modified, so the aggregate works as a window aggregate.
 */
Datum
indicator_stats_final(PG_FUNCTION_ARGS)
{
	StatsState *st = PG_ARGISNULL(0) ? NULL : (StatsState *) PG_GETARG_POINTER(0);
	SrStats    *s;
	const char *problem;

	if (st == NULL || st->n == 0)
		PG_RETURN_NULL();
	s = palloc0(sizeof(SrStats));
	problem = istats_finish(st, s);
	if (problem != NULL && !isfinite(s->sd))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("standard deviation of the indicator values is out of range"),
				 errdetail("It is beyond the largest float8, about 1.8e308: the values span more than that on both sides of their mean.")));
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid state of %s", "indicator_stats"),
				 errdetail("%s.", problem)));
	PG_RETURN_POINTER(s);
}

/*
 * The type indicator_stats_state: the aggregate's state as a value of its
 * own (not internal), so that Citus can split the aggregate into partial
 * states on the workers and their merge on the coordinator.  The
 * transition and combine functions update it in place under an aggregate
 * (AggCheckCallContext).  Its binary form is istats_state_encode's
 * (network byte order), its text form that in hexadecimal; both inputs
 * check every byte with istats_state_decode.
 */
typedef struct IstatsDatum
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		pad;
	StatsState	st;
} IstatsDatum;

PG_FUNCTION_INFO_V1(indicator_stats_state_in);
PG_FUNCTION_INFO_V1(indicator_stats_state_out);
PG_FUNCTION_INFO_V1(indicator_stats_state_recv);
PG_FUNCTION_INFO_V1(indicator_stats_state_send);
PG_FUNCTION_INFO_V1(istats_state_step);
PG_FUNCTION_INFO_V1(istats_state_combine);
PG_FUNCTION_INFO_V1(istats_state_final);

/* A new datum holding st (an empty state when st is NULL). */
static IstatsDatum *
istats_datum_new(const StatsState *st)
{
	IstatsDatum *d = (IstatsDatum *) palloc0(sizeof(IstatsDatum));

	SET_VARSIZE(d, sizeof(IstatsDatum));
	if (st != NULL)
		d->st = *st;
	else
		istats_init(&d->st);
	return d;
}

/* The state of an encoding, or an error naming the problem. */
static IstatsDatum *
istats_datum_decode(const unsigned char *bytes, size_t len)
{
	StatsState	st;
	const char *problem;

	memset(&st, 0, sizeof(st));
	problem = istats_state_decode(bytes, len, &st);
	if (problem != NULL)
		dti_state_bad_input("indicator_stats_state", problem);
	return istats_datum_new(&st);
}

/* Text input: the hexadecimal form indicator_stats_state_out writes. */
Datum
indicator_stats_state_in(PG_FUNCTION_ARGS)
{
	size_t		len;
	unsigned char *bytes = dti_state_hex_in(PG_GETARG_CSTRING(0), "indicator_stats_state", &len);

	PG_RETURN_POINTER(istats_datum_decode(bytes, len));
}

/* Text output: the binary form in hexadecimal. */
Datum
indicator_stats_state_out(PG_FUNCTION_ARGS)
{
	IstatsDatum *d = (IstatsDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	unsigned char bytes[ISTATS_STATE_SIZE];

	istats_state_encode(&d->st, bytes);
	PG_RETURN_CSTRING(dti_state_hex_out(bytes, ISTATS_STATE_SIZE));
}

/* Binary input: the whole message is the encoding. */
Datum
indicator_stats_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	const char *bytes = pq_getmsgbytes(buf, len);

	PG_RETURN_POINTER(istats_datum_decode((const unsigned char *) bytes, len));
}

/* Binary output: version byte, n, scale, sum, comp, min, max, mean, m2. */
Datum
indicator_stats_state_send(PG_FUNCTION_ARGS)
{
	IstatsDatum *d = (IstatsDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	bytea	   *out = (bytea *) palloc(VARHDRSZ + ISTATS_STATE_SIZE);

	SET_VARSIZE(out, VARHDRSZ + ISTATS_STATE_SIZE);
	istats_state_encode(&d->st, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

/*
 * Transition on indicator_stats_state: as indicator_stats_step, the state
 * updated in place; the first one is made in the current memory context
 * and copied by the executor into the aggregate's.
 */
Datum
istats_state_step(PG_FUNCTION_ARGS)
{
	IstatsDatum *d;
	double		x;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	x = PG_GETARG_FLOAT8(1);
	dti_check_value(x);
	d = (IstatsDatum *) dti_state_for_update(fcinfo);
	if (d == NULL)
		d = istats_datum_new(NULL);
	istats_add(&d->st, x);
	PG_RETURN_POINTER(d);
}

/* Combine: b merged into a (Chan's formula), in place under an aggregate. */
Datum
istats_state_combine(PG_FUNCTION_ARGS)
{
	IstatsDatum *a;
	IstatsDatum *b;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = (IstatsDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(istats_datum_new(&b->st));
	a = (IstatsDatum *) dti_state_for_update(fcinfo);
	istats_merge(&a->st, &b->st);
	PG_RETURN_POINTER(a);
}

/* Final: the summary, or NULL when no value was seen; the state is not changed. */
Datum
istats_state_final(PG_FUNCTION_ARGS)
{
	IstatsDatum *d;
	SrStats    *s;
	const char *problem;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	d = (IstatsDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	if (d->st.n == 0)
		PG_RETURN_NULL();
	s = palloc0(sizeof(SrStats));
	problem = istats_finish(&d->st, s);
	if (problem != NULL && !isfinite(s->sd))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("standard deviation of the indicator values is out of range"),
				 errdetail("It is beyond the largest float8, about 1.8e308: the values span more than that on both sides of their mean.")));
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid state of %s", "indicator_stats"),
				 errdetail("%s.", problem)));
	PG_RETURN_POINTER(s);
}
