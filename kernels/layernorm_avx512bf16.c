/* LayerNorm bf16-up with AVX512_BF16: the AVX-512 schedules of
 * layernorm_avx512.h with each rounding to bf16 one vcvtneps2bf16 instead
 * of eight (simd_avx512.h). The sums widen bf16 as the
 * AVX-512 kernels do: vdpbf16ps would form the sum of x, but the squared
 * deviations need f32 differences, so twopass gains only in the store.
 * Outputs equal layernorm/twopass/avx512/bf16-up's except where that one
 * keeps a subnormal.
 *
 * evenodd: twopass on even and odd f32 lanes (simd_avx512.h), so x, g
 * and b widen with one operation each instead of a shuffle and a shift,
 * and 32 results go back with one vcvtne2ps2bf16 and one vpermw: 24
 * vector instructions per 32 values in its three passes where twopass
 * takes 34 (counted in the source: the VM has no counters and valgrind
 * no AVX-512). Its sums run over even and odd positions apart, so it
 * equals no variant of another order. pipeevenodd is evenodd one row
 * ahead, as layernorm/pipelined: the next row's sum is taken in the
 * normalise loop, which brings that row into L1 while this one's lines
 * are in use; bit for bit evenodd, as is pipeevenoddnt, which streams y
 * (non-temporal stores) past the caches. */
#include "layernorm_avx512.h"

void layernorm_twopass_avx512bf16_bf16_up(const struct nb_args *a) { ln_twopass_avx512(a, NB_BF16); }
void layernorm_pipelined_avx512bf16_bf16_up(const struct nb_args *a) { ln_pipelined_avx512(a, NB_BF16); }
void layernorm_pipelined2_avx512bf16_bf16_up(const struct nb_args *a) { ln_pipelined2_avx512(a, NB_BF16); }
void layernorm_blocked_avx512bf16_bf16_up(const struct nb_args *a) { ln_blocked_avx512(a, NB_BF16); }

/* y[i..i+32) (m: the row's tail) = (x - mu) rs g + b on even and odd
 * lanes; nt: a whole line (y + i 64-byte aligned) streamed */
NB_INLINE void ln_normalise32_evenodd(uint16_t *y, const uint16_t *x, const uint16_t *g, const uint16_t *b, size_t i,
                                      __m512 mu, __m512 rs, __mmask32 m, int nt)
{
    const __m512i xv = _mm512_maskz_loadu_epi16(m, x + i), gv = _mm512_maskz_loadu_epi16(m, g + i),
                  bv = _mm512_maskz_loadu_epi16(m, b + i);
    const __m512 even = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_sub_ps(bf16_even(xv), mu), rs), bf16_even(gv), bf16_even(bv));
    const __m512 odd = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_sub_ps(bf16_odd(xv), mu), rs), bf16_odd(gv), bf16_odd(bv));
    if (nt && m == 0xffffffffu)
        _mm512_stream_si512((void *)(y + i), bf16_pack_evenodd(even, odd));
    else
        _mm512_mask_storeu_epi16(y + i, m, bf16_pack_evenodd(even, odd));
}

void layernorm_evenodd_avx512bf16_bf16_up(const struct nb_args *a)
{
    const size_t n = a->n;
    const uint16_t *g = a->g, *b = a->b; /* read once: a store may alias *a */
    for (size_t r = 0; r < a->rows; r++) {
        const uint16_t *x = (const uint16_t *)a->x + r * n;
        uint16_t *y = (uint16_t *)a->y + r * n;
        const float mean = bf16_sum_evenodd(x, n, _mm512_setzero_ps(), EO_SUM) / (float)n;
        const __m512 mu = _mm512_set1_ps(mean);
        const float var = bf16_sum_evenodd(x, n, mu, EO_SQDEV) / (float)n;
        const __m512 rs = _mm512_set1_ps(1.0f / sqrtf(var + (float)a->eps));
        size_t i = 0;
        for (; i + 32 <= n; i += 32)
            ln_normalise32_evenodd(y, x, g, b, i, mu, rs, 0xffffffffu, 0);
        if (i < n)
            ln_normalise32_evenodd(y, x, g, b, i, mu, rs, tail_mask32(n - i), 0);
    }
}

/* nt: y streamed (pipeevenoddnt) on rows whose y is 64-byte aligned */
NB_INLINE void ln_pipeevenodd(const struct nb_args *a, int nt)
{
    const size_t n = a->n;
    const uint16_t *g = a->g, *b = a->b;
    const __m512 zero = _mm512_setzero_ps();
    if (a->rows == 0)
        return;
    float sum = bf16_sum_evenodd(a->x, n, zero, EO_SUM);
    for (size_t r = 0; r < a->rows; r++) {
        const uint16_t *x = (const uint16_t *)a->x + r * n;
        uint16_t *y = (uint16_t *)a->y + r * n;
        const __m512 mu = _mm512_set1_ps(sum / (float)n);
        const float var = bf16_sum_evenodd(x, n, mu, EO_SQDEV) / (float)n;
        const __m512 rs = _mm512_set1_ps(1.0f / sqrtf(var + (float)a->eps));
        /* i steps by 32 values, 64 bytes: aligned for the whole row or never */
        const int row_nt = nt && ((uintptr_t)y & 63) == 0;
        size_t i = 0;
        if (r + 1 < a->rows) {
            struct sum16x4 acc = NB_SUM16X4_ZERO;
            for (; i + 64 <= n; i += 64) {
                eo_block64(&acc, x + n, i, zero, EO_SUM);
                ln_normalise32_evenodd(y, x, g, b, i, mu, rs, 0xffffffffu, row_nt);
                ln_normalise32_evenodd(y, x, g, b, i + 32, mu, rs, 0xffffffffu, row_nt);
            }
            eo_tail(&acc, x + n, i, n, zero, EO_SUM);
            sum = sum16x4_result(&acc);
        }
        for (; i + 32 <= n; i += 32)
            ln_normalise32_evenodd(y, x, g, b, i, mu, rs, 0xffffffffu, row_nt);
        if (i < n)
            ln_normalise32_evenodd(y, x, g, b, i, mu, rs, tail_mask32(n - i), 0);
    }
    if (nt)
        _mm_sfence(); /* the streamed lines are visible before the call returns */
}

void layernorm_pipeevenodd_avx512bf16_bf16_up(const struct nb_args *a) { ln_pipeevenodd(a, 0); }
void layernorm_pipeevenoddnt_avx512bf16_bf16_up(const struct nb_args *a) { ln_pipeevenodd(a, 1); }
