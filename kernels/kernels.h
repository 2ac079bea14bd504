/* Prototypes of every registered variant, generated from variants.def.
 * Weak: a variant whose ISA this build does not compile (isa.def's arch)
 * links as NULL and is listed as not built; the tests check that every
 * variant this architecture compiles has its code. */
#ifndef NB_KERNELS_H
#define NB_KERNELS_H

#include "kernel.h"

#define NB_VARIANT(norm, alg, isa, dt, bound, partner, flags) \
    __attribute__((weak)) void norm##_##alg##_##isa##_##dt(const struct nb_args *a);
#include "variants.def"
#undef NB_VARIANT

#endif
