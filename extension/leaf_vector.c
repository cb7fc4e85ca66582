/*-------------------------------------------------------------------------
 *
 * leaf_vector.c
 *	  The type leaf_vector, the aggregate leaf_vector(fw, code, value) that
 *	  collects one unit's leaf values, and rollup(fw, vector), the unit's
 *	  scorecard from them.
 *
 * Collecting needs only each leaf's position, so the aggregate's state is
 * the vector itself: a value type Citus can split and parallel workers hand
 * over as it is, about 8 bytes a leaf, without the tree.  Combining two
 * partial vectors merges their leaves.  Only the evaluation needs the tree:
 * the functions that evaluate take the framework again and check that it is
 * the one the vector was made with (the hash of its binary form), finding
 * it compiled in their per-query cache (framework_cached).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "dti_util.h"
#include "indicator_code.h"
#include "leaf_vector.h"
#include "scorecard.h"

PG_FUNCTION_INFO_V1(leaf_vector_in);
PG_FUNCTION_INFO_V1(leaf_vector_out);
PG_FUNCTION_INFO_V1(leaf_vector_recv);
PG_FUNCTION_INFO_V1(leaf_vector_send);
PG_FUNCTION_INFO_V1(leaf_vector_step);
PG_FUNCTION_INFO_V1(leaf_vector_combine);
PG_FUNCTION_INFO_V1(leaf_vector_rollup);
PG_FUNCTION_INFO_V1(leaf_vector_count);

/* ---------- the C API ---------- */

LeafVector *
leaf_vector_new(CompiledFramework *cf)
{
	LeafVector *lv;

	framework_wire(cf);
	lv = (LeafVector *) palloc(LV_SIZE(cf->fw->nleaves));
	leaf_vector_init(lv, cf->fw->nleaves, cf->wire_hash);
	return lv;
}

void
leaf_vector_check(const LeafVector *lv, CompiledFramework *cf, const char *fname)
{
	if (!framework_hash_names(cf, lv->fw_hash) || lv->nleaves != cf->fw->nleaves)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the leaf vector was made with another framework"),
				 errdetail("The vector has %d leaves and framework hash %016llx; the framework given to %s() has %d leaves and hash %016llx.",
						   lv->nleaves, (unsigned long long) lv->fw_hash, fname,
						   cf->fw->nleaves, (unsigned long long) cf->wire_hash),
				 errhint("Give %s() the framework value the vectors were collected with.", fname)));
}

char *
framework_leaf_code(const Framework *fw, int leaf)
{
	int			i;

	for (i = 0; i < fw->nnodes; i++)
		if (fw->nodes[i].leaf_index == leaf)
			return pnstrdup(FW_CODE(fw, i), fw->nodes[i].code_len);
	return pstrdup("?");
}

void
leaf_vector_put(LeafVector *lv, const CompiledFramework *cf, int leaf, double v)
{
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value of indicator \"%s\" must be finite",
						framework_leaf_code(cf->fw, leaf)),
				 errdetail("The value is %s.", float8out_internal(v))));
	if (LV_PRESENT(lv, leaf))
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("indicator \"%s\" has more than one value in one scorecard",
						framework_leaf_code(cf->fw, leaf)),
				 errhint("Group leaf_vector() by unit and period, and feed one current value per indicator.")));
	LV_SET_PRESENT(lv, leaf);
	lv->values[leaf] = v;
	lv->npresent++;
}

/* ---------- input and output ---------- */

/* A vector from its binary form; NULL after a soft error (text input). */
static LeafVector *
vector_from_bytes(const unsigned char *b, size_t len, bool binary, Node *escontext)
{
	int32		n;
	uint64		hash;
	LeafVector *lv;
	const char *problem = leaf_vector_decode(b, len, &n, &hash, NULL);

	if (problem != NULL)
		ereturn(escontext, NULL,
				(errcode(binary ? ERRCODE_INVALID_BINARY_REPRESENTATION : ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid %s value for type %s", binary ? "binary" : "text", "leaf_vector"),
				 errdetail("%s.", problem),
				 errhint("Leaf vectors are written by leaf_vector() and read back unchanged; do not edit them.")));
	lv = (LeafVector *) palloc(LV_SIZE(n));
	(void) leaf_vector_decode(b, len, &n, &hash, lv);
	return lv;
}

/* Hexadecimal digit's value, or -1. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Text input: the binary form in hexadecimal, checked byte by byte (22P02). */
Datum
leaf_vector_in(PG_FUNCTION_ARGS)
{
	const char *s = PG_GETARG_CSTRING(0);
	size_t		n = strlen(s);
	unsigned char *b;
	LeafVector *lv;
	size_t		i;

	if (n % 2 != 0)
		ereturn(fcinfo->context, (Datum) 0,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", "leaf_vector"),
				 errdetail("The text form is an even number of hexadecimal digits; this one has %zu characters.", n),
				 errhint("Use the text that the type's output function wrote.")));
	b = palloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++)
	{
		int			hi = hex_value(s[2 * i]);
		int			lo = hex_value(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			ereturn(fcinfo->context, (Datum) 0,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s", "leaf_vector"),
					 errdetail("Character %zu is not a hexadecimal digit.", 2 * i + (hi < 0 ? 1 : 2)),
					 errhint("Use the text that the type's output function wrote.")));
		b[i] = (unsigned char) (hi << 4 | lo);
	}
	lv = vector_from_bytes(b, n / 2, false, fcinfo->context);
	if (lv == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(lv);
}

