/*-------------------------------------------------------------------------
 *
 * indicator_code_core.c
 *	  Validation and natural ordering of indicator codes, with no server
 *	  dependency (see indicator_code_core.h).
 *
 * Natural order: each label is split into runs of digits and runs of other
 * characters.  Digit runs compare by numeric value (leading zeros ignored),
 * and on equal value the shorter run first ("1" < "01"); other runs compare
 * byte-wise, a prefix first; a digit run sorts before a non-digit run; a
 * label that is a prefix of another sorts first.  Codes compare label by
 * label, and a code sorts before its descendants.  Two codes compare equal
 * only when their bytes are equal, so hashing the bytes is consistent.
 *
 *-------------------------------------------------------------------------
 */
#include "indicator_code_core.h"

#include <string.h>

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_label_char(char c)
{
	return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		c == '_';
}

int
icode_validate(const char *s, size_t len, IcodeError *err)
{
	size_t		i;
	size_t		label_start = 0;
	int			nlabels = 1;

	err->problem = ICODE_OK;
	err->position = 0;
	err->label = 0;

	if (len == 0)
	{
		err->problem = ICODE_EMPTY;
		err->position = 1;
		err->label = 1;
		return 0;
	}

	for (i = 0; i <= len; i++)
	{
		if (i == len || s[i] == '.')
		{
			if (i == label_start)
			{
				err->problem = ICODE_EMPTY_LABEL;
				err->position = i + 1;
				err->label = nlabels;
				return 0;
			}
			if (i == len)
				break;
			if (nlabels == ICODE_MAX_LEVELS)
			{
				err->problem = ICODE_TOO_DEEP;
				err->position = i + 1;
				err->label = nlabels + 1;
				return 0;
			}
			nlabels++;
			label_start = i + 1;
		}
		else if (!is_label_char(s[i]))
		{
			err->problem = ICODE_BAD_CHAR;
			err->position = i + 1;
			err->label = nlabels;
			return 0;
		}
		else if (i - label_start >= ICODE_MAX_LABEL)
		{
			err->problem = ICODE_LABEL_TOO_LONG;
			err->position = i + 1;
			err->label = nlabels;
			return 0;
		}
	}
	return nlabels;
}

const char *
icode_problem_text(IcodeProblem problem)
{
	switch (problem)
	{
		case ICODE_OK:
			return "no problem";
		case ICODE_EMPTY:
			return "the code is empty";
		case ICODE_EMPTY_LABEL:
			return "empty label";
		case ICODE_BAD_CHAR:
			return "invalid character";
		case ICODE_LABEL_TOO_LONG:
			return "label longer than 63 characters";
		case ICODE_TOO_DEEP:
			return "more than 32 labels";
	}
	return "unknown problem";
}

/* Length of the run starting at s[0] (s[0..len) non-empty). */
static size_t
run_length(const char *s, size_t len)
{
	size_t		n = 1;
	int			digits = is_digit(s[0]);

	while (n < len && s[n] != '.' && is_digit(s[n]) == digits)
		n++;
	return n;
}

static int
compare_digit_runs(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t		za = 0,
				zb = 0;
	int			c;

	while (za < alen - 1 && a[za] == '0')
		za++;
	while (zb < blen - 1 && b[zb] == '0')
		zb++;
	/* more significant digits means a larger number */
	if (alen - za != blen - zb)
		return (alen - za < blen - zb) ? -1 : 1;
	c = memcmp(a + za, b + zb, alen - za);
	if (c != 0)
		return c < 0 ? -1 : 1;
	/* same value: fewer leading zeros first */
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return 0;
}

static int
compare_other_runs(const char *a, size_t alen, const char *b, size_t blen)
{
	int			c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c < 0 ? -1 : 1;
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return 0;
}

/* Compare the labels starting at a and b; *an, *bn get their lengths. */
static int
compare_labels(const char *a, size_t alen, const char *b, size_t blen,
			   size_t *an, size_t *bn)
{
	size_t		i = 0,
				j = 0;

	for (;;)
	{
		int			aend = (i >= alen || a[i] == '.');
		int			bend = (j >= blen || b[j] == '.');
		size_t		ra,
					rb;
		int			c;

		if (aend || bend)
		{
			*an = i;
			*bn = j;
			if (aend && bend)
				return 0;
			/* a label that is a prefix of the other sorts first */
			return aend ? -1 : 1;
		}
		ra = run_length(a + i, alen - i);
		rb = run_length(b + j, blen - j);
		if (is_digit(a[i]) != is_digit(b[j]))
			return is_digit(a[i]) ? -1 : 1;
		if (is_digit(a[i]))
			c = compare_digit_runs(a + i, ra, b + j, rb);
		else
			c = compare_other_runs(a + i, ra, b + j, rb);
		if (c != 0)
			return c;
		i += ra;
		j += rb;
	}
}

