/* The machine's compute, measured as the bandwidth ceilings are: the core
 * clock (a chain of dependent adds, one cycle each), the vector multiply
 * and multiply-add throughput per ISA in those cycles, and what running on
 * a second PU at once does to the first. A VM has no PMU to count cycles;
 * these rates let a kernel's count of operations per element be turned
 * into the bound it puts on GB/s. */
#ifndef NB_COMPUTE_H
#define NB_COMPUTE_H

#include <stddef.h>

struct vector_rate {
    const char *isa;       /* "avx2", "avx512" */
    int lanes;             /* f32 lanes per vector */
    double mul_per_cycle;  /* vector multiplies per core cycle */
    double fma_per_cycle;  /* vector multiply-adds per core cycle */
};

struct compute_rates {
    double core_ghz;                 /* median of the samples; NaN if not measured */
    double core_ghz_lo, core_ghz_hi; /* the samples' range */
    struct vector_rate vec[2];
    size_t nvec;
    int pair_cpu;                    /* the CPU busy in the pair test, -1: none */
    double pair_ratio;               /* this CPU's clock with pair_cpu busy over alone */
    double pair_other_ghz;           /* pair_cpu's own clock meanwhile */
};

/* Measures on the calling thread's CPU (the caller binds it), `samples`
 * samples of about 10 ms each; with pair_cpu >= 0 it also measures while a
 * thread bound to pair_cpu runs the same chain. Returns 0, or -1 with the
 * reason in err (the second thread could not start: pair_ratio is NaN). */
int compute_measure(struct compute_rates *r, int samples, int pair_cpu, char *err, size_t errlen);

/* The clock alone on the calling thread's CPU: the median of `samples`
 * samples of about 10 ms (run records it before and after its rounds, so
 * that a ratio of a compute-bound and a memory-bound kernel can be read
 * against how fast the core ran). */
double compute_core_ghz(int samples);

#endif