/* Text output: the binary form in hexadecimal. */
Datum
leaf_vector_out(PG_FUNCTION_ARGS)
{
	LeafVector *lv = PG_GETARG_LEAF_VECTOR_P(0);
	size_t		len = leaf_vector_wire_size(lv);
	unsigned char *b = palloc(len);

	leaf_vector_encode(lv, b);
	PG_RETURN_CSTRING(dti_state_hex_out(b, len));
}

/* Binary input: the whole message is the binary form (22P03). */
Datum
leaf_vector_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	size_t		len = buf->len - buf->cursor;
	const unsigned char *b = (const unsigned char *) pq_getmsgbytes(buf, len);

	PG_RETURN_POINTER(vector_from_bytes(b, len, true, NULL));
}

/* Binary output: see leaf_vector_core.h. */
Datum
leaf_vector_send(PG_FUNCTION_ARGS)
{
	LeafVector *lv = PG_GETARG_LEAF_VECTOR_P(0);
	size_t		len = leaf_vector_wire_size(lv);
	bytea	   *out = (bytea *) palloc(VARHDRSZ + len);

	SET_VARSIZE(out, VARHDRSZ + len);
	leaf_vector_encode(lv, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

/* ---------- the aggregate ---------- */

/*
 * What leaf_vector_step keeps per query: framework.c's cache, and for the
 * last framework the order rows come in, learned as they arrive (per node,
 * the node of the row that followed it last time; the first node of a
 * group), so that a row usually costs one comparison of codes instead of a
 * hash lookup, whatever order the codes come in.
 */
typedef struct VectorStepCache
{
	void	   *fw_cache;
	CompiledFramework *cf;
	Pointer		fw_ptr;			/* the framework datum cf was last found for */
	Size		prefix_len;		/* > 0: fw_ptr was compressed inline, */
	char		prefix[FW_PREFIX_LEN];	/* and began with these bytes */
	bool		in_agg;			/* called as an aggregate's transition */
	int32	   *next;
	int32		first;
} VectorStepCache;

/*
 * Is the framework argument ptr the datum the cached framework was found
 * for?  The same pointer with the same header (a plain datum), or with the
 * same first bytes of compressed data (a framework stored in a table: its
 * header is within them, as framework_cached_in explains), so a query
 * constant or parameter costs no cache lookup per row.
 */
static inline bool
same_framework_datum(const VectorStepCache *cache, Pointer ptr)
{
	if (cache->cf == NULL || ptr != cache->fw_ptr)
		return false;
	if (!VARATT_IS_EXTENDED(ptr))
		return ((const Framework *) ptr)->fingerprint == cache->cf->fw->fingerprint &&
			((const Framework *) ptr)->nnodes == cache->cf->fw->nnodes;
	return VARATT_IS_COMPRESSED(ptr) && cache->prefix_len > 0 &&
		Min(VARSIZE(ptr), FW_PREFIX_LEN) == cache->prefix_len &&
		memcmp(ptr, cache->prefix, cache->prefix_len) == 0;
}

/* Are the len bytes at a and b equal?  Codes are short: no call. */
static inline bool
same_code(const char *a, const char *b, int len)
{
	int			i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/*
 * Transition of leaf_vector(fw, code, value): the row's value goes to its
 * leaf's place, the vector updated in place under an aggregate.  As in
 * rollup(): a code outside the framework's leaves is an error, a NULL
 * value leaves the leaf missing, a second value for a leaf is an error.
 */
Datum
leaf_vector_step(PG_FUNCTION_ARGS)
{
	VectorStepCache *cache = (VectorStepCache *) fcinfo->flinfo->fn_extra;
	CompiledFramework *cf;
	LeafVector *lv;
	IndicatorCode *code;
	int			node;
	int			leaf;
	int			len;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the framework given to leaf_vector() must not be NULL")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the indicator code given to leaf_vector() must not be NULL")));
	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(VectorStepCache));
		cache->in_agg = AggCheckCallContext(fcinfo, NULL) != 0;
		fcinfo->flinfo->fn_extra = cache;
	}
	/*
	 * The framework of the last row again (a query constant, a parameter):
	 * the same plain datum with the same header, without asking the cache.
	 */
	cf = cache->cf;
	if (!same_framework_datum(cache, DatumGetPointer(PG_GETARG_DATUM(1))))
	{
		Pointer		ptr = DatumGetPointer(PG_GETARG_DATUM(1));

		framework_cached_in(&cache->fw_cache, fcinfo->flinfo->fn_mcxt,
							PG_GETARG_DATUM(1), &cf);
		cache->fw_ptr = ptr;
		cache->prefix_len = 0;
		if (VARATT_IS_COMPRESSED(ptr))
		{
			cache->prefix_len = Min(VARSIZE(ptr), FW_PREFIX_LEN);
			memcpy(cache->prefix, ptr, cache->prefix_len);
		}
	}
	if (cache->cf != cf)
	{
		framework_wire(cf);
		if (cache->next != NULL)
			pfree(cache->next);
		cache->next = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt,
										 sizeof(int32) * cf->fw->nnodes);
		memcpy(cache->next, cf->next_leaf, sizeof(int32) * cf->fw->nnodes);
		cache->first = -1;
		cache->cf = cf;
	}

	/* under an aggregate the state is the executor's plain datum: update it */
	if (cache->in_agg)
		lv = PG_ARGISNULL(0) ? NULL : (LeafVector *) DatumGetPointer(PG_GETARG_DATUM(0));
	else
		lv = (LeafVector *) dti_state_for_update(fcinfo);
	if (lv == NULL)
		lv = leaf_vector_new(cf);	/* the executor copies it into its context */
	else if (!framework_hash_names(cf, lv->fw_hash) || lv->nleaves != cf->fw->nleaves)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the rows of one scorecard use different frameworks"),
				 errhint("Group leaf_vector() so that each group has one framework.")));

	code = PG_GETARG_INDICATOR_CODE_P(2);
	len = ICODE_LEN(code);
	if (lv->last >= 0 && lv->last < cf->fw->nnodes)
		node = cache->next[lv->last];
	else
		node = cache->first;
	if (node < 0 || cf->lens[node] != len ||
		!same_code(cf->codes[node], ICODE_DATA(code), len))
	{
		node = framework_find(cf, ICODE_DATA(code), len);
		if (node < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("indicator \"%s\" is not in the framework",
							pnstrdup(ICODE_DATA(code), len)),
					 errhint("Filter the rows to the framework's leaves, or add the indicator to the framework.")));
		if (lv->last >= 0 && lv->last < cf->fw->nnodes)
			cache->next[lv->last] = node;
		else
			cache->first = node;
	}
	leaf = cf->fw->nodes[node].leaf_index;
	if (leaf < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("indicator \"%s\" is not a leaf of the framework",
						pnstrdup(ICODE_DATA(code), len)),
				 errdetail("leaf_vector() takes leaf values; inner values are computed from them.")));
	lv->last = node;
	if (!PG_ARGISNULL(3))
	{
		double		v = PG_GETARG_FLOAT8(3);

		if (!isfinite(v) || LV_PRESENT(lv, leaf))
			leaf_vector_put(lv, cf, leaf, v);	/* raises the error */
		LV_SET_PRESENT(lv, leaf);
		lv->values[leaf] = v;
		lv->npresent++;
	}
	PG_RETURN_POINTER(lv);
}

