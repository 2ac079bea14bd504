/* normbench sweep --config F: accuracy over grids of distribution x offset x
 * scale x eps x n for each variant, with sweep.csv, summary.md and plots. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "plot.h"
#include "config.h"
#include "csv_io.h"
#include "reference.h"
#include "results.h"
#include "study.h"
#include "version.h"
#include "provenance.h"
#include "run.h"
#include "run_dir.h"

/* Reference values a sweep may compute: about a minute of MPFR here. */
#define SWEEP_MAX_REF_VALUES ((size_t)40000000)

/* The error a variant is judged against in a study: its registry bound, and
 * for `nat` variants (reported, not bounded) 8 ULPs of their own storage
 * type, i.e. 3 of their 8 or 11 bits lost. */
static double study_bound(const struct nb_variant *v)
{
    return v->ulp_bound >= 0 ? v->ulp_bound : 8.0;
}

/* The variant broke: NaN, Inf or zero where the correctly rounded result
 * is finite and non-zero (a NaN the reference also gives, from inputs that
 * overflowed the storage type, is not the kernel's doing). */
static int broken(const struct accuracy_summary *s)
{
    return s->false_nonfinite + s->false_zero > 0;
}

static int within_bound(const struct nb_variant *v, const struct accuracy_summary *s)
{
    return s->max_ulp_terms <= study_bound(v) && !broken(s);
}

struct sweep_row;
static size_t bounded_failures(const struct sweep_row *rows, size_t count);

struct sweep_row {
    const struct nb_variant *v;
    size_t n;
    double eps;
    struct nb_distribution dist;
    struct accuracy_summary s;
};

static const char *const sweep_extra_columns[] = {"offset", "max_ulp_terms", "false_nonfinite", "bound_ulp",
                                                  "within_bound", NULL};

static int write_sweep_csv(const char *path, const struct sweep_row *rows, size_t count, size_t nrows_data,
                           char *err, size_t errlen)
{
    struct csv_out o;
    int rc = csv_out_open(&o, path, err, errlen);
    if (rc)
        return rc;
    for (size_t i = 0; accuracy_columns[i]; i++)
        csv_out_field(&o, accuracy_columns[i]);
    for (size_t i = 0; sweep_extra_columns[i]; i++)
        csv_out_field(&o, sweep_extra_columns[i]);
    csv_out_end_row(&o);
    char buf[40];
    for (size_t i = 0; i < count; i++) {
        const struct sweep_row *r = &rows[i];
        const struct accuracy_summary *s = &r->s;
        csv_out_field(&o, r->v->name);
        csv_out_field(&o, norm_name(r->v->norm));
        csv_out_field(&o, r->v->dtype_name);
        csv_out_fieldf(&o, "%zu", nrows_data);
        csv_out_fieldf(&o, "%zu", r->n);
        format_double(buf, sizeof buf, r->eps);
        csv_out_field(&o, buf);
        csv_out_field(&o, dist_name(r->dist.kind));
        format_double(buf, sizeof buf, r->dist.scale);
        csv_out_field(&o, buf);
        csv_out_fieldf(&o, "%zu", nrows_data);
        const double v[] = {s->max_ulp, accuracy_mean_ulp(s), s->max_rel, accuracy_rms_rel(s), accuracy_nmse(s),
                            s->count ? (double)s->correctly_rounded / (double)s->count : NAN};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
            format_double(buf, sizeof buf, v[k]);
            csv_out_field(&o, buf);
        }
        csv_out_fieldf(&o, "%zu", s->nan);
        csv_out_fieldf(&o, "%zu", s->pos_inf);
        csv_out_fieldf(&o, "%zu", s->neg_inf);
        csv_out_fieldf(&o, "%zu", s->false_zero);
        format_double(buf, sizeof buf, r->dist.offset);
        csv_out_field(&o, buf);
        format_double(buf, sizeof buf, s->max_ulp_terms);
        csv_out_field(&o, buf);
        csv_out_fieldf(&o, "%zu", s->false_nonfinite);
        format_double(buf, sizeof buf, study_bound(r->v));
        csv_out_field(&o, buf);
        csv_out_field(&o, within_bound(r->v, s) ? "yes" : "no");
        csv_out_end_row(&o);
    }
    return csv_out_commit(&o, err, errlen);
}

