/*-------------------------------------------------------------------------
 *
 * dti_util.h
 *	  Small server-side helpers the types and aggregates share.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_UTIL_H
#define DTI_UTIL_H

#include "fmgr.h"
#include "pg_compat.h"
#include "lib/stringinfo.h"

/* How much of a rejected input an error message quotes. */
#define DTI_QUOTE_MAX 80

extern char *dti_quote_input(const char *s, size_t len);
extern MemoryContext dti_aggregate_context(FunctionCallInfo fcinfo, const char *fname);

struct JsonbContainer;
/* The array of objects of a JSON text; NULL on a soft error reported to escontext. */
extern struct JsonbContainer *dti_json_array(const char *str, const char *type, int *n,
											  struct Node *escontext);

/* The binary inputs of framework and scorecard (version 1: the text form). */
extern bool tree_recv_bytes(StringInfo buf, const unsigned char **bytes, size_t *len);
extern Datum tree_recv_text(StringInfo buf, PGFunction in, const char *type);
extern void tree_recv_fail(const char *type, const char *problem, int bad_node)
			pg_attribute_noreturn();

/* The aggregate state types: text form, input errors, in-place updates. */
extern char *dti_state_hex_out(const unsigned char *bytes, size_t len);
extern unsigned char *dti_state_hex_in(const char *str, const char *type, size_t *len);
extern void dti_state_bad_input(const char *type, const char *problem) pg_attribute_noreturn();
extern struct varlena *dti_state_for_update(FunctionCallInfo fcinfo);

#endif							/* DTI_UTIL_H */
