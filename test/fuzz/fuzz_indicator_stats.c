/*
 * fuzz_indicator_stats.c
 *	  libFuzzer harness for indicator_stats_core.c: the text input
 *	  (istats_parse, called by indicator_stats_in), the binary input
 *	  (istats_decode, called by indicator_stats_recv after the version
 *	  byte) and the aggregate's serialized state (istats_state_decode,
 *	  called by indicator_stats_deserialize).
 *
 * The first byte picks the decoder, the rest is its input.  A summary
 * that parses must pass istats_problem and print (as indicator_stats_out
 * prints) to text that parses to the same summary; a state that decodes
 * must encode to the same bytes.
 */
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
	switch (data[0] % 3)
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
					istats_state_encode(&st, out);
					if (len != ISTATS_STATE_SIZE ||
						memcmp(out, body, ISTATS_STATE_SIZE) != 0)
						abort();
				}
				break;
			}
	}
	free(body);
	return 0;
}
