/* The reference's fast path against the MPFR path: the same bits for y and
 * for the nearest double, on millions of random values of every norm and
 * dtype (NB_REF_VALUES each, default 10 million), on exact ties and on
 * near-ties closer than the fast bound, and its fallback counts. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "../../src/reference.h"
#include "../../src/reference_fast.h"
#include "../../src/timer.h"
#include "../test_util.h"

static size_t values_wanted(void)
{
    const char *e = getenv("NB_REF_VALUES");
    return e && *e ? (size_t)strtod(e, NULL) : 10000000;
}

struct batch {
    enum nb_norm norm;
    enum nb_dtype dt;
    size_t rows, n;
    double eps, p;
    void *x, *g, *b, *res;
};

static void fill(struct batch *t, struct rng *r)
{
    static const size_t widths[] = {1, 2, 3, 7, 33, 64, 768, 4096};
    static const double eps_values[] = {0, 1e-12, 1e-6, 1e-5, 1e-3, 1};
    const size_t n = widths[rng_next(r) % 8], rows = 65536 / n < 1 ? 1 : 65536 / n;
    const enum nb_dtype dt = t->dt;
    /* scales across the format's range; f16's is narrow */
    const int lo = dt == NB_F16 ? -10 : -40, hi = dt == NB_F16 ? 4 : 40;
    const double scale = ldexp(1.0, lo + (int)(rng_next(r) % (unsigned)(hi - lo)));
    const double offset = rng_next(r) % 4 == 0 ? 100 * scale * rng_normal(r) : 0;
    const int zeros = rng_next(r) % 8 == 0, tiny_gain = rng_next(r) % 8 == 0, no_bias = rng_next(r) % 4 == 0;
    t->rows = rows;
    t->n = n;
    t->eps = eps_values[rng_next(r) % 6];
    t->p = 1 + rng_uniform(r) * 99;
    const size_t es = nb_dtype_size(dt);
    t->x = malloc(rows * n * es);
    t->res = malloc(rows * n * es);
    t->g = malloc(n * es);
    t->b = malloc(n * es);
    for (size_t i = 0; i < rows * n; i++) {
        double v = offset + scale * rng_normal(r);
        if (zeros && rng_next(r) % 3 == 0)
            v = 0;
        if (rng_next(r) % 1000 == 0)
            v *= 1000; /* outliers */
        nb_store(t->x, i, (float)v, dt);
        nb_store(t->res, i, (float)(scale * rng_normal(r)), dt);
    }
    for (size_t i = 0; i < n; i++) {
        double g = 1 + 0.3 * rng_normal(r);
        if (tiny_gain)
            g *= 0x1p-20;
        nb_store(t->g, i, (float)g, dt);
        nb_store(t->b, i, no_bias ? 0.0f : (float)(0.2 * rng_normal(r)), dt);
    }
}

static void release(struct batch *t)
{
    free(t->x);
    free(t->res);
    free(t->g);
    free(t->b);
}

static int same_value(const void *y1, const void *y2, size_t i, enum nb_dtype dt)
{
    if (dt == NB_F32) {
        float a = ((const float *)y1)[i], b = ((const float *)y2)[i];
        return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
    }
    uint16_t a = ((const uint16_t *)y1)[i], b = ((const uint16_t *)y2)[i];
    return a == b || (isnan(nb_load(y1, i, dt)) && isnan(nb_load(y2, i, dt)));
}

