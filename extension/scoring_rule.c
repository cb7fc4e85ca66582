/*-------------------------------------------------------------------------
 *
 * scoring_rule.c
 *	  The scoring_rule type: text and binary input and output, equality and
 *	  hashing, and the score() functions that apply a rule to a value.
 *
 * Parsing, checking and the scoring arithmetic live in scoring_rule_core.c;
 * this file turns their results into datums and their problems into
 * errors.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include <math.h>

#include "dti_util.h"
#include "scoring_rule.h"
#include "pg_compat.h"

#define SR_BINARY_VERSION 1

/* How many grades an "unknown grade" error lists. */
#define SR_LIST_GRADES 20

#define SR_HINT_SYNTAX "Rules look like ratio, target(80), linear(0, 100), steps(50:0.5, 80:1), grade(A:1, B:0.75) or minmax(lower)."
#define SR_HINT_STATS "Compute the statistics over the same indicator and period: score(rule, value, indicator_stats(value) OVER (PARTITION BY indicator, period))."
#define SR_HINT_RANK "Use the window function: rank_score(rule, value) OVER (PARTITION BY indicator, period)."

PG_FUNCTION_INFO_V1(scoring_rule_in);
PG_FUNCTION_INFO_V1(scoring_rule_out);
PG_FUNCTION_INFO_V1(scoring_rule_recv);
PG_FUNCTION_INFO_V1(scoring_rule_send);
PG_FUNCTION_INFO_V1(scoring_rule_eq);
PG_FUNCTION_INFO_V1(scoring_rule_ne);
PG_FUNCTION_INFO_V1(scoring_rule_hash);
PG_FUNCTION_INFO_V1(scoring_rule_kind);
PG_FUNCTION_INFO_V1(scoring_rule_score);
PG_FUNCTION_INFO_V1(scoring_rule_score_stats);
PG_FUNCTION_INFO_V1(scoring_rule_score_text);

/*
 * Raise 22023 unless x is finite: NaN and infinities would otherwise turn
 * into silent results.
 */
void
dti_check_value(double x)
{
	if (unlikely(!isfinite(x)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("indicator value %s is not a finite number",
						isnan(x) ? "NaN" : (x > 0 ? "Infinity" : "-Infinity")),
				 errhint("Store a missing value as NULL; it then scores NULL.")));
}

/* An error detail from a core problem: the sentence and where it is. */
static char *
describe_problem(const SrError *err)
{
	char	   *msg = pstrdup(err->message);

	msg[0] = pg_toupper((unsigned char) msg[0]);
	if (err->position > 0)
		return psprintf("At position %d: %s.", err->position, err->message);
	return psprintf("%s.", msg);
}

/* Pack a checked spec into a new palloc'd varlena. */
static SrRule *
pack_rule(const SrSpec *spec)
{
	size_t		size = sr_packed_size(spec);
	SrRule	   *rule = (SrRule *) palloc0(size);

	sr_pack(spec, rule);
	SET_VARSIZE(rule, size);
	return rule;
}

char *
scoring_rule_to_cstring(const SrRule *rule)
{
	char	   *buf = palloc(sr_print_bound(rule) + 1);

	sr_print(rule, buf);
	return buf;
}

/*
 * Text input: parse, check, pack; bad text raises 22P02 (a soft error when
 * the caller asks for one).
 */
Datum
scoring_rule_in(PG_FUNCTION_ARGS)
{
	char	   *s = PG_GETARG_CSTRING(0);
	size_t		len = strlen(s);
	SrSpec	   *spec = palloc(sizeof(SrSpec));
	SrError		err;

	if (!sr_parse(s, len, spec, &err))
		ereturn(fcinfo->context, (Datum) 0,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"",
						"scoring_rule", dti_quote_input(s, len)),
				 errdetail_internal("%s", describe_problem(&err)),
				 errhint(SR_HINT_SYNTAX)));
	PG_RETURN_POINTER(pack_rule(spec));
}

