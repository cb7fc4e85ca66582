/*-------------------------------------------------------------------------
 *
 * framework_core.c
 *	  Checks of frameworks and rollup() states that arrive as bytes, with
 *	  no server dependency besides the hash function of src/common (see
 *	  framework_core.h).
 *
 *-------------------------------------------------------------------------
 */
#include "framework_core.h"

#include <math.h>
#include <stdlib.h>

#include "indicator_code_core.h"
#include "wire_core.h"

#define FW_ALIGN8(x)	(((size_t) (x) + 7) & ~(size_t) 7)

/* src/common/hashfn.c, linked into the server and into libpgcommon */
extern uint32_t hash_bytes(const unsigned char *k, int keylen);
extern uint64_t hash_bytes_extended(const unsigned char *k, int keylen,
									uint64_t seed);

const char *
fw_method_name(int method)
{
	switch (method)
	{
		case FW_POINTS:
			return "points";
		case FW_AMEAN:
			return "amean";
		case FW_GMEAN:
			return "gmean";
		case FW_HMEAN:
			return "hmean";
	}
	return NULL;
}

uint32_t
fw_table_mask_for(int n)
{
	uint32_t	size = 16;

	while (size < (uint32_t) n * 2)
		size <<= 1;
	return size - 1;
}

/* Insert; returns the index already there for an equal code, or -1. */
int
fw_table_insert(int32_t *slots, uint32_t mask, const char *const *codes,
				const int *lens, int idx)
{
	uint32_t	h = hash_bytes((const unsigned char *) codes[idx], lens[idx]) & mask;

	for (;;)
	{
		int			j = slots[h];

		if (j < 0)
		{
			slots[h] = idx;
			return -1;
		}
		if (lens[j] == lens[idx] && memcmp(codes[j], codes[idx], lens[idx]) == 0)
			return j;
		h = (h + 1) & mask;
	}
}

/* The index of an equal code, or -1. */
int
fw_table_lookup(const int32_t *slots, uint32_t mask, const char *const *codes,
				const int *lens, const char *code, int len)
{
	uint32_t	h = hash_bytes((const unsigned char *) code, len) & mask;

	for (;;)
	{
		int			j = slots[h];

		if (j < 0)
			return -1;
		if (lens[j] == len && memcmp(codes[j], code, len) == 0)
			return j;
		h = (h + 1) & mask;
	}
}

/* ---------- compilation ---------- */

/* Record a problem; returns NULL for the caller to return. */
static Framework *
compile_fail(FwCompileError *err, FwCompileProblem problem, int node, int other)
{
	err->problem = problem;
	err->node = node;
	err->other = other;
	return NULL;
}

/* Case-insensitive equality of a NUL-terminated string and an ASCII word. */
static bool
word_equal(const char *s, const char *word)
{
	for (; *s && *word; s++, word++)
	{
		char		c = *s;

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != *word)
			return false;
	}
	return *s == '\0' && *word == '\0';
}

/* Children are visited in natural code order. */
static const FwNodeSpec *sort_specs;

static int
compare_child_codes(const void *a, const void *b)
{
	const FwNodeSpec *x = &sort_specs[*(const int *) a];
	const FwNodeSpec *y = &sort_specs[*(const int *) b];

	return icode_compare(x->code, x->code_len, y->code, y->code_len);
}

/* A number that must be finite, and when nonneg also not negative. */
static bool
number_ok(FwCompileError *err, const char *what, int node, double v, bool nonneg)
{
	if (!isfinite(v))
	{
		compile_fail(err, FWC_NOT_FINITE, node, -1);
		err->what = what;
		return false;
	}
	if (nonneg && v < 0)
	{
		compile_fail(err, FWC_NEGATIVE, node, -1);
		err->what = what;
		err->value = v;
		return false;
	}
	return true;
}

