/*-------------------------------------------------------------------------
 *
 * compensated_sum.h
 *	  Neumaier (improved Kahan-Babuska) compensated summation, shared by
 *	  every aggregate that sums doubles.
 *
 * A CompensatedSum keeps the running sum and the low-order bits lost by
 * each addition; the total is sum + comp.  The error of the total does not
 * grow with the number of terms, so the aggregates match an exact numeric
 * reference to about 1e-15 relative on positive data.  Two partial sums
 * (from parallel workers) combine by adding both parts of one into the
 * other.  No server dependency.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_COMPENSATED_SUM_H
#define DTI_COMPENSATED_SUM_H

#include <math.h>

typedef struct CompensatedSum
{
	double		sum;
	double		comp;
} CompensatedSum;

static inline void
csum_init(CompensatedSum *s)
{
	s->sum = 0.0;
	s->comp = 0.0;
}

static inline void
csum_add(CompensatedSum *s, double x)
{
	double		t = s->sum + x;

	if (fabs(s->sum) >= fabs(x))
		s->comp += (s->sum - t) + x;
	else
		s->comp += (x - t) + s->sum;
	s->sum = t;
}

static inline void
csum_merge(CompensatedSum *into, const CompensatedSum *from)
{
	csum_add(into, from->sum);
	csum_add(into, from->comp);
}

static inline double
csum_total(const CompensatedSum *s)
{
	return s->sum + s->comp;
}

#endif							/* DTI_COMPENSATED_SUM_H */
