/*-------------------------------------------------------------------------
 *
 * indicator_code.c
 *	  The indicator_code type: input and output, natural-order comparison,
 *	  hashing, ancestry operators, label functions, and the planner support
 *	  that turns "code <@ 'CQS'" into a btree range scan.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_type_d.h"
#include "common/hashfn.h"
#include "lib/hyperloglog.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/sortsupport.h"

#include "dti_util.h"
#include "indicator_code.h"
#include "indicator_code_core.h"
#include "pg_compat.h"

#define ICODE_BINARY_VERSION 1

PG_FUNCTION_INFO_V1(indicator_code_in);
PG_FUNCTION_INFO_V1(indicator_code_out);
PG_FUNCTION_INFO_V1(indicator_code_recv);
PG_FUNCTION_INFO_V1(indicator_code_send);
PG_FUNCTION_INFO_V1(indicator_code_cmp);
PG_FUNCTION_INFO_V1(indicator_code_sortsupport);
PG_FUNCTION_INFO_V1(indicator_code_lt);
PG_FUNCTION_INFO_V1(indicator_code_le);
PG_FUNCTION_INFO_V1(indicator_code_eq);
PG_FUNCTION_INFO_V1(indicator_code_ne);
PG_FUNCTION_INFO_V1(indicator_code_ge);
PG_FUNCTION_INFO_V1(indicator_code_gt);
PG_FUNCTION_INFO_V1(indicator_code_hash);
PG_FUNCTION_INFO_V1(indicator_code_hash_extended);
PG_FUNCTION_INFO_V1(indicator_code_contains);
PG_FUNCTION_INFO_V1(indicator_code_contained);
PG_FUNCTION_INFO_V1(indicator_code_support);
PG_FUNCTION_INFO_V1(indicator_code_concat);
PG_FUNCTION_INFO_V1(indicator_code_concat_text);
PG_FUNCTION_INFO_V1(indicator_code_nlevel);
PG_FUNCTION_INFO_V1(indicator_code_parent);
PG_FUNCTION_INFO_V1(indicator_code_subpath);
PG_FUNCTION_INFO_V1(indicator_code_label);
PG_FUNCTION_INFO_V1(indicator_code_ancestors);
PG_FUNCTION_INFO_V1(indicator_code_from_text);
PG_FUNCTION_INFO_V1(indicator_code_to_text);

IndicatorCode *
indicator_code_make(const char *s, size_t len)
{
	IndicatorCode *result = (IndicatorCode *) palloc(VARHDRSZ + len);

	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), s, len);
	return result;
}

/* The character at s[pos], printable, for an error detail. */
static char *
describe_char(const char *s, size_t len, size_t pos)
{
	unsigned char c = (unsigned char) s[pos];
	int			clen;

	if (c < 0x20 || c == 0x7f)
		return psprintf("byte 0x%02X", c);
	clen = pg_mblen(s + pos);
	if ((size_t) clen > len - pos)
		clen = (int) (len - pos);
	return psprintf("\"%s\"", pnstrdup(s + pos, clen));
}

static char *
describe_problem(const char *s, size_t len, const IcodeError *err)
{
	switch (err->problem)
	{
		case ICODE_EMPTY:
			return pstrdup("The code is empty.");
		case ICODE_EMPTY_LABEL:
			if (err->position == 1)
				return pstrdup("Label 1 is empty: the code starts with a dot.");
			if (err->position == len + 1)
				return psprintf("Label %d is empty: the code ends with a dot.",
								err->label);
			return psprintf("Label %d is empty: two dots in a row at position %zu.",
							err->label, err->position - 1);
		case ICODE_BAD_CHAR:
			return psprintf("Invalid character %s at position %zu (label %d); labels hold only ASCII letters, digits and \"_\".",
							describe_char(s, len, err->position - 1),
							err->position, err->label);
		case ICODE_LABEL_TOO_LONG:
			return psprintf("Label %d is longer than %d characters (position %zu).",
							err->label, ICODE_MAX_LABEL, err->position);
		case ICODE_TOO_DEEP:
			return psprintf("The code has more than %d labels (position %zu).",
							ICODE_MAX_LEVELS, err->position);
		case ICODE_OK:
			break;
	}
	elog(ERROR, "unexpected indicator_code problem %d", (int) err->problem);
	return NULL;				/* keep compiler quiet */
}

