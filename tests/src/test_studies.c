/* The phenomena the studies exist to find, pinned: if a kernel or the
 * measurement changes so that one of them is no longer seen, this fails. */
#include <criterion/criterion.h>

#include "../../src/datagen.h"
#include "../../src/registry.h"
#include "../../src/study.h"

static struct accuracy_summary cell(const char *variant, size_t n, double eps, enum nb_dist kind, double scale,
                                    double offset)
{
    const struct nb_variant *v = registry_find(variant);
    cr_assert_not_null(v, "%s", variant);
    struct study_cell c = {.rows = 2, .n = n, .eps = eps, .p = 6.25, .seed = 42,
                           .dist = {.kind = kind, .scale = scale, .offset = offset}};
    struct ref_cache cache = {0};
    struct accuracy_summary s = {0};
    cr_assert_eq(study_measure(v, &c, &cache, &s), 0);
    ref_cache_free(&cache);
    return s;
}

static int broken(const struct accuracy_summary *s)
{
    return s->false_nonfinite + s->false_zero > 0;
}

/* The sum of squares of 4096 values of scale 8 is about 2^18, far past
 * fp16's 65504, though every input is below 64. */
Test(phenomena, f16_sum_of_squares_overflows_long_before_the_inputs)
{
    struct accuracy_summary nat = cell("rmsnorm/fused/scalar/f16-nat", 4096, 1e-6, NB_DIST_NORMAL, 8, 0);
    struct accuracy_summary up = cell("rmsnorm/fused/scalar/f16-up", 4096, 1e-6, NB_DIST_NORMAL, 8, 0);
    cr_expect(broken(&nat), "f16-nat at scale 8 should give wrong zeros or non-finite outputs");
    cr_expect(!broken(&up) && up.max_ulp <= 0.51, "f16-up at scale 8: %g ULP", up.max_ulp);
    /* and at scale 1 the sum (about 4096) still fits: no breakage, only rounding */
    struct accuracy_summary ok = cell("rmsnorm/fused/scalar/f16-nat", 4096, 1e-6, NB_DIST_NORMAL, 1, 0);
    cr_expect(!broken(&ok));
}

/* eps = 1e-8 is below half of fp16's smallest subnormal: it rounds to 0, so
 * an all-zero row is 0/0 without upcast and 0 with it. */
Test(phenomena, eps_1e_8_is_zero_in_f16)
{
    struct accuracy_summary nat = cell("rmsnorm/naive/scalar/f16-nat", 64, 1e-8, NB_DIST_ZEROS, 1, 0);
    struct accuracy_summary up = cell("rmsnorm/naive/scalar/f16-up", 64, 1e-8, NB_DIST_ZEROS, 1, 0);
    cr_expect_eq(nat.nan, nat.count, "every output NaN without upcast (%zu of %zu)", nat.nan, nat.count);
    cr_expect_eq(up.nan + up.pos_inf + up.neg_inf, 0);
    cr_expect_eq(up.correctly_rounded, up.count);
}

/* Inputs near 2^-12 square to about 2^-24, fp16's smallest subnormal: the
 * squares keep a bit or two or flush to zero, and the statistic is wrong
 * (eps = 1e-8 is 0 in fp16 and cannot help); below 2^-13 every square is 0
 * and the output is infinite. n = 64 keeps the summation error small so the
 * underflow is what is measured. */
Test(phenomena, x_squared_underflows_in_f16)
{
    struct accuracy_summary fine = cell("rmsnorm/fused/scalar/f16-nat", 64, 1e-8, NB_DIST_NORMAL, 1, 0);
    struct accuracy_summary nat = cell("rmsnorm/fused/scalar/f16-nat", 64, 1e-8, NB_DIST_NORMAL, 0x1p-12, 0);
    struct accuracy_summary gone = cell("rmsnorm/fused/scalar/f16-nat", 64, 1e-8, NB_DIST_NORMAL, 0x1p-15, 0);
    struct accuracy_summary up = cell("rmsnorm/fused/scalar/f16-up", 64, 1e-8, NB_DIST_NORMAL, 0x1p-12, 0);
    cr_expect_leq(fine.max_ulp, 8, "f16-nat at scale 1, n = 64: %g ULP", fine.max_ulp);
    cr_expect_gt(nat.max_ulp, 10 * fine.max_ulp, "f16-nat at scale 2^-12: %g ULP, at 1: %g", nat.max_ulp, fine.max_ulp);
    cr_expect_gt(gone.false_nonfinite, 0, "every square flushed: 1/sqrt(0)");
    cr_expect_leq(up.max_ulp, 0.51);
}

