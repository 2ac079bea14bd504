/* RMSNorm backward, portable C. With r = 1/sqrt(mean(x^2) + eps):
 *   dx_i = r (g_i dy_i - x_i r^2 mean_j(g_j dy_j x_j)),  dg_i = sum_rows dy_i x_i r
 * (README "Backward"). f32 arithmetic for every storage type (`up`). */
#include "bwd_common.h"
#include "kernels.h"

/* The composition autograd executes for y = x * rsqrt(mean(x^2) + eps) * g:
 * the forward's saved tensors, then each node's backward, every tensor
 * materialised, the row reductions pairwise (PyTorch's cascade sum). */
void rmsnorm_bwd_naive_scalar_f32(const struct nb_args *a)
{
    const size_t rows = a->rows, n = a->n;
    const float *x = a->x, *dy = a->dy, *g = a->g;
    float *dx = a->y, *xhat = bwd_region(a, 2), *t = bwd_region(a, 3), *dxhat = bwd_region(a, 4);
    float *rstd = bwd_region(a, 5), *dg = bwd_partials(a, 0);
    for (size_t i = 0; i < rows * n; i++)
        t[i] = x[i] * x[i];
    for (size_t r = 0; r < rows; r++)
        rstd[r] = 1.0f / sqrtf(pairwise_sum_f32(t + r * n, n) / (float)n + (float)a->eps);
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++)
            xhat[r * n + i] = x[r * n + i] * rstd[r];
    /* y = xhat * g */
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++) {
            dxhat[r * n + i] = dy[r * n + i] * g[i];
            t[r * n + i] = dy[r * n + i] * xhat[r * n + i];
        }
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++)
            dg[r / NB_BWD_ROW_BLOCK * n + i] += t[r * n + i];
    bwd_reduce(dg, rows, n, a->dg, NB_F32);
    /* xhat = x * rstd, rstd = (ms + eps)^(-1/2), ms = mean(x * x) */
    for (size_t r = 0; r < rows; r++) {
        for (size_t i = 0; i < n; i++)
            t[r * n + i] = dxhat[r * n + i] * x[r * n + i];
        const float drstd = pairwise_sum_f32(t + r * n, n);
        const float dms = drstd * -0.5f * rstd[r] * rstd[r] * rstd[r];
        for (size_t i = 0; i < n; i++)
            dx[r * n + i] = dxhat[r * n + i] * rstd[r] + 2.0f * x[r * n + i] * (dms / (float)n);
    }
}

/* One pass for the statistics (sum of x^2 and of g dy x, two levels), one
 * for dx and the row block's dg partial. */
NB_INLINE void rms_bwd_fused(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t rows = a->rows, n = a->n, es = nb_dtype_size(dt);
    float *dg = bwd_partials(a, 0);
    for (size_t r = 0; r < rows; r++) {
        const char *x = (const char *)a->x + r * n * es, *dy = (const char *)a->dy + r * n * es;
        const float rs = 1.0f / sqrtf(sum_squares_blocked(x, n, dt) / (float)n + (float)a->eps);
        const float c = rs * rs * (bwd_dot_two_level(a->g, dy, x, 0.0f, n, dt) / (float)n);
        float *part = dg + r / NB_BWD_ROW_BLOCK * n;
        for (size_t i = 0; i < n; i++) {
            const float xi = nb_load(x, i, dt), dyi = nb_load(dy, i, dt);
            nb_store(a->y, r * n + i, rs * (nb_load(a->g, i, dt) * dyi - xi * c), dt);
            part[i] += dyi * (xi * rs);
        }
    }
    bwd_reduce(dg, rows, n, a->dg, dt);
}

void rmsnorm_bwd_fused_scalar_f32(const struct nb_args *a) { rms_bwd_fused(a, NB_F32); }
void rmsnorm_bwd_fused_scalar_bf16_up(const struct nb_args *a) { rms_bwd_fused(a, NB_BF16); }
void rmsnorm_bwd_fused_scalar_f16_up(const struct nb_args *a) { rms_bwd_fused(a, NB_F16); }
