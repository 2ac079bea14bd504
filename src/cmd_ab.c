/* normbench ab BASE [NEW]: two builds' kernels timed in the same process,
 * in the same interleaved rounds, on the same buffers; each variant decided
 * by a paired test over its per-round time ratios. */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "csv_io.h"
#include "gate.h"
#include "kernel_lib.h"
#include "machine.h"
#include "plan.h"
#include "provenance.h"
#include "results.h"
#include "run.h"
#include "run_dir.h"
#include "passes.h"
#include "shape_group.h"
#include "suite_cli.h"

static const char ab_usage[] =
    "usage: normbench ab BASE.so [NEW.so] [--config F] [--kernels GLOB,..] [--hidden N,..]\n"
    "                    [--rows N,..|auto] [--reps ROUNDS] [--min-time S] [--threshold R]\n"
    "                    [--alpha A] [--accept FILE] [--format text|md] [--out DIR]\n"
    "                    [--dtype D,..] [--eps E,..] [--threads N,..] [--cpu N] [--cache hot|cold]\n"
    "                    [--p P] [--accuracy-rows N] [--events E,..] [--schedule interleaved|sequential]\n"
    "                    [--passes N] [--reference fast|mpfr] [--max-footprint B]\n"
    "                    (run's suite options: accuracy-rows, events and reference are accepted and\n"
    "                    unused)\n"
    "\n"
    "Loads BASE (a kernel library built by `make lib`: build/libnormbench-kernels.so)\n"
    "and NEW (default: this binary's own kernels), and times every variant both\n"
    "have in the same interleaved rounds on the same buffers. A variant is slower\n"
    "when the median of its per-round time ratios NEW/BASE exceeds 1 + threshold\n"
    "(default 5%) and a Wilcoxon signed-rank test of the log ratios is significant\n"
    "at alpha (0.05) divided by the number of rows decided (Bonferroni). Noisy:\n"
    "fewer than 5 rounds, or a 95% interval wider than twice the threshold.\n"
    "--accept FILE: lines 'GLOB reason' naming variants whose slowdown is meant\n"
    "(reported as accepted, not a regression). Writes DIR (default results/<id>-ab)\n"
    "with base/ and new/ (perf.csv, samples.csv), ab.csv and meta.csv.\n"
    "Exit 0 no regression, 1 regression, 2 bad usage or input, 3 environment.\n";

struct ab_options {
    struct suite_cli sc;
    struct gate_params gp;
    int md;
    const char *out, *accept, *base, *cur;
};

static int parse_own(int c, const char *arg, struct ab_options *o)
{
    switch (c) {
    case 'T':
        if (parse_fraction_option(arg, &o->gp.threshold)) {
            nb_error("ab", "--threshold wants a share such as 5%% or 0.05, not '%s'", arg);
            return NB_EXIT_USAGE;
        }
        return 0;
    case 'A':
        if (parse_fraction_option(arg, &o->gp.alpha)) {
            nb_error("ab", "--alpha wants a probability in (0, 1) such as 0.05, not '%s'", arg);
            return NB_EXIT_USAGE;
        }
        return 0;
    case 'F':
        if (strcmp(arg, "md") && strcmp(arg, "text")) {
            nb_error("ab", "--format wants text or md, not '%s'", arg);
            return NB_EXIT_USAGE;
        }
        o->md = !strcmp(arg, "md");
        return 0;
    case 'o': o->out = arg; return 0;
    case 'P': o->accept = arg; return 0;
    default: return -1;
    }
}

