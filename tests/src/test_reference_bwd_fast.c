/* The backward reference's fast path against MPFR: the same bits for dx,
 * dg and db and the same exact doubles wherever the fast path says it
 * decided, on many shapes, dtypes, eps and input scales; and it must
 * decide most well-conditioned calls, or it is no faster path. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "../../src/cpu_features.h"
#include "../../src/datagen.h"
#include "../../src/reference_bwd.h"
#include "../../src/reference_bwd_fast.h"
#include "../../src/timer.h"
#include "../test_util.h"

struct grads {
    void *dx, *dg, *db;
    double *edx, *edg, *edb;
};

static void grads_alloc(struct grads *g, size_t rows, size_t n, enum nb_dtype dt)
{
    const size_t es = nb_dtype_size(dt);
    g->dx = calloc(rows * n + 1, es), g->dg = calloc(n + 1, es), g->db = calloc(n + 1, es);
    g->edx = calloc(rows * n + 1, 8), g->edg = calloc(n + 1, 8), g->edb = calloc(n + 1, 8);
    cr_assert(g->dx && g->dg && g->db && g->edx && g->edg && g->edb);
}

static void grads_free(struct grads *g)
{
    free(g->dx), free(g->dg), free(g->db), free(g->edx), free(g->edg), free(g->edb);
}

static int same_bits(const void *a, const void *b, size_t i, enum nb_dtype dt)
{
    return dt == NB_F32 ? ((const uint32_t *)a)[i] == ((const uint32_t *)b)[i]
                        : ((const uint16_t *)a)[i] == ((const uint16_t *)b)[i];
}

/* compute with both paths; 1 when the fast one decided (and then they are
 * compared), 0 when it handed the call on */
static int compare(enum nb_norm norm, enum nb_dtype dt, size_t rows, size_t n, const struct nb_distribution *dist,
                   double eps, uint64_t seed)
{
    const size_t es = nb_dtype_size(dt);
    void *x = malloc(rows * n * es + 1), *dy = malloc(rows * n * es + 1), *g = malloc(n * es + 1);
    cr_assert(x && dy && g);
    const struct nb_distribution unit = {.kind = NB_DIST_NORMAL, .scale = 1.0};
    datagen_fill(x, rows, n, dt, dist, seed);
    datagen_fill(dy, rows, n, dt, &unit, seed + 2);
    datagen_gain(g, n, dt, 0, seed);
    struct grads f, m;
    grads_alloc(&f, rows, n, dt);
    grads_alloc(&m, rows, n, dt);
    const int ln = norm == NB_LAYERNORM_BWD;
    struct nb_args a = {.rows = rows, .n = n, .x = x, .g = g, .eps = eps, .dy = dy};
    a.y = f.dx, a.dg = f.dg, a.db = ln ? f.db : NULL;
    size_t unsure;
    const int st = reference_bwd_fast(norm, dt, &a, &(struct bwd_exact){f.edx, f.edg, f.edb}, &unsure);
    cr_assert_neq(st, REF_BWD_FAST_NOMEM);
    a.y = m.dx, a.dg = m.dg, a.db = ln ? m.db : NULL;
    cr_assert_eq(reference_bwd_compute(norm, dt, &a, &(struct bwd_exact){m.edx, m.edg, m.edb}, NULL), 0);
    if (st == REF_BWD_FAST_DONE) {
        size_t bad = 0;
        for (size_t i = 0; i < rows * n; i++)
            bad += !same_bits(f.dx, m.dx, i, dt) || !same_double(f.edx[i], m.edx[i]);
        for (size_t i = 0; i < n; i++) {
            bad += !same_bits(f.dg, m.dg, i, dt) || !same_double(f.edg[i], m.edg[i]);
            if (ln)
                bad += !same_bits(f.db, m.db, i, dt) || !same_double(f.edb[i], m.edb[i]);
        }
        cr_expect_eq(bad, 0, "%s %s rows=%zu n=%zu eps=%g scale=%g offset=%g: %zu outputs differ from MPFR's",
                     ln ? "layernorm-bwd" : "rmsnorm-bwd", dtype_name(dt), rows, n, eps, dist->scale, dist->offset, bad);
    }
    grads_free(&f);
    grads_free(&m);
    free(x), free(dy), free(g);
    return st == REF_BWD_FAST_DONE;
}

