/*-------------------------------------------------------------------------
 *
 * rank.c
 *	  Rank-based normalisation: the rank_score(rule, value) window function
 *	  for the rules rank, prank and borda.
 *
 * On the first row of a partition the function reads the partition's
 * non-NULL values once into partition-local memory and sorts them; each
 * row then finds its rank by binary search, so a partition of n rows costs
 * O(n log n).  Ranks are ascending competition ranks: the worst value has
 * rank 1 and tied values share the lowest rank, so a higher result is
 * better once the rule's direction is applied.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "windowapi.h"

#include "scoring_rule.h"

PG_FUNCTION_INFO_V1(rank_score);

/* Partition-local memory: the sorted non-NULL values. */
typedef struct RankPartition
{
	bool		ready;
	int64		n;
	double		values[FLEXIBLE_ARRAY_MEMBER];
} RankPartition;

/* qsort comparator of finite doubles. */
static int
compare_doubles(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Number of sorted values strictly less than x. */
static int64
count_below(const double *v, int64 n, double x)
{
	int64		lo = 0,
				hi = n;

	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Number of sorted values strictly greater than x. */
static int64
count_above(const double *v, int64 n, double x)
{
	int64		lo = 0,
				hi = n;

	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (v[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n - lo;
}

/* Read and sort the partition's non-NULL values, once per partition. */
static void
load_partition(WindowObject winobj, RankPartition *part, int64 rows)
{
	int64		i;

	for (i = 0; i < rows; i++)
	{
		bool		isnull,
					isout;
		Datum		d;

		CHECK_FOR_INTERRUPTS();
		d = WinGetFuncArgInPartition(winobj, 1, (int) i, WINDOW_SEEK_HEAD,
									 false, &isnull, &isout);
		if (isout)
			break;
		if (isnull)
			continue;
		dti_check_value(DatumGetFloat8(d));
		part->values[part->n++] = DatumGetFloat8(d);
	}
	qsort(part->values, part->n, sizeof(double), compare_doubles);
	part->ready = true;
}

/*
 * rank_score(rule, value) OVER (PARTITION BY ...): for rank the
 * competition rank (worst = 1), for prank (rank - 1) / (n - 1) (1 when
 * n = 1), for borda the number of values strictly worse; n counts the
 * partition's non-NULL values.  A NULL rule or value gives NULL.  Other
 * rules are rejected with a pointer to score().
 */
Datum
rank_score(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	int64		rows = WinGetPartitionRowCount(winobj);
	RankPartition *part;
	SrRule	   *rule;
	Datum		d;
	bool		isnull;
	double		x;
	int64		worse;

	d = WinGetFuncArgCurrent(winobj, 0, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	rule = DatumGetScoringRuleP(d);
	if (sr_kind_class(rule->kind) != SR_CLASS_RANK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rank_score applies only the rules rank, prank and borda, not %s",
						scoring_rule_to_cstring(rule)),
				 errhint("Use score(rule, value, indicator_stats(value) OVER (PARTITION BY indicator, period)) for other rules.")));

	d = WinGetFuncArgCurrent(winobj, 1, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	x = DatumGetFloat8(d);
	dti_check_value(x);

	if ((Size) rows > (MaxAllocSize - offsetof(RankPartition, values)) / sizeof(double))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("partition of " INT64_FORMAT " rows is too large for rank_score", rows)));
	part = (RankPartition *)
		WinGetPartitionLocalMemory(winobj, offsetof(RankPartition, values) +
								   sizeof(double) * (rows > 0 ? rows : 1));
	if (!part->ready)
		load_partition(winobj, part, rows);

	if (rule->direction == SR_LOWER)
		worse = count_above(part->values, part->n, x);
	else
		worse = count_below(part->values, part->n, x);

	switch (rule->kind)
	{
		case SR_RANK:
			PG_RETURN_FLOAT8((double) (worse + 1));
		case SR_PRANK:
			if (part->n <= 1)
				PG_RETURN_FLOAT8(1.0);
			PG_RETURN_FLOAT8((double) worse / (double) (part->n - 1));
		default:
			PG_RETURN_FLOAT8((double) worse);
	}
}
