#include "shape_group.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datagen.h"
#include "instr_count.h"
#include "paired.h"
#include "rounds.h"
#include "stats.h"
#include "study.h"
#include "topology.h"

/* Buffers shared by the jobs of a group: one set per dtype, so that every
 * variant of a dtype reads the same x, g, b and writes the same y, and a
 * round does not evict another variant's inputs. */
struct group_buffers {
    void *x[NB_DTYPE_COUNT], *y[NB_DTYPE_COUNT], *res[NB_DTYPE_COUNT];
    void *g[NB_DTYPE_COUNT], *gemma_g[NB_DTYPE_COUNT], *b[NB_DTYPE_COUNT];
    /* backward jobs: dy read; dg and db written, one n-vector per thread
     * (the partial a thread of a real kernel owns) */
    void *dy[NB_DTYPE_COUNT], *dg[NB_DTYPE_COUNT], *db[NB_DTYPE_COUNT];
    size_t rows[NB_DTYPE_COUNT], n, grad_threads[NB_DTYPE_COUNT];
    int residual[NB_DTYPE_COUNT];   /* an addrmsnorm job of the dtype needs one */
    void *work;
    size_t work_bytes;
    float *cx[NB_TIER_COUNT], *cy[NB_TIER_COUNT];   /* the copy ceiling's, per tier */
    size_t copy_floats[NB_TIER_COUNT];
};

static void buffers_free(struct group_buffers *gb)
{
    for (int d = 0; d < NB_DTYPE_COUNT; d++) {
        size_t xy = gb->rows[d] * gb->n * nb_dtype_size((enum nb_dtype)d), row = gb->n * nb_dtype_size((enum nb_dtype)d);
        topology_free(gb->x[d], xy);
        topology_free(gb->y[d], xy);
        topology_free(gb->res[d], xy);
        topology_free(gb->g[d], row);
        topology_free(gb->gemma_g[d], row);
        topology_free(gb->b[d], row);
        topology_free(gb->dy[d], gb->grad_threads[d] ? xy : 0);
        topology_free(gb->dg[d], gb->grad_threads[d] * row);
        topology_free(gb->db[d], gb->grad_threads[d] * row);
    }
    topology_free(gb->work, gb->work_bytes);
    for (int t = 0; t < NB_TIER_COUNT; t++) {
        topology_free(gb->cx[t], gb->copy_floats[t] * 4);
        topology_free(gb->cy[t], gb->copy_floats[t] * 4);
    }
}

/* DATAGEN_DISTINCT_ROWS generated rows, repeated */
static void fill_inputs(struct group_buffers *gb, enum nb_dtype dt, const struct nb_suite *s)
{
    const size_t es = nb_dtype_size(dt), rows = gb->rows[dt], n = gb->n;
    const size_t block = rows < DATAGEN_DISTINCT_ROWS ? rows : DATAGEN_DISTINCT_ROWS;
    datagen_fill(gb->x[dt], block, n, dt, &s->dist, s->seed);
    study_repeat_rows(gb->x[dt], block, rows, n * es);
    datagen_gain(gb->g[dt], n, dt, 0, s->seed);
    datagen_gain(gb->gemma_g[dt], n, dt, 1, s->seed);
    datagen_bias(gb->b[dt], n, dt, s->seed);
    memset(gb->y[dt], 0, rows * n * es);
    /* zeros: the residual grows by x each call; from zero it stays finite
     * over any run length that matters */
    if (gb->res[dt])
        memset(gb->res[dt], 0, rows * n * es);
    /* the gradient of y: N(0, 1) whatever x's distribution, from the seed + 2
     * (study_backward.c generates the same) */
    if (gb->dy[dt] && s->dy_is_x)
        memcpy(gb->dy[dt], gb->x[dt], rows * n * es);
    else if (gb->dy[dt]) {
        const struct nb_distribution unit = {.kind = NB_DIST_NORMAL, .scale = 1.0};
        datagen_fill(gb->dy[dt], block, n, dt, &unit, s->seed + 2);
        study_repeat_rows(gb->dy[dt], block, rows, n * es);
    }
}

