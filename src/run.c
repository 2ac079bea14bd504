#include "run.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ceilings.h"
#include "compute.h"
#include "machine.h"
#include "plan.h"
#include "run_dir.h"
#include "reporters.h"
#include "passes.h"
#include "shape_group.h"
#include "commands.h"
#include "counters.h"
#include "cpu_features.h"
#include "measure.h"
#include "provenance.h"
#include "reference.h"
#include "registry.h"
#include "results.h"
#include "study.h"
#include "instr_count.h"
#include "timer.h"
#include "topology.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

int run_interrupted(void)
{
    return stop_signal != 0;
}

int run_stop_status(void)
{
    return stop_signal ? 128 + stop_signal : 0;
}

static int interrupted(void)
{
    return run_interrupted();
}

void run_install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- accuracy on every row of the shape (or its first accuracy_rows):
 * the same seeded data as the timed buffers, the reference shared by the
 * variants of a norm and dtype ---- */

#define RUN_BWD_ACCURACY_VALUES ((size_t)1 << 23)

static void accuracy_for(const struct nb_variant *v, const struct job *j, const struct nb_suite *s,
                         struct ref_cache *cache, struct accuracy_row *out)
{
    size_t k = s->full ? j->rows : (s->accuracy_rows < j->rows ? s->accuracy_rows : j->rows);
    /* backward: dg sums every row, so a shape's reference cannot reuse its
     * repeated rows; at most RUN_BWD_ACCURACY_VALUES values (a second on
     * the fast path, 12 million a second; minutes where MPFR takes over),
     * rows_checked says how many rows */
    if (norm_is_backward(v->norm) && k * j->n > RUN_BWD_ACCURACY_VALUES)
        k = RUN_BWD_ACCURACY_VALUES / j->n ? RUN_BWD_ACCURACY_VALUES / j->n : 1;
    memset(out, 0, sizeof *out);
    out->v = v;
    out->rows = j->rows;
    out->n = j->n;
    out->eps = j->eps;
    out->dist = s->dist;
    out->p = s->p;
    out->rows_checked = k;
    if (k == 0)
        return;
    /* the rows the kernel was timed on: DATAGEN_DISTINCT_ROWS rows repeated;
     * backward, every row its own (dg and db sum over the rows, and equal
     * row blocks sum exactly in a pairwise reduction, hiding its error) */
    struct study_cell cell = {.rows = k, .n = j->n, .eps = j->eps, .p = s->p, .dist = s->dist, .seed = s->seed,
                              .distinct = norm_is_backward(v->norm) ? 0 : DATAGEN_DISTINCT_ROWS, .dy_is_x = s->dy_is_x};
    if (study_measure(v, &cell, cache, &out->s) != 0)
        out->rows_checked = 0;
}

/* acc[done] for job j: the outputs do not depend on the thread count, so a
 * shape already checked at another count (any acc row of rows [0, end)
 * already filled) is copied (and written once). */
static void accuracy_once(const struct nb_variant *v, const struct job *j, const struct nb_suite *s,
                          struct ref_cache *cache, const struct perf_row *perf, struct accuracy_row *acc,
                          size_t done, size_t end)
{
    for (size_t k = end; k-- > 0;)
        if (k != done && acc[k].v == v && perf[k].v == v && perf[k].rows == j->rows && perf[k].n == j->n &&
            perf[k].eps == j->eps && !acc[k].repeat) {
            acc[done] = acc[k];
            acc[done].repeat = 1;
            return;
        }
    accuracy_for(v, j, s, cache, &acc[done]);
}

static int plan_exit_status(enum plan_status st)
{
    switch (st) {
    case PLAN_OK: return NB_EXIT_OK;
    case PLAN_NO_MATCH:
    case PLAN_NO_SHAPE: return NB_EXIT_USAGE;
    default: return NB_EXIT_ENV;
    }
}

/* Ceilings for the tiers this run measures: which copy is fastest (timed
 * again in every shape's rounds), the non-temporal copy and the read. */
static void measure_ceilings(struct ceiling *ceil, const struct run_plan *p, const struct nb_topology *topo,
                             const struct measure_config *mc, int callgrind)
{
    for (int t = 0; t < NB_TIER_COUNT && !interrupted() && !callgrind; t++)
        if (p->tiers_used[t]) {
            ceiling_measure(&ceil[t], topo, (enum nb_tier)t, mc);
            char nt[64] = "n/a (needs AVX2)";
            if (isfinite(ceil[t].copy_nt_gbs))
                snprintf(nt, sizeof nt, "%.1f GB/s (%s)", ceil[t].copy_nt_gbs, ceil[t].copy_nt_by);
            fprintf(stderr, "ceiling %-4s (%zu KiB): copy %.1f GB/s (%s), copy (non-temporal) %s, read %.1f GB/s (%s)\n",
                    tier_name((enum nb_tier)t), ceil[t].bytes >> 10, ceil[t].copy_gbs, ceil[t].copy_by, nt,
                    ceil[t].read_gbs, ceil[t].read_by);
        }
}

