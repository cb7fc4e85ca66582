/*-------------------------------------------------------------------------
 *
 * sobol_core.c
 *	  Sobol indices by Saltelli sampling and Jansen's estimators, and the
 *	  model of a composite index's ranks (see sobol_core.h and
 *	  docs/method.md).
 *
 * Sampling (Saltelli 2002, 2010): two independent n x k matrices A and B of
 * uniforms (xoshiro256**, seeded), and for each group g the matrix AB_g: A
 * with the columns of g taken from B.  n (ngroups + 2) model runs.  With
 * f_A, f_B, f_ABg the outputs and V the variance of the 2n outputs of A and
 * B, Jansen's (1999) estimators:
 *
 *	  first order	S_g  = (V - 1/(2n) sum_j (f_B(j) - f_ABg(j))^2) / V
 *	  total effect	ST_g = 1/(2n) sum_j (f_A(j) - f_ABg(j))^2 / V
 *
 * Intervals: nboot bootstrap resamples of the n rows (the same resample for
 * every output and group), percentile intervals (quantile type 7).
 *
 *-------------------------------------------------------------------------
 */
#include "sobol_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * The estimators of every output o and group g over rows idx[0..n) (idx
 * NULL: rows 0..n), in one pass over the rows (each row's outputs are
 * contiguous): first[o * G + g], total[o * G + g].  The sums are of
 * deviations from each output's first value, so that V loses nothing to
 * cancellation for outputs such as ranks; an output equal to its first
 * value on every row is constant: NaN indices.  acc holds 3 m + 2 m G
 * doubles and m flags.
 */
static void
estimate_all(const double *ya, const double *yb, const double *yab, int m, int G,
			 int64_t n, const int64_t *idx, double *acc, uint8_t *varies,
			 double *first, double *total)
{
	double	   *ref = acc,
			   *s1 = acc + m,
			   *s2 = acc + 2 * m,
			   *sa = acc + 3 * m,
			   *sb = acc + 3 * m + m * G;
	int64_t		j,
				r0 = idx ? idx[0] : 0;
	int			o,
				g;

	for (o = 0; o < m; o++)
	{
		ref[o] = ya[r0 * m + o];
		s1[o] = s2[o] = 0.0;
		varies[o] = 0;
	}
	memset(sa, 0, sizeof(double) * m * G);
	memset(sb, 0, sizeof(double) * m * G);
	for (j = 0; j < n; j++)
	{
		int64_t		r = idx ? idx[j] : j;
		const double *pa = ya + r * m,
				   *pb = yb + r * m;

		for (o = 0; o < m; o++)
		{
			double		x = pa[o] - ref[o],
						y = pb[o] - ref[o];

			s1[o] += x + y;
			s2[o] += x * x + y * y;
			varies[o] |= (x != 0.0) | (y != 0.0);
		}
		for (g = 0; g < G; g++)
		{
			const double *pab = yab + ((size_t) g * n + r) * m;
			double	   *ga = sa + (size_t) g * m,
					   *gb = sb + (size_t) g * m;

			for (o = 0; o < m; o++)
			{
				double		da = pa[o] - pab[o],
							db = pb[o] - pab[o];

				ga[o] += da * da;
				gb[o] += db * db;
			}
		}
	}
	for (o = 0; o < m; o++)
	{
		double		mean = s1[o] / (double) (2 * n);
		double		v = s2[o] / (double) (2 * n) - mean * mean;

		for (g = 0; g < G; g++)
		{
			if (!varies[o] || !(v > 0.0))
			{
				first[o * G + g] = NAN;
				total[o * G + g] = NAN;
				continue;
			}
			first[o * G + g] = (v - sb[(size_t) g * m + o] / (double) (2 * n)) / v;
			total[o * G + g] = sa[(size_t) g * m + o] / (double) (2 * n) / v;
		}
	}
}

static int
compare_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Quantile type 7 of k sorted doubles. */
static double
quantile7(const double *x, int k, double p)
{
	double		h = (double) (k - 1) * p;
	int			lo = (int) floor(h);

	if (lo >= k - 1)
		return x[k - 1];
	return x[lo] + (h - (double) lo) * (x[lo + 1] - x[lo]);
}

/* Uniform integer in [0, n). */
static int64_t
rng_below(RcRng *rng, int64_t n)
{
	return (int64_t) (rc_rng_uniform(rng) * (double) n);
}

