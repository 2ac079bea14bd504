/* LayerNorm, twopass statistics, with AVX2 + FMA + F16C intrinsics. */
#include "kernels.h"
#include "simd_avx2.h"

NB_INLINE void ln_twopass_avx2(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        void *y = (char *)a->y + r * n * es;
        const float mean = sum8(x, n, dt, 0) / (float)n;
        const __m256 mu = _mm256_set1_ps(mean);
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
        size_t j = 0;
        for (; j + 16 <= n; j += 16) {
            __m256 d0 = _mm256_sub_ps(load8(x, j, dt), mu);
            __m256 d1 = _mm256_sub_ps(load8(x, j + 8, dt), mu);
            acc0 = _mm256_fmadd_ps(d0, d0, acc0);
            acc1 = _mm256_fmadd_ps(d1, d1, acc1);
        }
        for (; j < n; j++) {
            float d = nb_load(x, j, dt) - mean;
            acc0 = _mm256_add_ps(acc0, _mm256_setr_ps(d * d, 0, 0, 0, 0, 0, 0, 0));
        }
        const float var = hsum8(_mm256_add_ps(acc0, acc1)) / (float)n;
        const __m256 rs = _mm256_set1_ps(1.0f / sqrtf(var + (float)a->eps));
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            __m256 t = _mm256_mul_ps(_mm256_sub_ps(load8(x, i, dt), mu), rs);
            store8(y, i, _mm256_fmadd_ps(t, load8(a->g, i, dt), load8(a->b, i, dt)), dt);
        }
        if (i < n) {
            __m256 t = _mm256_mul_ps(_mm256_sub_ps(load8_tail(x, i, n - i, dt), mu), rs);
            __m256 v = _mm256_fmadd_ps(t, load8_tail(a->g, i, n - i, dt), load8_tail(a->b, i, n - i, dt));
            store8_tail(y, i, n - i, v, dt);
        }
    }
}

void layernorm_twopass_avx2_f32(const struct nb_args *a) { ln_twopass_avx2(a, NB_F32); }
void layernorm_twopass_avx2_bf16_up(const struct nb_args *a) { ln_twopass_avx2(a, NB_BF16); }
void layernorm_twopass_avx2_f16_up(const struct nb_args *a) { ln_twopass_avx2(a, NB_F16); }
