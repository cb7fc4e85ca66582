/*
 * pg_compat.h: what differs between the PostgreSQL majors dti supports
 * (15, 17, 18), in one place.
 *
 * Soft errors: from PostgreSQL 16 on, a text input function may be called
 * with an ErrorSaveContext in fcinfo->context (pg_input_is_valid(),
 * pg_input_error_info(), COPY ... ON_ERROR); it then reports bad input with
 * errsave()/ereturn() and returns instead of throwing.  On 15 there is no
 * such context: the macros below throw as ereport(ERROR) does, so the input
 * functions are written once, for every major.
 */
#ifndef DTI_PG_COMPAT_H
#define DTI_PG_COMPAT_H

#include "postgres.h"
#include "fmgr.h"

/* 16 moved the varlena macros (VARDATA, SET_VARSIZE) out of postgres.h */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#else
#define errsave(context, ...) \
	ereport(ERROR, __VA_ARGS__)
#define ereturn(context, dummy_value, ...) \
	do { \
		ereport(ERROR, __VA_ARGS__); \
		return dummy_value; \
	} while (0)
#define SOFT_ERROR_OCCURRED(escontext) ((void) (escontext), false)
#define DirectInputFunctionCallSafe(func, str, typioparam, typmod, escontext, result) \
	((*(result) = DirectFunctionCall3(func, CStringGetDatum(str), \
									  ObjectIdGetDatum(typioparam), \
									  Int32GetDatum(typmod))), true)
#endif

/*
 * 18 replaced the suffix pg_attribute_noreturn() by the prefix pg_noreturn;
 * the suffix form of GCC and Clang is kept for the declarations written so.
 */
#ifndef pg_attribute_noreturn
#define pg_attribute_noreturn() __attribute__((noreturn))
#endif

/*
 * A JSON lexer over a C string (17 added a context to fill in, NULL to
 * allocate one, and made the string const).
 */
#if PG_VERSION_NUM >= 170000
#define dti_json_lex_cstring(str, len) \
	makeJsonLexContextCstringLen(NULL, (str), (len), GetDatabaseEncoding(), false)
#else
#define dti_json_lex_cstring(str, len) \
	makeJsonLexContextCstringLen((char *) (str), (len), GetDatabaseEncoding(), false)
#endif

#endif							/* DTI_PG_COMPAT_H */
