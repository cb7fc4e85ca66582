/*-------------------------------------------------------------------------
 *
 * dti_util.c
 *	  Small server-side helpers the types and aggregates share: how an
 *	  error quotes a rejected input, the aggregate memory context, and the
 *	  JSON array the text inputs of framework and scorecard read.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/jsonapi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "dti_util.h"

/*
 * The rejected input as an error message quotes it: at most DTI_QUOTE_MAX
 * bytes, cut at a character boundary, with "..." when cut.
 */
char *
dti_quote_input(const char *s, size_t len)
{
	int			keep;

	if (len <= DTI_QUOTE_MAX)
		return pnstrdup(s, len);
	keep = pg_mbcliplen(s, (int) len, DTI_QUOTE_MAX);
	return psprintf("%s...", pnstrdup(s, keep));
}

/*
 * The memory context of the aggregate calling fname.  Our transition,
 * combine, serialize and final functions are only ever called by an
 * aggregate (they take or return type internal), so being called otherwise
 * is an internal error.
 */
MemoryContext
dti_aggregate_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", fname);
	return aggcontext;
}

/* The array of objects of a JSON text, for the text inputs. */
JsonbContainer *
dti_json_array(const char *str, const char *type, int *n)
{
	JsonLexContext *lex;
	JsonParseErrorType err;
	Jsonb	   *jb;

	/* a syntax error names our type and says where, not "type json" */
#if PG_VERSION_NUM >= 170000
	lex = makeJsonLexContextCstringLen(NULL, str, strlen(str), GetDatabaseEncoding(), false);
#else
	lex = makeJsonLexContextCstringLen((char *) str, strlen(str), GetDatabaseEncoding(), false);
#endif
	err = pg_parse_json(lex, &nullSemAction);
	if (err != JSON_SUCCESS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", type),
				 errdetail("The value is not valid JSON: %s", json_errdetail(err, lex)),
				 errhint("Write a JSON array of node objects, as the %s's text output does.", type)));
	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(str)));

	if (!JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", type),
				 errdetail("The value must be a JSON array of node objects.")));
	*n = JB_ROOT_COUNT(jb);
	return &jb->root;
}
