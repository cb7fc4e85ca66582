/*
 * core_checks.c
 *	  Checks of the server-free cores against known values, where SQL cannot
 *	  reach them: the decoders of serialized aggregate states (the server
 *	  calls them only on states it made itself) must refuse what is wrong,
 *	  and the tree evaluator and the compensated sums must give values
 *	  worked out by hand.  Run by test/scripts/core_checks.sh; prints one
 *	  line per failed check and exits 1 if any failed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compensated_sum.h"
#include "framework_core.h"
#include "indicator_stats_core.h"
#include "tree_eval_core.h"
#include "tree_wire_core.h"
#include "wire_core.h"
#include "sobol_core.h"
#include "pipeline_core.h"
#include "harness.h"

static int	failures = 0;
static int	checks = 0;

static void
check(int ok, const char *what)
{
	checks++;
	if (!ok)
	{
		printf("FAILED: %s\n", what);
		failures++;
	}
}

static int
same_text(const char *got, const char *want)
{
	return got != NULL && want != NULL ? strcmp(got, want) == 0 : got == want;
}

/* R (method) over A (weight 1) and B (weight 3). */
static Framework *
two_leaves(const char *method)
{
	FwNodeSpec	s[3];
	FwCompileError err;

	memset(s, 0, sizeof(s));
	s[0].code = "R";
	s[0].code_len = 1;
	s[0].method = method;
	s[1].code = "A";
	s[1].code_len = 1;
	s[1].parent = "R";
	s[1].parent_len = 1;
	s[1].has_weight = true;
	s[1].weight = 1;
	s[2].code = "B";
	s[2].code_len = 1;
	s[2].parent = "R";
	s[2].parent_len = 1;
	s[2].has_weight = true;
	s[2].weight = 3;
	return fw_compile(s, 3, tracked_alloc, &err);
}

/* The root of fw over leaf values a, b (NaN: missing). */
static double
root_of(const Framework *fw, double a, double b)
{
	FwTree	   *t = fw_tree_from_framework(fw, tracked_alloc);
	double		values[2] = {a, b};
	uint8_t		present[2] = {!isnan(a), !isnan(b)};
	double		val[3],
				alpha[3],
				root = NAN;
	uint8_t		has[3];
	int			bad = -1;

	if (fw_tree_evaluate(t, t->weight, t->method, values, present, val, has,
						 alpha, &root, &bad) != FW_EVAL_OK)
		return -1;
	return root;
}

