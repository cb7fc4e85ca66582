/*-------------------------------------------------------------------------
 *
 * leaf_vector.h
 *	  The type leaf_vector (layout in leaf_vector_core.h): one unit's leaf
 *	  values in a framework's leaf order, collected by the aggregate
 *	  leaf_vector(fw, code, value) without the tree, and evaluated by
 *	  rollup(fw, vector), leaf_stats(fw, vector) and composite(fw, stats,
 *	  vector), which are given the framework again.
 *
 * The C API for other parts of the extension that build or read vectors.
 * A vector's values are finite (every constructor checks), absent leaves
 * hold 0.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_LEAF_VECTOR_H
#define DTI_LEAF_VECTOR_H

#include "fmgr.h"

#include "framework.h"
#include "leaf_vector_core.h"

#define DatumGetLeafVectorP(X)		((LeafVector *) PG_DETOAST_DATUM(X))
#define PG_GETARG_LEAF_VECTOR_P(n)	DatumGetLeafVectorP(PG_GETARG_DATUM(n))

/* An empty vector of framework cf, palloc'd in the current memory context. */
extern LeafVector *leaf_vector_new(CompiledFramework *cf);

/*
 * Raise 22023 unless vector lv was made with framework cf (the same hash
 * of the binary form, the same number of leaves).  fname names the
 * function in the message.
 */
extern void leaf_vector_check(const LeafVector *lv, CompiledFramework *cf,
							  const char *fname);

/*
 * Set leaf number leaf of lv (made with cf) to v: 22023 for a value that is
 * not finite, 21000 for a leaf that already has a value.
 */
extern void leaf_vector_put(LeafVector *lv, const CompiledFramework *cf, int leaf,
							double v);

/* The code of leaf number leaf of a framework, palloc'd, for messages. */
extern char *framework_leaf_code(const Framework *fw, int leaf);

#endif							/* DTI_LEAF_VECTOR_H */
