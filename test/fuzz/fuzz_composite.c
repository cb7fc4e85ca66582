/*
 * fuzz_composite.c
 *	  libFuzzer harness for composite_core.c: the binary forms of leaf_stats
 *	  (leaf_stats_decode, called by leaf_stats_recv and, after the hex
 *	  decoding, by leaf_stats_in), of composite_state
 *	  (composite_state_decode, then fw_wire_decode of the tree it carries,
 *	  as composite_state_recv does), the hexadecimal text both text forms
 *	  use, and a packed scoring rule as a framework's rules area holds it
 *	  (sr_packed_problem, called by fw_check).
 *
 * The first byte picks the part, the rest is its input.  A value that
 * decodes must encode to the same bytes; hexadecimal text that decodes
 * must encode (lower case) to the same text, case aside; a packed rule
 * that passes must print to text that parses back to the same bytes.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "composite_core.h"
#include "harness.h"
#include "tree_wire_core.h"

static void
check_leaf_stats(const unsigned char *b, size_t len)
{
	int32_t		n;
	uint64_t	fp;
	LeafStats  *ls;
	unsigned char *again;

	if (leaf_stats_decode(b, len, &n, &fp, NULL) != NULL)
		return;
	ls = xalloc(LEAF_STATS_SIZE(n));
	memset(ls, 0, LEAF_STATS_SIZE(n));
	ls->nleaves = n;
	ls->fingerprint = fp;
	if (leaf_stats_decode(b, len, &n, &fp, ls->leaves) != NULL)
		abort();
	again = xalloc(len);
	leaf_stats_encode(ls, again);
	if (memcmp(again, b, len) != 0)
		abort();
	free(again);
	free(ls);
}

static void
check_composite_state(const unsigned char *b, size_t len)
{
	int32_t		n,
				np;
	const unsigned char *tree;
	size_t		tree_len;
	CompositeState *st;
	unsigned char *again;
	FwNodeSpec *specs;
	int			nspecs,
				bad;

	if (composite_state_decode(b, len, &n, &np, NULL, NULL, &tree, &tree_len) != NULL)
		return;
	if (tree + tree_len != b + len)
		abort();
	st = xalloc(CS_SIZE(n, tree_len));
	st->nleaves = n;
	st->tree_len = (uint32_t) tree_len;
	if (composite_state_decode(b, len, &n, &np, st->values, CS_PRESENT(st), &tree, &tree_len) != NULL)
		abort();
	st->npresent = np;
	memcpy(CS_TREE(st), tree, tree_len);
	if (composite_state_wire_size(st) != len)
		abort();
	again = xalloc(len);
	composite_state_encode(st, again);
	if (memcmp(again, b, len) != 0)
		abort();
	(void) fw_wire_decode(tree, tree_len, tracked_alloc, &specs, &nspecs, &bad);
	free_blocks();
	free(again);
	free(st);
}

static void
check_hex(const unsigned char *b, size_t len)
{
	unsigned char *out = xalloc(len / 2 + 1);
	char	   *text = xalloc(len + 1);
	size_t		i;

	if (dti_hex_decode((const char *) b, len, out) == NULL)
	{
		dti_hex_encode(out, len / 2, text);
		for (i = 0; i < len; i++)
			if (tolower(b[i]) != text[i])
				abort();
	}
	free(out);
	free(text);
}

static void
check_packed_rule(const unsigned char *b, size_t len)
{
	double	   *buf = xalloc(len + 8);
	SrRule	   *rule = (SrRule *) buf;

	memcpy(buf, b, len);
	if (sr_packed_problem(rule, len) == NULL)
	{
		char	   *text = xalloc(sr_print_bound(rule) + 1);
		size_t		tlen = sr_print(rule, text);
		SrSpec	   *spec = xalloc(sizeof(SrSpec));
		SrError		err;
		double	   *again;

		if (!sr_parse(text, tlen, spec, &err) || sr_packed_size(spec) != len)
			abort();
		again = xalloc(len + 8);
		sr_pack(spec, (SrRule *) again);
		if (memcmp((char *) again + 4, (char *) buf + 4, len - 4) != 0)
			abort();
		free(again);
		free(spec);
		free(text);
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *body;
	size_t		len;

	if (size < 1)
		return 0;
	len = size - 1;
	body = xalloc(len);
	memcpy(body, data + 1, len);
	switch (data[0] % 4)
	{
		case 0:
			check_leaf_stats(body, len);
			break;
		case 1:
			check_composite_state(body, len);
			break;
		case 2:
			check_hex(body, len);
			break;
		case 3:
			check_packed_rule(body, len);
			break;
	}
	free(body);
	return 0;
}
