/*-------------------------------------------------------------------------
 *
 * pipeline.c
 *	  pipeline(fw, raw, audit, declared, denominators, scales, imputation,
 *	  groups, previous, outliers): one period's raw rows to one scorecard
 *	  per unit, through denominate, impute, treat outliers, normalise and
 *	  aggregate, each step's parameters and changed cells written as audit
 *	  rows (docs/method.md, "The pipeline").
 *
 * The raw rows are read once, by one statement whose rows go straight to
 * a receiver of ours (SPI with a DestReceiver: no tuple is materialised),
 * into a matrix of units by columns (the framework's leaves, then the
 * declared denominators that are not leaves), each cell absent, NULL or a
 * value.  The steps then run on that matrix in memory, each with the
 * arithmetic of its standalone function: denominate() (float8 division
 * and multiplication, as SQL does them), impute() (avg(), whose sum runs
 * in unit order, percentile_cont(0.5), the mean of a group), the outlier
 * treatment of winsorise() (mc_treat of method_core.c), leaf_stats()
 * (istats_add) and composite() (dti_apply_rule, scorecard_evaluate).
 * Units are taken in the C-collation order of their names, whatever the
 * order of the rows, so the result does not depend on the physical order
 * of raw.  The changed cells go to the audit table in batches, one INSERT
 * ... SELECT FROM unnest(arrays) each, through a prepared plan.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "tcop/dest.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/tuplestore.h"

#include "composite.h"
#include "composite_core.h"
#include "framework.h"
#include "indicator_code.h"
#include "method_core.h"
#include "pipeline_core.h"
#include "scorecard.h"
#include "scoring_rule.h"

PG_FUNCTION_INFO_V1(pipeline);

/* a cell of the matrix */
#define CELL_ABSENT 0			/* no row */
#define CELL_NULL	1			/* a row, value NULL (or made NULL) */
#define CELL_VALUE	2			/* a value */

/* the outlier rule of treat_outliers()'s defaults (COINr's) */
#define PL_WINMAX		5
#define PL_SKEW_LIMIT	2.0
#define PL_KURT_LIMIT	3.5

/* audit rows per INSERT */
#define PL_BATCH		10000

typedef enum PlImpute
{
	IMP_NONE,
	IMP_MEAN,
	IMP_MEDIAN,
	IMP_GROUP_MEAN,
	IMP_CARRY_FORWARD
} PlImpute;

/* The work of one call. */
typedef struct Pipe
{
	MemoryContext cxt;
	CompiledFramework *cf;
	int			nleaves;
	int			ncols;			/* leaves, then denominators not leaves */
	char	  **col_code;		/* per column: its code (NUL-terminated) */
	/* the codes met in raw, by their bytes: column per code number */
	PlKeys		codes;
	int32	   *code_col;
	int32	   *code_next;		/* per code number: the one that followed it */
	int32		last_code;
	/* the units */
	PlKeys		units;
	int32		last_unit;
	int64		nraw;			/* raw rows read */
	int64		maxunits;
	double	   *val;			/* units x ncols */
	uint8	   *cell;			/* units x ncols, CELL_* */
	FmgrInfo	code_out;		/* output function of raw.code's type */
	Oid			code_type;
	/* the audit rows being gathered */
	SPIPlanPtr	ins;
	MemoryContext batch_cxt;
	int			nbatch;
	Datum	   *b_unit,
			   *b_code,
			   *b_orig,
			   *b_val,
			   *b_note;
	bool	   *n_orig,
			   *n_val,
			   *n_note;
	int			step;
	const char *step_name;
	int64		step_cells;
	double		audit_ms;		/* time spent writing cell rows */
} Pipe;

/* The key tables' allocator: the current context, the call's own context. */
static void *
pipe_alloc(size_t size)
{
	return MemoryContextAllocHuge(CurrentMemoryContext, size);
}

/*
 * The time each phase took, reported at DEBUG1 (make bench reads them for
 * each step's share): the milliseconds since *t, which restarts.
 */
static double
lap(instr_time *t)
{
	instr_time	now;
	double		ms;

	INSTR_TIME_SET_CURRENT(now);
	ms = INSTR_TIME_GET_MILLISEC(now) - INSTR_TIME_GET_MILLISEC(*t);
	*t = now;
	return ms;
}

/* ---------- reading the raw rows ---------- */

typedef struct PipeReceiver
{
	DestReceiver pub;
	Pipe	   *p;
} PipeReceiver;

/* The bytes of a varlena datum, detoasted if need be. */
static inline const char *
datum_bytes(Datum d, int32 *len)
{
	struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(d));

	*len = VARSIZE_ANY_EXHDR(v);
	return VARDATA_ANY(v);
}

/* The column of a code met in raw for the first time (or an error). */
static int32
new_code(Pipe *p, Datum d, const char *bytes, int32 len, uint32 h)
{
	char	   *s = OutputFunctionCall(&p->code_out, d);
	int			node = framework_find(p->cf, s, (int) strlen(s));
	int32		col = -1;
	int32		e;
	char	   *copy;

	if (node >= 0 && p->cf->fw->nodes[node].leaf_index >= 0)
		col = p->cf->fw->nodes[node].leaf_index;
	else
	{
		int			c;

		for (c = p->nleaves; c < p->ncols; c++)
			if (strcmp(p->col_code[c], s) == 0)
				col = c;
	}
	if (col < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pipeline: raw code \"%s\" is neither a leaf of the framework nor a declared denominator", s),
				 errhint("Give raw the leaves' values and the denominators' values only.")));
	copy = MemoryContextAlloc(p->cxt, len + 1);
	memcpy(copy, bytes, len);
	e = pl_keys_add(&p->codes, copy, len, h, pipe_alloc);
	if (e >= p->codes.cap / 2 || p->code_col == NULL)
	{
		/* code_col and code_next follow the table's room */
		int32	   *cc = MemoryContextAlloc(p->cxt, sizeof(int32) * p->codes.cap);
		int32	   *cn = MemoryContextAlloc(p->cxt, sizeof(int32) * p->codes.cap);

		memset(cn, 0xff, sizeof(int32) * p->codes.cap);
		if (p->code_col != NULL)
		{
			memcpy(cc, p->code_col, sizeof(int32) * e);
			memcpy(cn, p->code_next, sizeof(int32) * e);
		}
		p->code_col = cc;
		p->code_next = cn;
	}
	p->code_col[e] = col;
	p->code_next[e] = -1;
	return e;
}

