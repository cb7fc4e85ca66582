/*-------------------------------------------------------------------------
 *
 * weighted_quantile.c
 *	  Weighted quantiles and the weighted median as parallel aggregates.
 *
 * Not ordered-set aggregates (those cannot run in parallel): a plain
 * aggregate whose state collects the (value, weight) pairs in a growable
 * array in the aggregate context, with combine, serialize and deserialize
 * functions; the final function sorts the pairs and interpolates.
 *
 * Definition (docs/aggregates.md has the worked examples).  Rows with a NULL
 * value or weight are skipped and rows with weight 0 dropped.  Sort the
 * remaining n pairs by value (ties by weight, so the result never depends
 * on the input order).  Each value sits at the centre of its weight on the
 * cumulative-weight axis,
 *
 *		c_i = W_{i-1} + w_i / 2,	W_i = w_1 + ... + w_i,
 *
 * and the first centre maps to q = 0, the last to q = 1:
 *
 *		s_i = (c_i - c_1) / (c_n - c_1).
 *
 * The q-quantile interpolates linearly between the two values whose s_i
 * surround q; a single value is its own quantile.  With equal weights
 * s_i = (i - 1) / (n - 1), which is R's quantile type 7 and PostgreSQL's
 * percentile_cont; in that case the result is computed with exactly the
 * operations percentile_cont uses, so the two agree to the bit.  Scaling
 * all weights by a constant does not change the result.
 *
 * q is an argument of every row: it must be the same for all rows of a
 * group and lie in [0, 1].
 *
 * Since dti 0.11.0 the aggregates keep their state in the type
 * weighted_quantile_state (the end of this file), so that Citus splits
 * them into partial states on the workers; the functions over internal
 * states remain for the install scripts of earlier versions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "compensated_sum.h"
#include "weighted_agg.h"

typedef struct WeightedQuantileState
{
	double		q;				/* the quantile asked for */
	double		first_w;		/* the first weight kept */
	bool		equal_weights;	/* all kept weights equal first_w */
	bool		sorted;			/* pairs sorted; reset by every addition */
	int64		n;				/* pairs kept (weight > 0) */
	int64		capacity;		/* pairs allocated */
	WeightedPair *pairs;		/* in the aggregate context, huge if need be */
} WeightedQuantileState;

/* Pairs allocated when a state is created. */
#define WQ_INITIAL_CAPACITY 16

/* Pairs between two interrupt checks in the final walk. */
#define WQ_INTERRUPT_INTERVAL 1048576

/* A sort of the pairs by value, then weight; interruptible. */
#define ST_SORT sort_weighted_pairs
#define ST_ELEMENT_TYPE WeightedPair
#define ST_COMPARE(a, b) wq_compare_pairs(a, b)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DECLARE
#define ST_DEFINE
#include "lib/sort_template.h"

PG_FUNCTION_INFO_V1(weighted_quantile_step);
PG_FUNCTION_INFO_V1(weighted_median_step);
PG_FUNCTION_INFO_V1(weighted_quantile_combine);
PG_FUNCTION_INFO_V1(weighted_quantile_serialize);
PG_FUNCTION_INFO_V1(weighted_quantile_deserialize);
PG_FUNCTION_INFO_V1(weighted_quantile_final);

/*
 * Checks that q is a quantile: not NULL, a number in [0, 1].
 */
static void
check_quantile(bool isnull, double q)
{
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("quantile must not be NULL in weighted_quantile"),
				 errhint("Pass a constant between 0 and 1, such as 0.5 for the median.")));
	if (!(q >= 0.0 && q <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("quantile must be between 0 and 1 in weighted_quantile"),
				 errdetail("The quantile is %s.", float8out_internal(q)),
				 errhint("Pass a constant between 0 and 1, such as 0.5 for the median.")));
}

/*
 * Reports two different quantiles met in one group.
 */
static void
report_quantile_changed(double had, double got)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("quantile must be the same for every row of a group in weighted_quantile"),
			 errdetail("The quantile changed from %s to %s.",
					   float8out_internal(had), float8out_internal(got)),
			 errhint("Pass a constant; for several quantiles call the aggregate once for each.")));
}

/*
 * A new state for quantile q in the aggregate context, with room for
 * capacity pairs.
 */
