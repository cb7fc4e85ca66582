/*-------------------------------------------------------------------------
 *
 * composite.c
 *	  A whole composite in two parallel passes: leaf_stats(fw, code, value),
 *	  the statistics of every leaf of a framework in one value, then
 *	  composite(fw, stats, code, value) GROUP BY unit, which scores each
 *	  leaf by the rule its framework carries (framework_rules()) and rolls
 *	  the unit up through the tree in the same aggregate.
 *
 * Both aggregates keep their state in a varlena of their own type
 * (leaf_stats, composite_state; layouts in composite_core.h), updated in
 * place when called as an aggregate, and both are self-contained: a
 * leaf_stats value names its framework by fingerprint, and a
 * composite_state carries the tree it rolls up through (the framework's
 * binary form, about 25 bytes a node), so combine and final functions need
 * nothing but their states.  The final function finds the tree's compiled
 * framework in framework.c's per-backend cache (framework_of_wire_bytes).
 *
 * Scoring goes through dti_apply_rule (scoring_rule.c, sr_score of
 * scoring_rule_core.c), the roll-up through scorecard_evaluate
 * (fw_tree_evaluate of tree_eval_core.h): the code score() and rollup()
 * run, so given the same statistics the result is the same bits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "nodes/primnodes.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "composite.h"
#include "composite_core.h"
#include "dti_util.h"
#include "indicator_code.h"
#include "leaf_vector.h"
#include "scorecard.h"
#include "scoring_rule.h"
#include "tree_wire_core.h"

PG_FUNCTION_INFO_V1(leaf_stats_in);
PG_FUNCTION_INFO_V1(leaf_stats_out);
PG_FUNCTION_INFO_V1(leaf_stats_recv);
PG_FUNCTION_INFO_V1(leaf_stats_send);
PG_FUNCTION_INFO_V1(leaf_stats_step);
PG_FUNCTION_INFO_V1(leaf_stats_combine);
PG_FUNCTION_INFO_V1(leaf_stats_of);
PG_FUNCTION_INFO_V1(composite_state_in);
PG_FUNCTION_INFO_V1(composite_state_out);
PG_FUNCTION_INFO_V1(composite_state_recv);
PG_FUNCTION_INFO_V1(composite_state_send);
PG_FUNCTION_INFO_V1(composite_step);
PG_FUNCTION_INFO_V1(composite_combine);
PG_FUNCTION_INFO_V1(composite_final);
PG_FUNCTION_INFO_V1(leaf_stats_vector_step);
PG_FUNCTION_INFO_V1(composite_vector);

#define DatumGetLeafStatsP(X)		((LeafStats *) PG_DETOAST_DATUM(X))
#define DatumGetCompositeStateP(X)	((CompositeState *) PG_DETOAST_DATUM(X))

/* ---------- shared ---------- */

/* A copy of a varlena in the current memory context. */
static void *
copy_varlena(const void *v)
{
	void	   *c = palloc(VARSIZE(v));

	memcpy(c, v, VARSIZE(v));
	return c;
}

/* Bytes to hexadecimal text, for the text forms. */
static char *
hex_text(const unsigned char *b, size_t len)
{
	char	   *out = palloc(2 * len + 1);

	dti_hex_encode(b, len, out);
	return out;
}

/* Hexadecimal text to bytes; NULL after a soft error 22P02. */
static unsigned char *
hex_bytes(const char *s, const char *type, size_t *len, Node *escontext)
{
	size_t		n = strlen(s);
	unsigned char *b = palloc(n / 2 + 1);
	const char *problem = dti_hex_decode(s, n, b);

	if (problem != NULL)
		ereturn(escontext, NULL,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", type),
				 errdetail("%s.", problem),
				 errhint("The text form of %s is its binary form in hexadecimal, as its output function writes it.", type)));
	*len = n / 2;
	return b;
}

/*
 * The next-leaf prediction of an aggregate: rows of a unit usually come in
 * the same order of codes unit after unit (not necessarily the tree's), so
 * the leaf that followed each one last time is the guess for next time,
 * learned as rows arrive; a miss costs one hash lookup.
 */
typedef struct LeafHint
{
	const CompiledFramework *cf;
	int32		prev;			/* the last row's node, or -1 */
	int32	   *next;			/* per node: the node that followed it */
} LeafHint;

