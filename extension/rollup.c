/*-------------------------------------------------------------------------
 *
 * rollup.c
 *	  The rollup(framework, code, value) aggregate: one unit's leaf values
 *	  in, its whole scorecard out, in one pass.
 *
 * The transition state holds one slot per leaf of the framework.  Partial
 * states (parallel workers) merge slot by slot, so a parallel result is
 * bit-for-bit the serial one.  A serialized state carries its framework,
 * because the final function runs where no framework argument is at hand.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "dti_util.h"
#include "indicator_code.h"
#include "scorecard.h"
#include "tree_wire_core.h"
#include "wire_core.h"

PG_FUNCTION_INFO_V1(rollup_step);
PG_FUNCTION_INFO_V1(rollup_combine);
PG_FUNCTION_INFO_V1(rollup_serialize);
PG_FUNCTION_INFO_V1(rollup_deserialize);
PG_FUNCTION_INFO_V1(rollup_final);

typedef struct RollupState
{
	CompiledFramework *cf;
	int32		nleaves;
	int32		npresent;
	int32		hint;			/* node expected in the next row */
	bool	   *present;
	float8	   *values;
} RollupState;

static RollupState *
state_new(MemoryContext aggcxt, CompiledFramework *cf)
{
	int			n = cf->fw->nleaves;
	Size		values_at = MAXALIGN(sizeof(RollupState));
	Size		present_at = values_at + sizeof(float8) * n;
	char	   *mem = MemoryContextAlloc(aggcxt, present_at + n);
	RollupState *st = (RollupState *) mem;

	/* one chunk per group: the header, the values, the presence flags */
	st->cf = cf;
	st->nleaves = n;
	st->npresent = 0;
	st->hint = -1;
	st->values = (float8 *) (mem + values_at);
	st->present = (bool *) (mem + present_at);
	memset(st->present, 0, n);
	return st;
}

static char *
leaf_code(const Framework *fw, int leaf)
{
	int			i;

	for (i = 0; i < fw->nnodes; i++)
		if (fw->nodes[i].leaf_index == leaf)
			return pnstrdup(FW_CODE(fw, i), fw->nodes[i].code_len);
	return pstrdup("?");
}

static void
duplicate_error(const Framework *fw, int leaf)
{
	ereport(ERROR,
			(errcode(ERRCODE_CARDINALITY_VIOLATION),
			 errmsg("indicator \"%s\" has more than one value in one scorecard",
					leaf_code(fw, leaf)),
			 errhint("Group rollup() by unit and period, and feed one current value per indicator.")));
}

Datum
rollup_step(PG_FUNCTION_ARGS)
{
	RollupState *st = PG_ARGISNULL(0) ? NULL : (RollupState *) PG_GETARG_POINTER(0);
	CompiledFramework *cf;
	IndicatorCode *code;
	int			node;
	int			leaf;
	float8		v;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the framework given to rollup() must not be NULL")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the indicator code given to rollup() must not be NULL")));

	framework_cached(fcinfo, PG_GETARG_DATUM(1), &cf);
	if (st == NULL)
		st = state_new(dti_aggregate_context(fcinfo, "rollup_step"), cf);
	else if (st->cf != cf && st->cf->fw->fingerprint != cf->fw->fingerprint)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the rows of one scorecard use different frameworks"),
				 errhint("Group rollup() so that each group has one framework.")));

	code = PG_GETARG_INDICATOR_CODE_P(2);
	node = st->hint;
	if (node < 0 || cf->fw->nodes[node].code_len != ICODE_LEN(code) ||
		memcmp(FW_CODE(cf->fw, node), ICODE_DATA(code), ICODE_LEN(code)) != 0)
		node = framework_find(cf, ICODE_DATA(code), ICODE_LEN(code));
	if (node < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("indicator \"%s\" is not in the framework",
						pnstrdup(ICODE_DATA(code), ICODE_LEN(code))),
				 errhint("Filter the rows to the framework's leaves, or add the indicator to the framework.")));
	leaf = cf->fw->nodes[node].leaf_index;
	st->hint = cf->next_leaf[node];
	if (leaf < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("indicator \"%s\" is not a leaf of the framework",
						pnstrdup(ICODE_DATA(code), ICODE_LEN(code))),
				 errdetail("rollup() takes leaf values; inner values are computed from them.")));

	if (PG_ARGISNULL(3))
		PG_RETURN_POINTER(st);	/* a missing value stays missing */
	v = PG_GETARG_FLOAT8(3);
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value of indicator \"%s\" must be finite",
						pnstrdup(ICODE_DATA(code), ICODE_LEN(code))),
				 errdetail("The value is %s.", float8out_internal(v))));
	if (st->present[leaf])
		duplicate_error(cf->fw, leaf);
	st->present[leaf] = true;
	st->values[leaf] = v;
	st->npresent++;
	PG_RETURN_POINTER(st);
}