static void fmt_g(char *out, size_t len, double v)
{
    if (v != 0 && isfinite(v) && fabs(v) == ldexp(1.0, ilogb(v)) && abs(ilogb(v)) >= 4)
        snprintf(out, len, "2^%d", ilogb(v));
    else
        snprintf(out, len, "%g", v);
}

/* For one (variant, n, eps, dist[, offset]) line along the swept axis. */
static void summarise_line(FILE *md, const struct sweep_row *rows, size_t count, size_t first, int by_offset)
{
    const struct sweep_row *f = &rows[first];
    double lo = NAN, hi = NAN, first_bad = NAN, worst = 0;
    size_t bad_nonfinite = 0, bad_zero = 0, inside = 0, outside_between = 0;
    for (size_t i = first; i < count; i++) {
        const struct sweep_row *r = &rows[i];
        if (r->v != f->v || r->n != f->n || r->eps != f->eps || r->dist.kind != f->dist.kind ||
            (!by_offset && r->dist.offset != f->dist.offset) || (by_offset && r->dist.scale != f->dist.scale))
            continue;
        double axis = by_offset ? r->dist.offset : r->dist.scale;
        if (within_bound(r->v, &r->s)) {
            lo = isnan(lo) ? axis : fmin(lo, axis);
            hi = isnan(hi) ? axis : fmax(hi, axis);
            inside++;
        }
        if (broken(&r->s) && (isnan(first_bad) || axis < first_bad)) {
            first_bad = axis;
            bad_nonfinite = r->s.false_nonfinite;
            bad_zero = r->s.false_zero;
        }
        if (r->s.max_ulp_terms > worst || isnan(r->s.max_ulp_terms))
            worst = r->s.max_ulp_terms;
    }
    /* cells out of bound between lo and hi: the range has holes */
    for (size_t i = first; i < count && !isnan(lo); i++) {
        const struct sweep_row *r = &rows[i];
        double axis = by_offset ? r->dist.offset : r->dist.scale;
        if (r->v == f->v && r->n == f->n && r->eps == f->eps && r->dist.kind == f->dist.kind &&
            (by_offset ? r->dist.scale == f->dist.scale : r->dist.offset == f->dist.offset) && axis > lo &&
            axis < hi && !within_bound(r->v, &r->s))
            outside_between++;
    }
    char a[32], b[32], c[32], e[32];
    fmt_g(a, sizeof a, lo);
    fmt_g(b, sizeof b, hi);
    fmt_g(c, sizeof c, first_bad);
    format_double(e, sizeof e, f->eps);
    fprintf(md, "| %s | %zu | %s | ", f->v->name, f->n, e);
    if (isnan(lo))
        fprintf(md, "never (bound %.3g) | ", study_bound(f->v));
    else
        fprintf(md, "%s to %s%s | ", a, b, outside_between ? " (with holes)" : "");
    (void)inside;
    if (isnan(first_bad))
        fprintf(md, "none |");
    else
        fprintf(md, "%s: %zu NaN/Inf, %zu zeros |", c, bad_nonfinite, bad_zero);
    fprintf(md, " %.3g |\n", worst);
}


/* One plot per (dist, n, eps): max ULP against the swept axis, a line per
 * variant, non-finite or zero outputs marked at the top. */
