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

#include <math.h>

#include "compensated_sum.h"
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
/*
 * Evaluate the tree bottom-up (the rules are above).  Inline, so that each
 * caller gets a copy specialised for it (rank_intervals() asks for no
 * weights out, in its innermost loop); it is still one definition.
 */
static inline int
fw_tree_evaluate(const FwTree *t, const double *weight, const uint8_t *method,
				 const double *values, const uint8_t *present, double *val,
				 uint8_t *has, double *alpha, double *root, int *bad_node)
{
	bool		planned = (weight == t->weight && t->full_alpha != NULL);
	int			i;

	for (i = t->nnodes - 1; i >= 0; i--)
	{
		int			first = t->first_child[i];
		int			k;
		int			counted = 0,
					npresent = 0;
		int			m;
		bool		zero_missing;
		bool		zero = false;
		double		total;
		CompensatedSum wsum;
		CompensatedSum acc;

		/* the parent, evaluated later, overwrites this when i counts */
		if (alpha)
			alpha[i] = (i == 0) ? 1.0 : 0.0;
		if (first < 0)
		{
			int			l = t->leaf_index[i];

			has[i] = present[l] ? 1 : 0;
			val[i] = present[l] ? values[l] : 0.0;
			continue;
		}
		m = method[i];
		if (planned && (m == FW_POINTS || m == FW_AMEAN))
		{
			bool		all = true;

			/* every counted child has a value: the weights are known */
			for (k = first; k >= 0 && all; k = t->next_sibling[k])
				if (weight[k] > 0)
				{
					counted++;
					all = has[k] != 0;
				}
			if (all && counted > 0)
			{
				csum_init(&acc);
				for (k = first; k >= 0; k = t->next_sibling[k])
					if (weight[k] > 0)
					{
						if (alpha)
							alpha[k] = t->full_alpha[k];
						csum_add(&acc, t->full_alpha[k] * val[k]);
					}
				val[i] = csum_total(&acc);
				has[i] = 1;
				continue;
			}
			counted = 0;
		}
		zero_missing = (t->missing[i] == FW_MISSING_ZERO);
		csum_init(&wsum);
		for (k = first; k >= 0; k = t->next_sibling[k])
		{
			if (!(weight[k] > 0))
				continue;
			counted++;
			if (has[k])
			{
				npresent++;
				csum_add(&wsum, weight[k]);
			}
			else if (zero_missing)
				csum_add(&wsum, weight[k]);
		}
		if (npresent == 0 || (double) npresent < t->threshold[i] * counted)
		{
			has[i] = 0;
			val[i] = 0.0;
			continue;
		}
		total = csum_total(&wsum);
		csum_init(&acc);
		for (k = first; k >= 0; k = t->next_sibling[k])
		{
			double		a,
						x;

			if (!(weight[k] > 0))
				continue;
			if (!has[k] && !zero_missing)
				continue;
			a = weight[k] / total;
			if (alpha)
				alpha[k] = a;
			x = has[k] ? val[k] : 0.0;
			if (m == FW_POINTS || m == FW_AMEAN)
				csum_add(&acc, a * x);
			else
			{
				if (x < 0)
				{
					*bad_node = k;
					return FW_EVAL_NEGATIVE;
				}
				if (x == 0)
					zero = true;
				else if (m == FW_GMEAN)
					csum_add(&acc, a * log(x));
				else
					csum_add(&acc, a / x);
			}
		}
		if (m == FW_GMEAN)
			val[i] = zero ? 0.0 : exp(csum_total(&acc));
		else if (m == FW_HMEAN)
			val[i] = zero ? 0.0 : 1.0 / csum_total(&acc);
		else
			val[i] = csum_total(&acc);
		has[i] = 1;
	}
	if (!has[0])
		return FW_EVAL_NULL;
	*root = val[0];
	return FW_EVAL_OK;
}

#endif							/* DTI_TREE_EVAL_CORE_H */
