/*-------------------------------------------------------------------------
 *
 * pipeline_core.h
 *	  The in-memory parts of pipeline() that need no server: a table of
 *	  byte strings (the units and codes of the raw rows, each given a dense
 *	  number as it first appears) and the fill values of imputation (the
 *	  mean, the median as percentile_cont(0.5) computes it, the mean of a
 *	  group), on plain arrays.  Free of any server dependency so that tests
 *	  and fuzzers can link it alone.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_PIPELINE_CORE_H
#define DTI_PIPELINE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Byte strings numbered 0, 1, 2... in order of first insertion; open
 * addressing over a power-of-two table of numbers, at most half full.
 * The keys are not copied: the caller keeps them alive.
 */
typedef struct PlKeys
{
	int32_t    *slots;			/* -1 empty, else a number */
	uint32_t	mask;
	int32_t		n;				/* keys */
	int32_t		cap;			/* room in key, len, hash */
	const char **key;
	int32_t    *len;
	uint32_t   *hash;
} PlKeys;

typedef void *(*PlAlloc) (size_t size);

/* 32-bit FNV-1a of the bytes, mixed (the table's hash). */
extern uint32_t pl_hash(const char *s, size_t len);

/* An empty table with room for about n keys. */
extern void pl_keys_init(PlKeys *k, int32_t n, PlAlloc alloc);

/* The number of a key, or -1 (hash: pl_hash of it). */
extern int32_t pl_keys_find(const PlKeys *k, const char *s, int32_t len, uint32_t hash);

/*
 * Add a key known to be absent: its number.  Grows the table (with alloc;
 * the old arrays are left to the caller's memory context) when needed.
 */
extern int32_t pl_keys_add(PlKeys *k, const char *s, int32_t len, uint32_t hash,
						   PlAlloc alloc);

/* The C-collation order of two byte strings (memcmp, then length). */
extern int	pl_bytes_cmp(const char *a, int32_t alen, const char *b, int32_t blen);

/*
 * The fill of imputation by the median: percentile_cont(0.5) of the n
 * values (sorted in place; n > 0): the middle value, or the two middle
 * values' lo + (hi - lo) * 0.5.
 */
extern double pl_median(double *x, size_t n);

#endif							/* DTI_PIPELINE_CORE_H */
