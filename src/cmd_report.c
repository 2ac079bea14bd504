/* normbench report DIR: report.md (and plots/) from a run's CSV files. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "plot.h"
#include "csv_io.h"
#include "csv_table.h"
#include "topology.h"
#include "report_best.h"
#include "report_machines.h"
#include "report_pairs.h"
#include "report_threads.h"

struct run_files {
    struct csv_table perf, acc, meta;
    int have_acc;
};

static const char *meta_get(const struct run_files *r, const char *key)
{
    for (size_t i = 0; i < r->meta.nrows; i++)
        if (strcmp(csv_table_get(&r->meta, i, 0), key) == 0)
            return csv_table_get(&r->meta, i, 1);
    return "n/a";
}

/* column indexes of perf.csv the report uses */
enum { P_VARIANT, P_NORM, P_ALG, P_ISA, P_DTYPE, P_ROWS, P_N, P_TIER, P_MEDIAN, P_CV, P_BYTES, P_GBS, P_CEIL,
       P_SHARE, P_NAIVE, P_RMSLN, P_COUNT };
static const char *const perf_needed[P_COUNT] = {
    "variant", "norm", "algorithm", "isa", "dtype", "rows", "n", "tier", "median_ns", "cv", "bytes",
    "bandwidth_gbs", "ceiling_gbs", "roofline_share", "speedup_vs_naive", "speedup_rms_vs_layernorm"};


static void fmt(char *out, size_t len, double v, const char *spec)
{
    if (isnan(v))
        snprintf(out, len, "n/a");
    else
        snprintf(out, len, spec, v);
}


/* Writes plots/bw-NORM-DTYPE (bandwidth against footprint), bwn-NORM-DTYPE
 * (against hidden size, per tier) and speedup-NORM-DTYPE, .dat and .gp
 * each, and runs gnuplot on them. Returns which SVGs were drawn: bits 1, 4
 * and 2 in that order. */