/* The leaf a row's code names, erroring as rollup() does. */
static int
row_leaf(const CompiledFramework *cf, const IndicatorCode *code, LeafHint *h,
		 MemoryContext cxt, const char *fname)
{
	int			node = -1;

	if (h != NULL && h->cf != cf)
	{
		h->next = MemoryContextAlloc(cxt, sizeof(int32) * cf->fw->nnodes);
		memcpy(h->next, cf->next_leaf, sizeof(int32) * cf->fw->nnodes);
		h->prev = -1;
		h->cf = cf;
	}
	if (h != NULL && h->prev >= 0)
		node = h->next[h->prev];
	if (node < 0 || (size_t) cf->lens[node] != ICODE_LEN(code) ||
		memcmp(cf->codes[node], ICODE_DATA(code), ICODE_LEN(code)) != 0)
	{
		node = framework_find(cf, ICODE_DATA(code), ICODE_LEN(code));
		if (h != NULL && h->prev >= 0 && node >= 0)
			h->next[h->prev] = node;
	}
	if (node < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("indicator \"%s\" is not in the framework",
						pnstrdup(ICODE_DATA(code), ICODE_LEN(code))),
				 errhint("Filter the rows to the framework's leaves, or add the indicator to the framework.")));
	if (h != NULL)
		h->prev = node;
	if (cf->fw->nodes[node].leaf_index < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("indicator \"%s\" is not a leaf of the framework",
						pnstrdup(ICODE_DATA(code), ICODE_LEN(code))),
				 errdetail("%s() takes leaf values; inner values are computed from them.", fname)));
	return cf->fw->nodes[node].leaf_index;
}

static void
null_argument(const char *what, const char *fname)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("the %s given to %s() must not be NULL", what, fname)));
}

static void
other_framework_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("the statistics were computed for another framework"),
			 errhint("Compute them with leaf_stats() over the same framework value you score with.")));
}

/* ---------- leaf_stats ---------- */

Datum
leaf_stats_in(PG_FUNCTION_ARGS)
{
	size_t		len;
	unsigned char *b = hex_bytes(PG_GETARG_CSTRING(0), "leaf_stats", &len,
								 fcinfo->context);
	int32		n;
	uint64		fp;
	LeafStats  *ls;
	const char *problem;

	if (b == NULL)
		PG_RETURN_NULL();
	problem = leaf_stats_decode(b, len, &n, &fp, NULL);
	if (problem != NULL)
		ereturn(fcinfo->context, (Datum) 0,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", "leaf_stats"),
				 errdetail("%s.", problem)));
	ls = palloc0(LEAF_STATS_SIZE(n));
	SET_VARSIZE(ls, LEAF_STATS_SIZE(n));
	ls->version = LEAF_STATS_VERSION;
	ls->nleaves = n;
	ls->fingerprint = fp;
	(void) leaf_stats_decode(b, len, &n, &fp, ls->leaves);
	PG_RETURN_POINTER(ls);
}

Datum
leaf_stats_out(PG_FUNCTION_ARGS)
{
	LeafStats  *ls = DatumGetLeafStatsP(PG_GETARG_DATUM(0));
	size_t		len = LEAF_STATS_WIRE_SIZE(ls->nleaves);
	unsigned char *b = palloc(len);

	leaf_stats_encode(ls, b);
	PG_RETURN_CSTRING(hex_text(b, len));
}

Datum
leaf_stats_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	size_t		len = buf->len - buf->cursor;
	const unsigned char *b = (const unsigned char *) pq_getmsgbytes(buf, len);
	int32		n;
	uint64		fp;
	LeafStats  *ls;
	const char *problem = leaf_stats_decode(b, len, &n, &fp, NULL);

	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary value for type %s", "leaf_stats"),
				 errdetail("%s.", problem)));
	ls = palloc0(LEAF_STATS_SIZE(n));
	SET_VARSIZE(ls, LEAF_STATS_SIZE(n));
	ls->version = LEAF_STATS_VERSION;
	ls->nleaves = n;
	ls->fingerprint = fp;
	(void) leaf_stats_decode(b, len, &n, &fp, ls->leaves);
	PG_RETURN_POINTER(ls);
}

