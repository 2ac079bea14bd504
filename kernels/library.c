/* The exported table of a kernel library: variants.def expanded once more,
 * for the ISAs whose code the library holds (the MPFR references and the
 * external libraries belong to the harness). Built only into
 * build/libnormbench-kernels.so. */
#include "git-rev.h"
#include "kernels.h"
#include "library.h"

#define NB_ENTRY(norm, alg, isa, dt) {#norm "/" #alg "/" #isa "/" #dt, norm##_##alg##_##isa##_##dt},
#define NB_LIB_scalar(norm, alg, isa, dt) NB_ENTRY(norm, alg, isa, dt)
#if defined(__x86_64__) && !defined(NB_NO_X86_KERNELS)
#define NB_LIB_avx2(norm, alg, isa, dt) NB_ENTRY(norm, alg, isa, dt)
#define NB_LIB_avx512(norm, alg, isa, dt) NB_ENTRY(norm, alg, isa, dt)
#define NB_LIB_avx512bf16(norm, alg, isa, dt) NB_ENTRY(norm, alg, isa, dt)
#else
#define NB_LIB_avx2(norm, alg, isa, dt)
#define NB_LIB_avx512(norm, alg, isa, dt)
#define NB_LIB_avx512bf16(norm, alg, isa, dt)
#endif
#define NB_LIB_mpfr(norm, alg, isa, dt)
#define NB_LIB_ext(norm, alg, isa, dt)

#define NB_VARIANT(norm, alg, isa, dt, bound, partner, flags) NB_LIB_##isa(norm, alg, isa, dt)
static const struct nb_library_entry entries[] = {
#include "variants.def"
};
#undef NB_VARIANT

__attribute__((visibility("default"))) const struct nb_kernel_library nb_kernel_library = {
    NB_KERNEL_LIBRARY_MAGIC, NB_KERNEL_ABI, sizeof entries / sizeof entries[0], entries, NB_GIT_REV,
};
