/*-------------------------------------------------------------------------
 *
 * framework.h
 *	  Compiled index frameworks, scorecards and the evaluation that turns a
 *	  unit's leaf values into a scorecard.
 *
 * The stored layout of a framework is in framework_core.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_FRAMEWORK_H
#define DTI_FRAMEWORK_H

#include "fmgr.h"

#include "framework_core.h"

#define SCORECARD_VERSION	1

#define DatumGetFrameworkP(X)	((Framework *) PG_DETOAST_DATUM(X))

/* One node of a scorecard. */
typedef struct ScorecardNode
{
	int32		parent;
	int32		level;
	int32		present;		/* leaves present in the subtree */
	int32		expected;		/* leaves in the subtree */
	uint32		code_offset;
	uint16		code_len;
	uint8		method;
	uint8		flags;			/* SC_HAS_* */
	float8		value;
	float8		points;
	float8		max_points;
	float8		alpha;			/* normalised weight used in the parent */
} ScorecardNode;

#define SC_HAS_VALUE	0x01
#define SC_HAS_POINTS	0x02
#define SC_HAS_MAX		0x04

typedef struct Scorecard
{
	int32		vl_len_;
	uint8		version;
	uint8		pad[3];
	int32		nnodes;
	int32		pad2;
	ScorecardNode nodes[FLEXIBLE_ARRAY_MEMBER];
	/* then the codes' bytes */
} Scorecard;

#define SC_CODES(sc)	((char *) &(sc)->nodes[(sc)->nnodes])
#define SC_CODE(sc, i)	(SC_CODES(sc) + (sc)->nodes[i].code_offset)

#define DatumGetScorecardP(X)	((Scorecard *) PG_DETOAST_DATUM(X))

/* A framework ready for lookups: leaf code -> leaf index. */
typedef struct CompiledFramework
{
	Framework  *fw;				/* private copy */
	int32	   *slots;			/* open-addressing table of node indexes */
	uint32		mask;
	int32	   *next_leaf;		/* per node: the next leaf in preorder, or -1 */
} CompiledFramework;

extern const char *fw_method_name(int method);
extern uint32 fw_table_mask_for(int n);
extern int	fw_table_insert(int32 *slots, uint32 mask, const char *const *codes,
						 const int *lens, int idx);
extern int	fw_table_lookup(const int32 *slots, uint32 mask, const char *const *codes,
						 const int *lens, const char *code, int len);
extern void framework_validate(const Framework *fw, Size size);
extern CompiledFramework *framework_prepare(Framework *fw, MemoryContext cxt);
extern int	framework_find(const CompiledFramework *cf, const char *code, int len);
extern Framework *framework_cached(FunctionCallInfo fcinfo, Datum d,
								   CompiledFramework **cf);
struct JsonbContainer;
extern struct JsonbContainer *framework_json_array(const char *str, const char *type,
												   int *n);
extern Scorecard *framework_evaluate(const Framework *fw, const float8 *values,
									 const bool *present);

#endif							/* DTI_FRAMEWORK_H */
