/* RMSNorm and LayerNorm backward with AVX-512 (the backward family's
 * AVX-512 file): kernels/backward_avx2.c's schedule in 16-lane vectors with
 * masked tails, the row sums in simd_avx512.h's two-level order, dg and db
 * in the same row blocks (kernel.h NB_BWD_ROW_BLOCK). */
#include "bwd_common.h"
#include "kernels.h"
#include "simd_avx512.h"

/* One term of a row sum at i under mask m (lanes off it zero): u v (w - c),
 * u v when w is NULL, (w - c)^2 when u is NULL. */
NB_INLINE __m512 term16(const void *u, const void *v, const void *w, __m512 cv, size_t i, __mmask16 m,
                        enum nb_dtype dt)
{
    const __m512 wv = w ? load16(w, i, m, dt) : cv;
    if (!u) {
        const __m512 d = _mm512_maskz_sub_ps(m, wv, cv);
        return _mm512_mul_ps(d, d);
    }
    const __m512 t = _mm512_mul_ps(load16(u, i, m, dt), load16(v, i, m, dt));
    return w ? _mm512_mul_ps(t, _mm512_sub_ps(wv, cv)) : t;
}

/* The sum of term16 over j < n in simd_avx512.h's order. */
NB_INLINE float row_sum16(const void *u, const void *v, const void *w, float c, size_t n, enum nb_dtype dt)
{
    struct sum16x4 s = NB_SUM16X4_ZERO;
    const __m512 cv = _mm512_set1_ps(c);
    size_t j = 0;
    for (; j + 64 <= n; j += 64) {
        #pragma GCC unroll 4
        for (int k = 0; k < 4; k++)
            s.acc[k] = _mm512_add_ps(s.acc[k], term16(u, v, w, cv, j + 16 * (size_t)k, 0xffff, dt));
        sum_level16(&s, j + 64);
    }
    for (; j < n; j += 16)
        s.acc[0] = _mm512_add_ps(s.acc[0], term16(u, v, w, cv, j, tail_mask16(n - j), dt));
    return sum16x4_result(&s);
}

NB_INLINE void add_partial16(float *part, size_t i, __mmask16 m, __m512 v)
{
    _mm512_mask_storeu_ps(part + i, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, part + i), v));
}

/* dx and the dg partial at i under mask m */
NB_INLINE void rms_bwd_step16(char *dx, float *part, const void *g, const char *x, const char *dy, size_t i,
                              __mmask16 m, __m512 rv, __m512 cv, enum nb_dtype dt)
{
    const __m512 xv = load16(x, i, m, dt), dyv = load16(dy, i, m, dt);
    const __m512 gdy = _mm512_mul_ps(load16(g, i, m, dt), dyv);
    store16(dx, i, _mm512_mul_ps(rv, _mm512_sub_ps(gdy, _mm512_mul_ps(xv, cv))), m, dt);
    add_partial16(part, i, m, _mm512_mul_ps(dyv, _mm512_mul_ps(xv, rv)));
}

/* g in a local, whole vectors apart from the masked tail (as
 * backward_avx2.c: the stores may alias *a) */
NB_INLINE void rms_bwd_avx512(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t rows = a->rows, n = a->n, es = nb_dtype_size(dt);
    const void *const g = a->g;
    float *dg = bwd_partials(a, 0);
    for (size_t r = 0; r < rows; r++) {
        const char *x = (const char *)a->x + r * n * es, *dy = (const char *)a->dy + r * n * es;
        char *dx = (char *)a->y + r * n * es;
        const float rs = 1.0f / sqrtf(sum16(x, n, dt, 1, 0) / (float)n + (float)a->eps);
        const __m512 rv = _mm512_set1_ps(rs), cv = _mm512_set1_ps(rs * rs * (row_sum16(g, dy, x, 0.0f, n, dt) / (float)n));
        float *part = dg + r / NB_BWD_ROW_BLOCK * n;
        size_t i = 0;
        for (; i + 16 <= n; i += 16)
            rms_bwd_step16(dx, part, g, x, dy, i, 0xffff, rv, cv, dt);
        if (i < n)
            rms_bwd_step16(dx, part, g, x, dy, i, tail_mask16(n - i), rv, cv, dt);
    }
    bwd_reduce(dg, rows, n, a->dg, dt);
}

