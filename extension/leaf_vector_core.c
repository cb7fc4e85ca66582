/*-------------------------------------------------------------------------
 *
 * leaf_vector_core.c
 *	  The binary form of leaf_vector and merging two vectors, with no
 *	  server dependency (see leaf_vector_core.h for the layout).
 *
 *-------------------------------------------------------------------------
 */
#include "leaf_vector_core.h"

#include <math.h>
#include <string.h>

#include "framework_core.h"
#include "wire_core.h"

void
leaf_vector_init(LeafVector *lv, int32_t n, uint64_t fw_hash)
{
	memset(lv, 0, LV_SIZE(n));
	fw_set_varsize(lv, (uint32_t) LV_SIZE(n));
	lv->version = LEAF_VECTOR_VERSION;
	lv->nleaves = n;
	lv->npresent = 0;
	lv->last = -1;
	lv->fw_hash = fw_hash;
}

size_t
leaf_vector_wire_size(const LeafVector *lv)
{
	return LV_WIRE_HEADER + LV_BITMAP_BYTES(lv->nleaves) +
		sizeof(double) * (size_t) lv->npresent;
}

void
leaf_vector_encode(const LeafVector *lv, unsigned char *p)
{
	const uint8_t *bits = LV_BITMAP(lv);
	int32_t		l;

	*p++ = LEAF_VECTOR_VERSION;
	p = wire_put_uint(p, lv->fw_hash, 8);
	p = wire_put_uint(p, (uint32_t) lv->nleaves, 4);
	p = wire_put_uint(p, (uint32_t) lv->npresent, 4);
	memcpy(p, bits, LV_BITMAP_BYTES(lv->nleaves));
	p += LV_BITMAP_BYTES(lv->nleaves);
	for (l = 0; l < lv->nleaves; l++)
		if (LV_PRESENT(lv, l))
			p = wire_put_float8(p, lv->values[l]);
}

/* Number of bits set in a byte. */
static int
bits_in(uint8_t b)
{
	int			n = 0;

	for (; b != 0; b &= (uint8_t) (b - 1))
		n++;
	return n;
}

const char *
leaf_vector_decode(const unsigned char *buf, size_t len, int32_t *nleaves,
				   uint64_t *fw_hash, LeafVector *into)
{
	WireReader	r;
	int32_t		n,
				np,
				count = 0;
	uint64_t	hash;
	size_t		nbytes;
	const unsigned char *bits;
	size_t		i;
	int32_t		l;

	wire_init(&r, buf, len);
	if (wire_byte(&r) != LEAF_VECTOR_VERSION || !r.ok)
		return "Unknown version";
	hash = wire_uint(&r, 8);
	n = wire_int32(&r);
	np = wire_int32(&r);
	if (!r.ok)
		return "The value is truncated";
	if (n < 1 || n > FRAMEWORK_MAX_NODES)
		return "The number of leaves is not between 1 and 100000";
	if (np < 0 || np > n)
		return "The number of present leaves is out of range";
	nbytes = LV_BITMAP_BYTES(n);
	if (wire_left(&r) != nbytes + sizeof(double) * (size_t) np)
		return "The size does not match the counts";
	bits = wire_bytes(&r, nbytes);
	for (i = 0; i < nbytes; i++)
		count += bits_in(bits[i]);
	if ((n & 7) != 0 && (bits[nbytes - 1] >> (n & 7)) != 0)
		return "A bit past the last leaf is set";
	if (count != np)
		return "The bitmap does not match the number of present leaves";
	for (l = 0; l < n; l++)
	{
		double		v;

		if (!((bits[l >> 3] >> (l & 7)) & 1))
			continue;
		v = wire_float8(&r);
		if (!isfinite(v))
			return "A value is not finite";
		if (into != NULL)
			into->values[l] = v;
	}
	*nleaves = n;
	*fw_hash = hash;
	if (into != NULL)
	{
		double	   *values = into->values;

		/* the values went in first: keep them across the init */
		for (l = 0; l < n; l++)
			if (!((bits[l >> 3] >> (l & 7)) & 1))
				values[l] = 0.0;
		memset(into, 0, LV_HEADER_SIZE);
		fw_set_varsize(into, (uint32_t) LV_SIZE(n));
		into->version = LEAF_VECTOR_VERSION;
		into->nleaves = n;
		into->npresent = np;
		into->last = -1;
		into->fw_hash = hash;
		memcpy(LV_BITMAP(into), bits, nbytes);
	}
	return NULL;
}

int
leaf_vector_merge(LeafVector *a, const LeafVector *b)
{
	uint8_t    *ba = LV_BITMAP(a);
	const uint8_t *bb = LV_BITMAP(b);
	size_t		nbytes = LV_BITMAP_BYTES(a->nleaves);
	size_t		i;

	if (b->npresent == 0)
		return -1;
	if (a->npresent == 0)
	{
		memcpy(a->values, b->values, sizeof(double) * (size_t) a->nleaves);
		memcpy(ba, bb, nbytes);
		a->npresent = b->npresent;
		return -1;
	}
	for (i = 0; i < nbytes; i++)
	{
		uint8_t		both = ba[i] & bb[i];
		uint8_t		take = bb[i];
		int			k;

		if (both != 0)
		{
			for (k = 0; !((both >> k) & 1); k++)
				;
			return (int) (8 * i) + k;
		}
		for (k = 0; take != 0; k++, take >>= 1)
			if (take & 1)
				a->values[8 * i + k] = b->values[8 * i + k];
		ba[i] |= bb[i];
	}
	a->npresent += b->npresent;
	return -1;
}

void
leaf_vector_present_bytes(const LeafVector *lv, uint8_t *out)
{
	int32_t		l;

	for (l = 0; l < lv->nleaves; l++)
		out[l] = (uint8_t) LV_PRESENT(lv, l);
}
