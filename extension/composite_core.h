/*-------------------------------------------------------------------------
 *
 * composite_core.h
 *	  The two aggregate states of a whole composite (leaf rules, statistics
 *	  and roll-up): leaf_stats, the statistics of every leaf of a framework
 *	  in one value, and composite_state, one unit's scored leaf values with
 *	  the tree they roll up through.  Their layouts, and the encoders and
 *	  decoders of their binary forms, free of any server dependency so that
 *	  fuzzers link them alone.
 *
 * Both are varlenas updated in place by their aggregates' transition
 * functions.  Their binary forms (send and recv; the text forms are these
 * bytes in hexadecimal) are portable: integers and float8 in network byte
 * order.
 *
 *	 leaf_stats:      uint8 version (1), int32 nleaves, uint64 fingerprint
 *	                  of the framework, then per leaf the ISTATS_STATE_SIZE
 *	                  bytes of istats_state_encode.
 *	 composite_state: uint8 version (1), int32 nleaves, int32 npresent,
 *	                  uint32 tree length, one byte per leaf (1 present, 0
 *	                  not), the float8 values of the present leaves, then
 *	                  the tree: the framework's binary form, version 2
 *	                  (tree_wire_core.h), without its rules.
 *
 * Decoders check every byte and return NULL, or a static English sentence
 * (capitalised, no final dot) saying what is wrong.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_COMPOSITE_CORE_H
#define DTI_COMPOSITE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "indicator_stats_core.h"

#define LEAF_STATS_VERSION		1
#define COMPOSITE_STATE_VERSION 1

/* leaf_stats in memory: the header, then one accumulator per leaf. */
typedef struct LeafStats
{
	int32_t		vl_len_;
	uint8_t		version;
	uint8_t		pad[3];
	int32_t		nleaves;
	int32_t		pad2;
	uint64_t	fingerprint;	/* of the framework the leaves are of */
	IstatsState leaves[];
} LeafStats;

#define LEAF_STATS_SIZE(n)		(offsetof(LeafStats, leaves) + sizeof(IstatsState) * (size_t) (n))
#define LEAF_STATS_WIRE_SIZE(n) (1 + 4 + 8 + (size_t) ISTATS_STATE_SIZE * (size_t) (n))

/*
 * composite_state in memory: the header, nleaves float8 values, nleaves
 * presence bytes, then tree_len bytes of the tree's binary form.
 */
typedef struct CompositeState
{
	int32_t		vl_len_;
	uint8_t		version;
	uint8_t		pad[3];
	int32_t		nleaves;
	int32_t		npresent;
	uint32_t	tree_len;
	int32_t		pad2;
	uint64_t	source;			/* in memory only: the fingerprint of the
								 * framework the rows came with, for a cheap
								 * check per row (not in the binary form) */
	double		values[];
} CompositeState;

#define CS_HEADER_SIZE			offsetof(CompositeState, values)
#define CS_PRESENT(st)			((uint8_t *) &(st)->values[(st)->nleaves])
#define CS_TREE(st)				(CS_PRESENT(st) + (st)->nleaves)
#define CS_SIZE(nleaves, tree_len) \
	(CS_HEADER_SIZE + (sizeof(double) + 1) * (size_t) (nleaves) + (size_t) (tree_len))

/* The binary form of a leaf_stats value (LEAF_STATS_WIRE_SIZE bytes). */
extern void leaf_stats_encode(const LeafStats *ls, unsigned char *out);

/*
 * Decode a leaf_stats value's binary form: *nleaves and *fingerprint, and
 * (when into is not NULL, with room for them) the accumulators, each
 * checked by istats_state_decode.  Call with into NULL to learn the size.
 */
extern const char *leaf_stats_decode(const unsigned char *buf, size_t len,
									 int32_t *nleaves, uint64_t *fingerprint,
									 IstatsState *into);

/* Size of a composite_state's binary form, and writing it. */
extern size_t composite_state_wire_size(const CompositeState *st);
extern void composite_state_encode(const CompositeState *st, unsigned char *out);

/*
 * Take a composite_state's binary form apart: the counts, the presence
 * bytes (0 or 1, npresent of them 1), the finite values, and where the
 * tree's bytes are (fw_wire_decode checks those).  values gets nleaves
 * float8 (0 where absent) and present nleaves bytes, when not NULL.
 */
extern const char *composite_state_decode(const unsigned char *buf, size_t len,
										  int32_t *nleaves, int32_t *npresent,
										  double *values, uint8_t *present,
										  const unsigned char **tree,
										  size_t *tree_len);

/*
 * Hexadecimal text (an even number of digits 0-9, a-f, A-F) into bytes;
 * out has room for len / 2.  Returns NULL or a sentence.
 */
extern const char *dti_hex_decode(const char *s, size_t len, unsigned char *out);
extern void dti_hex_encode(const unsigned char *b, size_t len, char *out);

#endif							/* DTI_COMPOSITE_CORE_H */
