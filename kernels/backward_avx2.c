/* RMSNorm and LayerNorm backward with AVX2 + FMA + F16C (the backward
 * family's AVX2 file): the fused schedule of kernels/rmsnorm_bwd_scalar.c
 * and layernorm_bwd_scalar.c in 8-lane f32 vectors, the row sums in simd_avx2.h's two-level order, dg and
 * db in the same row blocks (kernel.h NB_BWD_ROW_BLOCK). */
#include "bwd_common.h"
#include "kernels.h"
#include "simd_avx2.h"

/* One term of a row sum at i (left < 8: a padded tail, its extra lanes
 * zero): u v (w - c), u v when w is NULL, (w - c)^2 when u is NULL. */
NB_INLINE __m256 term8(const void *u, const void *v, const void *w, __m256 cv, size_t i, size_t left,
                       enum nb_dtype dt)
{
    const __m256 wv = w ? (left == 8 ? load8(w, i, dt) : load8_tail(w, i, left, dt)) : cv;
    if (!u) {
        __m256 d = _mm256_sub_ps(wv, cv);
        d = left == 8 ? d : _mm256_and_ps(d, lanes_below(left));
        return _mm256_mul_ps(d, d);
    }
    const __m256 t = left == 8 ? _mm256_mul_ps(load8(u, i, dt), load8(v, i, dt))
                               : _mm256_mul_ps(load8_tail(u, i, left, dt), load8_tail(v, i, left, dt));
    return w ? _mm256_mul_ps(t, _mm256_sub_ps(wv, cv)) : t;
}

/* The sum of term8 over j < n in simd_avx2.h's order. */
NB_INLINE float row_sum8(const void *u, const void *v, const void *w, float c, size_t n, enum nb_dtype dt)
{
    struct sum8x4 s = NB_SUM8X4_ZERO;
    const __m256 cv = _mm256_set1_ps(c);
    size_t j = 0;
    for (; j + 32 <= n; j += 32) {
        #pragma GCC unroll 4
        for (int k = 0; k < 4; k++)
            s.acc[k] = _mm256_add_ps(s.acc[k], term8(u, v, w, cv, j + 8 * (size_t)k, 8, dt));
        sum_level8(&s, j + 32);
    }
    for (; j < n; j += 8)
        s.acc[0] = _mm256_add_ps(s.acc[0], term8(u, v, w, cv, j, n - j < 8 ? n - j : 8, dt));
    return sum8x4_result(&s);
}

/* part[i..i+left) += v (left < 8 writes only the lanes below left) */
NB_INLINE void add_partial(float *part, size_t i, size_t left, __m256 v)
{
    if (left == 8) {
        _mm256_storeu_ps(part + i, _mm256_add_ps(_mm256_loadu_ps(part + i), v));
        return;
    }
    _Alignas(32) float buf[8];
    _mm256_store_ps(buf, v);
    for (size_t l = 0; l < left; l++)
        part[i + l] += buf[l];
}

NB_INLINE void store_any(void *y, size_t i, size_t left, __m256 v, enum nb_dtype dt)
{
    if (left == 8)
        store8(y, i, v, dt);
    else
        store8_tail(y, i, left, v, dt);
}

NB_INLINE __m256 load_any(const void *p, size_t i, size_t left, enum nb_dtype dt)
{
    return left == 8 ? load8(p, i, dt) : load8_tail(p, i, left, dt);
}

/* dx and the dg partial at i (left < 8: a padded tail) */
NB_INLINE void rms_bwd_step8(char *dx, float *part, const void *g, const char *x, const char *dy, size_t i,
                             size_t left, __m256 rv, __m256 cv, enum nb_dtype dt)
{
    const __m256 xv = load_any(x, i, left, dt), dyv = load_any(dy, i, left, dt);
    const __m256 gdy = _mm256_mul_ps(load_any(g, i, left, dt), dyv);
    store_any(dx, i, left, _mm256_mul_ps(rv, _mm256_sub_ps(gdy, _mm256_mul_ps(xv, cv))), dt);
    add_partial(part, i, left, _mm256_mul_ps(dyv, _mm256_mul_ps(xv, rv)));
}

/* g in a local, and whole vectors apart from the tail: the stores to dx
 * and the partials may alias *a, so a->g was loaded again every vector,
 * and the tail's test ran in every one */
