/* Measuring a whole plan: each group's rounds spread over several passes
 * of the plan, so that they sample the whole run's time and not one
 * stretch of it.
 *
 * Interleaving cancels what the host does during a round, but not a burst
 * of load that lasts as long as one group's rounds: with every round of a
 * shape taken within a second or two, a neighbour's few busy seconds slow
 * every round of that shape (and a memory-bound kernel more than a
 * compute-bound one), and the run's ratio for that shape moves with it.
 * With P passes, pass q runs rounds [q R / P, (q + 1) R / P) of every
 * group in turn: a burst then reaches a fraction of a group's rounds, and
 * the median of the per-round ratios passes over it. Each pass sets the
 * group's buffers up again (same data; 2 MiB pages keep their cache
 * placement) with the first pass's calibration. */
#ifndef NB_PASSES_H
#define NB_PASSES_H

#include <stddef.h>

#include "shape_group.h"

struct pass_hooks {
    void *ctx;
    /* Group gi's rows are final: rows[0 .. got), which the hook now owns
     * (their samples). st is NB_OK or NB_ERR_INTERRUPTED (partial rounds).
     * Nonzero stops the measurement. */
    int (*rows)(void *ctx, size_t gi, enum nb_status st, struct perf_row *rows, size_t got);
    /* After each group's pass: `done` of `total` group passes. May be NULL. */
    void (*progress)(void *ctx, size_t done, size_t total, size_t gi);
};

/* The passes a suite's groups are measured in: suite->passes, at most
 * reps; 1 under the sequential schedule. */
size_t passes_for(const struct nb_suite *s);

/* Measures every group of p (counts them under callgrind), calling
 * hooks->rows per group as its rows become final: in the last pass, or for
 * every group when interrupted. NB_OK, NB_ERR_INTERRUPTED, or NB_ERR_NOMEM
 * (err says what; no rows for the groups not yet final). */
enum nb_status plan_measure(const struct group_env *env, const struct run_plan *p, const struct pass_hooks *hooks,
                            char *err, size_t errlen);

#endif
