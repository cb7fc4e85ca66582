/*-------------------------------------------------------------------------
 *
 * framework.h
 *	  The framework type: a compiled, immutable index tree, and its form
 *	  ready for lookups and evaluation within a query.
 *
 * The stored layout is in framework_core.h, the evaluation of the tree in
 * tree_eval_core.h.  Dependencies run one way: the server-free cores, then
 * the types (framework.c, then scorecard.c, which uses this header), then
 * the aggregates and ranking (rollup.c, rank_intervals.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_FRAMEWORK_H
#define DTI_FRAMEWORK_H

#include "fmgr.h"
#include "pg_compat.h"

#include "framework_core.h"
#include "tree_eval_core.h"

#define DatumGetFrameworkP(X)	((Framework *) PG_DETOAST_DATUM(X))

/* A framework ready for lookups and evaluation. */
typedef struct CompiledFramework
{
	Framework  *fw;				/* private copy */
	FwTree	   *tree;			/* the tree as plain arrays */
	const char **codes;			/* per node: its code's bytes in fw */
	int		   *lens;			/* per node: their length */
	int32	   *slots;			/* fw_table_* table of node indexes */
	uint32		mask;
	int32	   *next_leaf;		/* per node: the next leaf in preorder, or -1 */
	/* filled by framework_wire() when first needed: */
	unsigned char *wire;		/* the binary form (tree_wire_core.h) */
	uint32		wire_len;
	uint64		wire_hash;		/* fw_wire_hash of the binary form */
	/* filled by scorecard_evaluate() when first needed: */
	struct Scorecard *skeleton; /* scorecard_skeleton(fw) */
	double	   *eval_val;		/* per node scratch */
	double	   *eval_alpha;
	uint8	   *eval_has;
} CompiledFramework;

/*
 * The first bytes of a framework compressed inline that determine its
 * header, hence (by the fingerprint) the framework: neither pglz nor LZ4
 * encodes the header's FW_HEADER_SIZE bytes in more (framework_cached_in).
 */
#define FW_PREFIX_LEN	(VARHDRSZ_COMPRESSED + 64)

extern void framework_validate(const Framework *fw, Size size);
extern Framework *framework_from_wire(const unsigned char *bytes, size_t len);
extern CompiledFramework *framework_prepare(Framework *fw, MemoryContext cxt);
extern int	framework_find(const CompiledFramework *cf, const char *code, int len);
extern Framework *framework_cached(FunctionCallInfo fcinfo, Datum d,
								   CompiledFramework **cf);
extern Framework *framework_cached_in(void **extra, MemoryContext cxt, Datum d,
									  CompiledFramework **cf);

/*
 * The binary form of a compiled framework and its hash (cf->wire,
 * wire_len, wire_hash), made once per compiled framework, in its memory.
 * The hash names the framework in self-contained aggregate states and in
 * leaf vectors.
 */
extern void framework_wire(CompiledFramework *cf);

/*
 * Does hash h name framework cf (a leaf_vector's framework hash)?  It is
 * fw_wire_hash of the binary form (tree_wire_core.h), the same on every
 * platform; on a big-endian machine also the hash dti 0.10.0 and 0.11.0
 * wrote there (hash_bytes_extended, in that machine's byte order).
 */
extern bool framework_hash_names(CompiledFramework *cf, uint64 h);

/*
 * The one per-backend cache of frameworks compiled from binary forms that
 * states carry (rollup_state, composite_state): the framework of the bytes
 * wire[0..len), compiled (and checked as framework_recv checks) when not
 * cached.  framework_of_wire trusts hash to be the bytes' hash (a state
 * computed it when it took the bytes); framework_of_wire_bytes compares
 * the bytes themselves.
 */
extern CompiledFramework *framework_of_wire(const unsigned char *wire, size_t len,
											uint64 hash);
extern CompiledFramework *framework_of_wire_bytes(const unsigned char *wire, size_t len);

#endif							/* DTI_FRAMEWORK_H */
