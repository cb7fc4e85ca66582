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

#include "indicator_code_core.h"

/* src/common/hashfn.c, linked into the server and into libpgcommon */
extern uint64_t hash_bytes_extended(const unsigned char *k, int keylen,
									uint64_t seed);

uint64_t
fw_fingerprint(const Framework *fw, size_t size)
{
	return hash_bytes_extended((const unsigned char *) fw->nodes,
							   (int) (size - FW_HEADER_SIZE), 0);
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
	code_area = size - FW_HEADER_SIZE - sizeof(FrameworkNode) * (size_t) n;
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
	if (fw->fingerprint != fw_fingerprint(fw, size))
		return "the fingerprint does not match";
	return NULL;
}

const char *
rollup_state_parse(const unsigned char *buf, size_t len, RollupStateView *v)
{
	const unsigned char *p = buf;
	const unsigned char *end = buf + len;
	int32_t		i;

	if (len < 1 + FW_HEADER_SIZE)
		return "the state is truncated";
	if (*p++ != ROLLUP_STATE_VERSION)
		return "unknown version";
	v->fw = p;
	v->fw_size = fw_varsize(p);
	if (v->fw_size < FW_HEADER_SIZE || v->fw_size > (size_t) (end - p))
		return "the framework's size is out of range";
	p += v->fw_size;
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