static void
check_decoders(void)
{
	Framework  *fw = two_leaves("amean");
	uint32_t	size;
	unsigned char state[512];
	unsigned char *p = state;
	Framework  *bad;
	RollupStateView view;
	int32_t		nleaves = 2;
	double		v = 0.5;
	IstatsState st;
	unsigned char buf[ISTATS_STATE_SIZE];

	check(fw != NULL, "fw_compile builds R over A and B");
	size = fw_varsize(fw);
	check(fw_check(fw, size) == NULL, "fw_check accepts what fw_compile built");

	/* a framework with a wrong fingerprint, or changed after it was taken */
	bad = tracked_alloc(size);
	memcpy(bad, fw, size);
	bad->fingerprint ^= 1;
	check(same_text(fw_check(bad, size), "the fingerprint does not match"),
		  "fw_check refuses a framework whose fingerprint does not match");
	memcpy(bad, fw, size);
	bad->nodes[1].weight = 2;
	check(fw_check(bad, size) != NULL, "fw_check refuses a framework changed after its fingerprint");

	/* a rollup state: version, carried, framework, nleaves, present, values */
	*p++ = ROLLUP_STATE_VERSION;
	*p++ = ROLLUP_FW_EMBEDDED;
	memcpy(p, fw, size);
	p += size;
	memcpy(p, &nleaves, sizeof(nleaves));
	p += sizeof(nleaves);
	*p++ = 1;
	*p++ = 0;
	memcpy(p, &v, sizeof(v));
	p += sizeof(v);
	check(rollup_state_parse(state, p - state, &view) == NULL && view.npresent == 1,
		  "rollup_state_parse accepts a well-formed state");
	check(rollup_state_parse(state, p - state - 1, &view) != NULL,
		  "rollup_state_parse refuses a truncated state");
	v = INFINITY;
	memcpy(p - sizeof(v), &v, sizeof(v));
	check(same_text(rollup_state_parse(state, p - state, &view), "a value is not finite"),
		  "rollup_state_parse refuses an infinite value");
	v = NAN;
	memcpy(p - sizeof(v), &v, sizeof(v));
	check(same_text(rollup_state_parse(state, p - state, &view), "a value is not finite"),
		  "rollup_state_parse refuses a NaN value");
	state[0] = ROLLUP_STATE_VERSION + 1;
	check(same_text(rollup_state_parse(state, p - state, &view), "unknown version"),
		  "rollup_state_parse refuses an unknown version");

	/* a rollup_state's binary form: version, leaves, presence, values, framework */
	{
		unsigned char rs[512];
		unsigned char *q = rs;
		RollupValueView rv;
		size_t		wl = fw_wire_size(fw);

		*q++ = ROLLUP_VALUE_VERSION;
		q = wire_put_uint(q, 2, 4);
		*q++ = 1;
		*q++ = 0;
		q = wire_put_float8(q, 0.25);
		fw_wire_write(fw, q);
		q += wl;
		check(rollup_state_decode(rs, q - rs, &rv) == NULL && rv.npresent == 1 && rv.wire_len == wl,
			  "rollup_state_decode accepts a well-formed state");
		rs[5] = 2;
		check(same_text(rollup_state_decode(rs, q - rs, &rv), "a presence byte is neither 0 nor 1"),
			  "rollup_state_decode refuses a presence byte of 2");
		rs[5] = 1;
		check(same_text(rollup_state_decode(rs, 1 + 4 + 2 + 8, &rv), "the framework is missing"),
			  "rollup_state_decode refuses a state without its framework");
		check(rollup_state_decode(rs, 1 + 4 + 1, &rv) != NULL,
			  "rollup_state_decode refuses a state cut in its presence bytes");
		wire_put_float8(rs + 7, INFINITY);
		check(same_text(rollup_state_decode(rs, q - rs, &rv), "a value is not finite"),
			  "rollup_state_decode refuses an infinite value");
	}

	/* an indicator_stats state, of the values 1 and 3 */
	istats_init(&st);
	istats_add(&st, 1);
	istats_add(&st, 3);
	istats_state_encode(&st, buf);
	check(istats_state_decode(buf, sizeof(buf), &st) == NULL && st.n == 2,
		  "istats_state_decode accepts a well-formed state");
	st.n = -1;
	istats_state_encode(&st, buf);
	check(istats_state_decode(buf, sizeof(buf), &st) != NULL,
		  "istats_state_decode refuses a negative count");
	st.n = 2;
	st.min = 5;
	istats_state_encode(&st, buf);
	check(istats_state_decode(buf, sizeof(buf), &st) != NULL,
		  "istats_state_decode refuses a minimum above the maximum");
	check(istats_state_decode(buf, sizeof(buf) - 1, &st) != NULL,
		  "istats_state_decode refuses a state of the wrong size");
}

