/* RMSNorm with SVE (aarch64), vector-length agnostic: the same code runs at
 * 128 to 2048 bits. The sum of squares in simd_sve.h's order (fused
 * multiply-adds, svmla), then x r g under a predicate, tails included. */
#include "kernels.h"
#include "simd_sve.h"

void rmsnorm_fused_sve_f32(const struct nb_args *a)
{
    const size_t n = a->n;
    const uint64_t vl = svcntw();
    const float *g = a->g;
    for (size_t r = 0; r < a->rows; r++) {
        const float *x = (const float *)a->x + r * n;
        float *y = (float *)a->y + r * n;
        const float rs = 1.0f / sqrtf(row_sum_sve(x, n, 0.0f, 1) / (float)n + (float)a->eps);
        for (size_t i = 0; i < n; i += vl) {
            const svbool_t pg = svwhilelt_b32_u64(i, n);
            const svfloat32_t v = svmul_n_f32_x(pg, svld1_f32(pg, x + i), rs);
            svst1_f32(pg, y + i, svmul_f32_x(pg, v, svld1_f32(pg, g + i)));
        }
    }
}
