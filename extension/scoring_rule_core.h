/*-------------------------------------------------------------------------
 *
 * scoring_rule_core.h
 *	  Parser, printer, validator and scoring kernel of scoring rules, free of
 *	  any server dependency so that fuzzers and tools can link them alone.
 *
 * A rule is parsed from text (or read from the binary wire form) into an
 * unpacked SrSpec, checked by sr_check, and packed by sr_pack into the
 * compact stored form SrRule.  Printing an SrRule gives the canonical text,
 * which parses back to byte-identical packed form.
 *
 * Packed layout (all doubles 8-byte aligned when the value is):
 *	 4 bytes	varlena length word, written by the caller (0 here)
 *	 1 byte		kind (SrKind)
 *	 1 byte		direction (0 higher, 1 lower)
 *	 2 bytes	number of points or grades
 *	 8 bytes	p1 (t, lo, a, m)
 *	 8 bytes	p2 (hi, b, s)
 *	 steps, piecewise: n doubles x, then n doubles f
 *	 grade: n doubles f, then n labels as (1 byte length, bytes)
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCORING_RULE_CORE_H
#define SCORING_RULE_CORE_H

#include <stddef.h>
#include <stdint.h>

#define SR_MAX_POINTS	256		/* points of steps/piecewise, grades */
#define SR_MAX_LABEL	63		/* bytes of a grade label */
#define SR_MAX_NUMBER	100		/* characters of a number in rule text */

typedef enum SrKind
{
	SR_RATIO = 1,
	SR_BOOL,
	SR_TARGET,
	SR_LINEAR,
	SR_STEPS,
	SR_PIECEWISE,
	SR_GRADE,
	SR_BEST,
	SR_MINMAX,
	SR_ZSCORE,
	SR_GOALPOSTS,
	SR_RANK,
	SR_PRANK,
	SR_BORDA
} SrKind;

#define SR_KIND_MAX SR_BORDA

/* How a rule is applied. */
typedef enum SrClass
{
	SR_CLASS_ABSOLUTE,			/* score(rule, value) */
	SR_CLASS_GRADE,				/* score(rule, text) */
	SR_CLASS_STATS,				/* score(rule, value, stats) */
	SR_CLASS_RANK				/* rank_score(rule, value) OVER (...) */
} SrClass;

#define SR_HIGHER	0
#define SR_LOWER	1

/* The stored rule; see the layout above. */
typedef struct SrRule
{
	int32_t		vl_len_;
	uint8_t		kind;
	uint8_t		direction;
	uint16_t	npoints;
	double		p1;
	double		p2;
	double		data[];
} SrRule;

#define SR_HEADER_SIZE	offsetof(SrRule, data)

/* A rule unpacked, as parsed or received, before checking and packing. */
typedef struct SrSpec
{
	int			kind;
	int			direction;
	int			npoints;
	double		p1;
	double		p2;
	double		x[SR_MAX_POINTS];
	double		f[SR_MAX_POINTS];
	int			label_len[SR_MAX_POINTS];
	char		label[SR_MAX_POINTS][SR_MAX_LABEL];
	/* 1-based positions in the text for error reports; 0 when unknown */
	int			pos_p1;
	int			pos_p2;
	int			pos_dir;
	int			pos[SR_MAX_POINTS];
} SrSpec;

/* A problem found by the parser or the checker. */
typedef struct SrError
{
	const char *message;		/* static English sentence, no final dot */
	int			position;		/* 1-based byte position, 0 if unknown */
} SrError;

/* Summary statistics of the values of one indicator in one period. */
typedef struct SrStats
{
	int64_t		n;
	double		min;
	double		max;
	double		mean;
	double		sd;				/* sample standard deviation (n - 1) */
} SrStats;

/*
 * Parse s[0..len) into *spec and check it.  Returns 1, or 0 with *err
 * filled in.  Stops at the first problem.
 */
extern int	sr_parse(const char *s, size_t len, SrSpec *spec, SrError *err);

/*
 * Check a spec (from the parser or from binary input) and normalise it
 * (negative zeros become zeros, unused parameters zero).  Returns 1, or 0
 * with *err filled in.
 */
extern int	sr_check(SrSpec *spec, SrError *err);

/*
 * Decode the binary wire form that follows the version byte (see
 * scoring_rule_recv) into *spec and check it.  Returns 1, or 0 with *err
 * filled in; never reads outside buf[0..len).
 */
extern int	sr_decode(const unsigned char *buf, size_t len, SrSpec *spec,
					  SrError *err);

/* Size of the packed form of a checked spec. */
extern size_t sr_packed_size(const SrSpec *spec);

/* Pack a checked spec into buf (sr_packed_size bytes, 8-byte aligned). */
extern void sr_pack(const SrSpec *spec, SrRule *buf);

/* Unpack a stored rule (assumed valid) into *spec. */
extern void sr_unpack(const SrRule *rule, SrSpec *spec);

/*
 * Check a packed rule of size bytes (8-byte aligned, read from untrusted
 * bytes): the header, the size its points need, and that unpacking,
 * checking and packing it again gives the same bytes (so it is what the
 * parser produces).  Returns NULL, or a static sentence.
 */
extern const char *sr_packed_problem(const SrRule *rule, size_t size);

/* Upper bound of the canonical text's length, without the NUL. */
extern size_t sr_print_bound(const SrRule *rule);

/* Write the canonical text into buf (sr_print_bound + 1 bytes); returns length. */
extern size_t sr_print(const SrRule *rule, char *buf);

/* Lower-case name of a kind. */
extern const char *sr_kind_name(int kind);

/* How a kind is applied. */
extern SrClass sr_kind_class(int kind);

/*
 * Score a finite value.  For SR_CLASS_STATS rules stats must not be NULL;
 * absolute rules ignore it.  Returns 1 with *out set, or 0 for a NULL
 * result (best with a non-positive best value, statistics of no values).
 * Grade and rank rules return 0; the caller rejects them first.
 */
extern int	sr_score(const SrRule *rule, double x, const SrStats *stats,
					 double *out);

/*
 * Score a text value with a grade rule: leading and trailing ASCII white
 * space of the value is ignored, then the label must match exactly (case
 * sensitive).  Returns 1 with *out set, 0 when no grade matches.
 */
extern int	sr_score_grade(const SrRule *rule, const char *s, size_t len,
						   double *out);

/* Label i of a grade rule: pointer and length. */
extern const char *sr_grade_label(const SrRule *rule, int i, int *len);

/* Shortest "%.{15,16,17}g" text of a finite double that reads back equal. */
extern int	sr_format_double(double v, char *buf);

#endif							/* SCORING_RULE_CORE_H */