static int buffers_alloc(struct group_buffers *gb, const struct run_plan *p, const struct shape_group *g,
                         const struct nb_suite *s, int with_ceiling)
{
    memset(gb, 0, sizeof *gb);
    gb->n = p->jobs[g->first].n;
    for (size_t k = g->first; k < g->first + g->count; k++) {
        const struct job *j = &p->jobs[k];
        enum nb_dtype d = j->v->dtype;
        if (j->rows > gb->rows[d])
            gb->rows[d] = j->rows;
        gb->residual[d] |= norm_uses_residual(j->v->norm);
        if (norm_is_backward(j->v->norm) && j->threads > gb->grad_threads[d])
            gb->grad_threads[d] = j->threads;
        size_t w = registry_workspace_bytes(j->v, (j->rows + j->threads - 1) / j->threads, j->n) * j->threads;
        if (w > gb->work_bytes)
            gb->work_bytes = w;
        /* the copy's footprint is x and y's (backward: x, dy and dx) */
        size_t floats = j->rows * plan_stream_bytes(j->v, j->n) / 8;
        if (with_ceiling && floats > gb->copy_floats[j->tier])
            gb->copy_floats[j->tier] = floats < 64 ? 64 : floats;
    }
    for (int d = 0; d < NB_DTYPE_COUNT; d++) {
        if (!gb->rows[d])
            continue;
        size_t xy = gb->rows[d] * gb->n * nb_dtype_size((enum nb_dtype)d), row = gb->n * nb_dtype_size((enum nb_dtype)d);
        gb->x[d] = topology_alloc(xy);
        gb->y[d] = topology_alloc(xy);
        gb->res[d] = gb->residual[d] ? topology_alloc(xy) : NULL;
        gb->g[d] = topology_alloc(row);
        gb->gemma_g[d] = topology_alloc(row);
        gb->b[d] = topology_alloc(row);
        if (!gb->x[d] || !gb->y[d] || (gb->residual[d] && !gb->res[d]) || !gb->g[d] || !gb->gemma_g[d] || !gb->b[d])
            return -1;
        if (gb->grad_threads[d] && (!(gb->dy[d] = topology_alloc(xy)) ||
                                    !(gb->dg[d] = topology_alloc(gb->grad_threads[d] * row)) ||
                                    !(gb->db[d] = topology_alloc(gb->grad_threads[d] * row))))
            return -1;
        fill_inputs(gb, (enum nb_dtype)d, s);
    }
    if (gb->work_bytes && !(gb->work = topology_alloc(gb->work_bytes)))
        return -1;
    for (int t = 0; t < NB_TIER_COUNT; t++) {
        if (!gb->copy_floats[t])
            continue;
        gb->cx[t] = topology_alloc(gb->copy_floats[t] * 4);
        gb->cy[t] = topology_alloc(gb->copy_floats[t] * 4);
        if (!gb->cx[t] || !gb->cy[t])
            return -1;
        for (size_t i = 0; i < gb->copy_floats[t]; i++) {
            gb->cx[t][i] = (float)(i % 1024) * 0.5f;
            gb->cy[t][i] = 0;
        }
    }
    return 0;
}

static size_t sides(const struct group_env *env)
{
    return env->nsides > 1 ? env->nsides : 1;
}

static nb_kernel_fn side_code(const struct group_env *env, const struct nb_variant *v, size_t side)
{
    return env->side_fn ? env->side_fn(env->side_ctx, v, side) : v->fn;
}

size_t group_nt_threshold(const struct group_env *env, unsigned threads)
{
    return ceiling_nt_threshold(env->ceil ? &env->ceil[NB_TIER_DRAM] : NULL, env->llc_bytes, threads, NULL, 0);
}