Datum
leaf_stats_send(PG_FUNCTION_ARGS)
{
	LeafStats  *ls = DatumGetLeafStatsP(PG_GETARG_DATUM(0));
	size_t		len = LEAF_STATS_WIRE_SIZE(ls->nleaves);
	bytea	   *out = palloc(VARHDRSZ + len);

	SET_VARSIZE(out, VARHDRSZ + len);
	leaf_stats_encode(ls, (unsigned char *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}

/* The state to update: in place inside an aggregate, else a copy. */
static void *
state_to_update(FunctionCallInfo fcinfo, Datum d)
{
	void	   *p = PG_DETOAST_DATUM(d);

	if (p == DatumGetPointer(d) && !AggCheckCallContext(fcinfo, NULL))
		p = copy_varlena(p);
	return p;
}

/*
 * The leaf_stats state in arg 0 for framework cf, to update: a new one
 * (nodeAgg copies it into the aggregate's context) when NULL.
 */
static LeafStats *
stats_state(FunctionCallInfo fcinfo, const CompiledFramework *cf)
{
	LeafStats  *ls;

	if (PG_ARGISNULL(0))
	{
		int			n = cf->fw->nleaves;
		int			l;

		ls = palloc0(LEAF_STATS_SIZE(n));
		SET_VARSIZE(ls, LEAF_STATS_SIZE(n));
		ls->version = LEAF_STATS_VERSION;
		ls->nleaves = n;
		ls->fingerprint = cf->fw->fingerprint;
		for (l = 0; l < n; l++)
			istats_init(&ls->leaves[l]);
		return ls;
	}
	ls = (LeafStats *) state_to_update(fcinfo, PG_GETARG_DATUM(0));
	if (ls->fingerprint != cf->fw->fingerprint || ls->nleaves != cf->fw->nleaves)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the rows of one leaf_stats() group use different frameworks")));
	return ls;
}

/* What leaf_stats_step keeps per query: framework.c's cache, the hint. */
typedef struct StatsCache
{
	void	   *fw_cache;
	LeafHint	hint;
} StatsCache;

/*
 * Transition of leaf_stats(fw, code, value): the accumulator of the row's
 * leaf takes the value (istats_add, as indicator_stats() does); NULL values
 * are skipped, NaN and infinities are errors.
 */
Datum
leaf_stats_step(PG_FUNCTION_ARGS)
{
	StatsCache *cache = (StatsCache *) fcinfo->flinfo->fn_extra;
	LeafStats  *ls;
	CompiledFramework *cf;
	int			leaf;
	double		x;

	if (PG_ARGISNULL(1))
		null_argument("framework", "leaf_stats");
	if (PG_ARGISNULL(2))
		null_argument("indicator code", "leaf_stats");
	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(StatsCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	framework_cached_in(&cache->fw_cache, fcinfo->flinfo->fn_mcxt,
						PG_GETARG_DATUM(1), &cf);
	leaf = row_leaf(cf, PG_GETARG_INDICATOR_CODE_P(2), &cache->hint,
					fcinfo->flinfo->fn_mcxt, "leaf_stats");

	ls = stats_state(fcinfo, cf);
	if (PG_ARGISNULL(3))
		PG_RETURN_POINTER(ls);
	x = PG_GETARG_FLOAT8(3);
	dti_check_value(x);
	istats_add(&ls->leaves[leaf], x);
	PG_RETURN_POINTER(ls);
}

/* Combine: leaf by leaf, Chan's merge (istats_merge). */
Datum
leaf_stats_combine(PG_FUNCTION_ARGS)
{
	LeafStats  *a = (LeafStats *) state_to_update(fcinfo, PG_GETARG_DATUM(0));
	LeafStats  *b = DatumGetLeafStatsP(PG_GETARG_DATUM(1));
	int			l;

	if (a->fingerprint != b->fingerprint || a->nleaves != b->nleaves)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the rows of one leaf_stats() group use different frameworks")));
	for (l = 0; l < a->nleaves; l++)
		istats_merge(&a->leaves[l], &b->leaves[l]);
	PG_RETURN_POINTER(a);
}

/* The summary of one accumulator, with indicator_stats()'s errors. */
static void
finish_leaf(const IstatsState *st, SrStats *s)
{
	const char *problem;

	memset(s, 0, sizeof(SrStats));
	if (st->n == 0)
		return;
	problem = istats_finish(st, s);
	if (problem != NULL && !isfinite(s->sd))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("standard deviation of the indicator values is out of range"),
				 errdetail("It is beyond the largest float8, about 1.8e308: the values span more than that on both sides of their mean.")));
	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid leaf_stats value"),
				 errdetail("%s.", problem)));
}

/* finish_leaf for pipeline() (composite.h). */
void
composite_finish_leaf(const IstatsState *st, SrStats *s)
{
	finish_leaf(st, s);
}

/* ---------- the statistics a per-query plan was made for ---------- */

/*
 * What composite() and leaf_stats_of(), which keep each leaf's summary of
 * the statistics they were given for the next call (in fn_extra, for one
 * execution of the query), know of those statistics, to tell whether the
 * next call's are the same.  The same address is not enough: a subquery's
 * result, or a lateral reference, is freed and copied again for the next
 * row, often at the same address, with other statistics (those of another
 * period).  So the statistics are compared by their bytes, and only the
 * bytes the call reads: a row of composite(fw, stats, code, value) or a
 * call of leaf_stats_of() reads the accumulator of one leaf, so the header
 * and that accumulator are compared (about 80 bytes, whatever the number
 * of leaves), and when that accumulator alone differs, its summary alone
 * is worked out again.  A datum in another form (compressed, short, or a
 * pointer to a TOAST value) is compared by its bytes as given, without
 * decompressing; failing that, by the statistics themselves.
 *
 * A statistics argument that is a constant of the call's expression (a
 * Const) cannot change while fn_extra lives, so it is compared once.  An
 * external Param, though stable within one execution of a query
 * (get_fn_expr_arg_stable), is not taken as one here: PL/pgSQL evaluates a
 * simple expression again and again through the same FmgrInfo, its
 * variables' new values passed as the same Params; and an aggregate's
 * transition function is called through an expression of placeholders
 * (PARAM_EXEC), so that its arguments never look stable at all.
 */
