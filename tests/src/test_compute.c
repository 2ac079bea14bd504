/* compute_measure's structure: a clock inside its samples' range, one
 * vector rate per ISA the CPU and build have, and the pair test present
 * only when asked. No rate is asserted: benchmarks measure, tests verify. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "../../kernels/ceiling.h"
#include "../../src/compute.h"
#include "../../src/cpu_features.h"

Test(compute, clock_and_vector_rates_are_reported_per_isa)
{
    struct compute_rates r;
    char err[256];
    cr_assert_eq(compute_measure(&r, 3, -1, err, sizeof err), 0, "%s", err);
    cr_expect(r.core_ghz > 0 && isfinite(r.core_ghz), "clock %g", r.core_ghz);
    cr_expect(r.core_ghz_lo <= r.core_ghz && r.core_ghz <= r.core_ghz_hi, "%g outside [%g, %g]", r.core_ghz,
              r.core_ghz_lo, r.core_ghz_hi);
    const unsigned f = cpu_detect()->features;
    size_t want = ((f & NB_CPU_AVX2) && (f & NB_CPU_FMA) && ceiling_mul_avx2) + ((f & NB_CPU_AVX512F) && ceiling_mul_avx512);
    cr_expect_eq(r.nvec, want);
    for (size_t i = 0; i < r.nvec; i++) {
        cr_expect(r.vec[i].mul_per_cycle > 0 && isfinite(r.vec[i].mul_per_cycle), "%s", r.vec[i].isa);
        cr_expect(r.vec[i].fma_per_cycle > 0 && isfinite(r.vec[i].fma_per_cycle), "%s", r.vec[i].isa);
        cr_expect_eq(r.vec[i].lanes, strcmp(r.vec[i].isa, "avx512") == 0 ? 16 : 8);
    }
    cr_expect_eq(r.pair_cpu, -1);
    cr_expect(isnan(r.pair_ratio), "no pair test asked, yet a ratio %g", r.pair_ratio);
}

Test(compute, a_cpu_that_cannot_be_bound_is_an_error_not_a_ratio)
{
    struct compute_rates r;
    char err[256] = "";
    cr_expect_eq(compute_measure(&r, 1, 4096, err, sizeof err), -1);
    cr_expect(strstr(err, "CPU 4096") != NULL, "error: %s", err);
    cr_expect(isnan(r.pair_ratio));
    cr_expect(isfinite(r.core_ghz), "the clock alone is still measured");
}
