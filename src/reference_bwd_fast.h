/* The fast path of the backward reference (src/reference_bwd_fast.c):
 * double-word gradients with proven bounds, which decide the rounding of
 * almost every output; a call they do not decide goes to MPFR. */
#ifndef NB_REFERENCE_BWD_FAST_H
#define NB_REFERENCE_BWD_FAST_H

#include "reference_bwd.h"

enum ref_bwd_fast_status {
    REF_BWD_FAST_DONE,    /* every dx, dg (and db) decided and written */
    REF_BWD_FAST_UNSURE,  /* outputs the bound did not decide (ties, near-ties): *unsure of them */
    REF_BWD_FAST_SPECIAL, /* inputs outside the path: NaN, Inf, D not clearly positive, extreme magnitudes */
    REF_BWD_FAST_NOMEM
    /* but for DONE, the outputs are partly written and must be recomputed */
};

/* As reference_bwd_compute for norm (NB_RMSNORM_BWD or NB_LAYERNORM_BWD);
 * exact (or its pointers) may be NULL. */
int reference_bwd_fast(enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a, const struct bwd_exact *exact,
                       size_t *unsure);

#endif