/* Text output: the canonical form, which reads back to the same bytes. */
Datum
scoring_rule_out(PG_FUNCTION_ARGS)
{
	SrRule	   *rule = PG_GETARG_SCORING_RULE_P(0);

	PG_RETURN_CSTRING(scoring_rule_to_cstring(rule));
}

/*
 * Binary input: version byte 1, kind byte, direction byte, int16 count,
 * float8 p1, float8 p2, then per point float8 x and float8 f (steps,
 * piecewise) or per grade float8 f, a length byte and the label's bytes.
 * sr_decode (scoring_rule_core.c) reads it with a bounds check on every
 * field and checks the rule with the same sr_check as text input.
 */
Datum
scoring_rule_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version = pq_getmsgbyte(buf);
	int			len = buf->len - buf->cursor;
	SrSpec	   *spec;
	SrError		err;

	if (version != SR_BINARY_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary format version %d for type %s",
						version, "scoring_rule"),
				 errdetail("This server reads version %d.", SR_BINARY_VERSION)));
	spec = palloc(sizeof(SrSpec));
	if (!sr_decode((const unsigned char *) pq_getmsgbytes(buf, len), len, spec, &err))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary value for type %s", "scoring_rule"),
				 errdetail_internal("%s", describe_problem(&err))));
	PG_RETURN_POINTER(pack_rule(spec));
}

/* Binary output; see scoring_rule_recv for the format. */
Datum
scoring_rule_send(PG_FUNCTION_ARGS)
{
	SrRule	   *rule = PG_GETARG_SCORING_RULE_P(0);
	StringInfoData buf;
	int			n = rule->npoints;
	int			i;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, SR_BINARY_VERSION);
	pq_sendbyte(&buf, rule->kind);
	pq_sendbyte(&buf, rule->direction);
	pq_sendint16(&buf, (uint16) n);
	pq_sendfloat8(&buf, rule->p1);
	pq_sendfloat8(&buf, rule->p2);
	for (i = 0; i < n; i++)
	{
		if (rule->kind == SR_GRADE)
		{
			int			len;
			const char *l = sr_grade_label(rule, i, &len);

			pq_sendfloat8(&buf, rule->data[i]);
			pq_sendbyte(&buf, len);
			pq_sendbytes(&buf, l, len);
		}
		else
		{
			pq_sendfloat8(&buf, rule->data[i]);
			pq_sendfloat8(&buf, rule->data[n + i]);
		}
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Two rules are equal when their packed forms are (canonical forms are). */
static bool
rules_equal(const SrRule *a, const SrRule *b)
{
	return VARSIZE(a) == VARSIZE(b) &&
		memcmp(VARDATA(a), VARDATA(b), VARSIZE(a) - VARHDRSZ) == 0;
}

/* rule = rule */
Datum
scoring_rule_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(rules_equal(PG_GETARG_SCORING_RULE_P(0),
							   PG_GETARG_SCORING_RULE_P(1)));
}

/* rule <> rule */
Datum
scoring_rule_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!rules_equal(PG_GETARG_SCORING_RULE_P(0),
								PG_GETARG_SCORING_RULE_P(1)));
}

/* Hash of the packed bytes, consistent with equality. */
Datum
scoring_rule_hash(PG_FUNCTION_ARGS)
{
	SrRule	   *rule = PG_GETARG_SCORING_RULE_P(0);

	return hash_any((const unsigned char *) VARDATA(rule),
					VARSIZE(rule) - VARHDRSZ);
}

/* The rule's kind as text: "target", "grade", ... */
Datum
scoring_rule_kind(PG_FUNCTION_ARGS)
{
	SrRule	   *rule = PG_GETARG_SCORING_RULE_P(0);

	PG_RETURN_TEXT_P(cstring_to_text(sr_kind_name(rule->kind)));
}

