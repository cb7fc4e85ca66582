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
#include <stdbool.h>
#include <string.h>

#include "wire_core.h"

int
wmean_result(const WmeanState *st, WmeanKind kind, double *out)
{
	double		sw = csum_total(&st->sum_w.s),
				swf = csum_total(&st->sum_wf.s),
				v;

	if (sw == 0.0)
		return 0;
	switch (kind)
	{
		case WMEAN_ARITHMETIC:
			v = dti_scale_by(swf / sw, st->sum_wf.scale - st->sum_w.scale);
			break;
		case WMEAN_GEOMETRIC:
			v = exp(dti_scale_by(swf / sw, st->sum_wf.scale - st->sum_w.scale));
			break;
		default:
			v = dti_scale_by(sw / swf, st->sum_w.scale - st->sum_wf.scale);
			break;
	}
	if (!isfinite(v))
		return -1;
	*out = v;
	return 1;
}

static unsigned char *
put_sum(unsigned char *p, const ScaledSum *s)
{
	p = wire_put_float8(p, s->s.sum);
	p = wire_put_float8(p, s->s.comp);
	return wire_put_uint(p, (uint32_t) s->scale, 4);
}

static void
get_sum(WireReader *r, ScaledSum *s)
{
	s->s.sum = wire_float8(r);
	s->s.comp = wire_float8(r);
	s->scale = wire_int32(r);
}

void
wmean_state_encode(const WmeanState *st, unsigned char *buf)
{
	buf[0] = WMEAN_STATE_VERSION;
	put_sum(put_sum(buf + 1, &st->sum_w), &st->sum_wf);
}

/*
 * A scaled sum is finite, its scale either SSUM_NO_SCALE with a zero sum
 * or an exponent a term of products of two float8 factors can have.
 */
static bool
sum_ok(const ScaledSum *s)
{
	if (!isfinite(s->s.sum) || !isfinite(s->s.comp))
		return false;
	if (s->scale == SSUM_NO_SCALE)
		return s->s.sum == 0.0 && s->s.comp == 0.0;
	return s->scale >= -2 * 1075 && s->scale <= 2 * 1075;
}

/*
 * A weighted-mean state: the size, the version byte, finite sums with
 * plausible scales and a weight total that is not negative.
 */
const char *
wmean_state_decode(const unsigned char *buf, size_t len, WmeanState *st)
{
	WireReader	r;

	if (len != WMEAN_SERIAL_SIZE)
		return "The state has the wrong size";
	if (buf[0] != WMEAN_STATE_VERSION)
		return "Unknown state version";
	wire_init(&r, buf + 1, len - 1);
	get_sum(&r, &st->sum_w);
	get_sum(&r, &st->sum_wf);
	if (!sum_ok(&st->sum_w) || !sum_ok(&st->sum_wf))
		return "A sum is not finite or its scale is out of range";
	if (csum_total(&st->sum_w.s) < 0.0)
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

void
wq_wire_encode_header(const WqHeader *h, unsigned char *buf)
{
	unsigned char *p = buf;

	*p++ = WQ_STATE_VERSION;
	*p++ = h->flags;
	p = wire_put_float8(p, h->q);
	p = wire_put_float8(p, h->first_w);
	wire_put_uint(p, (uint64_t) h->n, 8);
}

void
wq_wire_encode_pairs(const WeightedPair *pairs, int64_t from, int64_t to,
					 unsigned char *buf)
{
	unsigned char *p = buf + WQ_SERIAL_HEADER + (size_t) from * 16;
	int64_t		i;

	for (i = from; i < to; i++)
	{
		p = wire_put_float8(p, pairs[i].x);
		p = wire_put_float8(p, pairs[i].w);
	}
}

/*
 * The header of the binary form of weighted_quantile_state: the version,
 * known flags, q in [0, 1], a first weight that fits n, and a size that
 * fits n pairs.
 */
const char *
wq_wire_decode_header(const unsigned char *buf, size_t len, WqHeader *h)
{
	WireReader	r;

	if (len < WQ_SERIAL_HEADER)
		return "The state is shorter than its header";
	if (buf[0] != WQ_STATE_VERSION)
		return "Unknown state version";
	h->flags = buf[1];
	if ((h->flags & ~(WQ_FLAG_EQUAL_WEIGHTS | WQ_FLAG_SORTED)) != 0)
		return "Unknown flags";
	wire_init(&r, buf + 2, WQ_SERIAL_HEADER - 2);
	h->q = wire_float8(&r);
	h->first_w = wire_float8(&r);
	h->n = wire_int64(&r);
	if (!(h->q >= 0.0 && h->q <= 1.0))
		return "The quantile is not between 0 and 1";
	if ((len - WQ_SERIAL_HEADER) % sizeof(WeightedPair) != 0 || h->n < 0 ||
		(uint64_t) h->n != (len - WQ_SERIAL_HEADER) / sizeof(WeightedPair))
		return "The size of the state does not fit its number of pairs";
	if (h->n == 0 ? h->first_w != 0.0 : !(isfinite(h->first_w) && h->first_w > 0.0))
		return "The first weight does not fit the number of pairs";
	return NULL;
}

void
wq_wire_decode_pairs(const unsigned char *buf, int64_t from, int64_t to,
					 WeightedPair *pairs)
{
	WireReader	r;
	int64_t		i;

	wire_init(&r, buf + WQ_SERIAL_HEADER + (size_t) from * 16, (size_t) (to - from) * 16);
	for (i = from; i < to; i++)
	{
		pairs[i].x = wire_float8(&r);
		pairs[i].w = wire_float8(&r);
	}
}
