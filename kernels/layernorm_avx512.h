/* The AVX-512 LayerNorm schedules, f32 compute (`up` for bf16/f16):
 * twopass (mean, then mean of squared deviations); pipelined and pipelined2
 * (twopass with the next rows' statistics taken during this row's normalise
 * pass), blocked (rows in groups, normalised a column block at a time), all
 * three bit for bit twopass, as are blockednt and autont (non-temporal
 * stores); and welford (16 lanes of running moments merged with Chan's
 * formula).
 *
 * Included by the files of two ISAs: layernorm_avx512.c (AVX-512F/BW/VL)
 * and layernorm_avx512bf16.c, compiled with AVX512_BF16, where
 * simd_avx512.h rounds to bf16 with one vcvtneps2bf16. */
#ifndef NB_LAYERNORM_AVX512_H
#define NB_LAYERNORM_AVX512_H

#include "kernels.h"
#include "simd_avx512.h"

/* g and b, read from nb_args once per call (as layernorm_avx2.c: a vector
 * store may alias *a, and a->g read after each store was reloaded) */
struct ln_gb {
    const void *g, *b;
};

NB_INLINE void ln_normalise_vec(void *y, const void *x, struct ln_gb gb, size_t i, __m512 mu,
                                __m512 r, __mmask16 m, enum nb_dtype dt)
{
    __m512 t = _mm512_mul_ps(_mm512_sub_ps(load16(x, i, m, dt), mu), r);
    store16(y, i, _mm512_fmadd_ps(t, load16(gb.g, i, m, dt), load16(gb.b, i, m, dt)), m, dt);
}

/* y[from..to) of one row: whole vectors, then one masked tail */
NB_INLINE void ln_normalise_span(void *y, const void *x, struct ln_gb gb, size_t from, size_t to,
                                 __m512 mu, __m512 r, enum nb_dtype dt)
{
    size_t i = from;
    for (; i + 16 <= to; i += 16)
        ln_normalise_vec(y, x, gb, i, mu, r, 0xffff, dt);
    if (i < to)
        ln_normalise_vec(y, x, gb, i, mu, r, tail_mask16(to - i), dt);
}

/* y[from..to) of one f32 row with non-temporal stores (y 64-byte aligned
 * at from), the masked tail as ln_normalise_span */
NB_INLINE void ln_normalise_span_nt(float *y, const float *x, struct ln_gb gb, size_t from, size_t to, __m512 mu,
                                    __m512 r)
{
    size_t i = from;
    for (; i + 16 <= to; i += 16) {
        __m512 t = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), mu), r);
        _mm512_stream_ps(y + i, _mm512_fmadd_ps(t, _mm512_loadu_ps((const float *)gb.g + i),
                                               _mm512_loadu_ps((const float *)gb.b + i)));
    }
    ln_normalise_span(y, x, gb, i, to, mu, r, NB_F32);
}

/* y[from..to): streamed where nt asks and the row allows it (f32, y + from
 * 64-byte aligned; from steps by whole column blocks, so a row is aligned
 * throughout or never) */
NB_INLINE void ln_normalise_span_any(void *y, const void *x, struct ln_gb gb, size_t from, size_t to, __m512 mu,
                                     __m512 r, enum nb_dtype dt, int nt)
{
    if (nt && dt == NB_F32 && ((uintptr_t)((float *)y + from) & 63) == 0)
        ln_normalise_span_nt(y, x, gb, from, to, mu, r);
    else
        ln_normalise_span(y, x, gb, from, to, mu, r, dt);
}

NB_INLINE void ln_normalise16(const struct nb_args *a, const void *x, void *y, float mean,
                              float rs, enum nb_dtype dt)
{
    ln_normalise_span(y, x, (struct ln_gb){a->g, a->b}, 0, a->n, _mm512_set1_ps(mean), _mm512_set1_ps(rs), dt);
}

/* Squared deviations from mu of x[i..i+64) into four accumulators, and of
 * a masked tail vector into the first: the one summation order twopass and
 * the pipelined kernels share. */
NB_INLINE void ln_sqdev64(struct sum16x4 *q, const void *x, size_t i, __m512 mu, enum nb_dtype dt)
{
    #pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
        __m512 d = _mm512_sub_ps(load16(x, i + 16 * (size_t)k, 0xffff, dt), mu);
        q->acc[k] = _mm512_fmadd_ps(d, d, q->acc[k]);
    }
    sum_level16(q, i + 64);
}

NB_INLINE void ln_sqdev_tail(struct sum16x4 *q, const void *x, size_t i, __m512 mu, __mmask16 m, enum nb_dtype dt)
{
    __m512 d = _mm512_maskz_sub_ps(m, load16(x, i, m, dt), mu);
    q->acc[0] = _mm512_fmadd_ps(d, d, q->acc[0]);
}

/* Sum of (x - mean)^2 with four accumulators: two leave the loop waiting
 * on the FMA latency (4 cycles) when the row is already in L1. */
