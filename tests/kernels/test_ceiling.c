/* The compute probes do the work their rates are counted from: the add
 * chain iters x 16 adds of step, and each vector probe iters multiplies
 * (or multiply-adds) in each of its twelve chains. A probe the compiler
 * had shortened would give a wrong result here before a wrong rate. */
#include <criterion/criterion.h>

#include "../../kernels/ceiling.h"
#include "../../src/cpu_features.h"

Test(ceiling, add_chain_adds_sixteen_steps_per_iteration)
{
    cr_expect_eq(ceiling_add_chain(0, 3), 0);
    cr_expect_eq(ceiling_add_chain(1, 3), 48);
    cr_expect_eq(ceiling_add_chain(1000, 7), 112000);
}

/* chain j starts at 1 + j and is multiplied by c once per iteration: the
 * result is c^iters x (1 + 2 + ... + 12) */
static void expect_chains(float (*probe)(size_t, float), const char *name)
{
    cr_expect_eq(probe(0, 2.0f), 78.0f, "%s, no iteration", name);
    cr_expect_eq(probe(1, 2.0f), 156.0f, "%s, one iteration", name);
    cr_expect_eq(probe(5, 2.0f), 78.0f * 32, "%s, five iterations", name);
    cr_expect_eq(probe(5, 0.5f), 78.0f / 32, "%s, five halvings", name);
    cr_expect_eq(probe(100000, 1.0f), 78.0f, "%s: a factor of 1 keeps the values", name);
}

Test(ceiling, vector_probes_multiply_each_chain_once_per_iteration)
{
    const unsigned f = cpu_detect()->features;
    int probed = 0;
    if ((f & NB_CPU_AVX2) && (f & NB_CPU_FMA) && ceiling_mul_avx2) {
        expect_chains(ceiling_mul_avx2, "avx2 multiply");
        expect_chains(ceiling_fma_avx2, "avx2 multiply-add");
        probed++;
    }
    if ((f & NB_CPU_AVX512F) && ceiling_mul_avx512) {
        expect_chains(ceiling_mul_avx512, "avx512 multiply");
        expect_chains(ceiling_fma_avx512, "avx512 multiply-add");
        probed++;
    }
    if (!probed)
        cr_log_info("no vector probe for this CPU");
}