Framework *
fw_compile(const FwNodeSpec *specs, int n, FwAlloc alloc, FwCompileError *err)
{
	const char **codes;
	int		   *lens;
	int32_t    *slots;
	uint32_t	mask;
	int		   *parent;
	int		   *nchildren;
	int		   *child_start;
	int		   *children;
	int		   *order;
	int		   *position;
	int		   *stack;
	int			nroots = 0;
	int			root = -1;
	int			i,
				norder,
				depth,
				nleaves;
	int		   *method;
	int		   *missing;
	double	   *maxp;
	double	   *weight;
	bool	   *has_max;
	size_t		code_bytes = 0;
	size_t		rule_bytes = 0;
	size_t		rules_at = 0;
	bool		any_rule = false;
	size_t		size;
	Framework  *fw;
	char	   *cp;

	memset(err, 0, sizeof(FwCompileError));
	err->other = -1;
	if (n <= 0)
		return compile_fail(err, FWC_EMPTY, -1, -1);
	if (n > FRAMEWORK_MAX_NODES)
		return compile_fail(err, FWC_TOO_MANY, -1, -1);

	codes = alloc(sizeof(char *) * n);
	lens = alloc(sizeof(int) * n);
	for (i = 0; i < n; i++)
	{
		codes[i] = specs[i].code;
		lens[i] = specs[i].code_len;
		code_bytes += lens[i];
	}

	/* duplicates */
	mask = fw_table_mask_for(n);
	slots = alloc(sizeof(int32_t) * (mask + 1));
	memset(slots, -1, sizeof(int32_t) * (mask + 1));
	for (i = 0; i < n; i++)
		if (fw_table_insert(slots, mask, codes, lens, i) >= 0)
			return compile_fail(err, FWC_DUPLICATE, i, -1);

	/* parents: orphans and roots */
	parent = alloc(sizeof(int) * n);
	nchildren = alloc(sizeof(int) * (n + 1));
	memset(nchildren, 0, sizeof(int) * (n + 1));
	for (i = 0; i < n; i++)
	{
		if (specs[i].parent == NULL)
		{
			parent[i] = -1;
			if (nroots++ == 0)
				root = i;
			else
				return compile_fail(err, FWC_TWO_ROOTS, i, root);
			continue;
		}
		parent[i] = fw_table_lookup(slots, mask, codes, lens,
									specs[i].parent, specs[i].parent_len);
		if (parent[i] < 0)
			return compile_fail(err, FWC_ORPHAN, i, -1);
		nchildren[parent[i]]++;
	}

	/* children lists, in natural code order */
	child_start = alloc(sizeof(int) * (n + 1));
	child_start[0] = 0;
	for (i = 0; i < n; i++)
		child_start[i + 1] = child_start[i] + nchildren[i];
	children = alloc(sizeof(int) * (n + 1));
	memset(nchildren, 0, sizeof(int) * n);
	for (i = 0; i < n; i++)
		if (parent[i] >= 0)
			children[child_start[parent[i]] + nchildren[parent[i]]++] = i;
	sort_specs = specs;
	for (i = 0; i < n; i++)
		if (nchildren[i] > 1)
			qsort(children + child_start[i], nchildren[i], sizeof(int),
				  compare_child_codes);

	/* preorder from the root; what it does not reach is on a cycle */
	order = alloc(sizeof(int) * n);
	position = alloc(sizeof(int) * n);
	memset(position, -1, sizeof(int) * n);
	stack = alloc(sizeof(int) * (n + 1));
	norder = 0;
	if (root >= 0)
	{
		depth = 0;
		stack[depth++] = root;
		while (depth > 0)
		{
			int			v = stack[--depth];
			int			k;

			position[v] = norder;
			order[norder++] = v;
			for (k = nchildren[v] - 1; k >= 0; k--)
				stack[depth++] = children[child_start[v] + k];
		}
	}
	if (norder < n)
	{
		for (i = 0; i < n && position[i] >= 0; i++)
			;
		compile_fail(err, FWC_CYCLE, i, -1);
		err->no_root = root < 0;
		return NULL;
	}

	/* methods, weights and points, bottom-up */
	method = alloc(sizeof(int) * n);
	missing = alloc(sizeof(int) * n);
	maxp = alloc(sizeof(double) * n);
	weight = alloc(sizeof(double) * n);
	has_max = alloc(sizeof(bool) * n);
	for (i = 0; i < n; i++)
	{
		const FwNodeSpec *s = &specs[i];

		has_max[i] = s->has_max;
		maxp[i] = s->has_max ? s->max_points : NAN;
		if (s->has_max && !number_ok(err, "max points", i, s->max_points, true))
			return NULL;
		if (s->has_weight && !number_ok(err, "weight", i, s->weight, true))
			return NULL;
		if (s->has_threshold)
		{
			if (!number_ok(err, "threshold", i, s->threshold, true))
				return NULL;
			if (s->threshold > 1)
			{
				compile_fail(err, FWC_THRESHOLD, i, -1);
				err->value = s->threshold;
				return NULL;
			}
		}
		method[i] = FW_LEAF;
		missing[i] = FW_MISSING_DROP;
		if (nchildren[i] == 0 && !s->has_max && !s->has_weight)
			return compile_fail(err, FWC_LEAF_UNWEIGHTED, i, -1);
		if (s->rule != NULL)
		{
			SrClass		c = sr_kind_class(s->rule->kind);

			if (nchildren[i] > 0)
				return compile_fail(err, FWC_RULE_INNER, i, -1);
			if (c != SR_CLASS_ABSOLUTE && c != SR_CLASS_STATS)
				return compile_fail(err, FWC_RULE_KIND, i, -1);
			rule_bytes += FW_ALIGN8(fw_varsize(s->rule));
			any_rule = true;
		}
	}
	for (i = norder - 1; i >= 0; i--)
	{
		int			v = order[i];
		const FwNodeSpec *s = &specs[v];
		int			k;
		bool		all_max = true;

		if (nchildren[v] == 0)
			continue;
		for (k = 0; k < nchildren[v]; k++)
			all_max &= has_max[children[child_start[v] + k]];
		if (s->method == NULL)
			method[v] = all_max ? FW_POINTS : FW_AMEAN;
		else if (word_equal(s->method, "points"))
			method[v] = FW_POINTS;
		else if (word_equal(s->method, "amean"))
			method[v] = FW_AMEAN;
		else if (word_equal(s->method, "gmean"))
			method[v] = FW_GMEAN;
		else if (word_equal(s->method, "hmean"))
			method[v] = FW_HMEAN;
		else
			return compile_fail(err, FWC_METHOD, v, -1);
		if (s->missing == NULL)
			missing[v] = (method[v] == FW_POINTS) ? FW_MISSING_ZERO : FW_MISSING_DROP;
		else if (word_equal(s->missing, "drop"))
			missing[v] = FW_MISSING_DROP;
		else if (word_equal(s->missing, "zero"))
			missing[v] = FW_MISSING_ZERO;
		else
			return compile_fail(err, FWC_MISSING, v, -1);
		if (method[v] == FW_POINTS)
		{
			double		sum = 0;

			for (k = 0; k < nchildren[v]; k++)
			{
				int			c = children[child_start[v] + k];

				if (!has_max[c])
					return compile_fail(err, FWC_NEEDS_MAX, c, v);
				sum += maxp[c];
			}
			if (!isfinite(sum))
				return compile_fail(err, FWC_MAX_OVERFLOW, v, -1);
			if (!has_max[v])
			{
				maxp[v] = sum;
				has_max[v] = true;
			}
		}
		else
		{
			for (k = 0; k < nchildren[v]; k++)
			{
				int			c = children[child_start[v] + k];

				if (!specs[c].has_weight && !has_max[c])
				{
					compile_fail(err, FWC_NEEDS_WEIGHT, c, v);
					err->method = method[v];
					return NULL;
				}
			}
		}
	}
	for (i = 0; i < n; i++)
	{
		/* a child counts in its parent by its weight, or else its max points */
		if (parent[i] >= 0 && method[parent[i]] == FW_POINTS)
			weight[i] = maxp[i];
		else if (specs[i].has_weight)
			weight[i] = specs[i].weight;
		else
			weight[i] = has_max[i] ? maxp[i] : 1.0;
	}

	/*
	 * A mean divides each weight by the sum of its siblings' (tree_eval_core.c):
	 * a sum beyond float8 would make every normalised weight and the node's
	 * value NaN, which no text form can hold.
	 */
	for (i = 0; i < n; i++)
	{
		double		sum = 0;
		int			k;

		if (nchildren[i] == 0 || method[i] == FW_POINTS)
			continue;
		for (k = 0; k < nchildren[i]; k++)
			if (weight[children[child_start[i] + k]] > 0)
				sum += weight[children[child_start[i] + k]];
		if (!isfinite(sum))
			return compile_fail(err, FWC_WEIGHT_OVERFLOW, i, -1);
	}

	/* lay out; zeroed, since the fingerprint covers the padding too */
	size = FW_HEADER_SIZE + sizeof(FrameworkNode) * n + code_bytes;
	if (any_rule)
	{
		int			leaves = 0;

		for (i = 0; i < n; i++)
			leaves += nchildren[i] == 0;
		rules_at = FW_ALIGN8(size);
		size = rules_at + FW_ALIGN8(sizeof(uint32_t) * (size_t) leaves) + rule_bytes;
	}
	fw = (Framework *) alloc(size);
	memset(fw, 0, size);
	fw_set_varsize(fw, (uint32_t) size);
	fw->version = FRAMEWORK_VERSION;
	fw->nnodes = n;
	fw->rules_at = (int32_t) rules_at;
	cp = FW_CODES(fw);
	nleaves = 0;
	for (i = 0; i < n; i++)
	{
		int			v = order[i];
		FrameworkNode *node = &fw->nodes[i];

		node->parent = parent[v] < 0 ? -1 : position[parent[v]];
		node->first_child = nchildren[v] > 0 ? position[children[child_start[v]]] : -1;
		node->next_sibling = -1;
		node->leaf_index = nchildren[v] == 0 ? nleaves++ : -1;
		node->level = node->parent < 0 ? 1 : fw->nodes[node->parent].level + 1;
		node->code_offset = (uint32_t) (cp - FW_CODES(fw));
		node->code_len = (uint16_t) lens[v];
		memcpy(cp, codes[v], lens[v]);
		cp += lens[v];
		node->method = (uint8_t) method[v];
		node->missing = nchildren[v] > 0 ? (uint8_t) missing[v] : 0;
		/* zero unsigned: the text form, JSON read through numeric, has no -0 */
		node->max_points = has_max[v] ? fw_unsigned_zero(maxp[v]) : NAN;
		node->weight = fw_unsigned_zero(weight[v]);
		node->threshold = (nchildren[v] > 0 && specs[v].has_threshold) ?
			fw_unsigned_zero(specs[v].threshold) : 0;
	}
	if (any_rule)
	{
		char	   *area = (char *) fw + rules_at;
		size_t		at = FW_ALIGN8(sizeof(uint32_t) * (size_t) nleaves);

		for (i = 0; i < n; i++)
		{
			const SrRule *rule = specs[order[i]].rule;
			uint32_t	off = (uint32_t) at;

			if (fw->nodes[i].leaf_index < 0 || rule == NULL)
				continue;
			memcpy(area + sizeof(uint32_t) * (size_t) fw->nodes[i].leaf_index,
				   &off, sizeof(off));
			memcpy(area + at, rule, fw_varsize(rule));
			at += FW_ALIGN8(fw_varsize(rule));
		}
	}
	for (i = 0; i < n; i++)
	{
		int			v = order[i];
		int			k;

		for (k = 0; k + 1 < nchildren[v]; k++)
			fw->nodes[position[children[child_start[v] + k]]].next_sibling =
				position[children[child_start[v] + k + 1]];
	}
	for (i = n - 1; i >= 0; i--)
	{
		FrameworkNode *node = &fw->nodes[i];

		if (node->first_child < 0)
			node->nleaves = 1;
		if (node->parent >= 0)
			fw->nodes[node->parent].nleaves += node->nleaves;
	}
	fw->nleaves = nleaves;
	fw->fingerprint = fw_fingerprint(fw, size);
	return fw;
}