struct ln_bwd_row16 {
    char *dx;
    float *pg, *pb;
    const char *x, *dy;
    __m512 rv, mu, mav, mbv;
};

/* dx and the dg and db partials at i under mask m */
NB_INLINE void ln_bwd_step16(const struct ln_bwd_row16 *w, const void *g, size_t i, __mmask16 m, enum nb_dtype dt)
{
    const __m512 dyv = load16(w->dy, i, m, dt);
    const __m512 xhat = _mm512_mul_ps(_mm512_sub_ps(load16(w->x, i, m, dt), w->mu), w->rv);
    const __m512 gdy = _mm512_mul_ps(load16(g, i, m, dt), dyv);
    store16(w->dx, i, _mm512_mul_ps(w->rv, _mm512_sub_ps(_mm512_sub_ps(gdy, w->mav), _mm512_mul_ps(xhat, w->mbv))), m,
            dt);
    add_partial16(w->pg, i, m, _mm512_mul_ps(dyv, xhat));
    add_partial16(w->pb, i, m, dyv);
}

NB_INLINE void ln_bwd_avx512(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t rows = a->rows, n = a->n, es = nb_dtype_size(dt);
    const void *const g = a->g;
    float *dg = bwd_partials(a, 0), *db = bwd_partials(a, 1);
    for (size_t r = 0; r < rows; r++) {
        const char *x = (const char *)a->x + r * n * es, *dy = (const char *)a->dy + r * n * es;
        const float mean = sum16(x, n, dt, 0, 0) / (float)n;
        const float rs = 1.0f / sqrtf(row_sum16(NULL, NULL, x, mean, n, dt) / (float)n + (float)a->eps);
        const float ma = row_sum16(g, dy, NULL, 0.0f, n, dt) / (float)n;
        const float mb = row_sum16(g, dy, x, mean, n, dt) * rs / (float)n;
        const struct ln_bwd_row16 w = {(char *)a->y + r * n * es, dg + r / NB_BWD_ROW_BLOCK * n,
                                       db + r / NB_BWD_ROW_BLOCK * n, x, dy, _mm512_set1_ps(rs), _mm512_set1_ps(mean),
                                       _mm512_set1_ps(ma), _mm512_set1_ps(mb)};
        size_t i = 0;
        for (; i + 16 <= n; i += 16)
            ln_bwd_step16(&w, g, i, 0xffff, dt);
        if (i < n)
            ln_bwd_step16(&w, g, i, tail_mask16(n - i), dt);
    }
    bwd_reduce(dg, rows, n, a->dg, dt);
    bwd_reduce(db, rows, n, a->db, dt);
}

void rmsnorm_bwd_fused_avx512_f32(const struct nb_args *a) { rms_bwd_avx512(a, NB_F32); }
void rmsnorm_bwd_fused_avx512_bf16_up(const struct nb_args *a) { rms_bwd_avx512(a, NB_BF16); }
void rmsnorm_bwd_fused_avx512_f16_up(const struct nb_args *a) { rms_bwd_avx512(a, NB_F16); }
void layernorm_bwd_fused_avx512_f32(const struct nb_args *a) { ln_bwd_avx512(a, NB_F32); }
void layernorm_bwd_fused_avx512_bf16_up(const struct nb_args *a) { ln_bwd_avx512(a, NB_BF16); }
void layernorm_bwd_fused_avx512_f16_up(const struct nb_args *a) { ln_bwd_avx512(a, NB_F16); }
