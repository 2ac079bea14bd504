#include "study.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "study_backward.h"
#include "timer.h"

int study_same_cell(const struct study_cell *a, const struct study_cell *b)
{
    return a->rows == b->rows && a->distinct == b->distinct && a->dy_is_x == b->dy_is_x && a->n == b->n && a->eps == b->eps && a->p == b->p &&
           a->seed == b->seed && a->dist.kind == b->dist.kind && a->dist.scale == b->dist.scale && a->dist.offset == b->dist.offset &&
           a->dist.factor == b->dist.factor && a->dist.channels == b->dist.channels && a->dist.value == b->dist.value;
}

size_t study_distinct_rows(const struct study_cell *c)
{
    return c->distinct && c->distinct < c->rows ? c->distinct : c->rows;
}

/* rows [d, rows) repeat rows [0, d) */
void study_repeat_rows(void *p, size_t d, size_t rows, size_t row_bytes)
{
    for (size_t r0 = d; r0 < rows; r0 += d)
        memcpy((char *)p + r0 * row_bytes, p, (rows - r0 < d ? rows - r0 : d) * row_bytes);
}

/* The cell's inputs in v's dtype, generated once for every variant of that
 * dtype (and gain kind): x, g, b, and the residual from the same seed + 1
 * where the norm reads one. */
int study_inputs_get(const struct nb_variant *v, const struct study_cell *c, struct study_inputs *in)
{
    const int gemma = v->norm == NB_GEMMARMSNORM, residual = norm_uses_residual(v->norm);
    if (in->valid && in->dt == v->dtype && in->gemma == gemma && study_same_cell(&in->cell, c) &&
        (in->res0 || !residual))
        return 0;
    study_inputs_free(in);
    const size_t n = c->n, es = nb_dtype_size(v->dtype), total = c->rows * n, d = study_distinct_rows(c);
    in->x = malloc(total * es);
    in->res0 = residual ? malloc(total * es) : NULL;
    in->g = malloc(n * es);
    in->b = malloc(n * es);
    if (!in->x || (residual && !in->res0) || !in->g || !in->b) {
        study_inputs_free(in);
        return -1;
    }
    in->lost_x = datagen_fill(in->x, d, n, v->dtype, &c->dist, c->seed);
    study_repeat_rows(in->x, d, c->rows, n * es);
    datagen_gain(in->g, n, v->dtype, gemma, c->seed);
    datagen_bias(in->b, n, v->dtype, c->seed);
    if (residual) {
        struct nb_distribution rd = {.kind = NB_DIST_NORMAL, .scale = c->dist.scale};
        in->lost_res = datagen_fill(in->res0, d, n, v->dtype, &rd, c->seed + 1);
        study_repeat_rows(in->res0, d, c->rows, n * es);
    }
    in->dt = v->dtype;
    in->gemma = gemma;
    in->cell = *c;
    in->valid = 1;
    return 0;
}

/* How many inputs the storage type lost (x's, and the residual's where the
 * norm reads one) by the rule of accuracy.h's inputs_lost. */
size_t study_inputs_lost_of(const struct nb_variant *v, const struct study_cell *c, const struct study_inputs *in)
{
    struct datagen_loss l = in->lost_x;
    if (norm_uses_residual(v->norm)) {
        l.overflowed += in->lost_res.overflowed;
        l.flushed += in->lost_res.flushed;
    }
    /* one Inf ruins its row; a few tiny values flushed do not matter to a
     * norm, which sums squares: a cell is lost from 1% of them flushed */
    const size_t values = study_distinct_rows(c) * c->n * (norm_uses_residual(v->norm) ? 2 : 1);
    return l.overflowed || l.flushed * 100 >= values ? l.overflowed + l.flushed : 0;
}

void study_inputs_free(struct study_inputs *in)
{
    free(in->x);
    free(in->res0);
    free(in->g);
    free(in->b);
    in->x = in->res0 = in->g = in->b = NULL;
    in->valid = 0;
}

