/*-------------------------------------------------------------------------
 *
 * rank_core.h
 *	  The server-free part of rank intervals and drop-one analysis: a seeded
 *	  PRNG (splitmix64 seeding xoshiro256**), competition ranks, and the
 *	  per-unit rank accumulators with their quantiles.  Units are evaluated
 *	  by the one tree evaluator, fw_tree_evaluate() (tree_eval_core.h).
 *
 * Nothing here allocates on its own: the caller passes an allocator (palloc
 * in the server, malloc in the determinism driver), so the same object code
 * runs in the backend and in a standalone program.  With -ffp-contract=off
 * every result is the same bits at every optimisation level.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DTI_RANK_CORE_H
#define DTI_RANK_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tree_eval_core.h"

/* xoshiro256** state */
typedef struct RcRng
{
	uint64_t	s[4];
} RcRng;

extern void rc_rng_seed(RcRng *rng, uint64_t seed);
extern uint64_t rc_rng_next(RcRng *rng);
extern double rc_rng_uniform(RcRng *rng);

/* a value and the unit it belongs to, for sorting */
typedef struct RcPair
{
	double		v;
	int32_t		i;
} RcPair;

/*
 * Competition ranks ("1224"), higher is better, of n roots; units with
 * valid[i] false get rank 0 and are not counted.  scratch has n elements.
 */
extern void rc_competition_ranks(const double *roots, const uint8_t *valid,
								 int n, RcPair *scratch, int32_t *ranks);

/* Per-unit results of rank_intervals. */
typedef struct RcUnitResult
{
	int32_t		nominal_rank;	/* 0: the unit has no root value */
	double		mean_rank;
	double		median_rank;
	double		p05;
	double		p95;
	double		keep_share;
} RcUnitResult;

typedef void *(*RcAlloc) (size_t size);
typedef void (*RcTick) (void);

/* Input of rank_intervals: nunits x nleaves values, row-major by unit. */
typedef struct RcProblem
{
	const FwTree *tree;
	int			nunits;
	const double *values;
	const uint8_t *present;
	int64_t		draws;
	double		factor;
	uint64_t	seed;
	bool		alternate_methods;

	/*
	 * Per node, 1 to perturb its weight; NULL for every node below the
	 * root.  The same random numbers are drawn either way (one per node
	 * below the root), so a node's factor does not depend on the others'
	 * choice.
	 */
	const uint8_t *perturb;
} RcProblem;

/* Units evaluated between two calls of the tick within one draw. */
#define RC_TICK_UNITS	256

/*
 * Run the Monte Carlo: per draw, perturb every weight below the root (or
 * those perturb selects) by an independent uniform factor in [1 - f, 1 + f] (and with alternate_methods,
 * on a coin flip, swap arithmetic and geometric means), evaluate every
 * unit's root, rank, and accumulate.  tick (may be NULL) runs once per draw
 * and every RC_TICK_UNITS units (the server checks for interrupts there).
 * Returns FW_EVAL_OK, or FW_EVAL_NEGATIVE with *bad_node set.
 */
extern int	rc_rank_intervals(const RcProblem *p, RcAlloc alloc, RcTick tick,
							  RcUnitResult *out, int *bad_node);

/* Quantile type 7 of k sorted values. */
extern double rc_quantile7_sorted(const int32_t *x, int64_t k, double p);

#endif							/* DTI_RANK_CORE_H */
