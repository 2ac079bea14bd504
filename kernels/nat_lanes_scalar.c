/* `nat` RMSNorm and LayerNorm (twopass) with the sums in eight lanes, as an
 * eight-wide vector unit with native fp16 or bf16 arithmetic adds (ARMv8.2
 * FP16's vfmaq_f16 on 128 bits, AVX512_FP16 on 128): lane l sums the terms
 * j = l, l + 8, l + 16, ..., every addition rounded to the storage type;
 * then the lanes are combined as ((l0 + l1) + (l2 + l3)) + ((l4 + l5) +
 * (l6 + l7)), each addition rounded. Everything else is rounded as in the
 * sequential `nat` kernels (rmsnorm_scalar.c, layernorm_scalar.c), so the
 * two differ in the order of the sums only (README "Compute modes" gives
 * both as numpy float16 code). A row's sum of squares then grows eight
 * times more slowly in each accumulator: in fp16 it overflows later, and in
 * bf16 it stagnates later. Its own file, so that adding it does not change
 * how the other scalar kernels compile. */
#include "kernels.h"
#include "scalar_common.h"

#define NB_LANES 8

enum lane_term { LANE_SQUARE, LANE_VALUE, LANE_SQDEV };

/* sum over j < n of x_j, x_j^2 or (x_j - c)^2, each term and each addition
 * rounded to dt, in NB_LANES lanes */
NB_INLINE float lanes_sum(const void *x, size_t n, enum nb_dtype dt, enum lane_term what, float c)
{
    float lane[NB_LANES] = {0};
    for (size_t j = 0; j < n; j++) {
        const float v = nb_load(x, j, dt);
        float t = v;
        if (what == LANE_SQUARE)
            t = nb_round_to(v * v, dt);
        else if (what == LANE_SQDEV) {
            const float d = nb_round_to(v - c, dt);
            t = nb_round_to(d * d, dt);
        }
        lane[j % NB_LANES] = nb_round_to(lane[j % NB_LANES] + t, dt);
    }
    const float a = nb_round_to(nb_round_to(lane[0] + lane[1], dt) + nb_round_to(lane[2] + lane[3], dt), dt);
    const float b = nb_round_to(nb_round_to(lane[4] + lane[5], dt) + nb_round_to(lane[6] + lane[7], dt), dt);
    return nb_round_to(a + b, dt);
}

NB_INLINE void rms_lanes(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    const float eps = kernel_eps(a->eps, dt, 1);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        void *y = (char *)a->y + r * n * es;
        const float mean = nb_round_to(lanes_sum(x, n, dt, LANE_SQUARE, 0) / nb_round_to((float)n, dt), dt);
        const float rs = nb_round_to(1.0f / nb_round_to(sqrtf(nb_round_to(mean + eps, dt)), dt), dt);
        for (size_t i = 0; i < n; i++)
            nb_store(y, i, nb_round_to(nb_load(x, i, dt) * rs, dt) * nb_load(a->g, i, dt), dt);
    }
}

NB_INLINE void ln_lanes(const struct nb_args *a, enum nb_dtype dt)
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    const float eps = kernel_eps(a->eps, dt, 1), fn = nb_round_to((float)n, dt);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        void *y = (char *)a->y + r * n * es;
        const float mean = nb_round_to(lanes_sum(x, n, dt, LANE_VALUE, 0) / fn, dt);
        const float var = nb_round_to(lanes_sum(x, n, dt, LANE_SQDEV, mean) / fn, dt);
        const float rs = nb_round_to(1.0f / nb_round_to(sqrtf(nb_round_to(var + eps, dt)), dt), dt);
        for (size_t i = 0; i < n; i++) {
            const float d = nb_round_to(nb_load(x, i, dt) - mean, dt);
            const float t = nb_round_to(nb_round_to(d * rs, dt) * nb_load(a->g, i, dt), dt);
            nb_store(y, i, t + nb_load(a->b, i, dt), dt);
        }
    }
}

void rmsnorm_lanes_scalar_bf16_nat(const struct nb_args *a) { rms_lanes(a, NB_BF16); }
void rmsnorm_lanes_scalar_f16_nat(const struct nb_args *a) { rms_lanes(a, NB_F16); }
void layernorm_lanes_scalar_bf16_nat(const struct nb_args *a) { ln_lanes(a, NB_BF16); }
void layernorm_lanes_scalar_f16_nat(const struct nb_args *a) { ln_lanes(a, NB_F16); }
