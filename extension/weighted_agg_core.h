/*-------------------------------------------------------------------------
 *
 * weighted_agg_core.h
 *	  The serialized states of the weighted aggregates (weighted_mean.c,
 *	  weighted_quantile.c) and their decoders, free of any server
 *	  dependency so that fuzzers can link them alone.
 *
 * States travel only between processes of one build, so numbers are in
 * the server's byte order.  Decoders return NULL for a good state or a
 * static English sentence (capitalised, no final dot) saying what is
 * wrong; they never read outside the buffer they are given.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_WEIGHTED_AGG_CORE_H
#define DTI_WEIGHTED_AGG_CORE_H

#include <stddef.h>
#include <stdint.h>

/* Version byte in front of every serialized aggregate state. */
#define WAGG_STATE_VERSION 1

/* weighted_mean (and geomean, harmonic): version byte and four doubles,
 * sum of weights, its compensation, sum of w * f(x), its compensation */
#define WMEAN_SERIAL_SIZE (1 + 4 * sizeof(double))

extern const char *wmean_state_decode(const unsigned char *buf, size_t len,
									  double parts[4]);

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

#endif							/* DTI_WEIGHTED_AGG_CORE_H */
