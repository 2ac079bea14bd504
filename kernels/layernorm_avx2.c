/* LayerNorm with AVX2 + FMA + F16C intrinsics, f32 compute (`up` for
 * bf16/f16), the schedules of the AVX-512 family: twopass (mean, then mean
 * of squared deviations); pipelined and pipelined2 (the next rows'
 * statistics taken during this row's normalise pass) and blocked (rows in
 * groups, a column block at a time), all three bit for bit twopass; onepass
 * (sum and sum of squares in one read, E[x^2] - E[x]^2, which cancels for
 * large means); welford (8 lanes of running moments merged with Chan's
 * formula). One summation order (simd_avx2.h) for the sums of x. */
#include "kernels.h"
#include "simd_avx2.h"

/* g and b, read from nb_args once per call: a vector store may alias
 * anything, so a loop that read a->g after each store reloaded both
 * pointers every 8 values (8 of LayerNorm's 55 instructions per 32 values
 * in pipeonepass) */
struct ln_gb {
    const void *g, *b;
};

NB_INLINE void ln_normalise_vec(void *y, const void *x, struct ln_gb gb, size_t i, __m256 mu, __m256 r,
                                enum nb_dtype dt)
{
    __m256 t = _mm256_mul_ps(_mm256_sub_ps(load8(x, i, dt), mu), r);
    store8(y, i, _mm256_fmadd_ps(t, load8(gb.g, i, dt), load8(gb.b, i, dt)), dt);
}

/* y[from..to) of one row: whole vectors, then one padded tail */
NB_INLINE void ln_normalise_span(void *y, const void *x, struct ln_gb gb, size_t from, size_t to, __m256 mu,
                                 __m256 r, enum nb_dtype dt)
{
    size_t i = from;
    for (; i + 8 <= to; i += 8)
        ln_normalise_vec(y, x, gb, i, mu, r, dt);
    if (i < to) {
        __m256 t = _mm256_mul_ps(_mm256_sub_ps(load8_tail(x, i, to - i, dt), mu), r);
        store8_tail(y, i, to - i, _mm256_fmadd_ps(t, load8_tail(gb.g, i, to - i, dt), load8_tail(gb.b, i, to - i, dt)), dt);
    }
}

/* ln_normalise_vec of an f32 row with a non-temporal store (y + i 32-byte aligned) */
NB_INLINE void ln_stream_vec(float *y, const float *x, struct ln_gb gb, size_t i, __m256 mu, __m256 r)
{
    __m256 t = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), mu), r);
    _mm256_stream_ps(y + i, _mm256_fmadd_ps(t, _mm256_loadu_ps((const float *)gb.g + i),
                                           _mm256_loadu_ps((const float *)gb.b + i)));
}

/* y[from..to) of one f32 row with non-temporal stores (y 32-byte aligned
 * at from), the padded tail as ln_normalise_span */
NB_INLINE void ln_normalise_span_nt(float *y, const float *x, struct ln_gb gb, size_t from, size_t to,
                                    __m256 mu, __m256 r)
{
    size_t i = from;
    for (; i + 8 <= to; i += 8)
        ln_stream_vec(y, x, gb, i, mu, r);
    ln_normalise_span(y, x, gb, i, to, mu, r, NB_F32);
}

/* Squared deviations from mu of x[i..i+32) into four accumulators: the one
 * order twopass and the pipelined kernels share. */
NB_INLINE void ln_sqdev32(struct sum8x4 *q, const void *x, size_t i, __m256 mu, enum nb_dtype dt)
{
    #pragma GCC unroll 4
    for (int k = 0; k < 4; k++) {
        __m256 d = _mm256_sub_ps(load8(x, i + 8 * (size_t)k, dt), mu);
        q->acc[k] = _mm256_fmadd_ps(d, d, q->acc[k]);
    }
    sum_level8(q, i + 32);
}

/* x[i..n) (fewer than 32): whole vectors into the first accumulator, the
 * padded tail, its padding cleared, into the second */
