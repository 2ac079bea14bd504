/* Prototypes of every registered variant, generated from variants.def. */
#ifndef NB_KERNELS_H
#define NB_KERNELS_H

#include "kernel.h"

#define NB_VARIANT(norm, alg, isa, dt, bound, partner, flags) void norm##_##alg##_##isa##_##dt(const struct nb_args *a);
#include "variants.def"
#undef NB_VARIANT

#endif