typedef struct StatsSeen
{
	bool		valid;			/* false: nothing seen yet */
	bool		fixed;			/* the argument is a Const */
	LeafStats  *stats;			/* a copy of them, detoasted; NULL: NULL */
	char	   *raw;			/* the datum's bytes as given, when not plain
								 * (compressed, short, a TOAST pointer) */
	Size		raw_len;
} StatsSeen;

typedef enum StatsMatch
{
	STATS_SAME,					/* what the call reads is what was seen */
	STATS_LEAF,					/* the header is, the call's leaf is not */
	STATS_OTHER					/* other statistics */
} StatsMatch;

/* Is argument argno of the call a constant of its expression? */
static bool
arg_is_const(FmgrInfo *flinfo, int argno)
{
	List	   *args;

	if (!get_fn_expr_arg_stable(flinfo, argno) || !IsA(flinfo->fn_expr, FuncExpr))
		return false;
	args = ((FuncExpr *) flinfo->fn_expr)->args;
	return argno < list_length(args) && IsA(list_nth(args, argno), Const);
}

/* Keep the bytes of datum raw as given, when it is compressed, short or a TOAST pointer. */
static void
stats_seen_raw(StatsSeen *seen, MemoryContext cxt, Pointer raw)
{
	if (seen->raw != NULL)
		pfree(seen->raw);
	seen->raw = NULL;
	if (raw != NULL && VARATT_IS_EXTENDED(raw) &&
		(!VARATT_IS_EXTERNAL(raw) || VARATT_IS_EXTERNAL_ONDISK(raw)))
	{
		seen->raw_len = VARSIZE_ANY(raw);
		seen->raw = MemoryContextAlloc(cxt, seen->raw_len);
		memcpy(seen->raw, raw, seen->raw_len);
	}
}

/* Remember statistics ls (NULL: NULL), given as datum raw. */
static void
stats_seen_set(StatsSeen *seen, MemoryContext cxt, Pointer raw, const LeafStats *ls)
{
	if (seen->stats != NULL)
		pfree(seen->stats);
	seen->stats = NULL;
	if (ls != NULL)
	{
		seen->stats = MemoryContextAlloc(cxt, VARSIZE(ls));
		memcpy(seen->stats, ls, VARSIZE(ls));
	}
	stats_seen_raw(seen, cxt, raw);
	seen->valid = true;
}

/*
 * Are the statistics datum raw (NULL: NULL; d, detoasted if needed) the
 * ones seen, as far as a call reading leaf `leaf` (-1: every leaf) is
 * concerned?
 */
static StatsMatch
stats_seen_match(StatsSeen *seen, MemoryContext cxt, Pointer raw, Datum d, int leaf)
{
	const LeafStats *ls;

	if (!seen->valid)
		return STATS_OTHER;
	if (seen->fixed)
		return STATS_SAME;
	if (raw == NULL || seen->stats == NULL)
		return raw == NULL && seen->stats == NULL ? STATS_SAME : STATS_OTHER;
	if (!VARATT_IS_EXTENDED(raw))
	{
		/* plain: the header, then what the call reads */
		ls = (const LeafStats *) raw;
		if (VARSIZE(ls) != VARSIZE(seen->stats) ||
			memcmp(ls, seen->stats, offsetof(LeafStats, leaves)) != 0)
			return STATS_OTHER;
		if (leaf < 0)
			return memcmp(ls->leaves, seen->stats->leaves,
						  VARSIZE(ls) - offsetof(LeafStats, leaves)) == 0 ?
				STATS_SAME : STATS_OTHER;
		return memcmp(&ls->leaves[leaf], &seen->stats->leaves[leaf],
					  sizeof(IstatsState)) == 0 ? STATS_SAME : STATS_LEAF;
	}
	if (seen->raw != NULL && VARSIZE_ANY(raw) == seen->raw_len &&
		memcmp(raw, seen->raw, seen->raw_len) == 0)
		return STATS_SAME;
	ls = DatumGetLeafStatsP(d);
	if (VARSIZE(ls) != VARSIZE(seen->stats) ||
		memcmp(ls, seen->stats, VARSIZE(ls)) != 0)
		return STATS_OTHER;
	/* the same statistics in another form: compare with this one next */
	stats_seen_raw(seen, cxt, raw);
	return STATS_SAME;
}

/*
 * Take leaf's accumulator from the plain statistics datum raw, whose header
 * is the one seen (STATS_LEAF); the caller works out its summary again.
 */
