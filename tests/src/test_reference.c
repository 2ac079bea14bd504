/* The MPFR reference: worked examples, format edges, exact ties, and
 * random cases against an independent long double computation. */
#include <criterion/criterion.h>
#include <float.h>

#include "../../src/reference.h"
#include "../test_util.h"

static float ref1(enum nb_norm norm, enum nb_dtype dt, const float *x, const float *g, const float *b,
                  size_t n, double eps, double p, size_t i)
{
    uint16_t xs[64], gs[64], bs[64], ys[64];
    float xf[64], gf[64], bf[64], yf[64];
    const void *xp = xf, *gp = gf, *bp = bf;
    void *yp = yf;
    for (size_t j = 0; j < n; j++) {
        if (dt == NB_F32) {
            xf[j] = x[j];
            gf[j] = g[j];
            bf[j] = b ? b[j] : 0;
        } else {
            nb_store(xs, j, x[j], dt);
            nb_store(gs, j, g[j], dt);
            nb_store(bs, j, b ? b[j] : 0, dt);
        }
    }
    if (dt != NB_F32) {
        xp = xs;
        gp = gs;
        bp = bs;
        yp = ys;
    }
    struct nb_args a = {.rows = 1, .n = n, .x = xp, .g = gp, .b = bp, .eps = eps, .p = p};
    struct ref_counts counts = {0};
    cr_assert_eq(reference_compute(norm, dt, &a, yp, NULL, REF_METHOD_MPFR, &counts), 0);
    cr_assert_eq(counts.undecided, 0);
    return nb_load(yp, i, dt);
}

Test(reference, worked_example_rmsnorm_and_layernorm)
{
    const float x[4] = {3, -1, 4, -2}, g[4] = {1, 1, 1, 1}, b[4] = {0, 0, 0, 0};
    const double rms = sqrt(7.5), sigma = sqrt(6.5);
    for (size_t i = 0; i < 4; i++) {
        /* these doubles are far from f32 midpoints, so (float) rounds them correctly */
        cr_expect_eq(ref1(NB_RMSNORM, NB_F32, x, g, NULL, 4, 0, 0, i), (float)(x[i] / rms));
        cr_expect_eq(ref1(NB_LAYERNORM, NB_F32, x, g, b, 4, 0, 0, i), (float)((x[i] - 1) / sigma));
    }
    cr_expect_float_eq(ref1(NB_RMSNORM, NB_F32, x, g, NULL, 4, 0, 0, 0), 1.0954f, 1e-4);
    cr_expect_float_eq(ref1(NB_RMSNORM, NB_F32, x, g, NULL, 4, 0, 0, 3), -0.7303f, 1e-4);
}

Test(reference, lands_on_bf16_subnormals)
{
    const float x[4] = {3, -1, 4, -2};
    const float tiny = 0x1p-128f; /* a bf16 subnormal gain: outputs are subnormal */
    const float g[4] = {tiny, tiny, tiny, tiny};
    for (size_t i = 0; i < 4; i++) {
        double exact = x[i] / sqrt(7.5) * 0x1p-128;
        double units = exact / 0x1p-133; /* bf16's subnormal spacing */
        cr_assert_gt(fabs(units - floor(units) - 0.5), 0.01, "too close to a midpoint to check this way");
        float want = (float)(nearbyint(units) * 0x1p-133);
        float got = ref1(NB_RMSNORM, NB_BF16, x, g, NULL, 4, 0, 0, i);
        cr_expect_eq(got, want, "element %zu: %a, want %a", i, (double)got, (double)want);
        cr_expect(fpclassify(got) == FP_SUBNORMAL);
    }
}

