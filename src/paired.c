#include "paired.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "stats.h"

/* P(Binomial(n, 1/2) <= j), summed in logs so that large n cannot overflow */
static double binom_half_cdf(size_t n, size_t j)
{
    double sum = 0;
    for (size_t i = 0; i <= j && i <= n; i++)
        sum += exp(lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) - (double)n * log(2.0));
    return sum;
}

size_t paired_order_k(size_t n, double tail)
{
    size_t k = 0;
    while (k + 1 <= n / 2 && binom_half_cdf(n, k) <= tail)
        k++;
    return k; /* P(B <= k - 1) <= tail */
}

int paired_ratio(const double *num, const double *den, size_t n, struct ratio_ci *out)
{
    out->mid = out->lo = out->hi = NAN;
    out->n = 0;
    double *r = malloc((n ? n : 1) * sizeof *r);
    if (!r)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        double q = num[i] / den[i];
        if (isfinite(q) && q > 0)
            r[k++] = q;
    }
    out->n = k;
    if (k) {
        out->mid = stats_median_inplace(r, k); /* sorts r */
        size_t j = paired_order_k(k, 0.025);
        if (j > 0) {
            out->lo = r[j - 1];
            out->hi = r[k - j];
        }
    }
    free(r);
    return 0;
}

void ratio_ci_widen(struct ratio_ci *r, double floor)
{
    r->lo *= 1 - floor;
    r->hi *= 1 + floor;
}

struct signed_rank {
    double a;
    int neg;
};

static int cmp_abs(const void *x, const void *y)
{
    double a = ((const struct signed_rank *)x)->a, b = ((const struct signed_rank *)y)->a;
    return (a > b) - (a < b);
}

/* P(W+ <= w) for n untied ranks: the count of subsets of 1..n summing to
 * at most w, over 2^n */
static double signed_rank_cdf_exact(size_t n, double w)
{
    size_t max = n * (n + 1) / 2;
    double *ways = calloc(max + 1, sizeof *ways);
    if (!ways)
        return NAN;
    ways[0] = 1;
    for (size_t r = 1; r <= n; r++)
        for (size_t s = max; s >= r; s--)
            ways[s] += ways[s - r];
    double below = 0;
    for (size_t s = 0; s <= max && (double)s <= w + 1e-9; s++)
        below += ways[s];
    free(ways);
    return below / ldexp(1.0, (int)n);
}

double wilcoxon_signed_rank_p(const double *d, size_t n)
{
    struct signed_rank *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return NAN;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(d[i]) && d[i] != 0)
            v[m++] = (struct signed_rank){fabs(d[i]), d[i] < 0};
    if (m == 0) {
        free(v);
        return NAN;
    }
    qsort(v, m, sizeof *v, cmp_abs);
    double w_plus = 0, tie_term = 0;
    int ties = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j < m && v[j].a == v[i].a)
            j++;
        double avg = (double)(i + j + 1) / 2.0, t = (double)(j - i);
        tie_term += t * t * t - t;
        ties |= j - i > 1;
        for (size_t q = i; q < j; q++)
            if (!v[q].neg)
                w_plus += avg;
        i = j;
    }
    free(v);
    double total = (double)m * (double)(m + 1) / 2.0, w = fmin(w_plus, total - w_plus);
    if (!ties && m <= 60)
        return fmin(1.0, 2.0 * signed_rank_cdf_exact(m, w));
    double mu = total / 2.0;
    double var = (double)m * (double)(m + 1) * (2.0 * (double)m + 1) / 24.0 - tie_term / 48.0;
    if (var <= 0)
        return 1.0;
    double z = fmax(0.0, (fabs(w_plus - mu) - 0.5) / sqrt(var));
    return erfc(z / sqrt(2.0));
}

void ratio_ci_format(char *out, size_t len, const struct ratio_ci *r, const char *suffix)
{
    if (!isfinite(r->mid))
        snprintf(out, len, "n/a");
    else if (!isfinite(r->lo) || !isfinite(r->hi))
        snprintf(out, len, "%.2f%s", r->mid, suffix);
    else
        snprintf(out, len, "%.2f%s [%.2f, %.2f]", r->mid, suffix, r->lo, r->hi);
}