static void
stats_seen_leaf(StatsSeen *seen, Pointer raw, int leaf)
{
	memcpy(&seen->stats->leaves[leaf], &((const LeafStats *) raw)->leaves[leaf],
		   sizeof(IstatsState));
	/* what was seen is no longer the datum those bytes were */
	if (seen->raw != NULL)
		pfree(seen->raw);
	seen->raw = NULL;
}

/* What leaf_stats_of keeps per query: the statistics seen, finished. */
typedef struct StatsOfCache
{
	void	   *fw_cache;
	StatsSeen	seen;
	const CompiledFramework *cf;
	SrStats    *summary;		/* per leaf */
} StatsOfCache;

/*
 * leaf_stats_of(stats, fw, code): the indicator_stats of one leaf, as
 * indicator_stats() over the same values gives it (NULL with no values).
 * Called once per row, so the summaries of the statistics seen are kept.
 */
Datum
leaf_stats_of(PG_FUNCTION_ARGS)
{
	StatsOfCache *cache = (StatsOfCache *) fcinfo->flinfo->fn_extra;
	MemoryContext cxt = fcinfo->flinfo->fn_mcxt;
	Pointer		raw = DatumGetPointer(PG_GETARG_DATUM(0));
	CompiledFramework *cf;
	int			leaf;
	SrStats    *s;
	StatsMatch	m;

	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(cxt, sizeof(StatsOfCache));
		cache->seen.fixed = arg_is_const(fcinfo->flinfo, 0);
		fcinfo->flinfo->fn_extra = cache;
	}
	framework_cached_in(&cache->fw_cache, cxt, PG_GETARG_DATUM(1), &cf);
	leaf = row_leaf(cf, PG_GETARG_INDICATOR_CODE_P(2), NULL, CurrentMemoryContext,
					"leaf_stats_of");
	m = cf != cache->cf ? STATS_OTHER :
		stats_seen_match(&cache->seen, cxt, raw, PG_GETARG_DATUM(0), leaf);
	if (m == STATS_OTHER)
	{
		LeafStats  *ls = DatumGetLeafStatsP(PG_GETARG_DATUM(0));
		int			l;

		if (ls->fingerprint != cf->fw->fingerprint || ls->nleaves != cf->fw->nleaves)
			other_framework_error();
		if (cache->summary != NULL)
			pfree(cache->summary);
		cache->summary = MemoryContextAlloc(cxt, sizeof(SrStats) * ls->nleaves);
		for (l = 0; l < ls->nleaves; l++)
			finish_leaf(&ls->leaves[l], &cache->summary[l]);
		stats_seen_set(&cache->seen, cxt, raw, ls);
		cache->cf = cf;
	}
	else if (m == STATS_LEAF)
	{
		stats_seen_leaf(&cache->seen, raw, leaf);
		finish_leaf(&cache->seen.stats->leaves[leaf], &cache->summary[leaf]);
	}
	if (cache->summary[leaf].n == 0)
		PG_RETURN_NULL();
	s = palloc(sizeof(SrStats));
	*s = cache->summary[leaf];
	PG_RETURN_POINTER(s);
}

/* ---------- composite_state ---------- */

/*
 * A composite_state from its binary form, checked byte by byte and its
 * tree compiled (22P03 for anything wrong); the tree is kept as the
 * compiled framework writes it.
 */
