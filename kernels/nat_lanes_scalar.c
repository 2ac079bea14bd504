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

/* fma(a, b, c) rounded once to dt, as a hardware fused multiply-add in the
 * storage type rounds. a b is exact in f32 (two 11-bit significands); a b + c
 * is rounded to f32 to odd (TwoSum gives the rounded sum and its exact error;
 * an inexact sum keeps the neighbour whose last bit is 1), then to dt. A
 * plain f32 fma would round to nearest twice, and a sum that lands on a
 * midpoint of dt's grid would then tie the wrong way; round-to-odd at 24
 * bits, at least two more than dt's, makes the two roundings one. */
NB_INLINE float fma_round_to(float a, float b, float c, enum nb_dtype dt)
{
    const float p = a * b;
    float s = p + c;
    if (isfinite(s)) {
        const float bv = s - p, e = (p - (s - bv)) + (c - bv);
        if (e != 0.0f && !(nb_f32_bits(s) & 1u))
            s = nextafterf(s, e > 0.0f ? INFINITY : -INFINITY);
    }
    return nb_round_to(s, dt);
}

/* The sum of squares as a hardware fp16 unit with eight lanes forms it
 * (rmsnorm_neonfp16.c, rmsnorm_avx512fp16.c): lane l accumulates x_j^2 for
 * j = l, l + 8, ... below the last full group of eight by fused
 * multiply-adds, the lanes are added as ((l0 + l4) + (l1 + l5)) + ((l2 + l6)
 * + (l3 + l7)), and the tail is fused into that total one term at a time. */
NB_INLINE float fma_lanes_sum_squares(const void *x, size_t n, enum nb_dtype dt)
{
    float lane[NB_LANES] = {0};
    const size_t body = n - n % NB_LANES;
    for (size_t j = 0; j < body; j++) {
        const float v = nb_load(x, j, dt);
        lane[j % NB_LANES] = fma_round_to(v, v, lane[j % NB_LANES], dt);
    }
    float half[4];
    for (int l = 0; l < 4; l++)
        half[l] = nb_round_to(lane[l] + lane[l + 4], dt);
    float t = nb_round_to(nb_round_to(half[0] + half[1], dt) + nb_round_to(half[2] + half[3], dt), dt);
    for (size_t j = body; j < n; j++) {
        const float v = nb_load(x, j, dt);
        t = fma_round_to(v, v, t, dt);
    }
    return t;
}

NB_INLINE float lanes_sum_squares(const void *x, size_t n, enum nb_dtype dt)
{
    return lanes_sum(x, n, dt, LANE_SQUARE, 0);
}

/* nat RMSNorm around a sum of squares in one of the two lane orders */
NB_INLINE void rms_nat(const struct nb_args *a, enum nb_dtype dt, float (*sum_squares)(const void *, size_t, enum nb_dtype))
{
    const size_t n = a->n, es = nb_dtype_size(dt);
    const float eps = kernel_eps(a->eps, dt, 1), fn = nb_round_to((float)n, dt);
    for (size_t r = 0; r < a->rows; r++) {
        const void *x = (const char *)a->x + r * n * es;
        void *y = (char *)a->y + r * n * es;
        const float mean = nb_round_to(sum_squares(x, n, dt) / fn, dt);
        const float rs = nb_round_to(1.0f / nb_round_to(sqrtf(nb_round_to(mean + eps, dt)), dt), dt);
        for (size_t i = 0; i < n; i++)
            nb_store(y, i, nb_round_to(nb_load(x, i, dt) * rs, dt) * nb_load(a->g, i, dt), dt);
    }
}

void rmsnorm_lanes_scalar_bf16_nat(const struct nb_args *a) { rms_nat(a, NB_BF16, lanes_sum_squares); }
void rmsnorm_lanes_scalar_f16_nat(const struct nb_args *a) { rms_nat(a, NB_F16, lanes_sum_squares); }
void layernorm_lanes_scalar_bf16_nat(const struct nb_args *a) { ln_lanes(a, NB_BF16); }
void layernorm_lanes_scalar_f16_nat(const struct nb_args *a) { ln_lanes(a, NB_F16); }
void rmsnorm_fmalanes_scalar_f16_nat(const struct nb_args *a) { rms_nat(a, NB_F16, fma_lanes_sum_squares); }
