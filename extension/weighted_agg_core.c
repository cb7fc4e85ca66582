/*-------------------------------------------------------------------------
 *
 * weighted_agg_core.c
 *	  Decoding of the serialized states of the weighted aggregates, with no
 *	  server dependency (see weighted_agg_core.h).
 *
 *-------------------------------------------------------------------------
 */
#include "weighted_agg_core.h"

#include <math.h>
#include <string.h>

/*
 * A weighted-mean state: the size, the version byte, finite sums and a
 * weight total that is not negative.
 */
const char *
wmean_state_decode(const unsigned char *buf, size_t len, double parts[4])
{
	int			i;

	if (len != WMEAN_SERIAL_SIZE)
		return "The state has the wrong size";
	if (buf[0] != WAGG_STATE_VERSION)
		return "Unknown state version";
	memcpy(parts, buf + 1, 4 * sizeof(double));
	for (i = 0; i < 4; i++)
		if (!isfinite(parts[i]))
			return "A sum is not finite";
	if (parts[0] + parts[1] < 0.0)
		return "The sum of the weights is negative";
	return NULL;
}

const char *
wq_state_decode_header(const unsigned char *buf, size_t len, WqHeader *h)
{
	const unsigned char *p = buf;

	if (len < WQ_SERIAL_HEADER)
		return "The state is shorter than its header";
	if (p[0] != WAGG_STATE_VERSION)
		return "Unknown state version";
	h->flags = p[1];
	if ((h->flags & ~(WQ_FLAG_EQUAL_WEIGHTS | WQ_FLAG_SORTED)) != 0)
		return "Unknown flags";
	p += 2;
	memcpy(&h->q, p, sizeof(double));
	p += sizeof(double);
	memcpy(&h->first_w, p, sizeof(double));
	p += sizeof(double);
	memcpy(&h->n, p, sizeof(int64_t));
	if (!(h->q >= 0.0 && h->q <= 1.0))
		return "The quantile is not between 0 and 1";
	if ((len - WQ_SERIAL_HEADER) % sizeof(WeightedPair) != 0 || h->n < 0 ||
		(uint64_t) h->n != (len - WQ_SERIAL_HEADER) / sizeof(WeightedPair))
		return "The size of the state does not fit its number of pairs";
	return NULL;
}

const char *
wq_state_check_pairs(const WeightedPair *pairs, int64_t from, int64_t to,
					 const WqHeader *h, int64_t *bad)
{
	int64_t		i;

	for (i = from; i < to; i++)
	{
		double		x = pairs[i].x;
		double		w = pairs[i].w;

		*bad = i;
		if (!isfinite(x) || !isfinite(w) || !(w > 0.0))
			return "A pair is not a finite value with a positive weight";
		if ((h->flags & WQ_FLAG_EQUAL_WEIGHTS) && w != h->first_w)
			return "The weights are flagged equal but differ";
		if ((h->flags & WQ_FLAG_SORTED) && i > 0 &&
			wq_compare_pairs(&pairs[i - 1], &pairs[i]) > 0)
			return "The pairs are flagged sorted but are not";
	}
	return NULL;
}
