/* RMSNorm bf16-up with the BF16 extension (ARMv8.6-A, aarch64): BFDOT sums
 * the squares two at a time into f32 lanes (the products are exact; the
 * instruction's own rounding of the pair sum and its flush of subnormal
 * inputs to zero are what it does), BFCVTN rounds the outputs to bf16. The
 * row sum in blocks of NB_SUM_BLOCK values, two accumulators a block, the
 * block totals one after another; then x r g in f32. */
#include <arm_neon.h>

#include "kernels.h"
#include "scalar_common.h"

NB_INLINE float sum_squares_bfdot(const bfloat16_t *x, size_t n)
{
    float tot = 0.0f;
    size_t j = 0;
    while (j + 8 <= n) {
        const size_t end = n - j > NB_SUM_BLOCK ? j + NB_SUM_BLOCK : n / 8 * 8;
        float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0;
        for (; j + 16 <= end; j += 16) {
            const bfloat16x8_t v0 = vld1q_bf16(x + j), v1 = vld1q_bf16(x + j + 8);
            a0 = vbfdotq_f32(a0, v0, v0);
            a1 = vbfdotq_f32(a1, v1, v1);
        }
        for (; j < end; j += 8) {
            const bfloat16x8_t v = vld1q_bf16(x + j);
            a0 = vbfdotq_f32(a0, v, v);
        }
        tot += vaddvq_f32(vaddq_f32(a0, a1));
    }
    for (; j < n; j++) {
        const float t = nb_load(x, j, NB_BF16);
        tot += t * t;
    }
    return tot;
}

void rmsnorm_fused_neonbf16_bf16_up(const struct nb_args *a)
{
    const size_t n = a->n;
    const bfloat16_t *g = a->g;
    for (size_t r = 0; r < a->rows; r++) {
        const bfloat16_t *x = (const bfloat16_t *)a->x + r * n;
        bfloat16_t *y = (bfloat16_t *)a->y + r * n;
        const float rs = 1.0f / sqrtf(sum_squares_bfdot(x, n) / (float)n + (float)a->eps);
        const float32x4_t rv = vdupq_n_f32(rs);
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            const bfloat16x8_t v = vld1q_bf16(x + i), gv = vld1q_bf16(g + i);
            const float32x4_t lo = vmulq_f32(vmulq_f32(vcvtq_low_f32_bf16(v), rv), vcvtq_low_f32_bf16(gv));
            const float32x4_t hi = vmulq_f32(vmulq_f32(vcvtq_high_f32_bf16(v), rv), vcvtq_high_f32_bf16(gv));
            vst1q_bf16(y + i, vcvtq_high_bf16_f32(vcvtq_low_bf16_f32(lo), hi));
        }
        for (; i < n; i++)
            nb_store(y, i, nb_load(x, i, NB_BF16) * rs * nb_load(g, i, NB_BF16), NB_BF16);
    }
}
