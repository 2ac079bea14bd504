/* One accuracy measurement: a variant on seeded rows against the MPFR
 * reference, which is cached and shared by every variant of the same norm,
 * dtype and data. Used by run (sampled rows), sweep (grids) and the tests. */
#ifndef NB_STUDY_H
#define NB_STUDY_H

#include <stddef.h>
#include <stdint.h>

#include "accuracy.h"
#include "datagen.h"
#include "registry.h"

struct study_cell {
    size_t rows, n;
    double eps, p;
    struct nb_distribution dist;
    uint64_t seed;
};

struct ref_cache {
    int valid;
    enum nb_norm norm;
    enum nb_dtype dt;
    struct study_cell cell;
    void *y;           /* correctly rounded */
    double *exact;     /* nearest double to the exact value */
    size_t ref_values; /* reference elements computed so far (for speed figures) */
    double ref_seconds;
};

/* Runs v on the cell's data and adds every output to *out. Returns 0, or 3
 * when out of memory. */
int study_measure(const struct nb_variant *v, const struct study_cell *cell, struct ref_cache *cache,
                  struct accuracy_summary *out);

void ref_cache_free(struct ref_cache *c);

/* The cell's inputs_lost (accuracy.h) without running anything: what
 * storing its data in v's dtype loses. 0 also when out of memory. */
size_t study_inputs_lost(const struct nb_variant *v, const struct study_cell *cell);

/* Does this cell fail a study (SPEC section 9)? Only a bounded (not `nat`)
 * variant on well-conditioned inputs can: normal or uniform rows, scale
 * within 2^-4 to 2^4, eps > 0, and then when its error at the terms exceeds
 * its bound or it gave NaN, Inf or zero where the reference is finite.
 * Out-of-range scales and `nat` variants are what studies are for. */
int study_cell_fails(const struct nb_variant *v, const struct nb_distribution *dist, double eps,
                     const struct accuracy_summary *s);

#endif