Datum
rollup_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = dti_aggregate_context(fcinfo, "rollup_combine");
	RollupState *a = PG_ARGISNULL(0) ? NULL : (RollupState *) PG_GETARG_POINTER(0);
	RollupState *b = PG_ARGISNULL(1) ? NULL : (RollupState *) PG_GETARG_POINTER(1);
	int			i;

	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
	{
		/* b came from rollup_deserialize in this context: adopt it */
		if (GetMemoryChunkContext(b) == aggcxt)
			PG_RETURN_POINTER(b);
		a = state_new(aggcxt, b->cf);
		memcpy(a->present, b->present, sizeof(bool) * b->nleaves);
		memcpy(a->values, b->values, sizeof(float8) * b->nleaves);
		a->npresent = b->npresent;
		PG_RETURN_POINTER(a);
	}
	if (a->cf->fw->fingerprint != b->cf->fw->fingerprint || a->nleaves != b->nleaves)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the rows of one scorecard use different frameworks")));
	for (i = 0; i < b->nleaves; i++)
	{
		if (!b->present[i])
			continue;
		if (a->present[i])
			duplicate_error(a->cf->fw, i);
		a->present[i] = true;
		a->values[i] = b->values[i];
		a->npresent++;
	}
	PG_RETURN_POINTER(a);
}

/*
 * Serialized state of the internal-state rollup() of versions up to 0.8.0
 * (their install scripts still name these functions, until an update to
 * 0.9.0 replaces them with the rollup_state ones below): version byte, the
 * framework embedded whole, the number of leaves, one presence byte per
 * leaf, then the values of the present leaves.
 */
Datum
rollup_serialize(PG_FUNCTION_ARGS)
{
	RollupState *st = (RollupState *) PG_GETARG_POINTER(0);
	Framework  *fw = st->cf->fw;
	Size		fw_bytes;
	Size		size;
	bytea	   *out;
	char	   *p;
	int			i;

	dti_aggregate_context(fcinfo, "rollup_serialize");
	fw_bytes = VARSIZE(fw);
	size = VARHDRSZ + 2 + fw_bytes + sizeof(int32) +
		st->nleaves + sizeof(float8) * st->npresent;
	out = (bytea *) palloc(size);
	SET_VARSIZE(out, size);
	p = VARDATA(out);
	*p++ = ROLLUP_STATE_VERSION;
	*p++ = ROLLUP_FW_EMBEDDED;
	memcpy(p, fw, fw_bytes);
	p += fw_bytes;
	memcpy(p, &st->nleaves, sizeof(int32));
	p += sizeof(int32);
	for (i = 0; i < st->nleaves; i++)
		*p++ = st->present[i] ? 1 : 0;
	for (i = 0; i < st->nleaves; i++)
		if (st->present[i])
		{
			memcpy(p, &st->values[i], sizeof(float8));
			p += sizeof(float8);
		}
	PG_RETURN_BYTEA_P(out);
}

static void
corrupt_state(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid rollup state"),
			 errdetail("In the state, %s.", why)));
}

/*
 * Serialized state to state: rollup_state_parse (framework_core.c) checks
 * the layout and the values, framework_validate the framework unless it is
 * the one already compiled for this query.
 */
