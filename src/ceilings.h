/* The machine's own bandwidth ceilings: the best copy normbench can do
 * (several implementations, the fastest wins: on some CPUs 256-bit copies
 * beat 512-bit ones), a non-temporal copy, and a read-only reduction. */
#ifndef NB_CEILINGS_H
#define NB_CEILINGS_H

#include <stddef.h>

#include "measure.h"
#include "topology.h"

struct ceiling {
    int measured;
    size_t bytes;          /* footprint: x and y */
    double copy_gbs;       /* best of the regular-store copies */
    const char *copy_by;   /* which copy that was */
    double copy_nt_gbs;    /* streaming stores; NaN where unavailable */
    const char *copy_nt_by;
    double read_gbs;       /* the best read-only reduction */
    const char *read_by;
    /* every copy the CPU has, fastest first (in DRAM the non-temporal
     * ones too, and in L3 where one of them is the fastest copy at the
     * tier's footprint): the rounds time them all and take each round's fastest,
     * so which copy wins at a shape's footprint cannot change the
     * ceiling from run to run */
    nb_kernel_fn round_fns[5];
    const char *round_names[5];
    size_t nround_fns;
};

/* Fills c's round copies from the copies fns and their GB/s at the tier's
 * footprint, each in the order avx512, avx2, memcpy, avx512 non-temporal,
 * avx2 non-temporal (NaN: not on this CPU). */
void ceiling_order_round_copies(struct ceiling *c, enum nb_tier tier, const nb_kernel_fn fns[5], const double each[5]);

/* Measures the ceilings at the tier's target footprint with cfg's timing
 * discipline (one thread). */
void ceiling_measure(struct ceiling *c, const struct nb_topology *t, enum nb_tier tier,
                     const struct measure_config *cfg);

/* The footprint above which autont kernels stream their stores
 * (nb_args.nt_threshold_bytes): the last-level cache shared by `threads`
 * concurrent calls, or 0 (never) where this run measured the DRAM
 * ceilings and the non-temporal copy lost to the normal one (dram NULL or
 * not measured, as in ab: the cache alone decides). `why` gets the
 * reason, for meta.csv (NULL with why_len 0: not wanted). */
size_t ceiling_nt_threshold(const struct ceiling *dram, size_t llc_bytes, unsigned threads, char *why,
                            size_t why_len);

/* meta.csv's nt_threshold: ceiling_nt_threshold's reason for one thread,
 * and that a threshold is divided among the threads of rows of several
 * (several_threads non-zero) */
void ceiling_nt_threshold_note(const struct ceiling *dram, size_t llc_bytes, int several_threads, char *why,
                               size_t why_len);

/* Cold must really be cold: the time of reading `bytes` after the cold
 * mode's flush over the time of reading them hot (median of reps each). A
 * ratio well above 1 shows the flush reaches memory. NaN on failure. */
double ceiling_cold_check(size_t bytes, const struct measure_config *cfg);

#endif
