/*-------------------------------------------------------------------------
 *
 * rank_precision.c
 *	  Ranks at a published precision: window functions giving competition
 *	  ("1224"), dense ("1223"), ordinal ("1234") and fractional
 *	  ("1 2.5 2.5 4") ranks of values rounded to a number of decimals, or
 *	  tied within an absolute tolerance.
 *
 * Rounding is half away from zero on the decimal value, the shortest
 * decimal that reads back as the double (what float8 output prints), as
 * numeric round() rounds a decimal: 0.48805 rounds to 0.4881 although the
 * double nearest 0.48805 lies below it.  Rounded values are compared as
 * the double nearest to the rounded decimal.
 *
 * With a tolerance, values are sorted best first and a new tie group
 * starts wherever two neighbours differ by more than the tolerance, so
 * ties chain: a ~ b and b ~ c put a, b and c in one group even when a and
 * c are further apart.
 *
 * Like rank_score(), the functions need no ORDER BY in the window: on the
 * first row of a partition they read its values once into partition-local
 * memory, sort them and note each row's place, so every row is then
 * answered in constant time; a partition of n rows costs O(n log n).
 * NULL values get a NULL rank and do not count.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/shortest_dec.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "catalog/pg_type_d.h"
#include "utils/array.h"
#include "utils/memutils.h"
#include "windowapi.h"

#include "scoring_rule.h"

PG_FUNCTION_INFO_V1(rank_rounded_competition);
PG_FUNCTION_INFO_V1(rank_rounded_dense);
PG_FUNCTION_INFO_V1(rank_rounded_ordinal);
PG_FUNCTION_INFO_V1(rank_rounded_fractional);
PG_FUNCTION_INFO_V1(rank_tolerant_competition);
PG_FUNCTION_INFO_V1(rank_tolerant_dense);
PG_FUNCTION_INFO_V1(rank_tolerant_ordinal);
PG_FUNCTION_INFO_V1(rank_tolerant_fractional);
PG_FUNCTION_INFO_V1(float8_round_decimal);
PG_FUNCTION_INFO_V1(rank_rounded_array);

#define RANK_MAX_DECIMALS 15

typedef enum RankKind
{
	RANK_COMPETITION,
	RANK_DENSE,
	RANK_ORDINAL,
	RANK_FRACTIONAL
} RankKind;

/* One non-NULL value: its sort key (best first) and its row. */
typedef struct RankEntry
{
	double		key;
	int64		row;
} RankEntry;

/* Partition-local state; the arrays live in the partition's context. */
typedef struct PrecisionPartition
{
	bool		ready;
	bool		lower;
	double		param;			/* decimals or tolerance */
	int64		rows;
	int64	   *place;			/* per row: index in sorted order, -1 NULL */
	int64	   *group;			/* per sorted index: its tie group */
	int64	   *group_start;	/* per group: first sorted index; one more
								 * entry holds the count of values */
} PrecisionPartition;

static const double powers_of_ten[RANK_MAX_DECIMALS + 1] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15
};

/*
 * The value x rounded half away from zero to d decimals, working on the
 * shortest decimal representation of x; returns the double nearest the
 * rounded decimal.  This is the slow path of round_key().
 */