static int parse_args(int argc, char **argv, struct ab_options *o)
{
    static const struct option own[] = {
        {"threshold", required_argument, 0, 'T'}, {"alpha", required_argument, 0, 'A'},
        {"format", required_argument, 0, 'F'},    {"out", required_argument, 0, 'o'},
        {"accept", required_argument, 0, 'P'},    {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    struct option opts[SUITE_CLI_NOPTIONS + sizeof own / sizeof own[0]];
    suite_cli_options_with(own, sizeof own / sizeof own[0], opts);
    optind = 0; /* 0, not 1: glibc then also forgets a half-parsed option cluster */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        int took = suite_cli_take(&o->sc, c, optarg, "ab");
        if (took < 0)
            return NB_EXIT_USAGE;
        if (took)
            continue;
        if (c == 'h') {
            fputs(ab_usage, stdout);
            return -1;
        }
        int rc = parse_own(c, optarg, o);
        if (rc > 0)
            return rc;
        if (rc < 0)
            return option_error("ab", c, argv);
    }
    if (argc - optind < 1 || argc - optind > 2) {
        nb_error("ab", "want one or two kernel libraries: normbench ab BASE.so [NEW.so]");
        return NB_EXIT_USAGE;
    }
    o->base = argv[optind];
    o->cur = argc - optind == 2 ? argv[optind + 1] : NULL;
    return 0;
}

/* ---- the two libraries ---- */

static int open_side(struct kernel_lib *kl, const char *path)
{
    if (!path) {
        kernel_lib_builtin(kl);
        return 0;
    }
    char err[4400];
    enum kernel_lib_status st = kernel_lib_open(kl, path, err, sizeof err);
    if (st == KLIB_OK)
        return 0;
    nb_error("ab", "%s", err);
    return st == KLIB_ENV ? NB_EXIT_ENV : NB_EXIT_USAGE;
}

static nb_kernel_fn side_fn(const void *ctx, const struct nb_variant *v, size_t side)
{
    return kernel_lib_find(&((const struct kernel_lib *)ctx)[side], v);
}

static int in_both(const void *ctx, const struct nb_variant *v)
{
    const struct kernel_lib *libs = ctx;
    return kernel_lib_has(&libs[0], v->name) && kernel_lib_has(&libs[1], v->name);
}

/* Variants of one side only that the globs select: added or removed. */
static void list_one_sided(const struct kernel_lib *libs, const struct nb_suite *s)
{
    char name[128];
    for (int side = 0; side < 2; side++)
        for (size_t i = 0; i < libs[side].table->count; i++) {
            if (!libs[side].table->entries[i].fn)
                continue;
            kernel_lib_name(&libs[side], i, name, sizeof name);
            if (glob_list_match(s->kernels, name) && !kernel_lib_has(&libs[1 - side], name))
                printf("%-34s %s (only in %s)\n", name, side ? "added" : "removed", libs[side].label);
        }
}

/* ---- intended slowdowns ---- */

struct accepted {
    char glob[128], reason[256];
};

static int load_accept(const char *path, struct accepted *list, size_t cap, size_t *count)
{
    *count = 0;
    if (!path)
        return 0;
    FILE *fp = fopen(path, "r");
    if (!fp) {
        nb_error("ab", "%s: cannot read the accept file", path);
        return NB_EXIT_USAGE;
    }
    char line[512];
    for (int lineno = 1; fgets(line, sizeof line, fp); lineno++) {
        char glob[128] = "", reason[256] = "";
        if (line[0] == '#' || sscanf(line, "%127s %255[^\n]", glob, reason) < 1)
            continue;
        if (!reason[0] || *count == cap) {
            nb_error("ab", "%s:%d: want 'GLOB reason'%s", path, lineno, *count == cap ? " (too many lines)" : "");
            fclose(fp);
            return NB_EXIT_USAGE;
        }
        snprintf(list[*count].glob, sizeof list[*count].glob, "%s", glob);
        snprintf(list[(*count)++].reason, sizeof list[0].reason, "%s", reason);
    }
    fclose(fp);
    return 0;
}

static const char *accepted_reason(const struct accepted *list, size_t count, const char *variant)
{
    for (size_t i = 0; i < count; i++)
        if (fnmatch(list[i].glob, variant, 0) == 0)
            return list[i].reason;
    return NULL;
}

/* ---- verdicts ---- */

struct ab_row {
    const struct perf_row *base, *cur;
    struct paired_verdict pv;
    const char *accepted;
};

static void print_header(int md)
{
    if (md)
        printf("| variant | rows | n | eps | threads | base µs | new µs | change [95%%] | p | verdict |\n"
               "|---|---|---|---|---|---|---|---|---|---|\n");
    else
        printf("%-34s %7s %6s %8s %3s %11s %11s %-24s %9s  %s\n", "variant", "rows", "n", "eps", "thr", "base_us",
               "new_us", "change [95%]", "p", "verdict");
}

static void verdict_text(const struct ab_row *r, char *out, size_t len)
{
    if (r->pv.verdict == VERDICT_SLOWER && r->accepted)
        snprintf(out, len, "slower (accepted: %s)", r->accepted);
    else if (r->pv.verdict == VERDICT_SLOWER)
        snprintf(out, len, "slower (regression)");
    else if (r->pv.verdict == VERDICT_NOISY)
        snprintf(out, len, "noisy (%s)", r->pv.why);
    else
        snprintf(out, len, "%s", verdict_name(r->pv.verdict));
}

static void print_row(int md, const struct ab_row *r)
{
    char change[64] = "n/a", eps[32], verdict[400], p[32] = "";
    if (isfinite(r->pv.change)) {
        if (isfinite(r->pv.lo))
            snprintf(change, sizeof change, "%+.1f%% [%+.1f, %+.1f]", r->pv.change * 100, (r->pv.lo - 1) * 100,
                     (r->pv.hi - 1) * 100);
        else
            snprintf(change, sizeof change, "%+.1f%%", r->pv.change * 100);
    }
    if (isfinite(r->pv.p_value))
        snprintf(p, sizeof p, "%.2g", r->pv.p_value);
    format_double(eps, sizeof eps, r->cur->eps);
    verdict_text(r, verdict, sizeof verdict);
    const char *fmt = md ? "| %s | %zu | %zu | %s | %zu | %.3f | %.3f | %s | %s | %s |\n"
                         : "%-34s %7zu %6zu %8s %3zu %11.3f %11.3f %-24s %9s  %s\n";
    printf(fmt, r->cur->v->name, r->cur->rows, r->cur->n, eps, r->cur->threads, r->base->time.median / 1000,
           r->cur->time.median / 1000, change, p, verdict);
    fflush(stdout);
}

/* ---- files ---- */

static int write_ab_csv(const char *dir, const struct ab_row *rows, size_t count, char *err, size_t errlen)
{
    static const char *const cols[] = {"variant", "rows", "n", "eps", "threads", "cache", "tier", "rounds",
                                       "base_median_ns", "new_median_ns", "change", "change_lo", "change_hi",
                                       "p_value", "verdict", "accepted"};
    char path[4200];
    snprintf(path, sizeof path, "%s/ab.csv", dir);
    struct csv_out o;
    int rc = csv_out_open(&o, path, err, errlen);
    if (rc)
        return rc;
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
        csv_out_field(&o, cols[c]);
    csv_out_end_row(&o);
    for (size_t i = 0; i < count; i++) {
        const struct ab_row *r = &rows[i];
        char buf[40];
        csv_out_field(&o, r->cur->v->name);
        csv_out_fieldf(&o, "%zu", r->cur->rows);
        csv_out_fieldf(&o, "%zu", r->cur->n);
        format_double(buf, sizeof buf, r->cur->eps);
        csv_out_field(&o, buf);
        csv_out_fieldf(&o, "%zu", r->cur->threads);
        csv_out_field(&o, r->cur->cold ? "cold" : "hot");
        csv_out_field(&o, tier_name(r->cur->tier));
        csv_out_fieldf(&o, "%zu", r->cur->nsamples);
        const double v[] = {r->base->time.median, r->cur->time.median, r->pv.change, r->pv.lo - 1, r->pv.hi - 1,
                            r->pv.p_value};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
            format_double(buf, sizeof buf, v[k]);
            csv_out_field(&o, buf);
        }
        csv_out_field(&o, verdict_name(r->pv.verdict));
        csv_out_field(&o, r->accepted && r->pv.verdict == VERDICT_SLOWER ? r->accepted : "");
        csv_out_end_row(&o);
    }
    return csv_out_commit(&o, err, errlen);
}