IndicatorCode *
indicator_code_parse(const char *s, size_t len)
{
	return indicator_code_parse_safe(s, len, NULL);
}

/*
 * Parse a code; bad text is reported to escontext when the caller gave one
 * (a soft error: NULL is returned), else raised.
 */
IndicatorCode *
indicator_code_parse_safe(const char *s, size_t len, Node *escontext)
{
	IcodeError	err;

	if (icode_validate(s, len, &err) == 0)
		ereturn(escontext, NULL,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"",
						"indicator_code", dti_quote_input(s, len)),
				 errdetail_internal("%s", describe_problem(s, len, &err)),
				 errhint("Indicator codes are labels of letters, digits and \"_\" separated by dots, such as \"CQS.3.2\".")));
	return indicator_code_make(s, len);
}

Datum
indicator_code_in(PG_FUNCTION_ARGS)
{
	char	   *s = PG_GETARG_CSTRING(0);

	/* on a soft error, NULL: the caller looks at its context, not at this */
	PG_RETURN_POINTER(indicator_code_parse_safe(s, strlen(s), fcinfo->context));
}

Datum
indicator_code_out(PG_FUNCTION_ARGS)
{
	IndicatorCode *c = PG_GETARG_INDICATOR_CODE_P(0);

	PG_RETURN_CSTRING(pnstrdup(ICODE_DATA(c), ICODE_LEN(c)));
}

/*
 * Binary form: a version byte (1), then the code's bytes.  Input is
 * validated exactly as text input is.
 */
Datum
indicator_code_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int			len;
	const char *s;
	IcodeError	err;

	if (version != ICODE_BINARY_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary format version %d for type %s",
						version, "indicator_code"),
				 errdetail("This server reads version %d.", ICODE_BINARY_VERSION)));
	len = buf->len - buf->cursor;
	s = pq_getmsgbytes(buf, len);
	if (icode_validate(s, len, &err) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary value for type %s", "indicator_code"),
				 errdetail_internal("%s", describe_problem(s, len, &err))));
	PG_RETURN_POINTER(indicator_code_make(s, len));
}

Datum
indicator_code_send(PG_FUNCTION_ARGS)
{
	IndicatorCode *c = PG_GETARG_INDICATOR_CODE_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, ICODE_BINARY_VERSION);
	pq_sendbytes(&buf, ICODE_DATA(c), ICODE_LEN(c));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
indicator_code_from_text(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_POINTER(indicator_code_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
}

Datum
indicator_code_to_text(PG_FUNCTION_ARGS)
{
	IndicatorCode *c = PG_GETARG_INDICATOR_CODE_P(0);

	PG_RETURN_TEXT_P(cstring_to_text_with_len(ICODE_DATA(c), ICODE_LEN(c)));
}

/* Comparison */

static int
compare_args(FunctionCallInfo fcinfo)
{
	IndicatorCode *a = PG_GETARG_INDICATOR_CODE_P(0);
	IndicatorCode *b = PG_GETARG_INDICATOR_CODE_P(1);
	int			c = icode_compare(ICODE_DATA(a), ICODE_LEN(a),
								  ICODE_DATA(b), ICODE_LEN(b));

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return c;
}

Datum
indicator_code_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(compare_args(fcinfo));
}

/*
 * Sorts and merge joins compare through this comparator rather than through
 * indicator_code_cmp, saving a function call per comparison.
 */
