/* RMSNorm family with AVX2 + FMA + F16C intrinsics: 8-lane f32 compute for
 * every storage type (`up`), four accumulators. */
#include "kernels.h"
#include "simd_avx2.h"

/* RMS_LLAMA: x r rounded to the storage type before the gain (rmsnorm_scalar.c) */
enum rms_kind { RMS_PLAIN, RMS_PARTIAL, RMS_RESIDUAL, RMS_GEMMA, RMS_LLAMA };

NB_INLINE __m256 rms_scaled8(__m256 x, __m256 rs, enum nb_dtype dt, enum rms_kind kind)
{
    const __m256 t = _mm256_mul_ps(x, rs);
    return kind == RMS_LLAMA ? round8(t, dt) : t;
}

NB_INLINE __m256 rms_gain8(__m256 g, enum rms_kind kind)
{
    return kind == RMS_GEMMA ? _mm256_add_ps(_mm256_set1_ps(1.0f), g) : g;
}

NB_INLINE void rms_avx2(const struct nb_args *a, enum nb_dtype dt, enum rms_kind kind)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    const size_t k = kind == RMS_PARTIAL ? nb_prms_k(n, a->p) : n;
    const float eps = (float)a->eps;
    const void *const gp = a->g; /* read once: see rms_pipelined_avx2 */
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        void *y = (char *)a->y + r * n * es;
        if (kind == RMS_RESIDUAL) {
            void *h = (char *)a->residual + r * n * es;
            size_t i = 0;
            for (; i + 8 <= n; i += 8)
                store8(h, i, _mm256_add_ps(load8(x, i, dt), load8(h, i, dt)), dt);
            if (i < n)
                store8_tail(h, i, n - i, _mm256_add_ps(load8_tail(x, i, n - i, dt), load8_tail(h, i, n - i, dt)), dt);
            x = h;
        }
        const float ss = sum8(x, k, dt, 1);
        const __m256 rs = _mm256_set1_ps(1.0f / sqrtf(ss / (float)k + eps));
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            __m256 g = rms_gain8(load8(gp, i, dt), kind);
            store8(y, i, _mm256_mul_ps(rms_scaled8(load8(x, i, dt), rs, dt, kind), g), dt);
        }
        if (i < n) {
            __m256 g = rms_gain8(load8_tail(gp, i, n - i, dt), kind);
            store8_tail(y, i, n - i, _mm256_mul_ps(rms_scaled8(load8_tail(x, i, n - i, dt), rs, dt, kind), g), dt);
        }
    }
}

/* Software-pipelined rows, as rmsnorm/pipelined/avx512: row r + 1's sum of
 * squares is accumulated while row r is normalised, in the order
 * sum8 uses, so the outputs are bit for bit fused/avx2's. On
 * cores whose 512-bit operations run at half rate (Zen 4) this is the
 * kernel to compare with the AVX-512 one. */
NB_INLINE void normalise8(void *y, const void *x, const void *g, size_t i, __m256 rs, enum nb_dtype dt)
{
    store8(y, i, _mm256_mul_ps(_mm256_mul_ps(load8(x, i, dt), rs), load8(g, i, dt)), dt);
}

/* nt: y written with non-temporal stores where the row is aligned (32
 * bytes for f32, 16 for bf16 and f16), for tensors larger than the caches,
 * where a normal store first reads the line it overwrites */
NB_INLINE void normalise8_nt(void *y, const void *x, const void *g, size_t i, __m256 rs, enum nb_dtype dt)
{
    stream8(y, i, _mm256_mul_ps(_mm256_mul_ps(load8(x, i, dt), rs), load8(g, i, dt)), dt);
}

NB_INLINE int row_streams(int nt, enum nb_dtype dt, const void *y)
{
    return nt && ((uintptr_t)y & (dt == NB_F32 ? 31 : 15)) == 0;
}

