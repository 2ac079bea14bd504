/* Deterministic counts of kernel calls: PAPI_TOT_INS where the machine
 * counts it, else valgrind's callgrind with client requests around the
 * kernel calls only (setup, data and the reference are not counted). With
 * its cache simulation (run --count lines) callgrind also counts the lines
 * each call brings into an L1d and an L2 of this machine's geometry: LRU,
 * write-allocate, no prefetcher, so a count of the schedule's reuse, not of
 * what the hardware's prefetchers hide. */
#ifndef NB_INSTR_COUNT_H
#define NB_INSTR_COUNT_H

#include "../kernels/kernel.h"

/* per call; NaN where not counted */
struct callgrind_counts {
    double instructions;
    double l1_lines; /* 64-byte lines (the machine's line size) missed in the simulated L1d: reads and writes */
    double l2_lines; /* the same in the simulated L2 (callgrind's last level) */
};

/* Under callgrind: counts per call of fn over calls calls, after one
 * uncounted warm-up call. 0, or -1 (and why) if the dump could not be read. */
int instr_count_callgrind(nb_kernel_fn fn, const struct nb_args *args, int calls, struct callgrind_counts *out,
                          char *why, size_t whylen);

/* Re-runs this process's command under valgrind --tool=callgrind (with
 * lines, its cache simulation sized to this machine's L1d and L2) and
 * returns its exit status (3 when valgrind cannot be started or the
 * caches cannot be simulated). */
int instr_count_reexec(int argc, char **argv, int lines);

int instr_count_under_valgrind(void);

/* The simulated caches, as the parent process described them for
 * meta.csv ("L1d 48 KiB 12-way, L2 1024 KiB 16-way, 64-byte lines"), or
 * NULL when this process does not simulate them. */
const char *instr_count_cache_model(void);

#endif