/* The tiers max_footprint skipped, so that a report can say what is missing
 * and why: "L3 240.0 MiB, DRAM 1920.0 MiB (max_footprint 192.0 MiB)". */
static void meta_capped_tiers(struct meta_list *meta, const struct run_plan *p, const struct nb_suite *s)
{
    char buf[256];
    size_t len = 0;
    for (int t = 0; t < NB_TIER_COUNT; t++)
        if (p->tiers_capped[t] && len < sizeof buf)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s %.1f MiB", len ? ", " : "", tier_name(t),
                                    (double)p->tiers_capped[t] / (1 << 20));
    if (len && len < sizeof buf)
        meta_add(meta, "tiers_skipped", "%s (max_footprint %.1f MiB)", buf, (double)s->max_footprint / (1 << 20));
}

/* Which part of which job list this run is: merge checks the shards of a
 * machine against each other with these. */
static void meta_shard(struct meta_list *meta, const struct run_plan *p, const struct nb_suite *s)
{
    if (s->shard_count > 1)
        meta_add(meta, "shard", "%zu/%zu", s->shard_index, s->shard_count);
    else
        meta_add(meta, "shard", "none");
    meta_add(meta, "job_list_hash", "%016llx", (unsigned long long)p->job_hash);
    meta_add(meta, "job_list", "%zu of %zu jobs, %zu of %zu shapes", p->njobs, p->full_jobs, p->ngroups,
             p->full_groups);
}

static void meta_clock(struct meta_list *meta, double start, double end, int cpu)
{
    if (isnan(start) || isnan(end))
        meta_add(meta, "core_clock_ghz", "n/a (under valgrind the add chain times the emulator)");
    else
        meta_add(meta, "core_clock_ghz", "%.2f before the rounds, %.2f after (dependent adds on CPU %d, median of 3)",
                 start, end, cpu);
}

