/* RMSNorm family with AVX-512 intrinsics: 16-lane f32 compute for every
 * storage type (`up`), four accumulators, masked tails. */
#include "kernels.h"
#include "simd_avx512.h"

enum rms_kind { RMS_PLAIN, RMS_PARTIAL, RMS_RESIDUAL, RMS_GEMMA };

NB_INLINE __m512 add_square(__m512 acc, __m512 v)
{
    return _mm512_fmadd_ps(v, v, acc);
}

NB_INLINE void rms_avx512(const struct nb_args *a, enum nb_dtype dt, enum rms_kind kind)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    const size_t k = kind == RMS_PARTIAL ? nb_prms_k(n, a->p) : n;
    const float eps = (float)a->eps;
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
        float ss;
        NB_ACCUMULATE16(ss, x, k, dt, add_square);
        const __m512 rs = _mm512_set1_ps(1.0f / sqrtf(ss / (float)k + eps));
        size_t i = 0;
        for (; i + 16 <= n; i += 16) {
            __m512 g = load16(a->g, i, 0xffff, dt);
            if (kind == RMS_GEMMA)
                g = _mm512_add_ps(one, g);
            store16(y, i, _mm512_mul_ps(_mm512_mul_ps(load16(x, i, 0xffff, dt), rs), g), 0xffff, dt);
        }
        if (i < n) {
            __mmask16 m = tail_mask16(n - i);
            __m512 g = load16(a->g, i, m, dt);
            if (kind == RMS_GEMMA)
                g = _mm512_add_ps(one, g);
            store16(y, i, _mm512_mul_ps(_mm512_mul_ps(load16(x, i, m, dt), rs), g), m, dt);
        }
    }
}

#define ENTRY_POINTS(NAME, KIND)                                                              \
    void NAME##_f32(const struct nb_args *a) { rms_avx512(a, NB_F32, KIND); }               \
    void NAME##_bf16_up(const struct nb_args *a) { rms_avx512(a, NB_BF16, KIND); }          \
    void NAME##_f16_up(const struct nb_args *a) { rms_avx512(a, NB_F16, KIND); }

ENTRY_POINTS(rmsnorm_fused_avx512, RMS_PLAIN)
ENTRY_POINTS(prmsnorm_fused_avx512, RMS_PARTIAL)
ENTRY_POINTS(addrmsnorm_fused_avx512, RMS_RESIDUAL)
ENTRY_POINTS(gemmarmsnorm_fused_avx512, RMS_GEMMA)
