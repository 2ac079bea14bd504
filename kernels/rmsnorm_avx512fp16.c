/* RMSNorm in the hardware's own fp16 arithmetic (AVX512_FP16: Sapphire
 * Rapids and later): `f16-nat` with every operation one fp16 instruction and
 * no widening. The sum of squares runs in eight fp16 lanes of fused
 * multiply-adds, combined and finished exactly as rmsnorm_neonfp16.c does on
 * ARMv8.2-A, so the two ISAs give the same bits (both equal
 * rmsnorm/fmalanes/scalar/f16-nat, NB_V_NATIVE8). Eight lanes rather than a
 * zmm's 32: the order is what the nat mode studies, and it is the one an
 * eight-wide fp16 unit has. The normalise pass has no order and runs 32
 * wide. */
#include <immintrin.h>

#include "kernels.h"
#include "scalar_common.h"

/* lanes 0-3 of v with lanes 4-7 added: l0 + l4, ..., l3 + l7 */
NB_INLINE __m128h add_halves(__m128h v)
{
    const __m128 f = _mm_castph_ps(v);
    return _mm_add_ph(v, _mm_castps_ph(_mm_movehl_ps(f, f)));
}

/* lane 0 of ((v0 + v1) + (v2 + v3)), NEON's two pairwise adds */
NB_INLINE __m128h add_pairs(__m128h v)
{
    const __m128i i = _mm_castph_si128(v);
    const __m128h p = _mm_add_ph(v, _mm_castsi128_ph(_mm_shufflelo_epi16(i, _MM_SHUFFLE(2, 3, 0, 1))));
    return _mm_add_sh(p, _mm_castsi128_ph(_mm_shufflelo_epi16(_mm_castph_si128(p), _MM_SHUFFLE(1, 0, 3, 2))));
}

/* the row's sum of squares in lane 0 */
NB_INLINE __m128h sum_squares_f16(const uint16_t *x, size_t n)
{
    __m128h acc = _mm_setzero_ph();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128h v = _mm_loadu_ph(x + i);
        acc = _mm_fmadd_ph(v, v, acc);
    }
    __m128h t = add_pairs(add_halves(acc));
    for (; i < n; i++) {
        const __m128h v = _mm_castsi128_ph(_mm_cvtsi32_si128(x[i]));
        t = _mm_fmadd_sh(v, v, t);
    }
    return t;
}

/* (x r) g for 32 values or, masked, fewer */
NB_INLINE void normalise_32(const uint16_t *x, const uint16_t *g, uint16_t *y, __m512h r, __mmask32 m)
{
    const __m512h v = _mm512_castsi512_ph(_mm512_maskz_loadu_epi16(m, x));
    const __m512h w = _mm512_castsi512_ph(_mm512_maskz_loadu_epi16(m, g));
    _mm512_mask_storeu_epi16(y, m, _mm512_castph_si512(_mm512_mul_ph(_mm512_mul_ph(v, r), w)));
}

/* one fp16 value (an exact fp16 held in a float) in lane 0 */
NB_INLINE __m128h f16_scalar(float v)
{
    return _mm_castsi128_ph(_mm_cvtsi32_si128(nb_f32_to_f16(v)));
}

void rmsnorm_fused_avx512fp16_f16_nat(const struct nb_args *a)
{
    const size_t n = a->n;
    /* eps and n as the fp16 arithmetic sees them (1e-8 is 0 in fp16) */
    const __m128h eps = f16_scalar(kernel_eps(a->eps, NB_F16, 1)), fn = f16_scalar((float)n), one = f16_scalar(1.0f);
    const uint16_t *g = a->g;
    for (size_t r = 0; r < a->rows; r++) {
        const uint16_t *x = (const uint16_t *)a->x + r * n;
        uint16_t *y = (uint16_t *)a->y + r * n;
        const __m128h mean = _mm_div_sh(sum_squares_f16(x, n), fn);
        const __m128h rs = _mm_div_sh(one, _mm_sqrt_sh(mean, _mm_add_sh(mean, eps)));
        const __m512h rv = _mm512_castsi512_ph(_mm512_broadcastw_epi16(_mm_castph_si128(rs)));
        size_t i = 0;
        for (; i + 32 <= n; i += 32)
            normalise_32(x + i, g + i, y + i, rv, (__mmask32)~0u);
        if (i < n)
            normalise_32(x + i, g + i, y + i, rv, (__mmask32)((1u << (n - i)) - 1));
    }
}
