/*
 * harness.h
 *	  What the fuzz harnesses (test/fuzz/fuzz_*.c) and the determinism
 *	  driver (test/determinism/rank_core_driver.c) share: a cursor over the
 *	  fuzzer's input bytes, allocation that aborts on failure, tracked
 *	  allocations for cores that allocate without freeing, and packing a
 *	  scoring rule into aligned memory.  Each program includes it once.
 */
#ifndef DTI_TEST_HARNESS_H
#define DTI_TEST_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The input, read one byte at a time; 0 past its end. */
static const uint8_t *in_data;
static size_t in_size;
static size_t in_pos;

static inline void
input_start(const uint8_t *data, size_t size)
{
	in_data = data;
	in_size = size;
	in_pos = 0;
}

static inline unsigned
take(void)
{
	return in_pos < in_size ? in_data[in_pos++] : 0;
}

/* malloc that never returns NULL (size 0 allowed). */
static inline void *
xalloc(size_t size)
{
	void	   *p = malloc(size ? size : 1);

	if (p == NULL)
	{
		fprintf(stderr, "out of memory\n");
		abort();
	}
	return p;
}

/* The cores allocate without freeing: keep what they took, free it after. */
static void **blocks;
static int	nblocks;
static int	maxblocks;

static inline void *
tracked_alloc(size_t size)
{
	void	   *p = xalloc(size);

	if (nblocks == maxblocks)
	{
		maxblocks = maxblocks ? 2 * maxblocks : 64;
		blocks = realloc(blocks, sizeof(void *) * maxblocks);
		if (blocks == NULL)
			abort();
	}
	blocks[nblocks++] = p;
	return p;
}

static inline void
free_blocks(void)
{
	while (nblocks > 0)
		free(blocks[--nblocks]);
}

#ifdef SCORING_RULE_CORE_H
/* Pack a scoring rule spec into fresh 8-byte aligned memory. */
static inline SrRule *
pack(const SrSpec *spec, size_t *size)
{
	SrRule	   *rule;

	*size = sr_packed_size(spec);
	rule = (SrRule *) aligned_alloc(8, (*size + 7) & ~(size_t) 7);
	if (rule == NULL)
		abort();
	sr_pack(spec, rule);
	return rule;
}
#endif

#endif							/* DTI_TEST_HARNESS_H */
