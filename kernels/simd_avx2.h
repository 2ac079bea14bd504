/* Widening loads and rounding stores for AVX2 kernels: 8 lanes of f32 from
 * f32, bf16 or f16 (F16C) storage. Row tails go through a zero-padded
 * stack buffer, since AVX2 has no masked 16-bit loads. Included only by
 * files compiled with AVX2 flags. */
#ifndef NB_SIMD_AVX2_H
#define NB_SIMD_AVX2_H

#include <immintrin.h>
#include "kernel.h"
#include "tiles.h"

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

/* v rounded to nearest even in the 16-bit storage type dt */
NB_INLINE __m128i narrow8(__m256 v, enum nb_dtype dt)
{
    return dt == NB_F16 ? _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC) : f32_to_bf16_x8(v);
}

NB_INLINE void store8(void *p, size_t i, __m256 v, enum nb_dtype dt)
{
    if (dt == NB_F32)
        _mm256_storeu_ps((float *)p + i, v);
    else
        _mm_storeu_si128((__m128i *)((uint16_t *)p + i), narrow8(v, dt));
}

/* asks for the lines of x[i..i+32) `ahead` bytes ahead (one line in
 * bf16/f16, two in f32); a prefetch past the tensor does not fault */
NB_INLINE void prefetch32_ahead(const void *x, size_t i, enum nb_dtype dt, size_t ahead)
{
    const char *p = (const char *)x + i * nb_dtype_size(dt) + ahead;
    _mm_prefetch(p, _MM_HINT_T0);
    if (dt == NB_F32)
        _mm_prefetch(p + 64, _MM_HINT_T0);
}

/* store8 with a non-temporal store (p + i aligned: 32 bytes for f32, 16
 * for bf16 and f16, whose 8 values stream as one 128-bit store) */
NB_INLINE void stream8(void *p, size_t i, __m256 v, enum nb_dtype dt)
{
    if (dt == NB_F32)
        _mm256_stream_ps((float *)p + i, v);
    else
        _mm_stream_si128((__m128i *)((uint16_t *)p + i), narrow8(v, dt));
}

/* v rounded to the storage type dt and widened back: what storing and
 * loading it again would give */
NB_INLINE __m256 round8(__m256 v, enum nb_dtype dt)
{
    if (dt == NB_F32)
        return v;
    if (dt == NB_F16)
        return _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(f32_to_bf16_x8(v)), 16));
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

/* Lanes below `left` (< 8) all ones, the rest zero: AVX2 has no masks,
 * so a padded tail's lanes are cleared with this before they are summed. */
NB_INLINE __m256 lanes_below(size_t left)
{
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32((int)left), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
}

NB_INLINE float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* The one summation order the AVX2 kernels use, so that the pipelined and
 * blocked kernels reproduce the fused ones bit for bit: four 8-lane
 * accumulators over blocks of 32 values, in two levels (tiles.h
 * NB_SIMD_SUM_BLOCK: the accumulators are added into four totals at the
 * end of every such block), whole vectors after them into the first
 * accumulator, a zero-padded tail into the second, then each total plus
 * its accumulator and (s0 + s1) + (s2 + s3). square sums x^2 instead of x. */
struct sum8x4 {
    __m256 acc[4], tot[4];
};

#define NB_SUM8_ZERO4 {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()}
#define NB_SUM8X4_ZERO {NB_SUM8_ZERO4, NB_SUM8_ZERO4}

NB_INLINE __m256 sum_term8(__m256 acc, __m256 v, int square)
{
    return square ? _mm256_fmadd_ps(v, v, acc) : _mm256_add_ps(acc, v);
}

/* called after the 32 values that end at `end` were added */
NB_INLINE void sum_level8(struct sum8x4 *s, size_t end)
{
    if (end % NB_SIMD_SUM_BLOCK != 0)
        return;
    #pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
        s->tot[k] = _mm256_add_ps(s->tot[k], s->acc[k]);
        s->acc[k] = _mm256_setzero_ps();
    }
}

/* x[i..i+32) into the four accumulators */
NB_INLINE void sum_add32(struct sum8x4 *s, const void *x, size_t i, enum nb_dtype dt, int square)
{
    #pragma GCC unroll 4
    for (int k = 0; k < 4; k++)
        s->acc[k] = sum_term8(s->acc[k], load8(x, i + 8 * (size_t)k, dt), square);
}

/* x[i..i+32) of a row being summed from 0, in the row's order */
NB_INLINE void sum_block32(struct sum8x4 *s, const void *x, size_t i, enum nb_dtype dt, int square)
{
    sum_add32(s, x, i, dt, square);
    sum_level8(s, i + 32);
}

/* x[i..k) (fewer than 32 values) */
NB_INLINE void sum_tail8(struct sum8x4 *s, const void *x, size_t i, size_t k, enum nb_dtype dt, int square)
{
    for (; i + 8 <= k; i += 8)
        s->acc[0] = sum_term8(s->acc[0], load8(x, i, dt), square);
    if (i < k)
        s->acc[1] = sum_term8(s->acc[1], load8_tail(x, i, k - i, dt), square);
}

NB_INLINE float sum8x4_result(const struct sum8x4 *s)
{
    __m256 t[4];
    #pragma GCC unroll 4
    for (int k = 0; k < 4; k++)
        t[k] = _mm256_add_ps(s->tot[k], s->acc[k]);
    return hsum8(_mm256_add_ps(_mm256_add_ps(t[0], t[1]), _mm256_add_ps(t[2], t[3])));
}

/* Sum of x (or x^2) over x[0..k). With prefetch_bytes > 0 each block of 32
 * values also asks for the lines NB_PREFETCH_AHEAD bytes ahead, as long as
 * they lie within the prefetch_bytes that follow x (as sum16). */
NB_INLINE float sum8_ahead(const void *x, size_t k, enum nb_dtype dt, int square, size_t prefetch_bytes)
{
    struct sum8x4 acc = NB_SUM8X4_ZERO;
    const size_t es = nb_dtype_size(dt);
    size_t j = 0;
    /* Sums of squares (the RMSNorm statistics) take whole levels first, 16
     * blocks each with no test inside, then the rest with sum_block32's
     * test: same order, same bits. Measured with ab against the one-level
     * sums (two processes each): that way fused/avx2 stays within -4% to
     * +2% in every tier, against +10% in L3 with the test in every block; LayerNorm's
     * plain sums lost 20% in DRAM that way and keep the test. */
    if (!prefetch_bytes && square)
        for (; j + NB_SIMD_SUM_BLOCK <= k; j += NB_SIMD_SUM_BLOCK) {
            #pragma GCC unroll 16
            for (size_t b = 0; b < NB_SIMD_SUM_BLOCK; b += 32)
                sum_add32(&acc, x, j + b, dt, square);
            sum_level8(&acc, j + NB_SIMD_SUM_BLOCK);
        }
    for (; j + 32 <= k; j += 32) {
        /* tested first: with prefetch_bytes 0 gcc kept an empty loop */
        if (prefetch_bytes)
            for (size_t off = j * es + NB_PREFETCH_AHEAD; off < (j + 32) * es + NB_PREFETCH_AHEAD; off += 64)
                if (off < prefetch_bytes)
                    _mm_prefetch((const char *)x + off, _MM_HINT_T0);
        sum_block32(&acc, x, j, dt, square);
    }
    sum_tail8(&acc, x, j, k, dt, square);
    return sum8x4_result(&acc);
}

NB_INLINE float sum8(const void *x, size_t k, enum nb_dtype dt, int square)
{
    return sum8_ahead(x, k, dt, square, 0);
}

#endif