static double
round_decimal_slow(double x, int d)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];
	char		digits[DOUBLE_SHORTEST_DECIMAL_LEN + 2];
	char		out[DOUBLE_SHORTEST_DECIMAL_LEN + 32];
	const char *c;
	int			ndigits = 0;
	int			point = -1;		/* digits before the decimal point */
	int			exp10 = 0;
	int			keep;
	bool		negative = false;
	int			i;

	double_to_shortest_decimal_buf(x, buf);
	c = buf;
	if (*c == '-')
	{
		negative = true;
		c++;
	}
	/* digits of the mantissa, and how many stand before its point */
	for (; *c && *c != 'e' && *c != 'E'; c++)
	{
		if (*c == '.')
			point = ndigits;
		else
			digits[ndigits++] = *c;
	}
	if (point < 0)
		point = ndigits;
	if (*c == 'e' || *c == 'E')
		exp10 = atoi(c + 1);
	point += exp10;
	/* drop leading zeros: digit j then stands for 10^(point - 1 - j) */
	for (i = 0; i < ndigits && digits[i] == '0'; i++)
		point--;
	memmove(digits, digits + i, ndigits - i);
	ndigits -= i;
	if (ndigits == 0)
		return x;
	keep = point + d;			/* digits that stay */
	if (keep >= ndigits)
		return x;				/* nothing to round away */
	if (keep < 0)
		return negative ? -0.0 : 0.0;
	/* round half away from zero on the first dropped digit */
	if (digits[keep] >= '5')
	{
		for (i = keep - 1; i >= 0; i--)
		{
			if (digits[i] < '9')
			{
				digits[i]++;
				break;
			}
			digits[i] = '0';
		}
		if (i < 0)
		{
			memmove(digits + 1, digits, keep);
			digits[0] = '1';
			keep++;
		}
	}
	if (keep == 0)
		return negative ? -0.0 : 0.0;
	/* the kept digits are an integer count of units of 10^-d */
	snprintf(out, sizeof(out), "%s%.*se-%d", negative ? "-" : "", keep, digits, d);
	return strtod(out, NULL);
}

/*
 * Sort key of x rounded to d decimals: the double nearest the rounded
 * decimal.  Fast path: scale by 10^d and round, when the scaled value is
 * far enough from a half (more than 2^-50 relative; the scaled double and
 * the scaled shortest decimal differ by less than 2^-51 relative) for the
 * decision to be the same on the decimal; the integer over 10^d is then
 * exactly the nearest double, as strtod gives on the slow path.
 */
static double
round_key(double x, int d)
{
	double		scale = powers_of_ten[d];
	double		y = fabs(x * scale);

	if (y < 1125899906842624.0) /* 2^50 */
	{
		double		f = floor(y);
		double		frac = y - f;

		if (fabs(frac - 0.5) > y * (1.0 / 1125899906842624.0))
		{
			double		r = frac > 0.5 ? f + 1.0 : f;

			return (x < 0 ? -r : r) / scale;
		}
	}
	return round_decimal_slow(x, d);
}

/*
 * round_decimal(value, decimals): the key rank_rounded() compares, for
 * callers that keep ranks up to date one change at a time (a rank is one
 * more than the number of keys above it).
 */
Datum
float8_round_decimal(PG_FUNCTION_ARGS)
{
	float8		x = PG_GETARG_FLOAT8(0);
	int32		dec = PG_GETARG_INT32(1);

	if (dec < 0 || dec > RANK_MAX_DECIMALS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of decimals must be between 0 and %d", RANK_MAX_DECIMALS),
				 errdetail("The number given is %d.", dec)));
	if (isnan(x) || isinf(x))
		PG_RETURN_FLOAT8(x);
	PG_RETURN_FLOAT8(round_key(x, dec));
}

/*
 * Do neighbours a <= b (in sort order) tie?  Equal keys always do (-0 and
 * 0 included); with a tolerance, b - a <= tolerance, allowing 4 units in
 * the last place of the larger magnitude for the binary rounding of the
 * difference (so that 0.4 and 0.3 tie within 0.1).
 */
static inline bool
tied(double a, double b, double tolerance)
{
	if (a == b)
		return true;
	if (tolerance <= 0)
		return false;
	return b - a <= tolerance + 4 * DBL_EPSILON * Max(fabs(a), fabs(b));
}

static int
compare_entries(const void *a, const void *b)
{
	const RankEntry *x = (const RankEntry *) a;
	const RankEntry *y = (const RankEntry *) b;

	if (x->key != y->key)
		return (x->key > y->key) - (x->key < y->key);
	return (x->row > y->row) - (x->row < y->row);
}

