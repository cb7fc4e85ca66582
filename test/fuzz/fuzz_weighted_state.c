/*
 * fuzz_weighted_state.c
 *	  libFuzzer harness for the serialized states of the weighted
 *	  aggregates (weighted_agg_core.c): wmean_state_decode, called by
 *	  weighted_mean_deserialize, and wq_state_decode_header with
 *	  wq_state_check_pairs, called by weighted_quantile_deserialize, and
 *	  the binary form of the type weighted_quantile_state
 *	  (wq_wire_decode_header, wq_wire_decode_pairs and wq_state_check_pairs,
 *	  called by its text and binary inputs).
 *
 * The first byte picks the decoder (odd: the means; even with the high bit
 * set: weighted_quantile_state; other even: the serialized quantile
 * state), the rest is the state.  A weighted_quantile_state that passes
 * must encode back to the same bytes.  As the server
 * does, the quantile pairs are copied to aligned memory after the header
 * check and checked in chunks; a state that passes must have exactly n
 * pairs of finite values with positive weights, sorted when so flagged.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "weighted_agg_core.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *body;
	size_t		len;

	if (size < 1)
		return 0;
	len = size - 1;
	body = malloc(len ? len : 1);
	memcpy(body, data + 1, len);
	if (data[0] & 1)
	{
		WmeanState	st;

		if (wmean_state_decode(body, len, &st) == NULL)
		{
			unsigned char out[WMEAN_SERIAL_SIZE];
			WmeanState	twice = st;
			double		v;
			int			kind;

			if (csum_total(&st.sum_w.s) < 0)
				abort();
			/* the state encodes to the same bytes and merges with itself */
			wmean_state_encode(&st, out);
			if (memcmp(out, body, WMEAN_SERIAL_SIZE) != 0)
				abort();
			wmean_merge(&twice, &st);
			for (kind = WMEAN_ARITHMETIC; kind <= WMEAN_HARMONIC; kind++)
				if (wmean_result(&twice, (WmeanKind) kind, &v) == 1 && !isfinite(v))
					abort();
		}
	}
	else if (data[0] & 0x80)
	{
		WqHeader	h;

		if (wq_wire_decode_header(body, len, &h) == NULL)
		{
			WeightedPair *pairs;
			unsigned char *out;
			int64_t		from,
						bad = -1,
						i;
			const char *problem = NULL;
			int64_t		chunk = 1 + (data[0] & 0x7f) / 2 % 7;

			if (h.n < 0 || WQ_SERIAL_HEADER + (size_t) h.n * sizeof(WeightedPair) != len ||
				(h.n == 0 && h.first_w != 0) || (h.n > 0 && !(h.first_w > 0 && isfinite(h.first_w))))
				abort();
			pairs = malloc(sizeof(WeightedPair) * (h.n ? h.n : 1));
			for (from = 0; from < h.n && problem == NULL; from += chunk)
			{
				int64_t		to = from + chunk < h.n ? from + chunk : h.n;

				wq_wire_decode_pairs(body, from, to, pairs);
				problem = wq_state_check_pairs(pairs, from, to, &h, &bad);
			}
			if (problem != NULL && (bad < 0 || bad >= h.n))
				abort();
			if (problem == NULL)
			{
				for (i = 0; i < h.n; i++)
					if (!isfinite(pairs[i].x) || !(pairs[i].w > 0) ||
						!isfinite(pairs[i].w) ||
						((h.flags & WQ_FLAG_EQUAL_WEIGHTS) && pairs[i].w != h.first_w) ||
						((h.flags & WQ_FLAG_SORTED) && i > 0 &&
						 wq_compare_pairs(&pairs[i - 1], &pairs[i]) > 0))
						abort();
				/* a state read encodes to the same bytes */
				out = malloc(len);
				wq_wire_encode_header(&h, out);
				wq_wire_encode_pairs(pairs, 0, h.n, out);
				if (memcmp(out, body, len) != 0)
					abort();
				free(out);
			}
			free(pairs);
		}
	}
	else
	{
		WqHeader	h;

		if (wq_state_decode_header(body, len, &h) == NULL)
		{
			WeightedPair *pairs;
			int64_t		from,
						bad = -1,
						i;
			const char *problem = NULL;
			int64_t		chunk = 1 + data[0] / 2 % 7;

			if (h.n < 0 || WQ_SERIAL_HEADER + (size_t) h.n * sizeof(WeightedPair) != len)
				abort();
			pairs = malloc(sizeof(WeightedPair) * (h.n ? h.n : 1));
			memcpy(pairs, body + WQ_SERIAL_HEADER, sizeof(WeightedPair) * h.n);
			for (from = 0; from < h.n && problem == NULL; from += chunk)
				problem = wq_state_check_pairs(pairs, from,
											   from + chunk < h.n ? from + chunk : h.n,
											   &h, &bad);
			if (problem != NULL && (bad < 0 || bad >= h.n))
				abort();
			if (problem == NULL)
				for (i = 0; i < h.n; i++)
					if (!isfinite(pairs[i].x) || !(pairs[i].w > 0) ||
						!isfinite(pairs[i].w) ||
						((h.flags & WQ_FLAG_SORTED) && i > 0 &&
						 wq_compare_pairs(&pairs[i - 1], &pairs[i]) > 0))
						abort();
			free(pairs);
		}
	}
	free(body);
	return 0;
}