static struct nb_args job_args(const struct group_buffers *gb, const struct job *j, const struct group_env *env)
{
    enum nb_dtype d = j->v->dtype;
    size_t nt = group_nt_threshold(env, (unsigned)j->threads);
    const int bwd = norm_is_backward(j->v->norm);
    return (struct nb_args){.rows = j->rows, .n = j->n, .x = gb->x[d], .y = gb->y[d],
                            .g = j->v->norm == NB_GEMMARMSNORM ? gb->gemma_g[d] : gb->g[d], .b = gb->b[d],
                            .residual = norm_uses_residual(j->v->norm) ? gb->res[d] : NULL, .eps = j->eps,
                            .p = env->suite->p, .work = gb->work, .nt_threshold_bytes = nt,
                            .l1_bytes = env->l1_bytes, .dy = bwd ? gb->dy[d] : NULL, .dg = bwd ? gb->dg[d] : NULL,
                            .db = bwd && norm_has_db(j->v->norm) ? gb->db[d] : NULL};
}

static struct measure_config job_config(const struct group_env *env, const struct job *j, const struct nb_args *a)
{
    struct measure_config c = *env->mc;
    const size_t es = nb_dtype_size(j->v->dtype), xy = j->rows * j->n * es;
    c.threads = j->threads;
    c.counters = j->threads == 1 ? env->ctr : NULL;
    c.work_stride = registry_workspace_bytes(j->v, (j->rows + j->threads - 1) / j->threads, j->n);
    c.warm_each_rep = j->rows * plan_stream_bytes(j->v, j->n) <= env->llc_bytes;
    c.nspans = 0;
    const void *spans[] = {a->x, a->y, a->g, a->b, a->residual, a->work, a->dy, a->dg, a->db};
    const size_t grads = j->threads * j->n * es;
    size_t sizes[] = {xy, xy, j->n * es, j->n * es, a->residual ? xy : 0, c.work_stride * j->threads,
                      a->dy ? xy : 0, a->dg ? grads : 0, a->db ? grads : 0};
    for (int k = 0; k < 9; k++)
        if (spans[k] && sizes[k])
            c.spans[c.nspans++] = (struct flush_span){spans[k], sizes[k]};
    return c;
}

void perf_row_init(struct perf_row *r, const struct job *j, int cold)
{
    memset(r, 0, sizeof *r);
    r->v = j->v;
    r->rows = j->rows;
    r->n = j->n;
    r->threads = j->threads;
    r->eps = j->eps;
    r->cold = cold;
    r->tier = j->tier;
    r->bytes = (double)plan_footprint_bytes(j->v, j->rows, j->n);
    r->time.min = r->time.median = r->time.mean = r->time.stddev = r->time.mad = r->time.cv = NAN;
    r->bandwidth_gbs = r->ceiling_gbs = r->roofline_share = r->tsc_per_elem = NAN;
    r->speedup_vs_naive = r->speedup_rms_vs_ln = r->instructions_per_call = NAN;
    r->l1_lines_per_call = r->l2_lines_per_call = NAN;
    r->share_ci = r->naive_ci = r->rms_ln_ci = (struct ratio_ci){NAN, NAN, NAN, 0};
    for (size_t e = 0; e < NB_MAX_EVENTS; e++)
        r->events_per_call[e] = NAN;
}

/* count, do not time: times under valgrind mean nothing */
static void count_group(const struct group_env *env, const struct run_plan *p, const struct shape_group *g,
                        const struct group_buffers *gb, struct perf_row *rows)
{
    for (size_t s = 0; s < sides(env); s++)
        for (size_t k = 0; k < g->count; k++) {
            const struct job *j = &p->jobs[g->first + k];
            struct nb_args a = job_args(gb, j, env);
            struct perf_row *r = &rows[s * g->count + k];
            char why[300] = "";
            perf_row_init(r, j, env->suite->cold);
            r->side = s;
            r->p = env->suite->p;
            struct callgrind_counts cc;
            const int counted = instr_count_callgrind(side_code(env, j->v, s), &a, 3, &cc, why, sizeof why) == 0;
            r->instructions_per_call = cc.instructions;
            r->l1_lines_per_call = cc.l1_lines;
            r->l2_lines_per_call = cc.l2_lines;
            snprintf(r->note, sizeof r->note, "%s",
                     !counted ? why
                     : isnan(cc.l1_lines) ? "instructions counted by callgrind; not timed"
                                          : "instructions and simulated cache lines counted by callgrind; not timed");
        }
}

