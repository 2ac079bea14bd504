/* RMSNorm family with AVX-512 intrinsics: 16-lane f32 compute for every
 * storage type (`up`), four accumulators, masked tails. */
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
 * stores (f32 only), for tensors larger than the caches, where a normal
 * store first reads the line it overwrites. */
NB_INLINE void normalise16(void *y, const void *x, const void *g, size_t i, __m512 rs, __mmask16 m,
                           enum nb_dtype dt, int nt)
{
    __m512 v = _mm512_mul_ps(_mm512_mul_ps(load16(x, i, m, dt), rs), load16(g, i, m, dt));
    if (nt && m == 0xffff) /* nt only where the row's y is 64-byte aligned */
        _mm512_stream_ps((float *)y + i, v);
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
        /* i steps by 16 floats, 64 bytes: y + i is aligned for the whole
         * row or never, so the stream-or-store choice is made once a row */
        const int row_nt = nt && ((uintptr_t)y & 63) == 0;
        size_t i = 0;
        if (r + 1 < a->rows) {
            const void *next = (const char *)x + n * es;
            struct sum16x4 acc = NB_SUM16X4_ZERO;
            for (; i + 64 <= n; i += 64) {
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

void rmsnorm_pipelined_avx512_f32(const struct nb_args *a) { rms_pipelined_avx512(a, NB_F32, 0); }
void rmsnorm_pipelined_avx512_bf16_up(const struct nb_args *a) { rms_pipelined_avx512(a, NB_BF16, 0); }
void rmsnorm_pipelined_avx512_f16_up(const struct nb_args *a) { rms_pipelined_avx512(a, NB_F16, 0); }
void rmsnorm_pipelinednt_avx512_f32(const struct nb_args *a) { rms_pipelined_avx512(a, NB_F32, 1); }
/* non-temporal stores chosen by footprint: streaming pays only when y would
 * not stay in the caches anyway */
void rmsnorm_autont_avx512_f32(const struct nb_args *a)
{
    rms_pipelined_avx512(a, NB_F32, a->nt_threshold_bytes && a->rows * a->n * 2 * sizeof(float) > a->nt_threshold_bytes);
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

/* bf16 without permutes. A 32-bit lane holds two bf16 values: the high
 * one is an f32 already once the low half is masked off, the low one once
 * shifted up. So 32 values become two vectors of 16 f32 (odd and even
 * positions) with one AND and one shift, where widening costs a shuffle
 * per 16 values on the port that also does the narrowing; and the results
 * go back, rounded to nearest even, into the same halves with integer
 * adds, an AND, a shift and an OR. The sums of squares run over even and
 * odd positions in separate accumulators, one row ahead as in the
 * pipelined kernel. */
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

/* sum of squares of x[0..n), even and odd positions apart, 64 at a time */
NB_INLINE float bf16_sum_squares(const uint16_t *x, size_t n)
{
    struct sum16x4 s = NB_SUM16X4_ZERO;
    __m512 *acc = s.acc;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512i v0 = _mm512_loadu_si512(x + i), v1 = _mm512_loadu_si512(x + i + 32);
        acc[0] = sum_term16(acc[0], bf16_even(v0), 1);
        acc[1] = sum_term16(acc[1], bf16_odd(v0), 1);
        acc[2] = sum_term16(acc[2], bf16_even(v1), 1);
        acc[3] = sum_term16(acc[3], bf16_odd(v1), 1);
        sum_level16(&s, i + 64);
    }
    for (; i < n; i += 32) {
        __m512i v = _mm512_maskz_loadu_epi16(tail_mask32(n - i), x + i);
        acc[0] = sum_term16(acc[0], bf16_even(v), 1);
        acc[1] = sum_term16(acc[1], bf16_odd(v), 1);
    }
    return sum16x4_result(&s);
}

void rmsnorm_evenodd_avx512_bf16_up(const struct nb_args *a)
{
    const size_t n = a->n;
    const float eps = (float)a->eps;
    const uint16_t *g = a->g;
    if (a->rows == 0)
        return;
    float ss = bf16_sum_squares(a->x, n);
    for (size_t r = 0; r < a->rows; r++) {
        const uint16_t *x = (const uint16_t *)a->x + r * n;
        uint16_t *y = (uint16_t *)a->y + r * n;
        const __m512 rs = _mm512_set1_ps(1.0f / sqrtf(ss / (float)n + eps));
        /* the next row's statistics first, while this row's x is still
         * in L1 from the previous iteration's pass over it */
        float next = r + 1 < a->rows ? bf16_sum_squares(x + n, n) : 0.0f;
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