Test(reference, overflows_f16_to_infinity)
{
    const float x[4] = {3, -1, 4, -2};
    const float g[4] = {60000, 60000, 60000, 60000}; /* exact in f16 */
    cr_expect(isinf(ref1(NB_RMSNORM, NB_F16, x, g, NULL, 4, 0, 0, 0))); /* 65727 >= 65520 */
    cr_expect(isinf(ref1(NB_RMSNORM, NB_F16, x, g, NULL, 4, 0, 0, 2)));
    cr_expect_eq(ref1(NB_RMSNORM, NB_F16, x, g, NULL, 4, 0, 0, 1), -21904.0f); /* -21908.9 */
    cr_expect(ref1(NB_RMSNORM, NB_F16, x, g, NULL, 4, 0, 0, 3) < -43000);
}

/* prmsnorm with k = 1 and x_0 = 1 has rms exactly 1, so y_1 = x_1 g_1
 * exactly: choose products that are exact midpoints. */
Test(reference, exact_ties_round_to_even)
{
    /* f32: (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24, halfway: even is 1 + 2^-11 */
    float x[2] = {1, 1 + 0x1p-12f}, g[2] = {1, 1 + 0x1p-12f};
    cr_expect_eq(ref1(NB_PRMSNORM, NB_F32, x, g, NULL, 2, 0, 50, 1), 1 + 0x1p-11f);
    /* f16: (1 + 2^-5)(1 + 2^-6) = 1 + 48 * 2^-10 + 2^-11: even is 48 */
    float xh[2] = {1, 1 + 0x1p-5f}, gh[2] = {1, 1 + 0x1p-6f};
    cr_expect_eq(ref1(NB_PRMSNORM, NB_F16, xh, gh, NULL, 2, 0, 50, 1), 1 + 48 * 0x1p-10f);
}

Test(reference, ties_that_go_up_and_near_ties_need_more_precision)
{
    /* find bf16 pairs near 1 whose product is a midpoint that rounds up */
    int found = 0;
    for (int a = 1; a < 128 && found < 5; a++)
        for (int c = 1; c < 128 && found < 5; c++) {
            double xa = 1 + a * 0x1p-7, gc = 1 + c * 0x1p-7, prod = xa * gc; /* exact */
            double ulp = prod >= 2 ? 0x1p-6 : 0x1p-7;
            double units = prod / ulp;
            if (units - floor(units) != 0.5 || ((long)floor(units) % 2) == 0)
                continue; /* want an odd lower neighbour: the tie goes up */
            float x[2] = {1, (float)xa}, g[2] = {1, (float)gc};
            float up = (float)(ceil(units) * ulp), down = (float)(floor(units) * ulp);
            cr_expect_eq(ref1(NB_PRMSNORM, NB_BF16, x, g, NULL, 2, 0, 50, 1), up);
            /* eps = 2^-300 makes rms = sqrt(1 + 2^-300): y just below the
             * midpoint, by 2^-301 relative, which 256 bits cannot see */
            cr_expect_eq(ref1(NB_PRMSNORM, NB_BF16, x, g, NULL, 2, 0x1p-300, 50, 1), down);
            found++;
        }
    cr_assert_eq(found, 5);
}

/* Random rows against long double: where the long double value is far
 * from a midpoint of the format, its rounding is the correct one. */
static long double ld_norm(enum nb_norm norm, const float *x, const float *g, const float *b, size_t n,
                           size_t k, double eps, size_t i)
{
    long double mu = 0, ss = 0;
    if (norm == NB_LAYERNORM) {
        for (size_t j = 0; j < n; j++)
            mu += x[j];
        mu /= n;
        for (size_t j = 0; j < n; j++)
            ss += (x[j] - mu) * (x[j] - mu);
        return (x[i] - mu) / sqrtl(ss / n + eps) * g[i] + b[i];
    }
    for (size_t j = 0; j < k; j++)
        ss += (long double)x[j] * x[j];
    long double gain = norm == NB_GEMMARMSNORM ? 1.0L + g[i] : g[i];
    return x[i] / sqrtl(ss / k + eps) * gain;
}

