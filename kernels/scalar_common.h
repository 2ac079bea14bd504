/* Helpers shared by the portable (scalar) kernel files. */
#ifndef NB_SCALAR_COMMON_H
#define NB_SCALAR_COMMON_H

#include "kernel.h"

#define NB_INLINE static inline __attribute__((always_inline))

/* Round an intermediate result: identity when computing in f32 (f32 data or
 * `up`), rounding to the storage type in `nat` mode. */
NB_INLINE float nat_round(float v, enum nb_dtype dt, int nat)
{
    return nat ? nb_round_to(v, dt) : v;
}

/* eps as the kernel sees it: the f32 nearest the double for f32 and `up`
 * compute, the storage type's nearest for `nat` (where 1e-8 becomes 0 in
 * f16). A double is first narrowed to f32 with round-to-odd so that the
 * second rounding to bf16/f16 cannot be a harmful double rounding. */
NB_INLINE float kernel_eps(double eps, enum nb_dtype dt, int nat)
{
    if (!nat)
        return (float)eps;
    float f = (float)eps;
    if ((double)f != eps && isfinite(f)) {
        uint32_t u = nb_f32_bits(f);
        /* round toward zero, then set the sticky last bit */
        if (fabs((double)f) > fabs(eps))
            u--;
        u |= 1u;
        f = nb_bits_f32(u);
    }
    return nb_round_to(f, dt);
}

/* Sum of squares of v[0..k) with eight independent f32 accumulators: the
 * blocked order SIMD kernels use, which keeps the error growth near
 * sqrt(k/8) instead of k. */
NB_INLINE float sum_squares_blocked(const void *v, size_t k, enum nb_dtype dt)
{
    float acc[8] = {0};
    size_t j = 0;
    for (; j + 8 <= k; j += 8)
        for (int l = 0; l < 8; l++) {
            float t = nb_load(v, j + l, dt);
            acc[l] += t * t;
        }
    for (int l = 0; j < k; j++, l++) {
        float t = nb_load(v, j, dt);
        acc[l] += t * t;
    }
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

NB_INLINE float sum_blocked(const void *v, size_t k, enum nb_dtype dt)
{
    float acc[8] = {0};
    size_t j = 0;
    for (; j + 8 <= k; j += 8)
        for (int l = 0; l < 8; l++)
            acc[l] += nb_load(v, j + l, dt);
    for (int l = 0; j < k; j++, l++)
        acc[l] += nb_load(v, j, dt);
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* Pairwise summation, as PyTorch's cascade sum: error growth log2(k)
 * instead of k. The naive (eager) variants reduce their temporaries with it. */
static inline float pairwise_sum_f32(const float *v, size_t k)
{
    if (k <= 16) {
        float s = 0.0f;
        for (size_t j = 0; j < k; j++)
            s += v[j];
        return s;
    }
    size_t h = k / 2;
    return pairwise_sum_f32(v, h) + pairwise_sum_f32(v + h, k - h);
}

/* Workspace regions start on 64-byte boundaries: a 2-byte temporary of odd
 * length must not misalign the f32 vector placed after it. */
NB_INLINE char *align64(char *p)
{
    return (char *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
}

/* Defines the five dtype/mode entry points of one portable algorithm:
 * NAME_f32, NAME_bf16_up, NAME_f16_up, NAME_bf16_nat, NAME_f16_nat, each
 * calling IMPL(args, dtype, nat, extra...). */
#define NB_SCALAR_ENTRY_POINTS(NAME, IMPL, ...)                                              \
    void NAME##_f32(const struct nb_args *a) { IMPL(a, NB_F32, 0, __VA_ARGS__); }           \
    void NAME##_bf16_up(const struct nb_args *a) { IMPL(a, NB_BF16, 0, __VA_ARGS__); }      \
    void NAME##_f16_up(const struct nb_args *a) { IMPL(a, NB_F16, 0, __VA_ARGS__); }        \
    void NAME##_bf16_nat(const struct nb_args *a) { IMPL(a, NB_BF16, 1, __VA_ARGS__); }     \
    void NAME##_f16_nat(const struct nb_args *a) { IMPL(a, NB_F16, 1, __VA_ARGS__); }

#endif
