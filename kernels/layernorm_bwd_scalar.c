/* LayerNorm backward, portable C. With xhat = (x - mu) r, r = 1/sqrt(var + eps):
 *   dx = r (g dy - mean(g dy) - xhat mean(g dy xhat)),
 *   dg = sum_rows dy xhat,  db = sum_rows dy
 * (README "Backward"). f32 arithmetic for every storage type (`up`). */
#include "bwd_common.h"
#include "kernels.h"

/* The composition autograd executes for y = (x - mean(x)) * rsqrt(var + eps)
 * * g + b, var the biased mean of (x - mu)^2: the forward's saved tensors,
 * then each node's backward, every tensor materialised, row reductions
 * pairwise. */
void layernorm_bwd_naive_scalar_f32(const struct nb_args *a)
{
    const size_t rows = a->rows, n = a->n;
    const float *x = a->x, *dy = a->dy, *g = a->g;
    float *dx = a->y, *xc = bwd_region(a, 2), *t = bwd_region(a, 3), *dxhat = bwd_region(a, 4);
    float *rstd = bwd_region(a, 5), *dg = bwd_partials(a, 0), *db = bwd_partials(a, 1);
    for (size_t r = 0; r < rows; r++) {
        const float mu = pairwise_sum_f32(x + r * n, n) / (float)n;
        for (size_t i = 0; i < n; i++) {
            xc[r * n + i] = x[r * n + i] - mu;
            t[r * n + i] = xc[r * n + i] * xc[r * n + i];
        }
        rstd[r] = 1.0f / sqrtf(pairwise_sum_f32(t + r * n, n) / (float)n + (float)a->eps);
    }
    /* y = xhat * g + b, xhat = xc * rstd */
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++) {
            dxhat[r * n + i] = dy[r * n + i] * g[i];
            dg[r / NB_BWD_ROW_BLOCK * n + i] += dy[r * n + i] * (xc[r * n + i] * rstd[r]);
            db[r / NB_BWD_ROW_BLOCK * n + i] += dy[r * n + i];
        }
    bwd_reduce(dg, rows, n, a->dg, NB_F32);
    bwd_reduce(db, rows, n, a->db, NB_F32);
    for (size_t r = 0; r < rows; r++) {
        float *row = t + r * n;
        for (size_t i = 0; i < n; i++)
            row[i] = dxhat[r * n + i] * xc[r * n + i];
        const float drstd = pairwise_sum_f32(row, n);
        const float dvar = drstd * -0.5f * rstd[r] * rstd[r] * rstd[r];
        /* xc's gradient: through xhat and through var = mean(xc^2) */
        for (size_t i = 0; i < n; i++)
            row[i] = dxhat[r * n + i] * rstd[r] + 2.0f * xc[r * n + i] * (dvar / (float)n);
        /* xc = x - mu: mu's gradient is minus the sum of xc's */
        const float dmu = -pairwise_sum_f32(row, n);
        for (size_t i = 0; i < n; i++)
            dx[r * n + i] = row[i] + dmu / (float)n;
    }
}

/* Statistics in two levels (mean, then mean of squared deviations, as the
 * forward twopass), then the sums of g dy and of g dy (x - mean), two
 * levels too, then dx and the row block's dg and db partials. */
NB_INLINE void ln_bwd_fused(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t rows = a->rows, n = a->n, es = nb_dtype_size(dt);
    float *dg = bwd_partials(a, 0), *db = bwd_partials(a, 1);
    for (size_t r = 0; r < rows; r++) {
        const char *x = (const char *)a->x + r * n * es, *dy = (const char *)a->dy + r * n * es;
        const float mean = sum_blocked(x, n, dt) / (float)n;
        const float rs = 1.0f / sqrtf(sum_sqdev_blocked(x, n, mean, dt) / (float)n + (float)a->eps);
        const float sa = bwd_dot_two_level(a->g, dy, NULL, 0.0f, n, dt);
        const float sb = bwd_dot_two_level(a->g, dy, x, mean, n, dt);
        const float ma = sa / (float)n, mb = sb * rs / (float)n;
        float *pg = dg + r / NB_BWD_ROW_BLOCK * n, *pb = db + r / NB_BWD_ROW_BLOCK * n;
        for (size_t i = 0; i < n; i++) {
            const float dyi = nb_load(dy, i, dt), xhat = (nb_load(x, i, dt) - mean) * rs;
            nb_store(a->y, r * n + i, rs * ((nb_load(a->g, i, dt) * dyi - ma) - xhat * mb), dt);
            pg[i] += dyi * xhat;
            pb[i] += dyi;
        }
    }
    bwd_reduce(dg, rows, n, a->dg, dt);
    bwd_reduce(db, rows, n, a->db, dt);
}

void layernorm_bwd_fused_scalar_f32(const struct nb_args *a) { ln_bwd_fused(a, NB_F32); }
void layernorm_bwd_fused_scalar_bf16_up(const struct nb_args *a) { ln_bwd_fused(a, NB_BF16); }
void layernorm_bwd_fused_scalar_f16_up(const struct nb_args *a) { ln_bwd_fused(a, NB_F16); }
