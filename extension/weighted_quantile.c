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
#include "utils/expandeddatum.h"
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
 * serialize functions.
 *
 * Under an aggregate the state is an expanded object (utils/expandeddatum.h)
 * in a memory context of its own, a child of the aggregate's: the
 * transition and combine functions append to its pairs array in place,
 * growing it by doubling, and the executor keeps the object without copying
 * it.  Its flat form (WqDatum) is what is stored and what parallel workers
 * hand to the leader: flattening sorts the pairs first (that reorders the
 * state without changing what it holds), so that the workers share the
 * sorting and the leader merges sorted runs in linear time, as the
 * serialize function of the internal state did.  Binary form:
 * wq_wire_encode_header (weighted_agg_core.c), pairs sorted; text form:
 * the binary form in hexadecimal; both inputs check every byte.
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
/* the most pairs a state can hold: its flat form within 1 GB */
#define WQD_MAX_PAIRS ((int64) ((MaxAllocSize - WQD_HEADER) / sizeof(WeightedPair)))

/* The state as an expanded object. */
typedef struct WqExpanded
{
	ExpandedObjectHeader hdr;
	int32		flags;
	double		q;
	double		first_w;
	int64		n;
	int64		capacity;
	WeightedPair *pairs;		/* in hdr.eoh_context */
} WqExpanded;

/* What a reader needs of a state, flat or expanded. */
typedef struct WqView
{
	int32		flags;
	double		q;
	double		first_w;
	int64		n;
	WeightedPair *pairs;
	WqExpanded *x;				/* the expanded object, or NULL */
} WqView;

PG_FUNCTION_INFO_V1(weighted_quantile_state_in);
PG_FUNCTION_INFO_V1(weighted_quantile_state_out);
PG_FUNCTION_INFO_V1(weighted_quantile_state_recv);
PG_FUNCTION_INFO_V1(weighted_quantile_state_send);
PG_FUNCTION_INFO_V1(wq_state_quantile_step);
PG_FUNCTION_INFO_V1(wq_state_median_step);
PG_FUNCTION_INFO_V1(wq_state_combine);
PG_FUNCTION_INFO_V1(wq_state_final);

/* Reports a group of more pairs than a state can hold. */
static void
wq_too_many(int64 need)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("too many rows for weighted_quantile"),
			 errdetail("A group can hold at most %lld rows with a positive weight; this one needs %lld.",
					   (long long) WQD_MAX_PAIRS, (long long) need)));
}

/* Sorts the pairs of an expanded state once. */
static void
wqx_sort(WqExpanded *x)
{
	if (!(x->flags & WQ_FLAG_SORTED))
	{
		sort_weighted_pairs(x->pairs, x->n);
		x->flags |= WQ_FLAG_SORTED;
	}
}

/* Flattening: the pairs sorted first, then as many bytes as they need. */
static Size
wqx_get_flat_size(ExpandedObjectHeader *eohptr)
{
	WqExpanded *x = (WqExpanded *) eohptr;

	wqx_sort(x);
	return WQD_HEADER + x->n * sizeof(WeightedPair);
}

static void
wqx_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	WqExpanded *x = (WqExpanded *) eohptr;
	WqDatum    *d = (WqDatum *) result;

	Assert(allocated_size == WQD_HEADER + x->n * sizeof(WeightedPair));
	memset(d, 0, WQD_HEADER);
	SET_VARSIZE(d, allocated_size);
	d->flags = x->flags;
	d->q = x->q;
	d->first_w = x->first_w;
	d->n = x->n;
	memcpy(d->pairs, x->pairs, x->n * sizeof(WeightedPair));
}

static const ExpandedObjectMethods wqx_methods = {
	wqx_get_flat_size,
	wqx_flatten_into
};

/*
 * Under an aggregate, the states share a memory context, a child of the
 * aggregate's context (the executor keeps an expanded transition value
 * without copying it when its context is such a child): a context per
 * group would make the hash aggregate's memory accounting, which walks
 * every child context, cost time in the number of groups for each new
 * group.  The shared context is found again among the aggregate context's
 * newest children by its name (nothing is cached across calls: Citus calls
 * the transition function with a fresh FmgrInfo each time); it goes with
 * the aggregate's context when that is reset.  The executor deletes an
 * expanded transition value only when a transition returns another one,
 * which these functions never do for an existing state.
 */
#define WQ_SHARED_NAME "weighted_quantile_state shared"