/* Room for one more unit in the matrix. */
static void
grow_units(Pipe *p)
{
	int64		old = p->maxunits;
	int64		n = old * 2;

	p->val = repalloc_huge(p->val, sizeof(double) * n * p->ncols);
	p->cell = repalloc_huge(p->cell, n * p->ncols);
	memset(p->cell + old * p->ncols, CELL_ABSENT, (n - old) * p->ncols);
	p->maxunits = n;
}

/* One raw row: (unit text, code, value float8). */
static bool
pipe_receive(TupleTableSlot *slot, DestReceiver *self)
{
	Pipe	   *p = ((PipeReceiver *) self)->p;
	const char *ub,
			   *cb;
	int32		ulen,
				clen,
				u,
				e;
	uint8	   *cell;
	int32		col;

	slot_getallattrs(slot);
	p->nraw++;
	if (slot->tts_isnull[0])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("pipeline: a raw row has no unit")));
	if (slot->tts_isnull[1])
	{
		ub = datum_bytes(slot->tts_values[0], &ulen);
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("pipeline: a raw row has a NULL code"),
				 errdetail("Raw row %lld as read, of unit \"%s\", has no code.",
						   (long long) p->nraw, pnstrdup(ub, ulen)),
				 errhint("Give every raw row the code of a leaf of the framework or of a declared denominator, or leave out the rows without one.")));
	}

	/* the unit: usually the last row's */
	ub = datum_bytes(slot->tts_values[0], &ulen);
	u = p->last_unit;
	if (u < 0 || p->units.len[u] != ulen || memcmp(p->units.key[u], ub, ulen) != 0)
	{
		uint32		h = pl_hash(ub, ulen);

		u = pl_keys_find(&p->units, ub, ulen, h);
		if (u < 0)
		{
			MemoryContext old = MemoryContextSwitchTo(p->cxt);
			char	   *copy = palloc(ulen + 1);

			memcpy(copy, ub, ulen);
			copy[ulen] = '\0';
			if (p->units.n == p->maxunits)
				grow_units(p);
			u = pl_keys_add(&p->units, copy, ulen, h, pipe_alloc);
			MemoryContextSwitchTo(old);
		}
		p->last_unit = u;
	}

	/* the code: usually the one that followed the last row's */
	cb = datum_bytes(slot->tts_values[1], &clen);
	e = p->last_code >= 0 ? p->code_next[p->last_code] : -1;
	if (e < 0 || p->codes.len[e] != clen || memcmp(p->codes.key[e], cb, clen) != 0)
	{
		uint32		h = pl_hash(cb, clen);

		e = pl_keys_find(&p->codes, cb, clen, h);
		if (e < 0)
		{
			MemoryContext old = MemoryContextSwitchTo(p->cxt);

			e = new_code(p, slot->tts_values[1], cb, clen, h);
			MemoryContextSwitchTo(old);
		}
		if (p->last_code >= 0)
			p->code_next[p->last_code] = e;
	}
	p->last_code = e;
	col = p->code_col[e];

	cell = &p->cell[(int64) u * p->ncols + col];
	if (*cell != CELL_ABSENT)
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("pipeline: unit \"%s\" has more than one raw row for \"%s\"",
						p->units.key[u], p->col_code[col]),
				 errhint("Give raw one row per unit and code, for one period.")));
	if (slot->tts_isnull[2])
		*cell = CELL_NULL;
	else
	{
		*cell = CELL_VALUE;
		p->val[(int64) u * p->ncols + col] = DatumGetFloat8(slot->tts_values[2]);
	}
	return true;
}

/* The statement's columns: unit text, code of a varlena type, value float8. */
static void
pipe_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	Pipe	   *p = ((PipeReceiver *) self)->p;
	Oid			out;
	bool		varlena;

	if (desc->natts != 3)
		elog(ERROR, "pipeline: unexpected raw row shape");
	p->code_type = TupleDescAttr(desc, 1)->atttypid;
	if (get_typlen(p->code_type) != -1)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("pipeline: raw column code must be text or indicator_code, not %s",
						format_type_be(p->code_type))));
	getTypeOutputInfo(p->code_type, &out, &varlena);
	fmgr_info_cxt(out, &p->code_out, p->cxt);
}

static void
pipe_shutdown(DestReceiver *self)
{
}

static void
pipe_destroy(DestReceiver *self)
{
}

/* A relation's name, qualified and quoted. */
static char *
rel_name(Oid rel)
{
	char	   *name = get_rel_name(rel);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("pipeline: relation with OID %u does not exist", rel)));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(rel)), name);
}

