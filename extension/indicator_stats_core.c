/*-------------------------------------------------------------------------
 *
 * indicator_stats_core.c
 *	  Parsing and decoding of indicator_stats values and aggregate states,
 *	  with no server dependency (see indicator_stats_core.h).
 *
 *-------------------------------------------------------------------------
 */
#include "indicator_stats_core.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wire_core.h"

const char *
istats_problem(const SrStats *s)
{
	if (s->n < 0)
		return "The count n is negative";
	if (!isfinite(s->min) || !isfinite(s->max) || !isfinite(s->mean) ||
		!isfinite(s->sd))
		return "Every field must be a finite number";
	if (s->n == 0)
	{
		if (s->min != 0 || s->max != 0 || s->mean != 0 || s->sd != 0)
			return "A summary of no values has every field 0";
		return NULL;
	}
	if (s->min > s->max)
		return "The minimum is greater than the maximum";
	if (s->mean < s->min || s->mean > s->max)
		return "The mean is outside [min, max]";
	if (s->sd < 0)
		return "The standard deviation sd is negative";
	if (s->n == 1 && (s->sd != 0 || s->min != s->max))
		return "A summary of one value has min = max and sd 0";
	return NULL;
}

void
istats_normalise(SrStats *s)
{
	if (s->min == 0)
		s->min = 0;
	if (s->max == 0)
		s->max = 0;
	if (s->mean == 0)
		s->mean = 0;
	if (s->sd == 0)
		s->sd = 0;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Does the key s[0..len) (letters only) name the field, ignoring case? */
static int
key_is(const char *s, size_t len, const char *field)
{
	size_t		i;

	if (strlen(field) != len)
		return 0;
	for (i = 0; i < len; i++)
		if ((s[i] | 0x20) != field[i])
			return 0;
	return 1;
}

const char *
istats_parse(const char *str, SrStats *s)
{
	static const char *const keys[5] = {"n", "min", "max", "mean", "sd"};
	int			seen[5] = {0, 0, 0, 0, 0};
	const char *p = str;
	int			k;

	memset(s, 0, sizeof(SrStats));
	while (is_space(*p))
		p++;
	if (*p != '(')
		return "Expected \"(\"";
	p++;
	for (;;)
	{
		const char *key;
		char	   *end;
		int			which = -1;

		while (is_space(*p))
			p++;
		key = p;
		while (is_letter(*p))
			p++;
		for (k = 0; k < 5; k++)
			if (key_is(key, (size_t) (p - key), keys[k]))
				which = k;
		if (which < 0)
			return "Expected one of n, min, max, mean, sd";
		if (seen[which])
			return "A field is given twice";
		seen[which] = 1;
		while (is_space(*p))
			p++;
		if (*p != '=')
			return "Expected \"=\" after a field name";
		p++;
		while (is_space(*p))
			p++;
		errno = 0;
		if (which == 0)
		{
			long long	v = strtoll(p, &end, 10);

			if (end == p || errno != 0)
				return "The count n must be an integer";
			s->n = v;
		}
		else
		{
			double		v = strtod(p, &end);
			double	   *field = which == 1 ? &s->min : which == 2 ? &s->max :
				which == 3 ? &s->mean : &s->sd;

			/*
			 * ERANGE also flags an underflow to a subnormal number, which
			 * output prints and input must read back; an overflow is
			 * infinite.
			 */
			if (end == p || !isfinite(v))
				return "Every field must be a finite number";
			*field = v;
		}
		p = end;
		while (is_space(*p))
			p++;
		if (*p == ',')
		{
			p++;
			continue;
		}
		if (*p == ')')
		{
			p++;
			while (is_space(*p))
				p++;
			if (*p != '\0')
				return "Unexpected text after \")\"";
			break;
		}
		return "Expected \",\" or \")\"";
	}
	for (k = 0; k < 5; k++)
		if (!seen[k])
			return "Every field of n, min, max, mean and sd is needed";
	if (istats_problem(s) != NULL)
		return istats_problem(s);
	istats_normalise(s);
	return NULL;
}

const char *
istats_decode(const unsigned char *buf, size_t len, SrStats *s)
{
	WireReader	r;
	const char *problem;

	wire_init(&r, buf, len);
	s->n = wire_int64(&r);
	s->min = wire_float8(&r);
	s->max = wire_float8(&r);
	s->mean = wire_float8(&r);
	s->sd = wire_float8(&r);
	if (!r.ok)
		return "The value is truncated";
	if (wire_left(&r) != 0)
		return "Bytes follow the value";
	problem = istats_problem(s);
	if (problem != NULL)
		return problem;
	istats_normalise(s);
	return NULL;
}

void
istats_init(IstatsState *st)
{
	memset(st, 0, sizeof(IstatsState));
	st->scale = ISTATS_NO_SCALE;
}

/* Rescale a state's sums from its scale to a larger one, exactly. */
static void
rescale(IstatsState *st, int32_t scale)
{
	int			d = st->scale - scale;

	st->sum.sum = dti_scale_by(st->sum.sum, d);
	st->sum.comp = dti_scale_by(st->sum.comp, d);
	st->mean = dti_scale_by(st->mean, d);
	st->m2 = dti_scale_by(dti_scale_by(st->m2, d), d);
	st->scale = scale;
}

void
istats_add(IstatsState *st, double x)
{
	double		xs,
				delta;

	if (st->n == 0)
		st->min = st->max = x;
	else
	{
		if (x < st->min)
			st->min = x;
		if (x > st->max)
			st->max = x;
	}
	if (x != 0 && dti_exponent(x) > st->scale)
		rescale(st, dti_exponent(x));
	xs = dti_scale_by(x, -st->scale);
	st->n++;
	csum_add(&st->sum, xs);
	delta = xs - st->mean;
	st->mean += delta / (double) st->n;
	st->m2 += delta * (xs - st->mean);
}

void
istats_merge(IstatsState *a, const IstatsState *b)
{
	double		n,
				delta,
				b_mean,
				b_m2;
	int			d;

	if (b->n == 0)
		return;
	if (a->n == 0)
	{
		*a = *b;
		return;
	}
	if (b->scale > a->scale)
		rescale(a, b->scale);
	d = b->scale - a->scale;
	b_mean = dti_scale_by(b->mean, d);
	b_m2 = dti_scale_by(dti_scale_by(b->m2, d), d);
	n = (double) a->n + (double) b->n;
	delta = b_mean - a->mean;
	a->m2 += b_m2 + delta * delta * ((double) a->n * (double) b->n / n);
	a->mean += delta * ((double) b->n / n);
	a->n += b->n;
	csum_add(&a->sum, dti_scale_by(b->sum.sum, d));
	csum_add(&a->sum, dti_scale_by(b->sum.comp, d));
	if (b->min < a->min)
		a->min = b->min;
	if (b->max > a->max)
		a->max = b->max;
}

const char *
istats_finish(const IstatsState *st, SrStats *s)
{
	double		mean = dti_scale_by(csum_total(&st->sum) / (double) st->n, st->scale);

	s->n = st->n;
	s->min = st->min;
	s->max = st->max;
	if (mean < st->min)
		mean = st->min;
	if (mean > st->max)
		mean = st->max;
	s->mean = mean;
	s->sd = st->n > 1 ?
		dti_scale_by(sqrt(fmax(st->m2, 0.0) / (double) (st->n - 1)), st->scale) : 0.0;
	if (!isfinite(s->sd))
		return "The standard deviation is beyond the range of float8";
	istats_normalise(s);
	/* only a state decoded from bytes could give an inconsistent summary */
	return istats_problem(s);
}

void
istats_state_encode(const IstatsState *st, unsigned char *buf)
{
	unsigned char *p = buf;

	*p++ = ISTATS_STATE_VERSION;
	p = wire_put_uint(p, (uint64_t) st->n, 8);
	p = wire_put_uint(p, (uint32_t) st->scale, 4);
	p = wire_put_float8(p, st->sum.sum);
	p = wire_put_float8(p, st->sum.comp);
	p = wire_put_float8(p, st->min);
	p = wire_put_float8(p, st->max);
	p = wire_put_float8(p, st->mean);
	(void) wire_put_float8(p, st->m2);
}

/*
 * A state's count is never negative, its scale is a binary exponent of a
 * float8 (or ISTATS_NO_SCALE) at least that of its extremes, its scaled
 * sums are finite, and its extremes are finite values, the minimum not
 * above the maximum, both 0 while nothing has been counted.
 */
const char *
istats_state_decode(const unsigned char *buf, size_t len, IstatsState *st)
{
	WireReader	r;

	if (len != ISTATS_STATE_SIZE)
		return "The state has the wrong size";
	wire_init(&r, buf, len);
	if (wire_byte(&r) != ISTATS_STATE_VERSION)
		return "Unknown state version";
	st->n = wire_int64(&r);
	st->scale = wire_int32(&r);
	st->sum.sum = wire_float8(&r);
	st->sum.comp = wire_float8(&r);
	st->min = wire_float8(&r);
	st->max = wire_float8(&r);
	st->mean = wire_float8(&r);
	st->m2 = wire_float8(&r);
	if (st->n < 0 || st->n > ((int64_t) 1 << 53))
		return "The count is negative or beyond 2^53";
	if (!isfinite(st->min) || !isfinite(st->max) || st->min > st->max)
		return "The minimum and maximum are not finite numbers in order";
	if (st->n == 0 && (st->min != 0 || st->max != 0))
		return "A state of no values has minimum and maximum 0";
	if (st->scale != ISTATS_NO_SCALE && (st->scale < -1073 || st->scale > 1024))
		return "The scale is not the exponent of a float8";
	if (!isfinite(st->sum.sum) || !isfinite(st->sum.comp) ||
		!isfinite(st->mean) || !isfinite(st->m2))
		return "The scaled sums are not finite";
	if ((st->min != 0 && dti_exponent(st->min) > st->scale) ||
		(st->max != 0 && dti_exponent(st->max) > st->scale))
		return "The scale is below the exponent of an extreme";
	if (st->n > 0)
	{
		/*
		 * the summary it finishes to must be consistent (a state of one
		 * value with min < max is not); an sd beyond float8 is not a
		 * problem of the state (values that span more than float8 on both
		 * sides of their mean), but of its final function (22003)
		 */
		SrStats		s;
		const char *problem = istats_finish(st, &s);

		if (problem != NULL && isfinite(s.sd))
			return problem;
	}
	return NULL;
}