/*
 * Combine: b's leaves merged into a, in place under an aggregate.  Partial
 * vectors of one group come from disjoint rows, so a leaf present in both
 * is a second value.  No framework is needed (the leaf is named by its
 * number).
 */
Datum
leaf_vector_combine(PG_FUNCTION_ARGS)
{
	LeafVector *a = (LeafVector *) dti_state_for_update(fcinfo);
	LeafVector *b = PG_GETARG_LEAF_VECTOR_P(1);
	int			dup;

	if (a->fw_hash != b->fw_hash || a->nleaves != b->nleaves)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the rows of one scorecard use different frameworks"),
				 errhint("Group leaf_vector() so that each group has one framework.")));
	dup = leaf_vector_merge(a, b);
	if (dup >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("leaf number %d of the framework has more than one value in one scorecard",
						dup + 1),
				 errhint("Group leaf_vector() by unit and period, and feed one current value per indicator.")));
	PG_RETURN_POINTER(a);
}

/* ---------- evaluation ---------- */

/*
 * rollup(fw, vector): the scorecard of the vector's values through
 * framework fw, the same bits as rollup(fw, code, value) over the rows the
 * vector was collected from.
 */
Datum
leaf_vector_rollup(PG_FUNCTION_ARGS)
{
	LeafVector *lv = PG_GETARG_LEAF_VECTOR_P(1);
	CompiledFramework *cf;
	uint8	   *present;

	framework_cached(fcinfo, PG_GETARG_DATUM(0), &cf);
	leaf_vector_check(lv, cf, "rollup");
	present = palloc(lv->nleaves);
	leaf_vector_present_bytes(lv, present);
	PG_RETURN_POINTER(scorecard_evaluate(cf, lv->values, (const bool *) present));
}

/* leaf_count(vector): the number of leaves that have a value. */
Datum
leaf_vector_count(PG_FUNCTION_ARGS)
{
	LeafVector *lv = PG_GETARG_LEAF_VECTOR_P(0);

	PG_RETURN_INT32(lv->npresent);
}