/* dir/base and dir/new: each side's rows as a run writes them */
static int write_sides(const char *dir, const struct perf_row *const *sides, size_t count, char *err, size_t errlen)
{
    static const char *const names[] = {"base", "new"};
    for (int s = 0; s < 2; s++) {
        char sub[4200], path[4300];
        snprintf(sub, sizeof sub, "%s/%s", dir, names[s]);
        if (make_dir_parents(sub) != 0) {
            snprintf(err, errlen, "cannot create %.1000s", sub);
            return NB_EXIT_ENV;
        }
        snprintf(path, sizeof path, "%s/perf.csv", sub);
        int rc = write_perf_csv(path, sides[s], count, NULL, err, errlen);
        snprintf(path, sizeof path, "%s/samples.csv", sub);
        if (!rc)
            rc = write_samples_csv(path, sides[s], count, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- the measurement ---- */

struct ab_result {
    struct perf_row *base, *cur;  /* one per job */
    struct ab_row *rows;
    size_t done;
};

struct ab_take {
    const struct ab_options *o;
    const struct run_plan *plan;
    const struct accepted *acc;
    size_t nacc;
    struct ab_result *res;
};

/* A group's rows, both sides: each job's pair decided and printed (a group
 * interrupted before its first round gives none). */
static int take_rows(void *ctx, size_t gi, enum nb_status st, struct perf_row *rows, size_t got)
{
    struct ab_take *t = ctx;
    const struct shape_group *g = &t->plan->groups[gi];
    struct ab_result *res = t->res;
    (void)st;
    for (size_t k = 0; got == 2 * g->count && k < g->count; k++) {
        struct ab_row *r = &res->rows[res->done];
        res->base[res->done] = rows[k];
        res->cur[res->done] = rows[g->count + k];
        r->base = &res->base[res->done];
        r->cur = &res->cur[res->done];
        gate_paired(r->base->samples, r->cur->samples, r->cur->nsamples, &t->o->gp, t->plan->njobs, &r->pv);
        r->accepted = accepted_reason(t->acc, t->nacc, r->cur->v->name);
        print_row(t->o->md, r);
        res->done++;
    }
    if (got != 2 * g->count)
        for (size_t k = 0; k < got; k++)
            free(rows[k].samples);
    return 0;
}

static int measure(const struct ab_options *o, const struct nb_suite *s, struct machine *m,
                   const struct kernel_lib *libs, const struct run_plan *plan, const struct accepted *acc,
                   size_t nacc, struct ab_result *res)
{
    struct measure_config mc = {
        .reps = s->reps, .min_time_ns = s->min_time_s * 1e9, .warmup_ns = s->warmup_s * 1e9,
        .resolution_ns = m->ti.resolution_ns, .cold = s->cold, .threads = 1, .cpu0 = s->cpu,
        .npus = m->topo.pus, .interrupted = run_interrupted,
    };
    const struct group_env env = {.suite = s, .mc = &mc, .ctr = NULL, .ceil = NULL,
                                  .llc_bytes = topology_last_level_bytes(&m->topo), .seed = s->seed,
                                  .l1_bytes = m->topo.cache_bytes[0],
                                  .nsides = 2, .side_fn = side_fn, .side_ctx = libs,
                                  .keep_bytes = machine_mem_available() / 4};
    struct ab_take t = {.o = o, .plan = plan, .acc = acc, .nacc = nacc, .res = res};
    const struct pass_hooks hooks = {.ctx = &t, .rows = take_rows};
    print_header(o->md);
    char err[300];
    if (plan_measure(&env, plan, &hooks, err, sizeof err) == NB_ERR_NOMEM) {
        nb_error("ab", "%s", err);
        return NB_EXIT_ENV;
    }
    return 0;
}

static size_t summarize(const struct ab_result *res, int md)
{
    size_t counts[4] = {0}, regressions = 0, accepted = 0;
    for (size_t i = 0; i < res->done; i++) {
        const struct ab_row *r = &res->rows[i];
        counts[r->pv.verdict]++;
        if (r->pv.verdict == VERDICT_SLOWER)
            r->accepted ? accepted++ : regressions++;
    }
    printf("%s%zu variants measured in both: %zu faster, %zu slower (%zu accepted), %zu same, %zu noisy; "
           "%zu regressions%s\n", md ? "\n**" : "", res->done, counts[VERDICT_FASTER], counts[VERDICT_SLOWER], accepted,
           counts[VERDICT_SAME], counts[VERDICT_NOISY], regressions, md ? "**" : "");
    return regressions;
}

static int write_all(const char *dir, const struct ab_result *res, const struct kernel_lib *libs, struct machine *m,
                     const struct nb_suite *s, const struct ab_options *o)
{
    char err[1200];
    const struct perf_row *sides[2] = {res->base, res->cur};
    int rc = write_sides(dir, sides, res->done, err, sizeof err);
    if (!rc)
        rc = write_ab_csv(dir, res->rows, res->done, err, sizeof err);
    struct meta_list meta = {0};
    provenance_collect(&meta, &m->topo, &m->ti, &m->ctr, s);
    meta_add(&meta, "ab_base", "%s (revision %s)", libs[0].label, libs[0].revision);
    meta_add(&meta, "ab_new", "%s (revision %s)", libs[1].label, libs[1].revision);
    meta_add(&meta, "ab_threshold", "%g", o->gp.threshold);
    meta_add(&meta, "ab_alpha", "%g over %zu rows (Bonferroni)", o->gp.alpha, res->done);
    meta_add(&meta, "binding", "%s", m->binding);
    char nt_threshold[200];
    ceiling_nt_threshold_note(NULL, topology_last_level_bytes(&m->topo), s->threads > 1, nt_threshold,
                              sizeof nt_threshold);
    meta_add(&meta, "nt_threshold", "%s", nt_threshold);
    if (rc) {
        nb_error("ab", "%s", err);
        run_dir_remove_data(dir);
        meta_add(&meta, "error", "%s", err);
    }
    meta_add(&meta, "status", "%s", run_interrupted() ? "interrupted" : rc ? "failed" : "complete");
    char path[4200];
    snprintf(path, sizeof path, "%s/meta.csv", dir);
    if (write_meta_csv(path, meta.e, meta.count, err, sizeof err)) {
        nb_error("ab", "%s", err);
        run_dir_remove_data(dir);
        rc = NB_EXIT_ENV;
    }
    meta_free(&meta);
    return rc;
}

static int ab_main(struct ab_options *o, struct nb_suite *s, struct kernel_lib *libs)
{
    list_one_sided(libs, s);
    struct accepted acc[64];
    size_t nacc = 0;
    int rc = load_accept(o->accept, acc, 64, &nacc);
    if (rc)
        return rc;
    s->events[0] = '\0'; /* ab times; counters stay with run */
    struct machine m;
    if ((rc = machine_setup(&m, s, "ab")))
        return rc;
    struct run_plan plan;
    char err[1200], dir[4096];
    struct ab_result res = {0};
    enum plan_status pst = plan_build_filtered(s, &m.topo, &plan, in_both, libs, err, sizeof err);
    if (pst != PLAN_OK) {
        nb_error("ab", "%s%s", err, pst == PLAN_NO_MATCH ? " in both libraries" : "");
        rc = pst == PLAN_NONE_RUNNABLE || pst == PLAN_NOMEM ? NB_EXIT_ENV : NB_EXIT_USAGE;
    } else if (!(res.base = calloc(plan.njobs, sizeof *res.base)) || !(res.cur = calloc(plan.njobs, sizeof *res.cur)) ||
               !(res.rows = calloc(plan.njobs, sizeof *res.rows))) {
        rc = NB_EXIT_ENV;
    } else if (!(rc = run_dir_make("ab", dir, sizeof dir, o->out, "ab"))) {
        rc = measure(o, s, &m, libs, &plan, acc, nacc, &res);
        size_t regressions = summarize(&res, o->md);
        fflush(stdout);
        int wrc = write_all(dir, &res, libs, &m, s, o);
        fprintf(stderr, "%s: %zu variants in %s\n", run_interrupted() ? "interrupted" : "complete", res.done, dir);
        rc = run_interrupted() ? 130 : rc ? rc : wrc ? wrc : regressions ? NB_EXIT_FAILED : NB_EXIT_OK;
    }
    for (size_t i = 0; i < res.done; i++) {
        free(res.base[i].samples);
        free(res.cur[i].samples);
    }
    free(res.base);
    free(res.cur);
    free(res.rows);
    plan_free(&plan);
    machine_teardown(&m);
    return rc;
}

int cmd_ab(int argc, char **argv)
{
    struct ab_options o = {.gp = {.threshold = 0.05, .alpha = 0.05, .cv_cap = 0.10, .min_samples = 5}};
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? NB_EXIT_OK : rc;
    struct nb_suite suite;
    if ((rc = suite_cli_load(&o.sc, &suite, "ab")))
        return rc;
    if (nb_parse_only)
        return NB_EXIT_OK;
    struct kernel_lib libs[2];
    if ((rc = open_side(&libs[0], o.base)))
        return rc;
    if ((rc = open_side(&libs[1], o.cur))) {
        kernel_lib_close(&libs[0]);
        return rc;
    }
    run_install_signal_handlers();
    rc = ab_main(&o, &suite, libs);
    kernel_lib_close(&libs[0]);
    kernel_lib_close(&libs[1]);
    return rc;
}