NB_INLINE void rms_pipelined_avx2(const struct nb_args *a, enum nb_dtype dt, int nt)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    const float eps = (float)a->eps;
    /* a local: the stores to y could alias *a, and gcc reloaded a->g
     * before every vector */
    const void *const g = a->g;
    if (a->rows == 0)
        return;
    float ss = sum8(a->x, n, dt, 1);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        void *y = (char *)a->y + r * n * es;
        const __m256 rs = _mm256_set1_ps(1.0f / sqrtf(ss / (float)n + eps));
        /* i steps by 8 values: y + i is aligned for the whole row or
         * never, so the stream-or-store choice is made once a row */
        const int row_nt = row_streams(nt, dt, y);
        size_t i = 0;
        if (r + 1 < a->rows) {
            const void *next = (const char *)x + n * es;
            struct sum8x4 acc = NB_SUM8X4_ZERO;
            for (; i + 32 <= n; i += 32) {
                if (nt)
                    prefetch32_ahead(next, i, dt, dt == NB_F32 ? NB_STREAM_AHEAD_RMS_F32 : NB_STREAM_AHEAD);
                sum_block32(&acc, next, i, dt, 1);
                #pragma GCC unroll 4
                for (size_t q = 0; q < 32; q += 8) {
                    if (row_nt)
                        normalise8_nt(y, x, g, i + q, rs, dt);
                    else
                        normalise8(y, x, g, i + q, rs, dt);
                }
            }
            sum_tail8(&acc, next, i, n, dt, 1);
            ss = sum8x4_result(&acc);
        }
        for (; i + 8 <= n; i += 8) {
            if (row_nt)
                normalise8_nt(y, x, g, i, rs, dt);
            else
                normalise8(y, x, g, i, rs, dt);
        }
        if (i < n)
            store8_tail(y, i, n - i,
                        _mm256_mul_ps(_mm256_mul_ps(load8_tail(x, i, n - i, dt), rs), load8_tail(g, i, n - i, dt)), dt);
    }
    if (nt)
        _mm_sfence(); /* the streamed lines are visible before the call returns */
}

void rmsnorm_pipelinednt_avx2_f32(const struct nb_args *a) { rms_pipelined_avx2(a, NB_F32, 1); }
void rmsnorm_pipelinednt_avx2_bf16_up(const struct nb_args *a) { rms_pipelined_avx2(a, NB_BF16, 1); }
void rmsnorm_pipelinednt_avx2_f16_up(const struct nb_args *a) { rms_pipelined_avx2(a, NB_F16, 1); }

/* Software prefetch instead of pipelining, as rmsnorm/prefetch/avx512: the
 * statistics pass asks for the lines NB_PREFETCH_AHEAD bytes ahead, the
 * normalise pass for the next row's lines, one prefetcht0 per 64-byte line.
 * Same arithmetic as fused, so the outputs are bit for bit fused's. None
 * is issued past the tensor. */
NB_INLINE void rms_prefetch_avx2(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t n = a->n, es = nb_dtype_size(dt), row_bytes = n * es, total = a->rows * row_bytes;
    const float eps = (float)a->eps;
    const void *const g = a->g;
    for (size_t off = 0; off < NB_PREFETCH_AHEAD && off < row_bytes; off += 64)
        _mm_prefetch((const char *)a->x + off, _MM_HINT_T0);
    for (size_t r = 0; r < a->rows; r++) {
        const char *x = (const char *)a->x + r * row_bytes;
        void *y = (char *)a->y + r * row_bytes;
        const __m256 rs = _mm256_set1_ps(1.0f / sqrtf(sum8_ahead(x, n, dt, 1, total - r * row_bytes) / (float)n + eps));
        const char *next = r + 1 < a->rows ? x + row_bytes : NULL;
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            /* 8 values are half a line in f32, a quarter in bf16/f16 */
            if (next && (i * es) % 64 == 0)
                _mm_prefetch(next + i * es, _MM_HINT_T0);
            normalise8(y, x, g, i, rs, dt);
        }
        if (i < n)
            store8_tail(y, i, n - i, _mm256_mul_ps(_mm256_mul_ps(load8_tail(x, i, n - i, dt), rs), load8_tail(g, i, n - i, dt)), dt);
    }
}

void rmsnorm_prefetch_avx2_f32(const struct nb_args *a) { rms_prefetch_avx2(a, NB_F32); }
void rmsnorm_prefetch_avx2_bf16_up(const struct nb_args *a) { rms_prefetch_avx2(a, NB_BF16); }
void rmsnorm_prefetch_avx2_f16_up(const struct nb_args *a) { rms_prefetch_avx2(a, NB_F16); }
NB_INLINE void rms_blocked_avx2_nt(const struct nb_args *a, enum nb_dtype dt, enum rms_kind kind, int nt);

/* non-temporal stores chosen by footprint, as autont/avx512, and the
 * schedule by the row: pipelined while its working set (the next row, this
 * row and g: 12 n bytes) fits L1, blocked beyond (shares in DRAM, two
 * runs: at n = 3072 blocked 0.71-0.72 against pipelined's 0.59-0.63, at
 * 2048 0.71-0.72 against 0.75-0.77, at 1024 0.68-0.70 against 0.81-0.84) */