NB_INLINE void rms_bwd_avx2(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t rows = a->rows, n = a->n, es = nb_dtype_size(dt);
    const void *const g = a->g;
    float *dg = bwd_partials(a, 0);
    for (size_t r = 0; r < rows; r++) {
        const char *x = (const char *)a->x + r * n * es, *dy = (const char *)a->dy + r * n * es;
        char *dx = (char *)a->y + r * n * es;
        const float rs = 1.0f / sqrtf(sum8(x, n, dt, 1) / (float)n + (float)a->eps);
        const __m256 rv = _mm256_set1_ps(rs), cv = _mm256_set1_ps(rs * rs * (row_sum8(g, dy, x, 0.0f, n, dt) / (float)n));
        float *part = dg + r / NB_BWD_ROW_BLOCK * n;
        size_t i = 0;
        for (; i + 8 <= n; i += 8)
            rms_bwd_step8(dx, part, g, x, dy, i, 8, rv, cv, dt);
        if (i < n)
            rms_bwd_step8(dx, part, g, x, dy, i, n - i, rv, cv, dt);
    }
    bwd_reduce(dg, rows, n, a->dg, dt);
}

void rmsnorm_bwd_fused_avx2_f32(const struct nb_args *a) { rms_bwd_avx2(a, NB_F32); }
void rmsnorm_bwd_fused_avx2_bf16_up(const struct nb_args *a) { rms_bwd_avx2(a, NB_BF16); }
void rmsnorm_bwd_fused_avx2_f16_up(const struct nb_args *a) { rms_bwd_avx2(a, NB_F16); }

struct ln_bwd_row {
    char *dx;
    float *pg, *pb;
    const char *x, *dy;
    __m256 rv, mu, mav, mbv;
};

/* dx and the dg and db partials at i (left < 8: a padded tail) */
NB_INLINE void ln_bwd_step8(const struct ln_bwd_row *w, const void *g, size_t i, size_t left, enum nb_dtype dt)
{
    const __m256 dyv = load_any(w->dy, i, left, dt);
    const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(load_any(w->x, i, left, dt), w->mu), w->rv);
    const __m256 gdy = _mm256_mul_ps(load_any(g, i, left, dt), dyv);
    store_any(w->dx, i, left, _mm256_mul_ps(w->rv, _mm256_sub_ps(_mm256_sub_ps(gdy, w->mav), _mm256_mul_ps(xhat, w->mbv))),
              dt);
    add_partial(w->pg, i, left, _mm256_mul_ps(dyv, xhat));
    add_partial(w->pb, i, left, dyv);
}

/* g in a local and the tail apart, as rms_bwd_avx2 */
NB_INLINE void ln_bwd_avx2(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t rows = a->rows, n = a->n, es = nb_dtype_size(dt);
    const void *const g = a->g;
    float *dg = bwd_partials(a, 0), *db = bwd_partials(a, 1);
    for (size_t r = 0; r < rows; r++) {
        const char *x = (const char *)a->x + r * n * es, *dy = (const char *)a->dy + r * n * es;
        const float mean = sum8(x, n, dt, 0) / (float)n;
        const float rs = 1.0f / sqrtf(row_sum8(NULL, NULL, x, mean, n, dt) / (float)n + (float)a->eps);
        const float ma = row_sum8(g, dy, NULL, 0.0f, n, dt) / (float)n;
        const float mb = row_sum8(g, dy, x, mean, n, dt) * rs / (float)n;
        const struct ln_bwd_row w = {(char *)a->y + r * n * es, dg + r / NB_BWD_ROW_BLOCK * n, db + r / NB_BWD_ROW_BLOCK * n,
                                     x, dy, _mm256_set1_ps(rs), _mm256_set1_ps(mean), _mm256_set1_ps(ma),
                                     _mm256_set1_ps(mb)};
        size_t i = 0;
        for (; i + 8 <= n; i += 8)
            ln_bwd_step8(&w, g, i, 8, dt);
        if (i < n)
            ln_bwd_step8(&w, g, i, n - i, dt);
    }
    bwd_reduce(dg, rows, n, a->dg, dt);
    bwd_reduce(db, rows, n, a->db, dt);
}

void layernorm_bwd_fused_avx2_f32(const struct nb_args *a) { ln_bwd_avx2(a, NB_F32); }
void layernorm_bwd_fused_avx2_bf16_up(const struct nb_args *a) { ln_bwd_avx2(a, NB_BF16); }
void layernorm_bwd_fused_avx2_f16_up(const struct nb_args *a) { ln_bwd_avx2(a, NB_F16); }
