/* The AVX-512 RMSNorm schedules: 16-lane f32 compute for every storage
 * type (`up`), four accumulators, masked tails; fused (with the partial,
 * residual, Gemma and Llama kinds), pipelined (nt: non-temporal stores),
 * prefetch and blocked.
 *
 * Included by the files of two ISAs: rmsnorm_avx512.c (AVX-512F/BW/VL)
 * and rmsnorm_avx512bf16.c, compiled with AVX512_BF16, where simd_avx512.h
 * rounds to bf16 with one vcvtneps2bf16. */
#ifndef NB_RMSNORM_AVX512_H
#define NB_RMSNORM_AVX512_H

#include "kernels.h"
#include "simd_avx512.h"

/* RMS_LLAMA: x r rounded to the storage type before the gain (rmsnorm_scalar.c) */
enum rms_kind { RMS_PLAIN, RMS_PARTIAL, RMS_RESIDUAL, RMS_GEMMA, RMS_LLAMA };

NB_INLINE __m512 rms_scaled16(__m512 x, __m512 rs, enum nb_dtype dt, enum rms_kind kind)
{
    const __m512 t = _mm512_mul_ps(x, rs);
    return kind == RMS_LLAMA ? round16(t, dt) : t;
}

NB_INLINE void rms_avx512(const struct nb_args *a, enum nb_dtype dt, enum rms_kind kind)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    const size_t k = kind == RMS_PARTIAL ? nb_prms_k(n, a->p) : n;
    const float eps = (float)a->eps;
    /* g read once: a vector store may alias *a, and a->g read after each
     * store was reloaded every 16 values */
    const void *const gp = a->g;
    const __m512 one = _mm512_set1_ps(1.0f);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        void *y = (char *)a->y + r * n * es;
        if (kind == RMS_RESIDUAL) {
            void *h = (char *)a->residual + r * n * es;
            for (size_t i = 0; i < n; i += 16) {
                __mmask16 m = tail_mask16(n - i);
                store16(h, i, _mm512_add_ps(load16(x, i, m, dt), load16(h, i, m, dt)), m, dt);
            }
            x = h; /* normalise the stored (rounded) sum */
        }
        const float ss = sum16(x, k, dt, 1, 0);
        const __m512 rs = _mm512_set1_ps(1.0f / sqrtf(ss / (float)k + eps));
        size_t i = 0;
        for (; i + 16 <= n; i += 16) {
            __m512 g = load16(gp, i, 0xffff, dt);
            if (kind == RMS_GEMMA)
                g = _mm512_add_ps(one, g);
            store16(y, i, _mm512_mul_ps(rms_scaled16(load16(x, i, 0xffff, dt), rs, dt, kind), g), 0xffff, dt);
        }
        if (i < n) {
            __mmask16 m = tail_mask16(n - i);
            __m512 g = load16(gp, i, m, dt);
            if (kind == RMS_GEMMA)
                g = _mm512_add_ps(one, g);
            store16(y, i, _mm512_mul_ps(rms_scaled16(load16(x, i, m, dt), rs, dt, kind), g), m, dt);
        }
    }
}

/* Software-pipelined rows: while row r is normalised (x from L1, y
 * stored), row r + 1's sum of squares is accumulated, so each iteration
 * brings one new x line from L2 or beyond, as a copy does, instead of a
 * statistics pass that waits on L2 followed by a normalise pass. The sums
 * are formed in exactly the order sum16 uses, so the outputs are
 * bit for bit those of the fused variant. nt: y written with non-temporal
 * stores, for tensors larger than the caches, where a normal store first
 * reads the line it overwrites. */
NB_INLINE void normalise16(void *y, const void *x, const void *g, size_t i, __m512 rs, __mmask16 m,
                           enum nb_dtype dt, int nt)
{
    __m512 v = _mm512_mul_ps(_mm512_mul_ps(load16(x, i, m, dt), rs), load16(g, i, m, dt));
    if (nt && m == 0xffff) /* nt only where the row allows it (row_streams16) */
        stream16(y, i, v, dt);
    else
        store16(y, i, v, m, dt);
}

/* y[from..to) of one row: whole vectors, then one masked tail */
NB_INLINE void normalise_span16(void *y, const void *x, const void *g, size_t from, size_t to, __m512 rs,
                                enum nb_dtype dt, int nt)
{
    size_t i = from;
    for (; i + 16 <= to; i += 16)
        normalise16(y, x, g, i, rs, 0xffff, dt, nt);
    if (i < to)
        normalise16(y, x, g, i, rs, tail_mask16(to - i), dt, nt);
}