/* Both paths on one batch; returns the number of values compared. */
static size_t compare_batch(struct batch *t, struct ref_counts *counts)
{
    const size_t total = t->rows * t->n, es = nb_dtype_size(t->dt);
    void *y1 = malloc(total * es), *y2 = malloc(total * es);
    double *e1 = malloc(total * sizeof *e1), *e2 = malloc(total * sizeof *e2);
    void *r1 = malloc(total * es), *r2 = malloc(total * es);
    memcpy(r1, t->res, total * es);
    memcpy(r2, t->res, total * es);
    struct nb_args a = {.rows = t->rows, .n = t->n, .x = t->x, .g = t->g, .b = t->b, .eps = t->eps, .p = t->p};
    a.residual = r1;
    cr_assert_eq(reference_compute(t->norm, t->dt, &a, y1, e1, REF_METHOD_FAST, counts), 0);
    a.residual = r2;
    cr_assert_eq(reference_compute(t->norm, t->dt, &a, y2, e2, REF_METHOD_MPFR, NULL), 0);
    for (size_t i = 0; i < total; i++) {
        cr_assert(same_value(y1, y2, i, t->dt), "norm %d dtype %d n %zu eps %g element %zu: fast %a, mpfr %a",
                  t->norm, t->dt, t->n, t->eps, i, (double)nb_load(y1, i, t->dt), (double)nb_load(y2, i, t->dt));
        cr_assert(same_double(e1[i], e2[i]), "norm %d dtype %d n %zu element %zu: nearest double %a, mpfr %a",
                  t->norm, t->dt, t->n, i, e1[i], e2[i]);
        if (t->norm == NB_ADDRMSNORM)
            cr_assert(same_value(r1, r2, i, t->dt), "addrmsnorm residual %zu", i);
    }
    free(y1);
    free(y2);
    free(e1);
    free(e2);
    free(r1);
    free(r2);
    return total;
}

static void random_against_mpfr(enum nb_norm norm, enum nb_dtype dt, uint64_t seed)
{
    struct rng r = {seed};
    struct ref_counts counts = {0};
    size_t compared = 0, unsure_wide = 0, values_wide = 0;
    while (compared < values_wanted()) {
        struct batch t = {.norm = norm, .dt = dt};
        fill(&t, &r);
        size_t before = counts.unsure, before_values = counts.values;
        compared += compare_batch(&t, &counts);
        if (t.n >= 33) { /* below, ties are common: n = 2 with eps = 0 gives +-g + b */
            unsure_wide += counts.unsure - before;
            values_wide += counts.values - before_values;
        }
        release(&t);
    }
    cr_log_info("%s %s: %zu values, %zu rows to MPFR (%zu with NaN, Inf or 0/0; %zu values unsure)",
                norm_name(norm), dtype_name(dt), counts.values, counts.fallback_rows, counts.special_rows,
                counts.unsure);
    /* the fast path must carry the bulk: a bound that gives up on
     * everything would also pass the comparison */
    cr_expect_leq(unsure_wide, values_wide / 10000, "%zu of %zu values of rows of 33 or more unsure", unsure_wide,
                  values_wide);
}