static void row_counters(const struct group_env *env, const struct round_samples *rs, size_t bench, size_t calls,
                         struct perf_row *r)
{
    struct counters *ctr = env->ctr;
    double *per = malloc((rs->rounds ? rs->rounds : 1) * sizeof *per);
    for (size_t e = 0; per && e < ctr->count; e++) {
        if (!ctr->available[e])
            continue;
        for (size_t k = 0; k < rs->rounds; k++)
            per[k] = (double)rs->events[(bench * rs->reps + k) * rs->nevents + e] / (double)calls;
        r->events_per_call[e] = stats_median_inplace(per, rs->rounds);
        if (env->suite->count_instructions && !strcmp(ctr->names[e], "PAPI_TOT_INS"))
            r->instructions_per_call = r->events_per_call[e];
    }
    free(per);
    counters_note(ctr, r->note, sizeof r->note);
}

/* Row k from its bench's rounds; the ceiling bench of its tier is cb. */
static int fill_row(const struct group_env *env, const struct job *j, const struct round_samples *rs, size_t bench,
                    size_t cb, size_t copy_floats, size_t calls, const char *warning, struct perf_row *r)
{
    perf_row_init(r, j, env->suite->cold);
    const double *ns = &rs->ns_per_call[bench * rs->reps];
    const double *cns = cb != SIZE_MAX ? &rs->ns_per_call[cb * rs->reps] : NULL;
    r->reps = rs->rounds;
    r->calls = calls;
    r->samples = malloc((rs->rounds ? rs->rounds : 1) * sizeof *r->samples);
    double *copy_bw = malloc((rs->rounds ? rs->rounds : 1) * sizeof *copy_bw);
    double *num = malloc((rs->rounds ? rs->rounds : 1) * sizeof *num);
    double *tsc = malloc((rs->rounds ? rs->rounds : 1) * sizeof *tsc);
    int rc = -1;
    if (r->samples && copy_bw && num && tsc && stats_compute(ns, rs->rounds, &r->time) == 0) {
        const double copy_bytes = (double)copy_floats * 8;
        memcpy(r->samples, ns, rs->rounds * sizeof *ns);
        r->nsamples = rs->rounds;
        r->bandwidth_gbs = r->bytes / r->time.median;
        for (size_t k = 0; k < rs->rounds; k++)
            tsc[k] = rs->tsc_per_call[bench * rs->reps + k];
        if (cns) {
            for (size_t k = 0; k < rs->rounds; k++) {
                copy_bw[k] = copy_bytes / cns[k];
                /* share per round: (bytes / t) over (copy bytes / copy t) */
                num[k] = r->bytes * cns[k];
            }
            r->ceiling_gbs = stats_median_inplace(copy_bw, rs->rounds);
            for (size_t k = 0; k < rs->rounds; k++)
                copy_bw[k] = copy_bytes * ns[k];
            paired_ratio(num, copy_bw, rs->rounds, &r->share_ci);
            ratio_ci_widen(&r->share_ci, PAIRED_RUN_FLOOR);
            r->roofline_share = r->share_ci.mid;
        }
        r->tsc_per_elem = stats_median_inplace(tsc, rs->rounds) / (double)(j->rows * j->n);
        if (j->threads == 1 && env->ctr && env->ctr->count)
            row_counters(env, rs, bench, r->calls, r);
        else if (env->ctr && env->ctr->count)
            snprintf(r->note, sizeof r->note, "not counted: counters follow one thread, this row has %zu", j->threads);
        if (warning[0])
            snprintf(r->note + strlen(r->note), sizeof r->note - strlen(r->note), "%s%s", r->note[0] ? "; " : "",
                     warning);
        rc = 0;
    }
    free(copy_bw);
    free(num);
    free(tsc);
    return rc;
}