NB_INLINE void ln_sqdev_tail(struct sum8x4 *q, const void *x, size_t i, size_t n, __m256 mu, enum nb_dtype dt)
{
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(load8(x, i, dt), mu);
        q->acc[0] = _mm256_fmadd_ps(d, d, q->acc[0]);
    }
    if (i < n) {
        __m256 d = _mm256_and_ps(_mm256_sub_ps(load8_tail(x, i, n - i, dt), mu), lanes_below(n - i));
        q->acc[1] = _mm256_fmadd_ps(d, d, q->acc[1]);
    }
}

NB_INLINE float ln_sum_sqdev(const void *x, size_t n, float mean, enum nb_dtype dt)
{
    const __m256 mu = _mm256_set1_ps(mean);
    struct sum8x4 q = NB_SUM8X4_ZERO;
    size_t j = 0;
    for (; j + 32 <= n; j += 32)
        ln_sqdev32(&q, x, j, mu, dt);
    ln_sqdev_tail(&q, x, j, n, mu, dt);
    return sum8x4_result(&q);
}

/* nt: y written with non-temporal stores (f32 rows 32-byte aligned), as
 * layernorm/autont/avx2 does for tensors larger than the caches */
NB_INLINE void ln_twopass_avx2_nt(const struct nb_args *a, enum nb_dtype dt, int nt)
{
    const struct ln_gb gb = {a->g, a->b};
    const size_t n = a->n, es = nb_dtype_size(dt);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        const float mean = sum8(x, n, dt, 0) / (float)n;
        const float var = ln_sum_sqdev(x, n, mean, dt) / (float)n;
        float *y = (float *)((char *)a->y + r * n * es);
        /* nt is a constant 0 in twopass, whose code stays as it was */
        if (nt && dt == NB_F32 && ((uintptr_t)y & 31) == 0)
            ln_normalise_span_nt(y, x, gb, 0, n, _mm256_set1_ps(mean), _mm256_set1_ps(1.0f / sqrtf(var + (float)a->eps)));
        else
            ln_normalise_span((char *)a->y + r * n * es, x, gb, 0, n, _mm256_set1_ps(mean),
                              _mm256_set1_ps(1.0f / sqrtf(var + (float)a->eps)), dt);
    }
    if (nt)
        _mm_sfence();
}

NB_INLINE void ln_twopass_avx2(const struct nb_args *a, enum nb_dtype dt)
{
    ln_twopass_avx2_nt(a, dt, 0);
}

/* Row r normalised while row r + 1's sum is accumulated (the pass that
 * brings a new row in also does useful work; its squared deviations are
 * then summed from L1). Same sums as twopass: bit for bit its outputs. */
NB_INLINE void ln_pipelined_avx2(const struct nb_args *a, enum nb_dtype dt)
{
    const struct ln_gb gb = {a->g, a->b};
    const size_t n = a->n, es = nb_dtype_size(dt);
    if (a->rows == 0)
        return;
    float sum = sum8(a->x, n, dt, 0);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        void *y = (char *)a->y + r * n * es;
        const float mean = sum / (float)n;
        const float var = ln_sum_sqdev(x, n, mean, dt) / (float)n;
        const __m256 mu = _mm256_set1_ps(mean), rs = _mm256_set1_ps(1.0f / sqrtf(var + (float)a->eps));
        size_t i = 0;
        if (r + 1 < a->rows) {
            const void *next = (const char *)x + n * es;
            struct sum8x4 acc = NB_SUM8X4_ZERO;
            for (; i + 32 <= n; i += 32) {
                sum_block32(&acc, next, i, dt, 0);
                #pragma GCC unroll 4
                for (size_t q = 0; q < 32; q += 8)
                    ln_normalise_vec(y, x, gb, i + q, mu, rs, dt);
            }
            sum_tail8(&acc, next, i, n, dt, 0);
            sum = sum8x4_result(&acc);
        }
        ln_normalise_span(y, x, gb, i, n, mu, rs, dt);
    }
}

