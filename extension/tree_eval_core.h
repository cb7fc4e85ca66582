/*-------------------------------------------------------------------------
 *
 * tree_eval_core.h
 *	  The evaluation of a framework's tree over one unit's leaf values,
 *	  free of any server dependency: the one evaluator that rollup()
 *	  (through the scorecard), rank_intervals() and drop_one() share, and
 *	  that the fuzzers link alone.
 *
 * The method and missing-value numbers are FwMethod and FwMissing of
 * framework_core.h.  With -ffp-contract=off every result is the same bits
 * at every optimisation level.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_TREE_EVAL_CORE_H
#define DTI_TREE_EVAL_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "framework_core.h"

/* A framework as plain arrays, nodes in preorder (parents first). */
typedef struct FwTree
{
	int			nnodes;
	int			nleaves;
	const int32_t *parent;		/* -1 for the root */
	const int32_t *first_child; /* -1 for a leaf */
	const int32_t *next_sibling;	/* -1 for the last child */
	const int32_t *leaf_index;	/* -1 for an inner node */
	const uint8_t *method;		/* FwMethod */
	const uint8_t *missing;		/* FwMissing */
	const double *weight;		/* weight in the parent */
	const double *threshold;	/* least share of counted children present */

	/*
	 * Per node, its normalised weight in its parent when every child of
	 * the parent that takes part (weight > 0) has a value, worked out once
	 * from the tree's own weights with the sum, terms and order of the
	 * general rule; 0 for the root and for nodes that do not take part.
	 * May be NULL.
	 */
	const double *full_alpha;
} FwTree;

/* outcome of an evaluation */
#define FW_EVAL_OK			0
#define FW_EVAL_NULL		1	/* the root has no value */
#define FW_EVAL_NEGATIVE	2	/* negative value under gmean or hmean */

/*
 * The tree of a framework (one that passed fw_check), its arrays allocated
 * with alloc.
 */
extern FwTree *fw_tree_from_framework(const Framework *fw, FwAlloc alloc);

/*
 * Work out t->full_alpha from the tree's own weights into full_alpha (nnodes
 * elements) and point t at it (fw_tree_from_framework does this).
 */
extern void fw_tree_plan(FwTree *t, double *full_alpha);

/*
 * Evaluate the tree over one unit's leaf values (values[l] counts only
 * where present[l]), with per-node weights and methods (usually the
 * tree's own; perturbed for a draw of rank_intervals, a weight set to 0
 * for drop_one).  Nodes are in preorder, so a backwards pass sees every
 * child before its parent.
 *
 * A child takes part in its parent when its weight is positive.  Among
 * those, if none is present or the share present is below the parent's
 * threshold, the parent has no value.  Otherwise the normalised weights
 * alpha are w / sum(w) over the present children (missing = drop) or over
 * all of them (missing = zero, a missing child counting as 0), and
 *   points, amean: sum(alpha * v)
 *   gmean:         exp(sum(alpha * ln v)), 0 when a counted value is 0
 *   hmean:         1 / sum(alpha / v),     0 when a counted value is 0
 * Sums are compensated (compensated_sum.h), in sibling order.  With the
 * tree's own weights (weight == t->weight) and t->full_alpha set, a
 * points or amean node whose counted children all have a value takes their
 * normalised weights from full_alpha instead of summing them again: the
 * same bits, one pass fewer.
 *
 * Out: val[i] and has[i] per node (val 0 where has is 0), and, when alpha
 * is not NULL, alpha[i]: the normalised weight node i got in its parent (1
 * for the root, 0 when it did not count).  Returns FW_EVAL_OK with *root
 * set, FW_EVAL_NULL, or FW_EVAL_NEGATIVE with *bad_node the offending
 * child (its value in val[]).
 */
extern int	fw_tree_evaluate(const FwTree *t, const double *weight,
							 const uint8_t *method, const double *values,
							 const uint8_t *present, double *val, uint8_t *has,
							 double *alpha, double *root, int *bad_node);

#endif							/* DTI_TREE_EVAL_CORE_H */
