/* LayerNorm with AVX-512 intrinsics, f32 compute (`up` for bf16/f16):
 * twopass (mean, then mean of squared deviations) and welford (16 lanes of
 * running moments merged with Chan's formula). */
#include "kernels.h"
#include "simd_avx512.h"

NB_INLINE __m512 add_value(__m512 acc, __m512 v)
{
    return _mm512_add_ps(acc, v);
}

NB_INLINE void ln_normalise16(const struct nb_args *a, const void *x, void *y, float mean,
                              float rs, enum nb_dtype dt)
{
    const size_t n = a->n;
    const __m512 mu = _mm512_set1_ps(mean), r = _mm512_set1_ps(rs);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask16(n - i);
        __m512 t = _mm512_mul_ps(_mm512_sub_ps(load16(x, i, m, dt), mu), r);
        store16(y, i, _mm512_fmadd_ps(t, load16(a->g, i, m, dt), load16(a->b, i, m, dt)), m, dt);
    }
}

NB_INLINE void ln_twopass_avx512(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        float sum;
        NB_ACCUMULATE16(sum, x, n, dt, add_value);
        const float mean = sum / (float)n;
        const __m512 mu = _mm512_set1_ps(mean);
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        size_t j = 0;
        for (; j + 32 <= n; j += 32) {
            __m512 d0 = _mm512_sub_ps(load16(x, j, 0xffff, dt), mu);
            __m512 d1 = _mm512_sub_ps(load16(x, j + 16, 0xffff, dt), mu);
            acc0 = _mm512_fmadd_ps(d0, d0, acc0);
            acc1 = _mm512_fmadd_ps(d1, d1, acc1);
        }
        for (; j < n; j += 16) {
            __mmask16 m = tail_mask16(n - j);
            __m512 d = _mm512_maskz_sub_ps(m, load16(x, j, m, dt), mu);
            acc0 = _mm512_fmadd_ps(d, d, acc0);
        }
        const float var = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) / (float)n;
        ln_normalise16(a, x, (char *)a->y + r * n * es, mean, 1.0f / sqrtf(var + (float)a->eps), dt);
    }
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

void layernorm_twopass_avx512_f32(const struct nb_args *a) { ln_twopass_avx512(a, NB_F32); }
void layernorm_twopass_avx512_bf16_up(const struct nb_args *a) { ln_twopass_avx512(a, NB_BF16); }
void layernorm_twopass_avx512_f16_up(const struct nb_args *a) { ln_twopass_avx512(a, NB_F16); }
void layernorm_welford_avx512_f32(const struct nb_args *a) { ln_welford_avx512(a, NB_F32); }
void layernorm_welford_avx512_bf16_up(const struct nb_args *a) { ln_welford_avx512(a, NB_BF16); }
void layernorm_welford_avx512_f16_up(const struct nb_args *a) { ln_welford_avx512(a, NB_F16); }
