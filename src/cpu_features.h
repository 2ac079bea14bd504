/* What this CPU and OS let normbench run, detected once at start-up. */
#ifndef NB_CPU_FEATURES_H
#define NB_CPU_FEATURES_H

#include <stddef.h>

enum nb_cpu_feature {
    NB_CPU_AVX2 = 1u << 0,
    NB_CPU_FMA = 1u << 1,
    NB_CPU_F16C = 1u << 2,
    NB_CPU_AVX512F = 1u << 3,
    NB_CPU_AVX512BW = 1u << 4,
    NB_CPU_AVX512VL = 1u << 5,
    NB_CPU_AVX512_BF16 = 1u << 6,
    NB_CPU_OS_YMM = 1u << 7,  /* XCR0 has the AVX state enabled */
    NB_CPU_OS_ZMM = 1u << 8,  /* XCR0 has the opmask and ZMM states enabled */
    /* aarch64, from getauxval */
    NB_CPU_ASIMD = 1u << 9,    /* NEON (HWCAP_ASIMD) */
    NB_CPU_ASIMDHP = 1u << 10, /* fp16 arithmetic in NEON, ARMv8.2-A FP16 (HWCAP_ASIMDHP) */
    NB_CPU_SVE = 1u << 11,     /* HWCAP_SVE */
    NB_CPU_BF16 = 1u << 12,    /* HWCAP2_BF16 */
    NB_CPU_AVX512_FP16 = 1u << 13, /* fp16 arithmetic (Sapphire Rapids and later) */
};

/* Everything that needs the ZMM state, and what NORMBENCH_DISABLE=avx512 switches off */
#define NB_CPU_AVX512_ALL (NB_CPU_AVX512F | NB_CPU_AVX512BW | NB_CPU_AVX512VL | NB_CPU_AVX512_BF16 | NB_CPU_AVX512_FP16)

struct nb_cpu {
    unsigned features;      /* what is usable: CPUID bits with the OS state */
    unsigned disabled;      /* what NORMBENCH_DISABLE switched off */
    int under_valgrind;     /* valgrind's emulated CPU has no AVX-512 */
    const char *emulated;   /* NULL, or why this looks like a user-mode emulator (qemu-user) */
};

/* Detects once; later calls return the same answer. */
const struct nb_cpu *cpu_detect(void);

/* Lowercase name of one feature bit ("avx512f"). */
const char *cpu_feature_name(unsigned bit);

/* The names of every bit set in features, each after a space, into out
 * (cut to len); walks the name table, so a new bit needs no other list. */
void cpu_features_format(unsigned features, char *out, size_t len);

#endif