/* The decimals or tolerance argument of the current row, checked. */
static double
current_param(WindowObject winobj, bool tolerant)
{
	bool		isnull;
	Datum		d = WinGetFuncArgCurrent(winobj, 1, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the %s of a precision rank must not be NULL",
						tolerant ? "tolerance" : "number of decimals")));
	if (tolerant)
	{
		double		tol = DatumGetFloat8(d);

		if (isnan(tol) || isinf(tol) || tol < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tolerance must be a finite number of at least 0"),
					 errdetail("The tolerance given is %g.", tol),
					 errhint("Values within the tolerance of their neighbour tie; 0 ties equal values only.")));
		return tol;
	}
	else
	{
		int32		dec = DatumGetInt32(d);

		if (dec < 0 || dec > RANK_MAX_DECIMALS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("number of decimals must be between 0 and %d", RANK_MAX_DECIMALS),
					 errdetail("The number given is %d.", dec)));
		return (double) dec;
	}
}

static bool
current_lower(WindowObject winobj)
{
	bool		isnull;
	Datum		d = WinGetFuncArgCurrent(winobj, 2, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the direction of a precision rank must not be NULL"),
				 errhint("Pass false (higher is better, the default) or true (lower is better).")));
	return DatumGetBool(d);
}

/*
 * The first argument on row i of the partition; false past its end.  Checks
 * for interrupts every 1024 rows.
 */
static bool
partition_value(WindowObject winobj, int64 i, Datum *d, bool *isnull)
{
	bool		isout;

	if ((i & 1023) == 0)
		CHECK_FOR_INTERRUPTS();
	*d = WinGetFuncArgInPartition(winobj, 0, (int) i, WINDOW_SEEK_HEAD,
								  false, isnull, &isout);
	return !isout;
}

/*
 * Read the partition once: keys of the non-NULL values (rounded, and
 * negated when higher is better so that the best sorts first), sorted
 * with ties in row order; then each row's place and the tie groups.
 */
static void
load_partition(WindowObject winobj, PrecisionPartition *part, bool tolerant)
{
	MemoryContext cxt = GetMemoryChunkContext(part);
	int64		rows = WinGetPartitionRowCount(winobj);
	RankEntry  *entries;
	int64		n = 0;
	int64		ngroups = 0;
	int64		i;
	int			decimals = tolerant ? 0 : (int) part->param;

	entries = MemoryContextAllocHuge(cxt, sizeof(RankEntry) * Max(rows, 1));
	part->place = MemoryContextAllocHuge(cxt, sizeof(int64) * Max(rows, 1));
	for (i = 0; i < rows; i++)
	{
		bool		isnull;
		Datum		d;
		double		x;

		if (!partition_value(winobj, i, &d, &isnull))
			break;
		part->place[i] = -1;
		if (isnull)
			continue;
		x = DatumGetFloat8(d);
		dti_check_value(x);
		if (!tolerant)
			x = round_key(x, decimals);
		entries[n].key = part->lower ? x : -x;
		entries[n].row = i;
		n++;
	}
	qsort(entries, n, sizeof(RankEntry), compare_entries);

	part->group = MemoryContextAllocHuge(cxt, sizeof(int64) * Max(n, 1));
	part->group_start = MemoryContextAllocHuge(cxt, sizeof(int64) * (n + 1));
	for (i = 0; i < n; i++)
	{
		if (i == 0 || !tied(entries[i - 1].key, entries[i].key, tolerant ? part->param : 0))
			part->group_start[ngroups++] = i;
		part->group[i] = ngroups - 1;
		part->place[entries[i].row] = i;
	}
	part->group_start[ngroups] = n;
	pfree(entries);
	part->rows = rows;
	part->ready = true;
}