/* The generic driver. */
int
sb_analyse(const SbDesign *d, SbModel f, void *ctx, RcAlloc alloc, RcTick tick,
		   SbIndex *out)
{
	int			k = d->k,
				m = d->m,
				G = d->ngroups;
	int64_t		n = d->n;
	double	   *a = alloc(sizeof(double) * (size_t) n * k);
	double	   *b = alloc(sizeof(double) * (size_t) n * k);
	double	   *x = alloc(sizeof(double) * (size_t) k);
	double	   *ya = alloc(sizeof(double) * (size_t) n * m);
	double	   *yb = alloc(sizeof(double) * (size_t) n * m);
	double	   *yab = alloc(sizeof(double) * (size_t) n * m * (G > 0 ? G : 1));
	double	   *acc,
			   *f1,
			   *ft;
	uint8_t    *varies;
	RcRng		rng;
	int64_t		j;
	int			g,
				o,
				rc;

	rc_rng_seed(&rng, d->seed);
	for (j = 0; j < n * k; j++)
		a[j] = rc_rng_uniform(&rng);
	for (j = 0; j < n * k; j++)
		b[j] = rc_rng_uniform(&rng);
	for (j = 0; j < n; j++)
	{
		if (tick)
			tick();
		if ((rc = f(ctx, a + j * k, ya + j * m)) != 0)
			return rc;
		if ((rc = f(ctx, b + j * k, yb + j * m)) != 0)
			return rc;
		for (g = 0; g < G; g++)
		{
			memcpy(x, a + j * k, sizeof(double) * k);
			memcpy(x + d->group_start[g], b + j * k + d->group_start[g],
				   sizeof(double) * (d->group_start[g + 1] - d->group_start[g]));
			if ((rc = f(ctx, x, yab + ((size_t) g * n + j) * m)) != 0)
				return rc;
		}
	}
	acc = alloc(sizeof(double) * (size_t) m * (3 + 2 * (size_t) G));
	varies = alloc((size_t) m);
	f1 = alloc(sizeof(double) * (size_t) m * G);
	ft = alloc(sizeof(double) * (size_t) m * G);
	estimate_all(ya, yb, yab, m, G, n, NULL, acc, varies, f1, ft);
	for (o = 0; o < m * G; o++)
	{
		out[o].first = f1[o];
		out[o].total = ft[o];
		out[o].first_lo = out[o].first_hi = out[o].total_lo = out[o].total_hi = NAN;
	}
	if (d->nboot > 0)
	{
		int64_t    *idx = alloc(sizeof(int64_t) * (size_t) n);
		double	   *bf = alloc(sizeof(double) * (size_t) d->nboot * m * G);
		double	   *bt = alloc(sizeof(double) * (size_t) d->nboot * m * G);
		double	   *sorted = alloc(sizeof(double) * (size_t) d->nboot);
		double		tail = (1.0 - d->level) / 2.0;
		int			s;

		/* the resamples come from a stream of their own */
		rc_rng_seed(&rng, d->seed ^ UINT64_C(0x9E3779B97F4A7C15));
		for (s = 0; s < d->nboot; s++)
		{
			if (tick)
				tick();
			for (j = 0; j < n; j++)
				idx[j] = rng_below(&rng, n);
			estimate_all(ya, yb, yab, m, G, n, idx, acc, varies, f1, ft);
			for (o = 0; o < m * G; o++)
			{
				bf[(size_t) o * d->nboot + s] = f1[o];
				bt[(size_t) o * d->nboot + s] = ft[o];
			}
		}
		for (o = 0; o < m * G; o++)
		{
			SbIndex    *r = &out[o];
			int			pass;

			if (isnan(r->first))
				continue;
			for (pass = 0; pass < 2; pass++)
			{
				const double *src = (pass == 0 ? bf : bt) + (size_t) o * d->nboot;
				int			kept = 0,
							i;

				/* a resample without variance has no index: left out */
				for (i = 0; i < d->nboot; i++)
					if (!isnan(src[i]))
						sorted[kept++] = src[i];
				if (kept == 0)
					continue;
				qsort(sorted, kept, sizeof(double), compare_double);
				if (pass == 0)
				{
					r->first_lo = quantile7(sorted, kept, tail);
					r->first_hi = quantile7(sorted, kept, 1.0 - tail);
				}
				else
				{
					r->total_lo = quantile7(sorted, kept, tail);
					r->total_hi = quantile7(sorted, kept, 1.0 - tail);
				}
			}
		}
	}
	return 0;
}