/* The fastest of a tier's copies in each round, kept as the first copy
 * bench's samples: what fill_row pairs every row with. */
static void ceiling_of_rounds(struct round_samples *rs, size_t first, size_t count)
{
    for (size_t j = 1; first != SIZE_MAX && j < count; j++)
        for (size_t k = 0; k < rs->rounds; k++) {
            double *best = &rs->ns_per_call[first * rs->reps + k];
            const double other = rs->ns_per_call[(first + j) * rs->reps + k];
            if (other < *best)
                *best = other;
        }
}

void group_speedups(struct perf_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct perf_row *r = &rows[i];
        for (size_t k = 0; k < count; k++) {
            const struct perf_row *o = &rows[k];
            if (o->side != r->side || o->n != r->n || o->rows != r->rows || o->eps != r->eps || o->threads != r->threads ||
                o->cold != r->cold || o->v->dtype != r->v->dtype || o->v->mode != r->v->mode ||
                o->nsamples != r->nsamples)
                continue;
            if (o == r && (o->v->flags & NB_V_BASELINE))
                r->naive_ci = (struct ratio_ci){1.0, NAN, NAN, r->nsamples}; /* by definition, no interval */
            else if (o->v->norm == r->v->norm && (o->v->flags & NB_V_BASELINE)) {
                paired_ratio(o->samples, r->samples, r->nsamples, &r->naive_ci);
                ratio_ci_widen(&r->naive_ci, PAIRED_RUN_FLOOR);
            }
            /* RMSNorm against LayerNorm of the same algorithm and ISA, in
             * the same pass: fused RMSNorm is set against twopass
             * LayerNorm, the fused one both frameworks ship */
            if (((r->v->norm == NB_RMSNORM && o->v->norm == NB_LAYERNORM) ||
                 (r->v->norm == NB_RMSNORM_BWD && o->v->norm == NB_LAYERNORM_BWD)) && o->v->isa == r->v->isa &&
                (strcmp(o->v->algorithm, r->v->algorithm) == 0 ||
                 (strcmp(r->v->algorithm, "fused") == 0 && strcmp(o->v->algorithm, "twopass") == 0))) {
                paired_ratio(o->samples, r->samples, r->nsamples, &r->rms_ln_ci);
                ratio_ci_widen(&r->rms_ln_ci, PAIRED_RUN_FLOOR);
            }
        }
        r->speedup_vs_naive = r->naive_ci.mid;
        r->speedup_rms_vs_ln = r->rms_ln_ci.mid;
    }
}

/* Opens a bench per job, then per tier one per copy implementation;
 * cbench[t] is the first of tier t's ceiling benches, ncbench[t] their
 * count. */