static int draw_plots(const struct run_files *r, const int *col, const char *dir, const char *norm,
                      const char *dtype, char *why, size_t whylen)
{
    char plots[4200], path[4400], base[128];
    if (snprintf(plots, sizeof plots, "%s/plots", dir) >= (int)sizeof plots) {
        snprintf(why, whylen, "the run directory's path is too long for plots");
        return 0;
    }
    if (mkdir(plots, 0777) != 0 && errno != EEXIST) {
        snprintf(why, whylen, "cannot create %.200s: %s", plots, strerror(errno));
        return 0;
    }
    snprintf(base, sizeof base, "%s-%s", norm, dtype);
    /* bandwidth against footprint, one block per variant */
    snprintf(path, sizeof path, "%s/bw-%s.dat", plots, base);
    FILE *dat = fopen(path, "w");
    if (!dat)
        return 0;
    const struct csv_table *p = &r->perf;
    /* one block per (variant, n): a line joins the tiers of one hidden
     * size, never one n's DRAM point to the next n's L1 point */
    size_t *block_variant = calloc(p->nrows + 1, sizeof *block_variant), nblocks = 0, nvariants = 0;
    const char **variant_name = calloc(p->nrows + 1, sizeof *variant_name);
    if (!block_variant || !variant_name) {
        fclose(dat);
        free(block_variant);
        free(variant_name);
        return 0;
    }
    for (size_t i = 0; i < p->nrows; i++) {
        const char *v = csv_table_get(p, i, col[P_VARIANT]);
        if (strcmp(csv_table_get(p, i, col[P_NORM]), norm) || strcmp(csv_table_get(p, i, col[P_DTYPE]), dtype))
            continue;
        int dup_variant = 0, dup_n = 0; /* the first row of the variant, of its n */
        for (size_t k = 0; k < i && !dup_n; k++)
            if (strcmp(csv_table_get(p, k, col[P_VARIANT]), v) == 0) {
                dup_variant = 1;
                dup_n = csv_table_same(p, k, i, col[P_N]);
            }
        if (dup_n)
            continue;
        size_t vi = 0;
        while (vi < nvariants && strcmp(variant_name[vi], v))
            vi++;
        if (!dup_variant || vi == nvariants)
            variant_name[nvariants++] = v;
        block_variant[nblocks++] = vi;
        fprintf(dat, "# %s n=%s\n", v, csv_table_get(p, i, col[P_N]));
        for (size_t k = 0; k < p->nrows; k++)
            if (strcmp(csv_table_get(p, k, col[P_VARIANT]), v) == 0 && csv_table_same(p, k, i, col[P_N]))
                fprintf(dat, "%g %g\n", csv_table_num(p, k, col[P_BYTES]), csv_table_num(p, k, col[P_GBS]));
        fprintf(dat, "\n\n");
    }
    fclose(dat);
    /* the copy ceiling as the rounds timed it, at each footprint this norm
     * and dtype measured (rows sorted by footprint); runs from before
     * rounds have only meta.csv's per-tier figures */
    snprintf(path, sizeof path, "%s/ceilings-%s.dat", plots, base);
    FILE *cd = fopen(path, "w");
    size_t *order = calloc(p->nrows + 1, sizeof *order), nord = 0;
    for (size_t i = 0; order && i < p->nrows; i++)
        if (!strcmp(csv_table_get(p, i, col[P_NORM]), norm) && !strcmp(csv_table_get(p, i, col[P_DTYPE]), dtype) &&
            csv_table_num(p, i, col[P_CEIL]) > 0) {
            size_t at = nord++;
            while (at > 0 && csv_table_num(p, order[at - 1], col[P_BYTES]) > csv_table_num(p, i, col[P_BYTES])) {
                order[at] = order[at - 1];
                at--;
            }
            order[at] = i;
        }
    for (size_t k = 0; cd && k < nord; k++)
        if (k == 0 || csv_table_num(p, order[k], col[P_BYTES]) != csv_table_num(p, order[k - 1], col[P_BYTES]))
            fprintf(cd, "%g %g\n", csv_table_num(p, order[k], col[P_BYTES]), csv_table_num(p, order[k], col[P_CEIL]));
    free(order);
    if (cd && nord == 0) {
        for (int t = 0; t < NB_TIER_COUNT; t++) {
            char key[64];
            snprintf(key, sizeof key, "ceiling_%s_bytes", tier_name(t));
            double bytes = atof(meta_get(r, key));
            snprintf(key, sizeof key, "ceiling_%s_copy_gbs", tier_name(t));
            double gbs = atof(meta_get(r, key));
            if (bytes > 0 && gbs > 0)
                fprintf(cd, "%g %g %s\n", bytes, gbs, tier_name(t));
        }
    }
    if (cd)
        fclose(cd);
    snprintf(path, sizeof path, "%s/bw-%s.gp", plots, base);
    FILE *gp = fopen(path, "w");
    if (!gp) {
        free(block_variant);
        free(variant_name);
        return 0;
    }
    fprintf(gp, "set terminal svg size 900,560 dynamic\nset output 'bw-%s.svg'\n"
                "set title '%s %s: bandwidth against footprint (a line per hidden size)'\nset logscale x 2\nset format x '2^{%%L}'\n"
                "set xlabel 'footprint (bytes of x, y, g, b)'\nset ylabel 'GB/s'\nset logscale y\nset key outside right\n"
                "set grid\n", base, norm, dtype);
    /* the footprints this norm and dtype measured, with room on both sides:
     * a one-tier run otherwise puts its only point on the frame */
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < p->nrows; i++)
        if (!strcmp(csv_table_get(p, i, col[P_NORM]), norm) && !strcmp(csv_table_get(p, i, col[P_DTYPE]), dtype)) {
            lo = fmin(lo, csv_table_num(p, i, col[P_BYTES]));
            hi = fmax(hi, csv_table_num(p, i, col[P_BYTES]));
        }
    if (hi > 0)
        fprintf(gp, "set xrange [%g:%g]\n", lo / 3, hi * 3);
    fprintf(gp, "plot 'ceilings-%s.dat' using 1:2 with linespoints lw 3 dt 2 lc 'black' title 'copy ceiling'", base);
    for (size_t k = 0; k < nblocks; k++) { /* a variant's colour for each of its n, one legend entry */
        int first = 1;
        for (size_t q = 0; q < k && first; q++)
            first = block_variant[q] != block_variant[k];
        fprintf(gp, ", 'bw-%s.dat' index %zu using 1:2 with linespoints lc %zu pt %zu ", base, k, block_variant[k] + 1,
                block_variant[k] % 12 + 1);
        if (first)
            fprintf(gp, "title '%s'", variant_name[block_variant[k]]);
        else
            fprintf(gp, "notitle");
    }
    fprintf(gp, "\n");
    fclose(gp);
    free(block_variant);
    int drawn = 0;
    char script[200];
    snprintf(script, sizeof script, "bw-%s.gp", base);
    if (plot_run_gnuplot(plots, script, why, whylen) == 0)
        drawn |= 1;
    /* bandwidth against hidden size: one panel per tier, the tier's copy
     * ceiling drawn across it */
    snprintf(path, sizeof path, "%s/bwn-%s.dat", plots, base);
    dat = fopen(path, "w");
    snprintf(path, sizeof path, "%s/bwn-%s.gp", plots, base);
    gp = dat ? fopen(path, "w") : NULL;
    if (gp) {
        fprintf(gp, "set terminal svg size 1100,800 dynamic\nset output 'bwn-%s.svg'\n"
                    "set multiplot layout 2,2 title '%s %s: bandwidth against hidden size'\n"
                    "set logscale x 2\nset xlabel 'hidden size n'\nset ylabel 'GB/s'\nset grid\n"
                    "set key bottom right font ',8' noenhanced\n", base, norm, dtype);
        size_t block = 0;
        for (int t = 0; t < NB_TIER_COUNT; t++) {
            char key[64];
            snprintf(key, sizeof key, "ceiling_%s_copy_gbs", tier_name(t));
            double ceiling = atof(meta_get(r, key));
            double nlo = INFINITY, nhi = 0; /* one hidden size alone: widen the axis around it */
            for (size_t i = 0; i < p->nrows; i++)
                if (!strcmp(csv_table_get(p, i, col[P_NORM]), norm) && !strcmp(csv_table_get(p, i, col[P_DTYPE]), dtype) &&
                    !strcmp(csv_table_get(p, i, col[P_TIER]), tier_name(t))) {
                    nlo = fmin(nlo, csv_table_num(p, i, col[P_N]));
                    nhi = fmax(nhi, csv_table_num(p, i, col[P_N]));
                }
            int panel = 0;
            for (size_t k = 0; k < nvariants; k++) {
                int points = 0;
                for (size_t i = 0; i < p->nrows; i++)
                    if (!strcmp(csv_table_get(p, i, col[P_VARIANT]), variant_name[k]) &&
                        !strcmp(csv_table_get(p, i, col[P_TIER]), tier_name(t)) && !isnan(csv_table_num(p, i, col[P_GBS]))) {
                        fprintf(dat, "%g %g\n", csv_table_num(p, i, col[P_N]), csv_table_num(p, i, col[P_GBS]));
                        points++;
                    }
                if (!points)
                    continue;
                fprintf(dat, "\n\n");
                if (!panel++) {
                    fprintf(gp, "set title '%s'\nset yrange [0:*]\nset xrange [%g:%g]\nplot ", tier_name(t), nlo / 1.5,
                            nhi * 1.5);
                    if (ceiling > 0)
                        fprintf(gp, "%g with lines lw 2 dt 2 lc 'black' title 'copy ceiling', ", ceiling);
                } else {
                    fprintf(gp, ", ");
                }
                fprintf(gp, "'bwn-%s.dat' index %zu using 1:2 with linespoints title '%s'", base, block++, variant_name[k]);
            }
            if (panel)
                fprintf(gp, "\n");
        }
        fprintf(gp, "unset multiplot\n");
    }
    if (dat)
        fclose(dat);
    if (gp) {
        fclose(gp);
        snprintf(script, sizeof script, "bwn-%s.gp", base);
        if (plot_run_gnuplot(plots, script, why, whylen) == 0)
            drawn |= 4;
    }
    /* speedup over naive per tier, each tier at its largest n */
    double nmax[NB_TIER_COUNT] = {0};
    int any = 0;
    for (size_t i = 0; i < p->nrows; i++)
        if (!strcmp(csv_table_get(p, i, col[P_NORM]), norm) && !strcmp(csv_table_get(p, i, col[P_DTYPE]), dtype))
            for (int t = 0; t < NB_TIER_COUNT; t++)
                if (!strcmp(csv_table_get(p, i, col[P_TIER]), tier_name(t)) && !isnan(csv_table_num(p, i, col[P_NAIVE]))) {
                    nmax[t] = fmax(nmax[t], csv_table_num(p, i, col[P_N]));
                    any = 1;
                }
    if (!any) {
        snprintf(why, whylen, "no naive variant of %s %s ran: no speedup plot", norm, dtype);
        goto done;
    }
    snprintf(path, sizeof path, "%s/speedup-%s.dat", plots, base);
    dat = fopen(path, "w");
    if (!dat)
        goto done;
    fprintf(dat, "# variant L1 L2 L3 DRAM\n");
    for (size_t k = 0; k < nvariants; k++) {
        fprintf(dat, "%s", variant_name[k]);
        for (int t = 0; t < NB_TIER_COUNT; t++) {
            double sp = NAN;
            for (size_t i = 0; i < p->nrows; i++)
                if (!strcmp(csv_table_get(p, i, col[P_VARIANT]), variant_name[k]) &&
                    !strcmp(csv_table_get(p, i, col[P_TIER]), tier_name(t)) && csv_table_num(p, i, col[P_N]) == nmax[t])
                    sp = csv_table_num(p, i, col[P_NAIVE]);
            fprintf(dat, isnan(sp) ? " 1e-9" : " %g", sp); /* 1e-9: below the axis, no bar */
        }
        fprintf(dat, "\n");
    }
    fclose(dat);
    snprintf(path, sizeof path, "%s/speedup-%s.gp", plots, base);
    gp = fopen(path, "w");
    if (!gp)
        goto done;
    fprintf(gp, "set terminal svg size 900,560 dynamic\nset output 'speedup-%s.svg'\n"
                "set title '%s %s: speedup over naive (largest n of each tier)'\nset style data histogram\n"
                "set style histogram cluster gap 1\nset style fill solid border -1\n"
                "set xtics rotate by -30 noenhanced\nset ylabel 'times faster than naive'\nset logscale y\n"
                "set yrange [0.5:*]\nset grid y\nplot ",
            base, norm, dtype);
    /* a bar per tier the run measured, and a legend entry for those only */
    for (int t = 0, first = 1; t < NB_TIER_COUNT; t++)
        if (nmax[t] > 0) {
            if (first)
                fprintf(gp, "'speedup-%s.dat' using %d:xtic(1) title '%s'", base, t + 2, tier_name(t));
            else
                fprintf(gp, ", '' using %d title '%s'", t + 2, tier_name(t));
            first = 0;
        }
    fprintf(gp, "\n");
    fclose(gp);
    snprintf(script, sizeof script, "speedup-%s.gp", base);
    if (plot_run_gnuplot(plots, script, why, whylen) == 0)
        drawn |= 2;
