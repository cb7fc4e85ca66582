/*
 * fuzz_framework_compile.c
 *	  libFuzzer harness for fw_compile (framework_core.c), the compilation
 *	  and validation behind the framework text input (framework_in, after
 *	  PostgreSQL's jsonb parser has taken the JSON apart), the binary input
 *	  (framework_recv, which reads the text form) and framework_compile().
 *
 * The bytes describe up to 64 node specifications: codes from a small pool
 * (so that duplicates, orphans and cycles are frequent) or taken from the
 * input and kept only when they are valid codes (as indicator_code_parse
 * requires before compilation), parents, methods and missing rules spelt
 * right, wrong or in another case, and numbers including NaN, infinities,
 * negatives, zero and the largest double.  A compiled framework must pass
 * fw_check (what rollup_deserialize trusts) and evaluate within its arrays
 * (fw_tree_evaluate); a rejected one must name a node of the input.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "framework_core.h"
#include "indicator_code_core.h"
#include "tree_eval_core.h"
#include "harness.h"

#define MAXN 64

static const char *const pool[] = {
	"R", "A", "B", "C", "A.1", "A.2", "A.10", "A.01", "A.1.a", "A.1.b",
	"B.1", "B.2", "b.1", "C.3_x", "D", "R.9"
};
#define NPOOL (sizeof(pool) / sizeof(pool[0]))

static const char *const words[] = {
	"points", "amean", "gmean", "hmean", "POINTS", "AMean", "drop", "zero",
	"Zero", "", "mean", "hmeann", "dro"
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static double
number(unsigned b)
{
	static const double table[] = {0, 1, 2, 0.5, 3, 10, 100, -1, -0.0,
		1e308, 5e-324, 0.25, 1.5};

	if (b == 250)
		return NAN;
	if (b == 251)
		return INFINITY;
	if (b == 252)
		return -INFINITY;
	return table[b % (sizeof(table) / sizeof(table[0]))];
}

static void
evaluate(const Framework *fw)
{
	int			n = fw->nnodes,
				nl = fw->nleaves,
				i,
				bad = 0;
	FwTree	   *t = fw_tree_from_framework(fw, tracked_alloc);
	double	   *val = tracked_alloc(sizeof(double) * n);
	uint8_t    *has = tracked_alloc(n);
	double	   *values = tracked_alloc(sizeof(double) * nl);
	uint8_t    *present = tracked_alloc(nl);
	double		root;

	for (i = 0; i < nl; i++)
	{
		present[i] = (i % 3) != 1;
		values[i] = (i % 5) / 4.0;
	}
	if (fw_tree_evaluate(t, t->weight, t->method, values, present, val, has,
						 NULL, &root, &bad) == FW_EVAL_NEGATIVE)
		abort();				/* values are not negative */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FwNodeSpec	specs[MAXN];
	char		raw[MAXN][2][40];
	FwCompileError err;
	Framework  *fw;
	int			n,
				i;
	int			raw_codes;

	input_start(data, size);
	raw_codes = take() & 1;
	n = take() % (MAXN + 1);
	memset(specs, 0, sizeof(specs));
	for (i = 0; i < n; i++)
	{
		FwNodeSpec *s = &specs[i];
		unsigned	flags = take();
		int			j;

		for (j = 0; j < 2; j++)
		{
			const char *c;
			int			len;
			IcodeError	ierr;

			if (raw_codes)
			{
				len = take() % 40;
				for (int k = 0; k < len; k++)
					raw[i][j][k] = (char) take();
				c = raw[i][j];
				if (icode_validate(c, len, &ierr) == 0)
					return 0;	/* the server rejects it before compiling */
			}
			else
			{
				c = pool[take() % NPOOL];
				len = (int) strlen(c);
			}
			if (j == 0)
			{
				s->code = c;
				s->code_len = len;
			}
			else if (flags & 1)
			{
				s->parent = c;
				s->parent_len = len;
			}
		}
		s->has_max = (flags & 2) != 0;
		s->max_points = number(take());
		s->has_weight = (flags & 4) != 0;
		s->weight = number(take());
		s->has_threshold = (flags & 8) != 0;
		s->threshold = number(take());
		s->method = (flags & 16) ? words[take() % NWORDS] : NULL;
		s->missing = (flags & 32) ? words[take() % NWORDS] : NULL;
	}
	fw = fw_compile(specs, n, tracked_alloc, &err);
	if (fw == NULL)
	{
		if (err.problem == FWC_OK || err.node < -1 || err.node >= n ||
			err.other < -1 || err.other >= n ||
			((err.problem == FWC_EMPTY) != (err.node == -1)))
			abort();
	}
	else
	{
		size_t		fsize = fw_varsize(fw);
		const char *problem = fw_check(fw, fsize);

		if (problem != NULL || fw->nnodes != n)
			abort();			/* compiled frameworks must pass the check */
		evaluate(fw);
	}
	free_blocks();
	return 0;
}