static void meta_ceilings(struct meta_list *meta, const struct ceiling *ceil)
{
    for (int t = 0; t < NB_TIER_COUNT; t++) {
        if (!ceil[t].measured)
            continue;
        const char *tn = tier_name((enum nb_tier)t);
        char key[64];
        snprintf(key, sizeof key, "ceiling_%s_copy_gbs", tn);
        meta_add(meta, key, "%.2f", ceil[t].copy_gbs);
        snprintf(key, sizeof key, "ceiling_%s_copy_by", tn);
        meta_add(meta, key, "%s", ceil[t].copy_by);
        snprintf(key, sizeof key, "ceiling_%s_copy_nt_gbs", tn);
        if (isfinite(ceil[t].copy_nt_gbs))
            meta_add(meta, key, "%.2f", ceil[t].copy_nt_gbs);
        else
            meta_add(meta, key, "n/a (the non-temporal copy needs AVX2)");
        snprintf(key, sizeof key, "ceiling_%s_read_gbs", tn);
        meta_add(meta, key, "%.2f", ceil[t].read_gbs);
        snprintf(key, sizeof key, "ceiling_%s_read_by", tn);
        meta_add(meta, key, "%s", ceil[t].read_by);
        snprintf(key, sizeof key, "ceiling_%s_copy_nt_by", tn);
        meta_add(meta, key, "%s", isfinite(ceil[t].copy_nt_gbs) ? ceil[t].copy_nt_by : "n/a");
        snprintf(key, sizeof key, "ceiling_%s_bytes", tn);
        meta_add(meta, key, "%zu", ceil[t].bytes);
        snprintf(key, sizeof key, "ceiling_%s_round_copies", tn);
        char names[160] = "";
        for (size_t f = 0; f < ceil[t].nround_fns; f++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", f ? ", " : "", ceil[t].round_names[f]);
        meta_add(meta, key, "%s (the fastest of them each round)", names);
    }
}

/* ---- the measurement loop ---- */

struct run_rows {
    struct perf_row *perf;
    struct accuracy_row *acc;
    size_t done;
};

static const struct reporter *const reporters[] = {&reporter_console, &reporter_csv, &reporter_json};
#define NREPORTERS (sizeof reporters / sizeof reporters[0])

struct measure_ctx {
    const struct run_plan *p;
    const struct nb_suite *s;
    const struct run_output *out;
    struct run_rows *rr;
    struct ref_cache *cache;
    int64_t started;
    int progress;
};

static void progress_line(void *ctx, size_t done, size_t total, size_t gi)
{
    const struct measure_ctx *m = ctx;
    if (!m->progress)
        return;
    double elapsed = (double)(timer_ns() - m->started) / 1e9;
    double left = elapsed / (double)done * (double)(total - done);
    fprintf(stderr, "\r\033[K[%zu/%zu shape passes] n = %zu, about %.0f s left", done, total,
            m->p->jobs[m->p->groups[gi].first].n, left);
}

static int take_rows(void *ctx, size_t gi, enum nb_status st, struct perf_row *rows, size_t got)
{
    struct measure_ctx *m = ctx;
    struct run_rows *rr = m->rr;
    const struct shape_group *g = &m->p->groups[gi];
    if (m->progress)
        fprintf(stderr, "\r\033[K");
    const size_t base = rr->done;
    for (size_t k = 0; k < got; k++) {
        struct perf_row *row = &rr->perf[base + k];
        *row = rows[k];
        if (st == NB_ERR_INTERRUPTED) /* a partial row must not pass for a complete one */
            snprintf(row->note + strlen(row->note), sizeof row->note - strlen(row->note),
                     "%sinterrupted: %zu of %zu rounds", row->note[0] ? "; " : "", row->nsamples, m->s->reps);
    }
    /* accuracy norm by norm, so that each norm's reference of the shape is
     * computed once and its inputs generated once per dtype */
    for (int norm = 0; norm < NB_NORM_COUNT; norm++)
        for (size_t k = 0; k < got; k++) {
            const struct job *j = &m->p->jobs[g->first + k];
            if ((int)j->v->norm == norm)
                accuracy_once(j->v, j, m->s, m->cache, rr->perf, rr->acc, base + k, base + got);
        }
    for (size_t k = 0; k < got; k++)
        for (size_t r = 0; r < NREPORTERS; r++)
            reporters[r]->row(m->out, &rr->perf[base + k], &rr->acc[base + k]);
    rr->done = base + got;
    if (st == NB_ERR_INTERRUPTED && got)
        fprintf(stderr, "interrupted: the last %zu rows above hold %zu of %zu rounds\n", got,
                rr->perf[rr->done - 1].nsamples, m->s->reps);
    return 0;
}

static int measure_all(const struct group_env *env, const struct run_plan *p, const struct nb_suite *s,
                       const struct run_output *out, struct run_rows *rr, struct ref_cache *cache)
{
    struct measure_ctx m = {.p = p, .s = s, .out = out, .rr = rr, .cache = cache, .started = timer_ns(),
                            .progress = isatty(2)};
    const struct pass_hooks hooks = {.ctx = &m, .rows = take_rows, .progress = progress_line};
    char err[300];
    enum nb_status st = plan_measure(env, p, &hooks, err, sizeof err);
    if (m.progress)
        fprintf(stderr, "\r\033[K");
    if (st == NB_ERR_NOMEM) {
        nb_error("run", "%s", err);
        return NB_EXIT_ENV;
    }
    return 0;
}

/* SPEC section 9: a bounded variant beyond its ULP bound (or with NaN, Inf
 * or zero where the reference is finite and non-zero) fails the run. Each
 * failure is named on stderr; the count is returned. */
static size_t accuracy_failures(const struct accuracy_row *acc, size_t count)
{
    size_t failed = 0;
    for (size_t i = 0; i < count; i++) {
        const struct accuracy_row *a = &acc[i];
        if (a->repeat || !a->rows_checked || a->v->ulp_bound < 0)
            continue;
        const struct accuracy_summary *s = &a->s;
        if (s->max_ulp_terms <= a->v->ulp_bound && s->false_nonfinite + s->false_zero == 0)
            continue;
        char eps[32];
        format_double(eps, sizeof eps, a->eps);
        nb_error("run", "accuracy check failed: %s at n = %zu, rows = %zu, eps = %s: %.4g ULP against its bound %.3g%s",
                 a->v->name, a->n, a->rows, eps, s->max_ulp_terms, a->v->ulp_bound,
                 s->false_nonfinite + s->false_zero ? ", with NaN, Inf or zero where the reference is finite" : "");
        failed++;
    }
    return failed;
}

/* ---- files: data first, meta last with the run's status ---- */

static int write_outputs(const struct run_output *out, struct meta_list *meta, const char **status)
{
    char err[1200];
    for (size_t r = 0; r < NREPORTERS; r++)
        if (reporters[r]->end(out, err, sizeof err)) {
            nb_error("run", "%s", err);
            /* data files without a complete meta.csv must not look like a
             * run: take back what was written, then say in meta.csv (if the
             * disk still lets us) why there is nothing */
            run_dir_remove_data(out->dir);
            *status = "failed";
            meta_add(meta, "error", "%s", err);
            return NB_EXIT_ENV;
        }
    return 0;
}

static int write_meta(const char *dir, struct meta_list *meta)
{
    char path[4200], err[1200];
    snprintf(path, sizeof path, "%s/meta.csv", dir);
    if (write_meta_csv(path, meta->e, meta->count, err, sizeof err)) {
        nb_error("run", "%s", err);
        run_dir_remove_data(dir); /* whole perhaps, but nothing says so */
        return NB_EXIT_ENV;
    }
    return 0;
}

int run_suite(const struct nb_suite *s_in, const char *out_dir, char *dir_used, size_t dir_len)
{
    struct nb_suite suite_copy = *s_in, *s = &suite_copy;
    struct machine m;
    int rc = machine_setup(&m, s, "run");
    if (rc)
        return rc;
    struct run_plan plan;
    char err[1200];
    struct run_rows rr = {0};
    if (m.topo.pus > 0 && s->threads > (size_t)m.topo.pus)
        fprintf(stderr, "warning: %zu threads on %d PUs: some threads share a CPU, so their rows measure "
                        "time-sharing, not parallel speed\n", s->threads, m.topo.pus);
    enum plan_status pst = plan_build(s, &m.topo, &plan, err, sizeof err);
    if (pst == PLAN_OK)
        pst = plan_shard(&plan, s, s->shard_index, s->shard_count, err, sizeof err);
    if (pst != PLAN_OK) {
        nb_error("run", "%s", err);
        rc = plan_exit_status(pst);
        goto out;
    }
    size_t avail = machine_mem_available();
    if (plan.biggest > avail / 10 * 9) {
        nb_error("run", "the largest shape needs %.2f GiB and %.2f GiB are available: refusing before allocating",
                 (double)plan.biggest / (1 << 30), (double)avail / (1 << 30));
        rc = NB_EXIT_ENV;
        goto out;
    }
    rr.perf = calloc(plan.njobs, sizeof *rr.perf);
    rr.acc = calloc(plan.njobs, sizeof *rr.acc);
    if (!rr.perf || !rr.acc) {
        nb_error("run", "out of memory planning %zu measurements", plan.njobs);
        rc = NB_EXIT_ENV;
        goto out;
    }
    char dir[4096];
    /* every output path before measuring: a bad --json found after an hour
     * of measuring would cost the hour */
    if (s->json_path[0] && run_dir_check_output(s->json_path, err, sizeof err)) {
        nb_error("run", "--json %s", err);
        rc = NB_EXIT_ENV;
        goto out;
    }
    if ((rc = run_dir_make("run", dir, sizeof dir, out_dir, s->name)))
        goto out;
    snprintf(dir_used, dir_len, "%s", dir);

    struct measure_config mc = {
        .reps = s->reps, .min_time_ns = s->min_time_s * 1e9, .warmup_ns = s->warmup_s * 1e9,
        .resolution_ns = m.ti.resolution_ns, .cold = s->cold, .threads = 1, .cpu0 = s->cpu,
        .npus = m.topo.pus, .counters = NULL, .interrupted = interrupted,
    };
    const int callgrind = s->count_instructions && instr_count_under_valgrind();
    /* under valgrind the chain measures the emulator */
    const double clock_start = callgrind ? NAN : compute_core_ghz(3);
    struct ceiling ceil[NB_TIER_COUNT] = {0};
    measure_ceilings(ceil, &plan, &m.topo, &mc, callgrind);
    const size_t llc = topology_last_level_bytes(&m.topo);
    char nt_threshold[200];
    ceiling_nt_threshold_note(&ceil[NB_TIER_DRAM], llc, s->threads > 1, nt_threshold, sizeof nt_threshold);
    double cold_ratio = s->cold ? ceiling_cold_check(16 << 10, &mc) : NAN;
    if (s->cold && !(cold_ratio > 2))
        fprintf(stderr, "warning: cold check: a flushed 16 KiB read is only %.1fx slower than hot: cold figures are suspect\n", cold_ratio);

    struct run_output out = {.perf = rr.perf, .acc = rr.acc, .ctr = &m.ctr, .topo = &m.topo, .ti = &m.ti,
                             .dir = dir, .json_path = s->json_path, .counting = callgrind};
    const struct group_env env = {.suite = s, .mc = &mc, .ctr = &m.ctr, .ceil = ceil, .llc_bytes = llc,
                                  .l1_bytes = m.topo.cache_bytes[0],
                                  .callgrind = callgrind, .seed = s->seed,
                                  .keep_bytes = machine_mem_available() / 4};
    for (size_t r = 0; r < NREPORTERS; r++)
        reporters[r]->begin(&out);
    struct ref_cache cache = {.method = s->ref_method};
    rc = measure_all(&env, &plan, s, &out, &rr, &cache);
    out.count = rr.done;
    const double clock_end = callgrind ? NAN : compute_core_ghz(3);
    if (cache.ref_values)
        fprintf(stderr, "accuracy: %zu reference values in %.2f s (%.0f per second)\n", cache.ref_values,
                cache.ref_seconds, (double)cache.ref_values / cache.ref_seconds);

    struct meta_list meta = {0};
    provenance_collect(&meta, &m.topo, &m.ti, &m.ctr, s);
    meta_ceilings(&meta, ceil);
    meta_add(&meta, "schedule", "%s", schedule_name(s->schedule));
    meta_add(&meta, "dy", "%s", s->dy_is_x ? "x" : "normal");
    meta_shard(&meta, &plan, s);
    meta_add(&meta, "passes", "%zu", passes_for(s));
    meta_capped_tiers(&meta, &plan, s);
    if (plan.edge_shapes[0])
        meta_add(&meta, "edge_shapes", "%s", plan.edge_shapes);
    meta_clock(&meta, clock_start, clock_end, s->cpu);
    meta_add(&meta, "nt_threshold", "%s", nt_threshold);
    meta_add(&meta, "hwloc", "%s", m.hwloc_state);
    meta_add(&meta, "binding", "%s", m.binding);
    if (m.ctr.init_error[0])
        meta_add(&meta, "papi_library", "%s", m.ctr.init_error);
    else if (counters_component_off()[0])
        meta_add(&meta, "papi_library", "initialised; %s: no event can be counted", counters_component_off());
    else
        meta_add(&meta, "papi_library", "initialised");
    if (s->cold)
        meta_add(&meta, "cold_check", "reading 16 KiB after the flush takes %.1fx as long as hot", cold_ratio);
    const char *status = stop_signal ? "interrupted" : rc ? "failed" : "complete";
    if (s->count_instructions)
        meta_add(&meta, "instructions", "%s", callgrind ? "callgrind (valgrind), kernel calls only" : "PAPI_TOT_INS");
    if (s->count_lines) {
        meta_add(&meta, "lines", "%s", instr_count_cache_model() ? instr_count_cache_model()
                                                                 : "n/a (not running under callgrind's cache simulation)");
        if (instr_count_cache_model())
            meta_add(&meta, "line_bytes", "%ld", sysconf(_SC_LEVEL1_DCACHE_LINESIZE));
        else
            meta_add(&meta, "line_bytes", "n/a");
    }
    meta_add(&meta, "reference_values", "%zu in %.3f s", cache.ref_values, cache.ref_seconds);
    char reference_line[256];
    ref_cache_describe(&cache, reference_line, sizeof reference_line);
    meta_add(&meta, "reference", "%s", reference_line);
    ref_cache_free(&cache);
    int wrc = write_outputs(&out, &meta, &status);
    if (wrc)
        rc = wrc;
    /* meta.csv last: its status says whether the files before it are whole */
    meta_add(&meta, "status", "%s", status);
    meta_add(&meta, "rows_measured", "%zu of %zu", rr.done, plan.njobs);
    if (write_meta(dir, &meta))
        rc = NB_EXIT_ENV;
    meta_free(&meta);
    /* results/latest names the last complete run only */
    if (!rc && !stop_signal && !out_dir)
        run_dir_point_latest(dir);
    fprintf(stderr, "%s: %zu rows in %s\n", status, rr.done, dir);
    if (stop_signal)
        rc = 128 + stop_signal;
    else if (!rc && accuracy_failures(rr.acc, rr.done))
        rc = NB_EXIT_FAILED;
out:
    for (size_t i = 0; i < rr.done; i++)
        free(rr.perf[i].samples);
    free(rr.perf);
    free(rr.acc);
    plan_free(&plan);
    machine_teardown(&m);
    return rc;
}
