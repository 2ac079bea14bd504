/* Kernels that measure the machine, not a norm: the bandwidth ceilings the
 * roofline share is taken against. They take rows x n f32 values from x
 * (and write y); the sum of the read-only kernel goes to y[0]. */
#ifndef NB_CEILING_H
#define NB_CEILING_H

#include <stdint.h>

#include "kernel.h"

void ceiling_copy_scalar(const struct nb_args *a);
void ceiling_read_scalar(const struct nb_args *a);
/* weak, as the norm kernels (kernels.h): NULL where this build does not
 * compile their ISA, and then not used */
__attribute__((weak)) void ceiling_copy_avx2(const struct nb_args *a);
__attribute__((weak)) void ceiling_copy_nt_avx2(const struct nb_args *a);
__attribute__((weak)) void ceiling_read_avx2(const struct nb_args *a);
__attribute__((weak)) void ceiling_copy_avx512(const struct nb_args *a);
__attribute__((weak)) void ceiling_copy_nt_avx512(const struct nb_args *a);
__attribute__((weak)) void ceiling_read_avx512(const struct nb_args *a);

/* Compute probes: the machine's core clock and vector throughput, which a
 * VM without a PMU cannot count (src/compute.c). add_chain runs iters x 16
 * dependent integer adds of `step`, one core cycle each on every core
 * normbench knows, so its rate is the clock; step comes from the caller so
 * that no compiler can fold the chain. */
uint64_t ceiling_add_chain(size_t iters, uint64_t step);
/* iters x 12 vector multiplies (or multiply-adds) in 12 independent
 * chains: enough in flight to cover a 4-cycle latency on 2 or 3 pipes, so
 * the rate is the throughput. c should be 1 (the values stay finite and
 * normal); the result keeps the chains alive. */
__attribute__((weak)) float ceiling_mul_avx2(size_t iters, float c);
__attribute__((weak)) float ceiling_fma_avx2(size_t iters, float c);
__attribute__((weak)) float ceiling_mul_avx512(size_t iters, float c);
__attribute__((weak)) float ceiling_fma_avx512(size_t iters, float c);

#endif
