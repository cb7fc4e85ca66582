/*-------------------------------------------------------------------------
 *
 * framework.h
 *	  Compiled index frameworks, scorecards and the evaluation that turns a
 *	  unit's leaf values into a scorecard.
 *
 * The stored layouts of frameworks and scorecards are in framework_core.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_FRAMEWORK_H
#define DTI_FRAMEWORK_H

#include "fmgr.h"
#include "pg_compat.h"
#include "lib/stringinfo.h"

#include "framework_core.h"

#define DatumGetFrameworkP(X)	((Framework *) PG_DETOAST_DATUM(X))

#define DatumGetScorecardP(X)	((Scorecard *) PG_DETOAST_DATUM(X))

/* A framework ready for lookups: leaf code -> leaf index. */
typedef struct CompiledFramework
{
	Framework  *fw;				/* private copy */
	int32	   *slots;			/* open-addressing table of node indexes */
	uint32		mask;
	int32	   *next_leaf;		/* per node: the next leaf in preorder, or -1 */
	int32	   *leaf_node;		/* per leaf: its node */
	int32	   *inner;			/* the inner nodes, in preorder */
	int32		ninner;
	struct Scorecard *skeleton; /* what every scorecard starts from */

	/*
	 * Per inner node (in the order of inner[]): its children that take part
	 * (weight > 0) in sibling order, kids[kid_start[j] .. kid_start[j + 1]),
	 * and their normalised weights when all of them have a value
	 * (scorecard_plan).
	 */
	int32	   *kid_start;
	int32	   *kids;
	float8	   *kid_alpha;
} CompiledFramework;

extern void framework_validate(const Framework *fw, Size size);
extern CompiledFramework *framework_prepare(Framework *fw, MemoryContext cxt);
extern int	framework_find(const CompiledFramework *cf, const char *code, int len);
extern Framework *framework_cached(FunctionCallInfo fcinfo, Datum d,
								   CompiledFramework **cf);
struct JsonbContainer;
extern struct JsonbContainer *framework_json_array(const char *str, const char *type,
												   int *n, struct Node *escontext);
extern bool tree_recv_bytes(StringInfo buf, const unsigned char **bytes, size_t *len);
extern Datum tree_recv_text(StringInfo buf, PGFunction in, const char *type);
extern void tree_recv_fail(const char *type, const char *problem, int bad_node)
			pg_attribute_noreturn();
extern Scorecard *scorecard_skeleton(const Framework *fw);
extern void scorecard_plan(CompiledFramework *cf);
extern Scorecard *framework_evaluate(const CompiledFramework *cf,
									 const float8 *values, const bool *present,
									 int32 nvalues);

#endif							/* DTI_FRAMEWORK_H */
