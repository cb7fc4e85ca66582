/*
 * libFuzzer harness for the indicator_code parser and its natural order.
 *
 * The input is split at its first NUL byte into two candidate codes.  Each
 * is validated; for valid codes the harness checks that the order is
 * reflexive and antisymmetric, that equality is byte equality, that the
 * abbreviated sort keys agree with the order, that the
 * label functions agree with the parser, and that the btree range used for
 * "x <@ p" (from p up to p extended by icode_successor_char) holds exactly
 * the descendants of p.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "indicator_code_core.h"

static int
sign(int c)
{
	return (c > 0) - (c < 0);
}

static int
is_descendant_or_self(const char *x, size_t xlen, const char *p, size_t plen)
{
	return xlen >= plen && memcmp(x, p, plen) == 0 &&
		(xlen == plen || x[plen] == '.');
}

static void
check_one(const char *s, size_t len, int nlabels)
{
	size_t		start,
				llen,
				total = 0;
	int			i;

	if (icode_compare(s, len, s, len) != 0)
		abort();
	if (icode_nlevels(s, len) != nlabels)
		abort();
	for (i = 0; i < nlabels; i++)
	{
		if (!icode_label_span(s, len, i, &start, &llen))
			abort();
		if (llen < 1 || llen > ICODE_MAX_LABEL || start + llen > len)
			abort();
		total += llen;
	}
	if (icode_label_span(s, len, nlabels, &start, &llen))
		abort();
	if (total + (size_t) (nlabels - 1) != len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *a = (const char *) data;
	const char *nul = memchr(a, '\0', size);
	size_t		alen = nul ? (size_t) (nul - a) : size;
	const char *b = nul ? nul + 1 : a;
	size_t		blen = nul ? size - alen - 1 : size;
	IcodeError	err;
	int			na = icode_validate(a, alen, &err);
	int			nb;

	if (na == 0)
	{
		if (err.problem == ICODE_OK || err.position < 1 || err.position > alen + 1)
			abort();
		return 0;
	}
	if (na > ICODE_MAX_LEVELS || alen > ICODE_MAX_LEN)
		abort();
	check_one(a, alen, na);

	nb = icode_validate(b, blen, &err);
	if (nb == 0)
		return 0;
	check_one(b, blen, nb);

	{
		int			ab = icode_compare(a, alen, b, blen);
		int			ba = icode_compare(b, blen, a, alen);
		int			same = (alen == blen && memcmp(a, b, alen) == 0);

		if (sign(ab) != -sign(ba))
			abort();
		if ((ab == 0) != same)
			abort();
		/* the abbreviated keys never contradict the order */
		{
			uint64_t	ka = icode_abbrev(a, alen);
			uint64_t	kb = icode_abbrev(b, blen);

			if ((ab < 0 && ka > kb) || (ab > 0 && ka < kb) || (ab == 0 && ka != kb))
				abort();
		}
	}

	/* the range [a, a + successor) holds exactly the descendants of a */
	{
		char	   *upper = malloc(alen + 1);
		int			inside;

		memcpy(upper, a, alen);
		upper[alen] = icode_successor_char(a, alen);
		inside = icode_compare(b, blen, a, alen) >= 0 &&
			icode_compare(b, blen, upper, alen + 1) < 0;
		if (inside != is_descendant_or_self(b, blen, a, alen))
			abort();
		free(upper);
	}
	return 0;
}
