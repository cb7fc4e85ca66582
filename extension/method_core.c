/*-------------------------------------------------------------------------
 *
 * method_core.c
 *	  Central moments, sample skewness and kurtosis, and the outlier
 *	  treatment of one indicator (see method_core.h and docs/method.md).
 *
 * Estimators (Joanes and Gill 1998), with m_r = sum((x - mean)^r) / n:
 *	  g1 = m3 / m2^(3/2),	G1 = g1 * sqrt(n (n - 1)) / (n - 2)		(n >= 3)
 *	  g2 = m4 / m2^2 - 3,	G2 = ((n + 1) g2 + 6) (n - 1) / ((n - 2)(n - 3))
 *																(n >= 4)
 * G1 and G2 are the adjusted sample skewness and the unbiased-under-
 * normality excess kurtosis (Excel's SKEW and KURT, type 2 of R's e1071,
 * SciPy's skew and kurtosis with bias=False), the estimators COINr's skew()
 * and kurt() use.  Undefined (NaN) for too few values or zero variance.
 *
 *-------------------------------------------------------------------------
 */
#include "method_core.h"

#include <math.h>
#include <string.h>

/* Add one value: the one-pass update of Terriberry / Pebay. */
void
mc_moments_add(MomentState *s, double x)
{
	double		n1 = s->n;
	double		n = n1 + 1.0;
	double		delta = x - s->mean;
	double		dn = delta / n;
	double		dn2 = dn * dn;
	double		term1 = delta * dn * n1;

	s->mean += dn;
	s->m4 += term1 * dn2 * (n * n - 3.0 * n + 3.0) + 6.0 * dn2 * s->m2 - 4.0 * dn * s->m3;
	s->m3 += term1 * dn * (n - 2.0) - 3.0 * dn * s->m2;
	s->m2 += term1;
	s->n = n;
}

/* Merge two partial states (Pebay's pairwise formulas). */
void
mc_moments_merge(MomentState *into, const MomentState *from)
{
	double		na = into->n,
				nb = from->n,
				n,
				d,
				d2;
	MomentState r;

	if (nb == 0.0)
		return;
	if (na == 0.0)
	{
		*into = *from;
		return;
	}
	n = na + nb;
	d = from->mean - into->mean;
	d2 = d * d;
	r.n = n;
	r.mean = into->mean + d * nb / n;
	r.m2 = into->m2 + from->m2 + d2 * na * nb / n;
	r.m3 = into->m3 + from->m3 + d * d2 * na * nb * (na - nb) / (n * n)
		+ 3.0 * d * (na * from->m2 - nb * into->m2) / n;
	r.m4 = into->m4 + from->m4
		+ d2 * d2 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n)
		+ 6.0 * d2 * (na * na * from->m2 + nb * nb * into->m2) / (n * n)
		+ 4.0 * d * (na * from->m3 - nb * into->m3) / n;
	*into = r;
}

/* NULL when a state read from outside is well formed, else what is wrong. */
const char *
mc_moments_check(const MomentState *s)
{
	if (!isfinite(s->n) || !isfinite(s->mean) || !isfinite(s->m2) ||
		!isfinite(s->m3) || !isfinite(s->m4))
		return "A moment is not finite";
	if (s->n < 0.0 || s->n != floor(s->n) || s->n > 9007199254740992.0)
		return "The count is not a whole number between 0 and 2^53";
	if (s->m2 < 0.0 || s->m4 < 0.0)
		return "A sum of even powers is negative";
	if (s->n == 0.0 && (s->mean != 0.0 || s->m2 != 0.0 || s->m3 != 0.0 || s->m4 != 0.0))
		return "An empty state has non-zero moments";
	return NULL;
}

/* G1, or NaN below 3 values or for zero variance. */
double
mc_skewness(const MomentState *s)
{
	double		n = s->n,
				g1;

	if (n < 3.0 || !(s->m2 > 0.0))
		return NAN;
	g1 = sqrt(n) * s->m3 / pow(s->m2, 1.5);
	return g1 * sqrt(n * (n - 1.0)) / (n - 2.0);
}

/* G2 (excess), or NaN below 4 values or for zero variance. */
double
mc_kurtosis(const MomentState *s)
{
	double		n = s->n,
				g2;

	if (n < 4.0 || !(s->m2 > 0.0))
		return NAN;
	g2 = n * s->m4 / (s->m2 * s->m2) - 3.0;
	return ((n + 1.0) * g2 + 6.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0));
}

