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
    size_t l1_bytes;                     /* nb_args.l1_bytes: L1d per core, 0 unknown */
    int callgrind;                       /* count instructions under valgrind, do not time */
    uint64_t seed;
    /* ab: every job is timed from nsides kernel libraries in the same
     * rounds; side_fn gives side s's code for a variant. nsides 0 or 1 with
     * side_fn NULL: the registry's own (run). */
    size_t nsides;
    nb_kernel_fn (*side_fn)(const void *ctx, const struct nb_variant *v, size_t side);
    const void *side_ctx;
    /* passes.h: memory the groups' buffers may keep from one pass to the
     * next (setting a DRAM shape's buffers up again costs page faults and
     * zeroing every pass); 0: none kept */
    size_t keep_bytes;
};

/* A group's measurement, possibly spread over several passes of the plan
 * (passes.h): its rounds so far, each bench's calibration and, with
 * keep_buffers, its buffers from the first pass on (else each pass sets them
 * up again: the same data). NULL when out of memory. */
struct group_rounds;
struct group_rounds *group_rounds_new(const struct group_env *env, const struct shape_group *g, int keep_buffers);
void group_rounds_free(struct group_rounds *gr);
size_t group_rounds_done(const struct group_rounds *gr);

/* One pass over group g: its buffers (unless kept) and benches set up,
 * rounds first .. first + count - 1 run (the first pass calibrates; under
 * the sequential schedule it runs every repetition), torn down again. NB_OK,
 * NB_ERR_NOMEM (err says what could not be allocated) or NB_ERR_INTERRUPTED
 * (completed rounds kept). */
enum nb_status group_pass(const struct group_env *env, const struct run_plan *p, const struct shape_group *g,
                          size_t group_index, struct group_rounds *gr, size_t first, size_t count, char *err,
                          size_t errlen);

/* Group g's rows from its rounds so far: rows[0 .. g->count * nsides), side
 * s's from s * g->count on (ceil NULL: no ceiling, shares n/a), with their
 * paired ratios. *done gets the rows filled (0 when no round completed).
 * Rows own their samples (free them). Call once, after the last pass. */
enum nb_status group_rows(const struct group_env *env, const struct run_plan *p, const struct shape_group *g,
                          size_t group_index, struct group_rounds *gr, struct perf_row *rows, size_t *done);

/* Under callgrind: counts each job's instructions into rows, times nothing. */
enum nb_status group_count(const struct group_env *env, const struct run_plan *p, const struct shape_group *g,
                           struct perf_row *rows, size_t *done, char *err, size_t errlen);

/* nb_args.nt_threshold_bytes for a job of `threads` threads: the rule of
 * ceiling_nt_threshold, from this run's DRAM ceilings where it measured
 * them (env->ceil) and from the last-level cache alone where it did not
 * (ab), so that autont kernels stream in ab as they do in run. */
size_t group_nt_threshold(const struct group_env *env, unsigned threads);

/* A result row for job j, every measurement still n/a. */
void perf_row_init(struct perf_row *r, const struct job *j, int cold);

/* Fills rows[i]'s speedup_vs_naive and speedup_rms_vs_ln from the other
 * rows of its group, paired round by round (rows of one group only). */
void group_speedups(struct perf_row *rows, size_t count);

#endif
