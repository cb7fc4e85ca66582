/*-------------------------------------------------------------------------
 *
 * rank_core.c
 *	  Seeded PRNG, competition ranks and the Monte Carlo
 *	  of rank intervals, with no server dependency (see rank_core.h).
 *
 * Units are evaluated by fw_tree_evaluate() (tree_eval_core.c), the
 * evaluator rollup() uses too, so with the framework's own weights and
 * methods a unit's root is the value that rollup() stores, to the bit.
 *
 *-------------------------------------------------------------------------
 */
#include "rank_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


/* splitmix64: expands the 64-bit seed into the xoshiro state. */
static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z = (*x += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Seed xoshiro256** from one 64-bit seed through splitmix64. */
void
rc_rng_seed(RcRng *rng, uint64_t seed)
{
	uint64_t	x = seed;
	int			i;

	for (i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&x);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* Next 64 random bits (xoshiro256**). */
uint64_t
rc_rng_next(RcRng *rng)
{
	uint64_t   *s = rng->s;
	uint64_t	result = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform double in [0, 1): the top 53 bits over 2^53 (exact). */
double
rc_rng_uniform(RcRng *rng)
{
	return (double) (rc_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* Descending by value; equal values by unit, so the sort is deterministic. */
static int
compare_pairs_desc(const void *a, const void *b)
{
	const RcPair *x = (const RcPair *) a;
	const RcPair *y = (const RcPair *) b;

	if (x->v != y->v)
		return (x->v < y->v) ? 1 : -1;
	return (x->i > y->i) - (x->i < y->i);
}

/* Competition ranks, higher is better; invalid units get 0. */
void
rc_competition_ranks(const double *roots, const uint8_t *valid, int n,
					 RcPair *scratch, int32_t *ranks)
{
	int			m = 0;
	int			j;

	for (j = 0; j < n; j++)
	{
		ranks[j] = 0;
		if (valid[j])
		{
			scratch[m].v = roots[j];
			scratch[m].i = j;
			m++;
		}
	}
	qsort(scratch, m, sizeof(RcPair), compare_pairs_desc);
	for (j = 0; j < m; j++)
	{
		if (j > 0 && scratch[j].v == scratch[j - 1].v)
			ranks[scratch[j].i] = ranks[scratch[j - 1].i];
		else
			ranks[scratch[j].i] = j + 1;
	}
}

/* Quantile type 7 (R's default) of k sorted values. */
double
rc_quantile7_sorted(const int32_t *x, int64_t k, double p)
{
	double		h = (double) (k - 1) * p;
	int64_t		lo = (int64_t) floor(h);

	if (lo >= k - 1)
		return (double) x[k - 1];
	return (double) x[lo] + (h - (double) lo) * (double) (x[lo + 1] - x[lo]);
}

/* The j-th smallest (0-based) rank recorded in a histogram of ranks. */
static int32_t
histogram_kth(const int32_t *hist, int nbins, int64_t j)
{
	int64_t		cum = 0;
	int			r;

	for (r = 0; r < nbins; r++)
	{
		cum += hist[r];
		if (cum > j)
			return r;
	}
	return nbins - 1;
}

/* Quantile type 7 over the ranks in a histogram (k values in all). */
static double
histogram_quantile7(const int32_t *hist, int nbins, int64_t k, double p)
{
	double		h = (double) (k - 1) * p;
	int64_t		lo = (int64_t) floor(h);
	int32_t		a = histogram_kth(hist, nbins, lo);
	int32_t		b;

	if (lo >= k - 1)
		return (double) a;
	b = histogram_kth(hist, nbins, lo + 1);
	return (double) a + (h - (double) lo) * (double) (b - a);
}

static int
compare_int32(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a;
	int32_t		y = *(const int32_t *) b;

	return (x > y) - (x < y);
}

/*
 * Weights and methods of one draw.  Random numbers are consumed in a fixed
 * order: with alternate_methods one coin (the top bit of a draw), then one
 * uniform per node below the root, in preorder.
 */
static void
draw_weights(RcRng *rng, const FwTree *t, double factor, bool alternate,
			 const uint8_t *perturb, double *w, uint8_t *m)
{
	int			i;
	bool		swap = false;

	if (alternate)
		swap = (rc_rng_next(rng) >> 63) != 0;
	for (i = 0; i < t->nnodes; i++)
	{
		uint8_t		mi = t->method[i];

		if (swap)
		{
			if (mi == FW_POINTS || mi == FW_AMEAN)
				mi = FW_GMEAN;
			else if (mi == FW_GMEAN)
				mi = FW_AMEAN;
		}
		m[i] = mi;
		if (i == 0)
			w[i] = t->weight[i];
		else
		{
			w[i] = t->weight[i] * ((1.0 - factor) + 2.0 * factor * rc_rng_uniform(rng));
			if (perturb != NULL && !perturb[i])
				w[i] = t->weight[i];
		}
	}
}

/*
 * The Monte Carlo.  Memory besides the inputs: O(nunits x min(draws,
 * ranked units)) for the ranks (per unit the list of its ranks when there
 * are no more draws than ranked units, else a histogram over the possible
 * ranks), plus O(nnodes + nunits) scratch.
 */
int
rc_rank_intervals(const RcProblem *p, RcAlloc alloc, RcTick tick,
				  RcUnitResult *out, int *bad_node)
{
	const FwTree *t = p->tree;
	int			n = p->nunits;
	int			nl = t->nleaves;
	double	   *val = alloc(sizeof(double) * t->nnodes);
	uint8_t    *has = alloc(sizeof(uint8_t) * t->nnodes);
	double	   *w = alloc(sizeof(double) * t->nnodes);
	uint8_t    *m = alloc(sizeof(uint8_t) * t->nnodes);
	double	   *roots = alloc(sizeof(double) * n);
	uint8_t    *valid = alloc(sizeof(uint8_t) * n);
	RcPair	   *scratch = alloc(sizeof(RcPair) * n);
	int32_t    *nominal = alloc(sizeof(int32_t) * n);
	int32_t    *ranks = alloc(sizeof(int32_t) * n);
	int64_t    *sum = alloc(sizeof(int64_t) * n);
	int64_t    *kept = alloc(sizeof(int64_t) * n);
	int32_t    *store;
	int			nranked = 0;
	bool		as_list;
	int64_t		width;
	int64_t		d;
	int			u;
	RcRng		rng;

	/* nominal ranks, with the framework's own weights and methods */
	for (u = 0; u < n; u++)
	{
		int			rc;

		if (tick && (u & (RC_TICK_UNITS - 1)) == 0)
			tick();
		rc = fw_tree_evaluate(t, t->weight, t->method,
							  p->values + (size_t) u * nl,
							  p->present + (size_t) u * nl,
							  val, has, NULL, &roots[u], bad_node);
		if (rc == FW_EVAL_NEGATIVE)
			return rc;
		valid[u] = (rc == FW_EVAL_OK);
		nranked += valid[u];
		sum[u] = 0;
		kept[u] = 0;
	}
	rc_competition_ranks(roots, valid, n, scratch, nominal);

	as_list = p->draws <= nranked;
	width = as_list ? p->draws : (int64_t) nranked + 1;
	store = alloc(sizeof(int32_t) * (size_t) n * (size_t) (width > 0 ? width : 1));
	if (!as_list)
		memset(store, 0, sizeof(int32_t) * (size_t) n * (size_t) width);

	rc_rng_seed(&rng, p->seed);
	for (d = 0; d < p->draws; d++)
	{
		if (tick)
			tick();
		draw_weights(&rng, t, p->factor, p->alternate_methods, p->perturb, w, m);
		for (u = 0; u < n; u++)
		{
			int			rc;

			if (!valid[u])
				continue;
			if (tick && u > 0 && (u & (RC_TICK_UNITS - 1)) == 0)
				tick();
			rc = fw_tree_evaluate(t, w, m, p->values + (size_t) u * nl,
								  p->present + (size_t) u * nl, val, has,
								  NULL, &roots[u], bad_node);
			if (rc == FW_EVAL_NEGATIVE)
				return rc;
			/* weights stay positive, so a unit with a root keeps one */
			if (rc != FW_EVAL_OK)
				roots[u] = -HUGE_VAL;
		}
		rc_competition_ranks(roots, valid, n, scratch, ranks);
		for (u = 0; u < n; u++)
		{
			if (!valid[u])
				continue;
			sum[u] += ranks[u];
			kept[u] += (ranks[u] == nominal[u]);
			if (as_list)
				store[(size_t) u * width + d] = ranks[u];
			else
				store[(size_t) u * width + ranks[u]]++;
		}
	}

	for (u = 0; u < n; u++)
	{
		RcUnitResult *r = &out[u];
		int32_t    *s = store + (size_t) u * width;

		if (tick && (u & (RC_TICK_UNITS - 1)) == 0)
			tick();
		memset(r, 0, sizeof(RcUnitResult));
		r->nominal_rank = valid[u] ? nominal[u] : 0;
		if (!valid[u])
			continue;
		r->mean_rank = (double) sum[u] / (double) p->draws;
		r->keep_share = (double) kept[u] / (double) p->draws;
		if (as_list)
		{
			qsort(s, p->draws, sizeof(int32_t), compare_int32);
			r->median_rank = rc_quantile7_sorted(s, p->draws, 0.5);
			r->p05 = rc_quantile7_sorted(s, p->draws, 0.05);
			r->p95 = rc_quantile7_sorted(s, p->draws, 0.95);
		}
		else
		{
			r->median_rank = histogram_quantile7(s, (int) width, p->draws, 0.5);
			r->p05 = histogram_quantile7(s, (int) width, p->draws, 0.05);
			r->p95 = histogram_quantile7(s, (int) width, p->draws, 0.95);
		}
	}
	return FW_EVAL_OK;
}