static WeightedQuantileState *
wq_state_new(MemoryContext aggcontext, double q, int64 capacity)
{
	WeightedQuantileState *state;

	state = (WeightedQuantileState *) MemoryContextAlloc(aggcontext, sizeof(WeightedQuantileState));
	state->q = q;
	state->first_w = 0.0;
	state->equal_weights = true;
	state->sorted = true;
	state->n = 0;
	state->capacity = Max(capacity, WQ_INITIAL_CAPACITY);
	state->pairs = (WeightedPair *) MemoryContextAllocHuge(aggcontext,
														   state->capacity * sizeof(WeightedPair));
	return state;
}

/*
 * Makes room for at least need pairs, doubling the array (huge allocations
 * allowed, so tens of millions of rows fit).  repalloc keeps the array in
 * the aggregate context it was allocated in.
 */
static void
wq_reserve(WeightedQuantileState *state, int64 need)
{
	int64		capacity = state->capacity;

	if (need <= capacity)
		return;
	if (need > (int64) (MaxAllocHugeSize / sizeof(WeightedPair)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many rows for weighted_quantile"),
				 errdetail("A group can hold at most %lld rows.",
						   (long long) (MaxAllocHugeSize / sizeof(WeightedPair)))));
	while (capacity < need)
		capacity *= 2;
	capacity = Min(capacity, (int64) (MaxAllocHugeSize / sizeof(WeightedPair)));
	state->pairs = (WeightedPair *) repalloc_huge(state->pairs, capacity * sizeof(WeightedPair));
	state->capacity = capacity;
}

/*
 * Notes the weight of a pair about to be kept in the equal-weights flag.
 */
static inline void
wq_note_weight(WeightedQuantileState *state, double w)
{
	if (state->n == 0)
		state->first_w = w;
	else if (w != state->first_w)
		state->equal_weights = false;
}

/*
 * The transition step shared by weighted_quantile and weighted_median:
 * checks the row and q, then appends (x, w) when w > 0.
 */
static inline Datum
wq_accumulate(FunctionCallInfo fcinfo, bool q_isnull, double q,
			  const char *aggname, const char *fname)
{
	WeightedQuantileState *state;
	double		x;
	double		w;

	state = PG_ARGISNULL(0) ? NULL : (WeightedQuantileState *) PG_GETARG_POINTER(0);

	if (state == NULL || unlikely(q_isnull || q != state->q))
	{
		check_quantile(q_isnull, q);
		if (state == NULL)
			state = wq_state_new(dti_aggregate_context(fcinfo, fname), q, WQ_INITIAL_CAPACITY);
		else
			report_quantile_changed(state->q, q);
	}

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(state);
	x = PG_GETARG_FLOAT8(1);
	w = PG_GETARG_FLOAT8(2);
	wagg_check_row(x, w, aggname);
	if (w == 0.0)
		PG_RETURN_POINTER(state);

	if (unlikely(state->n >= state->capacity))
		wq_reserve(state, state->n + 1);
	wq_note_weight(state, w);
	state->pairs[state->n].x = x;
	state->pairs[state->n].w = w;
	state->n++;
	state->sorted = false;
	PG_RETURN_POINTER(state);
}

/*
 * weighted_quantile_step(state, x, w, q): transition of weighted_quantile.
 */
Datum
weighted_quantile_step(PG_FUNCTION_ARGS)
{
	bool		q_isnull = PG_ARGISNULL(3);

	return wq_accumulate(fcinfo, q_isnull, q_isnull ? 0.0 : PG_GETARG_FLOAT8(3),
						 "weighted_quantile", "weighted_quantile_step");
}

/*
 * weighted_median_step(state, x, w): transition of weighted_median, the
 * quantile 0.5.
 */
Datum
weighted_median_step(PG_FUNCTION_ARGS)
{
	return wq_accumulate(fcinfo, false, 0.5, "weighted_median", "weighted_median_step");
}

/*
 * Merges the sorted pairs of from into the sorted pairs of into, in linear
 * time, into a new array in the context of into's array.
 */
