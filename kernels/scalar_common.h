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

/* Sums of v, v^2 or (v - c)^2 over v[0..k) in two levels: blocks of
 * NB_SUM_BLOCK values, each summed in eight f32 lanes, and the block totals
 * summed in eight more. A value then passes through at most 32 + k/256
 * roundings instead of k/8, so a row of 8192 sums about as accurately as
 * one of 256 (pairwise summation's idea, kept to two levels so that SIMD
 * kernels can use the same order). */
#define NB_SUM_BLOCK 256

enum sum_term { SUM_VALUE, SUM_SQUARE, SUM_SQDEV };

NB_INLINE float sum_term_of(float t, float c, enum sum_term what)
{
    if (what == SUM_SQUARE)
        return t * t;
    if (what == SUM_SQDEV)
        return (t - c) * (t - c);
    return t;
}

NB_INLINE float sum_two_level(const void *v, size_t k, enum nb_dtype dt, float c, enum sum_term what)
{
    float tot[8] = {0};
    size_t j = 0;
    while (j < k) {
        const size_t end = k - j > NB_SUM_BLOCK ? j + NB_SUM_BLOCK : k;
        float acc[8] = {0};
        for (; j + 8 <= end; j += 8)
            for (int l = 0; l < 8; l++)
                acc[l] += sum_term_of(nb_load(v, j + l, dt), c, what);
        for (int l = 0; j < end; j++, l++)
            acc[l] += sum_term_of(nb_load(v, j, dt), c, what);
        for (int l = 0; l < 8; l++)
            tot[l] += acc[l];
    }
    return ((tot[0] + tot[1]) + (tot[2] + tot[3])) + ((tot[4] + tot[5]) + (tot[6] + tot[7]));
}

NB_INLINE float sum_squares_blocked(const void *v, size_t k, enum nb_dtype dt)
{
    return sum_two_level(v, k, dt, 0.0f, SUM_SQUARE);
}

NB_INLINE float sum_blocked(const void *v, size_t k, enum nb_dtype dt)
{
    return sum_two_level(v, k, dt, 0.0f, SUM_VALUE);
}

/* sum of (v - c)^2: the second pass of a two-pass variance */
NB_INLINE float sum_sqdev_blocked(const void *v, size_t k, float c, enum nb_dtype dt)
{
    return sum_two_level(v, k, dt, c, SUM_SQDEV);
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
