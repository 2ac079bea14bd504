/* Measuring one shape group of a plan: shared buffers, a bench per job and
 * per copy ceiling, the rounds, and the result rows with their paired
 * ratios. */
#ifndef NB_SHAPE_GROUP_H
#define NB_SHAPE_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "ceilings.h"
#include "counters.h"
#include "measure.h"
#include "plan.h"
#include "results.h"

/* What every group of a run shares. */
struct group_env {
    const struct nb_suite *suite;
    const struct measure_config *mc;     /* timing discipline; threads, counters, spans set per job */
    struct counters *ctr;                /* counted on one-thread jobs */
    const struct ceiling *ceil;          /* per tier: the copy to time in the rounds */
    size_t llc_bytes;                    /* warm-up calls pay only below this footprint */
    int callgrind;                       /* count instructions under valgrind, do not time */
    uint64_t seed;
    /* ab: every job is timed from nsides kernel libraries in the same
     * rounds; side_fn gives side s's code for a variant. nsides 0 or 1 with
     * side_fn NULL: the registry's own (run). */
    size_t nsides;
    nb_kernel_fn (*side_fn)(const void *ctx, const struct nb_variant *v, size_t side);
    const void *side_ctx;
};

/* Measures group g into rows[0 .. g->count * nsides) (side s's rows from
 * s * g->count on; ceil NULL: no ceiling, shares n/a): NB_OK, NB_ERR_NOMEM (err says
 * what could not be allocated) or NB_ERR_INTERRUPTED (rows of completed
 * rounds kept). *done gets the rows filled (0 when interrupted before a
 * round completed). Rows own their samples (free them). */
enum nb_status group_measure(const struct group_env *env, const struct run_plan *p, const struct shape_group *g,
                             size_t group_index, struct perf_row *rows, size_t *done, char *err, size_t errlen);

/* A result row for job j, every measurement still n/a. */
void perf_row_init(struct perf_row *r, const struct job *j, int cold);

/* Fills rows[i]'s speedup_vs_naive and speedup_rms_vs_ln from the other
 * rows of its group, paired round by round (rows of one group only). */
void group_speedups(struct perf_row *rows, size_t count);

#endif
