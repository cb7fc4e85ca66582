/*-------------------------------------------------------------------------
 *
 * scoring_rule_core.c
 *	  Parsing, checking, packing, printing and applying scoring rules, with
 *	  no server dependency (see scoring_rule_core.h).
 *
 * Grammar (white space allowed between tokens, keywords case-insensitive):
 *	 rule	  := kind [ "(" arg { "," arg } ")" ]
 *	 arg	  := number | number ":" number | label ":" number | direction
 *	 label	  := [A-Za-z0-9_]+ | '"' { any UTF-8 except '"' | '""' } '"'
 *	 number	  := [+-] ( digits [ "." [digits] ] | "." digits ) [ (e|E) [+-] digits ]
 *	 direction := "lower" | "higher"
 * Which arguments a kind takes is checked per kind below.
 *
 *-------------------------------------------------------------------------
 */
#include "scoring_rule_core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire_core.h"

static const char *const kind_names[SR_KIND_MAX + 1] = {
	NULL, "ratio", "bool", "target", "linear", "steps", "piecewise", "grade",
	"best", "minmax", "zscore", "goalposts", "rank", "prank", "borda"
};

/* Lower-case name of a kind, as parsed and printed. */
const char *
sr_kind_name(int kind)
{
	if (kind < 1 || kind > SR_KIND_MAX)
		return "?";
	return kind_names[kind];
}

/* Which function applies a kind: score() with or without statistics, or rank_score(). */
SrClass
sr_kind_class(int kind)
{
	switch (kind)
	{
		case SR_GRADE:
			return SR_CLASS_GRADE;
		case SR_BEST:
		case SR_MINMAX:
		case SR_ZSCORE:
			return SR_CLASS_STATS;
		case SR_RANK:
		case SR_PRANK:
		case SR_BORDA:
			return SR_CLASS_RANK;
		default:
			return SR_CLASS_ABSOLUTE;
	}
}

/* Kinds that accept a trailing lower/higher argument. */
static int
kind_has_direction(int kind)
{
	return kind == SR_TARGET || kind >= SR_BEST;
}

/* ---------- lexical helpers ---------- */

typedef struct Lexer
{
	const char *s;
	size_t		len;
	size_t		i;
	SrError    *err;
} Lexer;

/* ASCII white space, as skipped between tokens and trimmed from grades. */
static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
		c == '\v';
}

/* ASCII digit. */
static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ASCII letter. */
static int
is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* A character of a bare grade label or a keyword. */
static int
is_label_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '_';
}

/* Advance the cursor past white space. */
static void
skip_space(Lexer *lx)
{
	while (lx->i < lx->len && is_space(lx->s[lx->i]))
		lx->i++;
}

/* Record a problem at 0-based byte pos0; returns 0 for the caller to return. */
static int
fail(Lexer *lx, const char *message, size_t pos0)
{
	lx->err->message = message;
	lx->err->position = (int) pos0 + 1;
	return 0;
}

/* The byte at the cursor, or -1 at the end. */
static int
peek(Lexer *lx)
{
	return lx->i < lx->len ? (unsigned char) lx->s[lx->i] : -1;
}

/* Case-insensitive match of an identifier against a lower-case word. */
static int
word_is(const char *s, size_t n, const char *word)
{
	size_t		i;

	if (strlen(word) != n)
		return 0;
	for (i = 0; i < n; i++)
	{
		char		c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		if (c != word[i])
			return 0;
	}
	return 1;
}

/*
 * Read a number at the cursor.  Only plain decimal notation is accepted
 * (no hex, no inf or nan); a number too large for a double is an error.
 */
static int
read_number(Lexer *lx, double *out)
{
	size_t		start = lx->i;
	size_t		i = lx->i;
	int			digits = 0;
	char		buf[SR_MAX_NUMBER + 1];
	double		v;

	if (i < lx->len && (lx->s[i] == '+' || lx->s[i] == '-'))
		i++;
	while (i < lx->len && is_digit(lx->s[i]))
		i++, digits++;
	if (i < lx->len && lx->s[i] == '.')
	{
		i++;
		while (i < lx->len && is_digit(lx->s[i]))
			i++, digits++;
	}
	if (digits == 0)
		return fail(lx, "expected a number", start);
	if (i < lx->len && (lx->s[i] == 'e' || lx->s[i] == 'E'))
	{
		size_t		e = i + 1;

		if (e < lx->len && (lx->s[e] == '+' || lx->s[e] == '-'))
			e++;
		if (e >= lx->len || !is_digit(lx->s[e]))
			return fail(lx, "exponent of a number has no digits", i);
		while (e < lx->len && is_digit(lx->s[e]))
			e++;
		i = e;
	}
	if (i - start > SR_MAX_NUMBER)
		return fail(lx, "number longer than 100 characters", start);
	memcpy(buf, lx->s + start, i - start);
	buf[i - start] = '\0';
	v = strtod(buf, NULL);
	if (!isfinite(v))
		return fail(lx, "number out of range for double precision", start);
	if (v == 0.0)
		v = 0.0;				/* no negative zero */
	*out = v;
	lx->i = i;
	return 1;
}

