/*-------------------------------------------------------------------------
 *
 * framework.h
 *	  Compiled index frameworks, scorecards and the evaluation that turns a
 *	  unit's leaf values into a scorecard.
 *
 * A framework is an immutable tree of indicator codes.  Its nodes are kept
 * in preorder (every parent before its children, children in natural code
 * order), so a single backwards pass evaluates the tree bottom-up.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_FRAMEWORK_H
#define DTI_FRAMEWORK_H

#include "fmgr.h"

#define FRAMEWORK_VERSION	1
#define SCORECARD_VERSION	1
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
	int32		parent;			/* node index, -1 for the root */
	int32		first_child;	/* node index, -1 for a leaf */
	int32		next_sibling;	/* node index, -1 for the last child */
	int32		leaf_index;		/* 0..nleaves-1 for a leaf, -1 otherwise */
	int32		nleaves;		/* leaves in the subtree */
	int32		level;			/* 1 for the root */
	uint32		code_offset;	/* into the code area */
	uint16		code_len;
	uint8		method;			/* FwMethod */
	uint8		missing;		/* FwMissing */
	float8		max_points;		/* NaN when not given (means only) */
	float8		weight;			/* weight in the parent; the max points
								 * when no weight was given */
	float8		threshold;		/* least share of children present */
} FrameworkNode;

typedef struct Framework
{
	int32		vl_len_;
	uint8		version;
	uint8		pad[3];
	int32		nnodes;
	int32		nleaves;
	int32		pad2;
	uint64		fingerprint;	/* hash of everything after this field */
	FrameworkNode nodes[FLEXIBLE_ARRAY_MEMBER];
	/* then the codes' bytes */
} Framework;

#define FW_CODES(fw)	((char *) &(fw)->nodes[(fw)->nnodes])
#define FW_CODE(fw, i)	(FW_CODES(fw) + (fw)->nodes[i].code_offset)

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
