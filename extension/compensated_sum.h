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
#include <stdint.h>
#include <string.h>

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

/* frexp's exponent of a finite x other than 0, without a call for normals */
static inline int
dti_exponent(double x)
{
	uint64_t	bits;
	int			biased,
				e;

	memcpy(&bits, &x, sizeof(bits));
	biased = (int) ((bits >> 52) & 0x7ff);
	if (biased != 0)
		return biased - 1022;
	(void) frexp(x, &e);
	return e;
}

/* x * 2^k, rounded once as ldexp does; a multiplication when 2^k is normal */
static inline double
dti_scale_by(double x, int k)
{
	if (k >= -1022 && k <= 1023)
	{
		uint64_t	bits = (uint64_t) (k + 1023) << 52;
		double		f;

		memcpy(&f, &bits, sizeof(f));
		return x * f;
	}
	return ldexp(x, k);
}

/* frexp for a finite x: the mantissa in [0.5, 1) with x's sign, *e */
static inline double
dti_split(double x, int *e)
{
	if (x == 0.0)
	{
		*e = 0;
		return x;
	}
	*e = dti_exponent(x);
	return dti_scale_by(x, -*e);
}

typedef struct ScaledSum
{
	CompensatedSum s;			/* the terms times 2^-scale */
	int32_t		scale;
} ScaledSum;

/* the scale of a sum of no term but zeros: below every term's exponent */
#define SSUM_NO_SCALE (-100000)

static inline void
ssum_init(ScaledSum *s)
{
	csum_init(&s->s);
	s->scale = SSUM_NO_SCALE;
}

/* Rescale to a larger scale, exactly (bar terms that become subnormal). */
static inline void
ssum_rescale(ScaledSum *s, int32_t scale)
{
	s->s.sum = dti_scale_by(s->s.sum, s->scale - scale);
	s->s.comp = dti_scale_by(s->s.comp, s->scale - scale);
	s->scale = scale;
}

/* Add m * 2^e. */
static inline void
ssum_add(ScaledSum *s, double m, int e)
{
	if (m == 0.0)
		return;
	if (e > s->scale)
		ssum_rescale(s, e);
	csum_add(&s->s, dti_scale_by(m, e - s->scale));
}

static inline void
ssum_merge(ScaledSum *into, const ScaledSum *from)
{
	if (from->scale > into->scale)
		ssum_rescale(into, from->scale);
	csum_add(&into->s, dti_scale_by(from->s.sum, from->scale - into->scale));
	csum_add(&into->s, dti_scale_by(from->s.comp, from->scale - into->scale));
}

#endif							/* DTI_COMPENSATED_SUM_H */
