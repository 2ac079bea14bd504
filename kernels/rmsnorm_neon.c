/* RMSNorm and pRMSNorm with NEON (aarch64): the sum of squares in
 * simd_neon.h's two levels, then x r g four lanes at a time; bf16 and f16
 * widened to f32 and rounded once on store (`up`). */
#include "kernels.h"
#include "simd_neon.h"

/* sum of x_j^2 over j < k */
NB_INLINE float sum_squares4(const void *x, size_t k, enum nb_dtype dt)
{
    float s;
#define SQ(j) ({ const float32x4_t v_ = load4(x, (j), dt); vmulq_f32(v_, v_); })
#define SQ1(j) (nb_load(x, (j), dt) * nb_load(x, (j), dt))
    NEON_SUM(k, SQ, SQ1, s);
#undef SQ
#undef SQ1
    return s;
}

/* every row: r from the first k values, y = x r g over all n */
NB_INLINE void rms_neon(const struct nb_args *a, size_t k, enum nb_dtype dt)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    for (size_t r = 0; r < a->rows; r++) {
        const char *x = (const char *)a->x + r * n * es;
        char *y = (char *)a->y + r * n * es;
        const float rs = 1.0f / sqrtf(sum_squares4(x, k, dt) / (float)k + (float)a->eps);
        const float32x4_t rv = vdupq_n_f32(rs);
        size_t i = 0;
        for (; i + 4 <= n; i += 4)
            store4(y, i, vmulq_f32(vmulq_f32(load4(x, i, dt), rv), load4(a->g, i, dt)), dt);
        for (; i < n; i++)
            nb_store(y, i, nb_load(x, i, dt) * rs * nb_load(a->g, i, dt), dt);
    }
}

void rmsnorm_fused_neon_f32(const struct nb_args *a) { rms_neon(a, a->n, NB_F32); }
void rmsnorm_fused_neon_bf16_up(const struct nb_args *a) { rms_neon(a, a->n, NB_BF16); }
void rmsnorm_fused_neon_f16_up(const struct nb_args *a) { rms_neon(a, a->n, NB_F16); }
void prmsnorm_fused_neon_f32(const struct nb_args *a) { rms_neon(a, nb_prms_k(a->n, a->p), NB_F32); }
void prmsnorm_fused_neon_bf16_up(const struct nb_args *a) { rms_neon(a, nb_prms_k(a->n, a->p), NB_BF16); }
void prmsnorm_fused_neon_f16_up(const struct nb_args *a) { rms_neon(a, nb_prms_k(a->n, a->p), NB_F16); }
