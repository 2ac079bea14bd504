/* LayerNorm bf16-up with AVX512_BF16: the AVX-512 schedules of
 * layernorm_avx512.h with each rounding to bf16 one vcvtneps2bf16 instead
 * of eight (simd_avx512.h). The sums widen bf16 as the
 * AVX-512 kernels do: vdpbf16ps would form the sum of x, but the squared
 * deviations need f32 differences, so twopass gains only in the store.
 * Outputs equal layernorm/twopass/avx512/bf16-up's except where that one
 * keeps a subnormal. */
#include "layernorm_avx512.h"

void layernorm_twopass_avx512bf16_bf16_up(const struct nb_args *a) { ln_twopass_avx512(a, NB_BF16); }
void layernorm_pipelined_avx512bf16_bf16_up(const struct nb_args *a) { ln_pipelined_avx512(a, NB_BF16); }
void layernorm_pipelined2_avx512bf16_bf16_up(const struct nb_args *a) { ln_pipelined2_avx512(a, NB_BF16); }
void layernorm_blocked_avx512bf16_bf16_up(const struct nb_args *a) { ln_blocked_avx512(a, NB_BF16); }
