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

/* f32 -> bf16 round to nearest even; NaN is quietened. In the files of the
 * avx512bf16 ISA (compiled with -mavx512bf16) one vcvtneps2bf16, which
 * also flushes subnormal inputs and outputs (below 2^-126) to zero;
 * elsewhere eight instructions (seven integer, one compare). */
NB_INLINE __m256i f32_to_bf16_x16(__m512 v)
{
#ifdef __AVX512BF16__
    return (__m256i)_mm512_cvtneps_pbh(v);
#else
    __m512i u = _mm512_castps_si512(v);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
    __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    r = _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
    return _mm512_cvtepi32_epi16(r);
#endif
}

/* v rounded to the storage type dt and widened back: what storing and
 * loading it again would give */
NB_INLINE __m512 round16(__m512 v, enum nb_dtype dt)
{
    if (dt == NB_F32)
        return v;
    if (dt == NB_F16)
        return _mm512_cvtph_ps(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(f32_to_bf16_x16(v)), 16));
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

/* 16 values stored with a non-temporal store: a whole 64-byte line in
 * f32 (p + i 64-byte aligned), half of one in bf16 and f16 (32-byte
 * aligned; the write-combining buffer joins the two halves) */
NB_INLINE void stream16(void *p, size_t i, __m512 v, enum nb_dtype dt)
{
    if (dt == NB_F32) {
        _mm512_stream_ps((float *)p + i, v);
        return;
    }
    __m256i h = dt == NB_F16 ? _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
                             : f32_to_bf16_x16(v);
    _mm256_stream_si256((__m256i *)((uint16_t *)p + i), h);
}

/* whether a row's y allows stream16 at every i that steps by 16 values */
NB_INLINE int row_streams16(const void *y, enum nb_dtype dt)
{
    return ((uintptr_t)y & (dt == NB_F32 ? 63 : 31)) == 0;
}

#include "tiles.h"

/* The one summation order every AVX-512 kernel uses, so that the pipelined
 * and blocked kernels, which interleave it with other work, reproduce the
 * plain ones bit for bit: four 16-lane accumulators over blocks of 64
 * values, in two levels (tiles.h NB_SIMD_SUM_BLOCK: the accumulators are
 * added into four totals at the end of every such block, as the scalar
 * kernels' sum_two_level), a masked tail into the first accumulator, then
 * each total plus its accumulator and (s0 + s1) + (s2 + s3). square sums
 * x^2 instead of x. */
struct sum16x4 {
    __m512 acc[4], tot[4];
};

#define NB_SUM_ZERO4 {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()}
#define NB_SUM16X4_ZERO {NB_SUM_ZERO4, NB_SUM_ZERO4}

NB_INLINE __m512 sum_term16(__m512 acc, __m512 v, int square)
{
    return square ? _mm512_fmadd_ps(v, v, acc) : _mm512_add_ps(acc, v);
}

/* called after the 64 values that end at `end` were added */
NB_INLINE void sum_level16(struct sum16x4 *s, size_t end)
{
    if (end % NB_SIMD_SUM_BLOCK != 0)
        return;
    #pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
        s->tot[k] = _mm512_add_ps(s->tot[k], s->acc[k]);
        s->acc[k] = _mm512_setzero_ps();
    }
}

/* x[i..i+64) into the four accumulators */
NB_INLINE void sum_add64(struct sum16x4 *s, const void *x, size_t i, enum nb_dtype dt, int square)
{
    #pragma GCC unroll 4
    for (int k = 0; k < 4; k++)
        s->acc[k] = sum_term16(s->acc[k], load16(x, i + 16 * (size_t)k, 0xffff, dt), square);
}

/* x[i..i+64) of a row being summed from 0, in the row's order */
NB_INLINE void sum_block64(struct sum16x4 *s, const void *x, size_t i, enum nb_dtype dt, int square)
{
    sum_add64(s, x, i, dt, square);
    sum_level16(s, i + 64);
}

/* x[i..k) (fewer than 64 values) into the first accumulator, a masked
 * vector at a time */
NB_INLINE void sum_tail(struct sum16x4 *s, const void *x, size_t i, size_t k, enum nb_dtype dt, int square)
{
    for (; i < k; i += 16)
        s->acc[0] = sum_term16(s->acc[0], load16(x, i, tail_mask16(k - i), dt), square);
}

/* four raw accumulators, (a0 + a1) + (a2 + a3) */
NB_INLINE float sum_reduce4(const __m512 acc[4])
{
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
}

NB_INLINE float sum16x4_result(const struct sum16x4 *s)
{
    __m512 t[4];
    #pragma GCC unroll 4
    for (int k = 0; k < 4; k++)
        t[k] = _mm512_add_ps(s->tot[k], s->acc[k]);
    return sum_reduce4(t);
}

/* Sum of x (or x^2) over x[0..k). With prefetch_bytes > 0 each block of 64
 * values also asks for the lines NB_PREFETCH_AHEAD bytes ahead, as long as
 * they lie within the prefetch_bytes that follow x. */
