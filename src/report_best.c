#include "report_best.h"

#include <math.h>
#include <string.h>

static const char *const tiers[] = {"L1", "L2", "L3", "DRAM"};

enum { C_VARIANT, C_NORM, C_ALG, C_ISA, C_DTYPE, C_TIER, C_N, C_ROWS, C_MEDIAN, C_GBS, C_SHARE, C_NAIVE, C_COUNT };
static const char *const names[C_COUNT] = {"variant", "norm",    "algorithm",    "isa",           "dtype",
                                           "tier",    "n",       "rows",         "median_ns",     "bandwidth_gbs",
                                           "roofline_share", "speedup_vs_naive"};

static int same(const struct csv_table *p, size_t a, size_t b, int c)
{
    return !strcmp(csv_table_get(p, a, c), csv_table_get(p, b, c));
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
    /* a row leads its (norm, dtype, tier, n, rows) group the first time
     * the group is seen */
    for (int t = 0; t < 4; t++)
        for (size_t i = 0; i < p->nrows; i++) {
            if (strcmp(csv_table_get(p, i, col[C_TIER]), tiers[t]))
                continue;
            int first = 1;
            for (size_t k = 0; k < i && first; k++)
                first = !(same(p, i, k, col[C_NORM]) && same(p, i, k, col[C_DTYPE]) && same(p, i, k, col[C_TIER]) &&
                          same(p, i, k, col[C_N]) && same(p, i, k, col[C_ROWS]));
            if (!first)
                continue;
            long best = -1, ext = -1;
            for (size_t k = i; k < p->nrows; k++) {
                if (!(same(p, i, k, col[C_NORM]) && same(p, i, k, col[C_DTYPE]) && same(p, i, k, col[C_TIER]) &&
                      same(p, i, k, col[C_N]) && same(p, i, k, col[C_ROWS])))
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
                    tiers[t], csv_table_get(p, b, col[C_N]), csv_table_get(p, b, col[C_VARIANT]));
            cell(md, csv_table_num(p, b, col[C_GBS]), "%.1f");
            cell(md, csv_table_num(p, b, col[C_SHARE]), "%.2f");
            cell(md, csv_table_num(p, b, col[C_NAIVE]), "%.1f");
            if (any_ext) {
                double eg = ext >= 0 ? csv_table_num(p, (size_t)ext, col[C_GBS]) : NAN;
                double ratio = ext >= 0 ? csv_table_num(p, (size_t)ext, col[C_MEDIAN]) / csv_table_num(p, b, col[C_MEDIAN])
                                        : NAN;
                cell(md, eg, "%.1f");
                cell(md, ratio, "%.2f");
            }
            fputc('\n', md);
        }
    fprintf(md, "\n");
    if (any_ext)
        fprintf(md, "oneDNN's time includes what a framework pays per call once its primitive exists (pointing "
                    "its memory objects at the tensors, converting bf16 gains to f32, one stream execution); "
                    "creating the primitive is not timed. That fixed cost of a few microseconds dominates in L1, "
                    "where a row takes well under a microsecond; from L3 on both move the same bytes.\n\n");
}