uint64_t
fw_fingerprint(const Framework *fw, size_t size)
{
	return hash_bytes_extended((const unsigned char *) fw->nodes,
							   (int) (size - FW_HEADER_SIZE), 0);
}

/*
 * The rules area of a framework whose nodes passed fw_check: the offset
 * table within the value, every rule 8-byte aligned after it, within the
 * value, valid, and of a kind a framework may carry.
 */
static const char *
rules_problem(const Framework *fw, size_t size)
{
	const char *area = (const char *) fw + fw->rules_at;
	size_t		avail = size - (size_t) fw->rules_at;
	size_t		table = FW_ALIGN8(sizeof(uint32_t) * (size_t) fw->nleaves);
	int			l;

	if (table > avail)
		return "the rules area is too short for its table";
	for (l = 0; l < fw->nleaves; l++)
	{
		uint32_t	off;
		uint32_t	len;
		const SrRule *rule;
		SrClass		c;

		memcpy(&off, area + sizeof(uint32_t) * (size_t) l, sizeof(off));
		if (off == 0)
			continue;
		if (avail < SR_HEADER_SIZE || off < table || off % 8 != 0 ||
			off > avail - SR_HEADER_SIZE)
			return "a rule offset is out of bounds";
		rule = (const SrRule *) (area + off);
		len = fw_varsize(rule);
		if (len > avail - off)
			return "a rule is out of bounds";
		if (sr_packed_problem(rule, len) != NULL)
			return "a rule is not valid";
		c = sr_kind_class(rule->kind);
		if (c != SR_CLASS_ABSOLUTE && c != SR_CLASS_STATS)
			return "a rule is of a kind a framework cannot carry";
	}
	return NULL;
}