static int
sortsupport_compare(Datum x, Datum y, SortSupport ssup)
{
	IndicatorCode *a = DatumGetIndicatorCodeP(x);
	IndicatorCode *b = DatumGetIndicatorCodeP(y);
	int			c = icode_compare(ICODE_DATA(a), ICODE_LEN(a),
								  ICODE_DATA(b), ICODE_LEN(b));

	if ((Pointer) a != DatumGetPointer(x))
		pfree(a);
	if ((Pointer) b != DatumGetPointer(y))
		pfree(b);
	return c;
}

/*
 * Abbreviated keys (icode_abbrev): most comparisons of a sort become
 * integer comparisons that read no code.  The number of distinct codes and
 * of distinct keys are estimated on the first rows; when keys separate
 * codes poorly (codes sharing their first labels), abbreviation is given up.
 */
typedef struct AbbrevState
{
	hyperLogLogState full_card;
	hyperLogLogState abbr_card;
	bool		estimating;
} AbbrevState;

static Datum
abbrev_convert(Datum original, SortSupport ssup)
{
	AbbrevState *st = (AbbrevState *) ssup->ssup_extra;
	IndicatorCode *c = DatumGetIndicatorCodeP(original);
	uint64		key = icode_abbrev(ICODE_DATA(c), ICODE_LEN(c));

	if (st->estimating)
	{
		addHyperLogLog(&st->full_card,
					   DatumGetUInt32(hash_any((const unsigned char *) ICODE_DATA(c),
											   ICODE_LEN(c))));
		addHyperLogLog(&st->abbr_card, DatumGetUInt32(hash_uint32((uint32) (key ^ (key >> 32)))));
	}
	if ((Pointer) c != DatumGetPointer(original))
		pfree(c);
#if SIZEOF_DATUM == 8
	return UInt64GetDatum(key);
#else
	return UInt32GetDatum((uint32) (key >> 32));
#endif
}

static bool
abbrev_abort(int memtupcount, SortSupport ssup)
{
	AbbrevState *st = (AbbrevState *) ssup->ssup_extra;
	double		full;
	double		abbr;

	if (memtupcount < 1000 || !st->estimating)
		return false;
	full = Max(estimateHyperLogLog(&st->full_card), 1.0);
	abbr = Max(estimateHyperLogLog(&st->abbr_card), 1.0);
	if (abbr >= full * 0.2)
	{
		/* good enough on a sample of this size: stop counting */
		if (memtupcount >= 10000)
			st->estimating = false;
		return false;
	}
	return true;
}

Datum
indicator_code_sortsupport(PG_FUNCTION_ARGS)
{
	SortSupport ssup = (SortSupport) PG_GETARG_POINTER(0);

	ssup->comparator = sortsupport_compare;
	if (ssup->abbreviate)
	{
		MemoryContext old = MemoryContextSwitchTo(ssup->ssup_cxt);
		AbbrevState *st = palloc(sizeof(AbbrevState));

		initHyperLogLog(&st->full_card, 10);
		initHyperLogLog(&st->abbr_card, 10);
		st->estimating = true;
		MemoryContextSwitchTo(old);
		ssup->ssup_extra = st;
		ssup->abbrev_full_comparator = sortsupport_compare;
		ssup->comparator = ssup_datum_unsigned_cmp;
		ssup->abbrev_converter = abbrev_convert;
		ssup->abbrev_abort = abbrev_abort;
	}
	PG_RETURN_VOID();
}

Datum
indicator_code_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_args(fcinfo) < 0);
}

Datum
indicator_code_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_args(fcinfo) <= 0);
}

Datum
indicator_code_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_args(fcinfo) >= 0);
}

Datum
indicator_code_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(compare_args(fcinfo) > 0);
}

