/*
 * fuzz_scoring_rule.c
 *	  libFuzzer harness for the scoring rule parser (scoring_rule_core.c).
 *
 * Parses arbitrary bytes; when they are a valid rule, packs it, prints the
 * canonical text, parses that again and requires the packed forms to be
 * byte-identical, checks that unpacking and re-checking gives the same
 * bytes (the binary receive path), and scores a few values.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scoring_rule_core.h"
#include "harness.h"

static SrSpec spec1;
static SrSpec spec2;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const double values[] = {-1.7e308, -1e300, -5, -0.5, 0, 0.25, 1, 3,
	50, 80, 100, 1e300, 1.7e308};
	SrError		err;
	SrRule	   *r1,
			   *r2,
			   *r3;
	size_t		s1,
				s2,
				s3;
	char	   *text;
	size_t		tlen;
	SrStats		stats = {5, -2, 90, 30.5, 12.25};
	SrStats		one = {1, 7, 7, 7, 0};
	SrStats		wide = {3, -1.7e308, 1.7e308, 0, 1.7e308};
	size_t		i;

	if (!sr_parse((const char *) data, size, &spec1, &err))
	{
		if (err.message == NULL || err.position < 0 ||
			(size_t) err.position > size + 1)
			abort();
		return 0;
	}
	r1 = pack(&spec1, &s1);

	text = malloc(sr_print_bound(r1) + 1);
	tlen = sr_print(r1, text);
	if (tlen > sr_print_bound(r1) || strlen(text) != tlen)
		abort();
	if (!sr_parse(text, tlen, &spec2, &err))
		abort();				/* canonical text must parse */
	r2 = pack(&spec2, &s2);
	if (s1 != s2 || memcmp(r1, r2, s1) != 0)
		abort();				/* and give the same bytes */

	/* the binary path: unpack, check again, pack again */
	sr_unpack(r1, &spec2);
	if (!sr_check(&spec2, &err))
		abort();
	r3 = pack(&spec2, &s3);
	if (s1 != s3 || memcmp(r1, r3, s1) != 0)
		abort();

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
	{
		double		out = 0;

		if (sr_kind_class(r1->kind) == SR_CLASS_ABSOLUTE ||
			sr_kind_class(r1->kind) == SR_CLASS_STATS)
		{
			if (sr_score(r1, values[i], &stats, &out) && isnan(out))
				abort();
			if (sr_score(r1, values[i], &one, &out) && isnan(out))
				abort();
			if (sr_score(r1, values[i], &wide, &out) && isnan(out))
				abort();
			if (sr_kind_class(r1->kind) == SR_CLASS_ABSOLUTE &&
				(!sr_score(r1, values[i], NULL, &out) || isnan(out) ||
				 out < 0 || out > 1))
				abort();		/* absolute rules give a fraction */
		}
	}
	if (r1->kind == SR_GRADE)
	{
		double		out;
		int			len;
		const char *l = sr_grade_label(r1, 0, &len);

		if (!sr_score_grade(r1, l, len, &out) || out != r1->data[0])
			abort();
		(void) sr_score_grade(r1, text, tlen, &out);
	}

	free(text);
	free(r1);
	free(r2);
	free(r3);
	return 0;
}
