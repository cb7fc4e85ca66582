/*-------------------------------------------------------------------------
 *
 * dti_util.c
 *	  Small server-side helpers the types and aggregates share: how an
 *	  error quotes a rejected input, the aggregate memory context, the
 *	  JSON array the text inputs of framework and scorecard read, and the
 *	  glue of their binary inputs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/jsonapi.h"
#include "libpq/pqformat.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "dti_util.h"
#include "tree_wire_core.h"

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
dti_json_array(const char *str, const char *type, int *n, Node *escontext)
{
	JsonLexContext *lex;
	JsonParseErrorType err;
	Datum		d;
	Jsonb	   *jb;

	/* a syntax error names our type and says where, not "type json" */
	lex = dti_json_lex_cstring(str, strlen(str));
	err = pg_parse_json(lex, &nullSemAction);
	if (err != JSON_SUCCESS)
		ereturn(escontext, NULL,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", type),
				 errdetail("The value is not valid JSON: %s", json_errdetail(err, lex)),
				 errhint("Write a JSON array of node objects, as the %s's text output does.", type)));
	if (!DirectInputFunctionCallSafe(jsonb_in, (char *) str, InvalidOid, -1, escontext, &d))
		return NULL;
	jb = DatumGetJsonbP(d);

	if (!JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb))
		ereturn(escontext, NULL,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", type),
				 errdetail("The value must be a JSON array of node objects.")));
	*n = JB_ROOT_COUNT(jb);
	return &jb->root;
}

/*
 * Take the rest of a recv buffer (framework_recv, scorecard_recv): false
 * with the bytes for the current binary form, true when the value is in
 * version 1 (the text form), which tree_recv_text then reads.
 */
bool
tree_recv_bytes(StringInfo buf, const unsigned char **bytes, size_t *len)
{
	*len = buf->len - buf->cursor;
	if (*len > 0 && buf->data[buf->cursor] == TREE_WIRE_TEXT_VERSION)
	{
		buf->cursor++;
		return true;
	}
	*bytes = (const unsigned char *) pq_getmsgbytes(buf, *len);
	return false;
}

/*
 * Version 1 of the binary form: the text form behind the version byte, as
 * dti 0.7.0 and earlier wrote it.  It is read by the text input function;
 * the errors that input raises over the data are reported as invalid
 * binary data, as a recv function must (other errors pass unchanged).
 */
Datum
tree_recv_text(StringInfo buf, PGFunction in, const char *type)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum		result = (Datum) 0;

	PG_TRY();
	{
		int			nbytes;
		char	   *str = pq_getmsgtext(buf, buf->len - buf->cursor, &nbytes);

		result = DirectFunctionCall1(in, CStringGetDatum(str));
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		if (ERRCODE_TO_CATEGORY(e->sqlerrcode) != ERRCODE_DATA_EXCEPTION)
			PG_RE_THROW();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary value for type %s", type),
				 errdetail("The value is in binary format version 1, the text form: %s%s%s",
						   e->message, e->detail ? " " : "", e->detail ? e->detail : "")));
	}
	PG_END_TRY();
	return result;
}

/* A problem the binary decoder found, as an error. */
void
tree_recv_fail(const char *type, const char *problem, int bad_node)
{
	if (bad_node > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary value for type %s", type),
				 errdetail("Node %d: %s.", bad_node, problem)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary value for type %s", type),
			 errdetail("%s.", problem),
			 errhint("This server reads binary format versions %d and %d.",
					 TREE_WIRE_TEXT_VERSION, TREE_WIRE_VERSION)));
}