NB_INLINE float ln_sum_sqdev(const void *x, size_t n, float mean, enum nb_dtype dt)
{
    const __m512 mu = _mm512_set1_ps(mean);
    struct sum16x4 q = NB_SUM16X4_ZERO;
    size_t j = 0;
    for (; j + 64 <= n; j += 64)
        ln_sqdev64(&q, x, j, mu, dt);
    for (; j < n; j += 16)
        ln_sqdev_tail(&q, x, j, mu, tail_mask16(n - j), dt);
    return sum16x4_result(&q);
}

/* nt: y streamed (autont above its footprint threshold) */
NB_INLINE void ln_twopass_avx512_nt(const struct nb_args *a, enum nb_dtype dt, int nt)
{
    const struct ln_gb gb = {a->g, a->b};
    const size_t n = a->n, es = nb_dtype_size(dt);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        const float mean = sum16(x, n, dt, 0, 0) / (float)n;
        const float var = ln_sum_sqdev(x, n, mean, dt) / (float)n;
        ln_normalise_span_any((char *)a->y + r * n * es, x, gb, 0, n, _mm512_set1_ps(mean),
                              _mm512_set1_ps(1.0f / sqrtf(var + (float)a->eps)), dt, nt);
    }
    if (nt)
        _mm_sfence(); /* the streamed lines are visible before the call returns */
}

NB_INLINE void ln_twopass_avx512(const struct nb_args *a, enum nb_dtype dt)
{
    ln_twopass_avx512_nt(a, dt, 0);
}

/* Software-pipelined rows, as rmsnorm/pipelined: row r is normalised while
 * row r + 1's sum is accumulated, so the pass that brings a new row from L2
 * or beyond also does useful work, and the squared deviations of row r + 1
 * are then summed from L1. The sums are formed in the order twopass uses,
 * so the outputs are bit for bit those of layernorm/twopass/avx512. */
NB_INLINE void ln_pipelined_avx512(const struct nb_args *a, enum nb_dtype dt)
{
    const struct ln_gb gb = {a->g, a->b};
    const size_t n = a->n, es = nb_dtype_size(dt);
    if (a->rows == 0)
        return;
    float sum = sum16(a->x, n, dt, 0, 0);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        void *y = (char *)a->y + r * n * es;
        const float mean = sum / (float)n;
        const float var = ln_sum_sqdev(x, n, mean, dt) / (float)n;
        const __m512 mu = _mm512_set1_ps(mean);
        const __m512 rs = _mm512_set1_ps(1.0f / sqrtf(var + (float)a->eps));
        size_t i = 0;
        if (r + 1 < a->rows) {
            const void *next = (const char *)x + n * es;
            struct sum16x4 acc = NB_SUM16X4_ZERO;
            for (; i + 64 <= n; i += 64) {
                sum_block64(&acc, next, i, dt, 0);
                #pragma GCC unroll 4
                for (size_t q = 0; q < 64; q += 16)
                    ln_normalise_vec(y, x, gb, i + q, mu, rs, 0xffff, dt);
            }
            sum_tail(&acc, next, i, n, dt, 0);
            sum = sum16x4_result(&acc);
        }
        ln_normalise_span(y, x, gb, i, n, mu, rs, dt);
    }
}

/* Two rows ahead: while row r is normalised, the squared deviations of row
 * r + 1 (whose mean is known) and the sum of row r + 2 are accumulated in
 * the same loop, so no statistics pass of its own and no reduction or
 * square root waits between loops. Rows past the end are replaced by row
 * r, whose sums are then discarded. Same sums as twopass, so the outputs
 * are bit for bit twopass/avx512's. */
NB_INLINE void ln_pipelined2_avx512(const struct nb_args *a, enum nb_dtype dt)
{
    const struct ln_gb gb = {a->g, a->b};
    const size_t n = a->n, es = nb_dtype_size(dt);
    if (a->rows == 0)
        return;
    const float eps = (float)a->eps;
    float mean = sum16(a->x, n, dt, 0, 0) / (float)n, mean_next = 0.0f;
    float rs = 1.0f / sqrtf(ln_sum_sqdev(a->x, n, mean, dt) / (float)n + eps);
    if (a->rows > 1)
        mean_next = sum16((const char *)a->x + n * es, n, dt, 0, 0) / (float)n;
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        const void *x1 = r + 1 < a->rows ? (const char *)x + n * es : x;
        const void *x2 = r + 2 < a->rows ? (const char *)x + 2 * n * es : x;
        void *y = (char *)a->y + r * n * es;
        const __m512 mu = _mm512_set1_ps(mean), rsv = _mm512_set1_ps(rs), mu1 = _mm512_set1_ps(mean_next);
        struct sum16x4 q = NB_SUM16X4_ZERO;
        struct sum16x4 acc = NB_SUM16X4_ZERO;
        size_t i = 0;
        for (; i + 64 <= n; i += 64) {
            ln_sqdev64(&q, x1, i, mu1, dt);
            sum_block64(&acc, x2, i, dt, 0);
            #pragma GCC unroll 4
            for (size_t k = 0; k < 64; k += 16)
                ln_normalise_vec(y, x, gb, i + k, mu, rsv, 0xffff, dt);
        }
        for (; i < n; i += 16) {
            __mmask16 m = tail_mask16(n - i);
            ln_sqdev_tail(&q, x1, i, mu1, m, dt);
            acc.acc[0] = sum_term16(acc.acc[0], load16(x2, i, m, dt), 0);
            ln_normalise_vec(y, x, gb, i, mu, rsv, m, dt);
        }
        const float var1 = sum16x4_result(&q) / (float)n;
        rs = 1.0f / sqrtf(var1 + eps);
        mean = mean_next;
        mean_next = sum16x4_result(&acc) / (float)n;
    }
}

