/* RMSNorm family with AVX-512 intrinsics: the schedules of
 * rmsnorm_avx512.h for f32, bf16-up and f16-up, and evenodd (bf16 without
 * permutes). */
#include "rmsnorm_avx512.h"

void rmsnorm_pipelined_avx512_f32(const struct nb_args *a) { rms_pipelined_avx512(a, NB_F32, 0); }
void rmsnorm_pipelined_avx512_bf16_up(const struct nb_args *a) { rms_pipelined_avx512(a, NB_BF16, 0); }
void rmsnorm_pipelined_avx512_f16_up(const struct nb_args *a) { rms_pipelined_avx512(a, NB_F16, 0); }
void rmsnorm_pipelinednt_avx512_f32(const struct nb_args *a) { rms_pipelined_avx512(a, NB_F32, 1); }
void rmsnorm_pipelinednt_avx512_bf16_up(const struct nb_args *a) { rms_pipelined_avx512(a, NB_BF16, 1); }
void rmsnorm_pipelinednt_avx512_f16_up(const struct nb_args *a) { rms_pipelined_avx512(a, NB_F16, 1); }
/* non-temporal stores chosen by footprint: streaming pays only when y would
 * not stay in the caches anyway */
void rmsnorm_autont_avx512_f32(const struct nb_args *a)
{
    rms_pipelined_avx512(a, NB_F32, a->nt_threshold_bytes && a->rows * a->n * 2 * sizeof(float) > a->nt_threshold_bytes);
}


/* bf16 without permutes. A 32-bit lane holds two bf16 values: the high
 * one is an f32 already once the low half is masked off, the low one once
 * shifted up. So 32 values become two vectors of 16 f32 (odd and even
 * positions) with one AND and one shift, where widening costs a shuffle
 * per 16 values on the port that also does the narrowing; and the results
 * go back, rounded to nearest even, into the same halves with integer
 * adds, an AND, a shift and an OR. The sums of squares run over even and
 * odd positions in separate accumulators, one row ahead as in the
 * pipelined kernel. */
/* f rounded to bf16, in the high half of each lane (low half zero) */
NB_INLINE __m512i bf16_round_high(__m512 f)
{
    __m512i u = _mm512_castps_si512(f);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
    __mmask16 nan = _mm512_cmp_ps_mask(f, f, _CMP_UNORD_Q);
    r = _mm512_mask_or_epi32(r, nan, u, _mm512_set1_epi32(0x00400000)); /* quiet NaN, not rounded */
    return _mm512_and_si512(r, _mm512_set1_epi32((int)0xffff0000u));
}

NB_INLINE void normalise32_bf16(uint16_t *y, const uint16_t *x, const uint16_t *g, size_t i, __m512 rs, __mmask32 m)
{
    __m512i xv = _mm512_maskz_loadu_epi16(m, x + i), gv = _mm512_maskz_loadu_epi16(m, g + i);
    __m512 even = _mm512_mul_ps(_mm512_mul_ps(bf16_even(xv), rs), bf16_even(gv));
    __m512 odd = _mm512_mul_ps(_mm512_mul_ps(bf16_odd(xv), rs), bf16_odd(gv));
    __m512i out = _mm512_or_si512(bf16_round_high(odd), _mm512_srli_epi32(bf16_round_high(even), 16));
    _mm512_mask_storeu_epi16(y + i, m, out);
}

void rmsnorm_evenodd_avx512_bf16_up(const struct nb_args *a)
{
    const size_t n = a->n;
    const float eps = (float)a->eps;
    const uint16_t *g = a->g;
    if (a->rows == 0)
        return;
    float ss = bf16_sum_evenodd(a->x, n, _mm512_setzero_ps(), EO_SQUARE);
    for (size_t r = 0; r < a->rows; r++) {
        const uint16_t *x = (const uint16_t *)a->x + r * n;
        uint16_t *y = (uint16_t *)a->y + r * n;
        const __m512 rs = _mm512_set1_ps(1.0f / sqrtf(ss / (float)n + eps));
        /* the next row's statistics first, while this row's x is still
         * in L1 from the previous iteration's pass over it */
        float next = r + 1 < a->rows ? bf16_sum_evenodd(x + n, n, _mm512_setzero_ps(), EO_SQUARE) : 0.0f;
        size_t i = 0;
        for (; i + 32 <= n; i += 32)
            normalise32_bf16(y, x, g, i, rs, 0xffffffffu);
        if (i < n)
            normalise32_bf16(y, x, g, i, rs, tail_mask32(n - i));
        ss = next;
    }
}

#define ENTRY_POINTS(NAME, KIND)                                                              \
    void NAME##_f32(const struct nb_args *a) { rms_avx512(a, NB_F32, KIND); }               \
    void NAME##_bf16_up(const struct nb_args *a) { rms_avx512(a, NB_BF16, KIND); }          \
    void NAME##_f16_up(const struct nb_args *a) { rms_avx512(a, NB_F16, KIND); }

ENTRY_POINTS(rmsnorm_fused_avx512, RMS_PLAIN)
void rmsnorm_fused_avx512_bf16_llama(const struct nb_args *a) { rms_avx512(a, NB_BF16, RMS_LLAMA); }
void rmsnorm_fused_avx512_f16_llama(const struct nb_args *a) { rms_avx512(a, NB_F16, RMS_LLAMA); }
ENTRY_POINTS(prmsnorm_fused_avx512, RMS_PARTIAL)
ENTRY_POINTS(addrmsnorm_fused_avx512, RMS_RESIDUAL)
ENTRY_POINTS(gemmarmsnorm_fused_avx512, RMS_GEMMA)
void rmsnorm_blocked_avx512_f32(const struct nb_args *a) { rms_blocked_avx512(a, NB_F32, RMS_PLAIN); }
void rmsnorm_blocked_avx512_bf16_up(const struct nb_args *a) { rms_blocked_avx512(a, NB_BF16, RMS_PLAIN); }
void rmsnorm_blocked_avx512_f16_up(const struct nb_args *a) { rms_blocked_avx512(a, NB_F16, RMS_PLAIN); }
void prmsnorm_blocked_avx512_f32(const struct nb_args *a) { rms_blocked_avx512(a, NB_F32, RMS_PARTIAL); }
void prmsnorm_blocked_avx512_bf16_up(const struct nb_args *a) { rms_blocked_avx512(a, NB_BF16, RMS_PARTIAL); }
void prmsnorm_blocked_avx512_f16_up(const struct nb_args *a) { rms_blocked_avx512(a, NB_F16, RMS_PARTIAL); }
void rmsnorm_prefetch_avx512_f32(const struct nb_args *a) { rms_prefetch_avx512(a, NB_F32); }
void rmsnorm_prefetch_avx512_bf16_up(const struct nb_args *a) { rms_prefetch_avx512(a, NB_BF16); }
void rmsnorm_prefetch_avx512_f16_up(const struct nb_args *a) { rms_prefetch_avx512(a, NB_F16); }