/* cache->y and cache->exact for v's norm on the cell's inputs */
static int reference_for(const struct nb_variant *v, const struct study_cell *c, struct ref_cache *cache,
                         void *res)
{
    if (cache->valid && cache->norm == v->norm && cache->dt == v->dtype && study_same_cell(&cache->cell, c))
        return 0;
    const size_t n = c->n, es = nb_dtype_size(v->dtype), total = study_distinct_rows(c) * n;
    const struct study_inputs *in = &cache->in;
    free(cache->y);
    free(cache->exact);
    cache->valid = 0;
    cache->y = malloc(total * es);
    cache->exact = malloc(total * sizeof *cache->exact);
    if (!cache->y || !cache->exact)
        return -1;
    if (res)
        memcpy(res, in->res0, total * es);
    struct nb_args ra = {.rows = study_distinct_rows(c), .n = n, .x = in->x, .y = cache->y, .g = in->g, .b = in->b,
                         .residual = res, .eps = c->eps, .p = c->p};
    int64_t t0 = timer_ns();
    if (reference_compute(v->norm, v->dtype, &ra, cache->y, cache->exact, cache->method, &cache->counts) != 0)
        return -1;
    cache->ref_seconds += (double)(timer_ns() - t0) / 1e9;
    cache->ref_values += total;
    cache->norm = v->norm;
    cache->dt = v->dtype;
    cache->cell = *c;
    cache->valid = 1;
    return 0;
}

/* The magnitude of the terms each output of a row sums, for max_ulp_terms:
 * LayerNorm's y_i sums x_i r g_i, every -x_j / n r g_i and b_i; gemma's is
 * the output over its gain 1 + g. */
static void term_scales(const struct nb_variant *v, const void *x, const void *g, const void *b, size_t n,
                        double eps, const double *exact, double *scale)
{
    const enum nb_dtype dt = v->dtype;
    if (v->norm == NB_GEMMARMSNORM) {
        for (size_t i = 0; i < n; i++)
            scale[i] = fabs(exact[i] / (1.0 + nb_load(g, i, dt)));
        return;
    }
    double mu = 0, mean_abs = 0, var = 0;
    for (size_t j = 0; j < n; j++) {
        mu += nb_load(x, j, dt);
        mean_abs += fabs(nb_load(x, j, dt));
    }
    mu /= (double)n;
    mean_abs /= (double)n;
    for (size_t j = 0; j < n; j++) {
        double d = nb_load(x, j, dt) - mu;
        var += d * d;
    }
    const double rs = 1.0 / sqrt(var / (double)n + eps);
    for (size_t i = 0; i < n; i++)
        scale[i] = (fabs(nb_load(x, i, dt)) + mean_abs) * rs * fabs(nb_load(g, i, dt)) + fabs(nb_load(b, i, dt));
}

/* A llama-mode variant's `up` twin: the same name with -up for -llama, if
 * it exists and runs here. */
static const struct nb_variant *up_twin(const struct nb_variant *v)
{
    const char *tail = strstr(v->name, "-llama");
    if (v->mode != NB_MODE_LLAMA || !tail)
        return NULL;
    char name[160];
    snprintf(name, sizeof name, "%.*s-up", (int)(tail - v->name), v->name);
    const struct nb_variant *w = registry_find(name);
    return w && !registry_unavailable(w) && w->norm == v->norm && w->dtype == v->dtype ? w : NULL;
}

/* out's twin figures: v's outputs y against its up twin's on a */
static int against_twin(const struct nb_variant *v, struct nb_args a, const void *y, struct accuracy_summary *out)
{
    const struct nb_variant *w = up_twin(v);
    if (!w)
        return 0;
    const size_t total = a.rows * a.n, wb = registry_workspace_bytes(w, a.rows, a.n);
    void *yw = malloc(total * nb_dtype_size(v->dtype)), *work = wb ? aligned_alloc(64, (wb + 63) / 64 * 64) : NULL;
    if (!yw || (wb && !work)) {
        free(yw);
        free(work);
        return -1;
    }
    a.y = yw;
    a.work = work;
    w->fn(&a);
    for (size_t k = 0; k < total; k++) {
        double mine = nb_load(y, k, v->dtype), theirs = nb_load(yw, k, v->dtype);
        double d = accuracy_ulp_error(mine, theirs, theirs, v->dtype);
        if (d > out->twin_max_ulp || isnan(d))
            out->twin_max_ulp = d;
        out->twin_equal += mine == theirs || (isnan(mine) && isnan(theirs));
    }
    out->twin_count += total;
    free(yw);
    free(work);
    return 0;
}