void rmsnorm_autont_avx2_f32(const struct nb_args *a)
{
    const int nt = a->nt_threshold_bytes && a->rows * a->n * 2 * sizeof(float) > a->nt_threshold_bytes;
    if (a->l1_bytes && 3 * a->n * sizeof(float) > a->l1_bytes)
        rms_blocked_avx2_nt(a, NB_F32, RMS_PLAIN, nt);
    else
        rms_pipelined_avx2(a, NB_F32, nt);
}

/* y[from..to) = x r g: whole vectors, then one padded tail */
NB_INLINE void normalise_span8(void *y, const void *x, const void *g, size_t from, size_t to, __m256 rs,
                               enum nb_dtype dt)
{
    size_t i = from;
    for (; i + 8 <= to; i += 8)
        normalise8(y, x, g, i, rs, dt);
    if (i < to)
        store8_tail(y, i, to - i, _mm256_mul_ps(_mm256_mul_ps(load8_tail(x, i, to - i, dt), rs), load8_tail(g, i, to - i, dt)),
                    dt);
}

/* Rows in groups (as rmsnorm/blocked/avx512): the sums of squares of
 * NB_BLOCK_ROWS rows, then the group normalised a column block at a time,
 * so g comes from L1 for every row of the group. Same sums as fused: bit
 * for bit its outputs (rmsnorm and prmsnorm). */
/* y[from..to) = x r g with non-temporal stores (y aligned at from: 32
 * bytes for f32, 16 for bf16 and f16, whose 8 results stream as one
 * 128-bit store): what a tensor larger than the caches wants */
NB_INLINE void normalise_span8_nt(void *y, const void *x, const void *g, size_t from, size_t to, __m256 rs,
                                  enum nb_dtype dt)
{
    size_t i = from;
    for (; i + 8 <= to; i += 8)
        normalise8_nt(y, x, g, i, rs, dt);
    if (i < to)
        normalise_span8(y, x, g, i, to, rs, dt);
}

/* nt: blockednt, the non-temporal stores of pipelinednt on the blocked
 * schedule. In DRAM at n >= 2048 the pipelined kernels lose half their
 * bandwidth: their working set (the next row, this row, g: 12 n bytes)
 * outgrows L1, and this row and g come back from L2 while the next row
 * streams in; here the statistics pass of a group is a pure read stream and
 * the normalise pass reads x from L2 and g's block from L1 (README "AVX2
 * at the limit"). */
NB_INLINE void rms_blocked_avx2_nt(const struct nb_args *a, enum nb_dtype dt, enum rms_kind kind, int nt)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    const size_t k = kind == RMS_PARTIAL ? nb_prms_k(n, a->p) : n;
    const float eps = (float)a->eps;
    for (size_t r0 = 0; r0 < a->rows; r0 += NB_BLOCK_ROWS) {
        const size_t nr = a->rows - r0 < NB_BLOCK_ROWS ? a->rows - r0 : NB_BLOCK_ROWS;
        float rs[NB_BLOCK_ROWS];
        for (size_t r = 0; r < nr; r++)
            rs[r] = 1.0f / sqrtf(sum8((const char *)a->x + (r0 + r) * n * es, k, dt, 1) / (float)k + eps);
        for (size_t c = 0; c < n; c += NB_BLOCK_COLS) {
            const size_t end = n - c < NB_BLOCK_COLS ? n : c + NB_BLOCK_COLS;
            for (size_t r = 0; r < nr; r++) {
                char *y = (char *)a->y + (r0 + r) * n * es;
                const char *x = (const char *)a->x + (r0 + r) * n * es;
                /* c steps by 512 values: y + c is aligned for the whole row or never */
                if (row_streams(nt, dt, y))
                    normalise_span8_nt(y, x, a->g, c, end, _mm256_set1_ps(rs[r]), dt);
                else
                    normalise_span8(y, x, a->g, c, end, _mm256_set1_ps(rs[r]), dt);
            }
        }
    }
    if (nt)
        _mm_sfence();
}

NB_INLINE void rms_blocked_avx2(const struct nb_args *a, enum nb_dtype dt, enum rms_kind kind)
{
    rms_blocked_avx2_nt(a, dt, kind, 0);
}

/* bf16 without shuffles (as rmsnorm/evenodd/avx512): a 32-bit lane holds
 * two bf16 values, the high one an f32 once the low half is masked off,
 * the low one once shifted up; the results go back, rounded to nearest
 * even, into the same halves. Widening with vpmovzxwd costs a shuffle per
 * 8 values on the port that also narrows; this costs an AND and a shift.
 * The sums of squares run over even and odd positions apart, one row
 * ahead. A tail shorter than 16 values goes through a zero-padded buffer. */
