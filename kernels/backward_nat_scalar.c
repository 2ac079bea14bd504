/* The backward passes in `nat` mode: every operation rounded to the storage
 * type, the row sums sequential in it, and dg (and db) accumulated over the
 * rows in it too (row blocks of NB_BWD_ROW_BLOCK, then the blocks in
 * order): what a kernel that never widens does, and the subject of the
 * backward study (configs/backward-eps.ini). The formulas are the fused
 * variants' (rmsnorm_bwd_scalar.c, layernorm_bwd_scalar.c). */
#include "bwd_common.h"
#include "kernels.h"

NB_INLINE float rnd(float v, enum nb_dtype dt)
{
    return nb_round_to(v, dt);
}

/* dg and db from the block partials, added in the storage type */
NB_INLINE void bwd_reduce_nat(const float *partials, size_t rows, size_t n, void *out, enum nb_dtype dt)
{
    const size_t blocks = bwd_blocks(rows);
    for (size_t i = 0; i < n; i++) {
        float s = 0.0f;
        for (size_t b = 0; b < blocks; b++)
            s = rnd(s + partials[b * n + i], dt);
        nb_store(out, i, s, dt);
    }
}

/* sum of u_j v_j (w_j - c) (w NULL: of u_j v_j), one term after another */
NB_INLINE float dot_nat(const void *u, const void *v, const void *w, float c, size_t n, enum nb_dtype dt)
{
    float s = 0.0f;
    for (size_t j = 0; j < n; j++) {
        float t = rnd(nb_load(u, j, dt) * nb_load(v, j, dt), dt);
        if (w)
            t = rnd(t * rnd(nb_load(w, j, dt) - c, dt), dt);
        s = rnd(s + t, dt);
    }
    return s;
}

/* 1 / sqrt(sum / n + eps), each step rounded */
NB_INLINE float rstd_nat(float sum, float fn, float eps, enum nb_dtype dt)
{
    return rnd(1.0f / rnd(sqrtf(rnd(rnd(sum / fn, dt) + eps, dt)), dt), dt);
}

NB_INLINE void rms_bwd_nat(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t rows = a->rows, n = a->n, es = nb_dtype_size(dt);
    const float eps = kernel_eps(a->eps, dt, 1), fn = rnd((float)n, dt);
    float *dg = bwd_partials(a, 0);
    for (size_t r = 0; r < rows; r++) {
        const char *x = (const char *)a->x + r * n * es, *dy = (const char *)a->dy + r * n * es;
        const float rs = rstd_nat(dot_nat(x, x, NULL, 0.0f, n, dt), fn, eps, dt);
        const float c = rnd(rnd(rs * rs, dt) * rnd(dot_nat(a->g, dy, x, 0.0f, n, dt) / fn, dt), dt);
        float *part = dg + r / NB_BWD_ROW_BLOCK * n;
        for (size_t i = 0; i < n; i++) {
            const float xi = nb_load(x, i, dt), dyi = nb_load(dy, i, dt);
            const float gdy = rnd(nb_load(a->g, i, dt) * dyi, dt);
            nb_store(a->y, r * n + i, rs * rnd(gdy - rnd(xi * c, dt), dt), dt);
            part[i] = rnd(part[i] + rnd(dyi * rnd(xi * rs, dt), dt), dt);
        }
    }
    bwd_reduce_nat(dg, rows, n, a->dg, dt);
}

NB_INLINE void ln_bwd_nat(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t rows = a->rows, n = a->n, es = nb_dtype_size(dt);
    const float eps = kernel_eps(a->eps, dt, 1), fn = rnd((float)n, dt);
    float *dg = bwd_partials(a, 0), *db = bwd_partials(a, 1);
    for (size_t r = 0; r < rows; r++) {
        const char *x = (const char *)a->x + r * n * es, *dy = (const char *)a->dy + r * n * es;
        float sum = 0.0f, dev = 0.0f;
        for (size_t j = 0; j < n; j++)
            sum = rnd(sum + nb_load(x, j, dt), dt);
        const float mean = rnd(sum / fn, dt);
        for (size_t j = 0; j < n; j++) {
            const float d = rnd(nb_load(x, j, dt) - mean, dt);
            dev = rnd(dev + rnd(d * d, dt), dt);
        }
        const float rs = rstd_nat(dev, fn, eps, dt);
        const float ma = rnd(dot_nat(a->g, dy, NULL, 0.0f, n, dt) / fn, dt);
        const float mb = rnd(rnd(dot_nat(a->g, dy, x, mean, n, dt) * rs, dt) / fn, dt);
        float *pg = dg + r / NB_BWD_ROW_BLOCK * n, *pb = db + r / NB_BWD_ROW_BLOCK * n;
        for (size_t i = 0; i < n; i++) {
            const float dyi = nb_load(dy, i, dt), xhat = rnd(rnd(nb_load(x, i, dt) - mean, dt) * rs, dt);
            const float gdy = rnd(nb_load(a->g, i, dt) * dyi, dt);
            nb_store(a->y, r * n + i, rs * rnd(rnd(gdy - ma, dt) - rnd(xhat * mb, dt), dt), dt);
            pg[i] = rnd(pg[i] + rnd(dyi * xhat, dt), dt);
            pb[i] = rnd(pb[i] + dyi, dt);
        }
    }
    bwd_reduce_nat(dg, rows, n, a->dg, dt);
    bwd_reduce_nat(db, rows, n, a->db, dt);
}

void rmsnorm_bwd_fused_scalar_bf16_nat(const struct nb_args *a) { rms_bwd_nat(a, NB_BF16); }
void rmsnorm_bwd_fused_scalar_f16_nat(const struct nb_args *a) { rms_bwd_nat(a, NB_F16); }
void layernorm_bwd_fused_scalar_bf16_nat(const struct nb_args *a) { ln_bwd_nat(a, NB_BF16); }
void layernorm_bwd_fused_scalar_f16_nat(const struct nb_args *a) { ln_bwd_nat(a, NB_F16); }
