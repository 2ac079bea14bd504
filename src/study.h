/* One accuracy measurement: a variant on seeded rows against the correctly
 * rounded reference, which is cached and shared by every variant of the
 * same norm, dtype and data. Used by run (every row of a shape, or its
 * first rows), sweep (grids) and the tests. */
#ifndef NB_STUDY_H
#define NB_STUDY_H

#include <stddef.h>
#include <stdint.h>

#include "accuracy.h"
#include "datagen.h"
#include "reference.h"
#include "registry.h"

struct study_cell {
    size_t rows, n;
    size_t distinct;   /* rows of generated data, repeated to fill `rows` (as run's timed data); 0: all */
    double eps, p;
    int dy_is_x;       /* backward: dy = x, else N(0, 1) from the seed + 2 */
    struct nb_distribution dist;
    uint64_t seed;
};

/* A cell's inputs in one dtype, shared by every variant of that dtype. */
struct study_inputs {
    int valid, gemma;
    enum nb_dtype dt;
    struct study_cell cell;
    void *x, *g, *b, *res0;
    struct datagen_loss lost_x, lost_res;
};

void study_inputs_free(struct study_inputs *in);
/* in holds the cell's inputs in v's dtype (kept when they already do):
 * 0, or -1 out of memory */
int study_inputs_get(const struct nb_variant *v, const struct study_cell *c, struct study_inputs *in);
int study_same_cell(const struct study_cell *a, const struct study_cell *b);
/* what storing the cell's inputs in v's dtype lost (accuracy.h's inputs_lost) */
size_t study_inputs_lost_of(const struct nb_variant *v, const struct study_cell *c, const struct study_inputs *in);
/* rows [d, rows) of p repeat rows [0, d) */
void study_repeat_rows(void *p, size_t d, size_t rows, size_t row_bytes);
/* rows of generated data in the cell (the rest repeat them) */
size_t study_distinct_rows(const struct study_cell *c);
struct bwd_ref;

struct ref_cache {
    struct study_inputs in;
    int valid;
    enum nb_norm norm;
    enum nb_dtype dt;
    struct study_cell cell;
    void *y;           /* correctly rounded */
    double *exact;     /* nearest double to the exact value */
    size_t ref_values; /* reference elements computed so far (for speed figures) */
    double ref_seconds;
    void *y_kernel;           /* the variant's outputs, reused */
    size_t y_bytes;
    enum ref_method method;   /* set by the caller */
    struct ref_counts counts; /* what the computations so far did */
    struct bwd_ref *bwd;      /* the backward passes' (study_backward.c) */
};

/* Runs v on the cell's data and adds every output to *out. Returns 0, or 3
 * when out of memory. */
int study_measure(const struct nb_variant *v, const struct study_cell *cell, struct ref_cache *cache,
                  struct accuracy_summary *out);

void ref_cache_free(struct ref_cache *c);

/* One line for meta.csv: the method and what fell back to MPFR, e.g.
 * "fast; 2 of 4915200 values unsure, 2 rows (1536 values) to MPFR, 0 of them
 * with NaN or Inf inputs". */
void ref_cache_describe(const struct ref_cache *c, char *buf, size_t len);

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
