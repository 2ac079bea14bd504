/* Portable RMSNorm family: rmsnorm, prmsnorm, addrmsnorm (fused residual
 * add) and gemmarmsnorm (gain 1 + g), each as `naive` (the unfused eager
 * composition) and `fused` (one pass for the statistic, one to normalise). */
#include "kernels.h"
#include "scalar_common.h"

enum rms_kind { RMS_PLAIN, RMS_PARTIAL, RMS_RESIDUAL, RMS_GEMMA };

NB_INLINE size_t rms_stat_count(const struct nb_args *a, enum rms_kind kind)
{
    return kind == RMS_PARTIAL ? nb_prms_k(a->n, a->p) : a->n;
}

NB_INLINE float rms_gain(const struct nb_args *a, size_t i, enum nb_dtype dt, int nat,
                         enum rms_kind kind)
{
    float g = nb_load(a->g, i, dt);
    return kind == RMS_GEMMA ? nat_round(1.0f + g, dt, nat) : g;
}

/* ---- fused: statistic in registers, then the normalise pass ---- */

NB_INLINE void rms_fused(const struct nb_args *a, enum nb_dtype dt, int nat, enum rms_kind kind)
{
    const size_t n = a->n, k = rms_stat_count(a, kind), es = nb_dtype_size(dt);
    const float eps = kernel_eps(a->eps, dt, nat);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        void *y = (char *)a->y + r * n * es;
        if (kind == RMS_RESIDUAL) {
            void *h = (char *)a->residual + r * n * es;
            for (size_t i = 0; i < n; i++)
                nb_store(h, i, nb_load(x, i, dt) + nb_load(h, i, dt), dt);
            x = h;
        }
        float ss;
        if (nat) {
            ss = 0.0f;
            for (size_t j = 0; j < k; j++) {
                float t = nb_load(x, j, dt);
                ss = nb_round_to(ss + nb_round_to(t * t, dt), dt);
            }
        } else {
            ss = sum_squares_blocked(x, k, dt);
        }
        float mean = nat_round(ss / nat_round((float)k, dt, nat), dt, nat);
        float rs = nat_round(1.0f / nat_round(sqrtf(nat_round(mean + eps, dt, nat)), dt, nat), dt, nat);
        for (size_t i = 0; i < n; i++) {
            float t = nat_round(nb_load(x, i, dt) * rs, dt, nat);
            nb_store(y, i, t * rms_gain(a, i, dt, nat, kind), dt);
        }
    }
}

/* ---- naive: what an eager framework executes, op by op ----
 * Each step is a separate pass over memory writing a materialised
 * temporary, as torch would for
 *   xf = x.float(); v = xf.pow(2).mean(-1); r = rsqrt(v + eps); y = (xf * r) * g
 * Temporaries are f32 (or the storage type in `nat` mode); the reduction is
 * pairwise, as PyTorch's cascade sum, in f32, or sequential in the storage
 * type for `nat`. */

NB_INLINE float naive_row_sum(const void *v, size_t k, enum nb_dtype tmp_dt, int nat)
{
    if (!nat)
        return pairwise_sum_f32(v, k);
    float s = 0.0f;
    for (size_t j = 0; j < k; j++)
        s = nb_round_to(s + nb_load(v, j, tmp_dt), tmp_dt);
    return s;
}

NB_INLINE void rms_naive(const struct nb_args *a, enum nb_dtype dt, int nat, enum rms_kind kind)
{
    const size_t rows = a->rows, n = a->n, total = rows * n, k = rms_stat_count(a, kind);
    const enum nb_dtype tdt = nat ? dt : NB_F32; /* temporaries' type */
    const size_t ts = nb_dtype_size(tdt);
    char *tmp_x = align64(a->work);                    /* upcast copy of x (or of h) */
    char *tmp_a = align64(tmp_x + total * ts);         /* x^2, later x * r */
    float *row_stat = (float *)align64(tmp_a + total * ts); /* mean, then rsqrt */
    char *gain = align64((char *)(row_stat + rows));   /* 1 + g for gemma */
    const float eps = kernel_eps(a->eps, dt, nat);

    const void *src = a->x;
    if (kind == RMS_RESIDUAL) { /* residual = x + residual, in place */
        for (size_t i = 0; i < total; i++)
            nb_store(a->residual, i, nb_load(a->x, i, dt) + nb_load(a->residual, i, dt), dt);
        src = a->residual;
    }
    if (dt != tdt) { /* xf = x.float() */
        for (size_t i = 0; i < total; i++)
            ((float *)tmp_x)[i] = nb_load(src, i, dt);
        src = tmp_x;
    }
    /* sq = xf[:, :k] ** 2 */
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < k; j++) {
            float t = nb_load(src, r * n + j, tdt);
            nb_store(tmp_a, r * k + j, t * t, tdt);
        }
    /* v = sq.mean(-1) */
    for (size_t r = 0; r < rows; r++)
        row_stat[r] = nat_round(naive_row_sum(tmp_a + r * k * ts, k, tdt, nat)
                                    / nat_round((float)k, dt, nat), dt, nat);
    /* v = v + eps; r = rsqrt(v): two ops, two passes over the row vector */
    for (size_t r = 0; r < rows; r++)
        row_stat[r] = nat_round(row_stat[r] + eps, dt, nat);
    for (size_t r = 0; r < rows; r++)
        row_stat[r] = nat_round(1.0f / nat_round(sqrtf(row_stat[r]), dt, nat), dt, nat);
    /* t = xf * r */
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++)
            nb_store(tmp_a, r * n + i, nb_load(src, r * n + i, tdt) * row_stat[r], tdt);
    /* gemma: w = 1 + g */
    const void *g = a->g;
    enum nb_dtype gdt = dt;
    if (kind == RMS_GEMMA) {
        for (size_t i = 0; i < n; i++)
            nb_store(gain, i, 1.0f + nb_load(a->g, i, dt), tdt);
        g = gain;
        gdt = tdt;
    }
    /* y = (t * w).to(dtype) */
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++)
            nb_store(a->y, r * n + i, nb_load(tmp_a, r * n + i, tdt) * nb_load(g, i, gdt), dt);
}

NB_SCALAR_ENTRY_POINTS(rmsnorm_fused_scalar, rms_fused, RMS_PLAIN)
NB_SCALAR_ENTRY_POINTS(rmsnorm_naive_scalar, rms_naive, RMS_PLAIN)
NB_SCALAR_ENTRY_POINTS(prmsnorm_fused_scalar, rms_fused, RMS_PARTIAL)
NB_SCALAR_ENTRY_POINTS(prmsnorm_naive_scalar, rms_naive, RMS_PARTIAL)
NB_SCALAR_ENTRY_POINTS(addrmsnorm_fused_scalar, rms_fused, RMS_RESIDUAL)
NB_SCALAR_ENTRY_POINTS(addrmsnorm_naive_scalar, rms_naive, RMS_RESIDUAL)
NB_SCALAR_ENTRY_POINTS(gemmarmsnorm_fused_scalar, rms_fused, RMS_GEMMA)
NB_SCALAR_ENTRY_POINTS(gemmarmsnorm_naive_scalar, rms_naive, RMS_GEMMA)
