/* Deterministic instruction counts of kernel calls: PAPI_TOT_INS where the
 * machine counts it, else valgrind's callgrind with client requests around
 * the kernel calls only (setup, data and the reference are not counted). */
#ifndef NB_INSTR_COUNT_H
#define NB_INSTR_COUNT_H

#include "../kernels/kernel.h"

/* Under callgrind: instructions per call of fn over calls calls, after one
 * uncounted warm-up call; NaN (and why) if the count could not be read. */
double instr_count_callgrind(nb_kernel_fn fn, const struct nb_args *args, int calls, char *why, size_t whylen);

/* Re-runs this process's command under valgrind --tool=callgrind and
 * returns its exit status (3 when valgrind cannot be started). */
int instr_count_reexec(int argc, char **argv);

int instr_count_under_valgrind(void);

#endif
