/*-------------------------------------------------------------------------
 *
 * weighted_agg.c
 *	  Helpers shared by the weighted aggregates: reporting bad input rows
 *	  (the aggregate memory context is dti_aggregate_context(), dti_util.c).
 *
 * The aggregates themselves are in weighted_mean.c (arithmetic, geometric
 * and harmonic means) and weighted_quantile.c (quantiles and the median).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/float.h"

#include "weighted_agg.h"

/*
 * Reports a row whose value or weight is NaN or infinite, or whose weight
 * is negative: the first problem found, in that order.
 */
void
wagg_report_bad_input(double x, double w, const char *aggname)
{
	if (isnan(x) || isinf(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value must be a finite number in %s", aggname),
				 errdetail("The value is %s.", float8out_internal(x)),
				 errhint("Replace NaN and infinite values with NULL to skip those rows.")));
	if (isnan(w) || isinf(w))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight must be a finite number in %s", aggname),
				 errdetail("The weight is %s.", float8out_internal(w)),
				 errhint("Replace NaN and infinite weights with NULL to skip those rows.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("weight must not be negative in %s", aggname),
			 errdetail("The weight is %s.", float8out_internal(w)),
			 errhint("Weights must be zero or positive; a row with weight 0 does not count.")));
}

/*
 * Reports a value that is zero or negative where the mean needs a positive
 * one (geometric and harmonic means).
 */
void
wagg_report_nonpositive(double x, const char *aggname)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s requires positive values", aggname),
			 errdetail("The value is %s.", float8out_internal(x)),
			 errhint("The geometric and harmonic means are defined for values greater than 0 only; filter out or replace the other values.")));
}

/*
 * Reports a serialized state that cannot be read back: wrong version,
 * wrong size or impossible contents.
 */
void
wagg_report_bad_state(const char *aggname, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized state of %s", aggname),
			 errdetail("%s", detail)));
}
