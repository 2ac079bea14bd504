/* The regression verdict on synthetic samples (no timing involved). */
#include <criterion/criterion.h>
#include <math.h>

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

/* ---- the paired verdict of ab ---- */

static void paired_series(double *base, double *cur, size_t n, double ratio, double noise, uint64_t seed)
{
    struct nb_rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        double load = 1 + 0.5 * fabs(rng_gauss(&r)); /* the host: up to 2x per round, both sides alike */
        base[i] = 100 * load * (1 + noise * rng_gauss(&r));
        cur[i] = ratio * 100 * load * (1 + noise * rng_gauss(&r));
    }
}

Test(gate_paired, the_same_code_under_a_moving_load_is_same)
{
    double a[30], b[30];
    for (uint64_t s = 0; s < 50; s++) {
        paired_series(a, b, 30, 1.0, 0.01, s);
        struct paired_verdict v;
        gate_paired(a, b, 30, &params, 13, &v);
        cr_expect_eq(v.verdict, VERDICT_SAME, "seed %d: %s (%+.2f%%, p %g)", (int)s, verdict_name(v.verdict),
                     v.change * 100, v.p_value);
    }
}

Test(gate_paired, ten_percent_slower_is_slower_under_the_same_load)
{
    double a[30], b[30];
    paired_series(a, b, 30, 1.10, 0.01, 3);
    struct paired_verdict v;
    gate_paired(a, b, 30, &params, 13, &v);
    cr_expect_eq(v.verdict, VERDICT_SLOWER, "%s (%+.2f%%)", verdict_name(v.verdict), v.change * 100);
    cr_expect(v.lo <= 1.10 && v.hi >= 1.10, "[%g, %g]", v.lo, v.hi);
    /* unpaired, the load swamps it: the old gate cannot tell */
    struct gate_result g;
    gate_compare(a, 30, b, 30, &params, &g);
    cr_expect_neq(g.verdict, VERDICT_SLOWER, "the unpaired gate should not see 10%% under a 2x load");
}

Test(gate_paired, a_small_change_is_same_and_few_rounds_are_noisy)
{
    double a[30], b[30];
    paired_series(a, b, 30, 1.02, 0.005, 4);
    struct paired_verdict v;
    gate_paired(a, b, 30, &params, 1, &v);
    cr_expect_eq(v.verdict, VERDICT_SAME, "2%% is under the 5%% threshold, significant or not");
    cr_expect_lt(v.p_value, 0.01);
    gate_paired(a, b, 4, &params, 1, &v);
    cr_expect_eq(v.verdict, VERDICT_NOISY);
    cr_expect_str_eq(v.why, "too few rounds");
    paired_series(a, b, 30, 1.0, 0.2, 5); /* 20% noise per round: a 5% change cannot be told */
    gate_paired(a, b, 30, &params, 1, &v);
    cr_expect_eq(v.verdict, VERDICT_NOISY, "%s", v.why);
}

Test(gate_paired, bonferroni_divides_alpha_by_the_rows_decided)
{
    /* 8 rounds all 6% slower: p = 2/256 = 0.0078, below 0.05 but not 0.05 / 13 */
    double a[8], b[8];
    for (int i = 0; i < 8; i++) {
        a[i] = 100 + i;
        b[i] = (100 + i) * (1.06 + 0.001 * i);
    }
    struct paired_verdict v;
    gate_paired(a, b, 8, &params, 1, &v);
    cr_expect_eq(v.verdict, VERDICT_SLOWER, "one row: %s p %g", verdict_name(v.verdict), v.p_value);
    gate_paired(a, b, 8, &params, 13, &v);
    cr_expect_eq(v.verdict, VERDICT_SAME, "13 rows: p %g is not below 0.05 / 13", v.p_value);
}

/* ---- compare's policy for two separate runs ---- */

Test(gate_policy, drift_needs_twenty_rows_and_is_robust)
{
    double lr[40];
    struct gate_drift d;
    for (int i = 0; i < 19; i++)
        lr[i] = 0.1;
    cr_expect_eq(gate_drift_estimate(lr, 19, &d), -1, "19 rows: no drift filter");
    cr_expect(isnan(d.sd));
    for (int i = 0; i < 40; i++)
        lr[i] = log(1.10) + 0.01 * ((i % 5) - 2); /* the whole run 10% slower, one row wildly off */
    lr[7] = log(3.0);
    cr_assert_eq(gate_drift_estimate(lr, 40, &d), 0);
    cr_expect(fabs(d.mid - log(1.10)) < 0.011, "median %g", d.mid);
    cr_expect(d.sd < 0.03, "one outlier must not inflate the robust spread: %g", d.sd);
}

Test(gate_policy, a_change_within_the_drift_is_noisy)
{
    struct gate_drift d = {log(1.10), 0.02};
    struct gate_result g = {.verdict = VERDICT_SLOWER, .change = 0.12, .why = ""};
    gate_apply_drift(&g, &d, 3.0);
    cr_expect_eq(g.verdict, VERDICT_NOISY, "+12%% in a run that drifted +10%% (sd 2%%)");
    cr_expect_str_eq(g.why, "within the run-to-run drift");
    g = (struct gate_result){.verdict = VERDICT_SLOWER, .change = 0.40, .why = ""};
    gate_apply_drift(&g, &d, 3.0);
    cr_expect_eq(g.verdict, VERDICT_SLOWER, "+40%% stands out of a +10%% drift");
    g = (struct gate_result){.verdict = VERDICT_SAME, .change = 0.12, .why = ""};
    gate_apply_drift(&g, &d, 3.0);
    cr_expect_eq(g.verdict, VERDICT_SAME, "only slower and faster verdicts are filtered");
    struct gate_drift none = {0, NAN};
    g = (struct gate_result){.verdict = VERDICT_SLOWER, .change = 0.06, .why = ""};
    gate_apply_drift(&g, &none, 3.0);
    cr_expect_eq(g.verdict, VERDICT_SLOWER, "no drift estimate: no filter");
}

Test(gate_policy, one_slow_shape_of_many_is_isolated)
{
    struct gate_result g = {.verdict = VERDICT_SLOWER, .why = ""};
    gate_apply_isolation(&g, 6, 1, 0);
    cr_expect_eq(g.verdict, VERDICT_NOISY);
    g.verdict = VERDICT_SLOWER;
    gate_apply_isolation(&g, 6, 4, 0);
    cr_expect_eq(g.verdict, VERDICT_SLOWER, "4 of 6 shapes slower: a real slowdown");
    g.verdict = VERDICT_FASTER;
    gate_apply_isolation(&g, 3, 0, 1);
    cr_expect_eq(g.verdict, VERDICT_NOISY);
}

Test(gate_policy, instructions_decide_by_the_change_alone)
{
    double change;
    cr_expect_eq(gate_instructions(1000, 1011, 0.01, &change), VERDICT_SLOWER);
    cr_expect_float_eq(change, 0.011, 1e-12);
    cr_expect_eq(gate_instructions(1000, 1009, 0.01, &change), VERDICT_SAME, "0.9%% is within 1%%");
    cr_expect_eq(gate_instructions(1000, 980, 0.01, &change), VERDICT_FASTER);
}