/* 32 values of a row; row_nt: with non-temporal stores, the f32 row
 * 32-byte aligned (pipeonepassnt, and autont above its threshold) */
NB_INLINE void ln_normalise32_nt(void *y, const void *x, struct ln_gb gb, size_t i, __m256 mu, __m256 r,
                                 enum nb_dtype dt, int row_nt)
{
    #pragma GCC unroll 4
    for (size_t k = 0; k < 32; k += 8) {
        if (row_nt)
            ln_stream_vec(y, x, gb, i + k, mu, r);
        else
            ln_normalise_vec(y, x, gb, i + k, mu, r, dt);
    }
}

/* i steps by 8 floats, 32 bytes: y + i is aligned for the whole row or
 * never, so the stream-or-store choice is made once a row */
NB_INLINE int ln_row_nt(int nt, enum nb_dtype dt, const void *y)
{
    return nt && dt == NB_F32 && ((uintptr_t)y & 31) == 0;
}

/* the rest of a row from i: streamed (whole vectors) or stored */
NB_INLINE void ln_normalise_rest(void *y, const void *x, struct ln_gb gb, size_t i, size_t n, __m256 mu,
                                 __m256 r, enum nb_dtype dt, int row_nt)
{
    if (row_nt)
        ln_normalise_span_nt(y, x, gb, i, n, mu, r);
    else
        ln_normalise_span(y, x, gb, i, n, mu, r, dt);
}

/* Two rows ahead: while row r is normalised, the squared deviations of row
 * r + 1 and the sum of row r + 2 are accumulated in the same loop. Rows
 * past the end are replaced by row r, whose sums are discarded. Same sums
 * as twopass: bit for bit its outputs. */
NB_INLINE void ln_pipelined2_avx2_nt(const struct nb_args *a, enum nb_dtype dt, int nt)
{
    const struct ln_gb gb = {a->g, a->b};
    const size_t n = a->n, es = nb_dtype_size(dt);
    if (a->rows == 0)
        return;
    const float eps = (float)a->eps;
    float mean = sum8(a->x, n, dt, 0) / (float)n, mean_next = 0.0f;
    float rs = 1.0f / sqrtf(ln_sum_sqdev(a->x, n, mean, dt) / (float)n + eps);
    if (a->rows > 1)
        mean_next = sum8((const char *)a->x + n * es, n, dt, 0) / (float)n;
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        const void *x1 = r + 1 < a->rows ? (const char *)x + n * es : x;
        const void *x2 = r + 2 < a->rows ? (const char *)x + 2 * n * es : x;
        void *y = (char *)a->y + r * n * es;
        const __m256 mu = _mm256_set1_ps(mean), rsv = _mm256_set1_ps(rs), mu1 = _mm256_set1_ps(mean_next);
        const int row_nt = ln_row_nt(nt, dt, y);
        struct sum8x4 q = NB_SUM8X4_ZERO, acc = NB_SUM8X4_ZERO;
        size_t i = 0;
        for (; i + 32 <= n; i += 32) {
            if (nt) /* row r + 2 comes from DRAM: README "Prefetching the next row" */
                prefetch32_ahead(x2, i, dt, NB_STREAM_AHEAD);
            ln_sqdev32(&q, x1, i, mu1, dt);
            sum_block32(&acc, x2, i, dt, 0);
            ln_normalise32_nt(y, x, gb, i, mu, rsv, dt, row_nt);
        }
        ln_sqdev_tail(&q, x1, i, n, mu1, dt);
        sum_tail8(&acc, x2, i, n, dt, 0);
        ln_normalise_rest(y, x, gb, i, n, mu, rsv, dt, row_nt);
        rs = 1.0f / sqrtf(sum8x4_result(&q) / (float)n + eps);
        mean = mean_next;
        mean_next = sum8x4_result(&acc) / (float)n;
    }
    if (nt)
        _mm_sfence();
}

