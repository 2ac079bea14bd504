/* RMSNorm bf16-up with AVX512_BF16 (Zen 4, Sapphire Rapids, Cooper Lake):
 * vdpbf16ps forms two bf16 products per 32-bit lane (exact in f32) and adds
 * them to an f32 accumulator, so the sum of squares takes one instruction
 * per 32 values with no widening; vcvtne2ps2bf16 rounds two f32 vectors to
 * 32 bf16 (nearest even) in one instruction instead of sixteen.
 * Both flush subnormal inputs and outputs (below 2^-126), which
 * well-conditioned rows never reach; NaN stays a quiet NaN.
 *
 * pipelined and pipelinednt are the AVX-512 schedules (rmsnorm_avx512.h)
 * with the rounding alone in hardware: their sums widen bf16 as
 * rmsnorm/fused/avx512 does, so they pair with each other rather than with
 * fused here. */
#include "rmsnorm_avx512.h"

/* sum of x^2 over x[0..n): vdpbf16ps into four accumulators, 128 a block */
NB_INLINE float dot_squares_bf16(const uint16_t *x, size_t n)
{
    __m512 acc[4] = NB_SUM_ZERO4;
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        #pragma GCC unroll 4
        for (int k = 0; k < 4; k++) {
            __m512i v = _mm512_loadu_si512(x + i + 32 * (size_t)k);
            acc[k] = _mm512_dpbf16_ps(acc[k], (__m512bh)v, (__m512bh)v);
        }
    }
    for (; i < n; i += 32) {
        __m512i v = _mm512_maskz_loadu_epi16(tail_mask32(n - i), x + i);
        acc[0] = _mm512_dpbf16_ps(acc[0], (__m512bh)v, (__m512bh)v);
    }
    return sum_reduce4(acc);
}

/* y[i..i+32) (the first `left` of them) = x r g, rounded by vcvtne2ps2bf16 */
NB_INLINE void normalise32_bf16(uint16_t *y, const uint16_t *x, const uint16_t *g, size_t i, size_t left, __m512 rs)
{
    const __mmask16 mlo = tail_mask16(left), mhi = tail_mask16(left > 16 ? left - 16 : 0);
    __m512 lo = _mm512_mul_ps(_mm512_mul_ps(load16(x, i, mlo, NB_BF16), rs), load16(g, i, mlo, NB_BF16));
    __m512 hi = _mm512_mul_ps(_mm512_mul_ps(load16(x, i + 16, mhi, NB_BF16), rs), load16(g, i + 16, mhi, NB_BF16));
    __m512bh out = _mm512_cvtne2ps_pbh(hi, lo);
    _mm512_mask_storeu_epi16(y + i, tail_mask32(left), (__m512i)out);
}

void rmsnorm_fused_avx512bf16_bf16_up(const struct nb_args *a)
{
    const size_t n = a->n;
    const float eps = (float)a->eps;
    for (size_t r = 0; r < a->rows; r++) {
        const uint16_t *x = (const uint16_t *)a->x + r * n;
        uint16_t *y = (uint16_t *)a->y + r * n;
        const __m512 rs = _mm512_set1_ps(1.0f / sqrtf(dot_squares_bf16(x, n) / (float)n + eps));
        for (size_t i = 0; i < n; i += 32)
            normalise32_bf16(y, x, a->g, i, n - i, rs);
    }
}

void rmsnorm_pipelined_avx512bf16_bf16_up(const struct nb_args *a) { rms_pipelined_avx512(a, NB_BF16, 0); }
void rmsnorm_pipelinednt_avx512bf16_bf16_up(const struct nb_args *a) { rms_pipelined_avx512(a, NB_BF16, 1); }
