/*-------------------------------------------------------------------------
 *
 * scoring_rule.h
 *	  The scoring_rule and indicator_stats types, shared by the score()
 *	  functions, the indicator_stats aggregate and the rank_score window
 *	  function.
 *
 * A scoring_rule is stored as the packed SrRule of scoring_rule_core.h
 * with STORAGE plain and ALIGNMENT double, so a stored rule is never
 * compressed or given a short header and its doubles can be read in place.
 * An indicator_stats is a fixed-size SrStats (40 bytes, by reference).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_SCORING_RULE_H
#define DTI_SCORING_RULE_H

#include "fmgr.h"

#include "scoring_rule_core.h"

#define DatumGetScoringRuleP(X)		((SrRule *) PG_DETOAST_DATUM(X))
#define PG_GETARG_SCORING_RULE_P(n)	DatumGetScoringRuleP(PG_GETARG_DATUM(n))

#define DatumGetIndicatorStatsP(X)	((SrStats *) DatumGetPointer(X))
#define PG_GETARG_INDICATOR_STATS_P(n) DatumGetIndicatorStatsP(PG_GETARG_DATUM(n))

/* Raise 22023 unless x is a finite number. */
extern void dti_check_value(double x);

/*
 * Apply a numeric rule to a value (checked finite first): false for a NULL
 * result, a negative zero made zero, a result beyond float8 an error.
 * score() and composite() share it.
 */
extern bool dti_apply_rule(const SrRule *rule, double x, const SrStats *stats,
						   double *out);

extern Datum scoring_rule_in(PG_FUNCTION_ARGS);

/* The canonical text of a rule, palloc'd. */
extern char *scoring_rule_to_cstring(const SrRule *rule);

#endif							/* DTI_SCORING_RULE_H */
