#include "ceiling.h"

#include <immintrin.h>

/* nt: streaming stores (vmovntps: AVX has them too, so machines without
 * AVX-512 get a non-temporal ceiling; y must be 32-byte aligned, and the
 * buffers are pages) */
static inline __attribute__((always_inline)) void copy_avx2(const struct nb_args *a, int nt)
{
    const float *x = a->x;
    float *y = a->y;
    size_t total = a->rows * a->n, i = 0;
    for (; i + 32 <= total; i += 32)
        for (size_t k = 0; k < 32; k += 8) {
            __m256 v = _mm256_loadu_ps(x + i + k);
            if (nt)
                _mm256_stream_ps(y + i + k, v);
            else
                _mm256_storeu_ps(y + i + k, v);
        }
    for (; i < total; i++)
        y[i] = x[i];
    if (nt)
        _mm_sfence();
}

void ceiling_copy_avx2(const struct nb_args *a)
{
    copy_avx2(a, 0);
}

void ceiling_copy_nt_avx2(const struct nb_args *a)
{
    copy_avx2(a, 1);
}

/* Eight accumulators: two loads a cycle against a three- or four-cycle add
 * need at least six in flight, or the read ceiling measures add latency */
void ceiling_read_avx2(const struct nb_args *a)
{
    const float *x = a->x;
    size_t total = a->rows * a->n, i = 0;
    __m256 s[8];
    for (int k = 0; k < 8; k++)
        s[k] = _mm256_setzero_ps();
    for (; i + 64 <= total; i += 64) {
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++)
            s[k] = _mm256_add_ps(s[k], _mm256_loadu_ps(x + i + 8 * k));
    }
    float tail = 0;
    for (; i < total; i++)
        tail += x[i];
    __m256 t = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s[0], s[1]), _mm256_add_ps(s[2], s[3])),
                             _mm256_add_ps(_mm256_add_ps(s[4], s[5]), _mm256_add_ps(s[6], s[7])));
    float lanes[8];
    _mm256_storeu_ps(lanes, t);
    for (int k = 0; k < 8; k++)
        tail += lanes[k];
    ((float *)a->y)[0] = tail;
}

/* twelve chains and the constant: 13 of the 16 YMM registers, no spill */
static inline __attribute__((always_inline)) float chains_avx2(size_t iters, float c, int fma)
{
    __m256 s[12], k = _mm256_set1_ps(c), z = _mm256_setzero_ps();
    for (int j = 0; j < 12; j++)
        s[j] = _mm256_set1_ps(1.0f + (float)j);
    for (size_t i = 0; i < iters; i++) {
#pragma GCC unroll 12
        for (int j = 0; j < 12; j++)
            s[j] = fma ? _mm256_fmadd_ps(s[j], k, z) : _mm256_mul_ps(s[j], k);
    }
    __m256 t = s[0];
    for (int j = 1; j < 12; j++)
        t = _mm256_add_ps(t, s[j]);
    return _mm256_cvtss_f32(t);
}

float ceiling_mul_avx2(size_t iters, float c)
{
    return chains_avx2(iters, c, 0);
}

float ceiling_fma_avx2(size_t iters, float c)
{
    return chains_avx2(iters, c, 1);
}