NB_INLINE __m256 bf16_odd8(__m256i v)
{
    return _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int)0xffff0000u)));
}

NB_INLINE __m256 bf16_even8(__m256i v)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

/* f rounded to nearest even bf16, in the high half of each lane (the low
 * half is left over and never stored). The NaN test costs three of seven
 * operations; a row whose statistics and g are finite has no NaN to quiet
 * (|x rs| stays below about sqrt(n)), so the caller asks for it only where
 * one can arise. */
NB_INLINE __m256i bf16_round_high8(__m256 f, int nan_possible)
{
    __m256i u = _mm256_castps_si256(f);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff)));
    if (nan_possible) {
        __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(f, f, _CMP_UNORD_Q));
        r = _mm256_blendv_epi8(r, _mm256_or_si256(u, _mm256_set1_epi32(0x00400000)), nan); /* quiet NaN, not rounded */
    }
    return r;
}

/* stream: y is 32-byte aligned and written with a non-temporal store */
NB_INLINE void normalise16_bf16(uint16_t *y, const uint16_t *x, const uint16_t *g, __m256 rs, int nan_possible,
                                int stream)
{
    __m256i xv = _mm256_loadu_si256((const __m256i *)x), gv = _mm256_loadu_si256((const __m256i *)g);
    __m256 even = _mm256_mul_ps(_mm256_mul_ps(bf16_even8(xv), rs), bf16_even8(gv));
    __m256 odd = _mm256_mul_ps(_mm256_mul_ps(bf16_odd8(xv), rs), bf16_odd8(gv));
    /* odd words from the odd results' high halves, even words from the even
     * results' high halves shifted down: one blend, no masks */
    __m256i out = _mm256_blend_epi16(_mm256_srli_epi32(bf16_round_high8(even, nan_possible), 16),
                                     bf16_round_high8(odd, nan_possible), 0xAA);
    if (stream)
        _mm256_stream_si256((__m256i *)y, out);
    else
        _mm256_storeu_si256((__m256i *)y, out);
}

/* nt: non-temporal stores where the row is 32-byte aligned (i steps by
 * 32 bytes, so the whole row is or none of it) */
NB_INLINE void normalise_row_bf16(uint16_t *y, const uint16_t *x, const uint16_t *g, size_t n, __m256 rs,
                                  int nan_possible, int nt)
{
    const int stream = nt && ((uintptr_t)y & 31) == 0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        normalise16_bf16(y + i, x + i, g + i, rs, nan_possible, stream);
    if (i < n) {
        _Alignas(32) uint16_t xb[16] = {0}, gb[16] = {0}, yb[16];
        memcpy(xb, x + i, (n - i) * sizeof *xb);
        memcpy(gb, g + i, (n - i) * sizeof *gb);
        normalise16_bf16(yb, xb, gb, rs, nan_possible, 0);
        memcpy(y + i, yb, (n - i) * sizeof *yb);
    }
}

/* no NaN or infinity among the n bf16 values at g */
static int bf16_all_finite(const uint16_t *g, size_t n)
{
    const __m256i exp = _mm256_set1_epi16(0x7f80);
    __m256i special = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        special = _mm256_or_si256(special, _mm256_cmpeq_epi16(_mm256_and_si256(
                                               _mm256_loadu_si256((const __m256i *)(g + i)), exp), exp));
    int any = !_mm256_testz_si256(special, special);
    for (; i < n; i++)
        any |= (g[i] & 0x7f80) == 0x7f80;
    return !any;
}

/* sum of squares of x[0..n), even and odd positions apart, 32 at a time */
NB_INLINE float bf16_sum_squares8(const uint16_t *x, size_t n)
{
    struct sum8x4 s = NB_SUM8X4_ZERO;
    __m256 *acc = s.acc;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i v0 = _mm256_loadu_si256((const __m256i *)(x + i)), v1 = _mm256_loadu_si256((const __m256i *)(x + i + 16));
        acc[0] = sum_term8(acc[0], bf16_even8(v0), 1);
        acc[1] = sum_term8(acc[1], bf16_odd8(v0), 1);
        acc[2] = sum_term8(acc[2], bf16_even8(v1), 1);
        acc[3] = sum_term8(acc[3], bf16_odd8(v1), 1);
        sum_level8(&s, i + 32);
    }
    for (; i < n; i += 16) {
        _Alignas(32) uint16_t buf[16] = {0};
        memcpy(buf, x + i, (n - i < 16 ? n - i : 16) * sizeof *buf);
        __m256i v = _mm256_load_si256((const __m256i *)buf);
        acc[0] = sum_term8(acc[0], bf16_even8(v), 1);
        acc[1] = sum_term8(acc[1], bf16_odd8(v), 1);
    }
    return sum8x4_result(&s);
}

