/*-------------------------------------------------------------------------
 *
 * framework_core.h
 *	  The stored layout of a compiled framework, and the checks of a
 *	  framework and of a rollup() aggregate state that arrive as bytes,
 *	  free of any server dependency so that fuzzers can link them alone.
 *
 * A framework is an immutable tree of indicator codes.  Its nodes are kept
 * in preorder (every parent before its children, children in natural code
 * order), so a single backwards pass evaluates the tree bottom-up.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_FRAMEWORK_CORE_H
#define DTI_FRAMEWORK_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FRAMEWORK_VERSION	1
#define FRAMEWORK_MAX_NODES	100000

/* aggregation methods of inner nodes */
typedef enum FwMethod
{
	FW_LEAF = 0,
	FW_POINTS,					/* sum of points / sum of max points */
	FW_AMEAN,					/* weighted arithmetic mean */
	FW_GMEAN,					/* weighted geometric mean */
	FW_HMEAN					/* weighted harmonic mean */
} FwMethod;

/* how missing children count */
typedef enum FwMissing
{
	FW_MISSING_DROP = 0,		/* dropped with their weight, rest
								 * renormalised */
	FW_MISSING_ZERO				/* count as 0 with their weight */
} FwMissing;

typedef struct FrameworkNode
{
	int32_t		parent;			/* node index, -1 for the root */
	int32_t		first_child;	/* node index, -1 for a leaf */
	int32_t		next_sibling;	/* node index, -1 for the last child */
	int32_t		leaf_index;		/* 0..nleaves-1 for a leaf, -1 otherwise */
	int32_t		nleaves;		/* leaves in the subtree */
	int32_t		level;			/* 1 for the root */
	uint32_t	code_offset;	/* into the code area */
	uint16_t	code_len;
	uint8_t		method;			/* FwMethod */
	uint8_t		missing;		/* FwMissing */
	double		max_points;		/* NaN when not given (means only) */
	double		weight;			/* weight in the parent; the max points
								 * when no weight was given */
	double		threshold;		/* least share of children present */
} FrameworkNode;

/* A varlena: the length word is the server's 4-byte header. */
typedef struct Framework
{
	int32_t		vl_len_;
	uint8_t		version;
	uint8_t		pad[3];
	int32_t		nnodes;
	int32_t		nleaves;
	int32_t		pad2;
	uint64_t	fingerprint;	/* hash of everything after this field */
	FrameworkNode nodes[];
	/* then the codes' bytes */
} Framework;

#define FW_HEADER_SIZE	offsetof(Framework, nodes)
#define FW_CODES(fw)	((char *) &(fw)->nodes[(fw)->nnodes])
#define FW_CODE(fw, i)	(FW_CODES(fw) + (fw)->nodes[i].code_offset)

/* The total size stored in the (uncompressed, 4-byte) varlena header. */
static inline uint32_t
fw_varsize(const void *p)
{
	uint32_t	h;

	memcpy(&h, p, sizeof(h));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return h & 0x3FFFFFFF;
#else
	return (h >> 2) & 0x3FFFFFFF;
#endif
}

/*
 * The fingerprint of a framework of size bytes: the server's
 * hash_bytes_extended (src/common/hashfn.c) of everything after the
 * header, seed 0.
 */
extern uint64_t fw_fingerprint(const Framework *fw, size_t size);

/*
 * Check a framework of size bytes (8-byte aligned; its varlena header
 * already found to say size) before trusting its indexes: the header, the
 * tree links (every non-root node on its parent's child list exactly once,
 * parents before children), levels, leaf counts and numbering, methods,
 * numbers, codes, and the fingerprint must all be what framework_compile
 * produces.  Returns NULL, or a static sentence saying what is wrong.
 */
extern const char *fw_check(const Framework *fw, size_t size);

/*
 * A serialized rollup() state: a version byte, the framework (a varlena,
 * unaligned here), an int32 count of leaves, one presence byte per leaf,
 * then the float8 values of the present leaves.
 */
#define ROLLUP_STATE_VERSION 1

typedef struct RollupStateView
{
	const unsigned char *fw;	/* the framework's bytes, unaligned */
	uint32_t	fw_size;
	int32_t		nleaves;
	int32_t		npresent;
	const unsigned char *present;	/* nleaves bytes */
	const unsigned char *values;	/* npresent float8, unaligned */
} RollupStateView;

/*
 * Take a serialized state apart, checking its layout (not yet the
 * framework, see fw_check) and that every value is finite.  Returns NULL,
 * or a static sentence saying what is wrong.
 */
extern const char *rollup_state_parse(const unsigned char *buf, size_t len,
									  RollupStateView *v);

#endif							/* DTI_FRAMEWORK_CORE_H */