done:
    free(variant_name);
    return drawn;
}

/* Lines a call brought into a simulated cache over the lines its data
 * fills (perf.csv bytes: x, y, g and b once): 1 is a copy's, every byte
 * fetched once; above 1 the schedule reads part of the tensor again from
 * the level below. */
static void lines_cells(char *lines, char *ratio, size_t len, double count, double bytes, int line_bytes)
{
    fmt(lines, len, count, "%.0f");
    fmt(ratio, len, count * line_bytes / bytes, "%.2f");
}

/* The instruction counts of a norm and dtype, with the naive variant's
 * count over each one's; with line_bytes > 0 (run --count lines) the
 * simulated caches' lines too. */
static void counts_table(FILE *md, const struct csv_table *p, const int *col, const char *norm, const char *dtype,
                         int line_bytes)
{
    const int ins = csv_table_col(p, "instructions_per_call"), eps = csv_table_col(p, "eps");
    const int l1 = csv_table_col(p, "l1_lines_per_call"), l2 = csv_table_col(p, "l2_lines_per_call");
    const int lines = line_bytes > 0 && l1 >= 0 && l2 >= 0;
    fprintf(md, "| variant | tier | n | rows | eps | instructions per call | per element | × naive |%s\n"
                "|---|---|---|---|---|---|---|---|%s\n",
            lines ? " L1 lines per call | × data | L2 lines per call | × data |" : "", lines ? "---|---|---|---|" : "");
    for (size_t i = 0; i < p->nrows; i++) {
        if (strcmp(csv_table_get(p, i, col[P_NORM]), norm) || strcmp(csv_table_get(p, i, col[P_DTYPE]), dtype))
            continue;
        double count = csv_table_num(p, i, ins), naive = NAN;
        for (size_t k = 0; k < p->nrows; k++)
            if (!strcmp(csv_table_get(p, k, col[P_ALG]), "naive") && csv_table_same(p, k, i, col[P_NORM]) &&
                csv_table_same(p, k, i, col[P_DTYPE]) && csv_table_same(p, k, i, col[P_N]) &&
                csv_table_same(p, k, i, col[P_ROWS]))
                naive = csv_table_num(p, k, ins);
        char c[32], e[32], x[32];
        fmt(c, sizeof c, count, "%.0f");
        fmt(e, sizeof e, count / (csv_table_num(p, i, col[P_ROWS]) * csv_table_num(p, i, col[P_N])), "%.2f");
        fmt(x, sizeof x, naive / count, "%.2f");
        fprintf(md, "| %s | %s | %s | %s | %s | %s | %s | %s |", csv_table_get(p, i, col[P_VARIANT]),
                csv_table_get(p, i, col[P_TIER]), csv_table_get(p, i, col[P_N]), csv_table_get(p, i, col[P_ROWS]),
                eps >= 0 ? csv_table_get(p, i, eps) : "n/a", c, e, x);
        if (lines) {
            char a[32], ar[32], b[32], br[32];
            const double bytes = csv_table_num(p, i, col[P_BYTES]);
            lines_cells(a, ar, sizeof a, csv_table_num(p, i, l1), bytes, line_bytes);
            lines_cells(b, br, sizeof b, csv_table_num(p, i, l2), bytes, line_bytes);
            fprintf(md, " %s | %s | %s | %s |", a, ar, b, br);
        }
        fprintf(md, "\n");
    }
    fprintf(md, "\n");
}

