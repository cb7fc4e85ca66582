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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scoring_rule_core.h"

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
	int32_t		rules_at;		/* offset of the rules area, 0 for none */
	uint64_t	fingerprint;	/* hash of everything after this field */
	FrameworkNode nodes[];
	/* then the codes' bytes, then (rules_at > 0) the rules area */
} Framework;

/*
 * The rules area (a framework that carries its leaves' scoring rules, see
 * framework_rules()): at rules_at, 8-byte aligned, one uint32 per leaf,
 * the offset of its rule from rules_at (0: the leaf has none); then the
 * packed rules (SrRule with its 4-byte length word), each 8-byte aligned.
 * Only absolute and statistics-relative rules are allowed.  A framework
 * without rules has rules_at 0 and the layout of dti 0.8.0, to the byte.
 */

#define FW_HEADER_SIZE	offsetof(Framework, nodes)
#define FW_CODES(fw)	((char *) &(fw)->nodes[(fw)->nnodes])
#define FW_CODE(fw, i)	(FW_CODES(fw) + (fw)->nodes[i].code_offset)

/* Bytes of the code area of a framework of size bytes. */
static inline size_t
fw_code_area(const Framework *fw, size_t size)
{
	size_t		end = fw->rules_at > 0 ? (size_t) fw->rules_at : size;

	return end - (size_t) (FW_CODES(fw) - (const char *) fw);
}

/* The scoring rule of leaf number leaf (of a checked framework), or NULL. */
static inline const SrRule *
fw_leaf_rule(const Framework *fw, int leaf)
{
	const char *area;
	uint32_t	off;

	if (fw->rules_at <= 0)
		return NULL;
	area = (const char *) fw + fw->rules_at;
	memcpy(&off, area + sizeof(uint32_t) * (size_t) leaf, sizeof(off));
	return off == 0 ? NULL : (const SrRule *) (area + off);
}

/*
 * x with a zero of either sign as +0.  The numbers of frameworks and
 * scorecards are kept so: their text forms are JSON read through numeric,
 * which has no -0, so a -0 would not read back (and a framework read back
 * with 0 would no longer be the framework its leaf vectors name).
 */
static inline double
fw_unsigned_zero(double x)
{
	return x == 0 ? 0.0 : x;
}

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

/* Set the varlena header to a total size (as SET_VARSIZE does). */
static inline void
fw_set_varsize(void *p, uint32_t size)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	uint32_t	h = size & 0x3FFFFFFF;
#else
	uint32_t	h = size << 2;
#endif

	memcpy(p, &h, sizeof(h));
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

/* One node of a scorecard. */
typedef struct ScorecardNode
{
	int32_t		parent;
	int32_t		level;
	int32_t		present;		/* leaves present in the subtree */
	int32_t		expected;		/* leaves in the subtree */
	uint32_t	code_offset;
	uint16_t	code_len;
	uint8_t		method;
	uint8_t		flags;			/* SC_HAS_* */
	double		value;
	double		points;
	double		max_points;
	double		alpha;			/* normalised weight used in the parent */
} ScorecardNode;

#define SC_HAS_VALUE	0x01
#define SC_HAS_POINTS	0x02
#define SC_HAS_MAX		0x04

#define SCORECARD_VERSION	1

/* A varlena, like Framework. */
typedef struct Scorecard
{
	int32_t		vl_len_;
	uint8_t		version;
	uint8_t		pad[3];
	int32_t		nnodes;
	int32_t		pad2;
	ScorecardNode nodes[];
	/* then the codes' bytes */
} Scorecard;

#define SC_CODES(sc)	((char *) &(sc)->nodes[(sc)->nnodes])
#define SC_CODE(sc, i)	(SC_CODES(sc) + (sc)->nodes[i].code_offset)

/* One node as given by the user (array elements or a JSON object). */
typedef struct FwNodeSpec
{
	const char *code;			/* a valid indicator code */
	int			code_len;
	const char *parent;			/* a valid code; NULL for the root */
	int			parent_len;
	bool		has_max;
	double		max_points;
	bool		has_weight;
	double		weight;
	const char *method;			/* NUL-terminated; NULL: the default */
	const char *missing;		/* NUL-terminated; NULL: the default */
	bool		has_threshold;
	double		threshold;
	const SrRule *rule;			/* a leaf's scoring rule, packed and checked
								 * (its length word set); NULL for none */
} FwNodeSpec;

/* What fw_compile found wrong, for the caller to report. */
typedef enum FwCompileProblem
{
	FWC_OK = 0,
	FWC_EMPTY,					/* no node */
	FWC_TOO_MANY,				/* more than FRAMEWORK_MAX_NODES */
	FWC_DUPLICATE,				/* node appears twice */
	FWC_TWO_ROOTS,				/* other and node have no parent */
	FWC_ORPHAN,					/* node's parent is not in the framework */
	FWC_CYCLE,					/* node is on a cycle (no_root: none is a root) */
	FWC_NOT_FINITE,				/* what of node is NaN or infinite */
	FWC_NEGATIVE,				/* what of node is value < 0 */
	FWC_THRESHOLD,				/* threshold of node is value > 1 */
	FWC_LEAF_UNWEIGHTED,		/* leaf node has neither weight nor max */
	FWC_METHOD,					/* node's method is unknown */
	FWC_MISSING,				/* node's missing rule is unknown */
	FWC_NEEDS_MAX,				/* node under points parent other has no max */
	FWC_MAX_OVERFLOW,			/* node's children's max points overflow */
	FWC_WEIGHT_OVERFLOW,		/* node's children's weights overflow */
	FWC_NEEDS_WEIGHT,			/* node under mean parent other has no weight */
	FWC_RULE_INNER,				/* node has a rule but is not a leaf */
	FWC_RULE_KIND				/* node's rule is a grade or rank rule */
} FwCompileProblem;

