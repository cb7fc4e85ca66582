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

int
main(void)
{
	check_decoders();
	check_evaluation();
	free_blocks();
	printf("core checks: %d of %d passed\n", checks - failures, checks);
	return failures ? 1 : 0;
}
