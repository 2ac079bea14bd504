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
#include "sweep_breaks.h"
#include "sweep_report.h"
#include "version.h"
#include "provenance.h"
#include "run.h"
#include "run_dir.h"

/* Reference values a sweep may compute: about a minute of the fast path
 * here (MPFR alone, --reference mpfr, takes 15 to 30 times longer). */
#define SWEEP_MAX_REF_VALUES ((size_t)1000000000)

/* The grid's cells into rows[*done ..), variant innermost. A line (one
 * variant, distribution, offset, n and eps along every scale) is the unit
 * of a shard: its break points need the whole line. 0, or an exit status. */
static int sweep_grid(const struct nb_suite *s, const struct nb_variant **vars, size_t nvar,
                      struct ref_cache *cache, struct sweep_row *rows, size_t *done)
{
    size_t line0 = 0; /* the id of the first line of the current (d, o, h, e) */
    for (size_t d = 0; d < s->ndists; d++) {
        size_t noff = s->dists[d] == NB_DIST_OFFSET ? s->noffsets : 1;
        for (size_t o = 0; o < noff; o++)
            for (size_t h = 0; h < s->nhidden; h++)
                for (size_t e = 0; e < s->neps; e++, line0 += nvar)
                    for (size_t sc = 0; sc < s->nscales; sc++)
                        for (size_t i = 0; i < nvar; i++) {
                            if (s->shard_count > 1 && (line0 + i) % s->shard_count != s->shard_index)
                                continue;
                            if (run_interrupted())
                                return 0;
                            struct nb_distribution dist = s->dist;
                            dist.kind = s->dists[d];
                            dist.scale = s->scales[sc];
                            dist.offset = s->dists[d] == NB_DIST_OFFSET ? s->offsets[o] : 0;
                            struct study_cell cell = {.rows = s->sweep_rows, .n = s->hidden[h], .eps = s->eps[e],
                                                      .p = s->p, .dist = dist, .seed = s->seed, .dy_is_x = s->dy_is_x};
                            struct sweep_row *r = &rows[*done];
                            r->v = vars[i];
                            r->n = cell.n;
                            r->eps = cell.eps;
                            r->dist = dist;
                            if (study_measure(vars[i], &cell, cache, &r->s) != 0) {
                                nb_error("sweep", "out of memory at n = %zu", cell.n);
                                return NB_EXIT_ENV;
                            }
                            (*done)++;
                        }
    }
    return 0;
}

/* FNV-1a 64 of the grid and the variants: shards of one sweep share it */
static uint64_t sweep_grid_hash(const struct nb_suite *s, const struct nb_variant **vars, size_t nvar)
{
    uint64_t h = NB_HASH_INIT;
    for (size_t i = 0; i < nvar; i++)
        h = hash_text(h, "%s\n", vars[i]->name);
    for (size_t d = 0; d < s->ndists; d++)
        h = hash_text(h, "dist %d\n", (int)s->dists[d]);
    for (size_t o = 0; o < s->noffsets; o++)
        h = hash_text(h, "offset %a\n", s->offsets[o]);
    for (size_t k = 0; k < s->nhidden; k++)
        h = hash_text(h, "n %zu\n", s->hidden[k]);
    for (size_t e = 0; e < s->neps; e++)
        h = hash_text(h, "eps %a\n", s->eps[e]);
    for (size_t k = 0; k < s->nscales; k++)
        h = hash_text(h, "scale %a\n", s->scales[k]);
    h = hash_text(h, "rows %zu seed %llu p %a dist %a %a\n", s->sweep_rows, (unsigned long long)s->seed, s->p,
                 s->dist.scale, s->dist.offset);
    if (s->dy_is_x)
        h = hash_text(h, "dy x\n");
    return h;
}