/* a pair of the section: forward rows, or backward (norm *-bwd) ones */
static int pair_row(const struct csv_table *p, size_t i, const int *col, int backward, const char *tier)
{
    const int bwd = strstr(csv_table_get(p, i, col[P_NORM]), "-bwd") != NULL;
    return !isnan(csv_table_num(p, i, col[P_RMSLN])) && bwd == backward &&
           (!tier || !strcmp(csv_table_get(p, i, col[P_TIER]), tier));
}

/* The forward section's closing sentence: how the gain moves from cache to DRAM */
static void rms_vs_ln_reading(FILE *md, const double *med)
{
    /* the sentence compares the caches with DRAM: only where both were measured */
    int cache = !isnan(med[NB_TIER_L1]) ? NB_TIER_L1 : !isnan(med[NB_TIER_L2]) ? NB_TIER_L2 : -1;
    if (cache < 0 || isnan(med[NB_TIER_DRAM]))
        fprintf(md, "\n\n");
    else if (med[NB_TIER_DRAM] < med[cache])
        fprintf(md, " In cache the kernels are limited by instructions, and LayerNorm does more per element (a "
                    "second statistics pass over x - mu, the subtraction and the bias add), so RMSNorm's gain is "
                    "largest there. From DRAM both must move x in and y out once, and the row is still in cache "
                    "for the second pass, so the gain shrinks toward the cost of memory traffic alone.\n\n");
    else
        fprintf(md, " The gain does not shrink from %s to DRAM here; look at the pairs above for the variants "
                    "that drive it.\n\n", tier_name((enum nb_tier)cache));
}

