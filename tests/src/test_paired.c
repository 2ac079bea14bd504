/* Paired ratios, their intervals and the signed-rank test, on synthetic
 * series (no timing involved). */
#include <criterion/criterion.h>
#include <math.h>

#include "../../src/datagen.h"
#include "../../src/gate.h"
#include "../../src/paired.h"

/* base and new timed in the same rounds while the host's load moves every
 * round's speed by about 40%; new is truly `ratio` times slower */
static void drifting_pair(double *base, double *cur, size_t n, double ratio, uint64_t seed)
{
    struct nb_rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        double drift = exp(0.4 * rng_gauss(&r));
        base[i] = 100 * drift * (1 + 0.01 * rng_gauss(&r));
        cur[i] = ratio * 100 * drift * (1 + 0.01 * rng_gauss(&r));
    }
}

Test(paired, drift_cancels_in_the_paired_ratio_not_in_the_unpaired_test)
{
    enum { N = 15 };
    double base[N], cur[N], logr[N];
    drifting_pair(base, cur, N, 1.2, 7);
    struct ratio_ci ci;
    cr_assert_eq(paired_ratio(cur, base, N, &ci), 0);
    cr_expect(fabs(ci.mid - 1.2) < 0.02, "median ratio %g, want 1.2", ci.mid);
    cr_expect(ci.lo <= 1.2 && ci.hi >= 1.2, "[%g, %g] misses 1.2", ci.lo, ci.hi);
    cr_expect(ci.hi / ci.lo < 1.08, "interval [%g, %g] too wide for 1%% noise", ci.lo, ci.hi);
    for (size_t i = 0; i < N; i++)
        logr[i] = log(cur[i] / base[i]);
    cr_expect_lt(wilcoxon_signed_rank_p(logr, N), 0.001, "the paired test sees the 20%%");
    /* unpaired, the drift swamps the 20% */
    cr_expect_gt(mann_whitney_p(base, N, cur, N), 0.05, "the unpaired test should not see it under this drift");
}

Test(paired, interval_covers_the_true_ratio)
{
    enum { N = 12, TRIALS = 2000 };
    struct nb_rng r;
    rng_seed(&r, 11);
    size_t covered = 0;
    for (int t = 0; t < TRIALS; t++) {
        double a[N], b[N];
        for (size_t i = 0; i < N; i++) {
            double drift = exp(0.3 * rng_gauss(&r));
            a[i] = 1.1 * drift * exp(0.03 * rng_gauss(&r));
            b[i] = drift * exp(0.03 * rng_gauss(&r));
        }
        struct ratio_ci ci;
        paired_ratio(a, b, N, &ci);
        covered += ci.lo <= 1.1 && 1.1 <= ci.hi;
    }
    /* distribution-free: at least 95% (more with the floor) */
    cr_expect_geq(covered, TRIALS * 95 / 100, "covered %zu of %d", covered, TRIALS);
}

Test(paired, order_statistic_of_the_interval)
{
    cr_expect_eq(paired_order_k(5, 0.025), 0, "five rounds give no 95%% interval");
    cr_expect_eq(paired_order_k(6, 0.025), 1);
    cr_expect_eq(paired_order_k(10, 0.025), 2);
    cr_expect_eq(paired_order_k(20, 0.025), 6);
    double a[5] = {1, 2, 3, 4, 5}, b[5] = {1, 1, 1, 1, 1};
    struct ratio_ci ci;
    paired_ratio(a, b, 5, &ci);
    cr_expect_float_eq(ci.mid, 3.0, 1e-12);
    cr_expect(isnan(ci.lo) && isnan(ci.hi));
    char text[64];
    ratio_ci_format(text, sizeof text, &ci, "x");
    cr_expect_str_eq(text, "3.00x");
}

Test(paired, skips_pairs_without_a_ratio)
{
    double a[8] = {2, 2, NAN, 2, 2, 2, 0, 2}, b[8] = {1, 1, 1, 1, INFINITY, 1, 1, 1};
    struct ratio_ci ci;
    paired_ratio(a, b, 8, &ci);
    cr_expect_eq(ci.n, 5);
    cr_expect_float_eq(ci.mid, 2.0, 1e-12);
    char text[64];
    struct ratio_ci none = {NAN, NAN, NAN, 0};
    ratio_ci_format(text, sizeof text, &none, "x");
    cr_expect_str_eq(text, "n/a");
}

Test(paired, signed_rank_exact_values)
{
    double up[5] = {1, 2, 3, 4, 5};
    cr_expect_float_eq(wilcoxon_signed_rank_p(up, 5), 2.0 / 32.0, 1e-12);
    double mixed[4] = {1, -2, 3, -4};
    /* W+ = 4 of 10: P(W+ <= 4) = 7/16, two-sided 7/8 */
    cr_expect_float_eq(wilcoxon_signed_rank_p(mixed, 4), 14.0 / 16.0, 1e-12);
    double zeros[3] = {0, 0, 0};
    cr_expect(isnan(wilcoxon_signed_rank_p(zeros, 3)));
}
