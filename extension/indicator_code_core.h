/*-------------------------------------------------------------------------
 *
 * indicator_code_core.h
 *	  Parsing and ordering of hierarchical indicator codes, free of any
 *	  server dependency so that fuzzers and tools can link it alone.
 *
 * A code is a sequence of labels separated by '.'; a label is 1 to 63
 * characters of ASCII letters, digits and '_'; a code has at most 32 labels.
 *
 *-------------------------------------------------------------------------
 */
#ifndef INDICATOR_CODE_CORE_H
#define INDICATOR_CODE_CORE_H

#include <stddef.h>
#include <stdint.h>

#define ICODE_MAX_LEVELS	32
#define ICODE_MAX_LABEL		63
#define ICODE_MAX_LEN		(ICODE_MAX_LEVELS * (ICODE_MAX_LABEL + 1) - 1)

typedef enum IcodeProblem
{
	ICODE_OK = 0,
	ICODE_EMPTY,				/* the whole input is empty */
	ICODE_EMPTY_LABEL,			/* two dots in a row, or a leading or
								 * trailing dot */
	ICODE_BAD_CHAR,				/* a byte outside [A-Za-z0-9_.] */
	ICODE_LABEL_TOO_LONG,		/* a label of more than 63 characters */
	ICODE_TOO_DEEP				/* more than 32 labels */
} IcodeProblem;

typedef struct IcodeError
{
	IcodeProblem problem;
	size_t		position;		/* 1-based byte position of the problem */
	int			label;			/* 1-based number of the label concerned */
} IcodeError;

/*
 * Check that s[0..len) is a valid code.  Returns the number of labels, or 0
 * with *err filled in.  Stops at the first problem, so that a huge input
 * costs no more than its first few labels.
 */
extern int	icode_validate(const char *s, size_t len, IcodeError *err);

/* One-line English description of a problem, for error details. */
extern const char *icode_problem_text(IcodeProblem problem);

/*
 * Natural order of two valid codes: negative, zero or positive.  Zero only
 * when the two are byte-for-byte equal.
 */
extern int	icode_compare(const char *a, size_t alen, const char *b, size_t blen);

/* Number of labels of a valid code. */
extern int	icode_nlevels(const char *s, size_t len);

/*
 * Byte offset and length of label n (0-based) of a valid code; returns 0
 * when n is out of range.
 */
extern int	icode_label_span(const char *s, size_t len, int n,
							 size_t *start, size_t *label_len);

/*
 * Character that, appended to the last label of a code, gives the smallest
 * label sorting after it: every descendant of the code sorts before the
 * code so extended, and every other code that sorts after the code sorts
 * after it too.  Used to turn "x <@ p" into a btree range.
 */
extern char icode_successor_char(const char *s, size_t len);

/*
 * An abbreviated key for sorting: a < b in natural order implies
 * icode_abbrev(a) <= icode_abbrev(b) as unsigned integers, and equal codes
 * give equal keys.  Ties need the full comparison.
 */
extern uint64_t icode_abbrev(const char *s, size_t len);

#endif							/* INDICATOR_CODE_CORE_H */