static void rms_vs_ln_section(FILE *md, const struct run_files *r, const int *col, int backward)
{
    const struct csv_table *p = &r->perf;
    size_t pairs = 0;
    for (size_t i = 0; i < p->nrows; i++)
        pairs += pair_row(p, i, col, backward, NULL);
    if (backward && !pairs)
        return; /* a run without backward variants has no backward section */
    fprintf(md, "## RMSNorm against LayerNorm%s\n\n", backward ? ", backward" : "");
    if (!pairs) {
        fprintf(md, "This run has no RMSNorm and LayerNorm of the same algorithm (fused against twopass), ISA, "
                    "dtype and shape: nothing to compare.\n\n");
        return;
    }
    if (backward)
        fprintf(md, "Time of layernorm-bwd over time of rmsnorm-bwd for the same algorithm, ISA, dtype and shape, "
                    "the median of their per-round ratios: 1.10 means RMSNorm's backward pass is 10%% faster. Both "
                    "read x, dy and g and write dx and dg; LayerNorm also sums db and the row's mean terms.\n\n"
                    "| tier | pairs | min | median | max |\n|---|---|---|---|---|\n");
    else
        fprintf(md, "Time of LayerNorm over time of RMSNorm for the same algorithm (fused RMSNorm against twopass "
                    "LayerNorm), ISA, dtype, shape, the median of their per-round ratios: 1.10 means RMSNorm is 10%% "
                    "faster. The RMSNorm paper reports 7 to 64%% on GPUs.\n\n| tier | pairs | min | median | max "
                    "|\n|---|---|---|---|---|\n");
    double med[NB_TIER_COUNT] = {NAN, NAN, NAN, NAN};
    for (int t = 0; t < NB_TIER_COUNT; t++) {
        double v[512];
        size_t k = 0;
        for (size_t i = 0; i < p->nrows && k < 512; i++)
            if (pair_row(p, i, col, backward, tier_name(t)))
                v[k++] = csv_table_num(p, i, col[P_RMSLN]);
        if (!k)
            continue;
        fprintf(md, "| %s |", tier_name(t));
        med[t] = report_spread_cells(md, v, k);
    }
    fprintf(md, "\nEach pair, with the 95%% interval of its ratio:\n\n| RMSNorm variant | tier | n | rows | × |\n"
                "|---|---|---|---|---|\n");
    for (int t = 0; t < NB_TIER_COUNT; t++)
        for (size_t i = 0; i < p->nrows; i++)
            if (pair_row(p, i, col, backward, tier_name(t))) {
                fprintf(md, "| %s | %s | %s | %s |", csv_table_get(p, i, col[P_VARIANT]), tier_name(t),
                        csv_table_get(p, i, col[P_N]), csv_table_get(p, i, col[P_ROWS]));
                report_ratio_column_cell(md, p, i, "speedup_rms_vs_layernorm");
                fputc('\n', md);
            }
    fprintf(md, "\nWhat this machine shows: ");
    for (int t = 0, first = 1; t < NB_TIER_COUNT; t++)
        if (!isnan(med[t])) {
            fprintf(md, "%s%s %+.0f%%", first ? "" : ", ", tier_name(t), (med[t] - 1) * 100);
            first = 0;
        }
    fprintf(md, " (median gain of RMSNorm%s).", backward ? "'s backward pass" : "");
    if (backward)
        fprintf(md, "\n\n");
    else
        rms_vs_ln_reading(md, med);
}

/* llama-mode variants against the same ISA's up variant on the same
 * inputs: worst over the shapes (accuracy.csv's up_ columns) */
static void report_casting_modes(FILE *md, const struct csv_table *acc)
{
    int av = csv_table_col(acc, "variant"), aup = csv_table_col(acc, "up_max_ulp"),
        aeq = csv_table_col(acc, "up_equal_share"), amax = csv_table_col(acc, "max_ulp"),
        aex = csv_table_col(acc, "exact_share");
    if (av < 0 || aup < 0 || aeq < 0)
        return;
    int any = 0;
    for (size_t i = 0; i < acc->nrows; i++) {
        const char *v = csv_table_get(acc, i, av);
        int first = *csv_table_get(acc, i, aup) != '\0';
        for (size_t k = 0; k < i && first; k++)
            first = strcmp(csv_table_get(acc, k, av), v) != 0;
        if (!first)
            continue;
        if (!any)
            fprintf(md, "## Casting modes: llama against up\n\nHugging Face's LlamaRMSNorm rounds x r to the "
                        "storage type and the product with the gain again; `up` rounds once. Worst over the "
                        "shapes, on the same inputs: against the reference, and against the same ISA's `up` "
                        "variant (ULPs of up's outputs).\n\n| variant | max ULP | correctly rounded | max ULP "
                        "against up | share equal to up |\n|---|---|---|---|---|\n");
        any = 1;
        double mx = NAN, ex = NAN, up = NAN, eq = NAN;
        for (size_t k = i; k < acc->nrows; k++)
            if (!strcmp(csv_table_get(acc, k, av), v)) {
                mx = fmax(mx, csv_table_num(acc, k, amax));
                ex = fmin(ex, csv_table_num(acc, k, aex));
                up = fmax(up, csv_table_num(acc, k, aup));
                eq = fmin(eq, csv_table_num(acc, k, aeq));
            }
        char a[32], b[32], c[32], d[32];
        fmt(a, sizeof a, mx, "%.3g");
        fmt(b, sizeof b, ex * 100, "%.1f%%");
        fmt(c, sizeof c, up, "%.3g");
        fmt(d, sizeof d, eq * 100, "%.1f%%");
        fprintf(md, "| %s | %s | %s | %s | %s |\n", v, a, b, c, d);
    }
    if (any)
        fprintf(md, "\n");
}