/* Read the raw rows once into the matrix. */
static void
read_raw(Pipe *p, Oid raw)
{
	PipeReceiver r;
	SPIExecuteOptions opt;
	int			rc;
	char	   *sql = psprintf("SELECT r.unit::pg_catalog.text, r.code, r.value::pg_catalog.float8 FROM %s r",
							   rel_name(raw));

	memset(&r, 0, sizeof(r));
	r.pub.receiveSlot = pipe_receive;
	r.pub.rStartup = pipe_startup;
	r.pub.rShutdown = pipe_shutdown;
	r.pub.rDestroy = pipe_destroy;
	r.pub.mydest = DestNone;
	r.p = p;
	memset(&opt, 0, sizeof(opt));
	opt.read_only = false;
	opt.dest = (DestReceiver *) &r;
	rc = SPI_execute_extended(sql, &opt);
	/* (SPI says UTILITY for a SELECT whose receiver is not its own) */
	if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
		elog(ERROR, "pipeline: reading raw failed: %s", SPI_result_code_string(rc));
}

/* The unit number of a name in text, or -1. */
static int32
find_unit(Pipe *p, const char *s)
{
	int32		len = strlen(s);

	return pl_keys_find(&p->units, s, len, pl_hash(s, len));
}

/* ---------- audit rows ---------- */