Test(reference_bwd_fast, same_bits_as_mpfr)
{
    static const size_t sizes[] = {1, 2, 3, 7, 64, 257, 768};
    static const size_t row_counts[] = {1, 3, 70};
    static const double eps[] = {0, 1e-12, 1e-5, 1e-3};
    static const struct nb_distribution dists[] = {
        {.kind = NB_DIST_NORMAL, .scale = 1.0},
        {.kind = NB_DIST_NORMAL, .scale = 0x1p-20},
        {.kind = NB_DIST_NORMAL, .scale = 0x1p10},
        {.kind = NB_DIST_OFFSET, .scale = 1.0, .offset = 100.0}, /* layernorm's D cancels */
        {.kind = NB_DIST_UNIFORM, .scale = 1.0},
    };
    size_t calls = 0, decided = 0, tame = 0, tame_decided = 0;
    const size_t most = cpu_detect()->under_valgrind ? 200 : 20000; /* values a call beyond the first distribution */
    for (int norm = NB_RMSNORM_BWD; norm <= NB_LAYERNORM_BWD; norm++)
        for (int dt = 0; dt < NB_DTYPE_COUNT; dt++)
            for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
                for (size_t r = 0; r < 3; r++)
                    for (size_t e = 0; e < 4; e++)
                        for (size_t d = 0; d < sizeof dists / sizeof *dists; d++) {
                            if (sizes[s] * row_counts[r] > (d > 0 ? most : 4 * most))
                                continue;
                            const int ok = compare((enum nb_norm)norm, (enum nb_dtype)dt, row_counts[r], sizes[s],
                                                   &dists[d], eps[e], 7 + s + 13 * r);
                            calls++;
                            decided += ok;
                            /* normal data at scale 1, n > 1 (a one-value layernorm row has D = n^2 eps) */
                            if (d == 0 && sizes[s] > 1 && eps[e] > 0) {
                                tame++;
                                tame_decided += ok;
                            }
                        }
    cr_log_info("fast path decided %zu of %zu calls (%zu of %zu tame ones)", decided, calls, tame_decided, tame);
    cr_expect_geq(tame_decided * 10, tame * 9, "the fast path decided only %zu of %zu tame calls", tame_decided, tame);
}

/* NaN rows, zero rows without eps, non-finite gains: the path hands them on */
Test(reference_bwd_fast, special_inputs_go_to_mpfr)
{
    const size_t n = 9;
    float x[18], dy[18], g[9], dx[18], dg[9], db[9];
    for (size_t i = 0; i < 18; i++)
        x[i] = sinf(1.7f * (float)i + 0.3f), dy[i] = cosf(0.9f * (float)i);
    for (size_t i = 0; i < n; i++)
        g[i] = 1.0f + 0.1f * sinf((float)i);
    struct nb_args a = {.rows = 2, .n = n, .x = x, .y = dx, .g = g, .eps = 1e-5, .dy = dy, .dg = dg, .db = db};
    size_t unsure;
    cr_expect_eq(reference_bwd_fast(NB_LAYERNORM_BWD, NB_F32, &a, NULL, &unsure), REF_BWD_FAST_DONE);
    x[3] = NAN;
    cr_expect_eq(reference_bwd_fast(NB_LAYERNORM_BWD, NB_F32, &a, NULL, &unsure), REF_BWD_FAST_SPECIAL);
    x[3] = 0;
    g[2] = INFINITY;
    cr_expect_eq(reference_bwd_fast(NB_RMSNORM_BWD, NB_F32, &a, NULL, &unsure), REF_BWD_FAST_SPECIAL);
    g[2] = 1;
    for (size_t i = 0; i < n; i++)
        x[i] = 0;
    a.eps = 0;
    cr_expect_eq(reference_bwd_fast(NB_RMSNORM_BWD, NB_F32, &a, NULL, &unsure), REF_BWD_FAST_SPECIAL);
    /* through the dispatcher the result is MPFR's: NaN for the row */
    struct ref_counts k = {0};
    cr_assert_eq(reference_bwd_compute_with(NB_RMSNORM_BWD, NB_F32, &a, NULL, REF_METHOD_FAST, &k), 0);
    cr_expect(isnan(dx[0]) && isfinite(dx[9]) && k.fallback_rows == 2 && k.special_rows == 2,
              "dx %g %g, %zu rows to MPFR, %zu special", dx[0], dx[9], k.fallback_rows, k.special_rows);
}

Test(reference_bwd_fast, prints_values_per_second)
{
    const size_t rows = 64, n = 4096;
    float *x = malloc(rows * n * 4), *dy = malloc(rows * n * 4), *g = malloc(n * 4), *dx = malloc(rows * n * 4),
          *dg = malloc(n * 4), *db = malloc(n * 4);
    cr_assert(x && dy && g && dx && dg && db);
    const struct nb_distribution unit = {.kind = NB_DIST_NORMAL, .scale = 1.0};
    datagen_fill(x, rows, n, NB_F32, &unit, 1);
    datagen_fill(dy, rows, n, NB_F32, &unit, 3);
    datagen_gain(g, n, NB_F32, 0, 1);
    struct nb_args a = {.rows = rows, .n = n, .x = x, .y = dx, .g = g, .eps = 1e-5, .dy = dy, .dg = dg, .db = db};
    for (int method = 0; method < 2; method++) {
        int64_t t0 = timer_ns();
        cr_assert_eq(reference_bwd_compute_with(NB_LAYERNORM_BWD, NB_F32, &a, NULL,
                                                method ? REF_METHOD_MPFR : REF_METHOD_FAST, NULL), 0);
        double s = (double)(timer_ns() - t0) / 1e9;
        cr_log_info("layernorm-bwd f32 64 x 4096, %s: %.0f values per second", method ? "mpfr" : "fast",
                    (double)(rows * n) / s);
    }
    free(x), free(dy), free(g), free(dx), free(dg), free(db);
}
