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

/*
 * The text form of an aggregate state type: its binary form in lower-case
 * hexadecimal, two digits a byte.
 */
char *
dti_state_hex_out(const unsigned char *bytes, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char	   *out = palloc(2 * len + 1);
	size_t		i;

	for (i = 0; i < len; i++)
	{
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 0x0f];
	}
	out[2 * len] = '\0';
	return out;
}

/* One hexadecimal digit's value, or -1. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Reads the text form dti_state_hex_out writes: an even number of
 * hexadecimal digits and nothing else.  The bytes are then checked by the
 * type's decoder, as its binary input checks them.
 */
unsigned char *
dti_state_hex_in(const char *str, const char *type, size_t *len)
{
	size_t		n = strlen(str);
	unsigned char *out;
	size_t		i;

	if (n % 2 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", type),
				 errdetail("The text form is an even number of hexadecimal digits; this one has %zu characters.", n),
				 errhint("Use the text that the type's output function wrote.")));
	out = palloc(n / 2 + 1);
	for (i = 0; i < n / 2; i++)
	{
		int			hi = hex_value(str[2 * i]);
		int			lo = hex_value(str[2 * i + 1]);

		if (hi < 0 || lo < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s", type),
					 errdetail("Character %zu is not a hexadecimal digit.", 2 * i + (hi < 0 ? 1 : 2)),
					 errhint("Use the text that the type's output function wrote.")));
		out[i] = (unsigned char) (hi << 4 | lo);
	}
	*len = n / 2;
	return out;
}

/* Reports a state that its text or binary input cannot accept. */
void
dti_state_bad_input(const char *type, const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid value of type %s", type),
			 errdetail("%s.", problem),
			 errhint("Aggregate states are written by the aggregates and read back unchanged; do not edit them.")));
}

/*
 * The transition state in arg 0 ready to be updated in place: under an
 * aggregate the executor owns it and lets us change it; called as a plain
 * function, a copy.  NULL when the argument is NULL.
 */
struct varlena *
dti_state_for_update(FunctionCallInfo fcinfo)
{
	struct varlena *st;

	if (PG_ARGISNULL(0))
		return NULL;
	st = PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	if (st == (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(0)) &&
		!AggCheckCallContext(fcinfo, NULL))
	{
		struct varlena *copy = palloc(VARSIZE(st));

		memcpy(copy, st, VARSIZE(st));
		st = copy;
	}
	return st;
}