Datum
rollup_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = dti_aggregate_context(fcinfo, "rollup_deserialize");
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	CompiledFramework *cf = (CompiledFramework *) fcinfo->flinfo->fn_extra;
	RollupStateView view;
	Framework	hdr;
	RollupState *st;
	const char *problem;
	int			i,
				k;

	problem = rollup_state_parse((const unsigned char *) VARDATA_ANY(in),
								 VARSIZE_ANY_EXHDR(in), &view);
	if (problem != NULL)
		corrupt_state(problem);
	memcpy(&hdr, view.fw, FW_HEADER_SIZE);
	/* one compiled framework per query, kept in fn_extra */
	if (cf == NULL || cf->fw->fingerprint != hdr.fingerprint ||
		cf->fw->nnodes != hdr.nnodes || VARSIZE(cf->fw) != view.fw_size)
	{
		Framework  *fw;

		if (view.carried != ROLLUP_FW_EMBEDDED)
			corrupt_state("the framework is not embedded");
		fw = (Framework *) palloc(view.fw_size);
		memcpy(fw, view.fw, view.fw_size);
		framework_validate(fw, view.fw_size);
		cf = framework_prepare(fw, fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = cf;
	}
	if (view.nleaves != cf->fw->nleaves)
		corrupt_state("the number of leaves does not match the framework");
	st = state_new(aggcxt, cf);
	for (i = 0, k = 0; i < view.nleaves; i++)
		if (view.present[i] != 0)
		{
			st->present[i] = true;
			memcpy(&st->values[i], view.values + sizeof(float8) * k++, sizeof(float8));
		}
	st->npresent = view.npresent;
	PG_RETURN_POINTER(st);
}

Datum
rollup_final(PG_FUNCTION_ARGS)
{
	RollupState *st;

	dti_aggregate_context(fcinfo, "rollup_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (RollupState *) PG_GETARG_POINTER(0);
	PG_RETURN_POINTER(scorecard_evaluate(st->cf, st->values, st->present));
}

/* ---------- rollup() on the type rollup_state ---------- */

/*
 * rollup()'s state as a value of its own, so that Citus can run rollup()
 * in two steps (partial states on the workers, combined on the
 * coordinator) and parallel workers hand states over without serialize
 * functions.  A state is self-contained: it carries its framework's binary
 * form, so that whoever combines or finishes it needs nothing else, and
 * the hash of that form, by which each backend finds the framework
 * compiled once (framework_of_wire, framework.c).  In memory:
 *
 *	 the header, float8 values[nleaves], bool present[nleaves], then the
 *	 framework's binary form (wire_len bytes).
 *
 * The transition and combine functions update it in place under an
 * aggregate (AggCheckCallContext).  The type's binary form is
 * rollup_state_decode's (framework_core.h), its text form that in
 * hexadecimal; both inputs check every byte and compile the framework.
 */
typedef struct RollupDatum
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		nleaves;
	int32		npresent;
	int32		hint;			/* node expected in the next row, or -1 */
	uint32		wire_len;
	int32		pad;
	uint64		wire_hash;
} RollupDatum;

#define RD_VALUES(d)	((float8 *) ((char *) (d) + MAXALIGN(sizeof(RollupDatum))))
#define RD_PRESENT(d)	((bool *) (RD_VALUES(d) + (d)->nleaves))
#define RD_WIRE(d)		((unsigned char *) (RD_PRESENT(d) + (d)->nleaves))
#define RD_SIZE(nleaves, wire_len) \
	(MAXALIGN(sizeof(RollupDatum)) + (sizeof(float8) + 1) * (Size) (nleaves) + (wire_len))

PG_FUNCTION_INFO_V1(rollup_state_in);
PG_FUNCTION_INFO_V1(rollup_state_out);
PG_FUNCTION_INFO_V1(rollup_state_recv);
PG_FUNCTION_INFO_V1(rollup_state_send);
PG_FUNCTION_INFO_V1(rollup_state_step);
PG_FUNCTION_INFO_V1(rollup_state_combine);
PG_FUNCTION_INFO_V1(rollup_state_final);

/* The compiled framework of a state, from the cache or compiled now. */
static CompiledFramework *
datum_framework(const RollupDatum *d)
{
	CompiledFramework *cf = framework_of_wire(RD_WIRE(d), d->wire_len, d->wire_hash);

	if (cf->fw->nleaves != d->nleaves)
		corrupt_state("the number of leaves does not match the framework");
	return cf;
}

