/* What a sweep writes: sweep.csv, summary.md with its plots, and which
 * cells fail the study (SPEC section 9). */
#ifndef NB_SWEEP_REPORT_H
#define NB_SWEEP_REPORT_H

#include <stddef.h>

#include "accuracy.h"
#include "config.h"
#include "registry.h"
#include "study.h"

/* One cell of the grid for one variant. */
struct sweep_row {
    const struct nb_variant *v;
    size_t n;
    double eps;
    struct nb_distribution dist;
    struct accuracy_summary s;
    /* the line's break points along the scale axis (sweep_breaks.h), the
     * same on every row of the line; NAN: none in range */
    double holds_from, breaks_at, kept_from, lost_from;
    double accurate_from; /* sweep_breaks.h */
};

/* The cell is a result on the kernel that holds: within its bound, or a
 * nat variant that did not break; never a cell whose inputs were lost. */
int sweep_cell_holds(const struct nb_variant *v, const struct accuracy_summary *s);

/* 0, or an exit status with err set. nrows_data: rows of data per cell. */
int sweep_write_csv(const char *path, const struct sweep_row *rows, size_t count, size_t nrows_data, char *err,
                    size_t errlen);
/* summary.md (and plots/ with plots) in dir: 0, or nonzero when it could
 * not be written (said on stderr). cache NULL: a merged sweep, whose
 * reference figures are its parts'. */
int sweep_write_summary(const char *dir, const struct sweep_row *rows, size_t done, const struct nb_suite *s,
                        const char *config, const struct ref_cache *cache, int plots, const char *note);
/* Scales beyond every storage type's range (below 2^-150, where even f32
 * flushes every input, or from 2^128, where it overflows them) are clamped
 * to that range and merged; note says what was done, or stays empty. */
void sweep_clamp_scales(struct nb_suite *s, char *note, size_t len);

/* Each cell that fails the study (study_cell_fails) named on stderr; the count. */
size_t sweep_bounded_failures(const struct sweep_row *rows, size_t count);

#endif