NB_INLINE float sum16(const void *x, size_t k, enum nb_dtype dt, int square, size_t prefetch_bytes)
{
    struct sum16x4 acc = NB_SUM16X4_ZERO;
    const size_t es = nb_dtype_size(dt);
    size_t j = 0;
    /* sums of squares: whole levels first, 8 blocks each with no test
     * inside, then the rest with sum_block64's test (as sum8_ahead) */
    if (!prefetch_bytes && square)
        for (; j + NB_SIMD_SUM_BLOCK <= k; j += NB_SIMD_SUM_BLOCK) {
            #pragma GCC unroll 8
            for (size_t b = 0; b < NB_SIMD_SUM_BLOCK; b += 64)
                sum_add64(&acc, x, j + b, dt, square);
            sum_level16(&acc, j + NB_SIMD_SUM_BLOCK);
        }
    for (; j + 64 <= k; j += 64) {
        /* tested first: with prefetch_bytes 0 gcc kept an empty loop */
        if (prefetch_bytes)
            for (size_t off = j * es + NB_PREFETCH_AHEAD; off < (j + 64) * es + NB_PREFETCH_AHEAD; off += 64)
                if (off < prefetch_bytes)
                    _mm_prefetch((const char *)x + off, _MM_HINT_T0);
        sum_block64(&acc, x, j, dt, square);
    }
    sum_tail(&acc, x, j, k, dt, square);
    return sum16x4_result(&acc);
}

/* bf16 as even and odd f32 lanes, without permutes: a 32-bit lane holds
 * two bf16 values, the high (odd) one an f32 once the low half is masked
 * off, the low (even) one once shifted up, one operation each where
 * widening takes two and one of them a shuffle (rmsnorm/evenodd,
 * layernorm/evenodd). */
NB_INLINE __mmask32 tail_mask32(size_t left)
{
    return left >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << left) - 1u);
}

NB_INLINE __m512 bf16_odd(__m512i v)
{
    return _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32((int)0xffff0000u)));
}

NB_INLINE __m512 bf16_even(__m512i v)
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
}

/* what an even/odd sum adds: x, x^2, or (x - mu)^2 */
enum eo_term { EO_SUM, EO_SQUARE, EO_SQDEV };

/* m: the lanes that hold values (a row's tail), which EO_SQDEV needs:
 * the zeros a masked load leaves elsewhere would add mu^2 */
NB_INLINE __m512 eo_term16(__m512 acc, __m512 v, __m512 mu, __mmask16 m, enum eo_term t)
{
    if (t == EO_SUM)
        return _mm512_add_ps(acc, v);
    if (t == EO_SQDEV)
        v = _mm512_maskz_sub_ps(m, v, mu);
    return _mm512_fmadd_ps(v, v, acc);
}

/* The sum over the bf16 row x[0..n), even and odd positions in separate
 * accumulators, 64 values a block, in the two levels of sum16x4; a tail
 * of fewer than 64 in the first two. eo_block64 and eo_tail are its steps,
 * for kernels that interleave them with other work in the same order. */
NB_INLINE void eo_block64(struct sum16x4 *s, const uint16_t *x, size_t i, __m512 mu, enum eo_term t)
{
    __m512i v0 = _mm512_loadu_si512(x + i), v1 = _mm512_loadu_si512(x + i + 32);
    s->acc[0] = eo_term16(s->acc[0], bf16_even(v0), mu, 0xffff, t);
    s->acc[1] = eo_term16(s->acc[1], bf16_odd(v0), mu, 0xffff, t);
    s->acc[2] = eo_term16(s->acc[2], bf16_even(v1), mu, 0xffff, t);
    s->acc[3] = eo_term16(s->acc[3], bf16_odd(v1), mu, 0xffff, t);
    sum_level16(s, i + 64);
}

/* x[i..n), fewer than 64 values */
NB_INLINE void eo_tail(struct sum16x4 *s, const uint16_t *x, size_t i, size_t n, __m512 mu, enum eo_term t)
{
    for (; i < n; i += 32) {
        const size_t left = n - i;
        __m512i v = _mm512_maskz_loadu_epi16(tail_mask32(left), x + i);
        s->acc[0] = eo_term16(s->acc[0], bf16_even(v), mu, tail_mask16((left + 1) / 2), t);
        s->acc[1] = eo_term16(s->acc[1], bf16_odd(v), mu, tail_mask16(left / 2), t);
    }
}

NB_INLINE float bf16_sum_evenodd(const uint16_t *x, size_t n, __m512 mu, enum eo_term t)
{
    struct sum16x4 s = NB_SUM16X4_ZERO;
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        eo_block64(&s, x, i, mu, t);
    eo_tail(&s, x, i, n, mu, t);
    return sum16x4_result(&s);
}

#ifdef __AVX512BF16__
/* even and odd f32 lanes rounded to bf16 (nearest even, NaN quietened,
 * subnormals flushed) and put back in their positions: one vcvtne2ps2bf16
 * packs them as 16 even then 16 odd, one vpermw interleaves them */
NB_INLINE __m512i bf16_pack_evenodd(__m512 even, __m512 odd)
{
    /* 16-bit element 2j takes j, element 2j + 1 takes 16 + j */
    const __m512i idx = _mm512_set_epi32(0x001f000f, 0x001e000e, 0x001d000d, 0x001c000c, 0x001b000b, 0x001a000a,
                                         0x00190009, 0x00180008, 0x00170007, 0x00160006, 0x00150005, 0x00140004,
                                         0x00130003, 0x00120002, 0x00110001, 0x00100000);
    return _mm512_permutexvar_epi16(idx, (__m512i)_mm512_cvtne2ps_pbh(odd, even));
}
#endif

#endif