static int plot_lines(const char *dir, const struct sweep_row *rows, size_t count, size_t first, int by_offset,
                      int index, char *name, size_t namelen)
{
    char plots[4200], path[4400];
    if (snprintf(plots, sizeof plots, "%s/plots", dir) >= (int)sizeof plots)
        return -1;
    mkdir(plots, 0777);
    snprintf(name, namelen, "sweep-%d", index);
    snprintf(path, sizeof path, "%s/%s.dat", plots, name);
    FILE *dat = fopen(path, "w");
    if (!dat)
        return -1;
    const struct sweep_row *f = &rows[first];
    const struct nb_variant **seen = calloc(count - first + 1, sizeof *seen);
    size_t nseen = 0;
    if (!seen) {
        fclose(dat);
        return -1;
    }
    for (size_t i = first; i < count; i++) {
        const struct sweep_row *r = &rows[i];
        if (r->n != f->n || r->eps != f->eps || r->dist.kind != f->dist.kind)
            continue;
        int dup = 0;
        for (size_t k = 0; k < nseen; k++)
            dup |= seen[k] == r->v;
        if (dup)
            continue;
        seen[nseen++] = r->v;
        fprintf(dat, "# %s\n", r->v->name);
        for (size_t k = first; k < count; k++) {
            const struct sweep_row *q = &rows[k];
            if (q->v != r->v || q->n != f->n || q->eps != f->eps || q->dist.kind != f->dist.kind)
                continue;
            double axis = by_offset ? q->dist.offset : q->dist.scale;
            double err = q->s.max_ulp_terms;
            /* non-finite or zero outputs: drawn at the top, marked */
            fprintf(dat, "%g %g\n", axis, isfinite(err) && !broken(&q->s) ? fmax(err, 1e-3) : 1e7);
        }
        fprintf(dat, "\n\n");
    }
    fclose(dat);
    snprintf(path, sizeof path, "%s/%s.gp", plots, name);
    FILE *gp = fopen(path, "w");
    if (!gp) {
        free(seen);
        return -1;
    }
    char e[32];
    format_double(e, sizeof e, f->eps);

    fprintf(gp, "set terminal svg size 960,600 dynamic\nset output '%s.svg'\nset logscale xy\nset grid\n"
                "set title '%s inputs, n = %zu, eps = %s: error against %s' noenhanced\n"
                "set xlabel '%s'\nset ylabel 'max error (ULP of the storage type, at the terms)'\n"
                "set yrange [1e-3:3e7]\nset key outside right noenhanced\n"
                "set label 1 'non-finite or zero outputs' at graph 0.02, graph 0.97\n"
                "set object 1 rect from graph 0, graph 0.93 to graph 1, graph 1 fc rgb '#ffdddd' fs solid 0.5 behind\n",
            name, dist_name(f->dist.kind), f->n, e, by_offset ? "offset" : "input scale",
            by_offset ? "offset M (mean of the inputs)" : "input scale S");
    /* scales on a power-of-two grid read as 2^k, not 0.00000001 ... 10000.0000000 */
    if (!by_offset)
        fprintf(gp, "set logscale x 2\nset format x '2^{%%L}'\n");
    /* a colour and a point shape per series: gnuplot's 8 default colours
     * repeat past the eighth, so the pair tells twelve series apart */
    static const char *const colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                                          "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8"};
    fprintf(gp, "plot ");
    for (size_t k = 0; k < nseen; k++)
        fprintf(gp, "%s'%s.dat' index %zu using 1:2 with linespoints lc rgb '%s' pt %zu title '%s'", k ? ", " : "",
                name, k, colours[k % 12], k % 13 + 1, seen[k]->name);
    fprintf(gp, "\n");
    fclose(gp);
    free(seen);
    char script[80], why[200];
    snprintf(script, sizeof script, "%s.gp", name);
    return plot_run_gnuplot(plots, script, why, sizeof why);
}

/* SPEC section 9 for a study (study_cell_fails): each failing cell is named
 * on stderr; the count is returned. */
static size_t bounded_failures(const struct sweep_row *rows, size_t count)
{
    size_t failed = 0;
    for (size_t i = 0; i < count; i++) {
        const struct sweep_row *r = &rows[i];
        if (!study_cell_fails(r->v, &r->dist, r->eps, &r->s))
            continue;
        char eps[32];
        format_double(eps, sizeof eps, r->eps);
        nb_error("sweep", "accuracy check failed: %s at n = %zu, eps = %s, %s scale %g: %.4g ULP against its bound %.3g",
                 r->v->name, r->n, eps, dist_name(r->dist.kind), r->dist.scale, r->s.max_ulp_terms, r->v->ulp_bound);
        failed++;
    }
    return failed;
}

