/* LayerNorm with AVX-512 intrinsics: the schedules of layernorm_avx512.h
 * for f32, bf16-up and f16-up. */
#include "layernorm_avx512.h"

/* as layernorm/autont/avx2: non-temporal stores above the engine's
 * footprint threshold, twopass while x, g and b (12 n bytes) fit L1,
 * blocked beyond */
void layernorm_autont_avx512_f32(const struct nb_args *a)
{
    const int nt = a->nt_threshold_bytes && a->rows * a->n * 2 * sizeof(float) > a->nt_threshold_bytes;
    if (a->l1_bytes && 3 * a->n * sizeof(float) > a->l1_bytes)
        ln_blocked_avx512_nt(a, NB_F32, nt);
    else
        ln_twopass_avx512_nt(a, NB_F32, nt);
}

void layernorm_twopass_avx512_f32(const struct nb_args *a) { ln_twopass_avx512(a, NB_F32); }
void layernorm_twopass_avx512_bf16_up(const struct nb_args *a) { ln_twopass_avx512(a, NB_BF16); }
void layernorm_twopass_avx512_f16_up(const struct nb_args *a) { ln_twopass_avx512(a, NB_F16); }
void layernorm_welford_avx512_f32(const struct nb_args *a) { ln_welford_avx512(a, NB_F32); }
void layernorm_welford_avx512_bf16_up(const struct nb_args *a) { ln_welford_avx512(a, NB_BF16); }
void layernorm_welford_avx512_f16_up(const struct nb_args *a) { ln_welford_avx512(a, NB_F16); }
void layernorm_pipelined_avx512_f32(const struct nb_args *a) { ln_pipelined_avx512(a, NB_F32); }
void layernorm_pipelined_avx512_bf16_up(const struct nb_args *a) { ln_pipelined_avx512(a, NB_BF16); }
void layernorm_pipelined_avx512_f16_up(const struct nb_args *a) { ln_pipelined_avx512(a, NB_F16); }
void layernorm_blocked_avx512_f32(const struct nb_args *a) { ln_blocked_avx512(a, NB_F32); }
void layernorm_blockednt_avx512_f32(const struct nb_args *a) { ln_blocked_avx512_nt(a, NB_F32, 1); }
void layernorm_blocked_avx512_bf16_up(const struct nb_args *a) { ln_blocked_avx512(a, NB_BF16); }
void layernorm_blocked_avx512_f16_up(const struct nb_args *a) { ln_blocked_avx512(a, NB_F16); }
void layernorm_pipelined2_avx512_f32(const struct nb_args *a) { ln_pipelined2_avx512(a, NB_F32); }
void layernorm_pipelined2_avx512_bf16_up(const struct nb_args *a) { ln_pipelined2_avx512(a, NB_BF16); }
void layernorm_pipelined2_avx512_f16_up(const struct nb_args *a) { ln_pipelined2_avx512(a, NB_F16); }
