/*-------------------------------------------------------------------------
 *
 * weighted_agg_core.h
 *	  The serialized states of the weighted aggregates (weighted_mean.c,
 *	  weighted_quantile.c) and their decoders, free of any server
 *	  dependency so that fuzzers can link them alone.
 *
 * The weighted means' state is also the binary form of the type
 * weighted_mean_state, which crosses servers (Citus ships partial states
 * between nodes), so its numbers are in network byte order; the quantile
 * states' serialized form travels only between processes of one build, in
 * the server's; their type weighted_quantile_state (dti 0.11.0) has a
 * binary form of its own in network byte order.  Decoders return NULL for a good state or a
 * static English sentence (capitalised, no final dot) saying what is
 * wrong; they never read outside the buffer they are given.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_WEIGHTED_AGG_CORE_H
#define DTI_WEIGHTED_AGG_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "compensated_sum.h"

/* Version byte in front of every serialized aggregate state. */
#define WAGG_STATE_VERSION 1
#define WMEAN_STATE_VERSION 3

/*
 * The state of weighted_mean, weighted_geomean and weighted_harmonic: the
 * scaled compensated sums (compensated_sum.h) of the weights and of
 * w * f(x), where f is x, ln x or 1/x.  Each term is summed as the product
 * of the mantissas of its factors and the sum of their exponents, so that
 * neither an overflow of w * x nor an underflow of a small term can occur.
 */
typedef struct WmeanState
{
	ScaledSum	sum_w;
	ScaledSum	sum_wf;
} WmeanState;

typedef enum WmeanKind
{
	WMEAN_ARITHMETIC,
	WMEAN_GEOMETRIC,
	WMEAN_HARMONIC
} WmeanKind;

static inline void
wmean_init(WmeanState *st)
{
	ssum_init(&st->sum_w);
	ssum_init(&st->sum_wf);
}

/*
 * Add a row of finite x and w > 0 (x > 0 for the geometric and harmonic
 * means).  Inline, so that the kind is a constant at each call.
 */
static inline void
wmean_add(WmeanState *st, WmeanKind kind, double x, double w)
{
	int			ew,
				ef;
	double		mw = dti_split(w, &ew),
				mf;

	switch (kind)
	{
		case WMEAN_ARITHMETIC:
			mf = dti_split(x, &ef);
			break;
		case WMEAN_GEOMETRIC:
			mf = dti_split(log(x), &ef);
			break;
		default:
			{
				/* 1/x = (1/m) * 2^-e, where 1/m cannot overflow */
				int			ex,
							er;
				double		mx = dti_split(x, &ex);

				mf = dti_split(1.0 / mx, &er);
				ef = er - ex;
			}
			break;
	}
	ssum_add(&st->sum_w, mw, ew);
	ssum_add(&st->sum_wf, mw * mf, ew + ef);
}

static inline void
wmean_merge(WmeanState *into, const WmeanState *from)
{
	ssum_merge(&into->sum_w, &from->sum_w);
	ssum_merge(&into->sum_wf, &from->sum_wf);
}

/*
 * The mean of a state: 1 with *out, 0 when no weight counted (NULL), -1
 * when the mean is beyond the float8 range.
 */
extern int	wmean_result(const WmeanState *st, WmeanKind kind, double *out);

/* Encoded: version byte, then each sum's sum, comp (float8) and scale (int4), in network byte order. */
#define WMEAN_SERIAL_SIZE (1 + 2 * (2 * sizeof(double) + sizeof(int32_t)))

extern void wmean_state_encode(const WmeanState *st, unsigned char *buf);
extern const char *wmean_state_decode(const unsigned char *buf, size_t len,
									  WmeanState *st);

/* weighted_quantile: one kept (value, weight) row */
typedef struct WeightedPair
{
	double		x;
	double		w;
} WeightedPair;

/* The order of the pairs: by value, then by weight. */
static inline int
wq_compare_pairs(const WeightedPair *a, const WeightedPair *b)
{
	if (a->x != b->x)
		return a->x < b->x ? -1 : 1;
	if (a->w != b->w)
		return a->w < b->w ? -1 : 1;
	return 0;
}

/* Serialized state: version, flags, q, first_w, n, then n pairs. */
#define WQ_SERIAL_HEADER (1 + 1 + 2 * sizeof(double) + sizeof(int64_t))
#define WQ_FLAG_EQUAL_WEIGHTS 0x01
#define WQ_FLAG_SORTED 0x02

typedef struct WqHeader
{
	unsigned char flags;
	double		q;
	double		first_w;
	int64_t		n;
} WqHeader;

/*
 * Check the header of a serialized state of len bytes (version, flags, q
 * in [0, 1], size matching n pairs) and fill *h; the pairs start at
 * buf + WQ_SERIAL_HEADER.
 */
extern const char *wq_state_decode_header(const unsigned char *buf, size_t len,
										  WqHeader *h);

/*
 * Check pairs[from..to) of a state with header h: finite values with
 * positive weights, equal to first_w when so flagged, in order when
 * flagged sorted (each compared with the one before it, so a long array
 * can be checked in chunks).  On a problem *bad is the 0-based pair.
 */
extern const char *wq_state_check_pairs(const WeightedPair *pairs, int64_t from,
										int64_t to, const WqHeader *h,
										int64_t *bad);

/*
 * The binary form of the type weighted_quantile_state, which crosses
 * servers: version byte 2, flags byte, then q, first_w (float8) and n
 * (int8), then n pairs (x, w), all in network byte order; as many bytes as
 * the serialized form (WQ_SERIAL_HEADER + 16 n).  n = 0 has first_w = 0;
 * n > 0 a finite first_w > 0.
 */
#define WQ_STATE_VERSION 2

extern void wq_wire_encode_header(const WqHeader *h, unsigned char *buf);
extern void wq_wire_encode_pairs(const WeightedPair *pairs, int64_t from,
								 int64_t to, unsigned char *buf);
extern const char *wq_wire_decode_header(const unsigned char *buf, size_t len,
										 WqHeader *h);

/*
 * Read pairs[from..to) of the binary form buf (whose header
 * wq_wire_decode_header accepted) into pairs[from..to).
 */
extern void wq_wire_decode_pairs(const unsigned char *buf, int64_t from,
								 int64_t to, WeightedPair *pairs);

#endif							/* DTI_WEIGHTED_AGG_CORE_H */
