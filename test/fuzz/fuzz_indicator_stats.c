/*
 * fuzz_indicator_stats.c
 *	  libFuzzer harness for indicator_stats_core.c: the text input
 *	  (istats_parse, called by indicator_stats_in), the binary input
 *	  (istats_decode, called by indicator_stats_recv after the version
 *	  byte), the aggregate's serialized state (istats_state_decode,
 *	  called by indicator_stats_deserialize) and the aggregate's scaled
 *	  accumulation (istats_add, istats_merge, istats_finish).
 *
 * The first byte picks the part, the rest is its input.  A summary that
 * parses must pass istats_problem and print (as indicator_stats_out
 * prints) to text that parses to the same summary; a state that decodes
 * must encode to the same bytes and finish, alone or merged with itself,
 * into a consistent summary (alone, with no problem but an sd beyond
 * float8); float8 values added in one state or in two
 * merged halves must agree on n, min and max and finish consistently.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "indicator_stats_core.h"

static void
check_summary(const SrStats *s)
{
	char		min[32],
				max[32],
				mean[32],
				sd[32],
				text[200];
	SrStats		again;

	if (istats_problem(s) != NULL)
		abort();
	sr_format_double(s->min, min);
	sr_format_double(s->max, max);
	sr_format_double(s->mean, mean);
	sr_format_double(s->sd, sd);
	snprintf(text, sizeof(text), "(n=%lld,min=%s,max=%s,mean=%s,sd=%s)",
			 (long long) s->n, min, max, mean, sd);
	if (istats_parse(text, &again) != NULL ||
		memcmp(&again, s, sizeof(SrStats)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *body;
	size_t		len;
	SrStats		s;

	if (size < 1)
		return 0;
	len = size - 1;
	body = malloc(len + 1);
	memcpy(body, data + 1, len);
	switch (data[0] % 4)
	{
		case 0:
			{
				/* text input arrives as a NUL-terminated C string */
				body[len] = '\0';
				if (istats_parse((const char *) body, &s) == NULL)
					check_summary(&s);
				break;
			}
		case 1:
			if (istats_decode(body, len, &s) == NULL)
			{
				if (len != ISTATS_BINARY_BODY)
					abort();
				check_summary(&s);
			}
			break;
		default:
			{
				IstatsState st;
				unsigned char out[ISTATS_STATE_SIZE];

				if (istats_state_decode(body, len, &st) == NULL)
				{
					IstatsState twice = st;

					istats_state_encode(&st, out);
					if (len != ISTATS_STATE_SIZE ||
						memcmp(out, body, ISTATS_STATE_SIZE) != 0)
						abort();
					/*
					 * what the final function makes of it, merged or not: a
					 * state that decodes finishes, but for an sd beyond
					 * float8 (values spanning more than that)
					 */
					istats_merge(&twice, &st);
					if (st.n > 0 && istats_finish(&st, &s) == NULL)
						check_summary(&s);
					else if (st.n > 0 && isfinite(s.sd))
						abort();
					if (twice.n > 0 && istats_finish(&twice, &s) == NULL)
						check_summary(&s);
				}
				break;
			}
		case 3:
			{
				/*
				 * The rest as float8 values: added to one state, and in
				 * two halves merged, as parallel workers do; both must
				 * give a consistent summary or the out-of-range report.
				 */
				IstatsState one,
							left,
							right;
				size_t		i,
							nv = len / sizeof(double);
				SrStats		a,
							b;
				const char *pa,
						   *pb;

				istats_init(&one);
				istats_init(&left);
				istats_init(&right);
				for (i = 0; i < nv; i++)
				{
					double		x;

					memcpy(&x, body + i * sizeof(double), sizeof(double));
					if (!isfinite(x))
						continue;
					istats_add(&one, x);
					istats_add(i < nv / 2 ? &left : &right, x);
				}
				istats_merge(&left, &right);
				if (one.n != left.n || one.min != left.min || one.max != left.max)
					abort();
				if (one.n > 0)
				{
					pa = istats_finish(&one, &a);
					pb = istats_finish(&left, &b);
					if (pa == NULL)
						check_summary(&a);
					if (pb == NULL)
						check_summary(&b);
				}
				break;
			}
	}
	free(body);
	return 0;
}
