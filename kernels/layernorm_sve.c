/* LayerNorm with SVE (aarch64), two passes, vector-length agnostic: the
 * mean, then the mean of squared deviations from it, each in simd_sve.h's
 * order; then (x - mean) r g + b under a predicate. */
#include "kernels.h"
#include "simd_sve.h"

void layernorm_twopass_sve_f32(const struct nb_args *a)
{
    const size_t n = a->n;
    const uint64_t vl = svcntw();
    const float *g = a->g, *b = a->b;
    for (size_t r = 0; r < a->rows; r++) {
        const float *x = (const float *)a->x + r * n;
        float *y = (float *)a->y + r * n;
        const float mean = row_sum_sve(x, n, 0.0f, 0) / (float)n;
        const float rs = 1.0f / sqrtf(row_sum_sve(x, n, mean, 1) / (float)n + (float)a->eps);
        for (size_t i = 0; i < n; i += vl) {
            const svbool_t pg = svwhilelt_b32_u64(i, n);
            const svfloat32_t t = svmul_n_f32_x(pg, svsub_n_f32_x(pg, svld1_f32(pg, x + i), mean), rs);
            svst1_f32(pg, y + i, svadd_f32_x(pg, svmul_f32_x(pg, t, svld1_f32(pg, g + i)), svld1_f32(pg, b + i)));
        }
    }
}