int cmd_sweep(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, 0, 'c'}, {"out", required_argument, 0, 'o'},
        {"no-plots", no_argument, 0, 'P'},     {"reference", required_argument, 0, 'Z'},
        {"shard", required_argument, 0, 'X'},  {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *config = NULL, *out = NULL, *reference = NULL, *shard = NULL;
    int plots = 1;
    optind = 0; /* 0, not 1: glibc then also forgets a half-parsed option cluster */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'o': out = optarg; break;
        case 'P': plots = 0; break;
        case 'Z': reference = optarg; break;
        case 'X': shard = optarg; break;
        case 'h':
            printf("usage: normbench sweep --config F [--out DIR] [--no-plots] [--reference fast|mpfr]\n"
                   "                       [--shard I/N]\n\n"
                   "Runs the accuracy grid of a study config ([sweep] scales, dists, offsets,\n"
                   "rows; [run] kernels, dtype, hidden, eps) against the correctly rounded\n"
                   "reference (fast path, or MPFR alone with --reference mpfr) and\n"
                   "writes sweep.csv, summary.md and plots/ to DIR (default\n"
                   "results/<run-id>-sweep-<name>/). Studies (configs/ in the source tree,\n"
                   "" NB_CONFIG_DIR " once installed): fp16-overflow.ini,\n"
                   "eps-sensitivity.ini, layernorm-cancellation.ini. --shard I/N computes\n"
                   "part I (0 to N-1) of the grid's lines (a variant, n, eps and\n"
                   "distribution along every scale); normbench merge joins the N parts.\n");
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
    if (reference && ref_method_parse(reference, &s.ref_method)) {
        nb_error("sweep", "--reference wants fast or mpfr, not '%s'", reference);
        return NB_EXIT_USAGE;
    }
    if (shard && parse_shard_option(shard, &s.shard_index, &s.shard_count)) {
        nb_error("sweep", "--shard wants I/N with 0 <= I < N (N at most 100000), not '%s'", shard);
        return NB_EXIT_USAGE;
    }
    if (!s.has_sweep) {
        nb_error("sweep", "%s: no [sweep] section (scales, dists, rows): not a study config", config);
        return NB_EXIT_USAGE;
    }
    if (nb_parse_only)
        return NB_EXIT_OK;
    char clamp_note[300] = "";
    sweep_clamp_scales(&s, clamp_note, sizeof clamp_note);
    if (clamp_note[0])
        fprintf(stderr, "note: %s\n", clamp_note);
    /* variants, grouped by (norm, dtype) so the reference is shared */
    const struct nb_variant **vars = calloc(registry_count(), sizeof *vars);
    size_t nvar = 0, matched = 0, other_arch = 0;
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
                if (registry_other_arch(v) && !v->fn)
                    other_arch++;
                else if (why)
                    fprintf(stderr, "skipped %s: %s\n", v->name, why);
                else
                    vars[nvar++] = v;
            }
    if (other_arch)
        fprintf(stderr, "skipped %zu matching variants of another architecture's ISAs (normbench list shows them)\n",
                other_arch);
    if (!matched || !nvar) {
        if (!matched)
            nb_error("sweep", "%s:%d: kernels: no variant matches '%s' (a norm without that mode or dtype, or a "
                              "misspelt name: normbench list shows them)",
                     config, s.kernels_line, s.kernels);
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
    const size_t lines = nvar * (cells_per_n / s.nscales) * s.nhidden;
    size_t my_lines = lines;
    if (s.shard_count > 1) {
        my_lines = lines / s.shard_count + (s.shard_index < lines % s.shard_count);
        if (!my_lines) {
            nb_error("sweep", "shard %zu/%zu has no line: the grid has %zu line%s (variant, distribution, n and eps), "
                              "so at most %zu shard%s",
                     s.shard_index, s.shard_count, lines, lines == 1 ? "" : "s", lines, lines == 1 ? "" : "s");
            free(vars);
            return NB_EXIT_USAGE;
        }
        /* a shard computes its part of the values: the limit is per machine */
        ref_values = ref_values / s.shard_count + 1;
    }
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
    struct ref_cache cache = {.method = s.ref_method};
    rc = sweep_grid(&s, vars, nvar, &cache, rows, &done);
    if (!run_interrupted() && !rc && sweep_find_breaks(rows, done, &s, &cache, run_interrupted) != 0) {
        nb_error("sweep", "out of memory bisecting the break points");
        rc = NB_EXIT_ENV;
    }

    char path[4200];
    int wrc = 0;
    if (run_interrupted()) /* a partial grid is not a study: meta.csv says so, nothing else is written */
        wrc = -1;
    snprintf(path, sizeof path, "%s/sweep.csv", dir);
    if (!wrc)
        wrc = sweep_write_csv(path, rows, done, s.sweep_rows, err, sizeof err);
    if (wrc < 0)
        wrc = 0, rc = run_stop_status();
    if (wrc) {
        nb_error("sweep", "%s", err);
        rc = wrc;
    }
    if (!wrc && !run_interrupted())
        rc = sweep_write_summary(dir, rows, done, &s, config, &cache, plots, clamp_note) ? NB_EXIT_ENV : rc;
    char speed[64] = "n/a", reference_line[256];
    if (cache.ref_seconds > 0)
        snprintf(speed, sizeof speed, "%.0f values/s", (double)cache.ref_values / cache.ref_seconds);
    ref_cache_describe(&cache, reference_line, sizeof reference_line);
    if (!rc && sweep_bounded_failures(rows, done))
        rc = NB_EXIT_FAILED;
    const char *status = run_interrupted() ? "interrupted" : rc && rc != NB_EXIT_FAILED ? "failed" : "complete";
    /* meta.csv last: its status says whether sweep.csv and summary.md are whole */
    struct meta_list meta = {0};
    meta_add(&meta, "command", "sweep");
    meta_add(&meta, "config", "%s", config);
    /* merge reads the grid again from it, from wherever it is run */
    char *abs = realpath(config, NULL);
    meta_add(&meta, "config_path", "%s", abs ? abs : config);
    free(abs);
    meta_add(&meta, "results", "%zu of %zu", done, rows_out / lines * my_lines);
    provenance_machine(&meta);
    if (s.shard_count > 1)
        meta_add(&meta, "shard", "%zu/%zu", s.shard_index, s.shard_count);
    else
        meta_add(&meta, "shard", "none");
    meta_add(&meta, "job_list_hash", "%016llx", (unsigned long long)sweep_grid_hash(&s, vars, nvar));
    meta_add(&meta, "job_list", "%zu of %zu lines", my_lines, lines);
    meta_add(&meta, "reference", "%s", reference_line);
    meta_add(&meta, "dy", "%s", s.dy_is_x ? "x" : "normal");
    if (clamp_note[0])
        meta_add(&meta, "scales_clamped", "%s", clamp_note);
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