/* Children of the aggregate context looked at for the shared context. */
#define WQ_SHARED_SEARCH 16

static MemoryContext
wq_shared_context(MemoryContext aggcontext)
{
	MemoryContext c;
	int			i = 0;

	for (c = aggcontext->firstchild; c != NULL && i < WQ_SHARED_SEARCH; c = c->nextchild, i++)
		if (strcmp(c->name, WQ_SHARED_NAME) == 0)
			return c;
	return AllocSetContextCreate(aggcontext, WQ_SHARED_NAME, ALLOCSET_DEFAULT_SIZES);
}

/*
 * A new expanded state for quantile q with room for capacity pairs: under
 * an aggregate (aggcontext not NULL) in the shared context, else in a
 * context of its own under the current one.
 */
static WqExpanded *
wqx_new(FunctionCallInfo fcinfo, MemoryContext aggcontext, double q, int64 capacity)
{
	MemoryContext ctx;
	WqExpanded *x;

	if (aggcontext != NULL)
		ctx = wq_shared_context(aggcontext);
	else
		ctx = AllocSetContextCreate(CurrentMemoryContext, "weighted_quantile_state copy",
									ALLOCSET_SMALL_SIZES);
	x = (WqExpanded *) MemoryContextAlloc(ctx, sizeof(WqExpanded));
	EOH_init_header(&x->hdr, &wqx_methods, ctx);
	x->flags = WQ_FLAG_EQUAL_WEIGHTS | WQ_FLAG_SORTED;
	x->q = q;
	x->first_w = 0.0;
	x->n = 0;
	x->capacity = Max(capacity, WQ_INITIAL_CAPACITY);
	x->pairs = (WeightedPair *) MemoryContextAlloc(ctx, x->capacity * sizeof(WeightedPair));
	return x;
}

/* Room for need pairs, doubling the array. */
static void
wqx_reserve(WqExpanded *x, int64 need)
{
	int64		capacity = x->capacity;

	if (need <= capacity)
		return;
	if (need > WQD_MAX_PAIRS)
		wq_too_many(need);
	while (capacity < need)
		capacity = Min(2 * capacity, WQD_MAX_PAIRS);
	x->pairs = (WeightedPair *) repalloc(x->pairs, capacity * sizeof(WeightedPair));
	x->capacity = capacity;
}

/* The state d, flat or expanded, as a view (a flat one detoasted). */
static void
wq_view(Datum d, WqView *v)
{
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		WqExpanded *x = (WqExpanded *) DatumGetEOHP(d);

		Assert(x->hdr.eoh_methods == &wqx_methods);
		v->flags = x->flags;
		v->q = x->q;
		v->first_w = x->first_w;
		v->n = x->n;
		v->pairs = x->pairs;
		v->x = x;
	}
	else
	{
		WqDatum    *f = (WqDatum *) PG_DETOAST_DATUM(d);

		v->flags = f->flags;
		v->q = f->q;
		v->first_w = f->first_w;
		v->n = f->n;
		v->pairs = f->pairs;
		v->x = NULL;
	}
}

/* An expanded copy of the state v (room for extra more pairs), as wqx_new places it. */
static WqExpanded *
wqx_copy(FunctionCallInfo fcinfo, MemoryContext aggcontext, const WqView *v, int64 extra)
{
	WqExpanded *x = wqx_new(fcinfo, aggcontext, v->q, v->n + extra);

	x->flags = v->flags;
	x->first_w = v->first_w;
	x->n = v->n;
	memcpy(x->pairs, v->pairs, v->n * sizeof(WeightedPair));
	return x;
}

/*
 * The state in arg 0 ready to be changed, or NULL: under an aggregate the
 * executor's expanded object itself (a flat state is expanded into a child
 * of the aggregate's context first); called as a plain function, an
 * expanded copy in the current context.  *aggcontext is the aggregate's
 * context, NULL outside an aggregate.
 */
