/*-------------------------------------------------------------------------
 *
 * dti.c
 *	  Module entry of the dti extension.
 *
 * The extension's code is split by concern: one file per type with its
 * input, output and operators, one per family of aggregates, one for
 * ranking.  Files named *_core.c hold parsers and kernels that do not
 * depend on the server, so that fuzzers and tools can link them alone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
