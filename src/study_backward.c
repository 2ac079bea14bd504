#include "study_backward.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reference_bwd.h"
#include "timer.h"

/* The correctly rounded gradients of one norm, dtype and cell, shared by
 * every backward variant of them, with dy and the terms' magnitudes. */
struct bwd_ref {
    int valid;
    enum nb_norm norm;
    enum nb_dtype dt;
    struct study_cell cell;
    void *dy;                  /* rows x n, the input */
    void *dx, *dg, *db;        /* correctly rounded */
    double *edx, *edg, *edb;   /* nearest doubles to the exact values */
    struct bwd_terms terms;
};

void bwd_terms_free(struct bwd_terms *t)
{
    free(t->dx);
    free(t->dg);
    free(t->db);
    t->dx = t->dg = t->db = NULL;
}

/* the row's mean (layernorm; 0 for rmsnorm), 1 / sqrt(var + eps) and mean |x| */
static void row_moments(const void *x, size_t n, enum nb_dtype dt, int centred, double eps, double *mu, double *rs,
                        double *mean_abs)
{
    double sum = 0, abs_sum = 0, s2 = 0;
    for (size_t j = 0; j < n; j++) {
        sum += nb_load(x, j, dt);
        abs_sum += fabs(nb_load(x, j, dt));
    }
    *mu = centred ? sum / (double)n : 0;
    *mean_abs = abs_sum / (double)n;
    for (size_t j = 0; j < n; j++) {
        const double c = nb_load(x, j, dt) - *mu;
        s2 += c * c;
    }
    *rs = 1 / sqrt(s2 / (double)n + eps);
}

int bwd_terms_compute(enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a, struct bwd_terms *t)
{
    const size_t n = a->n, rows = a->rows;
    const int ln = norm_has_db(norm);
    t->dx = calloc(rows * n + 1, sizeof(double));
    t->dg = calloc(n + 1, sizeof(double));
    t->db = calloc(n + 1, sizeof(double));
    if (!t->dx || !t->dg || !t->db) {
        bwd_terms_free(t);
        return -1;
    }
    for (size_t r = 0; r < rows; r++) {
        const char *x = (const char *)a->x + r * n * nb_dtype_size(dt), *dy = (const char *)a->dy + r * n * nb_dtype_size(dt);
        double mu, rs, mean_abs, sa = 0, sb = 0;
        row_moments(x, n, dt, ln, a->eps, &mu, &rs, &mean_abs);
        /* layernorm: x - mu at the magnitude of its terms, as the forward
         * studies take it (the mean's rounding is relative to mean |x|) */
        const double spread = ln ? mean_abs : 0;
        for (size_t j = 0; j < n; j++) {
            const double gdy = fabs(nb_load(a->g, j, dt) * nb_load(dy, j, dt));
            sa += gdy;
            sb += gdy * (fabs(nb_load(x, j, dt) - mu) + spread) * rs;
        }
        for (size_t i = 0; i < n; i++) {
            const double xh = (fabs(nb_load(x, i, dt) - mu) + spread) * rs,
                         gdy = fabs(nb_load(a->g, i, dt) * nb_load(dy, i, dt));
            t->dx[r * n + i] = rs * (gdy + (ln ? sa / (double)n : 0) + xh * sb / (double)n);
            t->dg[i] += fabs(nb_load(dy, i, dt)) * xh;
            t->db[i] += fabs(nb_load(dy, i, dt));
        }
    }
    return 0;
}

void bwd_ref_free(struct bwd_ref *r)
{
    if (!r)
        return;
    free(r->dy);
    free(r->dx), free(r->dg), free(r->db);
    free(r->edx), free(r->edg), free(r->edb);
    bwd_terms_free(&r->terms);
    free(r);
}

/* dy for the cell: N(0, 1) whatever x's distribution, from the seed + 2,
 * its distinct rows repeated (as the timed buffers of src/shape_group.c);
 * or x itself */
static void fill_dy(void *dy, const void *x, const struct study_cell *c, enum nb_dtype dt)
{
    if (c->dy_is_x) {
        memcpy(dy, x, c->rows * c->n * nb_dtype_size(dt));
        return;
    }
    const struct nb_distribution unit = {.kind = NB_DIST_NORMAL, .scale = 1.0};
    const size_t d = study_distinct_rows(c);
    datagen_fill(dy, d, c->n, dt, &unit, c->seed + 2);
    study_repeat_rows(dy, d, c->rows, c->n * nb_dtype_size(dt));
}