int cmd_report(int argc, char **argv)
{
    const char *dir = NULL;
    int plots = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: normbench report DIR [--no-plots]\n\nWrites DIR/report.md (and DIR/plots/*.svg with "
                   "gnuplot) from DIR/perf.csv,\naccuracy.csv and meta.csv of a run.\n");
            return NB_EXIT_OK;
        }
        if (!strcmp(argv[i], "--no-plots"))
            plots = 0;
        else if (argv[i][0] == '-') {
            nb_error("report", "unknown option '%s'", argv[i]);
            return NB_EXIT_USAGE;
        } else if (dir) {
            nb_error("report", "one run directory only");
            return NB_EXIT_USAGE;
        } else
            dir = argv[i];
    }
    if (!dir) {
        nb_error("report", "which run? normbench report DIR (results/latest is the last one)");
        return NB_EXIT_USAGE;
    }
    if (nb_parse_only)
        return NB_EXIT_OK;
    struct run_files r;
    memset(&r, 0, sizeof r);
    char path[4200], err[600];
    int rc;
    snprintf(path, sizeof path, "%s/perf.csv", dir);
    if ((rc = csv_table_read(path, &r.perf, err, sizeof err))) {
        nb_error("report", "%s", err);
        return rc;
    }
    snprintf(path, sizeof path, "%s/meta.csv", dir);
    if ((rc = csv_table_read(path, &r.meta, err, sizeof err))) {
        nb_error("report", "%s", err);
        csv_table_free(&r.perf);
        return rc;
    }
    snprintf(path, sizeof path, "%s/accuracy.csv", dir);
    r.have_acc = csv_table_read(path, &r.acc, err, sizeof err) == 0;
    int col[P_COUNT];
    for (int c = 0; c < P_COUNT; c++)
        if ((col[c] = csv_table_col(&r.perf, perf_needed[c])) < 0) {
            nb_error("report", "%s/perf.csv: no column '%s'", dir, perf_needed[c]);
            rc = NB_EXIT_USAGE;
            goto done;
        }
    if (r.meta.ncols < 2) {
        nb_error("report", "%s/meta.csv: want key,value columns", dir);
        rc = NB_EXIT_USAGE;
        goto done;
    }
    snprintf(path, sizeof path, "%s/report.md", dir);
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *md = fopen(tmp, "w");
    if (!md) {
        nb_error("report", "cannot write %s: %s", path, strerror(errno));
        rc = NB_EXIT_ENV;
        goto done;
    }
    fprintf(md, "# normbench report: %s\n\n", meta_get(&r, "suite"));
    fprintf(md, "Run of %s, status **%s**, %s measurements.\n\n", meta_get(&r, "date"), meta_get(&r, "status"),
            meta_get(&r, "rows_measured"));
    char plot_note[300] = "";
    if (report_machine_count(&r.perf) > 1) {
        /* machines' rows side by side; the per-machine tables below would
         * mix them (normbench report on one machine's merge has them) */
        if (report_machines(md, &r.perf, &r.meta) != 0)
            fprintf(md, "perf.csv lacks a column the cross-machine tables need.\n");
        goto close;
    }
    fprintf(md, "## Machine\n\n| | |\n|---|---|\n");
    const char *keys[] = {"cpu_model", "architecture", "emulated", "virtual_machine", "cores", "l1d_bytes", "l2_bytes", "l3_bytes", "cpu",
                          "threads", "cache", "frequency_governor", "core_clock_ghz", "timer", "papi_events", "compiler",
                          "normbench_version", "git_revision", "config"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        fprintf(md, "| %s | %s |\n", keys[k], meta_get(&r, keys[k]));
    fprintf(md, "\n## Ceilings measured in this run\n\nCopy (x read, y written; the best of several copy "
                "implementations), non-temporal copy and read-only reduction, one thread, at each tier's "
                "footprint. A row's share is of the copies timed in its rounds, each round's fastest: the "
                "non-temporal ones in DRAM, and in L3 where one was faster than every normal copy here.\n\n"
                "| tier | footprint | copy GB/s | by | copy-nt GB/s | read GB/s | timed in the rounds |\n"
                "|---|---|---|---|---|---|---|\n");
    for (int t = 0; t < NB_TIER_COUNT; t++) {
        char key[4][64];
        snprintf(key[0], 64, "ceiling_%s_bytes", tier_name(t));
        if (!strcmp(meta_get(&r, key[0]), "n/a"))
            continue;
        snprintf(key[1], 64, "ceiling_%s_copy_gbs", tier_name(t));
        snprintf(key[2], 64, "ceiling_%s_copy_nt_gbs", tier_name(t));
        snprintf(key[3], 64, "ceiling_%s_read_gbs", tier_name(t));
        char by[64], rounds[64];
        snprintf(by, sizeof by, "ceiling_%s_copy_by", tier_name(t));
        snprintf(rounds, sizeof rounds, "ceiling_%s_round_copies", tier_name(t));
        const char *timed = meta_get(&r, rounds);
        /* run.c appends "(the fastest of them each round)", which the table's text says once */
        const char *clause = strstr(timed, " (");
        fprintf(md, "| %s | %s | %s | %s | %s | %s | %.*s |\n", tier_name(t), meta_get(&r, key[0]),
                meta_get(&r, key[1]), meta_get(&r, by), meta_get(&r, key[2]), meta_get(&r, key[3]),
                clause ? (int)(clause - timed) : (int)strlen(timed), timed);
    }
    fprintf(md, "\n");
    if (strcmp(meta_get(&r, "tiers_skipped"), "n/a"))
        fprintf(md, "Not measured, their footprints being above the suite's `max_footprint`: %s. "
                    "`--max-footprint none` measures them.\n\n",
                meta_get(&r, "tiers_skipped"));
    if (strcmp(meta_get(&r, "edge_shapes"), "n/a"))
        fprintf(md, "At a cache's edge (a footprint within a factor of two of a cache's size): %s. How much of such a "
                    "footprint stays in the cache differs from process to process, and with it the copy ceiling, "
                    "so these shapes' shares of the ceiling may not reproduce from run to run; `rows = auto` "
                    "sizes its tiers away from the edges wherever a level is at least eight times the one below.\n\n",
                meta_get(&r, "edge_shapes"));
    /* a run that counted instructions (callgrind) has no times: what the
     * report can say is the counts */
    const int counting = strcmp(meta_get(&r, "instructions"), "n/a") != 0 && csv_table_col(&r.perf, "instructions_per_call") >= 0;
    /* run --count lines */
    const int line_bytes = atoi(meta_get(&r, "line_bytes"));
    struct report_pairs rp;
    report_pairs_open(&rp, dir);
    if (counting) {
        fprintf(md, "## Instruction counts\n\nThis run counted each kernel's instructions (%s) and timed nothing: "
                    "no bandwidth, shares, speedups in time or plots. × naive below is the naive variant's "
                    "instructions per call over this one's.\n\n", meta_get(&r, "instructions"));
        if (line_bytes > 0)
            fprintf(md, "It also counted the lines each call brings into a simulated L1d and L2 (%s), hot, after one "
                        "uncounted call. × data is that count over the lines the call's data fills (perf.csv bytes: "
                        "x, y, g and b once): 1.00 is a copy's, every byte fetched once; above it the schedule "
                        "reads part of the tensor again from the level below. A prefetcher hides latency, not "
                        "these transfers, and a non-temporal store is counted as a store that allocates.\n\n",
                    meta_get(&r, "lines"));
    } else {
        report_threads_section(md, &r.perf, &rp); /* keeps one thread count for the rest */
        rms_vs_ln_section(md, &r, col, 0);
        rms_vs_ln_section(md, &r, col, 1);
        report_best_section(md, &r.perf, &rp);
        report_partial_section(md, &r.perf, &rp);
    }
    report_pairs_close(&rp);

    /* per norm and dtype: best variant per tier and n, then all rows */
    const struct csv_table *p = &r.perf;
    for (size_t gi = 0; gi < p->nrows; gi++) {
        /* a (norm, dtype) group at its first row */
        int dup = 0;
        for (size_t k = 0; k < gi && !dup; k++)
            dup = csv_table_same(p, k, gi, col[P_NORM]) && csv_table_same(p, k, gi, col[P_DTYPE]);
        char norm[40], dtype[40];
        if (dup || snprintf(norm, sizeof norm, "%s", csv_table_get(p, gi, col[P_NORM])) >= (int)sizeof norm ||
            snprintf(dtype, sizeof dtype, "%s", csv_table_get(p, gi, col[P_DTYPE])) >= (int)sizeof dtype)
            continue;
        fprintf(md, "## %s %s\n\n", norm, dtype);
        if (counting) {
            counts_table(md, p, col, norm, dtype, line_bytes);
            continue;
        }
        if (plots) {
            char why[300] = "";
            int drawn = draw_plots(&r, col, dir, norm, dtype, why, sizeof why);
            if (drawn & 4)
                fprintf(md, "![bandwidth against hidden size](plots/bwn-%s-%s.svg)\n", norm, dtype);
            if (drawn & 1)
                fprintf(md, "![bandwidth against footprint](plots/bw-%s-%s.svg)\n", norm, dtype);
            if (drawn & 2)
                fprintf(md, "![speedup](plots/speedup-%s-%s.svg)\n", norm, dtype);
            fprintf(md, "\n");
            if (why[0])
                fprintf(md, "Note: %s.\n\n", why);
            if (drawn == 0)
                snprintf(plot_note, sizeof plot_note, "%s", why[0] ? why : "plots could not be drawn");
        }
        fprintf(md, "| variant | tier | n | rows | eps | median µs | cv | GB/s | share of copy | × naive |\n"
                    "|---|---|---|---|---|---|---|---|---|---|\n");
        const int eps_col = csv_table_col(p, "eps");
        for (int t = 0; t < NB_TIER_COUNT; t++)
            for (size_t i = 0; i < p->nrows; i++) {
                if (strcmp(csv_table_get(p, i, col[P_NORM]), norm) || strcmp(csv_table_get(p, i, col[P_DTYPE]), dtype) ||
                    strcmp(csv_table_get(p, i, col[P_TIER]), tier_name(t)))
                    continue;
                char a[32], b[32], c[32];
                fmt(a, sizeof a, csv_table_num(p, i, col[P_MEDIAN]) / 1000, "%.3f");
                fmt(b, sizeof b, csv_table_num(p, i, col[P_CV]) * 100, "%.1f%%");
                fmt(c, sizeof c, csv_table_num(p, i, col[P_GBS]), "%.2f");
                fprintf(md, "| %s | %s | %s | %s | %s | %s | %s | %s |", csv_table_get(p, i, col[P_VARIANT]), tier_name(t),
                        csv_table_get(p, i, col[P_N]), csv_table_get(p, i, col[P_ROWS]),
                        eps_col >= 0 ? csv_table_get(p, i, eps_col) : "n/a", a, b, c);
                report_ratio_column_cell(md, p, i, "roofline_share");
                report_ratio_column_cell(md, p, i, "speedup_vs_naive");
                fputc('\n', md);
            }
        fprintf(md, "\n");
    }
    if (plot_note[0])
        fprintf(md, "Note: %s; the tables above hold every figure.\n\n", plot_note);
    if (r.have_acc) {
        int av = csv_table_col(&r.acc, "variant"), amax = csv_table_col(&r.acc, "max_ulp"),
            aex = csv_table_col(&r.acc, "exact_share"), anan = csv_table_col(&r.acc, "nan"),
            arow = csv_table_col(&r.acc, "rows_checked");
        /* runs before the term-scaled columns existed have neither */
        int aterms = csv_table_col(&r.acc, "max_ulp_terms"), abound = csv_table_col(&r.acc, "bound_ulp");
        if (av >= 0 && amax >= 0 && aex >= 0 && anan >= 0) {
            fprintf(md, "## Accuracy against the correctly rounded reference\n\nWorst case over the shapes of this run "
                        "(every row unless the run sampled: rows checked, last column). max ULP: ULPs of the storage type at the exact value; at terms: at the "
                        "magnitude of the terms an output sums (LayerNorm's (|x| + mean |x|) r |g| + |b|, "
                        "Gemma's |y / (1 + g)|, the same as max ULP for the other norms), the error each "
                        "variant's bound applies to (`nat` variants are reported, not bounded).\n\n"
                        "| variant | max ULP | at terms | bound | within | lowest share correctly rounded | "
                        "NaN outputs | rows checked |\n|---|---|---|---|---|---|---|---|\n");
            for (size_t i = 0; i < r.acc.nrows; i++) {
                const char *v = csv_table_get(&r.acc, i, av);
                int first = 1;
                for (size_t k = 0; k < i; k++)
                    first &= strcmp(csv_table_get(&r.acc, k, av), v) != 0;
                if (!first)
                    continue;
                /* NaN until a checked shape says otherwise (fmax and fmin
                 * skip NaN): a variant never checked shows n/a, not 0 */
                double mx = NAN, terms = NAN, ex = NAN, nan = 0, rows = 0;
                double bound = abound >= 0 ? csv_table_num(&r.acc, i, abound) : NAN;
                for (size_t k = i; k < r.acc.nrows; k++)
                    if (!strcmp(csv_table_get(&r.acc, k, av), v)) {
                        mx = fmax(mx, csv_table_num(&r.acc, k, amax));
                        if (aterms >= 0)
                            terms = fmax(terms, csv_table_num(&r.acc, k, aterms));
                        ex = fmin(ex, csv_table_num(&r.acc, k, aex));
                        nan += csv_table_num(&r.acc, k, anan);
                        rows += csv_table_num(&r.acc, k, arow);
                    }
                char m[32], t[32], bd[32], share[32];
                fmt(m, sizeof m, mx, "%.3g");
                fmt(t, sizeof t, terms, "%.3g");
                fmt(bd, sizeof bd, bound, "%.3g");
                fmt(share, sizeof share, ex * 100, "%.1f%%");
                fprintf(md, "| %s | %s | %s | %s | %s | %s | %.0f | %.0f |\n", v, m, t,
                        isnan(bound) ? (abound >= 0 ? "reported" : "n/a") : bd,
                        isnan(bound) || isnan(terms) ? "n/a" : terms <= bound ? "yes" : "**no**", share, nan, rows);
            }
            fprintf(md, "\n");
            report_casting_modes(md, &r.acc);
        }
    }
close:;
    int bad = ferror(md);
    if (fclose(md) != 0 || bad || rename(tmp, path) != 0) {
        nb_error("report", "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        rc = NB_EXIT_ENV;
        goto done;
    }
    fprintf(stderr, "wrote %s%s%s\n", path, plot_note[0] ? "; " : "", plot_note);
done:
    csv_table_free(&r.perf);
    csv_table_free(&r.meta);
    if (r.have_acc)
        csv_table_free(&r.acc);
    return rc;
}
