/* RMSNorm as Hugging Face's LlamaRMSNorm rounds it (mode `llama`),
 *   weight * (x.float() * rsqrt(x.float().pow(2).mean(-1) + eps)).to(dtype)
 * the statistics as rmsnorm/fused/scalar's up mode, x r rounded to the
 * storage type, then the product with g rounded again. A file of its own:
 * added to rmsnorm_scalar.c, it changed how gcc compiled that file's naive
 * kernels, the baselines of every speedup (21% slower in the CI time gate). */
#include "kernels.h"
#include "scalar_common.h"

NB_INLINE void rms_llama(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    const float eps = (float)a->eps;
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        void *y = (char *)a->y + r * n * es;
        const float rs = 1.0f / sqrtf(sum_squares_blocked(x, n, dt) / (float)n + eps);
        for (size_t i = 0; i < n; i++)
            nb_store(y, i, nb_round_to(nb_load(x, i, dt) * rs, dt) * nb_load(a->g, i, dt), dt);
    }
}

void rmsnorm_fused_scalar_bf16_llama(const struct nb_args *a) { rms_llama(a, NB_BF16); }
void rmsnorm_fused_scalar_f16_llama(const struct nb_args *a) { rms_llama(a, NB_F16); }
