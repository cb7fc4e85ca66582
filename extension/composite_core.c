/*-------------------------------------------------------------------------
 *
 * composite_core.c
 *	  Binary forms of leaf_stats and composite_state, with no server
 *	  dependency (see composite_core.h for the layout).
 *
 *-------------------------------------------------------------------------
 */
#include "composite_core.h"

#include <math.h>
#include <string.h>

#include "framework_core.h"
#include "wire_core.h"

void
leaf_stats_encode(const LeafStats *ls, unsigned char *p)
{
	int			l;

	*p++ = LEAF_STATS_VERSION;
	p = wire_put_uint(p, (uint32_t) ls->nleaves, 4);
	p = wire_put_uint(p, ls->fingerprint, 8);
	for (l = 0; l < ls->nleaves; l++)
	{
		istats_state_encode(&ls->leaves[l], p);
		p += ISTATS_STATE_SIZE;
	}
}

const char *
leaf_stats_decode(const unsigned char *buf, size_t len, int32_t *nleaves,
				  uint64_t *fingerprint, IstatsState *into)
{
	WireReader	r;
	int32_t		n;
	int			l;

	wire_init(&r, buf, len);
	if (wire_byte(&r) != LEAF_STATS_VERSION || !r.ok)
		return "Unknown version";
	n = wire_int32(&r);
	*fingerprint = wire_uint(&r, 8);
	if (!r.ok)
		return "The value is truncated";
	if (n < 1 || n > FRAMEWORK_MAX_NODES)
		return "The number of leaves is not between 1 and 100000";
	if (len != LEAF_STATS_WIRE_SIZE(n))
		return "The size does not match the number of leaves";
	*nleaves = n;
	for (l = 0; l < n; l++)
	{
		IstatsState st;
		const char *problem = istats_state_decode(wire_bytes(&r, ISTATS_STATE_SIZE),
												  ISTATS_STATE_SIZE, &st);

		if (problem != NULL)
			return problem;
		if (into != NULL)
			into[l] = st;
	}
	return NULL;
}

size_t
composite_state_wire_size(const CompositeState *st)
{
	return 1 + 4 + 4 + 4 + (size_t) st->nleaves + 8 * (size_t) st->npresent +
		st->tree_len;
}

void
composite_state_encode(const CompositeState *st, unsigned char *p)
{
	const uint8_t *present = CS_PRESENT(st);
	int			l;

	*p++ = COMPOSITE_STATE_VERSION;
	p = wire_put_uint(p, (uint32_t) st->nleaves, 4);
	p = wire_put_uint(p, (uint32_t) st->npresent, 4);
	p = wire_put_uint(p, st->tree_len, 4);
	for (l = 0; l < st->nleaves; l++)
		*p++ = present[l] ? 1 : 0;
	for (l = 0; l < st->nleaves; l++)
		if (present[l])
			p = wire_put_float8(p, st->values[l]);
	memcpy(p, CS_TREE(st), st->tree_len);
}

const char *
composite_state_decode(const unsigned char *buf, size_t len, int32_t *nleaves,
					   int32_t *npresent, double *values, uint8_t *present,
					   const unsigned char **tree, size_t *tree_len)
{
	WireReader	r;
	int32_t		n,
				np,
				count = 0;
	uint32_t	tl;
	const unsigned char *flags;
	int			l;

	wire_init(&r, buf, len);
	if (wire_byte(&r) != COMPOSITE_STATE_VERSION || !r.ok)
		return "Unknown version";
	n = wire_int32(&r);
	np = wire_int32(&r);
	tl = (uint32_t) wire_uint(&r, 4);
	if (!r.ok)
		return "The value is truncated";
	if (n < 1 || n > FRAMEWORK_MAX_NODES || np < 0 || np > n)
		return "The counts of leaves are out of range";
	if (wire_left(&r) != (size_t) n + 8 * (size_t) np + tl)
		return "The size does not match the counts";
	flags = wire_bytes(&r, (size_t) n);
	for (l = 0; l < n; l++)
	{
		if (flags[l] > 1)
			return "A presence byte is neither 0 nor 1";
		count += flags[l];
	}
	if (count != np)
		return "The presence bytes do not match the count of values";
	for (l = 0; l < n; l++)
	{
		double		v = flags[l] ? wire_float8(&r) : 0.0;

		if (!isfinite(v))
			return "A value is not finite";
		if (values != NULL)
			values[l] = v;
		if (present != NULL)
			present[l] = flags[l];
	}
	*nleaves = n;
	*npresent = np;
	*tree = wire_bytes(&r, tl);
	*tree_len = tl;
	return NULL;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

const char *
dti_hex_decode(const char *s, size_t len, unsigned char *out)
{
	size_t		i;

	if (len % 2 != 0)
		return "The text has an odd number of hexadecimal digits";
	for (i = 0; i < len; i += 2)
	{
		int			hi = hex_digit(s[i]),
					lo = hex_digit(s[i + 1]);

		if (hi < 0 || lo < 0)
			return "The text has a character that is not a hexadecimal digit";
		out[i / 2] = (unsigned char) (hi * 16 + lo);
	}
	return NULL;
}

void
dti_hex_encode(const unsigned char *b, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t		i;

	for (i = 0; i < len; i++)
	{
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * len] = '\0';
}
