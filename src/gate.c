#include "gate.h"

#include <math.h>
#include <stdlib.h>

#include "paired.h"
#include "stats.h"

struct ranked {
    double v;
    int side;
};

static int cmp_ranked(const void *x, const void *y)
{
    double a = ((const struct ranked *)x)->v, b = ((const struct ranked *)y)->v;
    return (a > b) - (a < b);
}

double mann_whitney_p(const double *a, size_t na, const double *b, size_t nb)
{
    size_t n = na + nb;
    if (na == 0 || nb == 0)
        return NAN;
    struct ranked *r = malloc(n * sizeof *r);
    if (!r)
        return NAN;
    for (size_t i = 0; i < na; i++)
        r[i] = (struct ranked){a[i], 0};
    for (size_t i = 0; i < nb; i++)
        r[na + i] = (struct ranked){b[i], 1};
    qsort(r, n, sizeof *r, cmp_ranked);
    double rank_sum_a = 0, tie_term = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && r[j].v == r[i].v)
            j++;
        double avg = (double)(i + j + 1) / 2.0; /* ranks i+1 .. j */
        double t = (double)(j - i);
        tie_term += t * t * t - t;
        for (size_t k = i; k < j; k++)
            if (r[k].side == 0)
                rank_sum_a += avg;
        i = j;
    }
    free(r);
    double u = rank_sum_a - (double)na * (double)(na + 1) / 2.0;
    double mu = (double)na * (double)nb / 2.0;
    double var = (double)na * (double)nb / 12.0 * (((double)n + 1) - tie_term / ((double)n * (double)(n - 1)));
    if (var <= 0)
        return 1.0; /* every value equal */
    double z = (fabs(u - mu) - 0.5) / sqrt(var);
    if (z < 0)
        z = 0;
    return erfc(z / sqrt(2.0));
}

void gate_compare(const double *base, size_t nbase, const double *cur, size_t ncur, const struct gate_params *p,
                  struct gate_result *out)
{
    struct stats sb, sn;
    stats_compute(base, nbase, &sb);
    stats_compute(cur, ncur, &sn);
    out->base_median = sb.median;
    out->new_median = sn.median;
    out->change = sn.median / sb.median - 1;
    out->base_cv = sb.cv;
    out->new_cv = sn.cv;
    out->p_value = NAN;
    out->why = "";
    if (nbase < p->min_samples || ncur < p->min_samples) {
        out->verdict = VERDICT_NOISY;
        out->why = "too few repetitions";
        return;
    }
    /* the spread that decides "noisy" is robust (1.4826 MAD / median, the
     * CV for normal samples): one preempted repetition on a shared machine
     * inflates the CV of a row that is otherwise tight */
    double cv = fmax(1.4826 * sb.mad / sb.median, 1.4826 * sn.mad / sn.median);
    if (!(cv <= p->cv_cap) && !(fabs(out->change) >= 3 * cv)) {
        out->verdict = VERDICT_NOISY;
        out->why = "spread above the CV cap and comparable to the change";
        return;
    }
    out->p_value = mann_whitney_p(base, nbase, cur, ncur);
    if (fabs(out->change) <= p->threshold || !(out->p_value < p->alpha))
        out->verdict = VERDICT_SAME;
    else
        out->verdict = out->change > 0 ? VERDICT_SLOWER : VERDICT_FASTER;
}

void gate_paired(const double *base, const double *cur, size_t n, const struct gate_params *p, size_t tests,
                 struct paired_verdict *out)
{
    struct ratio_ci ci;
    out->verdict = VERDICT_NOISY;
    out->change = out->lo = out->hi = out->p_value = NAN;
    out->why = "";
    double *logr = malloc((n ? n : 1) * sizeof *logr);
    if (!logr || paired_ratio(cur, base, n, &ci) != 0) {
        free(logr);
        out->why = "out of memory";
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double r = cur[i] / base[i];
        if (isfinite(r) && r > 0)
            logr[k++] = log(r);
    }
    out->change = ci.mid - 1;
    out->lo = ci.lo;
    out->hi = ci.hi;
    out->p_value = wilcoxon_signed_rank_p(logr, k);
    free(logr);
    if (k < p->min_samples || !isfinite(ci.lo)) {
        out->why = "too few rounds";
        return;
    }
    if (ci.hi / ci.lo - 1 > 2 * p->threshold) {
        out->why = "round ratios too spread to tell a change of the threshold";
        return;
    }
    const double alpha = p->alpha / (double)(tests ? tests : 1);
    if (fabs(out->change) <= p->threshold || !(out->p_value < alpha))
        out->verdict = VERDICT_SAME;
    else
        out->verdict = out->change > 0 ? VERDICT_SLOWER : VERDICT_FASTER;
}

int gate_drift_estimate(double *log_changes, size_t k, struct gate_drift *out)
{
    out->mid = 0;
    out->sd = NAN;
    if (k < 20) /* too few rows for a robust spread */
        return -1;
    out->mid = stats_median_inplace(log_changes, k);
    for (size_t i = 0; i < k; i++)
        log_changes[i] = fabs(log_changes[i] - out->mid);
    out->sd = 1.4826 * stats_median_inplace(log_changes, k);
    return 0;
}

void gate_apply_drift(struct gate_result *g, const struct gate_drift *d, double z)
{
    if (g->verdict != VERDICT_SLOWER && g->verdict != VERDICT_FASTER)
        return;
    double away = log1p(g->change) - d->mid;
    if (isfinite(d->sd) && fabs(away) <= z * d->sd) {
        g->verdict = VERDICT_NOISY;
        g->why = "within the run-to-run drift";
    }
}

void gate_apply_isolation(struct gate_result *g, size_t variant_rows, size_t variant_slow, size_t variant_fast)
{
    if ((g->verdict == VERDICT_SLOWER && 3 * variant_slow < 2 * variant_rows) ||
        (g->verdict == VERDICT_FASTER && 3 * variant_fast < 2 * variant_rows)) {
        g->verdict = VERDICT_NOISY;
        g->why = "isolated: most shapes of this variant did not change";
    }
}

enum verdict gate_instructions(double base, double cur, double threshold, double *change)
{
    *change = cur / base - 1;
    return *change > threshold ? VERDICT_SLOWER : *change < -threshold ? VERDICT_FASTER : VERDICT_SAME;
}

const char *verdict_name(enum verdict v)
{
    static const char *const names[] = {"same", "faster", "slower", "noisy"};
    return names[v];
}