int cmd_sweep(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'}, {"out", required_argument, 0, 'o'},
        {"no-plots", no_argument, 0, 'P'},     {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *config = NULL, *out = NULL;
    int plots = 1;
    optind = 0; /* 0, not 1: glibc then also forgets a half-parsed option cluster */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'o': out = optarg; break;
        case 'P': plots = 0; break;
        case 'h':
            printf("usage: normbench sweep --config F [--out DIR] [--no-plots]\n\n"
                   "Runs the accuracy grid of a study config ([sweep] scales, dists, offsets,\n"
                   "rows; [run] kernels, dtype, hidden, eps) against the MPFR reference and\n"
                   "writes sweep.csv, summary.md and plots/ to DIR (default\n"
                   "results/<run-id>-sweep-<name>/). Studies (configs/ in the source tree,\n"
                   "" NB_CONFIG_DIR " once installed): fp16-overflow.ini,\n"
                   "eps-sensitivity.ini, layernorm-cancellation.ini.\n");
            return NB_EXIT_OK;
        default: return option_error("sweep", c, argv);
        }
    }
    if (optind < argc || !config) {
        nb_error("sweep", optind < argc ? "unexpected argument '%s'" : "which study? --config F is required%s",
                 optind < argc ? argv[optind] : "");
        return NB_EXIT_USAGE;
    }
    struct nb_suite s;
    suite_defaults(&s);
    char err[600];
    int rc = suite_load_file(&s, config, err, sizeof err);
    if (rc) {
        nb_error("sweep", "%s", err);
        return rc;
    }
    if (!s.has_sweep) {
        nb_error("sweep", "%s: no [sweep] section (scales, dists, rows): not a study config", config);
        return NB_EXIT_USAGE;
    }
    if (nb_parse_only)
        return NB_EXIT_OK;
    /* variants, grouped by (norm, dtype) so the reference is shared */
    const struct nb_variant **vars = calloc(registry_count(), sizeof *vars);
    size_t nvar = 0, matched = 0;
    if (!vars) {
        nb_error("sweep", "out of memory");
        return NB_EXIT_ENV;
    }
    for (int norm = 0; norm < NB_NORM_COUNT; norm++)
        for (int dt = 0; dt < NB_DTYPE_COUNT; dt++)
            for (size_t i = 0; i < registry_count(); i++) {
                const struct nb_variant *v = registry_at(i);
                if ((int)v->norm != norm || (int)v->dtype != dt || v->isa == NB_ISA_MPFR ||
                    !glob_list_match(s.kernels, v->name) ||
                    (s.dtypes[0] && !glob_list_match(s.dtypes, v->dtype_name)))
                    continue;
                matched++;
                const char *why = registry_unavailable(v);
                if (why)
                    fprintf(stderr, "skipped %s: %s\n", v->name, why);
                else
                    vars[nvar++] = v;
            }
    if (!matched || !nvar) {
        if (!matched)
            nb_error("sweep", "%s: no variant matches '%s'", config, s.kernels);
        else
            nb_error("sweep", "none of the %zu matching variants can run here", matched);
        free(vars);
        return matched ? NB_EXIT_ENV : NB_EXIT_USAGE;
    }
    size_t groups = 0;
    for (size_t i = 0; i < nvar; i++)
        groups += i == 0 || vars[i]->norm != vars[i - 1]->norm || vars[i]->dtype != vars[i - 1]->dtype;
    size_t cells_per_n = 0;
    for (size_t d = 0; d < s.ndists; d++)
        cells_per_n += s.nscales * s.neps * (s.dists[d] == NB_DIST_OFFSET ? s.noffsets : 1);
    size_t sum_n = 0;
    for (size_t h = 0; h < s.nhidden; h++)
        sum_n += s.hidden[h];
    size_t ref_values = groups * cells_per_n * s.sweep_rows * sum_n;
    size_t rows_out = nvar * cells_per_n * s.nhidden;
    if (ref_values > SWEEP_MAX_REF_VALUES) {
        nb_error("sweep", "%s: the grid is too large: %zu cells x %zu variants need %zu reference values "
                          "(limit %zu); fewer scales, sizes or rows",
                 config, cells_per_n * s.nhidden, nvar, ref_values, SWEEP_MAX_REF_VALUES);
        free(vars);
        return NB_EXIT_USAGE;
    }
    struct sweep_row *rows = calloc(rows_out, sizeof *rows);
    if (!rows) {
        nb_error("sweep", "out of memory for %zu results", rows_out);
        free(vars);
        return NB_EXIT_ENV;
    }
    /* output directory */
    char dir[4096], dir_name[128];
    snprintf(dir_name, sizeof dir_name, "sweep-%.100s", s.name);
    if ((rc = run_dir_make("sweep", dir, sizeof dir, out, dir_name))) {
        free(rows);
        free(vars);
        return rc;
    }
    run_install_signal_handlers();
    fprintf(stderr, "sweep %s: %zu variants x %zu cells, %zu reference values\n", s.name, nvar,
            cells_per_n * s.nhidden, ref_values);
    size_t done = 0;
    struct ref_cache cache = {0};
    for (size_t d = 0; d < s.ndists; d++) {
        size_t noff = s.dists[d] == NB_DIST_OFFSET ? s.noffsets : 1;
        for (size_t o = 0; o < noff; o++)
            for (size_t h = 0; h < s.nhidden; h++)
                for (size_t e = 0; e < s.neps; e++)
                    for (size_t sc = 0; sc < s.nscales; sc++)
                        for (size_t i = 0; i < nvar; i++) {
                            if (run_interrupted())
                                goto write;
                            struct nb_distribution dist = s.dist;
                            dist.kind = s.dists[d];
                            dist.scale = s.scales[sc];
                            dist.offset = s.dists[d] == NB_DIST_OFFSET ? s.offsets[o] : 0;
                            struct study_cell cell = {.rows = s.sweep_rows, .n = s.hidden[h], .eps = s.eps[e],
                                                      .p = s.p, .dist = dist, .seed = s.seed};
                            struct sweep_row *r = &rows[done];
                            r->v = vars[i];
                            r->n = cell.n;
                            r->eps = cell.eps;
                            r->dist = dist;
                            if (study_measure(vars[i], &cell, &cache, &r->s) != 0) {
                                nb_error("sweep", "out of memory at n = %zu", cell.n);
                                rc = NB_EXIT_ENV;
                                goto write;
                            }
                            done++;
                        }
    }
