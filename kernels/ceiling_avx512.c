#include "ceiling.h"

#include <immintrin.h>

static inline __attribute__((always_inline)) void store_ps(float *y, __m512 v, int nt)
{
    if (nt)
        _mm512_stream_ps(y, v);
    else
        _mm512_storeu_ps(y, v);
}

/* nt: streaming stores bypass the cache: no read-for-ownership of y, which
 * is what DRAM-sized copies are limited by (y must be 64-byte aligned). */
static inline __attribute__((always_inline)) void copy_avx512(const struct nb_args *a, int nt)
{
    const float *x = a->x;
    float *y = a->y;
    size_t total = a->rows * a->n, i = 0;
    for (; i + 64 <= total; i += 64) {
        __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
        __m512 v2 = _mm512_loadu_ps(x + i + 32), v3 = _mm512_loadu_ps(x + i + 48);
        store_ps(y + i, v0, nt);
        store_ps(y + i + 16, v1, nt);
        store_ps(y + i + 32, v2, nt);
        store_ps(y + i + 48, v3, nt);
    }
    for (; i < total; i += 16) {
        __mmask16 m = total - i >= 16 ? 0xffff : (__mmask16)((1u << (total - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m, _mm512_maskz_loadu_ps(m, x + i));
    }
    if (nt)
        _mm_sfence();
}

void ceiling_copy_avx512(const struct nb_args *a)
{
    copy_avx512(a, 0);
}

void ceiling_copy_nt_avx512(const struct nb_args *a)
{
    copy_avx512(a, 1);
}

void ceiling_read_avx512(const struct nb_args *a)
{
    const float *x = a->x;
    size_t total = a->rows * a->n, i = 0;
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (; i + 64 <= total; i += 64) {
        s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + i));
        s1 = _mm512_add_ps(s1, _mm512_loadu_ps(x + i + 16));
        s2 = _mm512_add_ps(s2, _mm512_loadu_ps(x + i + 32));
        s3 = _mm512_add_ps(s3, _mm512_loadu_ps(x + i + 48));
    }
    for (; i < total; i += 16) {
        __mmask16 m = total - i >= 16 ? 0xffff : (__mmask16)((1u << (total - i)) - 1);
        s0 = _mm512_add_ps(s0, _mm512_maskz_loadu_ps(m, x + i));
    }
    ((float *)a->y)[0] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

static inline __attribute__((always_inline)) float chains_avx512(size_t iters, float c, int fma)
{
    __m512 s[12], k = _mm512_set1_ps(c), z = _mm512_setzero_ps();
    for (int j = 0; j < 12; j++)
        s[j] = _mm512_set1_ps(1.0f + (float)j);
    for (size_t i = 0; i < iters; i++) {
#pragma GCC unroll 12
        for (int j = 0; j < 12; j++)
            s[j] = fma ? _mm512_fmadd_ps(s[j], k, z) : _mm512_mul_ps(s[j], k);
    }
    __m512 t = s[0];
    for (int j = 1; j < 12; j++)
        t = _mm512_add_ps(t, s[j]);
    return _mm512_cvtss_f32(t);
}

float ceiling_mul_avx512(size_t iters, float c)
{
    return chains_avx512(iters, c, 0);
}

float ceiling_fma_avx512(size_t iters, float c)
{
    return chains_avx512(iters, c, 1);
}