/* Equality is byte equality: no need to walk the runs. */
static bool
bytes_equal(FunctionCallInfo fcinfo)
{
	IndicatorCode *a = PG_GETARG_INDICATOR_CODE_P(0);
	IndicatorCode *b = PG_GETARG_INDICATOR_CODE_P(1);
	bool		eq = ICODE_LEN(a) == ICODE_LEN(b) &&
		memcmp(ICODE_DATA(a), ICODE_DATA(b), ICODE_LEN(a)) == 0;

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return eq;
}

Datum
indicator_code_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(bytes_equal(fcinfo));
}

Datum
indicator_code_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!bytes_equal(fcinfo));
}

Datum
indicator_code_hash(PG_FUNCTION_ARGS)
{
	IndicatorCode *c = PG_GETARG_INDICATOR_CODE_P(0);
	Datum		h = hash_any((const unsigned char *) ICODE_DATA(c), ICODE_LEN(c));

	PG_FREE_IF_COPY(c, 0);
	return h;
}

Datum
indicator_code_hash_extended(PG_FUNCTION_ARGS)
{
	IndicatorCode *c = PG_GETARG_INDICATOR_CODE_P(0);
	Datum		h = hash_any_extended((const unsigned char *) ICODE_DATA(c),
									  ICODE_LEN(c), PG_GETARG_INT64(1));

	PG_FREE_IF_COPY(c, 0);
	return h;
}

/* Ancestry */

/* Is a an ancestor of b, or equal to it? */
static bool
is_ancestor_or_self(const IndicatorCode *a, const IndicatorCode *b)
{
	size_t		alen = ICODE_LEN(a);
	size_t		blen = ICODE_LEN(b);

	if (alen > blen || memcmp(ICODE_DATA(a), ICODE_DATA(b), alen) != 0)
		return false;
	return alen == blen || ICODE_DATA(b)[alen] == '.';
}

Datum
indicator_code_contains(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(is_ancestor_or_self(PG_GETARG_INDICATOR_CODE_P(0),
									   PG_GETARG_INDICATOR_CODE_P(1)));
}

Datum
indicator_code_contained(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(is_ancestor_or_self(PG_GETARG_INDICATOR_CODE_P(1),
									   PG_GETARG_INDICATOR_CODE_P(0)));
}

/*
 * Planner support for @> and <@: when the descendant side is the key of a
 * btree index on indicator_code and the ancestor side is a constant p, the
 * clause is exactly "key >= p AND key < p'", where p' is p with its last
 * label extended to the smallest label that sorts after it (descendants
 * share p's labels and then go deeper, so they all sort inside the range).
 */