static void
check_evaluation(void)
{
	CompensatedSum s;

	/* weights 1 and 3: alpha 0.25 and 0.75 */
	check(fabs(root_of(two_leaves("amean"), 0.2, 0.6) - 0.5) < 1e-15, "amean of 0.2, 0.6 weighted 1:3 is 0.5");
	check(fabs(root_of(two_leaves("gmean"), 0.25, 1) - pow(0.25, 0.25)) < 1e-15,
		  "gmean of 0.25, 1 weighted 1:3 is 0.25^0.25");
	check(fabs(root_of(two_leaves("hmean"), 0.25, 0.75) - 0.5) < 1e-15,
		  "hmean of 0.25, 0.75 weighted 1:3 is 1 / (0.25 / 0.25 + 0.75 / 0.75) = 0.5");
	check(root_of(two_leaves("gmean"), 0, 1) == 0, "gmean with a counted 0 is 0");
	check(root_of(two_leaves("amean"), 0.2, NAN) == 0.2, "a missing child leaves with its weight (drop)");

	/* Neumaier: the small terms survive the huge ones */
	csum_init(&s);
	csum_add(&s, 1);
	csum_add(&s, 1e100);
	csum_add(&s, 1);
	csum_add(&s, -1e100);
	check(csum_total(&s) == 2, "the compensated sum of 1, 1e100, 1, -1e100 is 2");
	{
		CompensatedSum a,
					b;

		csum_init(&a);
		csum_init(&b);
		csum_add(&a, 1e100);
		csum_add(&a, 1);
		csum_add(&b, -1e100);
		csum_add(&b, 1);
		csum_merge(&a, &b);
		check(csum_total(&a) == 2, "merging the partial sums (1e100 + 1) and (-1e100 + 1) gives 2");
	}
}

/* Ishigami (a = 7, b = 0.1) over [-pi, pi]^3. */
static int
ishigami(void *ctx, const double *u, double *y)
{
	double		x1 = -M_PI + 2 * M_PI * u[0],
				x2 = -M_PI + 2 * M_PI * u[1],
				x3 = -M_PI + 2 * M_PI * u[2];

	(void) ctx;
	y[0] = sin(x1) + 7.0 * sin(x2) * sin(x2) + 0.1 * pow(x3, 4) * sin(x1);
	return 0;
}

/* y = 1 x1 + 2 x2 + 3 x3 + 0 x4, uniform inputs: S_i = ST_i = a_i^2 / 14. */
static int
linear(void *ctx, const double *u, double *y)
{
	(void) ctx;
	y[0] = 1.0 * u[0] + 2.0 * u[1] + 3.0 * u[2] + 0.0 * u[3];
	return 0;
}

static void *
sb_alloc(size_t size)
{
	return tracked_alloc(size);
}

/*
 * Sobol indices of models whose indices are known in closed form.  One
 * seed can put a true index outside its 95% interval by chance (it should,
 * one time in twenty), so the check runs 20 seeds per model: the 95%
 * bootstrap intervals must cover the true indices at least 85% of the time,
 * and the mean estimate over the seeds must be within 0.01 of the truth.
 */
static void
check_model(const char *name, SbModel f, int k, const double *first, const double *total)
{
	int			groups[8];
	SbDesign	d;
	SbIndex		out[8];
	double		mean_first[8] = {0},
				mean_total[8] = {0};
	int			covered = 0,
				intervals = 0;
	char		what[200];
	int			g,
				seed;

	for (g = 0; g <= k; g++)
		groups[g] = g;
	memset(&d, 0, sizeof(d));
	d.k = k;
	d.ngroups = k;
	d.group_start = groups;
	d.m = 1;
	d.n = 4000;
	d.nboot = 200;
	d.level = 0.95;
	for (seed = 1; seed <= 20; seed++)
	{
		d.seed = (uint64_t) seed;
		if (sb_analyse(&d, f, NULL, sb_alloc, NULL, out) != 0)
		{
			check(0, "the analysis runs");
			return;
		}
		for (g = 0; g < k; g++)
		{
			covered += out[g].first_lo <= first[g] && first[g] <= out[g].first_hi;
			covered += out[g].total_lo <= total[g] && total[g] <= out[g].total_hi;
			intervals += 2;
			mean_first[g] += out[g].first / 20;
			mean_total[g] += out[g].total / 20;
		}
	}
	snprintf(what, sizeof(what), "%s: %d of %d 95%% bootstrap intervals cover the true index",
			 name, covered, intervals);
	check(covered >= 0.85 * intervals, what);
	printf("%s\n", what);
	for (g = 0; g < k; g++)
	{
		snprintf(what, sizeof(what), "%s: S%d = %.4f (mean estimate %.4f), ST%d = %.4f (mean estimate %.4f)",
				 name, g + 1, first[g], mean_first[g], g + 1, total[g], mean_total[g]);
		check(fabs(mean_first[g] - first[g]) < 0.01 && fabs(mean_total[g] - total[g]) < 0.01, what);
		printf("%s\n", what);
	}
}