/* Reject a rule that cannot score a number without statistics. */
static void
require_numeric_rule(const SrRule *rule, bool have_stats)
{
	switch (sr_kind_class(rule->kind))
	{
		case SR_CLASS_ABSOLUTE:
			return;
		case SR_CLASS_STATS:
			if (have_stats)
				return;
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rule %s is relative to all units and needs statistics",
							scoring_rule_to_cstring(rule)),
					 errhint(SR_HINT_STATS)));
			break;
		case SR_CLASS_RANK:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rule %s is rank-based and needs the whole partition",
							scoring_rule_to_cstring(rule)),
					 errhint(SR_HINT_RANK)));
			break;
		case SR_CLASS_GRADE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rule %s scores text values, not numbers",
							scoring_rule_to_cstring(rule)),
					 errhint("Pass the grade as text, as in score('grade(A:1, B:0.5)', 'B').")));
			break;
	}
}

/* Apply a numeric rule to a checked value; NULL results come back false. */
bool
dti_apply_rule(const SrRule *rule, double x, const SrStats *stats, double *out)
{
	dti_check_value(x);
	if (!sr_score(rule, x, stats, out))
		return false;
	if (*out == 0.0)
		*out = 0.0;				/* no negative zero */
	if (unlikely(!isfinite(*out)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("score of value %g under rule %s is out of range",
						x, scoring_rule_to_cstring(rule))));
	return true;
}

/* score(rule, value float8): absolute rules. */
Datum
scoring_rule_score(PG_FUNCTION_ARGS)
{
	SrRule	   *rule = PG_GETARG_SCORING_RULE_P(0);
	double		x = PG_GETARG_FLOAT8(1);
	double		result;

	require_numeric_rule(rule, false);
	if (!dti_apply_rule(rule, x, NULL, &result))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(result);
}

/*
 * score(rule, value float8, stats indicator_stats): every numeric rule.
 * Not strict: absolute rules work with NULL statistics; relative rules
 * need them.  A NULL rule or value gives NULL.
 */
Datum
scoring_rule_score_stats(PG_FUNCTION_ARGS)
{
	SrRule	   *rule;
	double		x;
	SrStats    *stats = NULL;
	double		result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	rule = PG_GETARG_SCORING_RULE_P(0);
	x = PG_GETARG_FLOAT8(1);
	if (!PG_ARGISNULL(2))
		stats = PG_GETARG_INDICATOR_STATS_P(2);
	require_numeric_rule(rule, true);
	if (stats == NULL && sr_kind_class(rule->kind) == SR_CLASS_STATS)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("rule %s needs statistics, but they are NULL",
						scoring_rule_to_cstring(rule)),
				 errhint(SR_HINT_STATS)));
	if (!dti_apply_rule(rule, x, stats, &result))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(result);
}

/* score(rule, value text): grade rules. */
Datum
scoring_rule_score_text(PG_FUNCTION_ARGS)
{
	SrRule	   *rule = PG_GETARG_SCORING_RULE_P(0);
	text	   *value = PG_GETARG_TEXT_PP(1);
	double		result;

	if (rule->kind != SR_GRADE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rule %s scores numbers, not text",
						scoring_rule_to_cstring(rule)),
				 errhint("Only grade rules score text; cast a numeric value to float8.")));
	if (!sr_score_grade(rule, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value),
						&result))
	{
		StringInfoData list;
		int			i;

		initStringInfo(&list);
		for (i = 0; i < rule->npoints && i < SR_LIST_GRADES; i++)
		{
			int			len;
			const char *l = sr_grade_label(rule, i, &len);

			appendStringInfo(&list, "%s\"%.*s\"", i > 0 ? ", " : "", len, l);
		}
		if (rule->npoints > SR_LIST_GRADES)
			appendStringInfo(&list, " and %d more",
							 rule->npoints - SR_LIST_GRADES);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown grade \"%s\"",
						dti_quote_input(VARDATA_ANY(value),
									VARSIZE_ANY_EXHDR(value))),
				 errdetail("Allowed grades: %s.", list.data),
				 errhint("Grades match exactly (case sensitive) after leading and trailing white space is removed.")));
	}
	PG_RETURN_FLOAT8(result);
}