/* An empty state of framework cf, in the current memory context. */
static RollupDatum *
rollup_datum_new(const CompiledFramework *cf)
{
	int			n = cf->fw->nleaves;
	Size		size = RD_SIZE(n, cf->wire_len);
	RollupDatum *d = (RollupDatum *) palloc(size);

	SET_VARSIZE(d, size);
	d->nleaves = n;
	d->npresent = 0;
	d->hint = -1;
	d->wire_len = cf->wire_len;
	d->pad = 0;
	d->wire_hash = cf->wire_hash;
	memset(RD_VALUES(d), 0, sizeof(float8) * n);
	memset(RD_PRESENT(d), 0, n);
	memcpy(RD_WIRE(d), cf->wire, cf->wire_len);
	return d;
}

/*
 * A state from its binary form: rollup_state_decode checks the layout and
 * the values, the cache or framework_from_wire the framework (a cached one
 * is compared byte for byte).  The state then carries the framework's
 * binary form as this server writes it.
 */
static RollupDatum *
rollup_datum_decode(const unsigned char *buf, size_t len)
{
	RollupValueView view;
	const char *problem = rollup_state_decode(buf, len, &view);
	CompiledFramework *cf;
	RollupDatum *d;
	WireReader	r;
	int			i;

	if (problem != NULL)
		dti_state_bad_input("rollup_state", problem);
	cf = framework_of_wire_bytes(view.wire, view.wire_len);
	if (cf->fw->nleaves != view.nleaves)
		dti_state_bad_input("rollup_state", "The number of leaves does not match the framework");
	d = rollup_datum_new(cf);
	wire_init(&r, view.values, sizeof(float8) * (size_t) view.npresent);
	for (i = 0; i < view.nleaves; i++)
		if (view.present[i])
		{
			RD_PRESENT(d)[i] = true;
			RD_VALUES(d)[i] = wire_float8(&r);
		}
	d->npresent = view.npresent;
	return d;
}

/* The binary form of a state (see framework_core.h), palloc'd. */
static unsigned char *
rollup_datum_encode(const RollupDatum *d, size_t *len)
{
	size_t		size = 1 + 4 + d->nleaves + sizeof(float8) * d->npresent + d->wire_len;
	unsigned char *out = palloc(size);
	unsigned char *p = out;
	int			i;

	*p++ = ROLLUP_VALUE_VERSION;
	p = wire_put_uint(p, (uint32) d->nleaves, 4);
	for (i = 0; i < d->nleaves; i++)
		*p++ = RD_PRESENT(d)[i] ? 1 : 0;
	for (i = 0; i < d->nleaves; i++)
		if (RD_PRESENT(d)[i])
			p = wire_put_float8(p, RD_VALUES(d)[i]);
	memcpy(p, RD_WIRE(d), d->wire_len);
	*len = size;
	return out;
}

/* Text input: the hexadecimal form rollup_state_out writes. */
Datum
rollup_state_in(PG_FUNCTION_ARGS)
{
	size_t		len;
	unsigned char *bytes = dti_state_hex_in(PG_GETARG_CSTRING(0), "rollup_state", &len);

	PG_RETURN_POINTER(rollup_datum_decode(bytes, len));
}

/* Text output: the binary form in hexadecimal. */
Datum
rollup_state_out(PG_FUNCTION_ARGS)
{
	RollupDatum *d = (RollupDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	size_t		len;
	unsigned char *bytes = rollup_datum_encode(d, &len);

	PG_RETURN_CSTRING(dti_state_hex_out(bytes, len));
}

/* Binary input: the whole message is the binary form. */
Datum
rollup_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	const char *bytes = pq_getmsgbytes(buf, len);

	PG_RETURN_POINTER(rollup_datum_decode((const unsigned char *) bytes, len));
}