#define RANDOM_TEST(norm, NORM, dt, DT, seed)                                  \
    Test(reference_fast, norm##_##dt##_random_matches_mpfr, .timeout = 600)   \
    {                                                                           \
        random_against_mpfr(NORM, DT, seed);                                    \
    }
#define RANDOM_TESTS(norm, NORM, seed)                                         \
    RANDOM_TEST(norm, NORM, f32, NB_F32, seed)                                  \
    RANDOM_TEST(norm, NORM, bf16, NB_BF16, seed + 1)                            \
    RANDOM_TEST(norm, NORM, f16, NB_F16, seed + 2)

RANDOM_TESTS(rmsnorm, NB_RMSNORM, 10)
RANDOM_TESTS(layernorm, NB_LAYERNORM, 20)
RANDOM_TESTS(prmsnorm, NB_PRMSNORM, 30)
RANDOM_TESTS(addrmsnorm, NB_ADDRMSNORM, 40)
RANDOM_TESTS(gemmarmsnorm, NB_GEMMARMSNORM, 50)

/* ---- constructed rows ---- */

struct one {
    float y[8];
    double exact[8];
    struct ref_counts counts;
};

static struct one compute(enum nb_norm norm, enum nb_dtype dt, const float *x, const float *g, const float *b,
                          size_t n, double eps, double p, enum ref_method m)
{
    uint16_t xs[8], gs[8], bs[8], ys[8];
    float yf[8];
    for (size_t j = 0; j < n; j++) {
        nb_store(xs, j, x[j], dt);
        nb_store(gs, j, g[j], dt);
        nb_store(bs, j, b ? b[j] : 0, dt);
    }
    struct nb_args a = {.rows = 1, .n = n, .eps = eps, .p = p};
    a.x = dt == NB_F32 ? (const void *)x : xs;
    a.g = dt == NB_F32 ? (const void *)g : gs;
    a.b = dt == NB_F32 ? (const void *)b : bs;
    struct one o = {0};
    void *y = dt == NB_F32 ? (void *)yf : ys;
    cr_assert_eq(reference_compute(norm, dt, &a, y, o.exact, m, &o.counts), 0);
    for (size_t j = 0; j < n; j++)
        o.y[j] = nb_load(y, j, dt);
    return o;
}

/* returns the fast path's counts after checking it against MPFR */
static struct ref_counts both(enum nb_norm norm, enum nb_dtype dt, const float *x, const float *g,
                              const float *b, size_t n, double eps, double p)
{
    struct one f = compute(norm, dt, x, g, b, n, eps, p, REF_METHOD_FAST);
    struct one m = compute(norm, dt, x, g, b, n, eps, p, REF_METHOD_MPFR);
    for (size_t j = 0; j < n; j++) {
        cr_assert(same_double(f.y[j], m.y[j]), "element %zu: fast %a, mpfr %a", j, (double)f.y[j],
                  (double)m.y[j]);
        cr_assert(same_double(f.exact[j], m.exact[j]), "element %zu: nearest %a, mpfr %a", j, f.exact[j],
                  m.exact[j]);
    }
    return f.counts;
}

/* prmsnorm with k = 1 and x_0 = 1 has rms sqrt(1 + eps): with eps = 0,
 * y_1 = x_1 g_1 exactly, a midpoint of f32; eps moves it below by eps / 2
 * relative. */
Test(reference_fast, ties_and_near_ties_go_to_mpfr_and_agree)
{
    const float x[2] = {1, 1 + 0x1p-12f}, g[2] = {1, 1 + 0x1p-12f};
    struct ref_counts c = both(NB_PRMSNORM, NB_F32, x, g, NULL, 2, 0, 50);
    cr_expect_eq(c.unsure, 1, "an exact tie cannot be decided by a bound");
    cr_expect_eq(c.fallback_rows, 1);
    c = both(NB_PRMSNORM, NB_F32, x, g, NULL, 2, 0x1p-300, 50); /* 2^-301 below: beyond any bound */
    cr_expect_eq(c.unsure, 1);
    c = both(NB_PRMSNORM, NB_F32, x, g, NULL, 2, 0x1p-120, 50); /* 2^-121: closer than the bound */
    cr_expect_eq(c.unsure, 1);
    c = both(NB_PRMSNORM, NB_F32, x, g, NULL, 2, 0x1p-70, 50); /* 2^-71: the bound decides it */
    cr_expect_eq(c.unsure, 0);
    cr_expect_eq(c.fallback_rows, 0);
    /* f16 and bf16 ties of the same kind */
    const float xh[2] = {1, 1 + 0x1p-5f}, gh[2] = {1, 1 + 0x1p-6f};
    cr_expect_eq(both(NB_PRMSNORM, NB_F16, xh, gh, NULL, 2, 0, 50).unsure, 1);
    const float xb[2] = {1, 1 + 0x1p-4f}, gb[2] = {1, 1 + 0x1p-4f};
    cr_expect_eq(both(NB_PRMSNORM, NB_BF16, xb, gb, NULL, 2, 0, 50).unsure, 1);
}

/* LayerNorm of two values with eps = 0 is -g_0 + b_0, +g_1 + b_1 exactly:
 * b_0 = 2^-25 puts y_0 = -(1 - 2^-25) on a midpoint of f32. */
Test(reference_fast, layernorm_ties)
{
    const float x[2] = {3, 5}, g[2] = {1, 1}, b[2] = {0x1p-25f, 0.5f};
    struct ref_counts c = both(NB_LAYERNORM, NB_F32, x, g, b, 2, 0, 0);
    cr_expect_eq(c.unsure, 1, "y_0 is a tie, y_1 = 1.5 is not");
    cr_expect_eq(both(NB_LAYERNORM, NB_F32, x, g, b, 2, 0x1p-200, 0).unsure, 1);
    cr_expect_eq(both(NB_LAYERNORM, NB_F32, x, g, b, 2, 0x1p-60, 0).unsure, 0);
}

Test(reference_fast, special_rows_go_to_mpfr)
{
    const float g[4] = {1, 1, 1, 1}, b[4] = {0, 0, 0, 0};
    const float xi[4] = {INFINITY, 1, 2, 3}, xn[4] = {1, NAN, 2, 3}, xz[4] = {0, 0, 0, 0};
    const float mz_rms[4] = {-0.0f, 1, -0.0f, -2};
    cr_expect_eq(both(NB_RMSNORM, NB_F32, xi, g, NULL, 4, 1e-6, 0).fallback_rows, 1);
    cr_expect_eq(both(NB_LAYERNORM, NB_F32, xn, g, b, 4, 1e-6, 0).fallback_rows, 1);
    cr_expect_eq(both(NB_RMSNORM, NB_F32, xz, g, NULL, 4, 0, 0).fallback_rows, 1, "0 / 0");
    struct ref_counts c = both(NB_RMSNORM, NB_F32, xz, g, NULL, 4, 1e-6, 0);
    cr_expect_eq(c.fallback_rows, 0, "zeros with eps > 0 are exact zeros, decided");
    cr_expect_eq(both(NB_RMSNORM, NB_F32, mz_rms, g, NULL, 4, 1e-6, 0).fallback_rows, 0);
    /* x = mu with a zero bias: exact zeros, whose signs follow IEEE's rules
     * for (n x_i - S) g + b, as in the MPFR path */
    cr_expect_eq(both(NB_LAYERNORM, NB_F32, xz, g, b, 4, 1e-6, 0).fallback_rows, 0);
    const float mz[4] = {-0.0f, -0.0f, -0.0f, -0.0f}, mixed[4] = {-0.0f, 0.0f, -0.0f, 0.0f};
    const float gs[4] = {1, -1, -0.0f, 0}, bz[4] = {0, -0.0f, 0, -0.0f}, x3[4] = {1, 2, 3, 2};
    for (int k = 0; k < 2; k++) {
        const float *bias = k ? bz : b;
        cr_expect_eq(both(NB_LAYERNORM, NB_F32, mz, gs, bias, 4, 1e-6, 0).fallback_rows, 0);
        cr_expect_eq(both(NB_LAYERNORM, NB_F32, mixed, gs, bias, 4, 1e-6, 0).fallback_rows, 0);
        cr_expect_eq(both(NB_LAYERNORM, NB_F32, x3, gs, bias, 4, 1e-6, 0).fallback_rows, 0, "x_1 = x_3 = mu");
        cr_expect_eq(both(NB_LAYERNORM, NB_BF16, x3, gs, bias, 4, 1e-6, 0).fallback_rows, 0);
    }
    const float big[4] = {60000, 60000, 60000, 60000}, x[4] = {3, -1, 4, -2};
    cr_expect_eq(both(NB_RMSNORM, NB_F16, x, big, NULL, 4, 0, 0).fallback_rows, 0, "overflow to Inf decided");
}

Test(reference_fast, round_cell_is_the_rounding_of_every_value_inside)
{
    struct rng r = {5};
    for (int dt = 0; dt < NB_DTYPE_COUNT; dt++) {
        const struct ref_format *f = &ref_formats[dt];
        for (int i = 0; i < 200000; i++) {
            double v = ldexp(rng_uniform(&r) + 0.5, (int)(rng_next(&r) % 300) - 170);
            if (rng_next(&r) % 8 == 0) /* near a power of two: the uneven cell */
                v = ldexp(1.0, (int)(rng_next(&r) % 300) - 170) * (1 + (rng_uniform(&r) - 0.5) * 0x1p-20);
            if (rng_next(&r) % 2)
                v = -v;
            double lo, hi, got = ref_round_cell(v, f, &lo, &hi);
            cr_assert(same_double(got, reference_round_double(v, (enum nb_dtype)dt)), "%a in dtype %d: %a, want %a",
                      v, dt, got, reference_round_double(v, (enum nb_dtype)dt));
            cr_assert(lo < v && v < hi, "%a outside its cell [%a, %a]", v, lo, hi);
            /* just inside the cell rounds like v (the cell of zero holds
             * both signs), just outside does not */
            const enum nb_dtype d = (enum nb_dtype)dt;
            if (isfinite(lo)) {
                cr_assert_eq(reference_round_double(nextafter(lo, INFINITY), d), got, "%a: low end %a", v, lo);
                cr_assert_neq(reference_round_double(nextafter(lo, -INFINITY), d), got, "%a: low end %a", v, lo);
            }
            if (isfinite(hi)) {
                cr_assert_eq(reference_round_double(nextafter(hi, -INFINITY), d), got, "%a: high end %a", v, hi);
                cr_assert_neq(reference_round_double(nextafter(hi, INFINITY), d), got, "%a: high end %a", v, hi);
            }
        }
    }
}

/* The speed figure for the closing note's tables (printed, not asserted),
 * on rows as run makes them at n = 4096; the two paths must agree there
 * too. */
Test(reference_fast, prints_values_per_second)
{
    struct rng r = {77};
    for (int norm = 0; norm < 2; norm++)
        for (int dt = 0; dt < NB_DTYPE_COUNT; dt++) {
            const enum nb_norm nm = norm ? NB_LAYERNORM : NB_RMSNORM;
            const size_t rows = 64, n = 4096, es = nb_dtype_size((enum nb_dtype)dt);
            void *x = malloc(rows * n * es), *y = malloc(rows * n * es), *g = malloc(n * es), *b = malloc(n * es);
            void *y_fast = malloc(rows * n * es);
            double *ex = malloc(rows * n * sizeof *ex), *ex_fast = malloc(rows * n * sizeof *ex_fast);
            for (size_t i = 0; i < rows * n; i++)
                nb_store(x, i, (float)rng_normal(&r), (enum nb_dtype)dt);
            for (size_t i = 0; i < n; i++) {
                nb_store(g, i, (float)(1 + 0.3 * rng_normal(&r)), (enum nb_dtype)dt);
                nb_store(b, i, (float)(0.2 * rng_normal(&r)), (enum nb_dtype)dt);
            }
            struct nb_args a = {.rows = rows, .n = n, .x = x, .g = g, .b = b, .eps = 1e-6};
            double sec[2];
            for (int m = 0; m < 2; m++) {
                int64_t t0 = timer_ns();
                cr_assert_eq(reference_compute(nm, (enum nb_dtype)dt, &a, m ? y : y_fast, m ? ex : ex_fast,
                                               m ? REF_METHOD_MPFR : REF_METHOD_FAST, NULL),
                             0);
                sec[m] = (double)(timer_ns() - t0) / 1e9;
            }
            cr_expect(memcmp(y, y_fast, rows * n * es) == 0 && memcmp(ex, ex_fast, rows * n * sizeof *ex) == 0,
                      "%s %s: the paths differ", norm_name(nm), dtype_name((enum nb_dtype)dt));
            cr_log_info("%s %s n 4096: fast %.1f M values/s, mpfr %.2f M values/s", norm_name(nm),
                        dtype_name((enum nb_dtype)dt), rows * n / sec[0] / 1e6, rows * n / sec[1] / 1e6);
            free(x);
            free(y);
            free(g);
            free(b);
            free(ex);
            free(y_fast);
            free(ex_fast);
        }
}
