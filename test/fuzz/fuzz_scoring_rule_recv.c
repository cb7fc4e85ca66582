/*
 * fuzz_scoring_rule_recv.c
 *	  libFuzzer harness for the binary input of scoring_rule: sr_decode
 *	  (scoring_rule_core.c), which scoring_rule_recv calls on the bytes
 *	  after the version byte.
 *
 * Decodes arbitrary bytes; a rule that decodes must pack, print as
 * canonical text that parses back to the same packed bytes, and re-encode
 * (in the send format) to bytes that decode to the same rule again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scoring_rule_core.h"
#include "harness.h"

static SrSpec spec1;
static SrSpec spec2;

static size_t
put_be(unsigned char *p, uint64_t v, int n)
{
	int			i;

	for (i = n - 1; i >= 0; i--)
	{
		p[i] = (unsigned char) (v & 0xff);
		v >>= 8;
	}
	return (size_t) n;
}

static size_t
put_double(unsigned char *p, double d)
{
	uint64_t	bits;

	memcpy(&bits, &d, sizeof(bits));
	return put_be(p, bits, 8);
}

/* The send format of a packed rule, without the version byte. */
static size_t
encode(const SrRule *r, unsigned char *out)
{
	size_t		n = 0;
	int			i;

	out[n++] = r->kind;
	out[n++] = r->direction;
	n += put_be(out + n, r->npoints, 2);
	n += put_double(out + n, r->p1);
	n += put_double(out + n, r->p2);
	for (i = 0; i < r->npoints; i++)
	{
		if (r->kind == SR_GRADE)
		{
			int			len;
			const char *l = sr_grade_label(r, i, &len);

			n += put_double(out + n, r->data[i]);
			out[n++] = (unsigned char) len;
			memcpy(out + n, l, len);
			n += len;
		}
		else
		{
			n += put_double(out + n, r->data[i]);
			n += put_double(out + n, r->data[r->npoints + i]);
		}
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SrError		err;
	SrRule	   *r1,
			   *r2,
			   *r3;
	size_t		s1,
				s2,
				s3,
				wlen;
	char	   *text;
	size_t		tlen;
	unsigned char *wire;

	/* a copy of exactly the given bytes, so reads past them are caught */
	unsigned char *copy = malloc(size ? size : 1);

	memcpy(copy, data, size);
	if (!sr_decode(copy, size, &spec1, &err))
	{
		if (err.message == NULL || err.position < 0 ||
			(size_t) err.position > size + 1)
			abort();
		free(copy);
		return 0;
	}
	free(copy);
	r1 = pack(&spec1, &s1);

	text = malloc(sr_print_bound(r1) + 1);
	tlen = sr_print(r1, text);
	if (!sr_parse(text, tlen, &spec2, &err))
		abort();
	r2 = pack(&spec2, &s2);
	if (s1 != s2 || memcmp(r1, r2, s1) != 0)
		abort();

	wire = malloc(32 + (size_t) r1->npoints * 80);
	wlen = encode(r1, wire);
	if (!sr_decode(wire, wlen, &spec2, &err))
		abort();
	r3 = pack(&spec2, &s3);
	if (s1 != s3 || memcmp(r1, r3, s1) != 0)
		abort();

	free(wire);
	free(text);
	free(r1);
	free(r2);
	free(r3);
	return 0;
}
