/* Widening loads and rounding stores for AVX2 kernels: 8 lanes of f32 from
 * f32, bf16 or f16 (F16C) storage. Row tails go through a zero-padded
 * stack buffer, since AVX2 has no masked 16-bit loads. Included only by
 * files compiled with AVX2 flags. */
#ifndef NB_SIMD_AVX2_H
#define NB_SIMD_AVX2_H

#include <immintrin.h>
#include "kernel.h"

#define NB_INLINE static inline __attribute__((always_inline))

NB_INLINE __m256 load8(const void *p, size_t i, enum nb_dtype dt)
{
    if (dt == NB_F32)
        return _mm256_loadu_ps((const float *)p + i);
    __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)p + i));
    if (dt == NB_F16)
        return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

NB_INLINE __m128i f32_to_bf16_x8(__m256 v)
{
    __m256i u = _mm256_castps_si256(v);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff))), 16);
    __m256i qnan = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
    __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    r = _mm256_blendv_epi8(r, qnan, nan);
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}

NB_INLINE void store8(void *p, size_t i, __m256 v, enum nb_dtype dt)
{
    if (dt == NB_F32) {
        _mm256_storeu_ps((float *)p + i, v);
        return;
    }
    __m128i h = dt == NB_F16 ? _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
                             : f32_to_bf16_x8(v);
    _mm_storeu_si128((__m128i *)((uint16_t *)p + i), h);
}

/* The last `left` (< 8) elements from i, padded with zeros. */
NB_INLINE __m256 load8_tail(const void *p, size_t i, size_t left, enum nb_dtype dt)
{
    _Alignas(32) char buf[32] = {0};
    memcpy(buf, (const char *)p + i * nb_dtype_size(dt), left * nb_dtype_size(dt));
    return load8(buf, 0, dt);
}

NB_INLINE void store8_tail(void *p, size_t i, size_t left, __m256 v, enum nb_dtype dt)
{
    _Alignas(32) char buf[32];
    store8(buf, 0, v, dt);
    memcpy((char *)p + i * nb_dtype_size(dt), buf, left * nb_dtype_size(dt));
}

NB_INLINE float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Sum of f(x) over x[0..k) with four 8-lane accumulators. */
#define NB_ACCUMULATE8(SUM, SRC, K, DT, F)                                             \
    do {                                                                              \
        __m256 acc0_ = _mm256_setzero_ps(), acc1_ = _mm256_setzero_ps();              \
        __m256 acc2_ = _mm256_setzero_ps(), acc3_ = _mm256_setzero_ps();              \
        size_t j_ = 0;                                                                \
        for (; j_ + 32 <= (K); j_ += 32) {                                            \
            acc0_ = F(acc0_, load8(SRC, j_, DT));                                     \
            acc1_ = F(acc1_, load8(SRC, j_ + 8, DT));                                 \
            acc2_ = F(acc2_, load8(SRC, j_ + 16, DT));                                \
            acc3_ = F(acc3_, load8(SRC, j_ + 24, DT));                                \
        }                                                                             \
        for (; j_ + 8 <= (K); j_ += 8)                                                \
            acc0_ = F(acc0_, load8(SRC, j_, DT));                                     \
        if (j_ < (K))                                                                 \
            acc1_ = F(acc1_, load8_tail(SRC, j_, (K) - j_, DT));                      \
        SUM = hsum8(_mm256_add_ps(_mm256_add_ps(acc0_, acc1_), _mm256_add_ps(acc2_, acc3_))); \
    } while (0)

#endif