static WqExpanded *
wqx_for_update(FunctionCallInfo fcinfo, MemoryContext *aggcontext)
{
	Datum		d;
	WqView		v;

	if (!AggCheckCallContext(fcinfo, aggcontext))
		*aggcontext = NULL;
	if (PG_ARGISNULL(0))
		return NULL;
	d = PG_GETARG_DATUM(0);
	if (*aggcontext != NULL && VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
	{
		WqExpanded *x = (WqExpanded *) DatumGetEOHP(d);

		if (MemoryContextGetParent(x->hdr.eoh_context) == *aggcontext)
			return x;
	}
	wq_view(d, &v);
	return wqx_copy(fcinfo, *aggcontext, &v, 0);
}

/*
 * The transition of both aggregates on weighted_quantile_state: the
 * checks of wq_accumulate, then the pair appended in place.
 */
static inline Datum
wqx_accumulate(FunctionCallInfo fcinfo, bool q_isnull, double q, const char *aggname)
{
	MemoryContext parent;
	WqExpanded *x = wqx_for_update(fcinfo, &parent);
	double		w;

	if (x == NULL || unlikely(q_isnull || q != x->q))
	{
		check_quantile(q_isnull, q);
		if (x == NULL)
			x = wqx_new(fcinfo, parent, q, WQ_INITIAL_CAPACITY);
		else
			report_quantile_changed(x->q, q);
	}

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_DATUM(EOHPGetRWDatum(&x->hdr));
	w = PG_GETARG_FLOAT8(2);
	wagg_check_row(PG_GETARG_FLOAT8(1), w, aggname);
	if (w == 0.0)
		PG_RETURN_DATUM(EOHPGetRWDatum(&x->hdr));

	if (unlikely(x->n >= x->capacity))
		wqx_reserve(x, x->n + 1);
	if (x->n == 0)
		x->first_w = w;
	else if (w != x->first_w)
		x->flags &= ~WQ_FLAG_EQUAL_WEIGHTS;
	x->pairs[x->n].x = PG_GETARG_FLOAT8(1);
	x->pairs[x->n].w = w;
	x->n++;
	x->flags &= ~WQ_FLAG_SORTED;
	PG_RETURN_DATUM(EOHPGetRWDatum(&x->hdr));
}

/* wq_state_quantile_step(state, x, w, q): transition of weighted_quantile. */
Datum
wq_state_quantile_step(PG_FUNCTION_ARGS)
{
	bool		q_isnull = PG_ARGISNULL(3);

	return wqx_accumulate(fcinfo, q_isnull, q_isnull ? 0.0 : PG_GETARG_FLOAT8(3),
						  "weighted_quantile");
}

/* wq_state_median_step(state, x, w): transition of weighted_median. */
Datum
wq_state_median_step(PG_FUNCTION_ARGS)
{
	return wqx_accumulate(fcinfo, false, 0.5, "weighted_median");
}

/*
 * Merges the sorted pairs b[0..nb) into the sorted pairs a[0..na), in
 * place: a has room for na + nb; filled from the end, so that no pair of a
 * is overwritten before it is placed.
 */
static void
wq_merge_into(WeightedPair *a, int64 na, const WeightedPair *b, int64 nb)
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
 * aggregate: merged when both are sorted (partial states from parallel
 * workers and Citus nodes are), otherwise appended.  A copy of b when a is
 * NULL.
 */
Datum
wq_state_combine(PG_FUNCTION_ARGS)
{
	MemoryContext parent;
	WqExpanded *a;
	WqView		b;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		a = wqx_for_update(fcinfo, &parent);
		PG_RETURN_DATUM(EOHPGetRWDatum(&a->hdr));
	}
	wq_view(PG_GETARG_DATUM(1), &b);
	a = wqx_for_update(fcinfo, &parent);
	if (a == NULL)
	{
		a = wqx_copy(fcinfo, parent, &b, 0);
		PG_RETURN_DATUM(EOHPGetRWDatum(&a->hdr));
	}
	if (a->q != b.q)
		report_quantile_changed(a->q, b.q);
	if (b.n == 0)
		PG_RETURN_DATUM(EOHPGetRWDatum(&a->hdr));
	wqx_reserve(a, a->n + b.n);
	if (a->n == 0)
		a->first_w = b.first_w;
	if (!((a->flags & WQ_FLAG_EQUAL_WEIGHTS) && (b.flags & WQ_FLAG_EQUAL_WEIGHTS) &&
		  a->first_w == b.first_w))
		a->flags &= ~WQ_FLAG_EQUAL_WEIGHTS;
	if ((a->flags & WQ_FLAG_SORTED) && (b.flags & WQ_FLAG_SORTED))
		wq_merge_into(a->pairs, a->n, b.pairs, b.n);
	else
	{
		memcpy(a->pairs + a->n, b.pairs, b.n * sizeof(WeightedPair));
		a->flags &= ~WQ_FLAG_SORTED;
	}
	a->n += b.n;
	PG_RETURN_DATUM(EOHPGetRWDatum(&a->hdr));
}

