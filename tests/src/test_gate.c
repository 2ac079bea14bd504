/* The regression verdict on synthetic samples (no timing involved). */
#include <criterion/criterion.h>

#include "../../src/datagen.h"
#include "../../src/gate.h"

static const struct gate_params params = {.threshold = 0.05, .alpha = 0.05, .cv_cap = 0.10, .min_samples = 5};

static void draw(double *v, size_t n, double center, double rel_sd, uint64_t seed)
{
    struct nb_rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        v[i] = center * (1 + rel_sd * rng_gauss(&r));
}

Test(gate, same_distribution_is_same)
{
    double a[12], b[12];
    for (uint64_t s = 0; s < 20; s++) {
        draw(a, 12, 100, 0.01, 2 * s);
        draw(b, 12, 100, 0.01, 2 * s + 1);
        struct gate_result g;
        gate_compare(a, 12, b, 12, &params, &g);
        cr_expect(g.verdict == VERDICT_SAME || g.verdict == VERDICT_FASTER || g.verdict == VERDICT_SLOWER,
                  "seed %d: %s", (int)s, verdict_name(g.verdict));
        cr_expect_neq(g.verdict, VERDICT_SLOWER, "1%% noise, same centre: never a 5%% regression (seed %d)", (int)s);
    }
}

Test(gate, ten_percent_slower_with_low_noise_is_slower)
{
    double a[12], b[12];
    draw(a, 12, 100, 0.01, 1);
    draw(b, 12, 110, 0.01, 2);
    struct gate_result g;
    gate_compare(a, 12, b, 12, &params, &g);
    cr_expect_eq(g.verdict, VERDICT_SLOWER);
    cr_expect_lt(g.p_value, 0.001);
    cr_expect_float_eq(g.change, g.new_median / g.base_median - 1, 1e-12);
}

Test(gate, ten_percent_slower_with_huge_noise_is_noisy)
{
    double a[12], b[12];
    draw(a, 12, 100, 0.5, 3);
    draw(b, 12, 110, 0.5, 4);
    struct gate_result g;
    gate_compare(a, 12, b, 12, &params, &g);
    cr_expect_eq(g.verdict, VERDICT_NOISY, "%s", verdict_name(g.verdict));
}

/* One preempted repetition per side (10x the others) must not hide a
 * fourfold slowdown: the spread that decides is robust to it. */
Test(gate, an_outlier_does_not_hide_a_large_slowdown)
{
    double a[12], b[12];
    draw(a, 12, 100, 0.01, 5);
    draw(b, 12, 400, 0.01, 6);
    a[3] = 1000;
    b[7] = 4000;
    struct gate_result g;
    gate_compare(a, 12, b, 12, &params, &g);
    cr_expect_gt(g.base_cv, 0.5, "the plain CV is large here (%g)", g.base_cv);
    cr_expect_eq(g.verdict, VERDICT_SLOWER, "%s", verdict_name(g.verdict));
}

Test(gate, too_few_repetitions_is_noisy)
{
    double a[3] = {100, 101, 99}, b[3] = {200, 201, 199};
    struct gate_result g;
    gate_compare(a, 3, b, 3, &params, &g);
    cr_expect_eq(g.verdict, VERDICT_NOISY);
}

Test(gate, mann_whitney_matches_known_values)
{
    /* fully separated samples of 5 and 5: U = 0, exact two-sided p = 2/252
     * = 0.0079; the normal approximation with continuity gives about 0.012 */
    double a[5] = {1, 2, 3, 4, 5}, b[5] = {6, 7, 8, 9, 10};
    double p = mann_whitney_p(a, 5, b, 5);
    cr_expect(p > 0.005 && p < 0.02, "p = %g", p);
    /* identical samples: no evidence of a difference */
    cr_expect_eq(mann_whitney_p(a, 5, a, 5), 1.0);
}
