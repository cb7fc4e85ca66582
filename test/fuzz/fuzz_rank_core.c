/*
 * fuzz_rank_core.c
 *	  libFuzzer harness for the rank-interval core (rank_core.c).
 *
 * Builds a framework of up to 40 nodes in preorder from the bytes (each
 * node's parent is the previous node or one of its ancestors), with
 * methods, missing rules, thresholds, weights (some 0) and leaf values
 * (some missing, some negative or 0) for up to 9 units, then runs a few
 * draws and checks the results: ranks within 1..ranked units, p05 <=
 * median <= p95 within the ranks, mean between them, shares in [0, 1],
 * and the same results from a second run with the same seed.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rank_core.h"
#include "harness.h"

#define MAXN 40
#define MAXU 9

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int32_t		parent[MAXN],
				first[MAXN],
				next[MAXN],
				leaf[MAXN],
				last_child[MAXN];
	uint8_t		method[MAXN],
				missing[MAXN];
	double		weight[MAXN],
				threshold[MAXN];
	double		values[MAXU * MAXN];
	uint8_t		present[MAXU * MAXN];
	RcUnitResult r1[MAXU],
				r2[MAXU];
	FwTree		t;
	double		full_alpha[MAXN];
	RcProblem	p;
	int			n,
				nu,
				nl = 0,
				i,
				u,
				bad,
				rc1,
				rc2,
				nranked = 0;

	input_start(data, size);
	n = 1 + take() % MAXN;
	nu = 1 + take() % MAXU;
	for (i = 0; i < n; i++)
	{
		first[i] = next[i] = last_child[i] = -1;
		parent[i] = -1;
		if (i > 0)
		{
			/* the previous node or one of its ancestors */
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
		if (first[i] < 0)
		{
			method[i] = FW_LEAF;
			leaf[i] = nl++;
		}
		else
			leaf[i] = -1;
	}
	for (u = 0; u < nu; u++)
		for (i = 0; i < nl; i++)
		{
			unsigned	b = take();

			present[u * nl + i] = (b % 7) != 0;
			values[u * nl + i] = (b % 11 == 0) ? -0.5 : (b % 13) / 12.0;
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
	fw_tree_plan(&t, full_alpha);
	p.tree = &t;
	p.nunits = nu;
	p.values = values;
	p.present = present;
	p.draws = 1 + take() % 30;
	p.factor = (take() % 10) / 10.0;
	p.seed = take();
	p.alternate_methods = take() % 2;
	p.perturb = NULL;

	rc1 = rc_rank_intervals(&p, tracked_alloc, NULL, r1, &bad);
	free_blocks();
	if (rc1 == FW_EVAL_NEGATIVE)
	{
		if (bad <= 0 || bad >= n)
			abort();
		return 0;
	}
	if (rc1 != FW_EVAL_OK)
		abort();
	rc2 = rc_rank_intervals(&p, tracked_alloc, NULL, r2, &bad);
	free_blocks();
	if (rc2 != rc1 || memcmp(r1, r2, sizeof(RcUnitResult) * nu) != 0)
		abort();
	for (u = 0; u < nu; u++)
		nranked += r1[u].nominal_rank > 0;
	for (u = 0; u < nu; u++)
	{
		RcUnitResult *r = &r1[u];

		if (r->nominal_rank == 0)
			continue;
		if (r->nominal_rank > nranked || r->p05 < 1 || r->p95 > nranked ||
			r->p05 > r->median_rank || r->median_rank > r->p95 ||
			r->mean_rank < 1 || r->mean_rank > nranked ||
			!(r->keep_share >= 0 && r->keep_share <= 1))
			abort();
		if (p.factor == 0 && !p.alternate_methods &&
			(r->keep_share != 1 || r->median_rank != r->nominal_rank))
			abort();
	}
	return 0;
}
