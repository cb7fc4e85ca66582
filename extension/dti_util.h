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

/* How much of a rejected input an error message quotes. */
#define DTI_QUOTE_MAX 80

extern char *dti_quote_input(const char *s, size_t len);
extern MemoryContext dti_aggregate_context(FunctionCallInfo fcinfo, const char *fname);

struct JsonbContainer;
extern struct JsonbContainer *dti_json_array(const char *str, const char *type, int *n);

#endif							/* DTI_UTIL_H */
