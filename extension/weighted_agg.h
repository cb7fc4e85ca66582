/*-------------------------------------------------------------------------
 *
 * weighted_agg.h
 *	  What the weighted aggregates (weighted_mean.c, weighted_quantile.c)
 *	  share: the checks on each input row.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_WEIGHTED_AGG_H
#define DTI_WEIGHTED_AGG_H

#include <math.h>

#include "fmgr.h"
#include "pg_compat.h"

#include "dti_util.h"
#include "weighted_agg_core.h"

extern void wagg_report_bad_input(double x, double w, const char *aggname) pg_attribute_noreturn();
extern void wagg_report_nonpositive(double x, const char *aggname) pg_attribute_noreturn();
extern void wagg_report_bad_state(const char *aggname, const char *detail) pg_attribute_noreturn();

/*
 * Checks one (value, weight) row: both finite and the weight not negative.
 * The common case costs three comparisons; the error path is out of line.
 */
static inline void
wagg_check_row(double x, double w, const char *aggname)
{
	if (unlikely(isnan(x) || isinf(x) || isnan(w) || isinf(w) || w < 0.0))
		wagg_report_bad_input(x, w, aggname);
}

#endif							/* DTI_WEIGHTED_AGG_H */