static void
wq_merge_sorted(WeightedQuantileState *into, const WeightedQuantileState *from)
{
	int64		n = into->n + from->n;
	WeightedPair *merged;
	const WeightedPair *a = into->pairs;
	const WeightedPair *b = from->pairs;
	int64		i = 0;
	int64		j = 0;
	int64		k = 0;

	if (n > (int64) (MaxAllocHugeSize / sizeof(WeightedPair)))
		wq_reserve(into, n);	/* reports the limit */
	merged = (WeightedPair *) MemoryContextAllocHuge(GetMemoryChunkContext(into->pairs),
													 n * sizeof(WeightedPair));
	while (i < into->n && j < from->n)
	{
		if (wq_compare_pairs(&b[j], &a[i]) < 0)
			merged[k++] = b[j++];
		else
			merged[k++] = a[i++];
		if ((k & (WQ_INTERRUPT_INTERVAL - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (i < into->n)
		memcpy(merged + k, a + i, (into->n - i) * sizeof(WeightedPair));
	if (j < from->n)
		memcpy(merged + k, b + j, (from->n - j) * sizeof(WeightedPair));
	pfree(into->pairs);
	into->pairs = merged;
	into->capacity = n;
	into->n = n;
}

/*
 * weighted_quantile_combine(state, state): adds the pairs of the second
 * state to the first: a linear merge when both are sorted (partial states
 * from parallel workers are, see weighted_quantile_serialize), otherwise an
 * append.  When the first is NULL the second is copied into the aggregate
 * context (a deserialized state lives in a shorter-lived one).
 */
Datum
weighted_quantile_combine(PG_FUNCTION_ARGS)
{
	WeightedQuantileState *state1;
	WeightedQuantileState *state2;

	state1 = PG_ARGISNULL(0) ? NULL : (WeightedQuantileState *) PG_GETARG_POINTER(0);
	state2 = PG_ARGISNULL(1) ? NULL : (WeightedQuantileState *) PG_GETARG_POINTER(1);

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	if (state1 == NULL)
	{
		MemoryContext aggcontext = dti_aggregate_context(fcinfo, "weighted_quantile_combine");

		state1 = wq_state_new(aggcontext, state2->q, state2->n);
		memcpy(state1->pairs, state2->pairs, state2->n * sizeof(WeightedPair));
		state1->n = state2->n;
		state1->first_w = state2->first_w;
		state1->equal_weights = state2->equal_weights;
		state1->sorted = state2->sorted;
		PG_RETURN_POINTER(state1);
	}

	if (state1->q != state2->q)
		report_quantile_changed(state1->q, state2->q);
	if (state2->n == 0)
		PG_RETURN_POINTER(state1);
	if (state1->n == 0)
		state1->first_w = state2->first_w;
	state1->equal_weights = state1->equal_weights && state2->equal_weights &&
		state1->first_w == state2->first_w;
	if (state1->sorted && state2->sorted)
	{
		wq_merge_sorted(state1, state2);
		PG_RETURN_POINTER(state1);
	}
	wq_reserve(state1, state1->n + state2->n);
	memcpy(state1->pairs + state1->n, state2->pairs, state2->n * sizeof(WeightedPair));
	state1->n += state2->n;
	state1->sorted = false;
	PG_RETURN_POINTER(state1);
}

/*
 * weighted_quantile_serialize(state): the state as bytea: version byte,
 * flags byte, q, the first weight, the number of pairs, then the pairs, all
 * in the server's byte order (the state only travels between processes of
 * the same build).  A bytea holds at most 1 GB, about 67 million pairs.
 *
 * The pairs are sorted first (in place; that reorders but does not change
 * the state).  Partial states are serialized in the parallel workers, so
 * the workers share the sorting, and the leader only merges sorted runs.
 */
Datum
weighted_quantile_serialize(PG_FUNCTION_ARGS)
{
	WeightedQuantileState *state = (WeightedQuantileState *) PG_GETARG_POINTER(0);
	bytea	   *result;
	char	   *p;
	Size		size;

	if (state->n > (int64) ((MaxAllocSize - VARHDRSZ - WQ_SERIAL_HEADER) / sizeof(WeightedPair)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many rows in a partial weighted_quantile state"),
				 errdetail("A parallel worker collected %lld rows for one group; at most %lld can be passed on.",
						   (long long) state->n,
						   (long long) ((MaxAllocSize - VARHDRSZ - WQ_SERIAL_HEADER) / sizeof(WeightedPair))),
				 errhint("Run this query without parallel workers (SET max_parallel_workers_per_gather = 0).")));

	if (!state->sorted)
	{
		sort_weighted_pairs(state->pairs, state->n);
		state->sorted = true;
	}

	size = VARHDRSZ + WQ_SERIAL_HEADER + state->n * sizeof(WeightedPair);
	result = (bytea *) palloc(size);
	SET_VARSIZE(result, size);
	p = VARDATA(result);
	*p++ = WAGG_STATE_VERSION;
	*p++ = (state->equal_weights ? WQ_FLAG_EQUAL_WEIGHTS : 0) | WQ_FLAG_SORTED;
	memcpy(p, &state->q, sizeof(double));
	p += sizeof(double);
	memcpy(p, &state->first_w, sizeof(double));
	p += sizeof(double);
	memcpy(p, &state->n, sizeof(int64));
	p += sizeof(int64);
	memcpy(p, state->pairs, state->n * sizeof(WeightedPair));
	PG_RETURN_BYTEA_P(result);
}

/*
 * weighted_quantile_deserialize(bytea, internal): reads back what
 * weighted_quantile_serialize wrote.  wq_state_decode_header and
 * wq_state_check_pairs (weighted_agg_core.c) check the version, the flags,
 * q, the size against the number of pairs, and every pair (finite, weight
 * > 0, in order when flagged sorted).  The state is built in the current
 * context; combine copies it if needed.
 */
Datum
weighted_quantile_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *data = PG_GETARG_BYTEA_PP(0);
	const unsigned char *p = (const unsigned char *) VARDATA_ANY(data);
	Size		len = VARSIZE_ANY_EXHDR(data);
	WeightedQuantileState *state;
	WqHeader	h;
	const char *problem;
	int64		from;
	int64		bad = 0;

	problem = wq_state_decode_header(p, len, &h);
	if (problem != NULL)
		wagg_report_bad_state("weighted_quantile", psprintf("%s.", problem));

	state = (WeightedQuantileState *) palloc(sizeof(WeightedQuantileState));
	state->q = h.q;
	state->first_w = h.first_w;
	state->equal_weights = (h.flags & WQ_FLAG_EQUAL_WEIGHTS) != 0;
	state->sorted = (h.flags & WQ_FLAG_SORTED) != 0;
	state->n = h.n;
	state->capacity = h.n;
	state->pairs = (WeightedPair *) palloc_extended(Max(h.n, 1) * sizeof(WeightedPair), MCXT_ALLOC_HUGE);
	memcpy(state->pairs, p + WQ_SERIAL_HEADER, h.n * sizeof(WeightedPair));
	for (from = 0; from < h.n; from += WQ_INTERRUPT_INTERVAL)
	{
		CHECK_FOR_INTERRUPTS();
		problem = wq_state_check_pairs(state->pairs, from,
									   Min(h.n, from + WQ_INTERRUPT_INTERVAL),
									   &h, &bad);
		if (problem != NULL)
			wagg_report_bad_state("weighted_quantile",
								  psprintf("Pair %lld: %s.", (long long) bad + 1,
										   problem));
	}
	PG_RETURN_POINTER(state);
}

/*
 * The q-quantile of sorted pairs with equal weights, computed with the very
 * operations of percentile_cont so that the results are identical.
 */
/*
 * a + t (b - a), as percentile_cont computes it, unless b - a overflows
 * (a and b near opposite ends of the float8 range): then (1 - t) a + t b.
 */
static double
interpolate(double a, double b, double t)
{
	double		d = b - a;

	if (isfinite(d))
		return a + t * d;
	return (1.0 - t) * a + t * b;
}

static double
quantile_equal_weights(const WeightedPair *pairs, int64 n, double q)
{
	double		pos = q * (n - 1);
	int64		lo = (int64) floor(pos);
	int64		hi = (int64) ceil(pos);
	double		lo_x = pairs[lo].x;

	if (hi > lo)
		return interpolate(lo_x, pairs[hi].x, pos - lo);
	return lo_x;
}

/*
 * The q-quantile of sorted pairs with any positive weights: walks the
 * centres c_i = W_{i-1} + w_i / 2 to the first one at or beyond the target
 * c_1 + q (c_n - c_1) and interpolates between it and the one before.  The
 * weights are taken times 2^-e, e the exponent of the largest, so that
 * their total cannot overflow and halves of tiny weights do not vanish;
 * scaling by a power of two is exact, so ordinary weights give the same
 * bits.
 */
static double
quantile_weighted(const WeightedPair *pairs, int64 n, double q)
{
	CompensatedSum total;
	CompensatedSum before;
	double		first_c;
	double		last_c;
	double		target;
	double		prev_c;
	int			emax = INT_MIN;
	int64		i;

	if (q <= 0.0)
		return pairs[0].x;
	if (q >= 1.0)
		return pairs[n - 1].x;

	for (i = 0; i < n; i++)
		emax = Max(emax, dti_exponent(pairs[i].w));
	csum_init(&total);
	for (i = 0; i < n; i++)
	{
		csum_add(&total, dti_scale_by(pairs[i].w, -emax));
		if ((i & (WQ_INTERRUPT_INTERVAL - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	first_c = dti_scale_by(pairs[0].w, -emax) / 2.0;
	last_c = csum_total(&total) - dti_scale_by(pairs[n - 1].w, -emax) / 2.0;
	target = first_c + q * (last_c - first_c);

	csum_init(&before);
	csum_add(&before, dti_scale_by(pairs[0].w, -emax));
	prev_c = first_c;
	for (i = 1; i < n; i++)
	{
		double		w = dti_scale_by(pairs[i].w, -emax);
		double		c = csum_total(&before) + w / 2.0;

		if (c >= target)
		{
			double		frac = (target - prev_c) / (c - prev_c);

			frac = Max(0.0, Min(1.0, frac));
			return interpolate(pairs[i - 1].x, pairs[i].x, frac);
		}
		csum_add(&before, w);
		prev_c = c;
		if ((i & (WQ_INTERRUPT_INTERVAL - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return pairs[n - 1].x;
}

/*
 * weighted_quantile_final(state): sorts the pairs in place (once: the flag
 * is reset by every addition) and interpolates.  NULL when no pair has a
 * positive weight.  Sorting reorders the state without changing what it
 * holds, so the aggregate is declared FINALFUNC_MODIFY = SHAREABLE.
 */
Datum
weighted_quantile_final(PG_FUNCTION_ARGS)
{
	WeightedQuantileState *state = (WeightedQuantileState *) PG_GETARG_POINTER(0);

	if (state->n == 0)
		PG_RETURN_NULL();
	if (!state->sorted)
	{
		sort_weighted_pairs(state->pairs, state->n);
		state->sorted = true;
	}
	if (state->n == 1)
		PG_RETURN_FLOAT8(state->pairs[0].x);
	if (state->equal_weights)
		PG_RETURN_FLOAT8(quantile_equal_weights(state->pairs, state->n, state->q));
	PG_RETURN_FLOAT8(quantile_weighted(state->pairs, state->n, state->q));
}

/*
 * The type weighted_quantile_state: the state of weighted_quantile and
 * weighted_median as a value of its own (not internal), so that Citus runs
 * the aggregates in two steps, partial states on the workers combined on
 * the coordinator, and parallel workers hand their states over without
 * serialize functions.  A varlena whose pairs array has room for more
 * pairs than it holds (its capacity is what VARSIZE leaves after the
 * header): the transition and combine functions append in place when an
 * aggregate calls them (AggCheckCallContext); when the room is used up they
 * return a copy twice as large, made in the current memory context, which
 * the executor moves into the aggregate's context (freeing the old one).
 * Binary form: wq_wire_encode_header (weighted_agg_core.c), pairs sorted;
 * text form: the binary form in hexadecimal; both inputs check every byte.
 */
typedef struct WqDatum
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		flags;			/* WQ_FLAG_EQUAL_WEIGHTS, WQ_FLAG_SORTED */
	double		q;				/* the quantile asked for */
	double		first_w;		/* the first weight kept (0 while none) */
	int64		n;				/* pairs kept (weight > 0) */
	WeightedPair pairs[FLEXIBLE_ARRAY_MEMBER];
} WqDatum;

#define WQD_HEADER offsetof(WqDatum, pairs)
/* the most pairs a state can hold: its varlena within 1 GB */
#define WQD_MAX_PAIRS ((int64) ((MaxAllocSize - WQD_HEADER) / sizeof(WeightedPair)))

PG_FUNCTION_INFO_V1(weighted_quantile_state_in);
PG_FUNCTION_INFO_V1(weighted_quantile_state_out);
PG_FUNCTION_INFO_V1(weighted_quantile_state_recv);
PG_FUNCTION_INFO_V1(weighted_quantile_state_send);
PG_FUNCTION_INFO_V1(wq_state_quantile_step);
PG_FUNCTION_INFO_V1(wq_state_median_step);
PG_FUNCTION_INFO_V1(wq_state_combine);
PG_FUNCTION_INFO_V1(wq_state_final);

static inline int64
wqd_capacity(const WqDatum *d)
{
	return (int64) ((VARSIZE(d) - WQD_HEADER) / sizeof(WeightedPair));
}

/* A new state for quantile q with room for capacity pairs, in the current context. */
static WqDatum *
wqd_new(double q, int64 capacity)
{
	WqDatum    *d;

	capacity = Max(capacity, WQ_INITIAL_CAPACITY);
	d = (WqDatum *) palloc(WQD_HEADER + capacity * sizeof(WeightedPair));
	SET_VARSIZE(d, WQD_HEADER + capacity * sizeof(WeightedPair));
	d->flags = WQ_FLAG_EQUAL_WEIGHTS | WQ_FLAG_SORTED;
	d->q = q;
	d->first_w = 0.0;
	d->n = 0;
	return d;
}

/* Reports a group of more pairs than a state can hold. */
static void
wqd_too_many(int64 need)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("too many rows for weighted_quantile"),
			 errdetail("A group can hold at most %lld rows with a positive weight; this one needs %lld.",
					   (long long) WQD_MAX_PAIRS, (long long) need)));
}

/*
 * d with room for need pairs: d itself when it has it, else a copy with
 * at least twice its capacity, in the current context.
 */
static WqDatum *
wqd_reserve(WqDatum *d, int64 need)
{
	int64		capacity = wqd_capacity(d);
	WqDatum    *bigger;

	if (need <= capacity)
		return d;
	if (need > WQD_MAX_PAIRS)
		wqd_too_many(need);
	capacity = Max(capacity, WQ_INITIAL_CAPACITY);
	while (capacity < need)
		capacity = Min(2 * capacity, WQD_MAX_PAIRS);
	bigger = wqd_new(d->q, capacity);
	memcpy(bigger, d, WQD_HEADER + d->n * sizeof(WeightedPair));
	SET_VARSIZE(bigger, WQD_HEADER + capacity * sizeof(WeightedPair));
	return bigger;
}

/* The state in arg 0 ready to be changed (a copy outside an aggregate), or NULL. */
static WqDatum *
wqd_for_update(FunctionCallInfo fcinfo)
{
	return (WqDatum *) dti_state_for_update(fcinfo);
}

/*
 * The transition of both aggregates on weighted_quantile_state: the
 * checks of wq_accumulate, then the pair appended in place.
 */
static inline Datum
wqd_accumulate(FunctionCallInfo fcinfo, bool q_isnull, double q, const char *aggname)
{
	WqDatum    *d = wqd_for_update(fcinfo);
	double		x;
	double		w;

	if (d == NULL || unlikely(q_isnull || q != d->q))
	{
		check_quantile(q_isnull, q);
		if (d == NULL)
			d = wqd_new(q, WQ_INITIAL_CAPACITY);
		else
			report_quantile_changed(d->q, q);
	}

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(d);
	x = PG_GETARG_FLOAT8(1);
	w = PG_GETARG_FLOAT8(2);
	wagg_check_row(x, w, aggname);
	if (w == 0.0)
		PG_RETURN_POINTER(d);

	if (unlikely(d->n >= wqd_capacity(d)))
		d = wqd_reserve(d, d->n + 1);
	if (d->n == 0)
		d->first_w = w;
	else if (w != d->first_w)
		d->flags &= ~WQ_FLAG_EQUAL_WEIGHTS;
	d->pairs[d->n].x = x;
	d->pairs[d->n].w = w;
	d->n++;
	d->flags &= ~WQ_FLAG_SORTED;
	PG_RETURN_POINTER(d);
}

/* wq_state_quantile_step(state, x, w, q): transition of weighted_quantile. */
Datum
wq_state_quantile_step(PG_FUNCTION_ARGS)
{
	bool		q_isnull = PG_ARGISNULL(3);

	return wqd_accumulate(fcinfo, q_isnull, q_isnull ? 0.0 : PG_GETARG_FLOAT8(3),
						  "weighted_quantile");
}

/* wq_state_median_step(state, x, w): transition of weighted_median. */
Datum
wq_state_median_step(PG_FUNCTION_ARGS)
{
	return wqd_accumulate(fcinfo, false, 0.5, "weighted_median");
}

/* A copy of d with room for its pairs only, in the current context. */
static WqDatum *
wqd_copy(const WqDatum *d)
{
	WqDatum    *c = wqd_new(d->q, d->n);

	memcpy(c, d, WQD_HEADER + d->n * sizeof(WeightedPair));
	SET_VARSIZE(c, WQD_HEADER + Max(d->n, WQ_INITIAL_CAPACITY) * sizeof(WeightedPair));
	return c;
}

/*
 * Merges the sorted pairs b[0..nb) into the sorted pairs a[0..na), in
 * place: a has room for na + nb; filled from the end, so that no pair of a
 * is overwritten before it is placed.
 */
static void
wqd_merge_into(WeightedPair *a, int64 na, const WeightedPair *b, int64 nb)
{
	int64		i = na - 1;
	int64		j = nb - 1;
	int64		k = na + nb - 1;

	while (j >= 0)
	{
		if (i >= 0 && wq_compare_pairs(&a[i], &b[j]) > 0)
			a[k--] = a[i--];
		else
			a[k--] = b[j--];
		if ((k & (WQ_INTERRUPT_INTERVAL - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

/*
 * wq_state_combine(a, b): the pairs of b added to a, in place under an
 * aggregate (a copy when a has no room left): merged when both are sorted,
 * otherwise appended.  A copy of b when a is NULL.
 */
Datum
wq_state_combine(PG_FUNCTION_ARGS)
{
	WqDatum    *a;
	WqDatum    *b;
	bool		sorted;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = (WqDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(wqd_copy(b));
	a = wqd_for_update(fcinfo);
	if (a->q != b->q)
		report_quantile_changed(a->q, b->q);
	if (b->n == 0)
		PG_RETURN_POINTER(a);
	if (a->n + b->n > WQD_MAX_PAIRS)
		wqd_too_many(a->n + b->n);
	a = wqd_reserve(a, a->n + b->n);
	if (a->n == 0)
		a->first_w = b->first_w;
	if (!((a->flags & WQ_FLAG_EQUAL_WEIGHTS) && (b->flags & WQ_FLAG_EQUAL_WEIGHTS) &&
		  a->first_w == b->first_w))
		a->flags &= ~WQ_FLAG_EQUAL_WEIGHTS;
	sorted = (a->flags & WQ_FLAG_SORTED) && (b->flags & WQ_FLAG_SORTED);
	if (sorted)
		wqd_merge_into(a->pairs, a->n, b->pairs, b->n);
	else
	{
		memcpy(a->pairs + a->n, b->pairs, b->n * sizeof(WeightedPair));
		a->flags &= ~WQ_FLAG_SORTED;
	}
	a->n += b->n;
	PG_RETURN_POINTER(a);
}

/*
 * wq_state_final(state): the quantile, as weighted_quantile_final computes
 * it.  Sorts the pairs in place under an aggregate (a copy outside one):
 * that reorders the state without changing what it holds, hence
 * FINALFUNC_MODIFY = SHAREABLE.
 */
Datum
wq_state_final(PG_FUNCTION_ARGS)
{
	WqDatum    *d = (WqDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));

	if (d->n == 0)
		PG_RETURN_NULL();
	if (!(d->flags & WQ_FLAG_SORTED))
	{
		d = wqd_for_update(fcinfo);
		sort_weighted_pairs(d->pairs, d->n);
		d->flags |= WQ_FLAG_SORTED;
	}
	if (d->n == 1)
		PG_RETURN_FLOAT8(d->pairs[0].x);
	if (d->flags & WQ_FLAG_EQUAL_WEIGHTS)
		PG_RETURN_FLOAT8(quantile_equal_weights(d->pairs, d->n, d->q));
	PG_RETURN_FLOAT8(quantile_weighted(d->pairs, d->n, d->q));
}

/*
 * The binary form of d, its pairs sorted (a sorted copy when d's are not),
 * as a bytea.
 */
static bytea *
wqd_encode(const WqDatum *d)
{
	const WeightedPair *pairs = d->pairs;
	WqHeader	h;
	bytea	   *out;
	int64		from;

	if (d->n > (int64) ((MaxAllocSize - VARHDRSZ - WQ_SERIAL_HEADER) / sizeof(WeightedPair)))
		wqd_too_many(d->n);
	if (!(d->flags & WQ_FLAG_SORTED))
	{
		WeightedPair *copy = palloc(Max(d->n, 1) * sizeof(WeightedPair));

		memcpy(copy, d->pairs, d->n * sizeof(WeightedPair));
		sort_weighted_pairs(copy, d->n);
		pairs = copy;
	}
	h.flags = (unsigned char) (d->flags | WQ_FLAG_SORTED);
	h.q = d->q;
	h.first_w = d->first_w;
	h.n = d->n;
	out = (bytea *) palloc(VARHDRSZ + WQ_SERIAL_HEADER + d->n * sizeof(WeightedPair));
	SET_VARSIZE(out, VARHDRSZ + WQ_SERIAL_HEADER + d->n * sizeof(WeightedPair));
	wq_wire_encode_header(&h, (unsigned char *) VARDATA(out));
	for (from = 0; from < d->n; from += WQ_INTERRUPT_INTERVAL)
	{
		CHECK_FOR_INTERRUPTS();
		wq_wire_encode_pairs(pairs, from, Min(d->n, from + WQ_INTERRUPT_INTERVAL),
							 (unsigned char *) VARDATA(out));
	}
	return out;
}

/* The state of the binary form bytes[0..len), checked byte by byte. */
static WqDatum *
wqd_decode(const unsigned char *bytes, size_t len)
{
	WqHeader	h;
	const char *problem;
	WqDatum    *d;
	int64		from;
	int64		bad = 0;

	problem = wq_wire_decode_header(bytes, len, &h);
	if (problem != NULL)
		dti_state_bad_input("weighted_quantile_state", problem);
	if (h.n > WQD_MAX_PAIRS)
		wqd_too_many(h.n);
	d = wqd_new(h.q, h.n);
	d->flags = h.flags;
	d->first_w = h.first_w;
	d->n = h.n;
	for (from = 0; from < h.n; from += WQ_INTERRUPT_INTERVAL)
	{
		int64		to = Min(h.n, from + WQ_INTERRUPT_INTERVAL);

		CHECK_FOR_INTERRUPTS();
		wq_wire_decode_pairs(bytes, from, to, d->pairs);
		problem = wq_state_check_pairs(d->pairs, from, to, &h, &bad);
		if (problem != NULL)
			dti_state_bad_input("weighted_quantile_state",
								psprintf("Pair %lld: %s", (long long) bad + 1, problem));
	}
	return d;
}

/* Text input: the hexadecimal form weighted_quantile_state_out writes. */
Datum
weighted_quantile_state_in(PG_FUNCTION_ARGS)
{
	size_t		len;
	unsigned char *bytes = dti_state_hex_in(PG_GETARG_CSTRING(0), "weighted_quantile_state", &len);

	PG_RETURN_POINTER(wqd_decode(bytes, len));
}

/* Text output: the binary form in hexadecimal. */
Datum
weighted_quantile_state_out(PG_FUNCTION_ARGS)
{
	WqDatum    *d = (WqDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	bytea	   *b = wqd_encode(d);

	if (VARSIZE(b) - VARHDRSZ > (MaxAllocSize - 1) / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("weighted_quantile_state too large for its text form"),
				 errdetail("The state holds %lld pairs; its text form would exceed 1 GB.",
						   (long long) d->n),
				 errhint("Use the binary form (weighted_quantile_state_send).")));
	PG_RETURN_CSTRING(dti_state_hex_out((const unsigned char *) VARDATA(b),
										VARSIZE(b) - VARHDRSZ));
}

/* Binary input: the whole message is the binary form, checked byte by byte. */
Datum
weighted_quantile_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	const char *bytes = pq_getmsgbytes(buf, len);

	PG_RETURN_POINTER(wqd_decode((const unsigned char *) bytes, len));
}

/* Binary output: the header and the pairs, sorted, in network byte order. */
Datum
weighted_quantile_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(wqd_encode((WqDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0))));
}
