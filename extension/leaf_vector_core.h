/*-------------------------------------------------------------------------
 *
 * leaf_vector_core.h
 *	  The type leaf_vector: one unit's leaf values in the leaf order of a
 *	  framework, without the framework itself.  Its layout, and the encoder
 *	  and decoder of its binary form, free of any server dependency so that
 *	  fuzzers link them alone.
 *
 * The leaves of a framework have fixed positions (leaf_index), so the
 * values of one unit can be collected, and partial collections merged,
 * without the tree: only the evaluation needs it.  A vector names its
 * framework by the 64-bit hash of the framework's binary form
 * (tree_wire_core.h; framework_wire() in framework.c), which the functions
 * that evaluate it compare with the framework they are given.
 *
 * In memory (a varlena, updated in place by the aggregate leaf_vector()):
 * the header below, nleaves float8 values (0 where absent), then the
 * presence bitmap, (nleaves + 7) / 8 bytes, leaf l at bit l % 8 of byte
 * l / 8, the bits past the last leaf 0.
 *
 * The binary form (send and recv; the text form is these bytes in
 * hexadecimal), portable, in network byte order:
 *
 *	 uint8 version (1), uint64 hash of the framework's binary form,
 *	 int32 nleaves, int32 npresent, the presence bitmap as above,
 *	 then the float8 values of the present leaves, in leaf order.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_LEAF_VECTOR_CORE_H
#define DTI_LEAF_VECTOR_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEAF_VECTOR_VERSION 1

typedef struct LeafVector
{
	int32_t		vl_len_;		/* varlena header (do not touch directly) */
	uint8_t		version;
	uint8_t		pad[3];
	int32_t		nleaves;
	int32_t		npresent;
	int32_t		last;			/* in memory only: the node of the last row
								 * added, or -1 (a hint for the next row) */
	int32_t		pad2;
	uint64_t	fw_hash;		/* hash of the framework's binary form */
	double		values[];
	/* then the presence bitmap */
} LeafVector;

#define LV_HEADER_SIZE			offsetof(LeafVector, values)
#define LV_BITMAP_BYTES(n)		(((size_t) (n) + 7) / 8)
#define LV_SIZE(n)				(LV_HEADER_SIZE + sizeof(double) * (size_t) (n) + LV_BITMAP_BYTES(n))
#define LV_BITMAP(lv)			((uint8_t *) &(lv)->values[(lv)->nleaves])
#define LV_PRESENT(lv, l)		((LV_BITMAP(lv)[(l) >> 3] >> ((l) & 7)) & 1)
#define LV_SET_PRESENT(lv, l)	(LV_BITMAP(lv)[(l) >> 3] |= (uint8_t) (1 << ((l) & 7)))

/* bytes of the binary form before the bitmap */
#define LV_WIRE_HEADER			(1 + 8 + 4 + 4)

/*
 * An empty vector of n leaves of the framework with hash fw_hash, in the
 * LV_SIZE(n) bytes at lv (its varlena header set).
 */
extern void leaf_vector_init(LeafVector *lv, int32_t n, uint64_t fw_hash);

/* Size of a vector's binary form, and writing it. */
extern size_t leaf_vector_wire_size(const LeafVector *lv);
extern void leaf_vector_encode(const LeafVector *lv, unsigned char *out);

/*
 * Take a vector's binary form apart, checking every byte: the version, the
 * counts (1 to 100000 leaves, 0 to nleaves present), the size, the bitmap
 * (npresent bits set, none past the last leaf) and that every value is
 * finite.  *nleaves and *fw_hash are set; when into is not NULL (with room
 * for LV_SIZE(*nleaves) bytes) the vector is written there.  Returns NULL,
 * or a static English sentence (capitalised, no final dot).
 */
extern const char *leaf_vector_decode(const unsigned char *buf, size_t len,
									  int32_t *nleaves, uint64_t *fw_hash,
									  LeafVector *into);

/*
 * Merge b's leaves into a (same framework, same number of leaves: the
 * caller checks).  Returns -1, or the first leaf present in both; a is
 * then half merged, and the caller raises an error.
 */
extern int	leaf_vector_merge(LeafVector *a, const LeafVector *b);

/* Presence of every leaf as one byte each (0 or 1), into out[nleaves]. */
extern void leaf_vector_present_bytes(const LeafVector *lv, uint8_t *out);

#endif							/* DTI_LEAF_VECTOR_CORE_H */
