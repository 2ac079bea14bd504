/* Portable LayerNorm family: the unfused `naive` composition and three
 * fused ways to get the statistics:
 *   twopass  mean, then the mean of (x - mu)^2: accurate, reads x twice;
 *   onepass  sum and sum of squares, var = E[x^2] - E[x]^2: one read, and
 *            catastrophic cancellation when |mu| >> sigma (kept raw on
 *            purpose: a negative variance becomes NaN, as it would in a
 *            kernel that trusts the formula);
 *   welford  running mean and M2, eight streams merged with Chan's formula. */
#include "kernels.h"
#include "scalar_common.h"

enum ln_stats { LN_TWOPASS, LN_ONEPASS, LN_WELFORD };

struct moments {
    float mean, var;
};

NB_INLINE struct moments ln_moments_nat(const void *x, size_t n, enum nb_dtype dt,
                                        enum ln_stats how)
{
    const float fn = nb_round_to((float)n, dt);
    struct moments m;
    if (how == LN_WELFORD) {
        float mean = 0.0f, m2 = 0.0f;
        for (size_t j = 0; j < n; j++) {
            float v = nb_load(x, j, dt);
            float d = nb_round_to(v - mean, dt);
            mean = nb_round_to(mean + nb_round_to(d / nb_round_to((float)(j + 1), dt), dt), dt);
            m2 = nb_round_to(m2 + nb_round_to(d * nb_round_to(v - mean, dt), dt), dt);
        }
        m.mean = mean;
        m.var = nb_round_to(m2 / fn, dt);
        return m;
    }
    float s = 0.0f, s2 = 0.0f;
    for (size_t j = 0; j < n; j++) {
        float v = nb_load(x, j, dt);
        s = nb_round_to(s + v, dt);
        if (how == LN_ONEPASS)
            s2 = nb_round_to(s2 + nb_round_to(v * v, dt), dt);
    }
    m.mean = nb_round_to(s / fn, dt);
    if (how == LN_ONEPASS) {
        float ex2 = nb_round_to(s2 / fn, dt);
        m.var = nb_round_to(ex2 - nb_round_to(m.mean * m.mean, dt), dt);
        return m;
    }
    for (size_t j = 0; j < n; j++) {
        float d = nb_round_to(nb_load(x, j, dt) - m.mean, dt);
        s2 = nb_round_to(s2 + nb_round_to(d * d, dt), dt);
    }
    m.var = nb_round_to(s2 / fn, dt);
    return m;
}

NB_INLINE struct moments ln_moments_f32(const void *x, size_t n, enum nb_dtype dt,
                                        enum ln_stats how)
{
    const float fn = (float)n;
    struct moments m;
    if (how == LN_WELFORD) {
        float mean[8] = {0}, m2[8] = {0}, cnt[8] = {0};
        size_t j = 0;
        for (; j + 8 <= n; j += 8)
            for (int l = 0; l < 8; l++) {
                float v = nb_load(x, j + l, dt);
                cnt[l] += 1.0f;
                float d = v - mean[l];
                mean[l] += d / cnt[l];
                m2[l] += d * (v - mean[l]);
            }
        for (int l = 0; j < n; j++, l++) {
            float v = nb_load(x, j, dt);
            cnt[l] += 1.0f;
            float d = v - mean[l];
            mean[l] += d / cnt[l];
            m2[l] += d * (v - mean[l]);
        }
        /* Chan et al.: merge (count, mean, M2) pairs as a tree */
        for (int w = 1; w < 8; w *= 2)
            for (int l = 0; l + w < 8; l += 2 * w) {
                float c = cnt[l] + cnt[l + w];
                if (cnt[l + w] == 0.0f)
                    continue;
                float d = mean[l + w] - mean[l];
                mean[l] += d * (cnt[l + w] / c);
                m2[l] += m2[l + w] + d * d * (cnt[l] * cnt[l + w] / c);
                cnt[l] = c;
            }
        m.mean = mean[0];
        m.var = m2[0] / fn;
        return m;
    }
    m.mean = sum_blocked(x, n, dt) / fn;
    if (how == LN_ONEPASS) {
        m.var = sum_squares_blocked(x, n, dt) / fn - m.mean * m.mean;
        return m;
    }
    m.var = sum_sqdev_blocked(x, n, m.mean, dt) / fn;
    return m;
}