Test(reference, random_rows_match_an_independent_computation)
{
    struct rng r = {99};
    const enum nb_norm norms[] = {NB_RMSNORM, NB_LAYERNORM, NB_PRMSNORM, NB_GEMMARMSNORM};
    const double eps_values[] = {0, 1e-12, 1e-6, 1e-3};
    size_t compared = 0;
    for (size_t trial = 0; trial < 400; trial++) {
        enum nb_norm norm = norms[trial % 4];
        enum nb_dtype dt = (enum nb_dtype)((trial / 4) % 3);
        size_t n = 1 + (size_t)(rng_uniform(&r) * 40);
        double eps = eps_values[(trial / 12) % 4], scale = ldexp(1.0, (int)(rng_uniform(&r) * 20) - 10);
        float x[64], g[64], b[64];
        for (size_t j = 0; j < n; j++) {
            x[j] = nb_round_to((float)(scale * rng_normal(&r)), dt);
            g[j] = nb_round_to((float)(1 + 0.3 * rng_normal(&r)), dt);
            b[j] = nb_round_to((float)(0.2 * rng_normal(&r)), dt);
        }
        size_t k = norm == NB_PRMSNORM ? nb_prms_k(n, 30) : n;
        for (size_t i = 0; i < n; i++) {
            long double v = ld_norm(norm, x, g, b, n, k, eps, i);
            double ulp = ldexp(1.0, ilogb((double)v) - (dt == NB_F32 ? 23 : dt == NB_BF16 ? 7 : 10));
            long double frac = v / ulp - floorl(v / ulp);
            if (!isfinite((double)v) || fabsl(frac - 0.5L) < 1e-6L || fabs((double)v) < 1e-30 ||
                (dt == NB_F16 && fabs((double)v) < 0x1p-14))
                continue;
            float want = (float)reference_round_double((double)v, dt);
            float got = ref1(norm, dt, x, g, b, n, eps, 30, i);
            cr_expect_eq(got, want, "norm %d dtype %d n %zu eps %g i %zu: %a, want %a", norm, dt, n, eps, i,
                         (double)got, (double)want);
            compared++;
        }
    }
    cr_assert_gt(compared, 4000);
}

Test(reference, special_inputs_follow_ieee)
{
    const float x[4] = {0, 0, 0, 0}, g[4] = {1, 1, 1, 1}, b[4] = {0, 0, 0, 0};
    cr_expect(isnan(ref1(NB_RMSNORM, NB_F32, x, g, NULL, 4, 0, 0, 0)), "0/sqrt(0) is NaN");
    cr_expect_eq(ref1(NB_RMSNORM, NB_F32, x, g, NULL, 4, 1e-6, 0, 0), 0.0f);
    cr_expect(isnan(ref1(NB_LAYERNORM, NB_F32, x, g, b, 4, 0, 0, 1)));
    const float xi[3] = {INFINITY, 1, 2}, g3[3] = {1, 1, 1};
    cr_expect(isnan(ref1(NB_RMSNORM, NB_F32, xi, g3, NULL, 3, 0, 0, 0)), "inf/inf");
    cr_expect_eq(ref1(NB_RMSNORM, NB_F32, xi, g3, NULL, 3, 0, 0, 1), 0.0f, "1/inf");
}

Test(reference, round_double_to_formats)
{
    cr_expect_eq(reference_round_double(65519.0, NB_F16), 65504.0);
    cr_expect(isinf(reference_round_double(65520.0, NB_F16)));
    cr_expect_eq(reference_round_double(0x1p-25, NB_F16), 0.0);            /* tie to even: 0 */
    cr_expect_eq(reference_round_double(0x1.8p-25, NB_F16), 0x1p-24);      /* above the tie */
    cr_expect_eq(reference_round_double(1 + 0x1p-8, NB_BF16), 1.0);        /* tie to even */
    cr_expect_eq(reference_round_double(1 + 3 * 0x1p-8, NB_BF16), 1 + 0x1p-6);
    cr_expect_eq(reference_round_double(0x1p-149 * 0.5, NB_F32), 0.0);
    cr_expect_eq(reference_round_double(0x1p-149 * 0.75, NB_F32), 0x1p-149);
    cr_expect(isinf(reference_round_double(DBL_MAX, NB_BF16)));
}
