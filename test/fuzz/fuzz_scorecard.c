/*
 * fuzz_scorecard.c
 *	  libFuzzer harness for sc_build (framework_core.c), the node checks
 *	  and layout behind the scorecard text input (scorecard_in, after
 *	  PostgreSQL's jsonb parser has taken the JSON apart) and the binary
 *	  input (scorecard_recv, which reads the text form).
 *
 * The bytes describe up to 64 nodes: codes and parents from a small pool
 * or taken from the input (kept only when valid codes, as the server
 * parses them first), methods spelt right or wrong, counts and values
 * including NaN, infinities, negatives, fractions and huge numbers.  A
 * built scorecard must hold every code within its bytes, parents before
 * children, levels one below the parent's, 0 <= present <= expected, and a
 * method exactly on the nodes that have children.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "framework_core.h"
#include "indicator_code_core.h"
#include "harness.h"

#define MAXN 64

static const char *const pool[] = {
	"R", "A", "B", "A.1", "A.2", "A.10", "B.1", "B.2", "C", "C.1"
};
#define NPOOL (sizeof(pool) / sizeof(pool[0]))

static const char *const methods[] = {
	"points", "amean", "gmean", "hmean", "Points", "", "mean", "hmeanx"
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

static double
number(unsigned b)
{
	static const double table[] = {0, 1, 2, 3, 0.5, 100000, 100001, -1,
		1e300, -0.0, 2147483648.0, 4294967297.0, 7};

	if (b == 250)
		return NAN;
	if (b == 251)
		return INFINITY;
	return table[b % (sizeof(table) / sizeof(table[0]))];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ScNodeSpec	specs[MAXN];
	char		raw[MAXN][2][24];
	const char *problem = NULL;
	int			bad = -1;
	Scorecard  *sc;
	int			n,
				i,
				raw_codes;

	input_start(data, size);
	raw_codes = take() & 1;
	n = take() % (MAXN + 1);
	memset(specs, 0, sizeof(specs));
	for (i = 0; i < n; i++)
	{
		ScNodeSpec *s = &specs[i];
		unsigned	flags = take() | (take() << 8);
		int			j;

		for (j = 0; j < 2; j++)
		{
			const char *c;
			int			len;
			IcodeError	err;

			if (raw_codes)
			{
				len = take() % 24;
				for (int k = 0; k < len; k++)
					raw[i][j][k] = (char) take();
				c = raw[i][j];
				/* codes are parsed first; a parent is any JSON string */
				if (j == 0 && icode_validate(c, len, &err) == 0)
					return 0;
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
		if (flags & 2)
		{
			s->method = methods[take() % NMETHODS];
			s->method_len = (int) strlen(s->method);
		}
		s->has_value = (flags & 4) != 0;
		s->value = number(take());
		s->has_points = (flags & 8) != 0;
		s->points = number(take());
		s->has_max = (flags & 16) != 0;
		s->max_points = number(take());
		s->has_weight = (flags & 32) != 0;
		s->weight = number(take());
		s->has_present = (flags & 64) != 0;
		s->present = number(take());
		s->has_expected = (flags & 128) != 0;
		s->expected = number(take());
	}
	sc = sc_build(specs, n, tracked_alloc, &problem, &bad);
	if (sc == NULL)
	{
		if (problem == NULL || bad < 0 || bad > n)
			abort();
	}
	else
	{
		size_t		sz = fw_varsize(sc);
		size_t		codes = sz - offsetof(Scorecard, nodes) - sizeof(ScorecardNode) * n;

		if (sc->nnodes != n)
			abort();
		for (i = 0; i < n; i++)
		{
			const ScorecardNode *s = &sc->nodes[i];
			bool		has_children = false;
			int			k;

			if ((size_t) s->code_offset + s->code_len > codes ||
				memcmp(SC_CODE(sc, i), specs[i].code, s->code_len) != 0)
				abort();
			if ((i == 0) != (s->parent < 0) || s->parent >= i ||
				(i > 0 && s->level != sc->nodes[s->parent].level + 1))
				abort();
			if (s->present < 0 || s->present > s->expected || s->expected > FRAMEWORK_MAX_NODES)
				abort();
			for (k = i + 1; k < n; k++)
				has_children |= sc->nodes[k].parent == i;
			if (has_children != (s->method != FW_LEAF) || s->method > FW_HMEAN)
				abort();
		}
	}
	free_blocks();
	return 0;
}