static CompositeState *
state_from_bytes(const unsigned char *b, size_t len, bool binary)
{
	int32		n,
				np;
	const unsigned char *tree;
	size_t		tree_len;
	const char *problem;
	Framework  *fw;
	CompositeState *st;
	size_t		wire;

	problem = composite_state_decode(b, len, &n, &np, NULL, NULL, &tree, &tree_len);
	if (problem != NULL)
		ereport(ERROR,
				(errcode(binary ? ERRCODE_INVALID_BINARY_REPRESENTATION : ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid %s value for type %s", binary ? "binary" : "text", "composite_state"),
				 errdetail("%s.", problem)));
	/* the tree's problems are reported as its binary form's (22P03) */
	fw = framework_from_wire(tree, tree_len);
	if (fw->nleaves != n)
		ereport(ERROR,
				(errcode(binary ? ERRCODE_INVALID_BINARY_REPRESENTATION : ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid %s value for type %s", binary ? "binary" : "text", "composite_state"),
				 errdetail("The number of leaves does not match the tree.")));
	wire = fw_wire_size(fw);
	st = palloc0(CS_SIZE(n, wire));
	SET_VARSIZE(st, CS_SIZE(n, wire));
	st->version = COMPOSITE_STATE_VERSION;
	st->nleaves = n;
	st->tree_len = (uint32) wire;
	(void) composite_state_decode(b, len, &n, &np, st->values, CS_PRESENT(st),
								  &tree, &tree_len);
	st->npresent = np;
	st->source = fw->fingerprint;
	fw_wire_write(fw, CS_TREE(st));
	return st;
}

static bytea *
state_wire(const CompositeState *st)
{
	size_t		len = composite_state_wire_size(st);
	bytea	   *out = palloc(VARHDRSZ + len);

	SET_VARSIZE(out, VARHDRSZ + len);
	composite_state_encode(st, (unsigned char *) VARDATA(out));
	return out;
}

Datum
composite_state_in(PG_FUNCTION_ARGS)
{
	size_t		len;
	unsigned char *b = hex_bytes(PG_GETARG_CSTRING(0), "composite_state", &len,
								 fcinfo->context);

	if (b == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(state_from_bytes(b, len, false));
}

Datum
composite_state_out(PG_FUNCTION_ARGS)
{
	bytea	   *w = state_wire(DatumGetCompositeStateP(PG_GETARG_DATUM(0)));

	PG_RETURN_CSTRING(hex_text((unsigned char *) VARDATA(w), VARSIZE(w) - VARHDRSZ));
}

Datum
composite_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	size_t		len = buf->len - buf->cursor;

	PG_RETURN_POINTER(state_from_bytes((const unsigned char *) pq_getmsgbytes(buf, len), len, true));
}

Datum
composite_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(state_wire(DatumGetCompositeStateP(PG_GETARG_DATUM(0))));
}

/*
 * What composite_step keeps per query (fn_extra): framework.c's cache, and
 * for the last framework and statistics seen, each leaf's rule and
 * summary, the tree's binary form that states carry, and the next-leaf
 * prediction.
 */
typedef struct ScoringPlan
{
	void	   *fw_cache;
	CompiledFramework *cf;		/* NULL: no plan yet */
	StatsSeen	seen;			/* the statistics (seen.stats NULL: none) */
	const SrRule **rules;		/* per leaf, NULL: the value as given */
	SrStats    *summary;		/* per leaf */
	unsigned char *tree;
	uint32		tree_len;
	LeafHint	hint;
} ScoringPlan;

/* Work out the plan for framework cf and statistics datum d (or none). */
static void
plan_scoring(ScoringPlan *plan, MemoryContext cxt, CompiledFramework *cf,
			 Pointer raw, Datum d, bool stats_null)
{
	LeafStats  *ls = stats_null ? NULL : DatumGetLeafStatsP(d);
	MemoryContext old;
	int			n = cf->fw->nleaves;
	int			l;

	if (ls != NULL && (ls->fingerprint != cf->fw->fingerprint || ls->nleaves != n))
		other_framework_error();
	old = MemoryContextSwitchTo(cxt);
	if (plan->cf != cf)
	{
		if (plan->cf != NULL)
		{
			pfree(plan->rules);
			pfree(plan->summary);
			pfree(plan->tree);
		}
		plan->rules = palloc(sizeof(SrRule *) * n);
		plan->summary = palloc(sizeof(SrStats) * n);
		plan->tree_len = (uint32) fw_wire_size(cf->fw);
		plan->tree = palloc(plan->tree_len);
		fw_wire_write(cf->fw, plan->tree);
	}
	for (l = 0; l < n; l++)
	{
		plan->rules[l] = fw_leaf_rule(cf->fw, l);
		if (plan->rules[l] != NULL && ls == NULL &&
			sr_kind_class(plan->rules[l]->kind) == SR_CLASS_STATS)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("rule %s needs statistics, but they are NULL",
							scoring_rule_to_cstring(plan->rules[l])),
					 errhint("Give composite() the statistics of the period: leaf_stats(fw, code, value) over all units, as a scalar subquery.")));
		if (ls != NULL)
			finish_leaf(&ls->leaves[l], &plan->summary[l]);
		else
			memset(&plan->summary[l], 0, sizeof(SrStats));
	}
	stats_seen_set(&plan->seen, cxt, raw, ls);
	plan->cf = cf;
	MemoryContextSwitchTo(old);
}

/*
 * Make the plan fit a call reading leaf `leaf` (-1: every leaf) of
 * framework cf under statistics datum raw (NULL: NULL), d: as it is when
 * the statistics are the ones seen (StatsSeen), else for them.
 */
static void
plan_for(ScoringPlan *plan, MemoryContext cxt, CompiledFramework *cf,
		 Pointer raw, Datum d, int leaf)
{
	StatsMatch	m = plan->cf != cf ? STATS_OTHER :
		stats_seen_match(&plan->seen, cxt, raw, d, leaf);

	if (m == STATS_OTHER)
		plan_scoring(plan, cxt, cf, raw, d, raw == NULL);
	else if (m == STATS_LEAF)
	{
		stats_seen_leaf(&plan->seen, raw, leaf);
		finish_leaf(&plan->seen.stats->leaves[leaf], &plan->summary[leaf]);
	}
}