NB_INLINE void rms_pipelined_avx512(const struct nb_args *a, enum nb_dtype dt, int nt)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    const float eps = (float)a->eps;
    const void *const g = a->g; /* read once, as rms_avx512 */
    if (a->rows == 0)
        return;
    float ss = sum16(a->x, n, dt, 1, 0);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        void *y = (char *)a->y + r * n * es;
        const __m512 rs = _mm512_set1_ps(1.0f / sqrtf(ss / (float)n + eps));
        /* i steps by 16 values: y + i is aligned for the whole row or
         * never, so the stream-or-store choice is made once a row */
        const int row_nt = nt && row_streams16(y, dt);
        size_t i = 0;
        if (r + 1 < a->rows) {
            const void *next = (const char *)x + n * es;
            struct sum16x4 acc = NB_SUM16X4_ZERO;
            for (; i + 64 <= n; i += 64) {
                /* streaming bf16 and f16: ask for the next row's lines
                 * NB_STREAM_AHEAD ahead, as pipelinednt/avx2 does (64
                 * values are two lines). On the last rows this asks up to
                 * 2 KiB past the tensor: a prefetch is a hint and never
                 * faults, and a test per block would cost more here */
                if (nt && dt != NB_F32)
                    for (size_t off = 0; off < 128; off += 64)
                        _mm_prefetch((const char *)next + i * es + NB_STREAM_AHEAD + off, _MM_HINT_T0);
                sum_block64(&acc, next, i, dt, 1);
                #pragma GCC unroll 4
                for (size_t q = 0; q < 64; q += 16)
                    normalise16(y, x, g, i + q, rs, 0xffff, dt, row_nt);
            }
            sum_tail(&acc, next, i, n, dt, 1);
            ss = sum16x4_result(&acc);
        }
        normalise_span16(y, x, g, i, n, rs, dt, row_nt);
    }
    if (nt)
        _mm_sfence(); /* the streamed lines are visible before the call returns */
}

/* Software prefetch instead of pipelining: the statistics pass asks for
 * the lines NB_PREFETCH_AHEAD bytes ahead (simd_avx512.h), and the normalise pass asks for
 * the next row's lines into L1 (one prefetcht0 per 64-byte line of x), so
 * the next statistics pass starts on lines already on their way. Same
 * arithmetic as fused, so the outputs are bit for bit fused's. A prefetch
 * never faults, but none is issued past the tensor. */
NB_INLINE void rms_prefetch_avx512(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t n = a->n, es = nb_dtype_size(dt), row_bytes = n * es, total = a->rows * row_bytes;
    const float eps = (float)a->eps;
    const void *const g = a->g; /* read once, as rms_avx512 */
    /* the first row's head; every later row's was asked for while the row
     * before it was normalised */
    for (size_t off = 0; off < NB_PREFETCH_AHEAD && off < row_bytes; off += 64)
        _mm_prefetch((const char *)a->x + off, _MM_HINT_T0);
    for (size_t r = 0; r < a->rows; r++) {
        const char *x = (const char *)a->x + r * row_bytes;
        void *y = (char *)a->y + r * row_bytes;
        const float ss = sum16(x, n, dt, 1, total - r * row_bytes);
        const __m512 rs = _mm512_set1_ps(1.0f / sqrtf(ss / (float)n + eps));
        const char *next = r + 1 < a->rows ? x + row_bytes : NULL;
        size_t i = 0;
        for (; i + 16 <= n; i += 16) {
            /* 16 values are a whole line in f32, half of one in bf16/f16 */
            if (next && (i * es) % 64 == 0)
                _mm_prefetch(next + i * es, _MM_HINT_T0);
            normalise16(y, x, g, i, rs, 0xffff, dt, 0);
        }
        normalise_span16(y, x, g, i, n, rs, dt, 0);
    }
}

/* Rows in groups (as layernorm/blocked): the sums of squares of
 * NB_BLOCK_ROWS rows first, then the group normalised a column block at a
 * time, so g comes from L1 for every row of the group. Same sums as fused,
 * so the outputs are bit for bit fused's (rmsnorm and prmsnorm). */

NB_INLINE void rms_blocked_avx512(const struct nb_args *a, enum nb_dtype dt, enum rms_kind kind)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    const size_t k = kind == RMS_PARTIAL ? nb_prms_k(n, a->p) : n;
    const float eps = (float)a->eps;
    for (size_t r0 = 0; r0 < a->rows; r0 += NB_BLOCK_ROWS) {
        const size_t nr = a->rows - r0 < NB_BLOCK_ROWS ? a->rows - r0 : NB_BLOCK_ROWS;
        __m512 rs[NB_BLOCK_ROWS];
        for (size_t r = 0; r < nr; r++) {
            const float ss = sum16((const char *)a->x + (r0 + r) * n * es, k, dt, 1, 0);
            rs[r] = _mm512_set1_ps(1.0f / sqrtf(ss / (float)k + eps));
        }
        for (size_t c = 0; c < n; c += NB_BLOCK_COLS) {
            const size_t end = n - c < NB_BLOCK_COLS ? n : c + NB_BLOCK_COLS;
            for (size_t r = 0; r < nr; r++) {
                normalise_span16((char *)a->y + (r0 + r) * n * es, (const char *)a->x + (r0 + r) * n * es, a->g, c,
                                 end, rs[r], dt, 0);
            }
        }
    }
}

#endif
