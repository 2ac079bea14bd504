/* The exported table of a kernel library: variants.def expanded once more,
 * for the ISAs whose code the library holds (the MPFR references and the
 * external libraries belong to the harness). Built only into
 * build/libnormbench-kernels.so. */
#include "git-rev.h"
#include "kernels.h"
#include "library.h"

/* every variant: those whose code the library does not hold (the MPFR
 * references and external libraries belong to the harness; ISAs this
 * architecture does not compile) link as NULL, and a loader skips them */
#define NB_VARIANT(norm, alg, isa, dt, bound, partner, flags) {#norm "/" #alg "/" #isa "/" #dt, norm##_##alg##_##isa##_##dt},
static const struct nb_library_entry entries[] = {
#include "variants.def"
};
#undef NB_VARIANT

__attribute__((visibility("default"))) const struct nb_kernel_library nb_kernel_library = {
    NB_KERNEL_LIBRARY_MAGIC, NB_KERNEL_ABI, sizeof entries / sizeof entries[0], entries, NB_GIT_REV,
};
