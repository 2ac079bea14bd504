/* The correctly rounded gradients of RMSNorm and LayerNorm (README
 * "Backward"): dx, dg and db from the exact stored x, g and dy, each
 * rounded once to the storage type. */
#ifndef NB_REFERENCE_BWD_H
#define NB_REFERENCE_BWD_H

#include "../kernels/kernel.h"
#include "reference.h"

/* The exact values (the double nearest each), beside the rounded outputs */
struct bwd_exact {
    double *dx; /* rows x n */
    double *dg; /* n */
    double *db; /* n (layernorm) */
};

/* Fills a->y (dx), a->dg and (layernorm) a->db like a backward kernel of
 * norm (NB_RMSNORM_BWD or NB_LAYERNORM_BWD) in dt; exact (its pointers may be NULL)
 * gets the exact values. A row with a NaN or Inf in x or dy, or any
 * non-finite gain, has NaN for every dx of the row (of every row, for a
 * gain), and so does a row whose D is 0 (all zeros, or constant for
 * layernorm, with eps = 0: y is 0/0); such a row makes every dg NaN; db is the IEEE sum of dy. counts->values
 * and ->undecided are added to. 0, -1 out of memory, -2 a norm without a
 * backward. */
int reference_bwd_compute(enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a,
                          const struct bwd_exact *exact, struct ref_counts *counts);

/* reference_bwd_compute by method: REF_METHOD_FAST tries the fast path
 * (reference_bwd_fast.h) first and goes to MPFR for a call it does not
 * decide (counted in counts->fallback_rows and _values); the outputs are
 * the same bits either way. */
int reference_bwd_compute_with(enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a,
                               const struct bwd_exact *exact, enum ref_method method, struct ref_counts *counts);

#endif