write:;
    char path[4200];
    int wrc = 0;
    if (run_interrupted()) /* a partial grid is not a study: meta.csv says so, nothing else is written */
        wrc = -1;
    snprintf(path, sizeof path, "%s/sweep.csv", dir);
    if (!wrc)
        wrc = write_sweep_csv(path, rows, done, s.sweep_rows, err, sizeof err);
    if (wrc < 0)
        wrc = 0, rc = run_stop_status();
    if (wrc) {
        nb_error("sweep", "%s", err);
        rc = wrc;
    }
    snprintf(path, sizeof path, "%s/summary.md", dir);
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *md = wrc || run_interrupted() ? NULL : fopen(tmp, "w");
    if (!wrc && !md && !run_interrupted()) {
        nb_error("sweep", "cannot write %s: %s", path, strerror(errno));
        rc = NB_EXIT_ENV;
    }
    if (md) {
        fprintf(md, "# normbench sweep: %s\n\nConfig `%s`, %zu rows of seeded data per cell, %zu results. "
                    "Errors are in ULPs of each variant's storage type, at the magnitude of the terms an output "
                    "sums (max_ulp_terms; equal to the plain ULP error for the RMSNorm family). A variant is "
                    "within bound when that is at most its registry bound (8 for `nat` variants).\n\n",
                s.name, config, s.sweep_rows, done);
        int plot_index = 0, plot_failed = 0;
        for (size_t d = 0; d < s.ndists; d++) {
            int by_offset = s.dists[d] == NB_DIST_OFFSET && s.noffsets > 1;
            fprintf(md, "## %s inputs\n\n| variant | n | eps | %s within bound | first wrong NaN, Inf or zero "
                        "(where the reference is finite and non-zero) | worst ULP |\n|---|---|---|---|---|---|\n",
                    dist_name(s.dists[d]), by_offset ? "offsets" : "scales");
            for (size_t i = 0; i < done; i++) {
                const struct sweep_row *r = &rows[i];
                if (r->dist.kind != s.dists[d])
                    continue;
                /* the first row of each line */
                int first = 1;
                for (size_t k = 0; k < i && first; k++) {
                    const struct sweep_row *q = &rows[k];
                    first = !(q->v == r->v && q->n == r->n && q->eps == r->eps && q->dist.kind == r->dist.kind &&
                              (by_offset ? q->dist.scale == r->dist.scale : q->dist.offset == r->dist.offset));
                }
                if (first)
                    summarise_line(md, rows, done, i, by_offset);
            }
            fprintf(md, "\n");
            if (plots)
                for (size_t i = 0; i < done; i++) {
                    const struct sweep_row *r = &rows[i];
                    int first = r->dist.kind == s.dists[d];
                    for (size_t k = 0; k < i && first; k++)
                        first = !(rows[k].n == r->n && rows[k].eps == r->eps && rows[k].dist.kind == r->dist.kind);
                    if (!first)
                        continue;
                    char name[64];
                    if (plot_lines(dir, rows, done, i, by_offset, plot_index++, name, sizeof name) == 0) {
                        char e[32];
                        format_double(e, sizeof e, r->eps);
                        fprintf(md, "![%s n=%zu eps=%s](plots/%s.svg)\n", dist_name(r->dist.kind), r->n, e, name);
                    } else {
                        plot_failed = 1;
                    }
                }
            fprintf(md, "\n");
        }
        if (plot_failed)
            fprintf(md, "Note: gnuplot could not draw some plots; sweep.csv holds every figure.\n\n");
        if (cache.ref_seconds > 0)
            fprintf(md, "Reference: %zu values in %.2f s (%.0f values per second, MPFR at %d bits).\n",
                    cache.ref_values, cache.ref_seconds, (double)cache.ref_values / cache.ref_seconds,
                    NB_REF_DEFAULT_PREC);
        else
            fprintf(md, "Reference: n/a (no reference values were computed).\n");
        int bad = ferror(md);
        if (fclose(md) != 0 || bad || rename(tmp, path) != 0) {
            nb_error("sweep", "cannot write %s", path);
            unlink(tmp);
            rc = NB_EXIT_ENV;
        }
    }
    char speed[64] = "n/a";
    if (cache.ref_seconds > 0)
        snprintf(speed, sizeof speed, "%.0f values/s", (double)cache.ref_values / cache.ref_seconds);
    if (!rc && bounded_failures(rows, done))
        rc = NB_EXIT_FAILED;
    const char *status = run_interrupted() ? "interrupted" : rc && rc != NB_EXIT_FAILED ? "failed" : "complete";
    /* meta.csv last: its status says whether sweep.csv and summary.md are whole */
    struct meta_list meta = {0};
    meta_add(&meta, "command", "sweep");
    meta_add(&meta, "config", "%s", config);
    meta_add(&meta, "results", "%zu of %zu", done, rows_out);
    meta_add(&meta, "status", "%s", status);
    snprintf(path, sizeof path, "%s/meta.csv", dir);
    if (write_meta_csv(path, meta.e, meta.count, err, sizeof err)) {
        nb_error("sweep", "%s", err);
        rc = NB_EXIT_ENV;
    }
    meta_free(&meta);
    fprintf(stderr, "%s: %zu results in %s; reference %s\n", status, done, dir, speed);
    ref_cache_free(&cache);
    free(rows);
    free(vars);
    return rc;
}