NB_INLINE void ln_pipelined2_avx2(const struct nb_args *a, enum nb_dtype dt)
{
    ln_pipelined2_avx2_nt(a, dt, 0);
}

/* Rows in groups: the statistics of NB_BLOCK_ROWS rows, then the group
 * normalised a column block at a time, so g and b come from L1 for every
 * row of the group. Same sums as twopass: bit for bit its outputs. */
/* mean and 1 / sqrt(var + eps) of rows r0 .. r0 + nr - 1, twopass's sums */
NB_INLINE void ln_block_stats(const struct nb_args *a, size_t r0, size_t nr, float *mean, float *rs, enum nb_dtype dt)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    for (size_t r = 0; r < nr; r++) {
        const void *x = (const char *)a->x + (r0 + r) * n * es;
        mean[r] = sum8(x, n, dt, 0) / (float)n;
        rs[r] = 1.0f / sqrtf(ln_sum_sqdev(x, n, mean[r], dt) / (float)n + (float)a->eps);
    }
}

/* nt: blockednt, y written with non-temporal stores (f32 rows 32-byte
 * aligned), for tensors larger than the caches: as rmsnorm/blockednt/avx2,
 * whose comment says why blocking, not pipelining, suits long rows there */
NB_INLINE void ln_blocked_avx2_nt(const struct nb_args *a, enum nb_dtype dt, int nt)
{
    const struct ln_gb gb = {a->g, a->b};
    const size_t n = a->n, es = nb_dtype_size(dt);
    for (size_t r0 = 0; r0 < a->rows; r0 += NB_BLOCK_ROWS) {
        const size_t nr = a->rows - r0 < NB_BLOCK_ROWS ? a->rows - r0 : NB_BLOCK_ROWS;
        float mean[NB_BLOCK_ROWS], rs[NB_BLOCK_ROWS];
        ln_block_stats(a, r0, nr, mean, rs, dt);
        for (size_t c = 0; c < n; c += NB_BLOCK_COLS) {
            const size_t end = n - c < NB_BLOCK_COLS ? n : c + NB_BLOCK_COLS;
            for (size_t r = 0; r < nr; r++) {
                char *y = (char *)a->y + (r0 + r) * n * es;
                const char *x = (const char *)a->x + (r0 + r) * n * es;
                const __m256 mu = _mm256_set1_ps(mean[r]), rv = _mm256_set1_ps(rs[r]);
                if (nt && dt == NB_F32 && ((uintptr_t)y & 31) == 0)
                    ln_normalise_span_nt((float *)y, (const float *)x, gb, c, end, mu, rv);
                else
                    ln_normalise_span(y, x, gb, c, end, mu, rv, dt);
            }
        }
    }
    if (nt)
        _mm_sfence();
}

NB_INLINE void ln_blocked_avx2(const struct nb_args *a, enum nb_dtype dt)
{
    ln_blocked_avx2_nt(a, dt, 0);
}

/* as rmsnorm/autont/avx2: non-temporal stores above the engine's footprint
 * threshold, and pipelined2 while a row's working set (x, g, b: 12 n
 * bytes) fits L1, blocked beyond; all three bit for bit twopass. A single
 * row has nothing to pipeline (pipelined2 would read it three times,
 * 15% slower in ab), so it takes twopass. */
void layernorm_autont_avx2_f32(const struct nb_args *a)
{
    const int nt = a->nt_threshold_bytes && a->rows * a->n * 2 * sizeof(float) > a->nt_threshold_bytes;
    /* a call, not a third inlined copy: that copy ran 5% slower than
     * blocked itself in ab (placement, not instructions) */
    if (a->l1_bytes && 3 * a->n * sizeof(float) > a->l1_bytes)
        (nt ? layernorm_blockednt_avx2_f32 : layernorm_blocked_avx2_f32)(a);
    else if (a->rows < 2)
        ln_twopass_avx2_nt(a, NB_F32, nt);
    else
        ln_pipelined2_avx2_nt(a, NB_F32, nt);
}

