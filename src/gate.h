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

/* The paired verdict of ab: base[i] and cur[i] were timed in the same
 * round i. The change is the median of cur[i] / base[i] minus 1, with its
 * 95% interval (lo, hi, as ratios); p is the two-sided Wilcoxon
 * signed-rank test of the log ratios. A row is slower (faster) only when
 * the change exceeds the threshold AND p < alpha / tests: `tests` rows are
 * decided at once, and the Bonferroni division keeps the chance of any
 * false alarm among them near alpha. Noisy: fewer than min_samples rounds,
 * or an interval wider than twice the threshold. */
struct paired_verdict {
    enum verdict verdict;
    double change, lo, hi, p_value;
    const char *why;
};
void gate_paired(const double *base, const double *cur, size_t n, const struct gate_params *p, size_t tests,
                 struct paired_verdict *out);

const char *verdict_name(enum verdict v);

#endif