/* Summing 8192 squares in bf16 (8 bits): once the sum passes 2^9 a term
 * near 1 is below half an ulp and is lost. */
Test(phenomena, bf16_accumulation_swamps_for_large_n)
{
    struct accuracy_summary small = cell("rmsnorm/fused/scalar/bf16-nat", 64, 1e-6, NB_DIST_NORMAL, 1, 0);
    struct accuracy_summary large = cell("rmsnorm/fused/scalar/bf16-nat", 8192, 1e-6, NB_DIST_NORMAL, 1, 0);
    cr_expect_gt(large.max_ulp, 5 * small.max_ulp, "n=8192: %g ULP, n=64: %g ULP", large.max_ulp, small.max_ulp);
    cr_expect_gt(large.max_rel, 0.25, "the statistic is off by a large factor: max_rel %g", large.max_rel);
    struct accuracy_summary up = cell("rmsnorm/fused/scalar/bf16-up", 8192, 1e-6, NB_DIST_NORMAL, 1, 0);
    cr_expect_leq(up.max_ulp, 0.51);
}

/* Mean 1e4, unit noise: E[x^2] ~ 1e8 and its f32 rounding (about 4) swamps
 * the variance (1); onepass goes wrong or negative (NaN), twopass and
 * welford do not. */
Test(phenomena, onepass_layernorm_cancels_at_large_offsets)
{
    struct accuracy_summary one = cell("layernorm/onepass/scalar/f32", 4096, 1e-5, NB_DIST_OFFSET, 1, 1e4);
    struct accuracy_summary two = cell("layernorm/twopass/scalar/f32", 4096, 1e-5, NB_DIST_OFFSET, 1, 1e4);
    struct accuracy_summary wel = cell("layernorm/welford/scalar/f32", 4096, 1e-5, NB_DIST_OFFSET, 1, 1e4);
    cr_expect(one.nan > 0 || one.max_ulp_terms > 1000, "onepass at offset 1e4: %g ULP, %zu NaN", one.max_ulp_terms,
              one.nan);
    cr_expect_leq(two.max_ulp_terms, 6.0);
    cr_expect_leq(wel.max_ulp_terms, 6.0);
    struct accuracy_summary near = cell("layernorm/onepass/scalar/f32", 4096, 1e-5, NB_DIST_OFFSET, 1, 1);
    cr_expect_leq(near.max_ulp_terms, 6.0, "at offset 1 onepass is fine: %g", near.max_ulp_terms);
}

Test(datagen, reproducible_and_machine_independent)
{
    /* fixed values: the generator uses only IEEE basic operations */
    struct nb_rng r;
    rng_seed(&r, 42);
    uint64_t first = rng_u64(&r);
    rng_seed(&r, 42);
    cr_expect_eq(rng_u64(&r), first);
    float a[64], b[64];
    struct nb_distribution d = {.kind = NB_DIST_NORMAL, .scale = 1};
    datagen_fill(a, 4, 16, NB_F32, &d, 7);
    datagen_fill(b, 4, 16, NB_F32, &d, 7);
    cr_expect(memcmp(a, b, sizeof a) == 0);
    datagen_fill(b, 4, 16, NB_F32, &d, 8);
    cr_expect(memcmp(a, b, sizeof a) != 0, "another seed, other data");
    /* normal: mean near 0, variance near 1 over many draws */
    rng_seed(&r, 1);
    double s = 0, s2 = 0;
    for (int i = 0; i < 200000; i++) {
        double g = rng_gauss(&r);
        s += g;
        s2 += g * g;
    }
    cr_expect_lt(fabs(s / 200000), 0.01);
    cr_expect_lt(fabs(s2 / 200000 - 1), 0.02);
    /* outlier channels are the same in every row */
    struct nb_distribution o = {.kind = NB_DIST_OUTLIER, .scale = 1, .factor = 1000, .channels = 2};
    float x[4 * 64];
    datagen_fill(x, 4, 64, NB_F32, &o, 3);
    int big_cols = 0;
    for (int j = 0; j < 64; j++) {
        int big = 0;
        for (int row = 0; row < 4; row++)
            big += fabsf(x[row * 64 + j]) > 50;
        cr_expect(big == 0 || big >= 3, "column %d is an outlier in %d of 4 rows", j, big);
        big_cols += big >= 3;
    }
    cr_expect_geq(big_cols, 1);
    cr_expect_leq(big_cols, 4);
}