/*
 * Transition of composite(fw, stats, code, value): the row's leaf is
 * scored by its rule under the leaf's statistics (a leaf without a rule
 * takes the value as given) and kept in the unit's state; a NULL value or
 * a NULL score counts as missing, as in rollup().
 */
Datum
composite_step(PG_FUNCTION_ARGS)
{
	ScoringPlan *plan = (ScoringPlan *) fcinfo->flinfo->fn_extra;
	CompiledFramework *cf;
	CompositeState *st;
	bool		stats_null = PG_ARGISNULL(2);
	Pointer		raw = stats_null ? NULL : DatumGetPointer(PG_GETARG_DATUM(2));
	int			leaf;
	double		x,
				score;
	uint8	   *present;

	if (PG_ARGISNULL(1))
		null_argument("framework", "composite");
	if (PG_ARGISNULL(3))
		null_argument("indicator code", "composite");
	if (plan == NULL)
	{
		plan = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ScoringPlan));
		plan->seen.fixed = arg_is_const(fcinfo->flinfo, 2);
		fcinfo->flinfo->fn_extra = plan;
	}
	framework_cached_in(&plan->fw_cache, fcinfo->flinfo->fn_mcxt,
						PG_GETARG_DATUM(1), &cf);
	leaf = row_leaf(cf, PG_GETARG_INDICATOR_CODE_P(3), &plan->hint,
					fcinfo->flinfo->fn_mcxt, "composite");
	plan_for(plan, fcinfo->flinfo->fn_mcxt, cf, raw,
			 stats_null ? (Datum) 0 : PG_GETARG_DATUM(2), leaf);

	if (PG_ARGISNULL(0))
	{
		int			n = cf->fw->nleaves;

		/* nodeAgg copies a new state into the aggregate's context */
		st = palloc(CS_SIZE(n, plan->tree_len));
		SET_VARSIZE(st, CS_SIZE(n, plan->tree_len));
		st->version = COMPOSITE_STATE_VERSION;
		memset(st->pad, 0, sizeof(st->pad));
		st->nleaves = n;
		st->npresent = 0;
		st->tree_len = plan->tree_len;
		st->pad2 = 0;
		st->source = cf->fw->fingerprint;
		memset(st->values, 0, sizeof(double) * n);
		memset(CS_PRESENT(st), 0, n);
		memcpy(CS_TREE(st), plan->tree, plan->tree_len);
	}
	else
	{
		st = (CompositeState *) state_to_update(fcinfo, PG_GETARG_DATUM(0));
		if (st->source != cf->fw->fingerprint || st->nleaves != cf->fw->nleaves)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the rows of one scorecard use different frameworks"),
					 errhint("Group composite() so that each group has one framework.")));
	}
	if (PG_ARGISNULL(4))
		PG_RETURN_POINTER(st);
	x = PG_GETARG_FLOAT8(4);
	if (plan->rules[leaf] == NULL)
	{
		dti_check_value(x);
		score = x;
	}
	else if (!dti_apply_rule(plan->rules[leaf], x, &plan->summary[leaf], &score))
		PG_RETURN_POINTER(st);	/* a NULL score is a missing value */
	present = CS_PRESENT(st);
	if (present[leaf])
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("indicator \"%s\" has more than one value in one scorecard",
						pnstrdup(ICODE_DATA(PG_GETARG_INDICATOR_CODE_P(3)),
								 ICODE_LEN(PG_GETARG_INDICATOR_CODE_P(3)))),
				 errhint("Group composite() by unit and period, and feed one current value per indicator.")));
	present[leaf] = 1;
	st->values[leaf] = score;
	st->npresent++;
	PG_RETURN_POINTER(st);
}

/* Combine: the leaves of b join a's; one leaf in both is an error. */
Datum
composite_combine(PG_FUNCTION_ARGS)
{
	CompositeState *a = (CompositeState *) state_to_update(fcinfo, PG_GETARG_DATUM(0));
	CompositeState *b = DatumGetCompositeStateP(PG_GETARG_DATUM(1));
	uint8	   *pa = CS_PRESENT(a);
	uint8	   *pb = CS_PRESENT(b);
	int			l;

	if (a->nleaves != b->nleaves || a->tree_len != b->tree_len ||
		memcmp(CS_TREE(a), CS_TREE(b), a->tree_len) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the rows of one scorecard use different frameworks")));
	for (l = 0; l < a->nleaves; l++)
	{
		if (!pb[l])
			continue;
		if (pa[l])
			ereport(ERROR,
					(errcode(ERRCODE_CARDINALITY_VIOLATION),
					 errmsg("a leaf has more than one value in one scorecard"),
					 errhint("Group composite() by unit and period, and feed one current value per indicator.")));
		pa[l] = 1;
		a->values[l] = b->values[l];
		a->npresent++;
	}
	PG_RETURN_POINTER(a);
}

/*
 * Final: the scorecard, evaluated by scorecard_evaluate over the tree the
 * state carries, compiled once per query.
 */
Datum
composite_final(PG_FUNCTION_ARGS)
{
	CompositeState *st;
	CompiledFramework *cf;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = DatumGetCompositeStateP(PG_GETARG_DATUM(0));
	/* looked up each time: the cache may drop a framework between calls */
	cf = framework_of_wire_bytes(CS_TREE(st), st->tree_len);
	if (cf->fw->nleaves != st->nleaves)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid composite_state value"),
				 errdetail("The number of leaves does not match the tree.")));
	PG_RETURN_POINTER(scorecard_evaluate(cf, st->values, (const bool *) CS_PRESENT(st)));
}