/* Binary output: see framework_core.h. */
Datum
rollup_state_send(PG_FUNCTION_ARGS)
{
	RollupDatum *d = (RollupDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	size_t		len;
	unsigned char *bytes = rollup_datum_encode(d, &len);
	bytea	   *out = (bytea *) palloc(VARHDRSZ + len);

	SET_VARSIZE(out, VARHDRSZ + len);
	memcpy(VARDATA(out), bytes, len);
	PG_RETURN_BYTEA_P(out);
}

/*
 * Transition of rollup() on rollup_state: as rollup_step, the state
 * updated in place.  The first state of a group is made in the current
 * memory context with the framework's binary form; the executor copies it
 * into the aggregate's context.
 */
Datum
rollup_state_step(PG_FUNCTION_ARGS)
{
	RollupDatum *d;
	CompiledFramework *cf;
	IndicatorCode *code;
	int			node;
	int			leaf;
	float8		v;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the framework given to rollup() must not be NULL")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the indicator code given to rollup() must not be NULL")));

	framework_cached(fcinfo, PG_GETARG_DATUM(1), &cf);
	framework_wire(cf);
	d = (RollupDatum *) dti_state_for_update(fcinfo);
	if (d == NULL)
		d = rollup_datum_new(cf);
	else if (d->wire_hash != cf->wire_hash || d->wire_len != cf->wire_len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the rows of one scorecard use different frameworks"),
				 errhint("Group rollup() so that each group has one framework.")));

	code = PG_GETARG_INDICATOR_CODE_P(2);
	node = d->hint;
	if (node < 0 || node >= cf->fw->nnodes ||
		cf->fw->nodes[node].code_len != ICODE_LEN(code) ||
		memcmp(FW_CODE(cf->fw, node), ICODE_DATA(code), ICODE_LEN(code)) != 0)
		node = framework_find(cf, ICODE_DATA(code), ICODE_LEN(code));
	if (node < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("indicator \"%s\" is not in the framework",
						pnstrdup(ICODE_DATA(code), ICODE_LEN(code))),
				 errhint("Filter the rows to the framework's leaves, or add the indicator to the framework.")));
	leaf = cf->fw->nodes[node].leaf_index;
	d->hint = cf->next_leaf[node];
	if (leaf < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("indicator \"%s\" is not a leaf of the framework",
						pnstrdup(ICODE_DATA(code), ICODE_LEN(code))),
				 errdetail("rollup() takes leaf values; inner values are computed from them.")));

	if (PG_ARGISNULL(3))
		PG_RETURN_POINTER(d);	/* a missing value stays missing */
	v = PG_GETARG_FLOAT8(3);
	if (isnan(v) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value of indicator \"%s\" must be finite",
						pnstrdup(ICODE_DATA(code), ICODE_LEN(code))),
				 errdetail("The value is %s.", float8out_internal(v))));
	if (RD_PRESENT(d)[leaf])
		duplicate_error(cf->fw, leaf);
	RD_PRESENT(d)[leaf] = true;
	RD_VALUES(d)[leaf] = v;
	d->npresent++;
	PG_RETURN_POINTER(d);
}

/*
 * Combine: b's leaves merged into a, in place under an aggregate; b itself
 * when a is NULL (a new pointer: the executor copies it into the
 * aggregate's context).  The partial states of one group come from disjoint
 * rows, so a leaf present in both is a duplicate value.
 */
Datum
rollup_state_combine(PG_FUNCTION_ARGS)
{
	RollupDatum *a;
	RollupDatum *b;
	int			i;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = (RollupDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(b);	/* the executor copies it into its context */
	a = (RollupDatum *) dti_state_for_update(fcinfo);
	if (a->wire_hash != b->wire_hash || a->wire_len != b->wire_len || a->nleaves != b->nleaves)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the rows of one scorecard use different frameworks"),
				 errhint("Group rollup() so that each group has one framework.")));
	for (i = 0; i < b->nleaves; i++)
	{
		if (!RD_PRESENT(b)[i])
			continue;
		if (RD_PRESENT(a)[i])
			duplicate_error(datum_framework(a)->fw, i);
		RD_PRESENT(a)[i] = true;
		RD_VALUES(a)[i] = RD_VALUES(b)[i];
		a->npresent++;
	}
	PG_RETURN_POINTER(a);
}

/* Final: the scorecard, the tree evaluated with the state's framework. */
Datum
rollup_state_final(PG_FUNCTION_ARGS)
{
	RollupDatum *d;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	d = (RollupDatum *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	PG_RETURN_POINTER(scorecard_evaluate(datum_framework(d), RD_VALUES(d), RD_PRESENT(d)));
}
