/* LayerNorm with NEON (aarch64), two passes: the mean, then the mean of
 * squared deviations from it, each in simd_neon.h's two levels; then
 * (x - mean) r g + b four lanes at a time. */
#include "kernels.h"
#include "simd_neon.h"

NB_INLINE void ln_neon(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    for (size_t r = 0; r < a->rows; r++) {
        const char *x = (const char *)a->x + r * n * es;
        char *y = (char *)a->y + r * n * es;
        float sum, dev;
#define X4(j) load4(x, (j), dt)
#define X1(j) nb_load(x, (j), dt)
        NEON_SUM(n, X4, X1, sum);
        const float mean = sum / (float)n;
        const float32x4_t mv = vdupq_n_f32(mean);
#define D4(j) ({ const float32x4_t d_ = vsubq_f32(load4(x, (j), dt), mv); vmulq_f32(d_, d_); })
#define D1(j) ((nb_load(x, (j), dt) - mean) * (nb_load(x, (j), dt) - mean))
        NEON_SUM(n, D4, D1, dev);
#undef X4
#undef X1
#undef D4
#undef D1
        const float rs = 1.0f / sqrtf(dev / (float)n + (float)a->eps);
        const float32x4_t rv = vdupq_n_f32(rs);
        size_t i = 0;
        for (; i + 4 <= n; i += 4) {
            const float32x4_t t = vmulq_f32(vmulq_f32(vsubq_f32(load4(x, i, dt), mv), rv), load4(a->g, i, dt));
            store4(y, i, vaddq_f32(t, load4(a->b, i, dt)), dt);
        }
        for (; i < n; i++)
            nb_store(y, i, (nb_load(x, i, dt) - mean) * rs * nb_load(a->g, i, dt) + nb_load(a->b, i, dt), dt);
    }
}

void layernorm_twopass_neon_f32(const struct nb_args *a) { ln_neon(a, NB_F32); }
void layernorm_twopass_neon_bf16_up(const struct nb_args *a) { ln_neon(a, NB_BF16); }
void layernorm_twopass_neon_f16_up(const struct nb_args *a) { ln_neon(a, NB_F16); }