typedef struct FwCompileError
{
	FwCompileProblem problem;
	int			node;			/* index into the specs */
	int			other;			/* the second node named, or -1 */
	const char *what;			/* "max points", "weight", "threshold" */
	double		value;
	int			method;			/* FWC_NEEDS_WEIGHT: the parent's method */
	bool		no_root;		/* FWC_CYCLE: no node lacks a parent */
} FwCompileError;

typedef void *(*FwAlloc) (size_t size);

/*
 * Compile and validate n node specifications into a Framework (allocated
 * with alloc, like every scratch array; the caller frees them all).
 * Returns NULL with *err set at the first problem, in a fixed order:
 * counts, duplicates, roots and orphans (in input order), cycles, numbers
 * and leaves (in input order), methods and weights (bottom-up).  A
 * framework returned passes fw_check.
 */
extern Framework *fw_compile(const FwNodeSpec *specs, int n, FwAlloc alloc,
							 FwCompileError *err);

/* Lower-case name of an inner node's method; NULL for a leaf. */
extern const char *fw_method_name(int method);

/*
 * Open-addressing table from code bytes to an index (fw_compile,
 * framework lookups, scorecard input).  mask + 1 slots, all -1 at first.
 */
extern uint32_t fw_table_mask_for(int n);
extern int	fw_table_insert(int32_t *slots, uint32_t mask, const char *const *codes,
							const int *lens, int idx);
extern int	fw_table_lookup(const int32_t *slots, uint32_t mask,
							const char *const *codes, const int *lens,
							const char *code, int len);

/* One scorecard node as read from its text form (a JSON object). */
typedef struct ScNodeSpec
{
	const char *code;			/* a valid indicator code */
	int			code_len;
	const char *parent;			/* NULL for none */
	int			parent_len;
	const char *method;			/* NULL for none; not NUL-terminated */
	int			method_len;
	bool		has_value;
	double		value;
	bool		has_points;
	double		points;
	bool		has_max;
	double		max_points;
	bool		has_weight;
	double		weight;
	bool		has_present;
	double		present;
	bool		has_expected;
	double		expected;
} ScNodeSpec;

/*
 * Build a scorecard (allocated with alloc, like the scratch arrays) from n
 * nodes in preorder, checking what its text input promises: 1 to
 * FRAMEWORK_MAX_NODES nodes, the first the only root, codes unique, each
 * parent named before its children, known methods on inner nodes only,
 * counts whole numbers with 0 <= present <= expected <= 100000.  Values
 * are taken as given.  Returns NULL with *bad_node (1-based, 0 for the
 * whole) and a static sentence in *problem.  Linear time.
 */
extern Scorecard *sc_build(const ScNodeSpec *specs, int n, FwAlloc alloc,
						   const char **problem, int *bad_node);

/*
 * A serialized rollup() state: a version byte, the framework (a varlena,
 * unaligned here), an int32 count of leaves, one presence byte per leaf,
 * then the float8 values of the present leaves.
 */
#define ROLLUP_STATE_VERSION 2

/* How a serialized state carries its framework. */
#define ROLLUP_FW_EMBEDDED	1	/* the whole framework follows */
#define ROLLUP_FW_ARGUMENT	2	/* only its header: the reader evaluates the
								 * aggregate's framework argument itself */

typedef struct RollupStateView
{
	uint8_t		carried;		/* ROLLUP_FW_EMBEDDED or ROLLUP_FW_ARGUMENT */
	const unsigned char *fw;	/* the framework's bytes (only its header
								 * when carried is ROLLUP_FW_ARGUMENT),
								 * unaligned */
	uint32_t	fw_size;		/* the framework's size, from its header */
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

/*
 * The binary form of the type rollup_state, rollup()'s state as a value of
 * its own (what crosses parallel workers and Citus nodes, whole): in
 * network byte order,
 *
 *	 uint8 version (1), int32 number of leaves,
 *	 one byte per leaf: 1 present, 0 missing,
 *	 the float8 values of the present leaves, in leaf order,
 *	 then to the end the framework's binary form (tree_wire_core.h).
 *
 * rollup_state_decode checks everything but the framework, which the
 * caller decodes and compiles (fw_wire_decode, fw_compile) and whose leaf
 * count it compares with nleaves.
 */
#define ROLLUP_VALUE_VERSION 1

typedef struct RollupValueView
{
	int32_t		nleaves;
	int32_t		npresent;
	const unsigned char *present;	/* nleaves bytes, each 0 or 1 */
	const unsigned char *values;	/* npresent float8, network byte order */
	const unsigned char *wire;	/* the framework's binary form */
	size_t		wire_len;
} RollupValueView;

extern const char *rollup_state_decode(const unsigned char *buf, size_t len,
									   RollupValueView *v);

#endif							/* DTI_FRAMEWORK_CORE_H */