static void
check_sobol(void)
{
	double		pi4 = pow(M_PI, 4);
	double		v1 = 0.5 * pow(1 + 0.1 * pi4 / 5, 2);
	double		v2 = 49.0 / 8;
	double		v13 = 0.01 * pow(M_PI, 8) * (1.0 / 18 - 1.0 / 50);
	double		v = v1 + v2 + v13;
	double		ish_first[3] = {v1 / v, v2 / v, 0.0};
	double		ish_total[3] = {(v1 + v13) / v, v2 / v, v13 / v};
	double		lin[4] = {1.0 / 14, 4.0 / 14, 9.0 / 14, 0.0};
	int			groups[5] = {0, 1, 2, 3, 4};
	SbDesign	d;
	SbIndex		out[4],
				again[4];

	check_model("Ishigami", ishigami, 3, ish_first, ish_total);
	check_model("linear", linear, 4, lin, lin);

	/* the same seed gives the same bits, another seed other estimates */
	memset(&d, 0, sizeof(d));
	d.k = 4;
	d.ngroups = 4;
	d.group_start = groups;
	d.m = 1;
	d.n = 500;
	d.nboot = 50;
	d.level = 0.95;
	d.seed = 2026;
	check(sb_analyse(&d, linear, NULL, sb_alloc, NULL, out) == 0 &&
		  sb_analyse(&d, linear, NULL, sb_alloc, NULL, again) == 0 &&
		  memcmp(out, again, sizeof(out)) == 0, "Sobol: the same seed gives the same indices");
	d.seed = 2027;
	check(sb_analyse(&d, linear, NULL, sb_alloc, NULL, again) == 0 &&
		  again[0].first != out[0].first, "Sobol: another seed gives other estimates");
}

/* The table of byte strings and the median fill of pipeline(). */
static void
check_pipeline(void)
{
	PlKeys		k;
	char		names[3000][8];
	int			i,
				ok = 1;
	double		odd[] = {5, 1, 3};
	double		even[] = {4, 1, 3, 2};
	double		one[] = {7};
	double		big[] = {1e308, 1.7e308};

	pl_keys_init(&k, 4, sb_alloc);
	for (i = 0; i < 3000; i++)
	{
		int			len = snprintf(names[i], sizeof(names[i]), "u%d", i);

		ok &= pl_keys_find(&k, names[i], len, pl_hash(names[i], len)) == -1;
		ok &= pl_keys_add(&k, names[i], len, pl_hash(names[i], len), sb_alloc) == i;
	}
	for (i = 0; i < 3000; i++)
	{
		int			len = (int) strlen(names[i]);

		ok &= pl_keys_find(&k, names[i], len, pl_hash(names[i], len)) == i;
	}
	check(ok && k.n == 3000, "pipeline: 3000 keys numbered in order of insertion, each found again after growing");
	check(pl_keys_find(&k, "u", 1, pl_hash("u", 1)) == -1 && pl_keys_find(&k, "u30000", 6, pl_hash("u30000", 6)) == -1,
		  "pipeline: a prefix or an absent key is not found");
	check(pl_bytes_cmp("u10", 3, "u9", 2) < 0 && pl_bytes_cmp("u1", 2, "u10", 3) < 0 &&
		  pl_bytes_cmp("b", 1, "b", 1) == 0, "pipeline: byte order of names (memcmp, then length)");
	check(pl_median(odd, 3) == 3 && pl_median(even, 4) == 2.5 && pl_median(one, 1) == 7,
		  "pipeline: the median as percentile_cont(0.5)");
	check(pl_median(big, 2) == 1e308 + (1.7e308 - 1e308) * 0.5,
		  "pipeline: the median of two interpolates without overflow (lo + (hi - lo) / 2)");
}

int
main(void)
{
	check_decoders();
	check_evaluation();
	check_sobol();
	check_pipeline();
	free_blocks();
	printf("core checks: %d of %d passed\n", checks - failures, checks);
	return failures ? 1 : 0;
}
