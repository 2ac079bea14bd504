/* The regression verdict between two sets of per-repetition samples. */
#ifndef NB_GATE_H
#define NB_GATE_H

#include <stddef.h>

enum verdict { VERDICT_SAME, VERDICT_FASTER, VERDICT_SLOWER, VERDICT_NOISY };

struct gate_params {
    double threshold;   /* relative change that matters (0.05) */
    double alpha;       /* significance of the U test (0.05) */
    double cv_cap;      /* a side whose robust CV (1.4826 MAD / median) is above this is too noisy to tell a change under 3 of them (0.10) */
    size_t min_samples; /* fewer repetitions than this on a side: noisy (5) */
};

struct gate_result {
    enum verdict verdict;
    double base_median, new_median;
    double change;      /* new / base - 1 */
    double p_value;     /* two-sided Mann-Whitney U; NaN when not computed */
    double base_cv, new_cv;
    const char *why;    /* for noisy: which condition */
};

/* Two-sided p-value of the Mann-Whitney U test (normal approximation with
 * continuity and tie corrections). */
double mann_whitney_p(const double *a, size_t na, const double *b, size_t nb);

/* A row regresses only when it is slower by more than the threshold AND the
 * U test says the two sample sets differ at alpha. */
void gate_compare(const double *base, size_t nbase, const double *cur, size_t ncur, const struct gate_params *p,
                  struct gate_result *out);

const char *verdict_name(enum verdict v);

#endif
