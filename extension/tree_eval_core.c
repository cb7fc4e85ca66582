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

/* Evaluate the tree bottom-up; see tree_eval_core.h for the rules. */
int
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
