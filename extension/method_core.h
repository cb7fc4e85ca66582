/*-------------------------------------------------------------------------
 *
 * method_core.h
 *	  Steps of the composite-indicator method that work on one indicator's
 *	  values: the central moments behind the skewness and kurtosis
 *	  aggregates, and the outlier treatment (winsorisation up to a number of
 *	  steps, else a log transform).  Free of any server dependency so that
 *	  tests and fuzzers can link it alone.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_METHOD_CORE_H
#define DTI_METHOD_CORE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Running central moments: count, mean and the sums of the 2nd, 3rd and 4th
 * powers of the deviations from the mean.  The aggregate keeps them as a
 * float8[5] in this order.
 */
typedef struct MomentState
{
	double		n;
	double		mean;
	double		m2;
	double		m3;
	double		m4;
} MomentState;

#define MOMENT_STATE_LEN 5

extern void mc_moments_add(MomentState *s, double x);
extern void mc_moments_merge(MomentState *into, const MomentState *from);
extern const char *mc_moments_check(const MomentState *s);
extern double mc_skewness(const MomentState *s);
extern double mc_kurtosis(const MomentState *s);
extern void mc_moments_of(const double *x, size_t n, MomentState *s);

/* what the treatment did to one indicator */
typedef enum TreatMethod
{
	TREAT_NONE = 0,				/* within limits as given */
	TREAT_WINSORISED,			/* within limits after winsorising */
	TREAT_LOG_CT,				/* log transform of the original values */
	TREAT_UNRESOLVED			/* fallback none: winsorised, still outside */
} TreatMethod;

typedef enum TreatFallback
{
	FALLBACK_LOG_CT = 0,
	FALLBACK_NONE
} TreatFallback;

typedef struct TreatResult
{
	TreatMethod method;
	int			steps;			/* winsorisation steps taken */
	int			cells;			/* cells winsorisation changed */
	double		skew_before;
	double		kurt_before;
	double		skew_after;
	double		kurt_after;
} TreatResult;

/* The name of a treatment: none, winsorised, log_ct, unresolved. */
extern const char *mc_treat_name(TreatMethod m);
extern bool mc_outside(double skew, double kurt, double skew_limit, double kurt_limit);
extern void mc_treat(double *x, size_t n, int winmax, double skew_limit,
					 double kurt_limit, TreatFallback fallback, double *work,
					 TreatResult *r);

#endif							/* DTI_METHOD_CORE_H */