/* ---------- over leaf vectors ---------- */

/*
 * Transition of leaf_stats(fw, vector): every present leaf of the vector
 * goes to its leaf's accumulator (istats_add, as leaf_stats(fw, code,
 * value) adds the same values row by row); a NULL vector is skipped.
 */
Datum
leaf_stats_vector_step(PG_FUNCTION_ARGS)
{
	CompiledFramework *cf;
	LeafStats  *ls;
	LeafVector *lv;
	int			l;

	if (PG_ARGISNULL(1))
		null_argument("framework", "leaf_stats");
	framework_cached(fcinfo, PG_GETARG_DATUM(1), &cf);
	ls = stats_state(fcinfo, cf);
	if (PG_ARGISNULL(2))
		PG_RETURN_POINTER(ls);
	lv = PG_GETARG_LEAF_VECTOR_P(2);
	leaf_vector_check(lv, cf, "leaf_stats");
	for (l = 0; l < lv->nleaves; l += 8)
	{
		uint8		bits = LV_BITMAP(lv)[l >> 3];
		int			k;

		for (k = 0; bits != 0; k++, bits >>= 1)
			if (bits & 1)
				istats_add(&ls->leaves[l + k], lv->values[l + k]);
	}
	PG_RETURN_POINTER(ls);
}

/* What composite_vector keeps per query: the plan, scratch arrays. */
typedef struct VectorPlan
{
	ScoringPlan plan;
	int32		n;
	double	   *scores;
	uint8	   *present;
} VectorPlan;

/*
 * composite(fw, stats, vector): each present leaf scored by its rule under
 * the leaf's statistics, as composite_step scores it (a NULL score is a
 * missing leaf), then the tree evaluated by scorecard_evaluate: given the
 * same statistics, the same bits as composite(fw, stats, code, value) over
 * the rows of the vector.  NULL for a NULL vector.
 */
Datum
composite_vector(PG_FUNCTION_ARGS)
{
	VectorPlan *vp = (VectorPlan *) fcinfo->flinfo->fn_extra;
	ScoringPlan *plan;
	CompiledFramework *cf;
	bool		stats_null = PG_ARGISNULL(1);
	Pointer		raw = stats_null ? NULL : DatumGetPointer(PG_GETARG_DATUM(1));
	LeafVector *lv;
	int			l;

	if (PG_ARGISNULL(0))
		null_argument("framework", "composite");
	if (vp == NULL)
	{
		vp = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(VectorPlan));
		vp->plan.seen.fixed = arg_is_const(fcinfo->flinfo, 1);
		fcinfo->flinfo->fn_extra = vp;
	}
	plan = &vp->plan;
	framework_cached_in(&plan->fw_cache, fcinfo->flinfo->fn_mcxt,
						PG_GETARG_DATUM(0), &cf);
	plan_for(plan, fcinfo->flinfo->fn_mcxt, cf, raw,
			 PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1), -1);
	if (PG_ARGISNULL(2))
		PG_RETURN_NULL();
	lv = PG_GETARG_LEAF_VECTOR_P(2);
	leaf_vector_check(lv, cf, "composite");
	if (vp->n != lv->nleaves)
	{
		if (vp->scores != NULL)
		{
			pfree(vp->scores);
			pfree(vp->present);
		}
		vp->scores = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(double) * lv->nleaves);
		vp->present = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, lv->nleaves);
		vp->n = lv->nleaves;
	}
	for (l = 0; l < lv->nleaves; l++)
	{
		vp->scores[l] = 0.0;
		vp->present[l] = 0;
		if (!LV_PRESENT(lv, l))
			continue;
		if (plan->rules[l] == NULL)
			vp->scores[l] = lv->values[l];
		else if (!dti_apply_rule(plan->rules[l], lv->values[l], &plan->summary[l],
								 &vp->scores[l]))
		{
			vp->scores[l] = 0.0;
			continue;			/* a NULL score is a missing value */
		}
		vp->present[l] = 1;
	}
	PG_RETURN_POINTER(scorecard_evaluate(cf, vp->scores, (const bool *) vp->present));
}
