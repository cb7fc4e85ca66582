/*-------------------------------------------------------------------------
 *
 * indicator_stats_core.h
 *	  Text and binary input of the indicator_stats type and the serialized
 *	  state of the indicator_stats aggregate, free of any server dependency
 *	  so that fuzzers can link them alone.
 *
 * Every function returns NULL when the input is good, or a static English
 * sentence (capitalised, no final dot) saying what is wrong.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_INDICATOR_STATS_CORE_H
#define DTI_INDICATOR_STATS_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "compensated_sum.h"
#include "scoring_rule_core.h"

/* binary form after the version byte: int8 n, float8 min, max, mean, sd */
#define ISTATS_BINARY_BODY	(8 + 4 * 8)

#define ISTATS_STATE_VERSION 2
/*
 * serialized state: version, int8 n, int4 scale, float8 sum, comp, min,
 * max, mean, m2
 */
#define ISTATS_STATE_SIZE	(1 + 8 + 4 + 6 * 8)

/* the scale of a state that has seen no value other than zeros */
#define ISTATS_NO_SCALE		(-1100)

/*
 * The aggregate's transition state.  The sums are kept scaled: sum, comp
 * and mean hold the values times 2^-scale, m2 the squares times
 * 2^-2*scale, where scale is the binary exponent of the largest |value|
 * seen (frexp's, so every scaled value is below 1 in magnitude).  Nothing
 * can overflow, squares of tiny spreads do not vanish, and since scaling by
 * a power of two is exact, ordinary data give the bits of the unscaled
 * computation.  min and max are kept as they are.
 */
typedef struct IstatsState
{
	int64_t		n;
	int32_t		scale;
	CompensatedSum sum;
	double		min;
	double		max;
	double		mean;			/* Welford running mean, for M2 only */
	double		m2;				/* sum of squared deviations */
} IstatsState;

/* An empty state. */
extern void istats_init(IstatsState *st);

/* Add one finite value. */
extern void istats_add(IstatsState *st, double x);

/* Merge state b into a (Chan et al.'s pairwise update). */
extern void istats_merge(IstatsState *a, const IstatsState *b);

/*
 * The summary of a state with n > 0: the mean from the compensated sum,
 * kept within [min, max] against rounding, and the sample standard
 * deviation.  Returns NULL, or a sentence when the standard deviation is
 * beyond the largest float8 (possible only when values near +-1.8e308
 * have opposite signs), or when a state decoded from bytes gives an
 * inconsistent summary.
 */
extern const char *istats_finish(const IstatsState *st, SrStats *out);

/*
 * Parse the text form "(n=5,min=1,max=9,mean=4.2,sd=2.1)" (NUL-terminated;
 * white space around tokens, keys case-insensitive, in any order, each
 * exactly once) into *out, checked and normalised.
 */
extern const char *istats_parse(const char *str, SrStats *out);

/* Check a summary for consistency. */
extern const char *istats_problem(const SrStats *s);

/* Turn negative zeros into zeros, so that output reads back identically. */
extern void istats_normalise(SrStats *s);

/* Decode and check the binary form that follows the version byte. */
extern const char *istats_decode(const unsigned char *buf, size_t len,
								 SrStats *out);

/* Encode a state into ISTATS_STATE_SIZE bytes. */
extern void istats_state_encode(const IstatsState *st, unsigned char *buf);

/* Decode and check a serialized state. */
extern const char *istats_state_decode(const unsigned char *buf, size_t len,
									   IstatsState *st);

#endif							/* DTI_INDICATOR_STATS_CORE_H */