/* Rows in groups: the statistics of NB_BLOCK_ROWS rows first, then the
 * group normalised a column block at a time, so that g and b are read from
 * L1 for every row of the group instead of once a row from L2. Pays off
 * when a row's x, g, b and y together overflow L1 (n > 2048 f32). Same
 * sums as twopass, so the outputs are bit for bit twopass's. */

/* nt: blockednt, y written with non-temporal stores, as
 * layernorm/blockednt/avx2. Beyond L1 a normal store first reads the line
 * it overwrites; in DRAM at n = 4096 and 8192 (Zen 5, two runs in the same
 * rounds) blockednt reaches 0.65 to 0.67 of the copy where blocked reaches
 * 0.42 to 0.46 */
NB_INLINE void ln_blocked_avx512_nt(const struct nb_args *a, enum nb_dtype dt, int nt)
{
    const struct ln_gb gb = {a->g, a->b};
    const size_t n = a->n, es = nb_dtype_size(dt);
    for (size_t r0 = 0; r0 < a->rows; r0 += NB_BLOCK_ROWS) {
        const size_t nr = a->rows - r0 < NB_BLOCK_ROWS ? a->rows - r0 : NB_BLOCK_ROWS;
        __m512 mu[NB_BLOCK_ROWS], rs[NB_BLOCK_ROWS];
        for (size_t r = 0; r < nr; r++) {
            const void *x = (const char *)a->x + (r0 + r) * n * es;
            const float mean = sum16(x, n, dt, 0, 0) / (float)n;
            const float var = ln_sum_sqdev(x, n, mean, dt) / (float)n;
            mu[r] = _mm512_set1_ps(mean);
            rs[r] = _mm512_set1_ps(1.0f / sqrtf(var + (float)a->eps));
        }
        for (size_t c = 0; c < n; c += NB_BLOCK_COLS) {
            const size_t end = n - c < NB_BLOCK_COLS ? n : c + NB_BLOCK_COLS;
            for (size_t r = 0; r < nr; r++) {
                ln_normalise_span_any((char *)a->y + (r0 + r) * n * es, (const char *)a->x + (r0 + r) * n * es, gb, c,
                                      end, mu[r], rs[r], dt, nt);
            }
        }
    }
    if (nt)
        _mm_sfence();
}

NB_INLINE void ln_blocked_avx512(const struct nb_args *a, enum nb_dtype dt)
{
    ln_blocked_avx512_nt(a, dt, 0);
}

NB_INLINE void ln_welford_avx512(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        __m512 mean = _mm512_setzero_ps(), m2 = _mm512_setzero_ps(), cnt = _mm512_setzero_ps();
        const __m512 one = _mm512_set1_ps(1.0f);
        for (size_t j = 0; j < n; j += 16) {
            __mmask16 m = tail_mask16(n - j);
            __m512 v = load16(x, j, m, dt);
            cnt = _mm512_mask_add_ps(cnt, m, cnt, one);
            __m512 d = _mm512_sub_ps(v, mean);
            mean = _mm512_mask_add_ps(mean, m, mean, _mm512_div_ps(d, cnt));
            m2 = _mm512_mask3_fmadd_ps(d, _mm512_sub_ps(v, mean), m2, m);
        }
        float c[16], mu[16], q[16];
        _mm512_storeu_ps(c, cnt);
        _mm512_storeu_ps(mu, mean);
        _mm512_storeu_ps(q, m2);
        for (int w = 1; w < 16; w *= 2)
            for (int l = 0; l + w < 16; l += 2 * w) {
                if (c[l + w] == 0.0f)
                    continue;
                float total = c[l] + c[l + w];
                float d = mu[l + w] - mu[l];
                mu[l] += d * (c[l + w] / total);
                q[l] += q[l + w] + d * d * (c[l] * c[l + w] / total);
                c[l] = total;
            }
        ln_normalise16(a, x, (char *)a->y + r * n * es, mu[0], 1.0f / sqrtf(q[0] / (float)n + (float)a->eps), dt);
    }
}

#endif