/* Shared body of the eight window functions. */
static Datum
precision_rank(FunctionCallInfo fcinfo, bool tolerant, RankKind kind)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	PrecisionPartition *part;
	double		param = current_param(winobj, tolerant);
	bool		lower = current_lower(winobj);
	int64		pos,
				place,
				g;

	part = (PrecisionPartition *)
		WinGetPartitionLocalMemory(winobj, sizeof(PrecisionPartition));
	if (!part->ready)
	{
		part->param = param;
		part->lower = lower;
		load_partition(winobj, part, tolerant);
	}
	else if (param != part->param || lower != part->lower)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the %s and direction of a precision rank must be the same on every row of a partition",
						tolerant ? "tolerance" : "number of decimals"),
				 errhint("Partition by the column that decides them, or pass constants.")));

	pos = WinGetCurrentPosition(winobj);
	if (pos < 0 || pos >= part->rows)
		elog(ERROR, "window row %lld outside its partition", (long long) pos);
	place = part->place[pos];
	if (place < 0)
		PG_RETURN_NULL();
	g = part->group[place];
	switch (kind)
	{
		case RANK_COMPETITION:
			PG_RETURN_INT64(part->group_start[g] + 1);
		case RANK_DENSE:
			PG_RETURN_INT64(g + 1);
		case RANK_ORDINAL:
			PG_RETURN_INT64(place + 1);
		case RANK_FRACTIONAL:
			/* mean of the ordinal ranks first + 1 .. next group's first */
			PG_RETURN_FLOAT8(((double) part->group_start[g] + 1.0 +
							  (double) part->group_start[g + 1]) / 2.0);
	}
	elog(ERROR, "unknown rank kind %d", (int) kind);
	return (Datum) 0;
}

/* rank_rounded(value, decimals, lower): competition rank ("1224"). */
Datum
rank_rounded_competition(PG_FUNCTION_ARGS)
{
	return precision_rank(fcinfo, false, RANK_COMPETITION);
}

/* dense_rank_rounded(value, decimals, lower): dense rank ("1223"). */
Datum
rank_rounded_dense(PG_FUNCTION_ARGS)
{
	return precision_rank(fcinfo, false, RANK_DENSE);
}

/* ordinal_rank_rounded(value, decimals, lower): ordinal rank ("1234"). */
Datum
rank_rounded_ordinal(PG_FUNCTION_ARGS)
{
	return precision_rank(fcinfo, false, RANK_ORDINAL);
}

/* fractional_rank_rounded(value, decimals, lower): "1 2.5 2.5 4". */
Datum
rank_rounded_fractional(PG_FUNCTION_ARGS)
{
	return precision_rank(fcinfo, false, RANK_FRACTIONAL);
}

/* rank_tolerant(value, tolerance, lower): competition rank. */
Datum
rank_tolerant_competition(PG_FUNCTION_ARGS)
{
	return precision_rank(fcinfo, true, RANK_COMPETITION);
}

/* dense_rank_tolerant(value, tolerance, lower): dense rank. */
Datum
rank_tolerant_dense(PG_FUNCTION_ARGS)
{
	return precision_rank(fcinfo, true, RANK_DENSE);
}

/* ordinal_rank_tolerant(value, tolerance, lower): ordinal rank. */
Datum
rank_tolerant_ordinal(PG_FUNCTION_ARGS)
{
	return precision_rank(fcinfo, true, RANK_ORDINAL);
}

/* fractional_rank_tolerant(value, tolerance, lower): fractional rank. */
Datum
rank_tolerant_fractional(PG_FUNCTION_ARGS)
{
	return precision_rank(fcinfo, true, RANK_FRACTIONAL);
}

/*
 * rank_rounded_each(values float8[], decimals, lower_is_better): competition
 * ranks of every position of the arrays across the partition, as
 * rank_rounded(values[i], decimals) OVER (PARTITION BY ..., i) would give
 * them, without a window partition (and a sort) per position.  All arrays
 * of a partition have the same length; a NULL element gets a NULL rank, a
 * NULL array a NULL result.
 */
typedef struct ArrayRankPartition
{
	bool		ready;
	bool		lower;
	int			decimals;
	int			width;
	int64		rows;
	bool	   *row_null;		/* per row: the array is NULL */
	int64	   *rank;			/* rows x width, 0 for a NULL element */
} ArrayRankPartition;

static Datum *
array_row(Datum d, int *width, bool **nulls)
{
	ArrayType  *a = DatumGetArrayTypeP(d);
	Datum	   *elems;

	if (ARR_ELEMTYPE(a) != FLOAT8OID)
		elog(ERROR, "rank_rounded_each() called with an array of type %u", ARR_ELEMTYPE(a));
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the values ranked by rank_rounded_each() must be a one-dimensional array"),
				 errdetail("The array has %d dimensions.", ARR_NDIM(a))));
	deconstruct_array(a, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, nulls, width);
	return elems;
}