const char *
fw_check(const Framework *fw, size_t size)
{
	int32_t		n;
	int32_t		i;
	int32_t		nleaves = 0;
	int64_t		on_lists = 0;
	size_t		code_area;

	if (size < FW_HEADER_SIZE)
		return "the value is shorter than its header";
	if (fw->version != FRAMEWORK_VERSION)
		return "unknown version";
	n = fw->nnodes;
	if (n <= 0 || n > FRAMEWORK_MAX_NODES)
		return "the number of nodes is out of range";
	if (size < FW_HEADER_SIZE + sizeof(FrameworkNode) * (size_t) n)
		return "the value is too short for its nodes";
	if (fw->rules_at != 0 &&
		(fw->rules_at < 0 || fw->rules_at % 8 != 0 ||
		 (size_t) fw->rules_at < FW_HEADER_SIZE + sizeof(FrameworkNode) * (size_t) n ||
		 (size_t) fw->rules_at > size))
		return "the rules area is out of bounds";
	code_area = fw_code_area(fw, size);
	if (code_area > (size_t) n * ICODE_MAX_LEN)
		return "the code area is too long";

	for (i = 0; i < n; i++)
	{
		const FrameworkNode *node = &fw->nodes[i];
		IcodeError	err;

		if ((i == 0) != (node->parent < 0) || node->parent >= i ||
			node->parent < -1)
			return "a parent link is out of order";
		if (node->level != (i == 0 ? 1 : fw->nodes[node->parent].level + 1))
			return "a level is wrong";
		if (node->first_child != -1 &&
			(node->first_child <= i || node->first_child >= n ||
			 fw->nodes[node->first_child].parent != i))
			return "a child link is wrong";
		if (node->next_sibling != -1 &&
			(node->next_sibling <= i || node->next_sibling >= n ||
			 fw->nodes[node->next_sibling].parent != node->parent))
			return "a sibling link is wrong";
		if ((node->first_child < 0) != (node->method == FW_LEAF) ||
			node->method > FW_HMEAN || node->missing > FW_MISSING_ZERO)
			return "a method is wrong";
		if (node->first_child < 0)
		{
			if (node->leaf_index != nleaves++ || node->nleaves != 1)
				return "the leaves are numbered wrongly";
		}
		else if (node->leaf_index != -1)
			return "an inner node has a leaf number";
		if (!isfinite(node->weight) || node->weight < 0 ||
			!(isnan(node->max_points) ||
			  (isfinite(node->max_points) && node->max_points >= 0)) ||
			!(node->threshold >= 0 && node->threshold <= 1))
			return "a weight, maximum or threshold is out of range";
		if ((size_t) node->code_offset > code_area ||
			node->code_len > code_area - node->code_offset ||
			icode_validate(FW_CODES(fw) + node->code_offset, node->code_len,
						   &err) == 0)
			return "a code is out of bounds or invalid";
	}
	if (nleaves != fw->nleaves)
		return "the number of leaves is wrong";

	/*
	 * Every child list holds only children of its node, in increasing index
	 * order, so the lists are disjoint and their lengths sum to at most n -
	 * 1; they sum to exactly n - 1 only when every non-root node is on its
	 * parent's list.  Leaf counts then add up bottom-up.
	 */
	for (i = n - 1; i >= 0; i--)
	{
		const FrameworkNode *node = &fw->nodes[i];
		int64_t		sum = 0;
		int32_t		k;

		if (node->first_child < 0)
			continue;
		for (k = node->first_child; k >= 0; k = fw->nodes[k].next_sibling)
		{
			sum += fw->nodes[k].nleaves;
			on_lists++;
		}
		if (sum != node->nleaves)
			return "a leaf count is wrong";
	}
	if (on_lists != n - 1)
		return "a node is missing from its parent's child list";
	if (fw->rules_at != 0)
	{
		const char *problem = rules_problem(fw, size);

		if (problem != NULL)
			return problem;
	}
	if (fw->fingerprint != fw_fingerprint(fw, size))
		return "the fingerprint does not match";
	return NULL;
}

