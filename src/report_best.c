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

/* rows a and b measure the same norm, dtype, tier, n and rows */
static int same_shape(const struct csv_table *p, size_t a, size_t b, const int *col)
{
    return csv_table_same(p, a, b, col[C_NORM]) && csv_table_same(p, a, b, col[C_DTYPE]) && csv_table_same(p, a, b, col[C_TIER]) &&
           csv_table_same(p, a, b, col[C_N]) && csv_table_same(p, a, b, col[C_ROWS]);
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

double report_spread_cells(FILE *md, const double *v, size_t k)
{
    struct stats st;
    if (stats_compute(v, k, &st) != 0)
        st.min = st.median = st.max = NAN;
    fprintf(md, " %zu | %.2f | %.2f | %.2f |\n", k, st.min, st.median, st.max);
    return st.median;
}

void report_best_section(FILE *md, const struct csv_table *p, const struct report_pairs *rp)
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
                "ceiling measured in this run at its tier%s. Ratios are medians of per-round ratios with their "
                "95%% interval in brackets.\n\n",
            any_ext ? ", and how many times faster than oneDNN it is on the same shape (oneDNN's time over "
                      "the best's, round by round)"
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
            report_ratio_column_cell(md, p, b, "roofline_share");
            report_ratio_column_cell(md, p, b, "speedup_vs_naive");
            if (any_ext) {
                double eg = ext >= 0 ? csv_table_num(p, (size_t)ext, col[C_GBS]) : NAN;
                struct ratio_ci onednn = {NAN, NAN, NAN, 0};
                if (ext >= 0)
                    report_pair(rp, p, (size_t)ext, b, &onednn);
                double ratio = onednn.mid;
                cell(md, eg, "%.1f");
                report_ratio_cell(md, &onednn);
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

/* The best own variant of `norm` on row i's dtype, tier, n and rows: its
 * row, -1 if none ran. */
static long best_row_of(const struct csv_table *p, const int *col, size_t i, const char *norm)
{
    double best = NAN;
    long row = -1;
    for (size_t k = 0; k < p->nrows; k++) {
        if (strcmp(csv_table_get(p, k, col[C_NORM]), norm) || !strcmp(csv_table_get(p, k, col[C_ISA]), "ext") ||
            !csv_table_same(p, i, k, col[C_DTYPE]) || !csv_table_same(p, i, k, col[C_TIER]) || !csv_table_same(p, i, k, col[C_N]) ||
            !csv_table_same(p, i, k, col[C_ROWS]))
            continue;
        double m = csv_table_num(p, k, col[C_MEDIAN]);
        if (!isnan(m) && (isnan(best) || m < best)) {
            best = m;
            row = (long)k;
        }
    }
    return row;
}

void report_partial_section(FILE *md, const struct csv_table *p, const struct report_pairs *rp)
{
    int col[C_COUNT];
    for (int c = 0; c < C_COUNT; c++)
        if ((col[c] = csv_table_col(p, names[c])) < 0)
            return;
    double ratios[NB_TIER_COUNT][MAX_SHAPES], med[NB_TIER_COUNT];
    size_t nratio[NB_TIER_COUNT] = {0};
    for (size_t i = 0; i < p->nrows; i++) {
        if (strcmp(csv_table_get(p, i, col[C_NORM]), "prmsnorm"))
            continue;
        int first = 1; /* one ratio per shape: the first prmsnorm row of it */
        for (size_t k = 0; k < i && first; k++)
            first = !same_shape(p, i, k, col);
        enum nb_tier t;
        if (!first || tier_parse(csv_table_get(p, i, col[C_TIER]), &t) != 0)
            continue;
        long plain = best_row_of(p, col, i, "rmsnorm"), partial = best_row_of(p, col, i, "prmsnorm");
        struct ratio_ci r = {NAN, NAN, NAN, 0};
        if (plain >= 0 && partial >= 0)
            report_pair(rp, p, (size_t)plain, (size_t)partial, &r);
        if (!isnan(r.mid) && nratio[t] < MAX_SHAPES)
            ratios[t][nratio[t]++] = r.mid;
    }
    int any = 0;
    for (int t = 0; t < NB_TIER_COUNT; t++)
        any |= nratio[t] > 0;
    if (!any)
        return;
    fprintf(md, "## Partial RMSNorm against RMSNorm\n\nTime of the best RMSNorm over time of the best partial "
                "RMSNorm on the same dtype and shape, the median of their per-round ratios: 1.30 means prmsnorm is "
                "30%% faster.\n\n"
                "| tier | shapes | min | median | max |\n|---|---|---|---|---|\n");
    for (int t = 0; t < NB_TIER_COUNT; t++) {
        med[t] = NAN;
        if (!nratio[t])
            continue;
        fprintf(md, "| %s |", tier_name(t));
        med[t] = report_spread_cells(md, ratios[t], nratio[t]);
    }
    fprintf(md, "\nBoth kernels read x and write y once; partial RMSNorm's statistics pass reads only the first p%% "
                "of each row instead of all of it. That pass is pure work once the row is near: a row that comes "
                "from L1 or L2 is read twice at the speed of the load ports, and skipping most of the first read "
                "saves up to a third of the loads (RMSNorm loads x twice and g once per element). From DRAM the "
                "normalise pass must bring every line of x in anyway, the lines RMSNorm's statistics pass read "
                "are the ones its normalise pass then finds in cache, and both kernels move the same bytes: what is "
                "left of the gain is RMSNorm's statistics pass reading from memory without writing, where "
                "prmsnorm reads and writes at once, not a saving of traffic.");
    const int in_l2 = !isnan(med[NB_TIER_L2]);
    const double cache = in_l2 ? med[NB_TIER_L2] : med[NB_TIER_L1];
    if (!isnan(cache) && !isnan(med[NB_TIER_DRAM]))
        fprintf(md, " This run: median %.2f in %s against %.2f in DRAM%s.", cache, in_l2 ? "L2" : "L1",
                med[NB_TIER_DRAM], med[NB_TIER_DRAM] < cache ? ": the gain shrinks from the caches to memory"
                                                         : ": not the shrinking this predicts");
    fprintf(md, "\n\n");
}
