/*
 * fuzz_framework.c
 *	  libFuzzer harness for the checks of frameworks and rollup() states
 *	  that arrive as bytes (framework_core.c): fw_check, called by
 *	  framework_validate when rollup_deserialize meets a framework, and
 *	  rollup_state_parse, called by rollup_deserialize on the whole state.
 *	  A framework that passes fw_check is then evaluated by fw_tree_evaluate
 *	  (tree_eval_core.c, the one evaluator of rollup and ranking), which must stay
 *	  inside the arrays the framework claims.
 *
 * The first byte picks the mode:
 *	 0	the rest is a framework's bytes;
 *	 1	a valid framework is built from the rest (tree shape, methods,
 *		weights, codes), then some of its bytes are flipped;
 *	 2	the rest is a serialized rollup() state;
 *	 3	a valid state is built around a built framework, then flipped.
 * Bit 2 of the first byte recomputes the fingerprint after the flips, so
 * that the structural checks behind it are reached.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framework_core.h"
#include "tree_eval_core.h"
#include "harness.h"

#define MAXN 48

static void
set_varsize(void *p, uint32_t size)
{
	uint32_t	h = size << 2;	/* little-endian 4-byte varlena header */

	memcpy(p, &h, sizeof(h));
}

/* A valid framework from the input bytes, as framework_compile lays out. */
static Framework *
build_framework(size_t *size_out)
{
	int			n = 1 + take() % MAXN;
	int32_t		parent[MAXN],
				last_child[MAXN];
	char		codes[MAXN][8];
	int			lens[MAXN];
	size_t		code_bytes = 0,
				size,
				off = 0;
	Framework  *fw;
	int			i,
				nleaves = 0;

	for (i = 0; i < n; i++)
	{
		unsigned	b = take();

		parent[i] = -1;
		last_child[i] = -1;
		if (i > 0)
		{
			int			a = i - 1;
			unsigned	up = b % 4;

			while (up-- > 0 && parent[a] >= 0)
				a = parent[a];
			parent[i] = a;
		}
		lens[i] = snprintf(codes[i], sizeof(codes[i]), (b & 0x10) ? "A.%d" : "N%d", i);
		code_bytes += lens[i];
	}
	size = FW_HEADER_SIZE + sizeof(FrameworkNode) * n + code_bytes;
	fw = aligned_alloc(8, (size + 7) & ~(size_t) 7);
	memset(fw, 0, size);
	set_varsize(fw, (uint32_t) size);
	fw->version = FRAMEWORK_VERSION;
	fw->nnodes = n;
	for (i = 0; i < n; i++)
	{
		FrameworkNode *node = &fw->nodes[i];
		unsigned	b = take();

		node->parent = parent[i];
		node->first_child = -1;
		node->next_sibling = -1;
		node->level = i == 0 ? 1 : fw->nodes[parent[i]].level + 1;
		node->code_offset = (uint32_t) off;
		node->code_len = (uint16_t) lens[i];
		memcpy(FW_CODES(fw) + off, codes[i], lens[i]);
		off += lens[i];
		node->max_points = (b % 3 == 0) ? NAN : (double) (b % 5);
		node->weight = (b / 3 % 6) * 0.5;
		node->threshold = (b / 18 % 5) / 4.0;
		node->method = (uint8_t) (1 + b / 90 % 4);
		node->missing = (uint8_t) (b >> 7);
		if (i > 0)
		{
			if (last_child[parent[i]] < 0)
				fw->nodes[parent[i]].first_child = i;
			else
				fw->nodes[last_child[parent[i]]].next_sibling = i;
			last_child[parent[i]] = i;
		}
	}
	for (i = 0; i < n; i++)
	{
		FrameworkNode *node = &fw->nodes[i];

		if (node->first_child < 0)
		{
			node->method = 0;
			node->missing = 0;
			node->threshold = 0;
			node->leaf_index = nleaves++;
		}
		else
			node->leaf_index = -1;
	}
	for (i = n - 1; i >= 0; i--)
	{
		if (fw->nodes[i].first_child < 0)
			fw->nodes[i].nleaves = 1;
		if (fw->nodes[i].parent >= 0)
			fw->nodes[fw->nodes[i].parent].nleaves += fw->nodes[i].nleaves;
	}
	fw->nleaves = nleaves;
	fw->fingerprint = fw_fingerprint(fw, size);
	*size_out = size;
	return fw;
}

/* Flip bytes of buf[from..size) as the rest of the input says. */
static void
flip(unsigned char *buf, size_t from, size_t size)
{
	unsigned	nflips = take() % 4;

	while (nflips-- > 0 && size > from)
	{
		size_t		at = from + (take() << 8 | take()) % (size - from);

		buf[at] ^= (unsigned char) (take() | 1);
	}
}

