#include "ceiling.h"

#include <immintrin.h>

void ceiling_copy_avx2(const struct nb_args *a)
{
    const float *x = a->x;
    float *y = a->y;
    size_t total = a->rows * a->n, i = 0;
    for (; i + 32 <= total; i += 32) {
        __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
        __m256 v2 = _mm256_loadu_ps(x + i + 16), v3 = _mm256_loadu_ps(x + i + 24);
        _mm256_storeu_ps(y + i, v0);
        _mm256_storeu_ps(y + i + 8, v1);
        _mm256_storeu_ps(y + i + 16, v2);
        _mm256_storeu_ps(y + i + 24, v3);
    }
    for (; i < total; i++)
        y[i] = x[i];
}