/* Length of a run of identifier characters at the cursor. */
static size_t
word_length(Lexer *lx)
{
	size_t		n = 0;

	while (lx->i + n < lx->len && is_label_char(lx->s[lx->i + n]))
		n++;
	return n;
}

/*
 * If a direction keyword is at the cursor, consume it and return 1 with
 * *dir set; return 0 and consume nothing otherwise.
 */
static int
read_direction(Lexer *lx, int *dir)
{
	size_t		n = word_length(lx);

	if (n > 0 && is_alpha(lx->s[lx->i]))
	{
		if (word_is(lx->s + lx->i, n, "lower"))
		{
			*dir = SR_LOWER;
			lx->i += n;
			return 1;
		}
		if (word_is(lx->s + lx->i, n, "higher"))
		{
			*dir = SR_HIGHER;
			lx->i += n;
			return 1;
		}
	}
	return 0;
}

/* Length of a valid UTF-8 sequence starting at s[0..len), or 0. */
static int
utf8_sequence_length(const unsigned char *s, size_t len)
{
	int			n,
				k;
	uint32_t	cp;

	if (s[0] < 0x80)
		return 1;
	else if ((s[0] & 0xE0) == 0xC0)
		n = 2, cp = s[0] & 0x1F;
	else if ((s[0] & 0xF0) == 0xE0)
		n = 3, cp = s[0] & 0x0F;
	else if ((s[0] & 0xF8) == 0xF0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if ((size_t) n > len)
		return 0;
	for (k = 1; k < n; k++)
	{
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3F);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		(n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		(cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* Read a bare or double-quoted grade label into spec->label[i]. */
static int
read_label(Lexer *lx, SrSpec *spec, int idx)
{
	size_t		start = lx->i;
	int			n = 0;

	if (peek(lx) == '"')
	{
		lx->i++;
		for (;;)
		{
			int			c = peek(lx);
			int			clen;

			if (c < 0)
				return fail(lx, "quoted grade label is not closed", start);
			if (c == '"')
			{
				if (lx->i + 1 < lx->len && lx->s[lx->i + 1] == '"')
					lx->i++;	/* "" stands for one quote */
				else
				{
					lx->i++;
					break;
				}
			}
			if (c == 0)
				return fail(lx, "grade label contains a NUL byte", lx->i);
			clen = utf8_sequence_length((const unsigned char *) lx->s + lx->i,
										lx->len - lx->i);
			if (clen == 0)
				return fail(lx, "grade label is not valid UTF-8", lx->i);
			if (n + clen > SR_MAX_LABEL)
				return fail(lx, "grade label longer than 63 bytes", start);
			memcpy(spec->label[idx] + n, lx->s + lx->i, clen);
			n += clen;
			lx->i += clen;
		}
	}
	else
	{
		size_t		w = word_length(lx);

		if (w == 0)
			return fail(lx, "expected a grade label (letters, digits and _, or a double-quoted string)", start);
		if (w > SR_MAX_LABEL)
			return fail(lx, "grade label longer than 63 bytes", start);
		memcpy(spec->label[idx], lx->s + lx->i, w);
		n = (int) w;
		lx->i += w;
	}
	spec->label_len[idx] = n;
	return 1;
}

/*
 * Parse the parenthesised arguments of a rule.  Numbers and pairs go to
 * p1/p2 or to the points; a direction keyword must come last.
 */
static int
parse_arguments(Lexer *lx, SrSpec *spec)
{
	int			kind = spec->kind;
	int			pairs = (kind == SR_STEPS || kind == SR_PIECEWISE ||
						 kind == SR_GRADE);
	int			nscalars = 0;
	size_t		open = lx->i;

	lx->i++;					/* the "(" */
	skip_space(lx);
	if (peek(lx) == ')')
		return fail(lx, "empty argument list; leave out the parentheses or give arguments", open);

	for (;;)
	{
		size_t		argpos;

		skip_space(lx);
		argpos = lx->i;
		if (pairs)
		{
			int			k = spec->npoints;
			double		f;

			if (k >= SR_MAX_POINTS)
				return fail(lx, kind == SR_GRADE ? "more than 256 grades" : "more than 256 points", argpos);
			if (kind == SR_GRADE)
			{
				if (!read_label(lx, spec, k))
					return 0;
			}
			else if (!read_number(lx, &spec->x[k]))
				return 0;
			skip_space(lx);
			if (peek(lx) != ':')
				return fail(lx, kind == SR_GRADE ? "expected \":\" between a grade and its fraction" : "expected \":\" between a threshold and its fraction", lx->i);
			lx->i++;
			skip_space(lx);
			if (!read_number(lx, &f))
				return 0;
			spec->f[k] = f;
			spec->pos[k] = (int) argpos + 1;
			spec->npoints++;
		}
		else
		{
			int			dir;

			if (read_direction(lx, &dir))
			{
				if (!kind_has_direction(kind))
					return fail(lx, "this rule takes no direction; write the bounds the other way round for a decreasing rule", argpos);
				spec->direction = dir;
				spec->pos_dir = (int) argpos + 1;
				skip_space(lx);
				if (peek(lx) != ')')
					return fail(lx, peek(lx) == ',' ? "the direction must be the last argument" : "expected \")\"", lx->i);
				lx->i++;
				break;
			}
			if (is_alpha((char) peek(lx)))
			{
				size_t		w = word_length(lx);

				if (word_is(lx->s + lx->i, w, "nan") ||
					word_is(lx->s + lx->i, w, "inf") ||
					word_is(lx->s + lx->i, w, "infinity"))
					return fail(lx, "NaN and infinity are not allowed; parameters are finite numbers", argpos);
				return fail(lx, "unknown keyword; the only keywords allowed as arguments are lower and higher", argpos);
			}
			if (nscalars >= 2)
				return fail(lx, "too many arguments", argpos);
			if (!read_number(lx, nscalars == 0 ? &spec->p1 : &spec->p2))
				return 0;
			if (nscalars == 0)
				spec->pos_p1 = (int) argpos + 1;
			else
				spec->pos_p2 = (int) argpos + 1;
			nscalars++;
		}
		skip_space(lx);
		if (peek(lx) == ',')
		{
			lx->i++;
			continue;
		}
		if (peek(lx) == ')')
		{
			lx->i++;
			break;
		}
		if (peek(lx) < 0)
			return fail(lx, "missing \")\" at the end", lx->i);
		return fail(lx, "expected \",\" or \")\"", lx->i);
	}

	/* arity per kind */
	switch (kind)
	{
		case SR_TARGET:
			if (nscalars != 1)
				return fail(lx, "target takes one number, the target, and an optional direction", open);
			break;
		case SR_LINEAR:
			if (nscalars != 2)
				return fail(lx, "linear takes two numbers, lo and hi", open);
			break;
		case SR_GOALPOSTS:
			if (nscalars != 2)
				return fail(lx, "goalposts takes two numbers, lo and hi, and an optional direction", open);
			break;
		case SR_MINMAX:
			if (nscalars == 1)
				return fail(lx, "minmax takes no numbers or two, the target range a and b", open);
			if (nscalars == 0)
				spec->p2 = 1.0;
			break;
		case SR_ZSCORE:
			if (nscalars == 1)
				return fail(lx, "zscore takes no numbers or two, the mean m and the spread s", open);
			if (nscalars == 0)
				spec->p2 = 1.0;
			break;
		case SR_BEST:
		case SR_RANK:
		case SR_PRANK:
		case SR_BORDA:
			if (nscalars != 0)
				return fail(lx, "this rule takes only an optional direction (lower or higher)", open);
			break;
		default:
			break;
	}
	return 1;
}

/* Parse a rule: kind, optional arguments, nothing after; then check it. */
int
sr_parse(const char *s, size_t len, SrSpec *spec, SrError *err)
{
	Lexer		lx;
	size_t		start,
				n;
	int			kind;

	lx.s = s;
	lx.len = len;
	lx.i = 0;
	lx.err = err;
	err->message = NULL;
	err->position = 0;
	memset(spec, 0, offsetof(SrSpec, x));
	spec->pos_p1 = spec->pos_p2 = spec->pos_dir = 0;

	skip_space(&lx);
	start = lx.i;
	if (start >= len)
		return fail(&lx, "the rule is empty", start);
	n = word_length(&lx);
	kind = 0;
	if (n > 0)
	{
		int			k;

		for (k = 1; k <= SR_KIND_MAX; k++)
			if (word_is(s + start, n, kind_names[k]))
				kind = k;
	}
	if (kind == 0)
		return fail(&lx, "unknown rule kind; expected ratio, bool, target, linear, steps, piecewise, grade, best, minmax, zscore, goalposts, rank, prank or borda", start);
	spec->kind = kind;
	spec->direction = SR_HIGHER;
	if (kind == SR_MINMAX || kind == SR_ZSCORE)
		spec->p2 = 1.0;
	lx.i += n;
	skip_space(&lx);

	if (peek(&lx) == '(')
	{
		if (kind == SR_RATIO || kind == SR_BOOL)
			return fail(&lx, "this rule takes no arguments", lx.i);
		if (!parse_arguments(&lx, spec))
			return 0;
	}
	else
	{
		switch (kind)
		{
			case SR_TARGET:
				return fail(&lx, "target needs its target value, as in target(80)", lx.i);
			case SR_LINEAR:
				return fail(&lx, "linear needs lo and hi, as in linear(0, 100)", lx.i);
			case SR_GOALPOSTS:
				return fail(&lx, "goalposts needs lo and hi, as in goalposts(0, 100)", lx.i);
			case SR_STEPS:
			case SR_PIECEWISE:
				return fail(&lx, "this rule needs points, as in steps(50:0.5, 80:1)", lx.i);
			case SR_GRADE:
				return fail(&lx, "grade needs its grades, as in grade(A:1, B:0.5)", lx.i);
			default:
				break;
		}
	}
	skip_space(&lx);
	if (lx.i < len)
		return fail(&lx, "unexpected text after the rule", lx.i);
	return sr_check(spec, err);
}

/* ---------- checking ---------- */

/* Record a problem found by the checker; returns 0. */
static int
check_fail(SrError *err, const char *message, int position)
{
	err->message = message;
	err->position = position;
	return 0;
}

/* A fraction of the maximum points lies in [0, 1]. */
static int
check_fraction(double f)
{
	return f >= 0.0 && f <= 1.0;
}

/* Leading or trailing ASCII white space would make a label unmatchable. */
static int
label_is_trimmed(const char *s, int len)
{
	return len > 0 && !is_space(s[0]) && !is_space(s[len - 1]);
}

/* Check every constraint of a rule, wherever it came from (text or binary). */
int
sr_check(SrSpec *spec, SrError *err)
{
	int			kind = spec->kind;
	int			i,
				j;

	err->message = NULL;
	err->position = 0;
	if (kind < 1 || kind > SR_KIND_MAX)
		return check_fail(err, "unknown rule kind", 0);
	if (spec->direction != SR_HIGHER && spec->direction != SR_LOWER)
		return check_fail(err, "invalid direction", spec->pos_dir);
	if (spec->direction == SR_LOWER && !kind_has_direction(kind))
		return check_fail(err, "this rule takes no direction", spec->pos_dir);
	if (!isfinite(spec->p1) || !isfinite(spec->p2))
		return check_fail(err, "parameters must be finite numbers", spec->pos_p1);
	if (spec->p1 == 0.0)
		spec->p1 = 0.0;
	if (spec->p2 == 0.0)
		spec->p2 = 0.0;
	if (spec->npoints < 0 || spec->npoints > SR_MAX_POINTS)
		return check_fail(err, kind == SR_GRADE ? "more than 256 grades" : "more than 256 points", 0);

	switch (kind)
	{
		case SR_STEPS:
		case SR_PIECEWISE:
		case SR_GRADE:
			if (spec->p1 != 0.0 || spec->p2 != 0.0)
				return check_fail(err, "this rule takes no scalar parameters", 0);
			if (spec->npoints < 1)
				return check_fail(err, kind == SR_GRADE ? "grade needs at least one grade" : "steps needs at least one point", 0);
			if (kind == SR_PIECEWISE && spec->npoints < 2)
				return check_fail(err, "piecewise needs at least two points", spec->pos[0]);
			for (i = 0; i < spec->npoints; i++)
			{
				if (!isfinite(spec->f[i]) || !check_fraction(spec->f[i]))
					return check_fail(err, "fraction outside [0, 1]", spec->pos[i]);
				if (spec->f[i] == 0.0)
					spec->f[i] = 0.0;
				if (kind == SR_GRADE)
				{
					const char *p = spec->label[i];
					int			len = spec->label_len[i];
					int			k;

					if (len < 1 || len > SR_MAX_LABEL)
						return check_fail(err, len < 1 ? "empty grade label" : "grade label longer than 63 bytes", spec->pos[i]);
					if (!label_is_trimmed(p, len))
						return check_fail(err, "grade label starts or ends with white space, so no value could match it", spec->pos[i]);
					for (k = 0; k < len;)
					{
						int			clen;

						if (p[k] == '\0')
							return check_fail(err, "grade label contains a NUL byte", spec->pos[i]);
						clen = utf8_sequence_length((const unsigned char *) p + k, len - k);
						if (clen == 0)
							return check_fail(err, "grade label is not valid UTF-8", spec->pos[i]);
						k += clen;
					}
					for (j = 0; j < i; j++)
						if (spec->label_len[j] == len &&
							memcmp(spec->label[j], p, len) == 0)
							return check_fail(err, "duplicate grade label", spec->pos[i]);
				}
				else
				{
					if (!isfinite(spec->x[i]))
						return check_fail(err, "thresholds must be finite numbers", spec->pos[i]);
					if (spec->x[i] == 0.0)
						spec->x[i] = 0.0;
					if (i > 0 && !(spec->x[i] > spec->x[i - 1]))
						return check_fail(err, "thresholds are not strictly increasing", spec->pos[i]);
				}
			}
			return 1;
		default:
			break;
	}

	if (spec->npoints != 0)
		return check_fail(err, "this rule takes no points", 0);

	switch (kind)
	{
		case SR_TARGET:
			if (!(spec->p1 > 0.0))
				return check_fail(err, "the target must be greater than 0", spec->pos_p1);
			if (spec->p2 != 0.0)
				return check_fail(err, "target takes one parameter", 0);
			break;
		case SR_LINEAR:
			if (spec->p1 == spec->p2)
				return check_fail(err, "lo equals hi, so the rule has no range", spec->pos_p2);
			break;
		case SR_GOALPOSTS:
			if (!(spec->p1 < spec->p2))
				return check_fail(err, "goalposts need lo < hi; use the direction lower for lower-is-better", spec->pos_p2);
			break;
		case SR_MINMAX:
			if (spec->p1 == spec->p2)
				return check_fail(err, "the target range is empty (a equals b)", spec->pos_p2);
			break;
		case SR_ZSCORE:
			if (!(spec->p2 > 0.0))
				return check_fail(err, "the spread s must be greater than 0; use the direction lower to flip", spec->pos_p2);
			break;
		default:
			if (spec->p1 != 0.0 || spec->p2 != 0.0)
				return check_fail(err, "this rule takes no parameters", 0);
			break;
	}
	return 1;
}

/* ---------- binary input ---------- */

/*
 * Decode the binary form after its version byte: kind byte, direction
 * byte, int16 count, float8 p1, float8 p2, then per point float8 x and
 * float8 f (steps, piecewise) or per grade float8 f, a length byte and the
 * label's bytes; all in network byte order.  Every read is bounds-checked;
 * the result goes through sr_check as text input does.  Positions in *err
 * are 1-based byte offsets into buf.
 */
int
sr_decode(const unsigned char *buf, size_t len, SrSpec *spec, SrError *err)
{
	WireReader	r;
	int			i;

	memset(spec, 0, sizeof(SrSpec));
	wire_init(&r, buf, len);
	spec->kind = wire_byte(&r);
	spec->direction = wire_byte(&r);
	spec->npoints = wire_int16(&r);
	spec->p1 = wire_float8(&r);
	spec->p2 = wire_float8(&r);
	if (!r.ok)
		return check_fail(err, "the rule is truncated", (int) r.len + 1);
	if (spec->npoints < 0 || spec->npoints > SR_MAX_POINTS)
		return check_fail(err, "a rule has at most 256 points or grades", 3);
	for (i = 0; i < spec->npoints; i++)
	{
		spec->pos[i] = (int) r.pos + 1;
		if (spec->kind == SR_GRADE)
		{
			int			llen;
			const unsigned char *label;

			spec->f[i] = wire_float8(&r);
			llen = wire_byte(&r);
			if (r.ok && llen > SR_MAX_LABEL)
				return check_fail(err, "grade label longer than 63 bytes", (int) r.pos);
			label = wire_bytes(&r, (size_t) llen);
			if (label == NULL)
				return check_fail(err, "the rule is truncated", (int) r.len + 1);
			spec->label_len[i] = llen;
			memcpy(spec->label[i], label, llen);
		}
		else
		{
			spec->x[i] = wire_float8(&r);
			spec->f[i] = wire_float8(&r);
		}
		if (!r.ok)
			return check_fail(err, "the rule is truncated", (int) r.len + 1);
	}
	if (wire_left(&r) != 0)
		return check_fail(err, "bytes follow the rule", (int) r.pos + 1);
	return sr_check(spec, err);
}

/* ---------- packing ---------- */

/* Bytes of the packed form: header, doubles, then grade labels. */
size_t
sr_packed_size(const SrSpec *spec)
{
	size_t		size = SR_HEADER_SIZE;
	int			i;

	switch (spec->kind)
	{
		case SR_STEPS:
		case SR_PIECEWISE:
			size += 2 * sizeof(double) * spec->npoints;
			break;
		case SR_GRADE:
			size += sizeof(double) * spec->npoints;
			for (i = 0; i < spec->npoints; i++)
				size += 1 + spec->label_len[i];
			break;
		default:
			break;
	}
	return size;
}

/* Write the packed form, zeroing the header so equal rules are equal bytes. */
void
sr_pack(const SrSpec *spec, SrRule *buf)
{
	int			n = spec->npoints;
	int			i;

	memset(buf, 0, SR_HEADER_SIZE);
	buf->kind = (uint8_t) spec->kind;
	buf->direction = (uint8_t) spec->direction;
	buf->npoints = (uint16_t) n;
	buf->p1 = spec->p1;
	buf->p2 = spec->p2;
	if (spec->kind == SR_STEPS || spec->kind == SR_PIECEWISE)
	{
		memcpy(buf->data, spec->x, sizeof(double) * n);
		memcpy(buf->data + n, spec->f, sizeof(double) * n);
	}
	else if (spec->kind == SR_GRADE)
	{
		unsigned char *p;

		memcpy(buf->data, spec->f, sizeof(double) * n);
		p = (unsigned char *) (buf->data + n);
		for (i = 0; i < n; i++)
		{
			*p++ = (unsigned char) spec->label_len[i];
			memcpy(p, spec->label[i], spec->label_len[i]);
			p += spec->label_len[i];
		}
	}
}

/* Walk the length-prefixed labels that follow a grade rule's fractions. */
const char *
sr_grade_label(const SrRule *rule, int i, int *len)
{
	const unsigned char *p = (const unsigned char *) (rule->data + rule->npoints);

	while (i-- > 0)
		p += 1 + *p;
	*len = *p;
	return (const char *) p + 1;
}

/* The inverse of sr_pack, for re-checking and for tools. */
void
sr_unpack(const SrRule *rule, SrSpec *spec)
{
	int			n = rule->npoints;
	int			i;

	memset(spec, 0, offsetof(SrSpec, x));
	spec->kind = rule->kind;
	spec->direction = rule->direction;
	spec->npoints = n;
	spec->p1 = rule->p1;
	spec->p2 = rule->p2;
	spec->pos_p1 = spec->pos_p2 = spec->pos_dir = 0;
	if (rule->kind == SR_STEPS || rule->kind == SR_PIECEWISE)
	{
		memcpy(spec->x, rule->data, sizeof(double) * n);
		memcpy(spec->f, rule->data + n, sizeof(double) * n);
	}
	else if (rule->kind == SR_GRADE)
	{
		memcpy(spec->f, rule->data, sizeof(double) * n);
		for (i = 0; i < n; i++)
		{
			int			len;
			const char *l = sr_grade_label(rule, i, &len);

			spec->label_len[i] = len;
			memcpy(spec->label[i], l, len);
		}
	}
	for (i = 0; i < n; i++)
		spec->pos[i] = 0;
}

/*
 * A packed rule read from bytes: the header, the size its points need (the
 * labels of a grade rule walked within bounds), then unpack, check and pack
 * again, which must give the same bytes.
 */
const char *
sr_packed_problem(const SrRule *rule, size_t size)
{
	static SrSpec spec;			/* 22 kB: not on the stack */
	static double again[(SR_HEADER_SIZE + SR_MAX_POINTS * (8 + 1 + SR_MAX_LABEL)) / 8 + 1];
	SrError		err;
	size_t		need;
	int			i;

	if (size < SR_HEADER_SIZE)
		return "a rule is shorter than its header";
	if (rule->kind < 1 || rule->kind > SR_KIND_MAX)
		return "a rule has an unknown kind";
	if (rule->npoints > SR_MAX_POINTS)
		return "a rule has too many points";
	need = SR_HEADER_SIZE;
	if (rule->kind == SR_STEPS || rule->kind == SR_PIECEWISE)
		need += 2 * sizeof(double) * rule->npoints;
	else if (rule->kind == SR_GRADE)
	{
		const unsigned char *p = (const unsigned char *) rule;

		need += sizeof(double) * rule->npoints;
		for (i = 0; i < rule->npoints; i++)
		{
			if (need >= size || p[need] > SR_MAX_LABEL)
				return "a rule's labels are out of bounds";
			need += 1 + p[need];
		}
	}
	if (need != size)
		return "a rule's size does not match its points";
	sr_unpack(rule, &spec);
	if (!sr_check(&spec, &err) || sr_packed_size(&spec) != size)
		return "a rule is not valid";
	sr_pack(&spec, (SrRule *) again);
	if (memcmp((const char *) again + 4, (const char *) rule + 4, size - 4) != 0)
		return "a rule is not in canonical form";
	return NULL;
}

/* ---------- printing ---------- */

/* Shortest of %.15g, %.16g, %.17g that reads back to the same double. */
int
sr_format_double(double v, char *buf)
{
	int			prec;
	int			len = 0;

	for (prec = 15; prec <= 17; prec++)
	{
		len = snprintf(buf, 32, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return len;
}

/* Generous bound of the canonical text's length, from the number of points. */
size_t
sr_print_bound(const SrRule *rule)
{
	/* kind, parentheses, two numbers, a direction */
	size_t		bound = 16 + 2 + 2 * (26 + 2) + 8;

	/* per point: two numbers or a quoted label with doubled quotes */
	bound += (size_t) rule->npoints * (2 * SR_MAX_LABEL + 2 + 26 + 3);
	return bound;
}

/* Append a C string at offset at; returns the new offset. */
static size_t
put_string(char *buf, size_t at, const char *s)
{
	size_t		n = strlen(s);

	memcpy(buf + at, s, n);
	return at + n;
}

/* Append a number in its shortest round-trip form. */
static size_t
put_double(char *buf, size_t at, double v)
{
	return at + sr_format_double(v, buf + at);
}

/* A label prints bare when it is letters, digits and _, quoted otherwise. */
static size_t
put_label(char *buf, size_t at, const char *s, int len)
{
	int			i;
	int			bare = 1;

	for (i = 0; i < len; i++)
		if (!is_label_char(s[i]))
			bare = 0;
	if (bare)
	{
		memcpy(buf + at, s, len);
		return at + len;
	}
	buf[at++] = '"';
	for (i = 0; i < len; i++)
	{
		if (s[i] == '"')
			buf[at++] = '"';
		buf[at++] = s[i];
	}
	buf[at++] = '"';
	return at;
}

/* Canonical text: defaults and "higher" left out, ", " between arguments. */
size_t
sr_print(const SrRule *rule, char *buf)
{
	size_t		at = put_string(buf, 0, sr_kind_name(rule->kind));
	int			n = rule->npoints;
	int			lower = rule->direction == SR_LOWER;
	int			i;

	switch (rule->kind)
	{
		case SR_TARGET:
			at = put_string(buf, at, "(");
			at = put_double(buf, at, rule->p1);
			if (lower)
				at = put_string(buf, at, ", lower");
			at = put_string(buf, at, ")");
			break;
		case SR_LINEAR:
		case SR_GOALPOSTS:
			at = put_string(buf, at, "(");
			at = put_double(buf, at, rule->p1);
			at = put_string(buf, at, ", ");
			at = put_double(buf, at, rule->p2);
			if (lower)
				at = put_string(buf, at, ", lower");
			at = put_string(buf, at, ")");
			break;
		case SR_MINMAX:
		case SR_ZSCORE:
			if (rule->p1 != 0.0 || rule->p2 != 1.0)
			{
				at = put_string(buf, at, "(");
				at = put_double(buf, at, rule->p1);
				at = put_string(buf, at, ", ");
				at = put_double(buf, at, rule->p2);
				if (lower)
					at = put_string(buf, at, ", lower");
				at = put_string(buf, at, ")");
			}
			else if (lower)
				at = put_string(buf, at, "(lower)");
			break;
		case SR_BEST:
		case SR_RANK:
		case SR_PRANK:
		case SR_BORDA:
			if (lower)
				at = put_string(buf, at, "(lower)");
			break;
		case SR_STEPS:
		case SR_PIECEWISE:
			at = put_string(buf, at, "(");
			for (i = 0; i < n; i++)
			{
				if (i > 0)
					at = put_string(buf, at, ", ");
				at = put_double(buf, at, rule->data[i]);
				at = put_string(buf, at, ":");
				at = put_double(buf, at, rule->data[n + i]);
			}
			at = put_string(buf, at, ")");
			break;
		case SR_GRADE:
			at = put_string(buf, at, "(");
			for (i = 0; i < n; i++)
			{
				int			len;
				const char *l = sr_grade_label(rule, i, &len);

				if (i > 0)
					at = put_string(buf, at, ", ");
				at = put_label(buf, at, l, len);
				at = put_string(buf, at, ":");
				at = put_double(buf, at, rule->data[i]);
			}
			at = put_string(buf, at, ")");
			break;
		default:
			break;
	}
	buf[at] = '\0';
	return at;
}

/* ---------- scoring ---------- */

/* Clamp to [0, 1]. */
static double
clamp01(double v)
{
	if (v <= 0.0)
		return 0.0;				/* also turns -0 into 0 */
	if (v > 1.0)
		return 1.0;
	return v;
}

/*
 * (a - b) / (c - d) without spurious overflow: when a difference of two
 * finite doubles overflows (a near DBL_MAX minus a near -DBL_MAX), the
 * halves are subtracted instead, which gives the same quotient.
 */
static double
ratio_of_differences(double a, double b, double c, double d)
{
	double		num = a - b;
	double		den = c - d;

	if (isfinite(num) && isfinite(den))
		return num / den;
	return (a * 0.5 - b * 0.5) / (c * 0.5 - d * 0.5);
}

/* a + (b - a) t, also when b - a overflows. */
static double
lerp(double a, double b, double t)
{
	double		span = b - a;

	if (isfinite(span))
		return a + span * t;
	return a * (1.0 - t) + b * t;
}

/* Index of the last threshold <= x, or -1 when x is below them all. */
static int
last_at_or_below(const double *xs, int n, double x)
{
	int			lo = 0,
				hi = n;			/* answer in [lo - 1, hi - 1] */

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (xs[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo - 1;
}

/* Apply a numeric rule; see the formulas in docs/scoring.md. */
int
sr_score(const SrRule *rule, double x, const SrStats *stats, double *out)
{
	int			n = rule->npoints;
	int			lower = rule->direction == SR_LOWER;
	const double *xs = rule->data;
	const double *fs = rule->data + n;
	int			i;

	switch (rule->kind)
	{
		case SR_RATIO:
			*out = clamp01(x);
			return 1;
		case SR_BOOL:
			*out = x != 0.0 ? 1.0 : 0.0;
			return 1;
		case SR_TARGET:
			if (lower)
				*out = x <= 0.0 ? 1.0 : clamp01(rule->p1 / x);
			else
				*out = clamp01(x / rule->p1);
			return 1;
		case SR_LINEAR:
			*out = clamp01(ratio_of_differences(x, rule->p1, rule->p2, rule->p1));
			return 1;
		case SR_GOALPOSTS:
			if (lower)
				*out = clamp01(ratio_of_differences(rule->p2, x, rule->p2, rule->p1));
			else
				*out = clamp01(ratio_of_differences(x, rule->p1, rule->p2, rule->p1));
			return 1;
		case SR_STEPS:
			i = last_at_or_below(xs, n, x);
			*out = i < 0 ? 0.0 : fs[i];
			return 1;
		case SR_PIECEWISE:
			i = last_at_or_below(xs, n, x);
			if (i < 0)
				*out = fs[0];
			else if (i >= n - 1)
				*out = fs[n - 1];
			else
				*out = fs[i] + (fs[i + 1] - fs[i]) *
					ratio_of_differences(x, xs[i], xs[i + 1], xs[i]);
			return 1;
		case SR_BEST:
			if (stats == NULL || stats->n < 1)
				return 0;
			if (lower)
			{
				/* ratio of the best (smallest) value to this one */
				if (stats->min <= 0.0 || x <= 0.0)
					return 0;
				*out = stats->min / x;
			}
			else
			{
				if (stats->max <= 0.0)
					return 0;
				*out = x / stats->max;
			}
			return 1;
		case SR_MINMAX:
			if (stats == NULL || stats->n < 1)
				return 0;
			if (stats->max == stats->min)
				*out = rule->p1 * 0.5 + rule->p2 * 0.5;
			else
			{
				double		t = lower ?
					ratio_of_differences(stats->max, x, stats->max, stats->min) :
					ratio_of_differences(x, stats->min, stats->max, stats->min);

				*out = lerp(rule->p1, rule->p2, t);
			}
			return 1;
		case SR_ZSCORE:
			if (stats == NULL || stats->n < 1)
				return 0;
			if (stats->n < 2 || stats->sd == 0.0)
				*out = rule->p1;
			else if (lower)
				*out = rule->p1 + rule->p2 *
					ratio_of_differences(stats->mean, x, stats->sd, 0.0);
			else
				*out = rule->p1 + rule->p2 *
					ratio_of_differences(x, stats->mean, stats->sd, 0.0);
			return 1;
		default:
			return 0;
	}
}

/* Look a trimmed text value up among a grade rule's labels. */
int
sr_score_grade(const SrRule *rule, const char *s, size_t len, double *out)
{
	int			i;

	if (rule->kind != SR_GRADE)
		return 0;
	while (len > 0 && is_space(s[0]))
		s++, len--;
	while (len > 0 && is_space(s[len - 1]))
		len--;
	for (i = 0; i < rule->npoints; i++)
	{
		int			llen;
		const char *l = sr_grade_label(rule, i, &llen);

		if ((size_t) llen == len && memcmp(l, s, len) == 0)
		{
			*out = rule->data[i];
			return 1;
		}
	}
	return 0;
}
