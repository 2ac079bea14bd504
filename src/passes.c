#include "passes.h"

#include <stdio.h>
#include <stdlib.h>

#include "rounds.h"

size_t passes_for(const struct nb_suite *s)
{
    if (s->schedule == NB_SCHEDULE_SEQUENTIAL || s->passes < 1)
        return 1;
    return s->passes < s->reps ? s->passes : s->reps;
}

static size_t group_rows_max(const struct group_env *env, const struct run_plan *p)
{
    size_t most = 1;
    for (size_t gi = 0; gi < p->ngroups; gi++)
        if (p->groups[gi].count > most)
            most = p->groups[gi].count;
    return most * (env->nsides > 1 ? env->nsides : 1);
}

static enum nb_status count_all(const struct group_env *env, const struct run_plan *p, const struct pass_hooks *h,
                                struct perf_row *rows, char *err, size_t errlen)
{
    for (size_t gi = 0; gi < p->ngroups; gi++) {
        size_t got = 0;
        enum nb_status st = group_count(env, p, &p->groups[gi], rows, &got, err, errlen);
        if (st != NB_OK)
            return st;
        if (h->rows(h->ctx, gi, NB_OK, rows, got))
            break;
    }
    return NB_OK;
}

/* Group gi's rows to the hook (and the group freed); nonzero: stop. */
static int hand_over(const struct group_env *env, const struct run_plan *p, size_t gi, struct group_rounds **gr,
                     enum nb_status st, struct perf_row *rows, const struct pass_hooks *h, enum nb_status *failed)
{
    size_t got = 0;
    if (group_rows(env, p, &p->groups[gi], p->groups[gi].id, gr[gi], rows, &got) != NB_OK) {
        for (size_t k = 0; k < got; k++)
            free(rows[k].samples);
        *failed = NB_ERR_NOMEM;
        return 1;
    }
    group_rounds_free(gr[gi]);
    gr[gi] = NULL;
    return h->rows(h->ctx, gi, st, rows, got);
}

/* Pass q runs rounds [q R / P, (q + 1) R / P) of every group; a group's
 * rows are final after its last pass, or at an interrupt. */
static enum nb_status measure_passes(const struct group_env *env, const struct run_plan *p,
                                     const struct pass_hooks *h, struct group_rounds **gr, struct perf_row *rows,
                                     char *err, size_t errlen)
{
    const size_t passes = passes_for(env->suite), reps = env->suite->reps;
    enum nb_status st = NB_OK;
    size_t kept = 0;
    for (size_t gi = 0; st == NB_OK && gi < p->ngroups; gi++) {
        const size_t bytes = plan_group_bytes(p, &p->groups[gi]);
        const int keep = passes > 1 && kept + bytes <= env->keep_bytes;
        kept += keep ? bytes : 0;
        if (!(gr[gi] = group_rounds_new(env, &p->groups[gi], keep)))
            st = NB_ERR_NOMEM;
    }
    int stop = 0;
    for (size_t q = 0; st == NB_OK && !stop && q < passes; q++)
        for (size_t gi = 0; st == NB_OK && !stop && gi < p->ngroups; gi++) {
            const size_t first = q * reps / passes, count = (q + 1) * reps / passes - first;
            st = group_pass(env, p, &p->groups[gi], p->groups[gi].id, gr[gi], first, count, err, errlen);
            if (h->progress && st == NB_OK)
                h->progress(h->ctx, q * p->ngroups + gi + 1, passes * p->ngroups, gi);
            if (st == NB_OK && q + 1 == passes)
                stop = hand_over(env, p, gi, gr, NB_OK, rows, h, &st);
        }
    for (size_t gi = 0; st == NB_ERR_INTERRUPTED && !stop && gi < p->ngroups; gi++)
        if (gr[gi])
            stop = hand_over(env, p, gi, gr, NB_ERR_INTERRUPTED, rows, h, &st);
    return st;
}

enum nb_status plan_measure(const struct group_env *env, const struct run_plan *p, const struct pass_hooks *h,
                            char *err, size_t errlen)
{
    struct perf_row *rows = calloc(group_rows_max(env, p), sizeof *rows);
    struct group_rounds **gr = calloc(p->ngroups ? p->ngroups : 1, sizeof *gr);
    enum nb_status st = NB_ERR_NOMEM;
    snprintf(err, errlen, "out of memory planning the measurement");
    if (rows && gr)
        st = env->callgrind ? count_all(env, p, h, rows, err, errlen) : measure_passes(env, p, h, gr, rows, err, errlen);
    for (size_t gi = 0; gr && gi < p->ngroups; gi++)
        group_rounds_free(gr[gi]);
    free(gr);
    free(rows);
    return st;
}