static int open_benches(const struct group_env *env, const struct run_plan *p, const struct shape_group *g,
                        const struct group_buffers *gb, struct bench **benches, size_t *nb, size_t *cbench,
                        size_t *ncbench)
{
    *nb = 0;
    for (size_t s = 0; s < sides(env); s++)
        for (size_t k = 0; k < g->count; k++) {
            const struct job *j = &p->jobs[g->first + k];
            struct nb_args a = job_args(gb, j, env);
            struct measure_config c = job_config(env, j, &a);
            if (!(benches[(*nb)++] = bench_open(side_code(env, j->v, s), &a, nb_dtype_size(j->v->dtype), &c)))
                return -1;
        }
    for (int t = 0; t < NB_TIER_COUNT; t++) {
        cbench[t] = SIZE_MAX;
        ncbench[t] = 0;
        if (!gb->copy_floats[t] || !env->ceil)
            continue;
        struct nb_args a = {.rows = 1, .n = gb->copy_floats[t], .x = gb->cx[t], .y = gb->cy[t]};
        struct measure_config c = *env->mc;
        c.threads = 1;
        c.counters = NULL;
        c.work_stride = 0;
        c.warm_each_rep = gb->copy_floats[t] * 8 <= env->llc_bytes;
        c.nspans = 2;
        c.spans[0] = (struct flush_span){gb->cx[t], gb->copy_floats[t] * 4};
        c.spans[1] = (struct flush_span){gb->cy[t], gb->copy_floats[t] * 4};
        const struct ceiling *ce = env->ceil[t].nround_fns ? &env->ceil[t] : &env->ceil[NB_TIER_L1];
        cbench[t] = *nb;
        for (size_t f = 0; f < ce->nround_fns; f++) {
            if (!(benches[(*nb)++] = bench_open(ce->round_fns[f], &a, 4, &c)))
                return -1;
            ncbench[t]++;
        }
        if (!ncbench[t])
            return -1;
    }
    return 0;
}

/* What a group keeps between passes: its rounds so far, and each bench's
 * calibration and warning (benches and buffers live for one pass only). */
struct group_rounds {
    struct round_samples rs;
    size_t nb, cbench[NB_TIER_COUNT], ncbench[NB_TIER_COUNT], copy_floats[NB_TIER_COUNT];
    size_t *calls;            /* per bench: 0 until calibrated */
    char (*warning)[160];     /* per bench */
    int keep;                 /* buffers kept from pass to pass */
    struct group_buffers *gb; /* while kept */
};

struct group_rounds *group_rounds_new(const struct group_env *env, const struct shape_group *g, int keep_buffers)
{
    struct group_rounds *gr = calloc(1, sizeof *gr);
    if (gr)
        gr->keep = keep_buffers;
    size_t most = g->count * sides(env) + 5 * NB_TIER_COUNT;
    if (gr && (!(gr->calls = calloc(most, sizeof *gr->calls)) || !(gr->warning = calloc(most, sizeof *gr->warning)))) {
        group_rounds_free(gr);
        return NULL;
    }
    return gr;
}

void group_rounds_free(struct group_rounds *gr)
{
    if (!gr)
        return;
    round_samples_free(&gr->rs);
    if (gr->gb)
        buffers_free(gr->gb);
    free(gr->gb);
    free(gr->calls);
    free(gr->warning);
    free(gr);
}

size_t group_rounds_done(const struct group_rounds *gr)
{
    return gr->rs.rounds;
}

static void alloc_error(const struct run_plan *p, const struct shape_group *g, char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory allocating %.1f MiB for the shape n = %zu of %s",
             (double)plan_group_bytes(p, g) / (1 << 20), p->jobs[g->first].n, p->jobs[g->first].v->name);
}

/* The first pass calibrates every bench (or, sequential, runs them all);
 * later ones reuse its call counts. */
static enum nb_status pass_rounds(const struct group_env *env, size_t group_index, struct group_rounds *gr,
                                  struct bench *const *benches, size_t first, size_t count)
{
    const uint64_t seed = env->seed + group_index;
    enum nb_status st = NB_OK;
    if (!gr->calls[0]) {
        size_t nev = env->ctr ? env->ctr->count : 0;
        if (env->suite->schedule == NB_SCHEDULE_SEQUENTIAL)
            st = rounds_run(benches, gr->nb, env->suite->reps, nev, env->suite->schedule, seed, env->mc->interrupted,
                            &gr->rs);
        else if ((st = round_samples_init(&gr->rs, gr->nb, env->suite->reps, nev)) == NB_OK)
            st = rounds_calibrate(benches, gr->nb, env->mc->interrupted);
        for (size_t k = 0; k < gr->nb && gr->rs.ns_per_call; k++)
            gr->calls[k] = bench_calls(benches[k]);
        if (st != NB_OK || env->suite->schedule == NB_SCHEDULE_SEQUENTIAL)
            return st;
    } else {
        for (size_t k = 0; k < gr->nb; k++)
            bench_set_calls(benches[k], gr->calls[k]);
    }
    return rounds_run_range(benches, gr->nb, first, count, seed, env->mc->interrupted, &gr->rs);
}

