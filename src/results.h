/* The rows a run produces and the CSV files they are written to
 * (SPEC.md section 7). The column lists are the stable interface. */
#ifndef NB_RESULTS_H
#define NB_RESULTS_H

#include <stddef.h>

#include "accuracy.h"
#include "counters.h"
#include "datagen.h"
#include "paired.h"
#include "registry.h"
#include "stats.h"
#include "topology.h"

struct perf_row {
    const struct nb_variant *v;
    size_t rows, n, threads;
    double eps;
    int cold;
    enum nb_tier tier;
    size_t reps, calls;
    struct stats time;         /* ns per call of the kernel over the tensor */
    double bytes;              /* x read + y written (+ residual), g and b once */
    double bandwidth_gbs, ceiling_gbs, roofline_share;
    double speedup_vs_naive;   /* NaN when no naive of the same norm and dtype ran */
    double speedup_rms_vs_ln;  /* rmsnorm rows: layernorm's time over this one's */
    double tsc_per_elem;
    double instructions_per_call; /* run --count instructions; NaN otherwise */
    double l1_lines_per_call, l2_lines_per_call; /* run --count lines; NaN otherwise */
    double events_per_call[NB_MAX_EVENTS]; /* NaN = not counted */
    char note[400];
    double *samples;           /* ns per call, one per repetition (round) */
    size_t nsamples;
    /* the paired ratios behind roofline_share, speedup_vs_naive and
     * speedup_rms_vs_ln, with their 95% intervals */
    struct ratio_ci share_ci, naive_ci, rms_ln_ci;
    size_t round_group;        /* rows of one group were timed in the same rounds */
    size_t side;               /* ab: 0 base, 1 new; run: 0 */
    double p;                  /* prmsnorm's percentage (written for prmsnorm rows) */
    const char *schedule;      /* interleaved or sequential */
};

struct accuracy_row {
    const struct nb_variant *v;
    size_t rows, n, rows_checked;
    double eps;
    struct nb_distribution dist;
    struct accuracy_summary s;
    double p;            /* prmsnorm's percentage */
    int repeat;          /* the same shape at another thread count: written once */
};

struct meta_entry {
    char key[64];
    char value[1024];
};

extern const char *const perf_columns[];
extern const char *const samples_columns[];
extern const char *const accuracy_columns[];

/* Each returns 0 or 3 (err says why); the file appears complete or not at all. */
int write_perf_csv(const char *path, const struct perf_row *rows, size_t count, const struct counters *c,
                   char *err, size_t errlen);
int write_samples_csv(const char *path, const struct perf_row *rows, size_t count, char *err, size_t errlen);
int write_accuracy_csv(const char *path, const struct accuracy_row *rows, size_t count, char *err, size_t errlen);
int write_meta_csv(const char *path, const struct meta_entry *entries, size_t count, char *err, size_t errlen);

/* "%.17g" shortened to the fewest digits that read back the same. */
void format_double(char *out, size_t len, double v);

#endif
