/* RMSNorm family with AVX2 + FMA + F16C intrinsics: 8-lane f32 compute for
 * every storage type (`up`), four accumulators. */
#include "kernels.h"
#include "simd_avx2.h"

enum rms_kind { RMS_PLAIN, RMS_PARTIAL, RMS_RESIDUAL, RMS_GEMMA };

NB_INLINE __m256 rms_gain8(__m256 g, enum rms_kind kind)
{
    return kind == RMS_GEMMA ? _mm256_add_ps(_mm256_set1_ps(1.0f), g) : g;
}

NB_INLINE void rms_avx2(const struct nb_args *a, enum nb_dtype dt, enum rms_kind kind)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    const size_t k = kind == RMS_PARTIAL ? nb_prms_k(n, a->p) : n;
    const float eps = (float)a->eps;
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
            __m256 g = rms_gain8(load8(a->g, i, dt), kind);
            store8(y, i, _mm256_mul_ps(_mm256_mul_ps(load8(x, i, dt), rs), g), dt);
        }
        if (i < n) {
            __m256 g = rms_gain8(load8_tail(a->g, i, n - i, dt), kind);
            store8_tail(y, i, n - i, _mm256_mul_ps(_mm256_mul_ps(load8_tail(x, i, n - i, dt), rs), g), dt);
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

NB_INLINE void rms_pipelined_avx2(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    const float eps = (float)a->eps;
    if (a->rows == 0)
        return;
    float ss = sum8(a->x, n, dt, 1);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        void *y = (char *)a->y + r * n * es;
        const __m256 rs = _mm256_set1_ps(1.0f / sqrtf(ss / (float)n + eps));
        size_t i = 0;
        if (r + 1 < a->rows) {
            const void *next = (const char *)x + n * es;
            __m256 acc[4] = NB_SUM8_ZERO4;
            for (; i + 32 <= n; i += 32) {
                sum_block32(acc, next, i, dt, 1);
                for (size_t q = 0; q < 32; q += 8)
                    normalise8(y, x, a->g, i + q, rs, dt);
            }
            sum_tail8(acc, next, i, n, dt, 1);
            ss = sum_reduce8x4(acc);
        }
        for (; i + 8 <= n; i += 8)
            normalise8(y, x, a->g, i, rs, dt);
        if (i < n)
            store8_tail(y, i, n - i,
                        _mm256_mul_ps(_mm256_mul_ps(load8_tail(x, i, n - i, dt), rs), load8_tail(a->g, i, n - i, dt)), dt);
    }
}

void rmsnorm_pipelined_avx2_f32(const struct nb_args *a) { rms_pipelined_avx2(a, NB_F32); }
void rmsnorm_pipelined_avx2_bf16_up(const struct nb_args *a) { rms_pipelined_avx2(a, NB_BF16); }
void rmsnorm_pipelined_avx2_f16_up(const struct nb_args *a) { rms_pipelined_avx2(a, NB_F16); }

#define ENTRY_POINTS(NAME, KIND)                                                              \
    void NAME##_f32(const struct nb_args *a) { rms_avx2(a, NB_F32, KIND); }                 \
    void NAME##_bf16_up(const struct nb_args *a) { rms_avx2(a, NB_BF16, KIND); }            \
    void NAME##_f16_up(const struct nb_args *a) { rms_avx2(a, NB_F16, KIND); }

ENTRY_POINTS(rmsnorm_fused_avx2, RMS_PLAIN)
ENTRY_POINTS(prmsnorm_fused_avx2, RMS_PARTIAL)
ENTRY_POINTS(addrmsnorm_fused_avx2, RMS_RESIDUAL)
ENTRY_POINTS(gemmarmsnorm_fused_avx2, RMS_GEMMA)