int
icode_compare(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t		i = 0,
				j = 0;

	/* equal bytes are the only way to compare equal: settle that first */
	if (alen == blen && memcmp(a, b, alen) == 0)
		return 0;
	for (;;)
	{
		size_t		an,
					bn;
		int			c = compare_labels(a + i, alen - i, b + j, blen - j, &an, &bn);

		if (c != 0)
			return c;
		i += an;
		j += bn;
		if (i >= alen || j >= blen)
		{
			if (i >= alen && j >= blen)
				return 0;
			/* a parent sorts before its descendants */
			return i >= alen ? -1 : 1;
		}
		/* both are at a dot */
		i++;
		j++;
	}
}

int
icode_nlevels(const char *s, size_t len)
{
	int			n = 1;
	size_t		i;

	for (i = 0; i < len; i++)
		if (s[i] == '.')
			n++;
	return n;
}

int
icode_label_span(const char *s, size_t len, int n, size_t *start,
				 size_t *label_len)
{
	size_t		i = 0;
	int			k = 0;

	if (n < 0)
		return 0;
	while (k < n)
	{
		while (i < len && s[i] != '.')
			i++;
		if (i >= len)
			return 0;
		i++;
		k++;
	}
	*start = i;
	while (i < len && s[i] != '.')
		i++;
	*label_len = i - *start;
	return 1;
}

char
icode_successor_char(const char *s, size_t len)
{
	/*
	 * After a non-digit the smallest continuation is a digit run "0", which
	 * sorts before any longer non-digit run.  After a digit, appending a
	 * digit would change the run's value, so the smallest continuation is
	 * the smallest non-digit run, "A".
	 */
	return is_digit(s[len - 1]) ? 'A' : '0';
}

/*
 * The abbreviated key is the first 8 bytes, read big-endian, of a byte
 * string whose byte-wise order (a prefix first) is the natural order:
 *
 *   label end      0x00 (after every label, the last one included)
 *   digit run      0x01 + the number of significant digits (1..63), the
 *                  significant digits as packed decimal (two per byte, the
 *                  last nibble 0 when odd), the number of leading zeros
 *   other run      0x80, then its bytes (letters and '_', all >= 0x41)
 *
 * Digit runs sort before other runs (0x02..0x40 < 0x80); a number with fewer
 * significant digits is smaller, then the digits decide, then fewer leading
 * zeros first, as compare_digit_runs() does; an other run that is a prefix
 * of another is followed by a digit run or a label end, both below any of
 * its bytes; a label or a code that ends sorts before one that goes on.
 * Truncating such strings to 8 bytes and padding with zeros keeps "a < b
 * implies key(a) <= key(b)".
 */
uint64_t
icode_abbrev(const char *s, size_t len)
{
	uint8_t		key[8] = {0};
	int			n = 0;
	size_t		i = 0;
	uint64_t	k = 0;
	int			j;

#define PUT(b) do { key[n++] = (uint8_t) (b); if (n == 8) goto full; } while (0)
	while (i < len)
	{
		size_t		run;

		if (s[i] == '.')
		{
			PUT(0x00);
			i++;
			continue;
		}
		run = run_length(s + i, len - i);
		if (is_digit(s[i]))
		{
			size_t		z = 0;
			size_t		sig;
			size_t		d;

			while (z < run - 1 && s[i + z] == '0')
				z++;
			sig = run - z;
			PUT(0x01 + sig);
			for (d = 0; d < sig; d += 2)
			{
				int			hi = s[i + z + d] - '0';
				int			lo = (d + 1 < sig) ? s[i + z + d + 1] - '0' : 0;

				PUT((hi << 4) | lo);
			}
			PUT(z);
		}
		else
		{
			size_t		c;

			PUT(0x80);
			for (c = 0; c < run; c++)
				PUT(s[i + c]);
		}
		i += run;
	}
	PUT(0x00);
#undef PUT
full:
	for (j = 0; j < 8; j++)
		k = (k << 8) | key[j];
	return k;
}