Datum
indicator_code_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestIndexCondition *req;
	OpExpr	   *clause;
	Node	   *indexkey;
	Node	   *other;
	Const	   *prefix;
	IndicatorCode *p;
	IndicatorCode *upper;
	Oid			typid;
	Oid			geop;
	Oid			ltop;
	char	   *fname;
	int			descendant_arg;

	if (!IsA(rawreq, SupportRequestIndexCondition))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestIndexCondition *) rawreq;
	if (!is_opclause(req->node) || req->index->relam != BTREE_AM_OID)
		PG_RETURN_POINTER(NULL);
	clause = (OpExpr *) req->node;
	if (list_length(clause->args) != 2)
		PG_RETURN_POINTER(NULL);

	/* which argument is the descendant: 0 for "x <@ p", 1 for "p @> x" */
	fname = get_func_name(req->funcid);
	if (fname == NULL)
		PG_RETURN_POINTER(NULL);
	if (strcmp(fname, "indicator_code_contained") == 0)
		descendant_arg = 0;
	else if (strcmp(fname, "indicator_code_contains") == 0)
		descendant_arg = 1;
	else
		PG_RETURN_POINTER(NULL);
	if (req->indexarg != descendant_arg)
		PG_RETURN_POINTER(NULL);

	indexkey = (Node *) list_nth(clause->args, descendant_arg);
	other = (Node *) list_nth(clause->args, 1 - descendant_arg);
	if (!IsA(other, Const) || ((Const *) other)->constisnull)
		PG_RETURN_POINTER(NULL);
	prefix = (Const *) other;
	typid = prefix->consttype;

	geop = get_opfamily_member(req->opfamily, typid, typid, BTGreaterEqualStrategyNumber);
	ltop = get_opfamily_member(req->opfamily, typid, typid, BTLessStrategyNumber);
	if (!OidIsValid(geop) || !OidIsValid(ltop))
		PG_RETURN_POINTER(NULL);

	p = DatumGetIndicatorCodeP(prefix->constvalue);
	upper = (IndicatorCode *) palloc(VARHDRSZ + ICODE_LEN(p) + 1);
	SET_VARSIZE(upper, VARHDRSZ + ICODE_LEN(p) + 1);
	memcpy(VARDATA(upper), ICODE_DATA(p), ICODE_LEN(p));
	VARDATA(upper)[ICODE_LEN(p)] = icode_successor_char(ICODE_DATA(p), ICODE_LEN(p));

	req->lossy = false;
	PG_RETURN_POINTER(list_make2(
								 make_opclause(geop, BOOLOID, false, (Expr *) indexkey,
											   (Expr *) makeConst(typid, -1, InvalidOid, -1,
																  PointerGetDatum(indicator_code_make(ICODE_DATA(p), ICODE_LEN(p))),
																  false, false),
											   InvalidOid, InvalidOid),
								 make_opclause(ltop, BOOLOID, false, (Expr *) indexkey,
											   (Expr *) makeConst(typid, -1, InvalidOid, -1,
																  PointerGetDatum(upper), false, false),
											   InvalidOid, InvalidOid)));
}

/* Building and taking apart */

static IndicatorCode *
join_codes(const char *a, size_t alen, const char *b, size_t blen)
{
	IndicatorCode *result;

	if (icode_nlevels(a, alen) + icode_nlevels(b, blen) > ICODE_MAX_LEVELS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("indicator code would have more than %d labels",
						ICODE_MAX_LEVELS),
				 errdetail("\"%s\" has %d labels and \"%s\" has %d.",
						   dti_quote_input(a, alen), icode_nlevels(a, alen),
						   dti_quote_input(b, blen), icode_nlevels(b, blen))));
	result = (IndicatorCode *) palloc(VARHDRSZ + alen + 1 + blen);
	SET_VARSIZE(result, VARHDRSZ + alen + 1 + blen);
	memcpy(VARDATA(result), a, alen);
	VARDATA(result)[alen] = '.';
	memcpy(VARDATA(result) + alen + 1, b, blen);
	return result;
}

Datum
indicator_code_concat(PG_FUNCTION_ARGS)
{
	IndicatorCode *a = PG_GETARG_INDICATOR_CODE_P(0);
	IndicatorCode *b = PG_GETARG_INDICATOR_CODE_P(1);

	PG_RETURN_POINTER(join_codes(ICODE_DATA(a), ICODE_LEN(a),
								 ICODE_DATA(b), ICODE_LEN(b)));
}

/* code || 'label' or code || 'sub.code': the text must itself be a code */
Datum
indicator_code_concat_text(PG_FUNCTION_ARGS)
{
	IndicatorCode *a = PG_GETARG_INDICATOR_CODE_P(0);
	text	   *t = PG_GETARG_TEXT_PP(1);
	IndicatorCode *b = indicator_code_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

	PG_RETURN_POINTER(join_codes(ICODE_DATA(a), ICODE_LEN(a),
								 ICODE_DATA(b), ICODE_LEN(b)));
}

Datum
indicator_code_nlevel(PG_FUNCTION_ARGS)
{
	IndicatorCode *c = PG_GETARG_INDICATOR_CODE_P(0);

	PG_RETURN_INT32(icode_nlevels(ICODE_DATA(c), ICODE_LEN(c)));
}

