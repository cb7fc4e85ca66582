/*-------------------------------------------------------------------------
 *
 * sobol_core.h
 *	  Variance-based sensitivity analysis, free of any server dependency:
 *	  first-order and total-effect Sobol indices by Saltelli's sampling
 *	  scheme and Jansen's estimators, with bootstrap percentile intervals,
 *	  for any model of [0,1)^k (a generic driver that the checks run on
 *	  the Ishigami function and a linear model), and the model of a
 *	  composite index: every unit's rank and the mean absolute rank shift
 *	  under chosen uncertainty sources, evaluated by the one tree
 *	  evaluator, fw_tree_evaluate(), and ranked by rank_core.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_SOBOL_CORE_H
#define DTI_SOBOL_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rank_core.h"
#include "tree_eval_core.h"

/* A model: a row of k inputs in [0, 1) to m outputs. */
typedef int (*SbModel) (void *ctx, const double *x, double *y);

/* The design: k input columns in ngroups groups (a source may be several
 * columns, e.g. the weights of a level); group g is columns
 * [group_start[g], group_start[g + 1]). */
typedef struct SbDesign
{
	int			k;
	int			ngroups;
	const int  *group_start;	/* ngroups + 1 */
	int			m;				/* outputs */
	int64_t		n;				/* base samples */
	int			nboot;			/* bootstrap resamples (0: no intervals) */
	uint64_t	seed;
	double		level;			/* interval coverage, e.g. 0.95 */
} SbDesign;

/* Indices of one output for one group. */
typedef struct SbIndex
{
	double		first;
	double		first_lo;
	double		first_hi;
	double		total;
	double		total_lo;
	double		total_hi;
} SbIndex;

/*
 * Run the analysis: n(k... ) model runs, out[o * ngroups + g].  A model
 * returning non-zero stops the run and is returned (with the model's own
 * meaning).  tick (may be NULL) runs between model runs.
 */
extern int	sb_analyse(const SbDesign *d, SbModel f, void *ctx, RcAlloc alloc,
					   RcTick tick, SbIndex *out);

/* The uncertainty sources of a composite index. */
typedef enum SbSourceKind
{
	SB_WEIGHTS = 0,				/* weights of the nodes of one level */
	SB_METHODS,					/* arithmetic <-> geometric at one level */
	SB_DATA						/* one of several variants of the data */
} SbSourceKind;

typedef struct SbSource
{
	SbSourceKind kind;
	int			level;			/* SB_WEIGHTS, SB_METHODS */
	int			noptions;		/* SB_DATA: number of variants */
} SbSource;

typedef struct SbIndexProblem
{
	const FwTree *tree;
	const int32_t *node_level;	/* per node, 1 for the root */
	int			nunits;

	/*
	 * Leaf values of every data variant: variant v of the data sources
	 * (mixed radix, the first data source varying slowest) is
	 * values[v * nunits * nleaves ...]; variant 0 is the nominal data.
	 */
	const double *values;
	const uint8_t *present;
	int			nsources;
	const SbSource *sources;
	double		factor;			/* weights times U[1 - f, 1 + f] */
} SbIndexProblem;

/* Scratch and state of the index model (sb_index_prepare fills it). */
typedef struct SbIndexModel
{
	const SbIndexProblem *p;
	int			k;
	int		   *group_start;	/* nsources + 1 */
	int		   *col_node;		/* per weight column, its node */
	int32_t    *nominal;		/* nominal ranks (0: no root) */
	double	   *w;
	uint8_t    *meth;
	double	   *val;
	uint8_t    *has;
	double	   *roots;
	uint8_t    *valid;
	RcPair	   *scratch;
	int32_t    *ranks;
	int			bad_node;
} SbIndexModel;

/*
 * Prepare the model (columns per source, nominal ranks).  Returns
 * FW_EVAL_OK or FW_EVAL_NEGATIVE (bad_node set).  A source level with no
 * node gets no column: the caller checks levels first.
 */
extern int	sb_index_prepare(const SbIndexProblem *p, RcAlloc alloc, SbIndexModel *mod);

/* The model: outputs nunits ranks (NaN for a unit without a nominal rank)
 * and then the mean absolute rank shift. */
extern int	sb_index_model(void *ctx, const double *x, double *y);

#endif							/* DTI_SOBOL_CORE_H */
