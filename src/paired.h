/* Statistics of paired measurements: two benches timed in the same rounds
 * give one ratio per round, and the median of those ratios, with a 95%
 * interval, is what every normbench ratio reports. */
#ifndef NB_PAIRED_H
#define NB_PAIRED_H

#include <stddef.h>

struct ratio_ci {
    double mid;      /* median of the per-round ratios */
    double lo, hi;   /* 95% interval of that median; NaN with too few rounds */
    size_t n;        /* rounds with a finite ratio */
};

/* The ratios num[i] / den[i] (i < n, non-finite or non-positive pairs
 * skipped): their median and its distribution-free 95% interval (the order
 * statistics x(k), x(n+1-k) with the largest k such that a Binomial(n, 1/2)
 * falls below k with probability <= 2.5%): how well this run knows the
 * ratio. Needs n >= 6 for an interval. -1 when out of memory (out all NaN),
 * else 0. */
int paired_ratio(const double *num, const double *den, size_t n, struct ratio_ci *out);

/* What separate runs of one build still differ by after pairing, on each
 * side: a co-tenant's load that lasts longer than a pass slows one kind of
 * kernel (scalar, port-bound) more than another, which no pairing within
 * the run cancels. Measured with scripts/repro-study.py over three studies
 * of five runs, rounds spread over five passes: within-run intervals
 * covered 73 to 80% of the other runs' estimates, widened by 1% 93 to 94%,
 * by 2% 98% (README "Paired ratios"). run's reported ratios carry it; ab,
 * whose two sides share one run, does not. */
#define PAIRED_RUN_FLOOR 0.02

/* r's interval widened by `floor` (relative) on each side. */
void ratio_ci_widen(struct ratio_ci *r, double floor);

/* The order statistic k (1-based) whose pair x(k), x(n+1-k) covers the
 * median with probability >= 1 - 2 * tail. 0 when n is too small. */
size_t paired_order_k(size_t n, double tail);

/* Two-sided p-value of the Wilcoxon signed-rank test that d (e.g. log
 * ratios) is centred on 0: exact without ties up to 60 values, else the
 * normal approximation with tie correction. Zeros are dropped. NaN when no
 * value is left. */
double wilcoxon_signed_rank_p(const double *d, size_t n);

/* "1.47x [1.44, 1.50]", or "1.47x" without an interval, "n/a" without a
 * value; suffix replaces the "x" (e.g. "" for shares). */
void ratio_ci_format(char *out, size_t len, const struct ratio_ci *r, const char *suffix);

#endif