int study_measure(const struct nb_variant *v, const struct study_cell *c, struct ref_cache *cache,
                  struct accuracy_summary *out)
{
    if (norm_is_backward(v->norm))
        return study_measure_backward(v, c, cache, out);
    const size_t n = c->n, es = nb_dtype_size(v->dtype), total = c->rows * n;
    int rc = 3;
    /* the kernel's output buffer is kept: a fresh DRAM-sized one per
     * variant costs its page faults every time */
    if (cache->y_bytes < total * es) {
        free(cache->y_kernel);
        cache->y_kernel = malloc(total * es);
        cache->y_bytes = cache->y_kernel ? total * es : 0;
    }
    void *y = cache->y_kernel, *res = norm_uses_residual(v->norm) ? malloc(total * es) : NULL;
    size_t wb = registry_workspace_bytes(v, c->rows, n);
    void *work = wb ? aligned_alloc(64, (wb + 63) / 64 * 64) : NULL;
    const int scaled = v->norm == NB_LAYERNORM || v->norm == NB_GEMMARMSNORM;
    double *scale = scaled ? malloc(study_distinct_rows(c) * n * sizeof *scale) : NULL;
    struct accuracy_summary *first = malloc(study_distinct_rows(c) * sizeof *first);
    if (!y || (norm_uses_residual(v->norm) && !res) || (wb && !work) || (scaled && !scale) || !first ||
        study_inputs_get(v, c, &cache->in) != 0)
        goto done;
    const struct study_inputs *in = &cache->in;
    const void *x = in->x, *g = in->g, *b = in->b;
    out->inputs_lost = study_inputs_lost_of(v, c, in);
    if (reference_for(v, c, cache, res) != 0)
        goto done;
    if (res)
        memcpy(res, in->res0, total * es);
    struct nb_args a = {.rows = c->rows, .n = n, .x = x, .y = y, .g = g, .b = b, .residual = res, .eps = c->eps,
                        .p = c->p, .work = work};
    v->fn(&a);
    if (against_twin(v, a, y, out) != 0)
        goto done;
    /* every output is checked: a repeated row whose outputs equal, bit for
     * bit, those of its first occurrence (same inputs, same reference) adds
     * that occurrence's figures again; any other row is compared anew */
    const size_t d = study_distinct_rows(c), row_bytes = n * es;
    for (size_t r = 0; r < c->rows; r++) {
        const size_t ref_row = r % d; /* repeated rows share their reference and scales */
        const char *yr = (const char *)y + r * row_bytes;
        if (r >= d && memcmp(yr, (const char *)y + ref_row * row_bytes, row_bytes) == 0) {
            accuracy_merge(out, &first[ref_row]);
            continue;
        }
        const double *ex = cache->exact + ref_row * n;
        double *sc = scale ? scale + ref_row * n : NULL;
        if (sc && r < d)
            term_scales(v, (const char *)x + r * row_bytes, g, b, n, c->eps, ex, sc);
        struct accuracy_summary row = {0};
        accuracy_add_row(&row, yr, (const char *)cache->y + ref_row * row_bytes, ex, sc, n, v->dtype);
        accuracy_merge(out, &row);
        if (r < d)
            first[r] = row;
    }
    rc = 0;
done:
    free(res);
    free(work);
    free(scale);
    free(first);
    return rc;
}

size_t study_inputs_lost(const struct nb_variant *v, const struct study_cell *c)
{
    struct study_inputs in = {0};
    size_t lost = study_inputs_get(v, c, &in) == 0 ? study_inputs_lost_of(v, c, &in) : 0;
    study_inputs_free(&in);
    return lost;
}

void ref_cache_free(struct ref_cache *c)
{
    study_inputs_free(&c->in);
    bwd_ref_free(c->bwd);
    c->bwd = NULL;
    free(c->y_kernel);
    c->y_kernel = NULL;
    c->y_bytes = 0;
    free(c->y);
    free(c->exact);
    c->y = NULL;
    c->exact = NULL;
    c->valid = 0;
}

void ref_cache_describe(const struct ref_cache *c, char *buf, size_t len)
{
    const struct ref_counts *k = &c->counts;
    if (k->values == 0)
        snprintf(buf, len, "n/a (no reference values were computed)");
    else if (c->method == REF_METHOD_MPFR)
        snprintf(buf, len, "mpfr; %zu values", k->values);
    else
        snprintf(buf, len, "fast; %zu of %zu values unsure, %zu rows (%zu values) to MPFR, %zu of them with NaN or "
                 "Inf inputs or out of the fast path's range", k->unsure, k->values, k->fallback_rows,
                 k->fallback_values, k->special_rows);
}

int study_cell_fails(const struct nb_variant *v, const struct nb_distribution *dist, double eps,
                     const struct accuracy_summary *s)
{
    const int tame = (dist->kind == NB_DIST_NORMAL || dist->kind == NB_DIST_UNIFORM) && dist->scale >= 0.0625 &&
                     dist->scale <= 16 && eps > 0;
    if (!tame || v->ulp_bound < 0 || s->inputs_lost) /* lost inputs: no data on the kernel */
        return 0;
    return s->max_ulp_terms > v->ulp_bound || s->false_nonfinite + s->false_zero > 0;
}
