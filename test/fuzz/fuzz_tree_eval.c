/*
 * fuzz_tree_eval.c
 *	  libFuzzer harness for the one tree evaluator, fw_tree_evaluate
 *	  (tree_eval_core.c), which rollup(), rank_intervals() and drop_one()
 *	  share.
 *
 * Builds a tree of up to 48 nodes in preorder from the bytes (each node's
 * parent is the previous node or one of its ancestors) with methods,
 * missing rules, thresholds, weights (some 0) and leaf values (some
 * missing, some 0 or negative), evaluates it and checks what the rules
 * promise: leaves carry their input; a node has a value exactly when some
 * counted child is present and their share reaches the threshold; the
 * normalised weights of a node's counted children sum to 1 and are 0
 * elsewhere; every mean lies between the least and the greatest value it
 * averages; a negative value is reported only under gmean or hmean; the
 * root's outcome matches the root node; and the shortcut for nodes whose
 * children all have a value (fw_tree_plan) gives the bits of the general
 * rule, with or without the weights out.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tree_eval_core.h"
#include "harness.h"

#define MAXN 48

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int32_t		parent[MAXN],
				first[MAXN],
				next[MAXN],
				leaf[MAXN],
				last_child[MAXN];
	uint8_t		method[MAXN],
				missing[MAXN],
				present[MAXN],
				has[MAXN],
				has2[MAXN];
	double		weight[MAXN],
				threshold[MAXN],
				values[MAXN],
				val[MAXN],
				val2[MAXN],
				alpha[MAXN],
				full_alpha[MAXN];
	double		root = 0,
				root2 = 0;
	FwTree		t,
				t2;
	int			n,
				nl = 0,
				i,
				k,
				bad = -1,
				bad2 = -1,
				rc,
				rc2;

	input_start(data, size);
	n = 1 + take() % MAXN;
	for (i = 0; i < n; i++)
	{
		first[i] = next[i] = last_child[i] = -1;
		parent[i] = -1;
		if (i > 0)
		{
			int			a = i - 1;
			unsigned	up = take() % 4;

			while (up-- > 0 && parent[a] >= 0)
				a = parent[a];
			parent[i] = a;
			if (last_child[a] < 0)
				first[a] = i;
			else
				next[last_child[a]] = i;
			last_child[a] = i;
		}
		method[i] = 1 + take() % 4;
		missing[i] = take() % 2;
		threshold[i] = (take() % 5) / 4.0;
		weight[i] = (take() % 6) * 0.5;
	}
	for (i = 0; i < n; i++)
	{
		leaf[i] = -1;
		if (first[i] < 0)
		{
			unsigned	b = take();

			method[i] = FW_LEAF;
			leaf[i] = nl;
			present[nl] = (b % 7) != 0;
			values[nl] = (b % 11 == 0) ? -0.5 : (b % 13) / 12.0;
			nl++;
		}
	}
	t.nnodes = n;
	t.nleaves = nl;
	t.parent = parent;
	t.first_child = first;
	t.next_sibling = next;
	t.leaf_index = leaf;
	t.method = method;
	t.missing = missing;
	t.weight = weight;
	t.threshold = threshold;
	t.full_alpha = NULL;
	t2 = t;
	fw_tree_plan(&t, full_alpha);

	/* with the plan and the weights out, and by the general rule alone */
	rc = fw_tree_evaluate(&t, weight, method, values, present, val, has,
						  alpha, &root, &bad);
	rc2 = fw_tree_evaluate(&t2, weight, method, values, present, val2, has2,
						   NULL, &root2, &bad2);
	if (rc != rc2 || bad != bad2)
		abort();
	if (rc == FW_EVAL_NEGATIVE)
	{
		int			p;

		if (bad <= 0 || bad >= n || !has[bad] || !(val[bad] < 0))
			abort();
		p = parent[bad];
		if (method[p] != FW_GMEAN && method[p] != FW_HMEAN)
			abort();
		return 0;
	}
	if (rc == FW_EVAL_OK ? (!has[0] || memcmp(&root, &val[0], sizeof(double)) != 0 ||
							memcmp(&root2, &root, sizeof(double)) != 0)
		: (rc != FW_EVAL_NULL || has[0]))
		abort();
	if (memcmp(val, val2, sizeof(double) * n) != 0 ||
		memcmp(has, has2, n) != 0 || alpha[0] != 1.0)
		abort();

	for (i = 0; i < n; i++)
	{
		int			counted = 0,
					npresent = 0;
		double		sum = 0,
					lo = HUGE_VAL,
					hi = -HUGE_VAL;

		if (first[i] < 0)
		{
			if (has[i] != present[leaf[i]] ||
				(has[i] && memcmp(&val[i], &values[leaf[i]], sizeof(double)) != 0))
				abort();
			continue;
		}
		for (k = first[i]; k >= 0; k = next[k])
		{
			if (!(weight[k] > 0))
			{
				if (alpha[k] != 0)
					abort();
				continue;
			}
			counted++;
			npresent += has[k];
			if (!has[i] || (!has[k] && missing[i] == FW_MISSING_DROP))
			{
				if (alpha[k] != 0)
					abort();
				continue;
			}
			if (!(alpha[k] > 0) || alpha[k] > 1)
				abort();
			sum += alpha[k];
			lo = fmin(lo, has[k] ? val[k] : 0.0);
			hi = fmax(hi, has[k] ? val[k] : 0.0);
		}
		if ((npresent > 0 && npresent >= threshold[i] * counted) != (has[i] != 0))
			abort();
		if (!has[i])
			continue;
		if (fabs(sum - 1) > 1e-12)
			abort();
		if (val[i] < lo - 1e-12 * fabs(lo) - 1e-300 ||
			val[i] > hi + 1e-12 * fabs(hi) + 1e-300)
			abort();
	}
	return 0;
}
