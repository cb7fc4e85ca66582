/*-------------------------------------------------------------------------
 *
 * tree_eval_core.c
 *	  The one evaluator of a framework's tree (see tree_eval_core.h), with
 *	  no server dependency.
 *
 *-------------------------------------------------------------------------
 */
#include "tree_eval_core.h"

#include <math.h>

#include "compensated_sum.h"

/* The tree of a framework as plain arrays. */
FwTree *
fw_tree_from_framework(const Framework *fw, FwAlloc alloc)
{
	FwTree	   *t = alloc(sizeof(FwTree));
	int			n = fw->nnodes;
	int32_t    *parent = alloc(sizeof(int32_t) * n);
	int32_t    *first = alloc(sizeof(int32_t) * n);
	int32_t    *next = alloc(sizeof(int32_t) * n);
	int32_t    *leaf = alloc(sizeof(int32_t) * n);
	uint8_t    *method = alloc(sizeof(uint8_t) * n);
	uint8_t    *missing = alloc(sizeof(uint8_t) * n);
	double	   *weight = alloc(sizeof(double) * n);
	double	   *threshold = alloc(sizeof(double) * n);
	double	   *full_alpha = alloc(sizeof(double) * n);
	int			i;

	for (i = 0; i < n; i++)
	{
		const FrameworkNode *f = &fw->nodes[i];

		parent[i] = f->parent;
		first[i] = f->first_child;
		next[i] = f->next_sibling;
		leaf[i] = f->leaf_index;
		method[i] = f->method;
		missing[i] = f->missing;
		weight[i] = f->weight;
		threshold[i] = f->threshold;
	}
	t->nnodes = n;
	t->nleaves = fw->nleaves;
	t->parent = parent;
	t->first_child = first;
	t->next_sibling = next;
	t->leaf_index = leaf;
	t->method = method;
	t->missing = missing;
	t->weight = weight;
	t->threshold = threshold;
	fw_tree_plan(t, full_alpha);
	return t;
}

/*
 * Each node's normalised weight in its parent when every weighted child of
 * the parent has a value: w / sum(w), the sum compensated, in sibling order,
 * as fw_tree_evaluate() computes it.
 */
void
fw_tree_plan(FwTree *t, double *full_alpha)
{
	int			i,
				k;

	for (i = 0; i < t->nnodes; i++)
		full_alpha[i] = 0.0;
	for (i = 0; i < t->nnodes; i++)
	{
		CompensatedSum wsum;

		if (t->first_child[i] < 0)
			continue;
		csum_init(&wsum);
		for (k = t->first_child[i]; k >= 0; k = t->next_sibling[k])
			if (t->weight[k] > 0)
				csum_add(&wsum, t->weight[k]);
		for (k = t->first_child[i]; k >= 0; k = t->next_sibling[k])
			if (t->weight[k] > 0)
				full_alpha[k] = t->weight[k] / csum_total(&wsum);
	}
	t->full_alpha = full_alpha;
}
