/*-------------------------------------------------------------------------
 *
 * pipeline_core.c
 *	  The table of byte strings and the imputation fills of pipeline()
 *	  (see pipeline_core.h).
 *
 *-------------------------------------------------------------------------
 */
#include "pipeline_core.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a over the bytes, then a final avalanche (murmur3's fmix32). */
uint32_t
pl_hash(const char *s, size_t len)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		h ^= (unsigned char) s[i];
		h *= 16777619u;
	}
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* A table of slots for at least 2 n keys, all empty. */
static void
make_slots(PlKeys *k, int32_t n, PlAlloc alloc)
{
	uint32_t	size = 16;

	while (size < 2 * (uint32_t) n)
		size <<= 1;
	k->slots = alloc(sizeof(int32_t) * size);
	memset(k->slots, 0xff, sizeof(int32_t) * size);
	k->mask = size - 1;
}

void
pl_keys_init(PlKeys *k, int32_t n, PlAlloc alloc)
{
	if (n < 8)
		n = 8;
	k->n = 0;
	k->cap = n;
	k->key = alloc(sizeof(char *) * (size_t) n);
	k->len = alloc(sizeof(int32_t) * (size_t) n);
	k->hash = alloc(sizeof(uint32_t) * (size_t) n);
	make_slots(k, n, alloc);
}

int32_t
pl_keys_find(const PlKeys *k, const char *s, int32_t len, uint32_t hash)
{
	uint32_t	i = hash & k->mask;

	for (;;)
	{
		int32_t		e = k->slots[i];

		if (e < 0)
			return -1;
		if (k->hash[e] == hash && k->len[e] == len && memcmp(k->key[e], s, (size_t) len) == 0)
			return e;
		i = (i + 1) & k->mask;
	}
}

/* Put number e into the first empty slot of its probe sequence. */
static void
place(PlKeys *k, int32_t e)
{
	uint32_t	i = k->hash[e] & k->mask;

	while (k->slots[i] >= 0)
		i = (i + 1) & k->mask;
	k->slots[i] = e;
}

int32_t
pl_keys_add(PlKeys *k, const char *s, int32_t len, uint32_t hash, PlAlloc alloc)
{
	int32_t		e = k->n;

	if (k->n == k->cap)
	{
		int32_t		cap = k->cap * 2;
		const char **key = alloc(sizeof(char *) * (size_t) cap);
		int32_t    *lens = alloc(sizeof(int32_t) * (size_t) cap);
		uint32_t   *hashes = alloc(sizeof(uint32_t) * (size_t) cap);
		int32_t		i;

		memcpy(key, k->key, sizeof(char *) * (size_t) k->n);
		memcpy(lens, k->len, sizeof(int32_t) * (size_t) k->n);
		memcpy(hashes, k->hash, sizeof(uint32_t) * (size_t) k->n);
		k->key = key;
		k->len = lens;
		k->hash = hashes;
		k->cap = cap;
		make_slots(k, cap, alloc);
		for (i = 0; i < k->n; i++)
			place(k, i);
	}
	k->key[e] = s;
	k->len[e] = len;
	k->hash[e] = hash;
	k->n++;
	place(k, e);
	return e;
}

int
pl_bytes_cmp(const char *a, int32_t alen, const char *b, int32_t blen)
{
	int			c = memcmp(a, b, (size_t) (alen < blen ? alen : blen));

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

double
pl_median(double *x, size_t n)
{
	size_t		lo = (n - 1) / 2,
				hi = n / 2;

	qsort(x, n, sizeof(double), cmp_double);
	if (lo == hi)
		return x[lo];
	return x[lo] + (x[hi] - x[lo]) * 0.5;
}