/* cache->bwd for v's norm and dtype on the cell (x and g in cache->in);
 * dg sums every row, so the reference covers all of them */
static int reference_for(const struct nb_variant *v, const struct study_cell *c, struct ref_cache *cache)
{
    struct bwd_ref *r = cache->bwd;
    if (r && r->valid && r->norm == v->norm && r->dt == v->dtype && study_same_cell(&r->cell, c))
        return 0;
    bwd_ref_free(r);
    cache->bwd = r = calloc(1, sizeof *r);
    const size_t n = c->n, es = nb_dtype_size(v->dtype), total = c->rows * n;
    if (!r || !(r->dy = malloc(total * es + 1)) || !(r->dx = malloc(total * es + 1)) || !(r->dg = malloc(n * es + 1)) ||
        !(r->db = malloc(n * es + 1)) || !(r->edx = malloc(total * sizeof(double) + 1)) ||
        !(r->edg = malloc(n * sizeof(double) + 1)) || !(r->edb = malloc(n * sizeof(double) + 1)))
        return -1;
    fill_dy(r->dy, cache->in.x, c, v->dtype);
    const struct nb_args ra = {.rows = c->rows, .n = n, .x = cache->in.x, .y = r->dx, .g = cache->in.g, .eps = c->eps,
                               .dy = r->dy, .dg = r->dg, .db = norm_has_db(v->norm) ? r->db : NULL};
    const struct bwd_exact ex = {r->edx, r->edg, r->edb};
    int64_t t0 = timer_ns();
    if (reference_bwd_compute_with(v->norm, v->dtype, &ra, &ex, cache->method, &cache->counts) != 0 ||
        bwd_terms_compute(v->norm, v->dtype, &ra, &r->terms) != 0)
        return -1;
    cache->ref_seconds += (double)(timer_ns() - t0) / 1e9;
    cache->ref_values += total + n * (norm_has_db(v->norm) ? 2 : 1);
    r->norm = v->norm;
    r->dt = v->dtype;
    r->cell = *c;
    r->valid = 1;
    return 0;
}

static void add_gradient(struct accuracy_summary *out, enum nb_grad k, const void *y, const void *rounded,
                         const double *exact, const double *terms, size_t count, enum nb_dtype dt)
{
    for (size_t i = 0; i < count; i++)
        accuracy_add_gradient(out, k, nb_load(y, i, dt), exact[i], nb_load(rounded, i, dt), terms[i], dt);
}

int study_measure_backward(const struct nb_variant *v, const struct study_cell *c, struct ref_cache *cache,
                           struct accuracy_summary *out)
{
    const size_t n = c->n, es = nb_dtype_size(v->dtype), total = c->rows * n;
    const size_t wb = registry_workspace_bytes(v, c->rows, n);
    void *dx = malloc(total * es + 1), *dg = malloc(n * es + 1), *db = malloc(n * es + 1);
    void *work = aligned_alloc(64, (wb + 63) / 64 * 64 + 64);
    int rc = 3;
    if (!dx || !dg || !db || !work || study_inputs_get(v, c, &cache->in) != 0 || reference_for(v, c, cache) != 0)
        goto done;
    const struct bwd_ref *r = cache->bwd;
    const int has_db = norm_has_db(v->norm);
    struct nb_args a = {.rows = c->rows, .n = n, .x = cache->in.x, .y = dx, .g = cache->in.g, .eps = c->eps,
                        .work = work, .dy = r->dy, .dg = dg, .db = has_db ? db : NULL};
    v->fn(&a);
    out->inputs_lost = study_inputs_lost_of(v, c, &cache->in);
    add_gradient(out, NB_GRAD_DX, dx, r->dx, r->edx, r->terms.dx, total, v->dtype);
    add_gradient(out, NB_GRAD_DG, dg, r->dg, r->edg, r->terms.dg, n, v->dtype);
    if (has_db)
        add_gradient(out, NB_GRAD_DB, db, r->db, r->edb, r->terms.db, n, v->dtype);
    rc = 0;
done:
    free(dx), free(dg), free(db), free(work);
    return rc;
}