static void
load_array_partition(WindowObject winobj, ArrayRankPartition *part)
{
	MemoryContext cxt = GetMemoryChunkContext(part);
	int64		rows = WinGetPartitionRowCount(winobj);
	double	   *keys = NULL;
	bool	   *isnull_key = NULL;
	RankEntry  *entries;
	int64		i;
	int			j;

	part->width = -1;
	part->row_null = MemoryContextAllocZero(cxt, sizeof(bool) * Max(rows, 1));
	for (i = 0; i < rows; i++)
	{
		bool		isnull;
		Datum		d;
		Datum	   *vals;
		bool	   *nulls;
		int			width;

		if (!partition_value(winobj, i, &d, &isnull))
			break;
		if (isnull)
		{
			part->row_null[i] = true;
			continue;
		}
		vals = array_row(d, &width, &nulls);
		if (part->width < 0)
		{
			part->width = width;
			keys = MemoryContextAllocHuge(cxt, sizeof(double) * Max(rows * width, 1));
			isnull_key = MemoryContextAllocHuge(cxt, sizeof(bool) * Max(rows * width, 1));
			memset(isnull_key, true, sizeof(bool) * Max(rows * width, 1));
		}
		else if (width != part->width)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("the arrays ranked by rank_rounded_each() must all have the same length in a partition"),
					 errdetail("One has %d elements, another %d.", part->width, width)));
		for (j = 0; j < width; j++)
		{
			double		x;

			if (nulls[j])
				continue;
			x = DatumGetFloat8(vals[j]);
			dti_check_value(x);
			x = round_key(x, part->decimals);
			keys[i * width + j] = part->lower ? x : -x;
			isnull_key[i * width + j] = false;
		}
		pfree(vals);
		pfree(nulls);
	}
	part->rows = rows;
	if (part->width < 0)
		part->width = 0;
	part->rank = MemoryContextAllocHuge(cxt, sizeof(int64) * Max(rows * part->width, 1));
	entries = palloc(sizeof(RankEntry) * Max(rows, 1));
	for (j = 0; j < part->width; j++)
	{
		int64		n = 0;
		int64		k;
		int64		start = 0;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < rows; i++)
		{
			part->rank[i * part->width + j] = 0;
			if (part->row_null[i] || isnull_key[i * part->width + j])
				continue;
			entries[n].key = keys[i * part->width + j];
			entries[n].row = i;
			n++;
		}
		qsort(entries, n, sizeof(RankEntry), compare_entries);
		for (k = 0; k < n; k++)
		{
			if (k > 0 && !tied(entries[k - 1].key, entries[k].key, 0))
				start = k;
			part->rank[entries[k].row * part->width + j] = start + 1;
		}
	}
	pfree(entries);
	part->ready = true;
}

Datum
rank_rounded_array(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	ArrayRankPartition *part;
	int			decimals = (int) current_param(winobj, false);
	bool		lower = current_lower(winobj);
	int64		pos;
	Datum	   *elems;
	bool	   *nulls;
	int			dims[1];
	int			lbs[1] = {1};
	int			j;

	part = (ArrayRankPartition *)
		WinGetPartitionLocalMemory(winobj, sizeof(ArrayRankPartition));
	if (!part->ready)
	{
		part->decimals = decimals;
		part->lower = lower;
		load_array_partition(winobj, part);
	}
	else if (decimals != part->decimals || lower != part->lower)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the number of decimals and direction of a precision rank must be the same on every row of a partition"),
				 errhint("Partition by the column that decides them, or pass constants.")));

	pos = WinGetCurrentPosition(winobj);
	if (pos < 0 || pos >= part->rows)
		elog(ERROR, "window row %lld outside its partition", (long long) pos);
	if (part->row_null[pos])
		PG_RETURN_NULL();
	elems = palloc(sizeof(Datum) * Max(part->width, 1));
	nulls = palloc(sizeof(bool) * Max(part->width, 1));
	for (j = 0; j < part->width; j++)
	{
		int64		r = part->rank[pos * part->width + j];

		elems[j] = Int64GetDatum(r);
		nulls[j] = (r == 0);
	}
	dims[0] = part->width;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, nulls, 1, dims, lbs, INT8OID,
											 sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
