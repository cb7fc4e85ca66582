/*
 * rank_core_driver.c
 *	  Runs the server-free rank-interval core on a fixed problem and prints
 *	  every result as exact hexadecimal floats, so that builds at different
 *	  optimisation levels can be compared bit for bit (test/scripts/rank_determinism.sh).
 *
 * The problem: 63 units x 100 leaves, 4 levels (index -> 4 pillars -> 20
 * main indicators -> 100 leaves); pillars use the arithmetic mean, main
 * indicators alternate between points-like arithmetic and geometric means;
 * leaf values are a fixed function of the unit and the leaf, a few missing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rank_core.h"
#include "harness.h"

#define NUNITS	63
#define NNODES	125
#define NLEAVES	100

static int	ticks = 0;

static void
tick(void)
{
	ticks++;
}

/*
 * Quantile type 7 against known values: R's quantile(1:4, c(0.05, 0.5,
 * 0.95), type = 7) is 1.15, 2.5, 3.85; of 1:10 at 0.05 and 0.95, 1.45 and
 * 9.55.  Prints a line and returns 1 on a mismatch.
 */
static int
check_quantiles(void)
{
	static const int32_t x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	static const struct
	{
		int64_t		k;
		double		p;
		double		want;
	}			cases[] = {
		{4, 0.05, 1.15}, {4, 0.5, 2.5}, {4, 0.95, 3.85}, {10, 0.05, 1.45},
		{10, 0.95, 9.55}, {1, 0.5, 1}, {10, 1.0, 10}
	};
	int			i,
				status = 0;

	for (i = 0; i < (int) (sizeof(cases) / sizeof(cases[0])); i++)
	{
		double		q = rc_quantile7_sorted(x, cases[i].k, cases[i].p);

		if (fabs(q - cases[i].want) > 1e-12)
		{
			printf("quantile7 of 1..%d at %g: %.17g, want %g\n", (int) cases[i].k,
				   cases[i].p, q, cases[i].want);
			status = 1;
		}
	}
	return status;
}

int
main(int argc, char **argv)
{
	int32_t		parent[NNODES],
				first[NNODES],
				next[NNODES],
				leaf[NNODES];
	uint8_t		method[NNODES],
				missing[NNODES];
	double		weight[NNODES],
				threshold[NNODES];
	static double values[NUNITS * NLEAVES];
	static uint8_t present[NUNITS * NLEAVES];
	RcUnitResult res[NUNITS];
	FwTree		t;
	static double full_alpha[NNODES];
	RcProblem	p;
	int			n = 0,
				nl = 0;
	int			pi,
				mi,
				li,
				u,
				bad = -1,
				rc;
	int			prev_pillar = -1;
	uint64_t	lcg = 12345;
	int			draws = argc > 1 ? atoi(argv[1]) : 1000;

	/* preorder: root, then each pillar with its mains and their leaves */
	parent[n] = -1;
	method[n] = FW_AMEAN;
	missing[n] = FW_MISSING_DROP;
	weight[n] = 1;
	threshold[n] = 0;
	leaf[n] = -1;
	next[n] = -1;
	n++;
	for (pi = 0; pi < 4; pi++)
	{
		int			p_node = n++;
		int			prev_main = -1;

		parent[p_node] = 0;
		method[p_node] = FW_AMEAN;
		missing[p_node] = FW_MISSING_DROP;
		weight[p_node] = 1 + pi;
		threshold[p_node] = 0.5;
		leaf[p_node] = -1;
		next[p_node] = -1;
		if (prev_pillar < 0)
			first[0] = p_node;
		else
			next[prev_pillar] = p_node;
		prev_pillar = p_node;
		for (mi = 0; mi < 5; mi++)
		{
			int			m_node = n++;
			int			prev_leaf = -1;

			parent[m_node] = p_node;
			method[m_node] = (mi % 2) ? FW_GMEAN : FW_POINTS;
			missing[m_node] = (mi % 2) ? FW_MISSING_DROP : FW_MISSING_ZERO;
			weight[m_node] = 10 + mi;
			threshold[m_node] = 0;
			leaf[m_node] = -1;
			next[m_node] = -1;
			if (prev_main < 0)
				first[p_node] = m_node;
			else
				next[prev_main] = m_node;
			prev_main = m_node;
			for (li = 0; li < 5; li++)
			{
				int			l_node = n++;

				parent[l_node] = m_node;
				method[l_node] = FW_LEAF;
				missing[l_node] = 0;
				weight[l_node] = 2 + (pi * 7 + mi * 3 + li) % 9;
				threshold[l_node] = 0;
				first[l_node] = -1;
				leaf[l_node] = nl++;
				next[l_node] = -1;
				if (prev_leaf < 0)
					first[m_node] = l_node;
				else
					next[prev_leaf] = l_node;
				prev_leaf = l_node;
			}
		}
	}
	for (u = 0; u < NUNITS * NLEAVES; u++)
	{
		lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
		values[u] = (double) ((lcg >> 33) % 100001) / 100000.0;
		present[u] = ((lcg >> 20) % 37) != 0;
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
	p.nunits = NUNITS;
	p.values = values;
	p.present = present;
	p.draws = draws;
	p.factor = 0.3;
	p.seed = 20260401;
	p.alternate_methods = true;
	p.perturb = NULL;

	rc = rc_rank_intervals(&p, xalloc, tick, res, &bad);
	printf("rc %d bad %d ticks %d\n", rc, bad, ticks);
	for (u = 0; u < NUNITS; u++)
		printf("%d %d %a %a %a %a %a\n", u, res[u].nominal_rank, res[u].mean_rank,
			   res[u].median_rank, res[u].p05, res[u].p95, res[u].keep_share);
	return check_quantiles();
}