/* Labels [first, first + count) of c, as a new code. */
static IndicatorCode *
labels_range(const IndicatorCode *c, int first, int count)
{
	size_t		start,
				len,
				last_start,
				last_len;

	icode_label_span(ICODE_DATA(c), ICODE_LEN(c), first, &start, &len);
	icode_label_span(ICODE_DATA(c), ICODE_LEN(c), first + count - 1,
					 &last_start, &last_len);
	return indicator_code_make(ICODE_DATA(c) + start,
							   last_start + last_len - start);
}

Datum
indicator_code_parent(PG_FUNCTION_ARGS)
{
	IndicatorCode *c = PG_GETARG_INDICATOR_CODE_P(0);
	int			n = icode_nlevels(ICODE_DATA(c), ICODE_LEN(c));

	if (n == 1)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(labels_range(c, 0, n - 1));
}

/*
 * subpath(code, offset [, len]): the labels from offset (0-based; negative
 * counts from the end) on, len of them (negative: all but the last -len;
 * absent: to the end).  An empty or out-of-range result is an error, as
 * for ltree's subpath.
 */
Datum
indicator_code_subpath(PG_FUNCTION_ARGS)
{
	IndicatorCode *c = PG_GETARG_INDICATOR_CODE_P(0);
	int32		offset = PG_GETARG_INT32(1);
	int			n = icode_nlevels(ICODE_DATA(c), ICODE_LEN(c));
	int64		first = offset < 0 ? (int64) n + offset : offset;
	int64		end;

	if (PG_NARGS() < 3)
		end = n;
	else
	{
		int32		len = PG_GETARG_INT32(2);

		end = len < 0 ? (int64) n + len : first + len;
	}
	if (first < 0 || first >= n || end <= first || end > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("subpath is empty or out of range"),
				 errdetail("The code has %d labels; the request selects labels %lld to %lld (0-based, end excluded).",
						   n, (long long) first, (long long) end)));
	PG_RETURN_POINTER(labels_range(c, (int) first, (int) (end - first)));
}

/* label(code, n): label n (1-based; negative counts from the end), or NULL */
Datum
indicator_code_label(PG_FUNCTION_ARGS)
{
	IndicatorCode *c = PG_GETARG_INDICATOR_CODE_P(0);
	int32		k = PG_GETARG_INT32(1);
	int			n = icode_nlevels(ICODE_DATA(c), ICODE_LEN(c));
	size_t		start,
				len;

	if (k < 0)
		k = n + k + 1;
	if (k < 1 || k > n)
		PG_RETURN_NULL();
	icode_label_span(ICODE_DATA(c), ICODE_LEN(c), k - 1, &start, &len);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(ICODE_DATA(c) + start, len));
}

/*
 * ancestors(code [, include_self]): the proper ancestors of a code, root
 * first, and the code itself last when include_self is true.
 */
Datum
indicator_code_ancestors(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	IndicatorCode *c;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext oldcontext;
		int			n;

		funcctx = SRF_FIRSTCALL_INIT();
		oldcontext = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		c = (IndicatorCode *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
		n = icode_nlevels(ICODE_DATA(c), ICODE_LEN(c));
		funcctx->user_fctx = c;
		funcctx->max_calls = (PG_NARGS() > 1 && PG_GETARG_BOOL(1)) ? n : n - 1;
		MemoryContextSwitchTo(oldcontext);
	}
	funcctx = SRF_PERCALL_SETUP();
	c = (IndicatorCode *) funcctx->user_fctx;
	if (funcctx->call_cntr < funcctx->max_calls)
	{
		/* SRF_RETURN_NEXT advances call_cntr before using its argument */
		Datum		next = PointerGetDatum(labels_range(c, 0, (int) funcctx->call_cntr + 1));

		SRF_RETURN_NEXT(funcctx, next);
	}
	SRF_RETURN_DONE(funcctx);
}
