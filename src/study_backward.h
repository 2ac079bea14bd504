/* Accuracy of a backward variant (norm *-bwd) on a study cell: dx, dg and
 * db against the correctly rounded gradients (src/reference_bwd.c), each
 * error taken at the magnitude of the terms the gradient sums. */
#ifndef NB_STUDY_BACKWARD_H
#define NB_STUDY_BACKWARD_H

#include "study.h"

/* The magnitudes each gradient sums (README "Backward"): dx's from the
 * row's terms r g dy, r mean(g dy) and xhat r mean(g dy xhat) in absolute
 * value, dg's and db's the sums of |dy xhat| and |dy| over the rows. */
struct bwd_terms {
    double *dx; /* rows x n */
    double *dg; /* n */
    double *db; /* n */
};

/* t's arrays allocated and filled for a's rows (x, dy, g, eps) of norm in
 * dt: 0, or -1 out of memory (nothing left allocated). */
int bwd_terms_compute(enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a, struct bwd_terms *t);
void bwd_terms_free(struct bwd_terms *t);

/* study_measure for a backward variant: its dx, dg (and db) on the cell's
 * x, gains and a dy of N(0, 1) values (seed + 2) added to out, the
 * reference cached in cache->bwd for every variant of the norm and dtype.
 * 0, or 3 out of memory. */
int study_measure_backward(const struct nb_variant *v, const struct study_cell *c, struct ref_cache *cache,
                           struct accuracy_summary *out);

void bwd_ref_free(struct bwd_ref *r);

#endif