/* onepass's statistics: a sum and a sum of squares in the shared order */
struct ln_moments {
    struct sum8x4 s, s2;
};

#define NB_LN_MOMENTS_ZERO {NB_SUM8X4_ZERO, NB_SUM8X4_ZERO}

NB_INLINE void ln_moments32(struct ln_moments *m, const void *x, size_t j, enum nb_dtype dt)
{
    sum_block32(&m->s, x, j, dt, 0);
    sum_block32(&m->s2, x, j, dt, 1);
}

/* the rest of the row from j (fewer than 32), then mean and 1 / sqrt(var + eps) */
NB_INLINE void ln_moments_finish(struct ln_moments *m, const void *x, size_t j, size_t n, float eps,
                                 enum nb_dtype dt, float *mean, float *rs)
{
    sum_tail8(&m->s, x, j, n, dt, 0);
    sum_tail8(&m->s2, x, j, n, dt, 1);
    *mean = sum8x4_result(&m->s) / (float)n;
    const float var = sum8x4_result(&m->s2) / (float)n - *mean * *mean;
    *rs = 1.0f / sqrtf(var + eps);
}

NB_INLINE void ln_onepass_stats(const void *x, size_t n, float eps, enum nb_dtype dt, float *mean, float *rs)
{
    struct ln_moments m = NB_LN_MOMENTS_ZERO;
    size_t j = 0;
    for (; j + 32 <= n; j += 32)
        ln_moments32(&m, x, j, dt);
    ln_moments_finish(&m, x, j, n, eps, dt, mean, rs);
}

/* One read: the sum and the sum of squares in the shared order, var =
 * E[x^2] - E[x]^2 kept raw (a negative variance becomes NaN, as in a kernel
 * that trusts the formula). */
NB_INLINE void ln_onepass_avx2(const struct nb_args *a, enum nb_dtype dt)
{
    const struct ln_gb gb = {a->g, a->b};
    const size_t n = a->n, es = nb_dtype_size(dt);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        float mean, rs;
        ln_onepass_stats(x, n, (float)a->eps, dt, &mean, &rs);
        ln_normalise_span((char *)a->y + r * n * es, x, gb, 0, n, _mm256_set1_ps(mean), _mm256_set1_ps(rs), dt);
    }
}

/* onepass's sums of row r + 1 taken while row r is normalised, as pipelined
 * does for twopass: the pass that brings the next row in also writes this
 * one, and no reduction waits between loops but the row's last. Same sums
 * as onepass: bit for bit its outputs. */
NB_INLINE void ln_pipeonepass_avx2_nt(const struct nb_args *a, enum nb_dtype dt, int nt)
{
    const struct ln_gb gb = {a->g, a->b};
    const size_t n = a->n, es = nb_dtype_size(dt);
    const float eps = (float)a->eps;
    if (a->rows == 0)
        return;
    float mean, rs;
    ln_onepass_stats(a->x, n, eps, dt, &mean, &rs);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        void *y = (char *)a->y + r * n * es;
        const __m256 mu = _mm256_set1_ps(mean), rsv = _mm256_set1_ps(rs);
        const int row_nt = ln_row_nt(nt, dt, y);
        size_t i = 0;
        if (r + 1 < a->rows) {
            const void *next = (const char *)x + n * es;
            struct ln_moments m = NB_LN_MOMENTS_ZERO;
            for (; i + 32 <= n; i += 32) {
                if (nt)
                    prefetch32_ahead(next, i, dt, NB_STREAM_AHEAD);
                ln_moments32(&m, next, i, dt);
                ln_normalise32_nt(y, x, gb, i, mu, rsv, dt, row_nt);
            }
            ln_moments_finish(&m, next, i, n, eps, dt, &mean, &rs);
        }
        ln_normalise_rest(y, x, gb, i, n, mu, rsv, dt, row_nt);
    }
    if (nt)
        _mm_sfence();
}