static void
flush_cells(Pipe *p)
{
	Datum		args[7];
	int			dims[1] = {p->nbatch};
	int			lbs[1] = {1};
	int			rc;

	instr_time	t;

	if (p->nbatch == 0)
		return;
	INSTR_TIME_SET_CURRENT(t);
	args[0] = Int32GetDatum(p->step);
	args[1] = CStringGetTextDatum(p->step_name);
	args[2] = PointerGetDatum(construct_array(p->b_unit, p->nbatch, TEXTOID, -1, false, TYPALIGN_INT));
	args[3] = PointerGetDatum(construct_array(p->b_code, p->nbatch, TEXTOID, -1, false, TYPALIGN_INT));
	args[4] = PointerGetDatum(construct_md_array(p->b_orig, p->n_orig, 1, dims, lbs, FLOAT8OID,
												 sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[5] = PointerGetDatum(construct_md_array(p->b_val, p->n_val, 1, dims, lbs, FLOAT8OID,
												 sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[6] = PointerGetDatum(construct_md_array(p->b_note, p->n_note, 1, dims, lbs, TEXTOID,
												 -1, false, TYPALIGN_INT));
	rc = SPI_execute_plan(p->ins, args, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "pipeline: writing audit rows failed: %s", SPI_result_code_string(rc));
	p->nbatch = 0;
	MemoryContextReset(p->batch_cxt);
	p->audit_ms += lap(&t);
}

/* One changed cell (orig, val NULL when NaN is passed as absent: see has_*). */
static void
add_cell(Pipe *p, int32 u, int col, bool has_orig, double orig, bool has_val, double val,
		 const char *note)
{
	MemoryContext old;
	int			i = p->nbatch;

	if (i == PL_BATCH)
	{
		flush_cells(p);
		i = 0;
	}
	old = MemoryContextSwitchTo(p->batch_cxt);
	p->b_unit[i] = PointerGetDatum(cstring_to_text_with_len(p->units.key[u], p->units.len[u]));
	p->b_code[i] = CStringGetTextDatum(p->col_code[col]);
	p->b_orig[i] = Float8GetDatum(orig);
	p->n_orig[i] = !has_orig;
	p->b_val[i] = Float8GetDatum(val);
	p->n_val[i] = !has_val;
	p->b_note[i] = CStringGetTextDatum(note);
	p->n_note[i] = false;
	MemoryContextSwitchTo(old);
	p->nbatch++;
	p->step_cells++;
}

static void
begin_step(Pipe *p, int step, const char *name)
{
	p->step = step;
	p->step_name = name;
	p->step_cells = 0;
	p->nbatch = 0;
}

/*
 * A step's summary row: parameters and effects built by the SQL given
 * (jsonb_build_object over $1..), with args of types types.
 */
static void
summary_row(const char *audit, int step, const char *name, const char *params,
			const char *effects, int nargs, Oid *types, Datum *args, const char *nulls)
{
	char	   *sql = psprintf("INSERT INTO %s (step, name, parameters, effects) VALUES (%d, %s, %s, %s)",
							   audit, step, quote_literal_cstr(name), params, effects);
	int			rc = SPI_execute_with_args(sql, nargs, types, args, nulls, false, 0);

	if (rc != SPI_OK_INSERT)
		elog(ERROR, "pipeline: writing an audit row failed: %s", SPI_result_code_string(rc));
}

/* A text[] of C strings. */
static Datum
text_array(char **s, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * (n + 1));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(s[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* The codes of an indicator_code[] as C strings (NULL elements as NULL). */
static char **
code_strings(ArrayType *a, int *n)
{
	Datum	   *d;
	bool	   *nulls;
	int16		typlen;
	bool		byval;
	char		align;
	char	  **s;
	int			i;

	get_typlenbyvalalign(ARR_ELEMTYPE(a), &typlen, &byval, &align);
	deconstruct_array(a, ARR_ELEMTYPE(a), typlen, byval, align, &d, &nulls, n);
	s = palloc(sizeof(char *) * (*n + 1));
	for (i = 0; i < *n; i++)
	{
		struct varlena *v;

		if (nulls[i])
		{
			s[i] = NULL;
			continue;
		}
		v = PG_DETOAST_DATUM_PACKED(d[i]);
		s[i] = pnstrdup(ICODE_DATA(v), ICODE_LEN(v));
	}
	return s;
}

/* ---------- the steps ---------- */

/* The units in the C-collation order of their names (qsort_arg, arg the units). */
static int
unit_cmp(const void *a, const void *b, void *arg)
{
	const PlKeys *k = (const PlKeys *) arg;
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return pl_bytes_cmp(k->key[x], k->len[x], k->key[y], k->len[y]);
}

/* A float8 as SQL's text cast writes it. */
static char *
float_text(double x)
{
	return float8out_internal(x);
}

/* 1. denominate: each declared leaf divided by its denominator, times its scale. */
static void
step_denominate(Pipe *p, const int32 *order, int ndecl, const int *dcol, const int *ncol,
				const double *scale)
{
	int			d;
	int32		k;

	for (k = 0; k < p->units.n; k++)
	{
		int32		u = order[k];
		int64		row = (int64) u * p->ncols;

		for (d = 0; d < ndecl; d++)
		{
			uint8	   *c = &p->cell[row + dcol[d]];
			bool		has_x = *c == CELL_VALUE;
			double		x = p->val[row + dcol[d]];
			bool		has_den = p->cell[row + ncol[d]] == CELL_VALUE;
			double		den = p->val[row + ncol[d]];
			const char *what;
			char	   *note;
			double		v = 0;

			if (*c == CELL_ABSENT)
				continue;
			if (!has_x)
				what = "value missing";
			else if (!has_den)
				what = "denominator missing";
			else if (den == 0)
				what = "denominator zero";
			else
			{
				what = "denominated";
				v = float8_mul(float8_div(x, den), scale[d]);
			}
			if (has_den)
				note = psprintf("%s by %s = %s", what, p->col_code[ncol[d]], float_text(den));
			else
				note = psprintf("%s by %s", what, p->col_code[ncol[d]]);
			add_cell(p, u, dcol[d], has_x, x, has_x && has_den && den != 0, v, note);
			pfree(note);
			if (has_x && has_den && den != 0)
				p->val[row + dcol[d]] = v;
			else
				*c = CELL_NULL;
		}
	}
	flush_cells(p);
}

/*
 * 2. impute: on each leaf with a missing cell (a NULL value or no row),
 * over all units, as impute() fills them.
 */
static void
step_impute(Pipe *p, const int32 *order, PlImpute method, const int32 *unit_group,
			int ngroups, char **group_name, const double *prev, const uint8 *has_prev)
{
	int32		nu = p->units.n;
	double	   *x = MemoryContextAlloc(p->cxt, sizeof(double) * (nu + 1));
	double	   *gsum = MemoryContextAlloc(p->cxt, sizeof(double) * (ngroups + 1));
	int32	   *gn = MemoryContextAlloc(p->cxt, sizeof(int32) * (ngroups + 1));
	int			l;
	char		note[256];

	for (l = 0; l < p->nleaves; l++)
	{
		int32		n = 0,
					k;
		double		sum = 0,
					fill = 0;
		bool		has_fill = false;

		for (k = 0; k < nu; k++)
		{
			int32		u = order[k];

			if (p->cell[(int64) u * p->ncols + l] == CELL_VALUE)
			{
				double		v = p->val[(int64) u * p->ncols + l];

				x[n++] = v;
				sum = float8_pl(sum, v);
			}
		}
		if (n == nu)
			continue;
		if (method == IMP_MEAN && n > 0)
		{
			fill = sum / n;
			has_fill = true;
		}
		else if (method == IMP_MEDIAN && n > 0)
		{
			fill = pl_median(x, n);
			has_fill = true;
		}
		if (has_fill)
			snprintf(note, sizeof(note), "%s of %d value%s",
					 method == IMP_MEAN ? "mean" : "median", n, n == 1 ? "" : "s");
		if (method == IMP_GROUP_MEAN)
		{
			int			g;

			for (g = 0; g < ngroups; g++)
			{
				gsum[g] = 0;
				gn[g] = 0;
			}
			for (k = 0; k < nu; k++)
			{
				int32		u = order[k];

				if (unit_group[u] >= 0 && p->cell[(int64) u * p->ncols + l] == CELL_VALUE)
				{
					gsum[unit_group[u]] = float8_pl(gsum[unit_group[u]], p->val[(int64) u * p->ncols + l]);
					gn[unit_group[u]]++;
				}
			}
		}
		for (k = 0; k < nu; k++)
		{
			int32		u = order[k];
			int64		i = (int64) u * p->ncols + l;
			char	   *nt = note;

			if (p->cell[i] == CELL_VALUE)
				continue;
			if (method == IMP_GROUP_MEAN)
			{
				int32		g = unit_group[u];
				char	   *gtext;

				if (g < 0 || gn[g] == 0)
					continue;
				fill = gsum[g] / gn[g];
				gtext = group_name[g];
				nt = psprintf("group_mean of %d value%s in group %s", gn[g], gn[g] == 1 ? "" : "s", gtext);
			}
			else if (method == IMP_CARRY_FORWARD)
			{
				if (!has_prev[(int64) u * p->nleaves + l])
					continue;
				fill = prev[(int64) u * p->nleaves + l];
				nt = "carry_forward of 1 value";
			}
			else if (!has_fill)
				continue;
			add_cell(p, u, l, false, 0, true, fill, nt);
			p->cell[i] = CELL_VALUE;
			p->val[i] = fill;
		}
	}
	flush_cells(p);
}

/*
 * 3. treat outliers: each leaf by winsorise()'s rule over its values (in
 * unit order); the leaves treated are returned.
 */
static int
step_treat(Pipe *p, const int32 *order, char **treated)
{
	int32		nu = p->units.n;
	double	   *x = MemoryContextAlloc(p->cxt, sizeof(double) * (nu + 1));
	double	   *orig = MemoryContextAlloc(p->cxt, sizeof(double) * (nu + 1));
	double	   *work = MemoryContextAlloc(p->cxt, sizeof(double) * (nu + 1));
	int32	   *who = MemoryContextAlloc(p->cxt, sizeof(int32) * (nu + 1));
	int			l,
				nt = 0;

	for (l = 0; l < p->nleaves; l++)
	{
		int32		n = 0,
					k;
		TreatResult r;
		const char *name;

		for (k = 0; k < nu; k++)
		{
			int32		u = order[k];
			int64		i = (int64) u * p->ncols + l;

			if (p->cell[i] != CELL_VALUE)
				continue;
			if (!isfinite(p->val[i]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("outlier treatment needs finite values, not %s for unit \"%s\" and indicator \"%s\"",
								isnan(p->val[i]) ? "NaN" : (p->val[i] > 0 ? "Infinity" : "-Infinity"),
								p->units.key[u], p->col_code[l]),
						 errhint("Correct the value or make it NULL (missing).")));
			who[n] = u;
			orig[n] = x[n] = p->val[i];
			n++;
		}
		mc_treat(x, n, PL_WINMAX, PL_SKEW_LIMIT, PL_KURT_LIMIT, FALLBACK_LOG_CT, work, &r);
		if (r.method == TREAT_NONE)
			continue;
		treated[nt++] = p->col_code[l];
		name = mc_treat_name(r.method);
		for (k = 0; k < n; k++)
		{
			if (x[k] == orig[k])
				continue;
			add_cell(p, who[k], l, true, orig[k], true, x[k], name);
			p->val[(int64) who[k] * p->ncols + l] = x[k];
		}
	}
	flush_cells(p);
	return nt;
}

/* 4. normalise: the statistics of every leaf, as leaf_stats() keeps them. */
static LeafStats *
step_stats(Pipe *p, const int32 *order)
{
	int			n = p->nleaves;
	LeafStats  *ls = MemoryContextAllocZero(p->cxt, LEAF_STATS_SIZE(n));
	int32		k;
	int			l;

	SET_VARSIZE(ls, LEAF_STATS_SIZE(n));
	ls->version = LEAF_STATS_VERSION;
	ls->nleaves = n;
	ls->fingerprint = p->cf->fw->fingerprint;
	for (l = 0; l < n; l++)
		istats_init(&ls->leaves[l]);
	for (k = 0; k < p->units.n; k++)
	{
		int64		row = (int64) order[k] * p->ncols;

		for (l = 0; l < n; l++)
			if (p->cell[row + l] == CELL_VALUE)
			{
				dti_check_value(p->val[row + l]);
				istats_add(&ls->leaves[l], p->val[row + l]);
			}
	}
	return ls;
}

/* ---------- the call ---------- */

static void
null_arguments(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("pipeline: fw, raw, audit, imputation and outliers must not be NULL")));
}

/*
 * pipeline(fw, raw, audit, declared, denominators, scales, imputation,
 * groups, previous, outliers) RETURNS TABLE(unit text, sc scorecard)
 */
Datum
pipeline(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Pipe	   *p;
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext unit_cxt;
	Framework  *fwp;
	CompiledFramework *cf;
	char	   *imp_text;
	PlImpute	method;
	bool		outliers;
	Oid			raw,
				audit_rel,
				groups = InvalidOid,
				previous = InvalidOid;
	char	   *audit;
	const char *schema;
	char	  **decl = NULL,
			  **dens = NULL;
	int			ndecl = 0,
				ndens = 0;
	double	   *scale = NULL;
	int		   *dcol = NULL,
			   *ncol = NULL;
	int32	   *order;
	int32	   *unit_group = NULL;
	int			ngroups = 0;
	char	  **group_name = NULL;
	double	   *prev = NULL;
	uint8	   *has_prev = NULL;
	char	  **treated;
	int			ntreated;
	LeafStats  *ls;
	SrStats    *summary;
	const SrRule **rules;
	int			l,
				c;
	int32		k,
				nout = 0;
	int64		cells_imputed = 0,
				cells_treated = 0;
	instr_time	t;
	double		ms[7] = {0};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(6) || PG_ARGISNULL(9))
		null_arguments();
	imp_text = text_to_cstring(PG_GETARG_TEXT_PP(6));
	if (strcmp(imp_text, "none") == 0)
		method = IMP_NONE;
	else if (strcmp(imp_text, "mean") == 0)
		method = IMP_MEAN;
	else if (strcmp(imp_text, "median") == 0)
		method = IMP_MEDIAN;
	else if (strcmp(imp_text, "group_mean") == 0)
		method = IMP_GROUP_MEAN;
	else if (strcmp(imp_text, "carry_forward") == 0)
		method = IMP_CARRY_FORWARD;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pipeline: unknown imputation method \"%s\"", imp_text),
				 errhint("Use none, mean, median, group_mean (with groups) or carry_forward (with previous).")));
	if (method == IMP_GROUP_MEAN && PG_ARGISNULL(7))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pipeline: group_mean needs groups"),
				 errhint("Pass groups, a relation with columns unit and grp.")));
	if (method == IMP_CARRY_FORWARD && PG_ARGISNULL(8))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pipeline: carry_forward needs previous"),
				 errhint("Pass previous, a relation with columns unit, code and value of the previous period.")));
	if (PG_ARGISNULL(3) != PG_ARGISNULL(4) || (PG_ARGISNULL(3) && !PG_ARGISNULL(5)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pipeline: declared and denominators go together"),
				 errhint("Pass both (and scales, optionally) to denominate, or neither.")));
	outliers = PG_GETARG_BOOL(9);
	raw = PG_GETARG_OID(1);
	audit_rel = PG_GETARG_OID(2);
	if (!PG_ARGISNULL(7))
		groups = PG_GETARG_OID(7);
	if (!PG_ARGISNULL(8))
		previous = PG_GETARG_OID(8);
	fwp = framework_cached(fcinfo, PG_GETARG_DATUM(0), &cf);
	schema = quote_identifier(get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid)));

	InitMaterializedSRF(fcinfo, 0);
	INSTR_TIME_SET_CURRENT(t);

	p = palloc0(sizeof(Pipe));
	p->cxt = AllocSetContextCreate(caller, "pipeline", ALLOCSET_DEFAULT_SIZES);
	p->cf = cf;
	p->nleaves = cf->fw->nleaves;
	p->last_unit = -1;
	p->last_code = -1;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pipeline: SPI_connect failed");
	MemoryContextSwitchTo(p->cxt);

	/* the declaration, checked by denominate() itself */
	if (!PG_ARGISNULL(3))
	{
		Oid			types[3];
		Datum		args[3];
		char		nulls[3] = {' ', ' ', PG_ARGISNULL(5) ? 'n' : ' '};
		int			rc;

		types[0] = get_fn_expr_argtype(fcinfo->flinfo, 3);
		types[1] = types[0];
		types[2] = FLOAT8ARRAYOID;
		args[0] = PG_GETARG_DATUM(3);
		args[1] = PG_GETARG_DATUM(4);
		args[2] = PG_ARGISNULL(5) ? (Datum) 0 : PG_GETARG_DATUM(5);
		rc = SPI_execute_with_args(psprintf("SELECT count(*) FROM (SELECT pg_catalog.array_agg(DISTINCT c) AS c FROM pg_catalog.unnest($1 OPERATOR(pg_catalog.||) $2) c) x, "
											"%s.denominate(x.c, pg_catalog.array_fill(NULL::pg_catalog.float8, ARRAY[pg_catalog.cardinality(x.c)]), $1, $2, $3)",
											schema),
								   3, types, args, nulls, true, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "pipeline: checking the declaration failed: %s", SPI_result_code_string(rc));
		MemoryContextSwitchTo(p->cxt);
		decl = code_strings(PG_GETARG_ARRAYTYPE_P(3), &ndecl);
		dens = code_strings(PG_GETARG_ARRAYTYPE_P(4), &ndens);
		scale = palloc(sizeof(double) * (ndecl + 1));
		for (k = 0; k < ndecl; k++)
			scale[k] = 1.0;
		if (!PG_ARGISNULL(5))
		{
			Datum	   *sd;
			bool	   *sn;
			int			ns;

			deconstruct_array(PG_GETARG_ARRAYTYPE_P(5), FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
							  TYPALIGN_DOUBLE, &sd, &sn, &ns);
			for (k = 0; k < ns && k < ndecl; k++)
				scale[k] = DatumGetFloat8(sd[k]);
		}
		for (k = 0; k < ndecl; k++)
		{
			int			node = framework_find(cf, decl[k], strlen(decl[k]));

			if (node < 0 || cf->fw->nodes[node].leaf_index < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("pipeline: denominated indicator \"%s\" is not a leaf of the framework", decl[k]),
						 errhint("Denominate leaves; a denominator may be any raw indicator.")));
		}
	}

	/* the columns: the leaves, then the denominators that are not leaves */
	p->col_code = palloc(sizeof(char *) * (p->nleaves + ndens + 1));
	for (c = 0; c < cf->fw->nnodes; c++)
		if (cf->fw->nodes[c].leaf_index >= 0)
			p->col_code[cf->fw->nodes[c].leaf_index] = pnstrdup(cf->codes[c], cf->lens[c]);
	p->ncols = p->nleaves;
	dcol = palloc(sizeof(int) * (ndecl + 1));
	ncol = palloc(sizeof(int) * (ndecl + 1));
	for (k = 0; k < ndecl; k++)
	{
		int			node = framework_find(cf, dens[k], strlen(dens[k]));

		dcol[k] = cf->fw->nodes[framework_find(cf, decl[k], strlen(decl[k]))].leaf_index;
		if (node >= 0 && cf->fw->nodes[node].leaf_index >= 0)
			ncol[k] = cf->fw->nodes[node].leaf_index;
		else
		{
			for (c = p->nleaves; c < p->ncols; c++)
				if (strcmp(p->col_code[c], dens[k]) == 0)
					break;
			if (c == p->ncols)
				p->col_code[p->ncols++] = dens[k];
			ncol[k] = c;
		}
	}

	/* read the raw rows */
	pl_keys_init(&p->codes, 64, pipe_alloc);
	pl_keys_init(&p->units, 1024, pipe_alloc);
	p->maxunits = 1024;
	p->val = MemoryContextAllocHuge(p->cxt, sizeof(double) * p->maxunits * p->ncols);
	p->cell = MemoryContextAllocHuge(p->cxt, p->maxunits * p->ncols);
	memset(p->cell, CELL_ABSENT, p->maxunits * p->ncols);
	read_raw(p, raw);
	MemoryContextSwitchTo(p->cxt);
	ms[0] = lap(&t);

	order = palloc(sizeof(int32) * (p->units.n + 1));
	for (k = 0; k < p->units.n; k++)
		order[k] = k;
	qsort_arg(order, p->units.n, sizeof(int32), unit_cmp, &p->units);

	/* the audit rows' plan */
	audit = rel_name(audit_rel);
	{
		Oid			types[7] = {INT4OID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, FLOAT8ARRAYOID,
		FLOAT8ARRAYOID, TEXTARRAYOID};

		p->ins = SPI_prepare(psprintf("INSERT INTO %s (step, name, unit, code, original, value, note) "
									  "SELECT $1, $2, pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7)",
									  audit), 7, types);
		if (p->ins == NULL)
			elog(ERROR, "pipeline: preparing the audit rows failed: %s", SPI_result_code_string(SPI_result));
		p->batch_cxt = AllocSetContextCreate(p->cxt, "pipeline audit batch", ALLOCSET_DEFAULT_SIZES);
		p->b_unit = palloc(sizeof(Datum) * PL_BATCH);
		p->b_code = palloc(sizeof(Datum) * PL_BATCH);
		p->b_orig = palloc(sizeof(Datum) * PL_BATCH);
		p->b_val = palloc(sizeof(Datum) * PL_BATCH);
		p->b_note = palloc(sizeof(Datum) * PL_BATCH);
		p->n_orig = palloc(sizeof(bool) * PL_BATCH);
		p->n_val = palloc(sizeof(bool) * PL_BATCH);
		p->n_note = palloc(sizeof(bool) * PL_BATCH);
	}

	/* 1. denominate */
	if (!PG_ARGISNULL(3))
	{
		Oid			types[3] = {TEXTARRAYOID, TEXTARRAYOID, FLOAT8ARRAYOID};
		Datum		args[3];
		char		nulls[3] = {' ', ' ', PG_ARGISNULL(5) ? 'n' : ' '};

		lap(&t);
		begin_step(p, 1, "denominate");
		step_denominate(p, order, ndecl, dcol, ncol, scale);
		MemoryContextSwitchTo(p->cxt);
		args[0] = text_array(decl, ndecl);
		args[1] = text_array(dens, ndens);
		args[2] = PG_ARGISNULL(5) ? (Datum) 0 : PG_GETARG_DATUM(5);
		summary_row(audit, 1, "denominate",
					"pg_catalog.jsonb_build_object('declared', $1, 'denominators', $2, 'scales', $3)",
					psprintf("pg_catalog.jsonb_build_object('cells', " INT64_FORMAT ")", p->step_cells),
					3, types, args, nulls);
		MemoryContextSwitchTo(p->cxt);
		ms[1] = lap(&t);
	}

	/* 2. impute */
	begin_step(p, 2, "impute");
	if (method != IMP_NONE)
	{
		int			rc;
		uint64		i;

		if (method == IMP_GROUP_MEAN)
		{
			PlKeys		gk;

			unit_group = palloc(sizeof(int32) * (p->units.n + 1));
			memset(unit_group, 0xff, sizeof(int32) * (p->units.n + 1));
			rc = SPI_execute(psprintf("SELECT g.unit::pg_catalog.text, g.grp::pg_catalog.text FROM %s g",
									  rel_name(groups)), true, 0);
			if (rc != SPI_OK_SELECT)
				elog(ERROR, "pipeline: reading groups failed: %s", SPI_result_code_string(rc));
			MemoryContextSwitchTo(p->cxt);
			pl_keys_init(&gk, 16, pipe_alloc);
			for (i = 0; i < SPI_processed; i++)
			{
				char	   *un = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
				char	   *gr = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
				int32		u,
							g;

				if (un == NULL || gr == NULL || (u = find_unit(p, un)) < 0)
					continue;
				if (unit_group[u] >= 0)
					ereport(ERROR,
							(errcode(ERRCODE_CARDINALITY_VIOLATION),
							 errmsg("pipeline: unit \"%s\" has more than one row in groups", un),
							 errhint("Give groups one row per unit.")));
				g = pl_keys_find(&gk, gr, strlen(gr), pl_hash(gr, strlen(gr)));
				if (g < 0)
					g = pl_keys_add(&gk, gr, strlen(gr), pl_hash(gr, strlen(gr)), pipe_alloc);
				unit_group[u] = g;
			}
			ngroups = gk.n;
			group_name = (char **) gk.key;
			SPI_freetuptable(SPI_tuptable);
		}
		if (method == IMP_CARRY_FORWARD)
		{
			int64		size = (int64) p->units.n * p->nleaves;

			prev = MemoryContextAllocHuge(p->cxt, sizeof(double) * (size + 1));
			has_prev = MemoryContextAllocHuge(p->cxt, size + 1);
			memset(has_prev, 0, size + 1);
			rc = SPI_execute(psprintf("SELECT p.unit::pg_catalog.text, p.code::pg_catalog.text, p.value::pg_catalog.float8 FROM %s p",
									  rel_name(previous)), true, 0);
			if (rc != SPI_OK_SELECT)
				elog(ERROR, "pipeline: reading previous failed: %s", SPI_result_code_string(rc));
			MemoryContextSwitchTo(p->cxt);
			for (i = 0; i < SPI_processed; i++)
			{
				HeapTuple	t = SPI_tuptable->vals[i];
				char	   *un = SPI_getvalue(t, SPI_tuptable->tupdesc, 1);
				char	   *co = SPI_getvalue(t, SPI_tuptable->tupdesc, 2);
				bool		isnull;
				Datum		v = SPI_getbinval(t, SPI_tuptable->tupdesc, 3, &isnull);
				int32		u;
				int			node;
				int64		at;

				if (un == NULL || co == NULL || (u = find_unit(p, un)) < 0)
					continue;
				node = framework_find(cf, co, strlen(co));
				if (node < 0 || cf->fw->nodes[node].leaf_index < 0)
					continue;
				at = (int64) u * p->nleaves + cf->fw->nodes[node].leaf_index;
				if (has_prev[at] & 2)
					ereport(ERROR,
							(errcode(ERRCODE_CARDINALITY_VIOLATION),
							 errmsg("pipeline: unit \"%s\" has more than one row in previous for \"%s\"", un, co),
							 errhint("Give previous one row per unit and code.")));
				has_prev[at] = isnull ? 2 : 3;
				prev[at] = isnull ? 0 : DatumGetFloat8(v);
			}
			for (k = 0; k < size; k++)
				has_prev[k] = has_prev[k] == 3;
			SPI_freetuptable(SPI_tuptable);
		}
		step_impute(p, order, method, unit_group, ngroups, group_name, prev, has_prev);
		MemoryContextSwitchTo(p->cxt);
	}
	cells_imputed = p->step_cells;
	{
		Oid			types[3] = {TEXTOID, OIDOID, OIDOID};
		Datum		args[3] = {CStringGetTextDatum(imp_text), ObjectIdGetDatum(groups), ObjectIdGetDatum(previous)};
		char		nulls[3] = {' ', OidIsValid(groups) ? ' ' : 'n', OidIsValid(previous) ? ' ' : 'n'};

		summary_row(audit, 2, "impute",
					"pg_catalog.jsonb_build_object('method', $1, 'groups', $2::pg_catalog.regclass::pg_catalog.text, "
					"'previous', $3::pg_catalog.regclass::pg_catalog.text)",
					psprintf("pg_catalog.jsonb_build_object('cells', " INT64_FORMAT ")", cells_imputed),
					3, types, args, nulls);
		MemoryContextSwitchTo(p->cxt);
	}
	ms[2] = lap(&t);

	/* 3. treat outliers */
	begin_step(p, 3, "treat_outliers");
	treated = palloc(sizeof(char *) * (p->nleaves + 1));
	ntreated = outliers ? step_treat(p, order, treated) : 0;
	MemoryContextSwitchTo(p->cxt);
	cells_treated = p->step_cells;
	{
		Oid			types[2] = {BOOLOID, TEXTARRAYOID};
		Datum		args[2] = {BoolGetDatum(outliers), text_array(treated, ntreated)};

		summary_row(audit, 3, "treat_outliers",
					"pg_catalog.jsonb_build_object('enabled', $1, 'winmax', 5, 'skew_threshold', 2, "
					"'kurt_threshold', 3.5, 'fallback', 'log_ct')",
					psprintf("pg_catalog.jsonb_build_object('cells', " INT64_FORMAT ", 'indicators', $2)", cells_treated),
					2, types, args, NULL);
		MemoryContextSwitchTo(p->cxt);
	}
	ms[3] = lap(&t);

	/* 4. normalise: the statistics, recorded whole */
	ls = step_stats(p, order);
	{
		size_t		len = LEAF_STATS_WIRE_SIZE(ls->nleaves);
		unsigned char *b = palloc(len);
		char	   *hex = palloc(2 * len + 1);
		Oid			types[1] = {TEXTOID};
		Datum		args[1];

		leaf_stats_encode(ls, b);
		dti_hex_encode(b, len, hex);
		args[0] = CStringGetTextDatum(hex);
		summary_row(audit, 4, "normalise", "pg_catalog.jsonb_build_object('statistics', $1)", "NULL",
					1, types, args, NULL);
		MemoryContextSwitchTo(p->cxt);
	}
	ms[4] = lap(&t);

	/* 5. aggregate: each unit's scorecard */
	summary = palloc(sizeof(SrStats) * (p->nleaves + 1));
	rules = palloc(sizeof(SrRule *) * (p->nleaves + 1));
	for (l = 0; l < p->nleaves; l++)
	{
		composite_finish_leaf(&ls->leaves[l], &summary[l]);
		rules[l] = fw_leaf_rule(cf->fw, l);
	}
	unit_cxt = AllocSetContextCreate(p->cxt, "pipeline unit", ALLOCSET_DEFAULT_SIZES);
	{
		double	   *values = palloc(sizeof(double) * (p->nleaves + 1));
		bool	   *present = palloc(sizeof(bool) * (p->nleaves + 1));

		for (k = 0; k < p->units.n; k++)
		{
			int32		u = order[k];
			int64		row = (int64) u * p->ncols;
			bool		any = false;
			Datum		out[2];
			bool		nulls[2] = {false, false};
			MemoryContext old;

			for (l = 0; l < p->nleaves; l++)
			{
				double		x = p->val[row + l];

				present[l] = false;
				if (p->cell[row + l] != CELL_ABSENT)
					any = true;
				if (p->cell[row + l] != CELL_VALUE)
					continue;
				if (rules[l] == NULL)
				{
					dti_check_value(x);
					values[l] = x;
					present[l] = true;
				}
				else
					present[l] = dti_apply_rule(rules[l], x, &summary[l], &values[l]);
			}
			if (!any)
				continue;
			old = MemoryContextSwitchTo(unit_cxt);
			out[0] = PointerGetDatum(cstring_to_text_with_len(p->units.key[u], p->units.len[u]));
			out[1] = PointerGetDatum(scorecard_evaluate(cf, values, present));
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out, nulls);
			MemoryContextSwitchTo(old);
			MemoryContextReset(unit_cxt);
			nout++;
		}
	}
	{
		Oid			types[1] = {TEXTOID};
		Datum		args[1];
		Oid			fw_out;
		bool		fw_varlena;

		getTypeOutputInfo(get_fn_expr_argtype(fcinfo->flinfo, 0), &fw_out, &fw_varlena);
		args[0] = CStringGetTextDatum(OidOutputFunctionCall(fw_out, PointerGetDatum(fwp)));
		summary_row(audit, 5, "aggregate", "pg_catalog.jsonb_build_object('framework', $1)",
					psprintf("pg_catalog.jsonb_build_object('units', %d)", nout),
					1, types, args, NULL);
	}
	ms[5] = lap(&t);
	elog(DEBUG1, "pipeline: ms read %.1f denominate %.1f impute %.1f treat_outliers %.1f normalise %.1f aggregate %.1f audit_cells %.1f; raw units %d, scorecards %d",
		 ms[0], ms[1], ms[2], ms[3], ms[4], ms[5], p->audit_ms, p->units.n, nout);

	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "pipeline: SPI_finish failed");
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(p->cxt);
	return (Datum) 0;
}