/* A sweep fails only where a bounded variant breaks its bound on
 * well-conditioned inputs (run's rule, SPEC section 9). */
Test(studies, a_cell_fails_only_for_bounded_variants_on_tame_inputs)
{
    const struct nb_variant *up = registry_find("rmsnorm/fused/scalar/f32");
    const struct nb_variant *nat = registry_find("rmsnorm/fused/scalar/f16-nat");
    cr_assert(up && nat);
    struct nb_distribution normal = {.kind = NB_DIST_NORMAL, .scale = 1};
    struct accuracy_summary bad = {.max_ulp_terms = 100}, good = {.max_ulp_terms = 2};
    cr_expect(study_cell_fails(up, &normal, 1e-6, &bad), "100 ULP against a bound of 6 on normal rows");
    cr_expect(!study_cell_fails(up, &normal, 1e-6, &good));
    cr_expect(!study_cell_fails(nat, &normal, 1e-6, &bad), "nat variants are reported, not bounded");
    struct nb_distribution huge = {.kind = NB_DIST_NORMAL, .scale = 65536};
    cr_expect(!study_cell_fails(up, &huge, 1e-6, &bad), "a scale of 2^16 is what a study is for");
    struct nb_distribution offset = {.kind = NB_DIST_OFFSET, .scale = 1, .offset = 1e4};
    cr_expect(!study_cell_fails(up, &offset, 1e-6, &bad), "offset rows are ill-conditioned for LayerNorm");
    cr_expect(!study_cell_fails(up, &normal, 0, &bad), "eps = 0 is a study of its own");
    struct accuracy_summary nan = {.max_ulp_terms = 1, .false_nonfinite = 1};
    cr_expect(study_cell_fails(up, &normal, 1e-6, &nan), "a NaN where the reference is finite fails");
    struct accuracy_summary lost = {.max_ulp_terms = 100, .inputs_lost = 3};
    cr_expect(!study_cell_fails(up, &normal, 1e-6, &lost), "inputs the storage type lost are not data");
}

/* What storing lost: an overflow to Inf, or a value flushed to zero, is
 * counted; zeros drawn as zeros are not. */
Test(studies, datagen_counts_inputs_the_storage_type_lost)
{
    uint16_t h[64];
    struct nb_distribution big = {.kind = NB_DIST_NORMAL, .scale = 65536 * 4};
    struct datagen_loss l = datagen_fill(h, 1, 64, NB_F16, &big, 1);
    cr_expect_gt(l.overflowed, 32, "N(0,1) * 2^18 in f16: most overflow, %zu did", l.overflowed);
    struct nb_distribution tiny = {.kind = NB_DIST_NORMAL, .scale = 0x1p-30};
    l = datagen_fill(h, 1, 64, NB_F16, &tiny, 1);
    cr_expect_gt(l.flushed, 32, "N(0,1) * 2^-30 in f16: most flush, %zu did", l.flushed);
    struct nb_distribution zeros = {.kind = NB_DIST_ZEROS, .scale = 1};
    l = datagen_fill(h, 1, 64, NB_F16, &zeros, 1);
    cr_expect(l.overflowed == 0 && l.flushed == 0, "zeros drawn are not lost");
    uint16_t b[64];
    l = datagen_fill(b, 1, 64, NB_BF16, &big, 1);
    cr_expect(l.overflowed == 0 && l.flushed == 0, "bf16 holds 2^18");
}

/* An output that overflows, correctly rounded to Inf, is no error at the
 * terms either: a LayerNorm-backward dx of 1e6 in f16 (the zero rows at
 * eps = 1e-12 of configs/backward-eps.ini) was counted infinitely wrong.
 * A wrong Inf still is. */
Test(studies, a_correctly_rounded_overflow_is_no_error_at_the_terms)
{
    struct accuracy_summary right = {0}, wrong = {0};
    accuracy_add_scaled(&right, INFINITY, 1.0e6, INFINITY, 2.0e6, NB_F16);
    cr_expect_eq(right.max_ulp_terms, 0.0, "%g", right.max_ulp_terms);
    cr_expect_eq(right.false_nonfinite, 0);
    accuracy_add_scaled(&wrong, INFINITY, 1.0e4, 10000.0, 2.0e4, NB_F16);
    cr_expect(isinf(wrong.max_ulp_terms) && wrong.false_nonfinite == 1, "%g", wrong.max_ulp_terms);
}
