/*-------------------------------------------------------------------------
 *
 * rank_core.h
 *	  The server-free part of rank intervals and drop-one analysis: a seeded
 *	  PRNG (splitmix64 seeding xoshiro256**), the evaluation of a unit's root
 *	  value over a framework laid out as plain arrays in preorder, competition
 *	  ranks, and the per-unit rank accumulators with their quantiles.
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

/* same numbering as FwMethod and FwMissing in framework.h */
#define RC_LEAF		0
#define RC_POINTS	1
#define RC_AMEAN	2
#define RC_GMEAN	3
#define RC_HMEAN	4
#define RC_MISSING_DROP	0
#define RC_MISSING_ZERO	1

/* A framework as plain arrays, nodes in preorder (parents first). */
typedef struct RcTree
{
	int			nnodes;
	int			nleaves;
	const int32_t *parent;		/* -1 for the root */
	const int32_t *first_child; /* -1 for a leaf */
	const int32_t *next_sibling;	/* -1 for the last child */
	const int32_t *leaf_index;	/* -1 for an inner node */
	const uint8_t *method;		/* RC_* */
	const uint8_t *missing;		/* RC_MISSING_* */
	const double *weight;		/* weight in the parent */
	const double *threshold;	/* least share of counted children present */
} RcTree;

/* xoshiro256** state */
typedef struct RcRng
{
	uint64_t	s[4];
} RcRng;

extern void rc_rng_seed(RcRng *rng, uint64_t seed);
extern uint64_t rc_rng_next(RcRng *rng);
extern double rc_rng_uniform(RcRng *rng);

/* outcome of evaluating a root */
#define RC_OK		0
#define RC_NULL		1			/* the root has no value */
#define RC_NEGATIVE	2			/* negative value under gmean or hmean */

/*
 * Root value of one unit: leaf values (counted where present), per-node
 * weights and methods (usually the tree's own; perturbed for a draw), and
 * scratch arrays of nnodes elements.  Returns RC_OK and sets *root, or
 * RC_NULL, or RC_NEGATIVE with *bad_node set to the offending child.
 */
extern int	rc_eval_root(const RcTree *t, const double *weight,
						 const uint8_t *method, const double *values,
						 const uint8_t *present, double *val, uint8_t *has,
						 double *root, int *bad_node);

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
	const RcTree *tree;
	int			nunits;
	const double *values;
	const uint8_t *present;
	int64_t		draws;
	double		factor;
	uint64_t	seed;
	bool		alternate_methods;
} RcProblem;

/* Units evaluated between two calls of the tick within one draw. */
#define RC_TICK_UNITS	256

/*
 * Run the Monte Carlo: per draw, perturb every weight below the root by an
 * independent uniform factor in [1 - f, 1 + f] (and with alternate_methods,
 * on a coin flip, swap arithmetic and geometric means), evaluate every
 * unit's root, rank, and accumulate.  tick (may be NULL) runs once per draw
 * and every RC_TICK_UNITS units (the server checks for interrupts there).
 * Returns RC_OK, or RC_NEGATIVE with *bad_node set.
 */
extern int	rc_rank_intervals(const RcProblem *p, RcAlloc alloc, RcTick tick,
							  RcUnitResult *out, int *bad_node);

/* Quantile type 7 of k sorted values. */
extern double rc_quantile7_sorted(const int32_t *x, int64_t k, double p);

#endif							/* DTI_RANK_CORE_H */
