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

/* compare's policy for two separate runs, beyond one row's test:
 *
 * Drift: runs on a shared machine drift as a whole, tier by tier. From the
 * matched rows' log changes of one tier (at least 20 of them, else no
 * filter: returns -1), their median and robust spread (1.4826 MAD). */
struct gate_drift {
    double mid, sd;
};
int gate_drift_estimate(double *log_changes, size_t k, struct gate_drift *out);
/* A slower or faster verdict whose log change lies within z robust spreads
 * of the tier's drift becomes noisy ("within the run-to-run drift"). */
void gate_apply_drift(struct gate_result *g, const struct gate_drift *d, double z);
/* Isolation: a code change slows a kernel at every shape; a burst on a
 * shared machine hits one row. A slower (faster) verdict becomes noisy
 * unless at least two thirds of the variant's decided rows are slower
 * (faster). */
void gate_apply_isolation(struct gate_result *g, size_t variant_rows, size_t variant_slow, size_t variant_fast);
/* Instruction counts are deterministic: the change alone decides. */
enum verdict gate_instructions(double base, double cur, double threshold, double *change);

const char *verdict_name(enum verdict v);

#endif
