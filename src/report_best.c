#include "report_best.h"

#include <math.h>
#include <string.h>

#include "stats.h"
#include "topology.h"

#define MAX_SHAPES 256 /* shapes per tier the oneDNN summary takes */


enum { C_VARIANT, C_NORM, C_ALG, C_ISA, C_DTYPE, C_TIER, C_N, C_ROWS, C_MEDIAN, C_GBS, C_SHARE, C_NAIVE, C_COUNT };
static const char *const names[C_COUNT] = {"variant", "norm",    "algorithm",    "isa",           "dtype",
                                           "tier",    "n",       "rows",         "median_ns",     "bandwidth_gbs",
                                           "roofline_share", "speedup_vs_naive"};

static int same(const struct csv_table *p, size_t a, size_t b, int c)
{
    return !strcmp(csv_table_get(p, a, c), csv_table_get(p, b, c));
}

/* rows a and b measure the same norm, dtype, tier, n and rows */
static int same_shape(const struct csv_table *p, size_t a, size_t b, const int *col)
{
    return same(p, a, b, col[C_NORM]) && same(p, a, b, col[C_DTYPE]) && same(p, a, b, col[C_TIER]) &&
           same(p, a, b, col[C_N]) && same(p, a, b, col[C_ROWS]);
}

static void cell(FILE *md, double v, const char *fmt)
{
    if (isnan(v))
        fprintf(md, " n/a |");
    else {
        fputc(' ', md);
        fprintf(md, fmt, v);
        fprintf(md, " |");
    }
}

void report_best_section(FILE *md, const struct csv_table *p)
{
    int col[C_COUNT];
    for (int c = 0; c < C_COUNT; c++)
        if ((col[c] = csv_table_col(p, names[c])) < 0)
            return;
    int any_ext = 0;
    for (size_t i = 0; i < p->nrows; i++)
        any_ext |= !strcmp(csv_table_get(p, i, col[C_ISA]), "ext");
    fprintf(md, "## Best variants\n\nThe fastest of normbench's own variants for each norm, dtype, tier and hidden "
                "size (lowest median time; external libraries excluded), its bandwidth, its share of the copy "
                "ceiling measured in this run at its tier%s.\n\n",
            any_ext ? ", and how many times faster than oneDNN it is on the same shape (oneDNN's median time over "
                      "the best's)"
                    : "");
    fprintf(md, "| norm | dtype | tier | n | best variant | GB/s | share of copy | × naive |%s\n|---|---|---|---|---|---|---|---|%s\n",
            any_ext ? " oneDNN GB/s | × oneDNN |" : "", any_ext ? "---|---|" : "");
    double ratios[NB_TIER_COUNT][MAX_SHAPES], extra_us[MAX_SHAPES], best_us[MAX_SHAPES];
    size_t nratio[NB_TIER_COUNT] = {0}, nextra = 0;
    /* a row leads its (norm, dtype, tier, n, rows) group the first time
     * the group is seen */
    for (int t = 0; t < NB_TIER_COUNT; t++)
        for (size_t i = 0; i < p->nrows; i++) {
            if (strcmp(csv_table_get(p, i, col[C_TIER]), tier_name(t)))
                continue;
            int first = 1;
            for (size_t k = 0; k < i && first; k++)
                first = !same_shape(p, i, k, col);
            if (!first)
                continue;
            long best = -1, ext = -1;
            for (size_t k = i; k < p->nrows; k++) {
                if (!same_shape(p, i, k, col))
                    continue;
                double m = csv_table_num(p, k, col[C_MEDIAN]);
                if (isnan(m))
                    continue;
                if (!strcmp(csv_table_get(p, k, col[C_ISA]), "ext"))
                    ext = (long)k;
                else if (best < 0 || m < csv_table_num(p, (size_t)best, col[C_MEDIAN]))
                    best = (long)k;
            }
            if (best < 0)
                continue;
            size_t b = (size_t)best;
            fprintf(md, "| %s | %s | %s | %s | %s |", csv_table_get(p, b, col[C_NORM]), csv_table_get(p, b, col[C_DTYPE]),
                    tier_name(t), csv_table_get(p, b, col[C_N]), csv_table_get(p, b, col[C_VARIANT]));
            cell(md, csv_table_num(p, b, col[C_GBS]), "%.1f");
            cell(md, csv_table_num(p, b, col[C_SHARE]), "%.2f");
            cell(md, csv_table_num(p, b, col[C_NAIVE]), "%.1f");
            if (any_ext) {
                double eg = ext >= 0 ? csv_table_num(p, (size_t)ext, col[C_GBS]) : NAN;
                double ratio = ext >= 0 ? csv_table_num(p, (size_t)ext, col[C_MEDIAN]) / csv_table_num(p, b, col[C_MEDIAN])
                                        : NAN;
                cell(md, eg, "%.1f");
                cell(md, ratio, "%.2f");
                if (!isnan(ratio) && nratio[t] < MAX_SHAPES)
                    ratios[t][nratio[t]++] = ratio;
                if (!isnan(ratio) && t == NB_TIER_L1 && nextra < MAX_SHAPES) {
                    extra_us[nextra] = (csv_table_num(p, (size_t)ext, col[C_MEDIAN]) -
                                        csv_table_num(p, b, col[C_MEDIAN])) / 1000;
                    best_us[nextra++] = csv_table_num(p, b, col[C_MEDIAN]) / 1000;
                }
            }
            fputc('\n', md);
        }
    fprintf(md, "\n");
    if (!any_ext)
        return;
    fprintf(md, "oneDNN's time includes what a framework pays per call once its primitive exists (pointing its "
                "memory objects at the tensors, converting bf16 gains to f32, one stream execution); creating the "
                "primitive is not timed. Median × oneDNN per tier:");
    for (int t = 0; t < NB_TIER_COUNT; t++)
        if (nratio[t])
            fprintf(md, " %s %.2f", tier_name(t), stats_median_inplace(ratios[t], nratio[t]));
    fprintf(md, ".");
    if (nextra)
        fprintf(md, " In L1 a oneDNN call takes %.2f µs more than the best variant's (median), whose whole call "
                    "takes %.2f µs.",
                stats_median_inplace(extra_us, nextra), stats_median_inplace(best_us, nextra));
    fprintf(md, "\n\n");
}