/* Columns and nominal ranks of the index model. */
int
sb_index_prepare(const SbIndexProblem *p, RcAlloc alloc, SbIndexModel *mod)
{
	const FwTree *t = p->tree;
	int			n = p->nunits;
	int			ncols = 0;
	int			s,
				i,
				u;

	memset(mod, 0, sizeof(*mod));
	mod->p = p;
	mod->group_start = alloc(sizeof(int) * (p->nsources + 1));
	mod->col_node = alloc(sizeof(int) * (t->nnodes + p->nsources + 1));
	for (s = 0; s < p->nsources; s++)
	{
		mod->group_start[s] = ncols;
		if (p->sources[s].kind == SB_WEIGHTS)
		{
			for (i = 1; i < t->nnodes; i++)
				if (p->node_level[i] == p->sources[s].level)
					mod->col_node[ncols++] = i;
		}
		else
			mod->col_node[ncols++] = -1;
	}
	mod->group_start[p->nsources] = ncols;
	mod->k = ncols;
	mod->w = alloc(sizeof(double) * t->nnodes);
	mod->meth = alloc(sizeof(uint8_t) * t->nnodes);
	mod->val = alloc(sizeof(double) * t->nnodes);
	mod->has = alloc(sizeof(uint8_t) * t->nnodes);
	mod->roots = alloc(sizeof(double) * n);
	mod->valid = alloc(sizeof(uint8_t) * n);
	mod->scratch = alloc(sizeof(RcPair) * n);
	mod->ranks = alloc(sizeof(int32_t) * n);
	mod->nominal = alloc(sizeof(int32_t) * n);
	for (u = 0; u < n; u++)
	{
		int			rc = fw_tree_evaluate(t, t->weight, t->method,
										  p->values + (size_t) u * t->nleaves,
										  p->present + (size_t) u * t->nleaves,
										  mod->val, mod->has, NULL, &mod->roots[u],
										  &mod->bad_node);

		if (rc == FW_EVAL_NEGATIVE)
			return rc;
		mod->valid[u] = (rc == FW_EVAL_OK);
	}
	rc_competition_ranks(mod->roots, mod->valid, n, mod->scratch, mod->nominal);
	return FW_EVAL_OK;
}

/* One run of the index model. */
int
sb_index_model(void *ctx, const double *x, double *y)
{
	SbIndexModel *mod = ctx;
	const SbIndexProblem *p = mod->p;
	const FwTree *t = p->tree;
	int			n = p->nunits;
	size_t		variant = 0;
	const double *values;
	const uint8_t *present;
	double		shift = 0.0;
	int			counted = 0;
	int			s,
				c,
				i,
				u;

	memcpy(mod->w, t->weight, sizeof(double) * t->nnodes);
	memcpy(mod->meth, t->method, sizeof(uint8_t) * t->nnodes);
	for (s = 0; s < p->nsources; s++)
	{
		const SbSource *src = &p->sources[s];
		int			c0 = mod->group_start[s];

		switch (src->kind)
		{
			case SB_WEIGHTS:
				for (c = c0; c < mod->group_start[s + 1]; c++)
				{
					i = mod->col_node[c];
					mod->w[i] = t->weight[i] * ((1.0 - p->factor) + 2.0 * p->factor * x[c]);
				}
				break;
			case SB_METHODS:
				if (x[c0] >= 0.5)
					for (i = 0; i < t->nnodes; i++)
					{
						if (p->node_level[i] != src->level || t->first_child[i] < 0)
							continue;
						if (t->method[i] == FW_POINTS || t->method[i] == FW_AMEAN)
							mod->meth[i] = FW_GMEAN;
						else if (t->method[i] == FW_GMEAN)
							mod->meth[i] = FW_AMEAN;
					}
				break;
			case SB_DATA:
				{
					int			opt = (int) (x[c0] * src->noptions);

					if (opt >= src->noptions)
						opt = src->noptions - 1;
					variant = variant * src->noptions + opt;
				}
				break;
		}
	}
	values = p->values + variant * (size_t) n * t->nleaves;
	present = p->present + variant * (size_t) n * t->nleaves;
	for (u = 0; u < n; u++)
	{
		int			rc;

		if (!mod->valid[u])
			continue;
		rc = fw_tree_evaluate(t, mod->w, mod->meth, values + (size_t) u * t->nleaves,
							  present + (size_t) u * t->nleaves, mod->val, mod->has,
							  NULL, &mod->roots[u], &mod->bad_node);
		if (rc == FW_EVAL_NEGATIVE)
			return rc;
		/* a unit that loses its root in this run ranks last */
		if (rc != FW_EVAL_OK)
			mod->roots[u] = -HUGE_VAL;
	}
	rc_competition_ranks(mod->roots, mod->valid, n, mod->scratch, mod->ranks);
	for (u = 0; u < n; u++)
	{
		if (!mod->valid[u])
		{
			y[u] = NAN;
			continue;
		}
		y[u] = (double) mod->ranks[u];
		shift += fabs((double) (mod->ranks[u] - mod->nominal[u]));
		counted++;
	}
	y[n] = counted ? shift / counted : NAN;
	return 0;
}