/* ---------- scorecard text input ---------- */

static Scorecard *
sc_fail(const char **problem, int *bad_node, const char *why, int node)
{
	*problem = why;
	*bad_node = node;
	return NULL;
}

/* A count: a whole number in [0, FRAMEWORK_MAX_NODES]. */
static bool
count_ok(double d)
{
	return d >= 0 && d <= FRAMEWORK_MAX_NODES && d == floor(d);
}

Scorecard *
sc_build(const ScNodeSpec *specs, int n, FwAlloc alloc,
		 const char **problem, int *bad_node)
{
	ScorecardNode *nodes;
	const char **codes;
	int		   *lens;
	int32_t    *slots;
	uint32_t	mask;
	bool	   *has_children;
	size_t		code_bytes = 0;
	size_t		size;
	Scorecard  *sc;
	char	   *cp;
	int			i;

	if (n <= 0 || n > FRAMEWORK_MAX_NODES)
		return sc_fail(problem, bad_node, "a scorecard has 1 to 100000 nodes.", 0);
	nodes = alloc(sizeof(ScorecardNode) * n);
	memset(nodes, 0, sizeof(ScorecardNode) * n);
	codes = alloc(sizeof(char *) * n);
	lens = alloc(sizeof(int) * n);
	has_children = alloc(sizeof(bool) * n);
	memset(has_children, 0, sizeof(bool) * n);
	mask = fw_table_mask_for(n);
	slots = alloc(sizeof(int32_t) * (mask + 1));
	memset(slots, -1, sizeof(int32_t) * (mask + 1));
	for (i = 0; i < n; i++)
	{
		const ScNodeSpec *p = &specs[i];
		ScorecardNode *s = &nodes[i];

		codes[i] = p->code;
		lens[i] = p->code_len;
		s->code_offset = (uint32_t) code_bytes;
		s->code_len = (uint16_t) p->code_len;
		code_bytes += p->code_len;
		if (fw_table_lookup(slots, mask, codes, lens, p->code, p->code_len) >= 0)
			return sc_fail(problem, bad_node, "duplicate code.", i + 1);
		s->parent = -1;
		s->level = 1;
		if (p->parent != NULL)
		{
			/* only nodes before this one are in the table yet */
			int			j = fw_table_lookup(slots, mask, codes, lens,
											p->parent, p->parent_len);

			if (j < 0)
				return sc_fail(problem, bad_node, "the parent must come before its children.", i + 1);
			s->parent = j;
			s->level = nodes[j].level + 1;
			has_children[j] = true;
		}
		else if (i > 0)
			return sc_fail(problem, bad_node, "only the first node is the root.", i + 1);
		fw_table_insert(slots, mask, codes, lens, i);
		if (p->method != NULL)
		{
			for (s->method = FW_POINTS; s->method <= FW_HMEAN; s->method++)
				if ((size_t) p->method_len == strlen(fw_method_name(s->method)) &&
					memcmp(p->method, fw_method_name(s->method), p->method_len) == 0)
					break;
			if (s->method > FW_HMEAN)
				return sc_fail(problem, bad_node, "unknown method.", i + 1);
		}
		if (p->has_value)
		{
			s->value = fw_unsigned_zero(p->value);
			s->flags |= SC_HAS_VALUE;
		}
		if (p->has_points)
		{
			s->points = fw_unsigned_zero(p->points);
			s->flags |= SC_HAS_POINTS;
		}
		if (p->has_max)
		{
			s->max_points = fw_unsigned_zero(p->max_points);
			s->flags |= SC_HAS_MAX;
		}
		else
			s->max_points = NAN;
		s->alpha = p->has_weight ? fw_unsigned_zero(p->weight) : 1.0;
		if (p->has_present)
		{
			if (!count_ok(p->present))
				return sc_fail(problem, bad_node, "\"present\" must be a whole number between 0 and 100000.", i + 1);
			s->present = (int32_t) p->present;
		}
		if (p->has_expected)
		{
			if (!count_ok(p->expected))
				return sc_fail(problem, bad_node, "\"expected\" must be a whole number between 0 and 100000.", i + 1);
			s->expected = (int32_t) p->expected;
		}
		if (s->present > s->expected)
			return sc_fail(problem, bad_node, "present and expected must satisfy 0 <= present <= expected.", i + 1);
	}
	/* an inner node has a method; a leaf has none */
	for (i = 0; i < n; i++)
		if (has_children[i] != (nodes[i].method != FW_LEAF))
			return sc_fail(problem, bad_node,
						   has_children[i] ? "an inner node needs a method." : "a leaf has no method.",
						   i + 1);
	size = offsetof(Scorecard, nodes) + sizeof(ScorecardNode) * n + code_bytes;
	sc = alloc(size);
	memset(sc, 0, size);
	fw_set_varsize(sc, (uint32_t) size);
	sc->version = SCORECARD_VERSION;
	sc->nnodes = n;
	memcpy(sc->nodes, nodes, sizeof(ScorecardNode) * n);
	cp = SC_CODES(sc);
	for (i = 0; i < n; i++)
		memcpy(cp + nodes[i].code_offset, specs[i].code, specs[i].code_len);
	return sc;
}