/* The moments of a whole vector, two passes (the mean first). */
void
mc_moments_of(const double *x, size_t n, MomentState *s)
{
	double		sum = 0.0,
				mean;
	size_t		i;

	memset(s, 0, sizeof(*s));
	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		sum += x[i];
	mean = sum / (double) n;
	/* a second pass corrects the rounding of the first mean */
	sum = 0.0;
	for (i = 0; i < n; i++)
		sum += x[i] - mean;
	mean += sum / (double) n;
	s->n = (double) n;
	s->mean = mean;
	for (i = 0; i < n; i++)
	{
		double		d = x[i] - mean,
					d2 = d * d;

		s->m2 += d2;
		s->m3 += d2 * d;
		s->m4 += d2 * d2;
	}
}

/*
 * Is an indicator outside the limits?  Both must be exceeded (COINr's
 * check): |skewness| > skew_limit and kurtosis > kurt_limit.  An undefined
 * skewness or kurtosis (too few values, all equal) is never outside.
 */
bool
mc_outside(double skew, double kurt, double skew_limit, double kurt_limit)
{
	return fabs(skew) > skew_limit && kurt > kurt_limit;
}

/* Skewness and kurtosis of a vector. */
static void
shape_of(const double *x, size_t n, double *skew, double *kurt)
{
	MomentState s;

	mc_moments_of(x, n, &s);
	*skew = mc_skewness(&s);
	*kurt = mc_kurtosis(&s);
}

/*
 * Treat one indicator's n values in place (no NULLs; finite).  While the
 * values are outside the limits and fewer than winmax steps were taken,
 * one winsorisation step: at the end the skewness points to (the top when
 * it is positive), every cell holding the extreme value takes the next
 * value inward.  If the values are then within the limits they are kept;
 * otherwise, with the log_ct fallback, the ORIGINAL values become
 * ln(x - min + 0.01 (max - min)) (COINr's log_CT), with fallback none the
 * winsorised values are kept and reported unresolved.  work holds n
 * doubles.
 */
void
mc_treat(double *x, size_t n, int winmax, double skew_limit, double kurt_limit,
		 TreatFallback fallback, double *work, TreatResult *r)
{
	double		skew,
				kurt;
	size_t		i;

	memset(r, 0, sizeof(*r));
	shape_of(x, n, &skew, &kurt);
	r->skew_before = skew;
	r->kurt_before = kurt;
	r->method = TREAT_NONE;
	if (!mc_outside(skew, kurt, skew_limit, kurt_limit))
	{
		r->skew_after = skew;
		r->kurt_after = kurt;
		return;
	}
	memcpy(work, x, n * sizeof(double));
	while (r->steps < winmax && mc_outside(skew, kurt, skew_limit, kurt_limit))
	{
		bool		top = skew > 0.0;
		double		extreme = work[0],
					next;
		bool		have_next = false;

		for (i = 1; i < n; i++)
			if (top ? work[i] > extreme : work[i] < extreme)
				extreme = work[i];
		next = extreme;
		for (i = 0; i < n; i++)
		{
			if (work[i] == extreme)
				continue;
			if (!have_next || (top ? work[i] > next : work[i] < next))
				next = work[i];
			have_next = true;
		}
		if (!have_next)
			break;
		for (i = 0; i < n; i++)
			if (work[i] == extreme)
				work[i] = next;
		r->steps++;
		shape_of(work, n, &skew, &kurt);
	}
	for (i = 0; i < n; i++)
		r->cells += (work[i] != x[i]);
	if (!mc_outside(skew, kurt, skew_limit, kurt_limit) || fallback == FALLBACK_NONE)
	{
		memcpy(x, work, n * sizeof(double));
		r->method = mc_outside(skew, kurt, skew_limit, kurt_limit) ?
			TREAT_UNRESOLVED : TREAT_WINSORISED;
	}
	else
	{
		double		lo = x[0],
					hi = x[0],
					a;

		for (i = 1; i < n; i++)
		{
			if (x[i] < lo)
				lo = x[i];
			if (x[i] > hi)
				hi = x[i];
		}
		a = 0.01 * (hi - lo);
		for (i = 0; i < n; i++)
			x[i] = log(x[i] - lo + a);
		r->method = TREAT_LOG_CT;
		shape_of(x, n, &skew, &kurt);
	}
	r->skew_after = skew;
	r->kurt_after = kurt;
}

const char *
mc_treat_name(TreatMethod m)
{
	static const char *const names[] = {"none", "winsorised", "log_ct", "unresolved"};

	return (int) m >= 0 && (int) m < 4 ? names[m] : "none";
}