NB_INLINE void rms_evenodd_avx2(const struct nb_args *a, int nt)
{
    const size_t n = a->n;
    const float eps = (float)a->eps;
    const uint16_t *g = a->g;
    if (a->rows == 0)
        return;
    float ss = bf16_sum_squares8(a->x, n);
    const int g_finite = bf16_all_finite(g, n);
    for (size_t r = 0; r < a->rows; r++) {
        const uint16_t *x = (const uint16_t *)a->x + r * n;
        uint16_t *y = (uint16_t *)a->y + r * n;
        const float rsf = 1.0f / sqrtf(ss / (float)n + eps);
        const __m256 rs = _mm256_set1_ps(rsf);
        /* the next row's statistics first, while this row's x is still in
         * L1 from the previous iteration's pass over it */
        float next = r + 1 < a->rows ? bf16_sum_squares8(x + n, n) : 0.0f;
        if (g_finite && isfinite(ss) && isfinite(rsf))
            normalise_row_bf16(y, x, g, n, rs, 0, nt);
        else
            normalise_row_bf16(y, x, g, n, rs, 1, nt);
        ss = next;
    }
    if (nt)
        _mm_sfence();
}

void rmsnorm_evenodd_avx2_bf16_up(const struct nb_args *a) { rms_evenodd_avx2(a, 0); }
void rmsnorm_evenoddnt_avx2_bf16_up(const struct nb_args *a) { rms_evenodd_avx2(a, 1); }

void rmsnorm_blocked_avx2_f32(const struct nb_args *a) { rms_blocked_avx2(a, NB_F32, RMS_PLAIN); }
void rmsnorm_blockednt_avx2_f32(const struct nb_args *a) { rms_blocked_avx2_nt(a, NB_F32, RMS_PLAIN, 1); }
void rmsnorm_blockednt_avx2_bf16_up(const struct nb_args *a) { rms_blocked_avx2_nt(a, NB_BF16, RMS_PLAIN, 1); }
void rmsnorm_blockednt_avx2_f16_up(const struct nb_args *a) { rms_blocked_avx2_nt(a, NB_F16, RMS_PLAIN, 1); }
void rmsnorm_blocked_avx2_bf16_up(const struct nb_args *a) { rms_blocked_avx2(a, NB_BF16, RMS_PLAIN); }
void rmsnorm_blocked_avx2_f16_up(const struct nb_args *a) { rms_blocked_avx2(a, NB_F16, RMS_PLAIN); }
void prmsnorm_blocked_avx2_f32(const struct nb_args *a) { rms_blocked_avx2(a, NB_F32, RMS_PARTIAL); }
void prmsnorm_blocked_avx2_bf16_up(const struct nb_args *a) { rms_blocked_avx2(a, NB_BF16, RMS_PARTIAL); }
void prmsnorm_blocked_avx2_f16_up(const struct nb_args *a) { rms_blocked_avx2(a, NB_F16, RMS_PARTIAL); }
void rmsnorm_pipelined_avx2_f32(const struct nb_args *a) { rms_pipelined_avx2(a, NB_F32, 0); }
void rmsnorm_pipelined_avx2_bf16_up(const struct nb_args *a) { rms_pipelined_avx2(a, NB_BF16, 0); }
void rmsnorm_pipelined_avx2_f16_up(const struct nb_args *a) { rms_pipelined_avx2(a, NB_F16, 0); }

#define ENTRY_POINTS(NAME, KIND)                                                              \
    void NAME##_f32(const struct nb_args *a) { rms_avx2(a, NB_F32, KIND); }                 \
    void NAME##_bf16_up(const struct nb_args *a) { rms_avx2(a, NB_BF16, KIND); }            \
    void NAME##_f16_up(const struct nb_args *a) { rms_avx2(a, NB_F16, KIND); }

ENTRY_POINTS(rmsnorm_fused_avx2, RMS_PLAIN)
void rmsnorm_fused_avx2_bf16_llama(const struct nb_args *a) { rms_avx2(a, NB_BF16, RMS_LLAMA); }
void rmsnorm_fused_avx2_f16_llama(const struct nb_args *a) { rms_avx2(a, NB_F16, RMS_LLAMA); }
ENTRY_POINTS(prmsnorm_fused_avx2, RMS_PARTIAL)
ENTRY_POINTS(addrmsnorm_fused_avx2, RMS_RESIDUAL)
ENTRY_POINTS(gemmarmsnorm_fused_avx2, RMS_GEMMA)
