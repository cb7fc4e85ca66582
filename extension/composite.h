/*-------------------------------------------------------------------------
 *
 * composite.h
 *	  What composite.c shares with pipeline.c: the summary of one leaf's
 *	  accumulator, as leaf_stats_of() and composite() finish it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_COMPOSITE_H
#define DTI_COMPOSITE_H

#include "indicator_stats_core.h"

extern void composite_finish_leaf(const IstatsState *st, SrStats *s);

#endif							/* DTI_COMPOSITE_H */