/* ---------- rollup states ---------- */

const char *
rollup_state_parse(const unsigned char *buf, size_t len, RollupStateView *v)
{
	const unsigned char *p = buf;
	const unsigned char *end = buf + len;
	int32_t		i;

	if (len < 2 + FW_HEADER_SIZE)
		return "the state is truncated";
	if (*p++ != ROLLUP_STATE_VERSION)
		return "unknown version";
	v->carried = *p++;
	if (v->carried != ROLLUP_FW_EMBEDDED && v->carried != ROLLUP_FW_ARGUMENT)
		return "the framework is carried in an unknown form";
	v->fw = p;
	v->fw_size = fw_varsize(p);
	if (v->fw_size < FW_HEADER_SIZE ||
		(v->carried == ROLLUP_FW_EMBEDDED && v->fw_size > (size_t) (end - p)))
		return "the framework's size is out of range";
	p += v->carried == ROLLUP_FW_EMBEDDED ? v->fw_size : FW_HEADER_SIZE;
	if ((size_t) (end - p) < sizeof(int32_t))
		return "the state is truncated after the framework";
	memcpy(&v->nleaves, p, sizeof(int32_t));
	p += sizeof(int32_t);
	if (v->nleaves < 0 || (size_t) v->nleaves > (size_t) (end - p))
		return "the number of leaves is out of range";
	v->present = p;
	v->npresent = 0;
	for (i = 0; i < v->nleaves; i++)
		v->npresent += p[i] != 0;
	p += v->nleaves;
	if ((size_t) (end - p) != sizeof(double) * (size_t) v->npresent)
		return "the values do not match the leaves present";
	v->values = p;
	for (i = 0; i < v->npresent; i++)
	{
		double		d;

		memcpy(&d, p + sizeof(double) * (size_t) i, sizeof(double));
		if (!isfinite(d))
			return "a value is not finite";
	}
	return NULL;
}

