/* Widening loads and rounding stores for AVX-512 kernels: 16 lanes of f32
 * from f32, bf16 or f16 storage, with a lane mask for row tails. Included
 * only by files compiled with AVX-512 flags. */
#ifndef NB_SIMD_AVX512_H
#define NB_SIMD_AVX512_H

#include <immintrin.h>
#include "kernel.h"

#define NB_INLINE static inline __attribute__((always_inline))

NB_INLINE __mmask16 tail_mask16(size_t left)
{
    return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
}

NB_INLINE __m512 load16(const void *p, size_t i, __mmask16 m, enum nb_dtype dt)
{
    if (dt == NB_F32)
        return _mm512_maskz_loadu_ps(m, (const float *)p + i);
    __m256i h = _mm256_maskz_loadu_epi16(m, (const uint16_t *)p + i);
    if (dt == NB_F16)
        return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* f32 -> bf16 round to nearest even in integer lanes; NaN is quietened. */
NB_INLINE __m256i f32_to_bf16_x16(__m512 v)
{
    __m512i u = _mm512_castps_si512(v);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
    __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    r = _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
    return _mm512_cvtepi32_epi16(r);
}

NB_INLINE void store16(void *p, size_t i, __m512 v, __mmask16 m, enum nb_dtype dt)
{
    if (dt == NB_F32) {
        _mm512_mask_storeu_ps((float *)p + i, m, v);
        return;
    }
    __m256i h = dt == NB_F16 ? _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
                             : f32_to_bf16_x16(v);
    _mm256_mask_storeu_epi16((uint16_t *)p + i, m, h);
}

/* The blocked kernels' tile: statistics of NB_BLOCK_ROWS rows, then those
 * rows normalised NB_BLOCK_COLS columns at a time, so that the gains'
 * block (2 KiB f32, twice that with layernorm's bias) stays in L1 across
 * the group while x and y stream. */
#define NB_BLOCK_ROWS 8
#define NB_BLOCK_COLS 512

/* How far ahead the prefetching kernels ask for lines: 16 lines, enough
 * to cover L2's latency at the rate a pass consumes them. */
#define NB_PREFETCH_AHEAD 1024

/* Sum of f(x) over x[0..k) with four 16-lane accumulators; the _PREFETCH
 * form also asks for the line NB_PREFETCH_AHEAD bytes ahead of each block
 * of 64 values, up to END. */
#define NB_ACCUMULATE16_PREFETCH(SUM, SRC, K, DT, F, END)                                          \
    do {                                                                              \
        __m512 acc0_ = _mm512_setzero_ps(), acc1_ = _mm512_setzero_ps();              \
        __m512 acc2_ = _mm512_setzero_ps(), acc3_ = _mm512_setzero_ps();              \
        size_t j_ = 0;                                                                \
        for (; j_ + 64 <= (K); j_ += 64) {                                            \
            for (size_t l_ = 0; (END) != NULL && l_ < 64 * nb_dtype_size(DT); l_ += 64) { \
                const char *ahead_ = (const char *)(SRC) + j_ * nb_dtype_size(DT) + NB_PREFETCH_AHEAD + l_; \
                if (ahead_ < (const char *)(END))                                     \
                    _mm_prefetch(ahead_, _MM_HINT_T0);                                \
            }                                                                         \
            __m512 v0_ = load16(SRC, j_, 0xffff, DT), v1_ = load16(SRC, j_ + 16, 0xffff, DT); \
            __m512 v2_ = load16(SRC, j_ + 32, 0xffff, DT), v3_ = load16(SRC, j_ + 48, 0xffff, DT); \
            acc0_ = F(acc0_, v0_); acc1_ = F(acc1_, v1_);                             \
            acc2_ = F(acc2_, v2_); acc3_ = F(acc3_, v3_);                             \
        }                                                                             \
        for (; j_ < (K); j_ += 16) {                                                  \
            __m512 v_ = load16(SRC, j_, tail_mask16((K) - j_), DT);                   \
            acc0_ = F(acc0_, v_);                                                     \
        }                                                                             \
        SUM = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc0_, acc1_),         \
                                                 _mm512_add_ps(acc2_, acc3_)));       \
    } while (0)

#define NB_ACCUMULATE16(SUM, SRC, K, DT, F) NB_ACCUMULATE16_PREFETCH(SUM, SRC, K, DT, F, NULL)

#endif
