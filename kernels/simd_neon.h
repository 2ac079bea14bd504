/* NEON helpers shared by the aarch64 kernel files: four f32 lanes loaded
 * from and stored to any storage type, and the row sums in two levels
 * (blocks of NB_SUM_BLOCK values in sixteen lanes, four vectors, then the
 * block totals one after another), the order every NEON variant uses. */
#ifndef NB_SIMD_NEON_H
#define NB_SIMD_NEON_H

#include <arm_neon.h>

#include "scalar_common.h"

NB_INLINE float32x4_t load4(const void *p, size_t i, enum nb_dtype dt)
{
    switch (dt) {
    case NB_BF16: return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16((const uint16_t *)p + i), 16));
    case NB_F16: return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t *)p + i)));
    default: return vld1q_f32((const float *)p + i);
    }
}

/* f32 to bf16, round to nearest even; NaN stays NaN (quietened), as
 * kernel.h's nb_f32_to_bf16 */
NB_INLINE uint16x4_t f32_to_bf16x4(float32x4_t v)
{
    const uint32x4_t u = vreinterpretq_u32_f32(v);
    const uint32x4_t odd = vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(1));
    const uint32x4_t rounded = vshrq_n_u32(vaddq_u32(u, vaddq_u32(vdupq_n_u32(0x7fff), odd)), 16);
    const uint32x4_t quiet = vorrq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(0x40));
    const uint32x4_t is_nan = vmvnq_u32(vceqq_f32(v, v));
    return vmovn_u32(vbslq_u32(is_nan, quiet, rounded));
}

NB_INLINE void store4(void *p, size_t i, float32x4_t v, enum nb_dtype dt)
{
    switch (dt) {
    case NB_BF16: vst1_u16((uint16_t *)p + i, f32_to_bf16x4(v)); break;
    /* FPCR's default rounding: to nearest even, with subnormals and overflow */
    case NB_F16: vst1_u16((uint16_t *)p + i, vreinterpret_u16_f16(vcvt_f16_f32(v))); break;
    default: vst1q_f32((float *)p + i, v); break;
    }
}

/* The sum of t(j) over j < k, t(j) a float32x4_t of the four values from
 * 4j', in two levels; the tail (k % 4 values) one after another into the
 * last block's total. TERM(j) is evaluated for j a multiple of 4,
 * SCALAR(j) for the tail. */
#define NEON_SUM(k, TERM, SCALAR, out)                                                      \
    do {                                                                                  \
        float tot_ = 0.0f;                                                                \
        size_t j_ = 0;                                                                    \
        while (j_ + 4 <= (k)) {                                                           \
            const size_t end_ = (k) - j_ > NB_SUM_BLOCK ? j_ + NB_SUM_BLOCK : (k) / 4 * 4; \
            float32x4_t a0_ = vdupq_n_f32(0), a1_ = a0_, a2_ = a0_, a3_ = a0_;            \
            for (; j_ + 16 <= end_; j_ += 16) {                                           \
                a0_ = vaddq_f32(a0_, TERM(j_));                                           \
                a1_ = vaddq_f32(a1_, TERM(j_ + 4));                                       \
                a2_ = vaddq_f32(a2_, TERM(j_ + 8));                                       \
                a3_ = vaddq_f32(a3_, TERM(j_ + 12));                                      \
            }                                                                             \
            for (; j_ < end_; j_ += 4)                                                    \
                a0_ = vaddq_f32(a0_, TERM(j_));                                           \
            tot_ += vaddvq_f32(vaddq_f32(vaddq_f32(a0_, a1_), vaddq_f32(a2_, a3_)));      \
        }                                                                                 \
        for (; j_ < (k); j_++)                                                            \
            tot_ += SCALAR(j_);                                                           \
        (out) = tot_;                                                                     \
    } while (0)

#endif
