/*-------------------------------------------------------------------------
 *
 * indicator_code.h
 *	  The indicator_code type: a hierarchical code such as "CQS.3.2".
 *
 * On disk a code is a varlena holding the code's bytes, without a
 * terminating NUL; it is always valid (see indicator_code_core.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_INDICATOR_CODE_H
#define DTI_INDICATOR_CODE_H

#include "fmgr.h"

typedef struct varlena IndicatorCode;

/*
 * Codes are short and stored inline: only a compressed or external datum
 * needs pg_detoast_datum_packed(), so the common case makes no call (rollup()
 * and sorts read a code per row or per comparison).
 */
static inline IndicatorCode *
DatumGetIndicatorCodeP(Datum d)
{
	struct varlena *p = (struct varlena *) DatumGetPointer(d);

	if (VARATT_IS_COMPRESSED(p) || VARATT_IS_EXTERNAL(p))
		return (IndicatorCode *) pg_detoast_datum_packed(p);
	return (IndicatorCode *) p;
}
#define PG_GETARG_INDICATOR_CODE_P(n)	DatumGetIndicatorCodeP(PG_GETARG_DATUM(n))
#define ICODE_DATA(c)	VARDATA_ANY(c)
#define ICODE_LEN(c)	VARSIZE_ANY_EXHDR(c)

/* Parse and validate text; raises 22P02 naming the problem. */
extern IndicatorCode *indicator_code_parse(const char *s, size_t len);
extern IndicatorCode *indicator_code_parse_safe(const char *s, size_t len,
												 struct Node *escontext);

/* A new code holding the given (already valid) bytes. */
extern IndicatorCode *indicator_code_make(const char *s, size_t len);

#endif							/* DTI_INDICATOR_CODE_H */
