/* Kernels that measure the machine, not a norm: the bandwidth ceilings the
 * roofline share is taken against. They take rows x n f32 values from x
 * (and write y); the sum of the read-only kernel goes to y[0]. */
#ifndef NB_CEILING_H
#define NB_CEILING_H

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

#endif
