#include "study.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "timer.h"

static int same_cell(const struct study_cell *a, const struct study_cell *b)
{
    return a->rows == b->rows && a->n == b->n && a->eps == b->eps && a->p == b->p && a->seed == b->seed &&
           a->dist.kind == b->dist.kind && a->dist.scale == b->dist.scale && a->dist.offset == b->dist.offset &&
           a->dist.factor == b->dist.factor && a->dist.channels == b->dist.channels && a->dist.value == b->dist.value;
}

/* The cell's inputs in v's dtype. Residual from the same seed + 1. Returns
 * how many inputs the storage type lost (x's, and the residual's where the
 * norm reads one) by the rule of accuracy.h's inputs_lost. */
static size_t fill_inputs(const struct nb_variant *v, const struct study_cell *c, void *x, void *g, void *b,
                          void *res)
{
    struct datagen_loss lx = datagen_fill(x, c->rows, c->n, v->dtype, &c->dist, c->seed);
    datagen_gain(g, c->n, v->dtype, v->norm == NB_GEMMARMSNORM, c->seed);
    datagen_bias(b, c->n, v->dtype, c->seed);
    struct nb_distribution rd = {.kind = NB_DIST_NORMAL, .scale = c->dist.scale};
    struct datagen_loss lr = datagen_fill(res, c->rows, c->n, v->dtype, &rd, c->seed + 1);
    if (norm_uses_residual(v->norm)) {
        lx.overflowed += lr.overflowed;
        lx.flushed += lr.flushed;
    }
    /* one Inf ruins its row; a few tiny values flushed do not matter to a
     * norm, which sums squares: a cell is lost from 1% of them flushed */
    const size_t values = c->rows * c->n * (norm_uses_residual(v->norm) ? 2 : 1);
    return lx.overflowed || lx.flushed * 100 >= values ? lx.overflowed + lx.flushed : 0;
}

int study_measure(const struct nb_variant *v, const struct study_cell *c, struct ref_cache *cache,
                  struct accuracy_summary *out)
{
    const size_t n = c->n, es = nb_dtype_size(v->dtype), total = c->rows * n;
    int rc = 3;
    void *x = malloc(total * es), *y = malloc(total * es), *g = malloc(n * es), *b = malloc(n * es);
    void *res = malloc(total * es), *res0 = malloc(total * es);
    size_t wb = registry_workspace_bytes(v, c->rows, n);
    void *work = wb ? aligned_alloc(64, (wb + 63) / 64 * 64) : NULL;
    if (!x || !y || !g || !b || !res || !res0 || (wb && !work))
        goto done;
    out->inputs_lost = fill_inputs(v, c, x, g, b, res0);
    if (!(cache->valid && cache->norm == v->norm && cache->dt == v->dtype && same_cell(&cache->cell, c))) {
        free(cache->y);
        free(cache->exact);
        cache->valid = 0;
        cache->y = malloc(total * es);
        cache->exact = malloc(total * sizeof *cache->exact);
        if (!cache->y || !cache->exact)
            goto done;
        memcpy(res, res0, total * es);
        struct nb_args ra = {.rows = c->rows, .n = n, .x = x, .y = cache->y, .g = g, .b = b, .residual = res,
                             .eps = c->eps, .p = c->p};
        int64_t t0 = timer_ns();
        if (reference_compute(v->norm, v->dtype, &ra, cache->y, cache->exact, NULL) != 0)
            goto done;
        cache->ref_seconds += (double)(timer_ns() - t0) / 1e9;
        cache->ref_values += total;
        cache->norm = v->norm;
        cache->dt = v->dtype;
        cache->cell = *c;
        cache->valid = 1;
    }
    memcpy(res, res0, total * es);
    struct nb_args a = {.rows = c->rows, .n = n, .x = x, .y = y, .g = g, .b = b, .residual = res, .eps = c->eps,
                        .p = c->p, .work = work};
    v->fn(&a);
    for (size_t r = 0; r < c->rows; r++) {
        /* the magnitude of the terms an output sums, for max_ulp_terms:
         * LayerNorm's y_i sums x_i r g_i, every -x_j / n r g_i and b_i */
        double mu = 0, mean_abs = 0, var = 0;
        if (v->norm == NB_LAYERNORM) {
            for (size_t j = 0; j < n; j++) {
                mu += nb_load(x, r * n + j, v->dtype);
                mean_abs += fabs(nb_load(x, r * n + j, v->dtype));
            }
            mu /= (double)n;
            mean_abs /= (double)n;
            for (size_t j = 0; j < n; j++) {
                double d = nb_load(x, r * n + j, v->dtype) - mu;
                var += d * d;
            }
        }
        double rs = 1.0 / sqrt(var / (double)n + c->eps);
        for (size_t i = 0; i < n; i++) {
            size_t k = r * n + i;
            double ex = cache->exact[k], scale = fabs(ex);
            if (v->norm == NB_LAYERNORM)
                scale = (fabs(nb_load(x, k, v->dtype)) + mean_abs) * rs * fabs(nb_load(g, i, v->dtype)) +
                        fabs(nb_load(b, i, v->dtype));
            else if (v->norm == NB_GEMMARMSNORM)
                scale = fabs(ex / (1.0 + nb_load(g, i, v->dtype)));
            accuracy_add_scaled(out, nb_load(y, k, v->dtype), ex, nb_load(cache->y, k, v->dtype), scale, v->dtype);
        }
    }
    rc = 0;
done:
    free(x);
    free(y);
    free(g);
    free(b);
    free(res);
    free(res0);
    free(work);
    return rc;
}

size_t study_inputs_lost(const struct nb_variant *v, const struct study_cell *c)
{
    const size_t n = c->n, es = nb_dtype_size(v->dtype), total = c->rows * n;
    void *x = malloc(total * es), *res = malloc(total * es), *g = malloc(n * es), *b = malloc(n * es);
    size_t lost = x && res && g && b ? fill_inputs(v, c, x, g, b, res) : 0;
    free(x);
    free(res);
    free(g);
    free(b);
    return lost;
}

void ref_cache_free(struct ref_cache *c)
{
    free(c->y);
    free(c->exact);
    c->y = NULL;
    c->exact = NULL;
    c->valid = 0;
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