NB_INLINE void ln_fused(const struct nb_args *a, enum nb_dtype dt, int nat, enum ln_stats how)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    const float eps = kernel_eps(a->eps, dt, nat);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        void *y = (char *)a->y + r * n * es;
        struct moments m = nat ? ln_moments_nat(x, n, dt, how) : ln_moments_f32(x, n, dt, how);
        float rs = nat_round(1.0f / nat_round(sqrtf(nat_round(m.var + eps, dt, nat)), dt, nat), dt, nat);
        for (size_t i = 0; i < n; i++) {
            float d = nat_round(nb_load(x, i, dt) - m.mean, dt, nat);
            float t = nat_round(nat_round(d * rs, dt, nat) * nb_load(a->g, i, dt), dt, nat);
            nb_store(y, i, t + nb_load(a->b, i, dt), dt);
        }
    }
}

/* naive: mu = x.mean(-1); d = x - mu; v = (d * d).mean(-1);
 * r = rsqrt(v + eps); y = (d * r) * g + b, each a pass with a temporary. */

NB_INLINE float naive_mean(const void *v, size_t n, enum nb_dtype tdt, enum nb_dtype dt, int nat)
{
    if (!nat)
        return pairwise_sum_f32(v, n) / (float)n;
    float s = 0.0f;
    for (size_t j = 0; j < n; j++)
        s = nb_round_to(s + nb_load(v, j, tdt), tdt);
    return nb_round_to(s / nb_round_to((float)n, dt), dt);
}

NB_INLINE void ln_naive(const struct nb_args *a, enum nb_dtype dt, int nat, int unused)
{
    (void)unused;
    const size_t rows = a->rows, n = a->n, total = rows * n;
    const enum nb_dtype tdt = nat ? dt : NB_F32;
    const size_t ts = nb_dtype_size(tdt);
    char *tmp_x = align64(a->work);
    char *tmp_d = align64(tmp_x + total * ts);
    char *tmp_a = align64(tmp_d + total * ts);
    float *mu = (float *)align64(tmp_a + total * ts);
    float *rs = mu + rows;
    const float eps = kernel_eps(a->eps, dt, nat);

    const void *src = a->x;
    if (dt != tdt) {
        for (size_t i = 0; i < total; i++)
            ((float *)tmp_x)[i] = nb_load(a->x, i, dt);
        src = tmp_x;
    }
    for (size_t r = 0; r < rows; r++)
        mu[r] = naive_mean((const char *)src + r * n * ts, n, tdt, dt, nat);
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++)
            nb_store(tmp_d, r * n + i, nb_load(src, r * n + i, tdt) - mu[r], tdt);
    for (size_t i = 0; i < total; i++) {
        float d = nb_load(tmp_d, i, tdt);
        nb_store(tmp_a, i, d * d, tdt);
    }
    for (size_t r = 0; r < rows; r++)
        rs[r] = naive_mean(tmp_a + r * n * ts, n, tdt, dt, nat);
    for (size_t r = 0; r < rows; r++)
        rs[r] = nat_round(rs[r] + eps, dt, nat);
    for (size_t r = 0; r < rows; r++)
        rs[r] = nat_round(1.0f / nat_round(sqrtf(rs[r]), dt, nat), dt, nat);
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++)
            nb_store(tmp_a, r * n + i, nb_load(tmp_d, r * n + i, tdt) * rs[r], tdt);
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++)
            nb_store(tmp_d, r * n + i, nb_load(tmp_a, r * n + i, tdt) * nb_load(a->g, i, dt), tdt);
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++)
            nb_store(a->y, r * n + i, nb_load(tmp_d, r * n + i, tdt) + nb_load(a->b, i, dt), dt);
}

NB_SCALAR_ENTRY_POINTS(layernorm_naive_scalar, ln_naive, 0)
NB_SCALAR_ENTRY_POINTS(layernorm_twopass_scalar, ln_fused, LN_TWOPASS)
NB_SCALAR_ENTRY_POINTS(layernorm_onepass_scalar, ln_fused, LN_ONEPASS)
NB_SCALAR_ENTRY_POINTS(layernorm_welford_scalar, ln_fused, LN_WELFORD)