/*
 * The pairs of the state v sorted: an expanded state's own array sorted in
 * place (that reorders the state without changing what it holds, hence
 * FINALFUNC_MODIFY = SHAREABLE), a flat state's sorted in a copy unless
 * flagged sorted (flattening sorts, so flat states usually are).
 */
static const WeightedPair *
wq_sorted_pairs(WqView *v)
{
	WeightedPair *copy;

	if (v->flags & WQ_FLAG_SORTED)
		return v->pairs;
	if (v->x != NULL)
	{
		wqx_sort(v->x);
		v->flags = v->x->flags;
		return v->x->pairs;
	}
	copy = palloc(Max(v->n, 1) * sizeof(WeightedPair));
	memcpy(copy, v->pairs, v->n * sizeof(WeightedPair));
	sort_weighted_pairs(copy, v->n);
	return copy;
}

/* wq_state_final(state): the quantile, as weighted_quantile_final computes it. */
Datum
wq_state_final(PG_FUNCTION_ARGS)
{
	WqView		v;
	const WeightedPair *pairs;

	wq_view(PG_GETARG_DATUM(0), &v);
	if (v.n == 0)
		PG_RETURN_NULL();
	pairs = wq_sorted_pairs(&v);
	if (v.n == 1)
		PG_RETURN_FLOAT8(pairs[0].x);
	if (v.flags & WQ_FLAG_EQUAL_WEIGHTS)
		PG_RETURN_FLOAT8(quantile_equal_weights(pairs, v.n, v.q));
	PG_RETURN_FLOAT8(quantile_weighted(pairs, v.n, v.q));
}

/* The binary form of the state d, its pairs sorted, as a bytea. */
static bytea *
wq_encode(Datum d)
{
	WqView		v;
	const WeightedPair *pairs;
	WqHeader	h;
	bytea	   *out;
	int64		from;

	wq_view(d, &v);
	if (v.n > (int64) ((MaxAllocSize - VARHDRSZ - WQ_SERIAL_HEADER) / sizeof(WeightedPair)))
		wq_too_many(v.n);
	pairs = wq_sorted_pairs(&v);
	h.flags = (unsigned char) (v.flags | WQ_FLAG_SORTED);
	h.q = v.q;
	h.first_w = v.first_w;
	h.n = v.n;
	out = (bytea *) palloc(VARHDRSZ + WQ_SERIAL_HEADER + v.n * sizeof(WeightedPair));
	SET_VARSIZE(out, VARHDRSZ + WQ_SERIAL_HEADER + v.n * sizeof(WeightedPair));
	wq_wire_encode_header(&h, (unsigned char *) VARDATA(out));
	for (from = 0; from < v.n; from += WQ_INTERRUPT_INTERVAL)
	{
		CHECK_FOR_INTERRUPTS();
		wq_wire_encode_pairs(pairs, from, Min(v.n, from + WQ_INTERRUPT_INTERVAL),
							 (unsigned char *) VARDATA(out));
	}
	return out;
}

/* The flat state of the binary form bytes[0..len), checked byte by byte. */
static WqDatum *
wq_decode(const unsigned char *bytes, size_t len)
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
		wq_too_many(h.n);
	d = (WqDatum *) palloc(WQD_HEADER + h.n * sizeof(WeightedPair));
	memset(d, 0, WQD_HEADER);
	SET_VARSIZE(d, WQD_HEADER + h.n * sizeof(WeightedPair));
	d->flags = h.flags;
	d->q = h.q;
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

	PG_RETURN_POINTER(wq_decode(bytes, len));
}

/* Text output: the binary form in hexadecimal. */
Datum
weighted_quantile_state_out(PG_FUNCTION_ARGS)
{
	bytea	   *b = wq_encode(PG_GETARG_DATUM(0));

	if (VARSIZE(b) - VARHDRSZ > (MaxAllocSize - 1) / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("weighted_quantile_state too large for its text form"),
				 errdetail("The state holds %lld pairs; its text form would exceed 1 GB.",
						   (long long) ((VARSIZE(b) - VARHDRSZ - WQ_SERIAL_HEADER) / sizeof(WeightedPair))),
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

	PG_RETURN_POINTER(wq_decode((const unsigned char *) bytes, len));
}

/* Binary output: the header and the pairs, sorted, in network byte order. */
Datum
weighted_quantile_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(wq_encode(PG_GETARG_DATUM(0)));
}