/* Evaluate every unit's root over a checked framework. */
static void
evaluate(const Framework *fw, const unsigned char *present_bytes,
		 const double *given)
{
	int			n = fw->nnodes,
				nl = fw->nleaves,
				i,
				bad = 0;
	FwTree	   *t = fw_tree_from_framework(fw, xalloc);
	double	   *val = xalloc(sizeof(double) * n);
	double	   *alpha = xalloc(sizeof(double) * n);
	uint8_t    *has = xalloc(n);
	double	   *values = xalloc(sizeof(double) * nl);
	uint8_t    *present = xalloc(nl);
	double		root;

	for (i = 0; i < nl; i++)
	{
		present[i] = present_bytes ? present_bytes[i] != 0 : (take() % 5 != 0);
		values[i] = given ? given[i] : (take() % 9) / 8.0;
	}
	if (fw_tree_evaluate(t, t->weight, t->method, values, present, val, has,
						 alpha, &root, &bad) == FW_EVAL_NEGATIVE &&
		(bad <= 0 || bad >= n))
		abort();
	free((void *) t->parent);
	free((void *) t->first_child);
	free((void *) t->next_sibling);
	free((void *) t->leaf_index);
	free((void *) t->method);
	free((void *) t->missing);
	free((void *) t->weight);
	free((void *) t->threshold);
	free((void *) t->full_alpha);
	free(t);
	free(val);
	free(alpha);
	free(has);
	free(values);
	free(present);
}

/* Check a framework copied to aligned memory, as framework_validate does. */
static void
check_framework(const unsigned char *bytes, size_t size, int fix,
				const unsigned char *present, const double *values)
{
	Framework  *fw = aligned_alloc(8, (size + 8) & ~(size_t) 7);

	memcpy(fw, bytes, size);
	if (fix && size >= FW_HEADER_SIZE)
		fw->fingerprint = fw_fingerprint(fw, size);
	if (fw_check(fw, size) == NULL)
		evaluate(fw, present, values);
	free(fw);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned	mode;
	int			fix;

	if (size < 1)
		return 0;
	mode = data[0] & 3;
	fix = (data[0] & 4) != 0;
	input_start(data + 1, size - 1);
	switch (mode)
	{
		case 0:
			{
				unsigned char *copy = malloc(in_size ? in_size : 1);

				memcpy(copy, in_data, in_size);
				if (in_size >= 4)
					set_varsize(copy, (uint32_t) in_size);
				check_framework(copy, in_size, fix, NULL, NULL);
				free(copy);
				break;
			}
		case 1:
			{
				size_t		fsize;
				Framework  *fw = build_framework(&fsize);

				if (fw_check(fw, fsize) != NULL)
					abort();	/* a framework laid out right must pass */
				flip((unsigned char *) fw, 4, fsize);
				check_framework((unsigned char *) fw, fsize, fix, NULL, NULL);
				free(fw);
				break;
			}
		default:
			{
				unsigned char *state;
				size_t		len;
				RollupStateView v;

				if (mode == 2)
				{
					len = in_size;
					state = malloc(len ? len : 1);
					memcpy(state, in_data, len);
				}
				else
				{
					size_t		fsize;
					Framework  *fw = build_framework(&fsize);
					int			i,
								np = 0;
					unsigned char *p;

					len = 2 + fsize + 4 + fw->nleaves + 8 * (size_t) fw->nleaves;
					state = malloc(len);
					p = state;
					*p++ = ROLLUP_STATE_VERSION;
					/* the whole framework, or only its header */
					if (take() % 4 == 0)
					{
						*p++ = ROLLUP_FW_ARGUMENT;
						memcpy(p, fw, FW_HEADER_SIZE);
						p += FW_HEADER_SIZE;
					}
					else
					{
						*p++ = ROLLUP_FW_EMBEDDED;
						memcpy(p, fw, fsize);
						p += fsize;
					}
					memcpy(p, &fw->nleaves, 4);
					p += 4;
					for (i = 0; i < fw->nleaves; i++)
						np += (*p++ = (take() % 3 != 0));
					for (i = 0; i < np; i++)
					{
						double		d = (take() % 9) / 8.0;

						memcpy(p, &d, 8);
						p += 8;
					}
					len = (size_t) (p - state);
					free(fw);
					flip(state, 1, len);
				}
				/* a state without its framework is matched against the
				 * aggregate's argument by the server: nothing to evaluate */
				if (rollup_state_parse(state, len, &v) == NULL && v.carried == ROLLUP_FW_EMBEDDED)
				{
					double	   *values;
					int			i,
								k = 0;
					Framework  *hdr = aligned_alloc(8, (v.fw_size + 7) & ~(size_t) 7);

					/* the checks the server makes before using the state */
					memcpy(hdr, v.fw, v.fw_size);
					if (fix)
						hdr->fingerprint = fw_fingerprint(hdr, v.fw_size);
					if (fw_check(hdr, v.fw_size) == NULL && v.nleaves == hdr->nleaves)
					{
						values = malloc(sizeof(double) * (v.nleaves ? v.nleaves : 1));
						for (i = 0; i < v.nleaves; i++)
							if (v.present[i])
								memcpy(&values[i], v.values + 8 * (size_t) k++, 8);
							else
								values[i] = 0;
						evaluate(hdr, v.present, values);
						free(values);
					}
					free(hdr);
				}
				free(state);
				break;
			}
	}
	return 0;
}
