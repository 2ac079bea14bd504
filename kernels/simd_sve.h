/* SVE helpers shared by the aarch64 SVE kernel files (vector-length
 * agnostic): a row sum in blocks of NB_SUM_BLOCK values, four vectors of
 * accumulators a block added lane by lane into four totals, one svaddv at
 * the end (its order, and so the result, depends on the vector length).
 * A lane of a constant row then sums a few terms a block, not
 * NB_SUM_BLOCK / lanes of them, whose errors would add up (9.1 ULP at
 * n = 8192 with one accumulator at 128 bits). */
#ifndef NB_SIMD_SVE_H
#define NB_SIMD_SVE_H

#include <arm_sve.h>

#include "scalar_common.h"

/* sum over j < n of x_j (squares 0) or (x_j - c)^2 (squares 1) */
NB_INLINE float row_sum_sve(const float *x, size_t n, float c, int squares)
{
    const uint64_t vl = svcntw();
    const svbool_t all = svptrue_b32();
    svfloat32_t t0 = svdup_f32(0.0f), t1 = t0, t2 = t0, t3 = t0;
#define TERM(pg, acc, v)                                                                  \
    do {                                                                                  \
        if (squares) {                                                                    \
            const svfloat32_t d_ = svsub_n_f32_x(pg, v, c);                               \
            acc = svmla_f32_m(pg, acc, d_, d_);                                           \
        } else {                                                                          \
            acc = svadd_f32_m(pg, acc, v);                                                \
        }                                                                                 \
    } while (0)
    for (size_t j = 0; j < n;) {
        const size_t end = n - j > NB_SUM_BLOCK ? j + NB_SUM_BLOCK : n;
        svfloat32_t a0 = svdup_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (; j + 4 * vl <= end; j += 4 * vl) {
            TERM(all, a0, svld1_f32(all, x + j));
            TERM(all, a1, svld1_f32(all, x + j + vl));
            TERM(all, a2, svld1_f32(all, x + j + 2 * vl));
            TERM(all, a3, svld1_f32(all, x + j + 3 * vl));
        }
        for (; j < end; j += vl) {
            const svbool_t pg = svwhilelt_b32_u64(j, end);
            TERM(pg, a0, svld1_f32(pg, x + j));
        }
#undef TERM
        t0 = svadd_f32_x(all, t0, a0);
        t1 = svadd_f32_x(all, t1, a1);
        t2 = svadd_f32_x(all, t2, a2);
        t3 = svadd_f32_x(all, t3, a3);
    }
    return svaddv_f32(all, svadd_f32_x(all, svadd_f32_x(all, t0, t1), svadd_f32_x(all, t2, t3)));
}

#endif
