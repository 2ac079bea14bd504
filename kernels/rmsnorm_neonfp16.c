/* RMSNorm in the hardware's own fp16 arithmetic (ARMv8.2-A FP16, aarch64):
 * `f16-nat` without any widening, the phenomenon the nat mode studies. The
 * sum of squares in eight fp16 lanes of fused multiply-adds (one rounding
 * each), the lanes added pairwise, the tail fused into the total; then
 * mean, + eps, sqrt, 1/x, x r and (x r) g, each one fp16 operation. */
#include <arm_fp16.h>
#include <arm_neon.h>

#include "kernels.h"
#include "scalar_common.h"

NB_INLINE float16_t sum_squares_f16(const float16_t *x, size_t n)
{
    float16x8_t acc = vdupq_n_f16(0);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const float16x8_t v = vld1q_f16(x + i);
        acc = vfmaq_f16(acc, v, v);
    }
    float16x4_t s = vadd_f16(vget_low_f16(acc), vget_high_f16(acc));
    s = vpadd_f16(s, s);
    s = vpadd_f16(s, s);
    float16_t t = vget_lane_f16(s, 0);
    for (; i < n; i++)
        t = vfmah_f16(t, x[i], x[i]);
    return t;
}

void rmsnorm_fused_neonfp16_f16_nat(const struct nb_args *a)
{
    const size_t n = a->n;
    /* eps and n as the fp16 arithmetic sees them (1e-8 is 0 in fp16) */
    const float16_t eps = (float16_t)kernel_eps(a->eps, NB_F16, 1), fn = (float16_t)(float)n;
    const float16_t *g = a->g;
    for (size_t r = 0; r < a->rows; r++) {
        const float16_t *x = (const float16_t *)a->x + r * n;
        float16_t *y = (float16_t *)a->y + r * n;
        const float16_t mean = vdivh_f16(sum_squares_f16(x, n), fn);
        const float16_t rs = vdivh_f16((float16_t)1.0f, vsqrth_f16(vaddh_f16(mean, eps)));
        const float16x8_t rv = vdupq_n_f16(rs);
        size_t i = 0;
        for (; i + 8 <= n; i += 8)
            vst1q_f16(y + i, vmulq_f16(vmulq_f16(vld1q_f16(x + i), rv), vld1q_f16(g + i)));
        for (; i < n; i++)
            y[i] = vmulh_f16(vmulh_f16(x[i], rs), g[i]);
    }
}
