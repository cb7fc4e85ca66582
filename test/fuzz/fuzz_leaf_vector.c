/*
 * fuzz_leaf_vector.c
 *	  libFuzzer harness for leaf_vector_core.c: the binary form of a leaf
 *	  vector (leaf_vector_decode, called by leaf_vector_recv and, after the
 *	  hexadecimal decoding, by leaf_vector_in), and merging two vectors
 *	  (leaf_vector_merge, the combine function's core).
 *
 * A form that decodes must encode to the same bytes, with npresent bits
 * set in the bitmap and every present value finite.  Merging the decoded
 * vector with its complement (every leaf it lacks, with values 1) must
 * give a full vector without a duplicate, keeping the values it had;
 * merging a vector that has a value with itself must report a duplicate.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "leaf_vector_core.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int32_t		n;
	uint64_t	hash;
	LeafVector *a;
	LeafVector *b;
	LeafVector *c;
	unsigned char *again;
	int32_t		l,
				count = 0;

	if (leaf_vector_decode(data, size, &n, &hash, NULL) != NULL)
		return 0;
	a = xalloc(LV_SIZE(n));
	if (leaf_vector_decode(data, size, &n, &hash, a) != NULL)
		abort();
	if (a->nleaves != n || a->fw_hash != hash || a->npresent < 0 || a->npresent > n)
		abort();
	for (l = 0; l < n; l++)
		if (LV_PRESENT(a, l))
		{
			count++;
			if (!isfinite(a->values[l]))
				abort();
		}
		else if (a->values[l] != 0.0)
			abort();
	if (count != a->npresent)
		abort();
	if (leaf_vector_wire_size(a) != size)
		abort();
	again = xalloc(size);
	leaf_vector_encode(a, again);
	if (memcmp(again, data, size) != 0)
		abort();

	/* the complement merges without a duplicate into a full vector */
	b = xalloc(LV_SIZE(n));
	leaf_vector_init(b, n, hash);
	for (l = 0; l < n; l++)
		if (!LV_PRESENT(a, l))
		{
			LV_SET_PRESENT(b, l);
			b->values[l] = 1.0;
			b->npresent++;
		}
	c = xalloc(LV_SIZE(n));
	memcpy(c, a, LV_SIZE(n));
	if (leaf_vector_merge(c, b) != -1 || c->npresent != n)
		abort();
	for (l = 0; l < n; l++)
		if (!LV_PRESENT(c, l) || c->values[l] != (LV_PRESENT(a, l) ? a->values[l] : 1.0))
			abort();
	/* a vector with a value merged with itself reports a duplicate */
	memcpy(c, a, LV_SIZE(n));
	if ((leaf_vector_merge(c, a) >= 0) != (a->npresent > 0))
		abort();
	free(a);
	free(b);
	free(c);
	free(again);
	return 0;
}