NB_INLINE void ln_pipeonepass_avx2(const struct nb_args *a, enum nb_dtype dt)
{
    ln_pipeonepass_avx2_nt(a, dt, 0);
}

/* Eight lanes of running mean and M2 (a padded tail's lanes keep their
 * counts), merged pairwise with Chan's formula. */
NB_INLINE void ln_welford_avx2(const struct nb_args *a, enum nb_dtype dt)
{
    const struct ln_gb gb = {a->g, a->b};
    const size_t n = a->n, es = nb_dtype_size(dt);
    const __m256 one = _mm256_set1_ps(1.0f);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        __m256 mean = _mm256_setzero_ps(), m2 = _mm256_setzero_ps(), cnt = _mm256_setzero_ps();
        for (size_t j = 0; j < n; j += 8) {
            const __m256 live = n - j >= 8 ? _mm256_castsi256_ps(_mm256_set1_epi32(-1)) : lanes_below(n - j);
            __m256 v = n - j >= 8 ? load8(x, j, dt) : load8_tail(x, j, n - j, dt);
            cnt = _mm256_add_ps(cnt, _mm256_and_ps(one, live));
            __m256 d = _mm256_sub_ps(v, mean);
            /* dead lanes: cnt may be 0, so their step is cleared after the division */
            mean = _mm256_add_ps(mean, _mm256_and_ps(_mm256_div_ps(d, cnt), live));
            m2 = _mm256_add_ps(m2, _mm256_and_ps(_mm256_mul_ps(d, _mm256_sub_ps(v, mean)), live));
        }
        float c[8], mu[8], q[8];
        _mm256_storeu_ps(c, cnt);
        _mm256_storeu_ps(mu, mean);
        _mm256_storeu_ps(q, m2);
        for (int w = 1; w < 8; w *= 2)
            for (int l = 0; l + w < 8; l += 2 * w) {
                if (c[l + w] == 0.0f)
                    continue;
                float total = c[l] + c[l + w], dm = mu[l + w] - mu[l];
                mu[l] += dm * (c[l + w] / total);
                q[l] += q[l + w] + dm * dm * (c[l] * c[l + w] / total);
                c[l] = total;
            }
        ln_normalise_span((char *)a->y + r * n * es, x, gb, 0, n, _mm256_set1_ps(mu[0]),
                          _mm256_set1_ps(1.0f / sqrtf(q[0] / (float)n + (float)a->eps)), dt);
    }
}

#define NB_LN_AVX2_ENTRIES(alg)                                                                              \
    void layernorm_##alg##_avx2_f32(const struct nb_args *a) { ln_##alg##_avx2(a, NB_F32); }                 \
    void layernorm_##alg##_avx2_bf16_up(const struct nb_args *a) { ln_##alg##_avx2(a, NB_BF16); }            \
    void layernorm_##alg##_avx2_f16_up(const struct nb_args *a) { ln_##alg##_avx2(a, NB_F16); }

NB_LN_AVX2_ENTRIES(twopass)
NB_LN_AVX2_ENTRIES(pipelined)
NB_LN_AVX2_ENTRIES(pipelined2)
NB_LN_AVX2_ENTRIES(blocked)
void layernorm_blockednt_avx2_f32(const struct nb_args *a) { ln_blocked_avx2_nt(a, NB_F32, 1); }
NB_LN_AVX2_ENTRIES(onepass)
NB_LN_AVX2_ENTRIES(pipeonepass)
/* pipeonepass with non-temporal stores: on AMD Zen 3, LayerNorm in L3 and
 * DRAM (README "On AMD Zen 3") */
void layernorm_pipeonepassnt_avx2_f32(const struct nb_args *a) { ln_pipeonepass_avx2_nt(a, NB_F32, 1); }
NB_LN_AVX2_ENTRIES(welford)