/*
 * The binary form of a rollup_state (framework_core.h): every byte but the
 * framework's is checked here; values are finite, presence bytes 0 or 1.
 */
const char *
rollup_state_decode(const unsigned char *buf, size_t len, RollupValueView *v)
{
	WireReader	r;
	int32_t		i;

	wire_init(&r, buf, len);
	if (wire_byte(&r) != ROLLUP_VALUE_VERSION || !r.ok)
		return "unknown version";
	v->nleaves = wire_int32(&r);
	if (!r.ok)
		return "the state is truncated";
	if (v->nleaves < 1 || v->nleaves > FRAMEWORK_MAX_NODES)
		return "the number of leaves is out of range";
	v->present = wire_bytes(&r, (size_t) v->nleaves);
	if (v->present == NULL)
		return "the state is truncated";
	v->npresent = 0;
	for (i = 0; i < v->nleaves; i++)
	{
		if (v->present[i] > 1)
			return "a presence byte is neither 0 nor 1";
		v->npresent += v->present[i];
	}
	v->values = r.p + r.pos;
	for (i = 0; i < v->npresent; i++)
	{
		double		d = wire_float8(&r);

		if (!r.ok)
			return "the values do not match the leaves present";
		if (!isfinite(d))
			return "a value is not finite";
	}
	v->wire_len = wire_left(&r);
	v->wire = r.p + r.pos;
	if (v->wire_len == 0)
		return "the framework is missing";
	return NULL;
}