enum nb_status group_pass(const struct group_env *env, const struct run_plan *p, const struct shape_group *g,
                          size_t group_index, struct group_rounds *gr, size_t first, size_t count, char *err,
                          size_t errlen)
{
    struct group_buffers local, *gbp = gr->gb ? gr->gb : &local;
    if (!gr->gb && buffers_alloc(gbp, p, g, env->suite, env->ceil != NULL) != 0) {
        alloc_error(p, g, err, errlen);
        buffers_free(gbp);
        return NB_ERR_NOMEM;
    }
    struct group_buffers gb = *gbp;
    const size_t nrows = g->count * sides(env);
    struct bench **benches = calloc(nrows + 5 * NB_TIER_COUNT, sizeof *benches);
    enum nb_status st = NB_ERR_NOMEM;
    size_t nb = 0;
    snprintf(err, errlen, "out of memory starting the measurement of n = %zu", p->jobs[g->first].n);
    if (benches && open_benches(env, p, g, &gb, benches, &nb, gr->cbench, gr->ncbench) == 0) {
        gr->nb = nb;
        memcpy(gr->copy_floats, gb.copy_floats, sizeof gr->copy_floats);
        st = pass_rounds(env, group_index, gr, benches, first, count);
        for (size_t k = 0; k < nb; k++)
            if (!gr->warning[k][0])
                snprintf(gr->warning[k], sizeof gr->warning[k], "%s", bench_warning(benches[k]));
    }
    for (size_t k = 0; benches && k < nb; k++)
        bench_close(benches[k]);
    free(benches);
    if (gr->keep && !gr->gb && (gr->gb = malloc(sizeof *gr->gb)))
        *gr->gb = gb;
    else if (!gr->gb)
        buffers_free(&gb);
    return st;
}

enum nb_status group_rows(const struct group_env *env, const struct run_plan *p, const struct shape_group *g,
                          size_t group_index, struct group_rounds *gr, struct perf_row *rows, size_t *done)
{
    *done = 0;
    const size_t nrows = g->count * sides(env);
    struct round_samples *rs = &gr->rs;
    if (!rs->rounds)
        return NB_OK;
    /* each round's ceiling is its fastest copy */
    for (int t = 0; t < NB_TIER_COUNT; t++)
        ceiling_of_rounds(rs, gr->cbench[t], gr->ncbench[t]);
    for (size_t k = 0; k < nrows; k++) {
        const struct job *j = &p->jobs[g->first + k % g->count];
        if (fill_row(env, j, rs, k, gr->cbench[j->tier], gr->copy_floats[j->tier], gr->calls[k], gr->warning[k],
                     &rows[k]) != 0)
            return NB_ERR_NOMEM;
        rows[k].round_group = group_index;
        rows[k].side = k / g->count;
        rows[k].schedule = schedule_name(env->suite->schedule);
        rows[k].p = env->suite->p;
        *done = k + 1;
    }
    group_speedups(rows, *done);
    return NB_OK;
}

enum nb_status group_count(const struct group_env *env, const struct run_plan *p, const struct shape_group *g,
                           struct perf_row *rows, size_t *done, char *err, size_t errlen)
{
    struct group_buffers gb;
    *done = 0;
    if (buffers_alloc(&gb, p, g, env->suite, 0) != 0) {
        alloc_error(p, g, err, errlen);
        buffers_free(&gb);
        return NB_ERR_NOMEM;
    }
    count_group(env, p, g, &gb, rows);
    *done = g->count * sides(env);
    buffers_free(&gb);
    return NB_OK;
}
