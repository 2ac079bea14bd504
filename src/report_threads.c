#include "report_threads.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_best.h"
#include "topology.h"

enum { T_VARIANT, T_NORM, T_ISA, T_DTYPE, T_TIER, T_N, T_ROWS, T_EPS, T_CACHE, T_THREADS, T_MEDIAN, T_GBS, T_COUNT };
static const char *const names[T_COUNT] = {"variant", "norm", "isa",     "dtype",     "tier",      "n",
                                           "rows",    "eps",  "cache",   "threads",   "median_ns", "bandwidth_gbs"};

#define MAX_PAIRS 1024

/* the same shape: norm, dtype, tier, n, rows, eps, cache */
static int same_shape(const struct csv_table *p, size_t a, size_t b, const int *col)
{
    return csv_table_same(p, a, b, col[T_NORM]) && csv_table_same(p, a, b, col[T_DTYPE]) && csv_table_same(p, a, b, col[T_TIER]) &&
           csv_table_same(p, a, b, col[T_N]) && csv_table_same(p, a, b, col[T_ROWS]) && csv_table_same(p, a, b, col[T_EPS]) &&
           csv_table_same(p, a, b, col[T_CACHE]);
}

/* The fastest own (not external) variant's row of row i's shape at
 * `threads`, or -1. */
static long fastest_at(const struct csv_table *p, const int *col, size_t i, double threads)
{
    long best = -1;
    for (size_t k = 0; k < p->nrows; k++) {
        double m = csv_table_num(p, k, col[T_MEDIAN]);
        if (csv_table_num(p, k, col[T_THREADS]) != threads || !same_shape(p, i, k, col) || isnan(m) ||
            !strcmp(csv_table_get(p, k, col[T_ISA]), "ext"))
            continue;
        if (best < 0 || m < csv_table_num(p, (size_t)best, col[T_MEDIAN]))
            best = (long)k;
    }
    return best;
}

/* The row of variant k's shape at `threads`, or -1. */
static long same_variant_at(const struct csv_table *p, const int *col, size_t k, double threads)
{
    for (size_t i = 0; i < p->nrows; i++)
        if (csv_table_num(p, i, col[T_THREADS]) == threads && csv_table_same(p, i, k, col[T_VARIANT]) && same_shape(p, i, k, col))
            return (long)i;
    return -1;
}

static void pairs_table(FILE *md, const struct csv_table *p, const struct report_pairs *rp, const int *col, double base,
                        double t)
{
    double *ratio = malloc(MAX_PAIRS * sizeof *ratio);
    if (!ratio)
        return;
    for (int tier = 0; tier < NB_TIER_COUNT; tier++) {
        size_t k = 0;
        for (size_t i = 0; i < p->nrows && k < MAX_PAIRS; i++) {
            if (csv_table_num(p, i, col[T_THREADS]) != t || strcmp(csv_table_get(p, i, col[T_TIER]), tier_name(tier)))
                continue;
            long one = same_variant_at(p, col, i, base);
            struct ratio_ci r = {NAN, NAN, NAN, 0};
            if (one >= 0)
                report_pair(rp, p, (size_t)one, i, &r);
            if (!isnan(r.mid))
                ratio[k++] = r.mid;
        }
        if (!k)
            continue;
        fprintf(md, "| %g | %s |", t, tier_name(tier));
        report_spread_cells(md, ratio, k);
    }
    free(ratio);
}

void report_threads_section(FILE *md, struct csv_table *p, const struct report_pairs *rp)
{
    int col[T_COUNT];
    for (int c = 0; c < T_COUNT; c++)
        if ((col[c] = csv_table_col(p, names[c])) < 0)
            return;
    double counts[32];
    size_t ncounts = 0;
    for (size_t i = 0; i < p->nrows; i++) {
        double t = csv_table_num(p, i, col[T_THREADS]);
        size_t k = 0;
        while (k < ncounts && counts[k] != t)
            k++;
        if (k == ncounts && ncounts < 32 && !isnan(t))
            counts[ncounts++] = t;
    }
    if (ncounts < 2)
        return; /* one count: nothing to compare, nothing to filter out */
    double base = counts[0];
    for (size_t k = 1; k < ncounts; k++)
        base = fmin(base, counts[k]);
    fprintf(md, "## Threads\n\nThis run measured each shape at %zu thread counts, in the same rounds. Time at %g "
                "thread%s over time at more, for the same variant and shape, the median of the per-round ratios: "
                "2.00 means twice the throughput "
                "(a call never uses more threads than it has rows). The rest of this report shows the rows at "
                "%g thread%s.\n\n"
                "| threads | tier | pairs | min | median | max |\n|---|---|---|---|---|---|\n",
            ncounts, base, base == 1 ? "" : "s", base, base == 1 ? "" : "s");
    for (size_t k = 0; k < ncounts; k++)
        if (counts[k] != base)
            pairs_table(md, p, rp, col, base, counts[k]);
    fprintf(md, "\nThe fastest variant of each norm, dtype, tier and n at each thread count, against itself and "
                "against the fastest at %g:\n\n| threads | norm | dtype | tier | n | eps | fastest | GB/s | × itself | "
                "× fastest at %g |\n|---|---|---|---|---|---|---|---|---|---|\n",
            base, base);
    for (size_t k = 0; k < ncounts; k++) {
        if (counts[k] == base)
            continue;
        for (size_t i = 0; i < p->nrows; i++) {
            if (csv_table_num(p, i, col[T_THREADS]) != counts[k] || fastest_at(p, col, i, counts[k]) != (long)i)
                continue;
            long self = same_variant_at(p, col, i, base), best = fastest_at(p, col, i, base);
            fprintf(md, "| %g | %s | %s | %s | %s | %s | %s | %.1f |", counts[k], csv_table_get(p, i, col[T_NORM]),
                    csv_table_get(p, i, col[T_DTYPE]), csv_table_get(p, i, col[T_TIER]), csv_table_get(p, i, col[T_N]),
                    csv_table_get(p, i, col[T_EPS]), csv_table_get(p, i, col[T_VARIANT]), csv_table_num(p, i, col[T_GBS]));
            struct ratio_ci rs = {NAN, NAN, NAN, 0}, rb = {NAN, NAN, NAN, 0};
            if (self >= 0)
                report_pair(rp, p, (size_t)self, i, &rs);
            if (best >= 0)
                report_pair(rp, p, (size_t)best, i, &rb);
            report_ratio_cell(md, &rs);
            report_ratio_cell(md, &rb);
            fputc('\n', md);
        }
    }
    fprintf(md, "\n");
    unsigned char *keep = malloc(p->nrows ? p->nrows : 1);
    if (!keep)
        return;
    for (size_t i = 0; i < p->nrows; i++)
        keep[i] = csv_table_num(p, i, col[T_THREADS]) == base;
    csv_table_keep_rows(p, keep);
    free(keep);
}
