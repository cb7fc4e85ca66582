/*-------------------------------------------------------------------------
 *
 * scorecard.h
 *	  The scorecard type: one unit's whole index tree for one period, made
 *	  by evaluating a framework over the unit's leaf values.
 *
 * The stored layout is in framework_core.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_SCORECARD_H
#define DTI_SCORECARD_H

#include "fmgr.h"

#include "framework.h"

#define DatumGetScorecardP(X)	((Scorecard *) PG_DETOAST_DATUM(X))

extern Scorecard *scorecard_skeleton(const Framework *fw);
extern Scorecard *scorecard_evaluate(CompiledFramework *cf,
									 const float8 *values, const bool *present);

#endif							/* DTI_SCORECARD_H */
