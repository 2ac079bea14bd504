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
#include "commands.h"
#include "counters.h"
#include "cpu_features.h"
#include "measure.h"
#include "provenance.h"
#include "reference.h"
#include "registry.h"
#include "results.h"
#include "study.h"
#include "gbench_json.h"
#include "instr_count.h"
#include "timer.h"
#include "topology.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static int interrupted(void)
{
    return stop_signal != 0;
}

void run_install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- planning ---- */

struct job {
    const struct nb_variant *v;
    size_t n, rows;
    double eps;
    enum nb_tier tier;
    size_t threads;
};

static int dtype_selected(const struct nb_suite *s, const struct nb_variant *v)
{
    return s->dtypes[0] == '\0' || glob_list_match(s->dtypes, v->dtype_name);
}

static size_t footprint_bytes(const struct nb_variant *v, size_t rows, size_t n)
{
    size_t es = nb_dtype_size(v->dtype), per_row = 2 * n * es;
    if (norm_uses_residual(v->norm))
        per_row *= 2;
    return rows * per_row + n * es * (norm_uses_bias(v->norm) ? 2 : 1);
}

/* Bytes a call moves: x read and y written (the residual read and written
 * too for addrmsnorm), g and b once. */
static double traffic_bytes(const struct nb_variant *v, size_t rows, size_t n)
{
    return (double)footprint_bytes(v, rows, n);
}

static size_t mem_available(void)
{
    FILE *fp = fopen("/proc/meminfo", "r");
    size_t kb = 0;
    if (fp) {
        char line[256];
        while (fgets(line, sizeof line, fp))
            if (sscanf(line, "MemAvailable: %zu kB", &kb) == 1)
                break;
        fclose(fp);
    }
    if (!kb)
        return (size_t)sysconf(_SC_AVPHYS_PAGES) * (size_t)sysconf(_SC_PAGESIZE);
    return kb * 1024;
}

/* ---- accuracy on sampled rows: the first rows of the same seeded data,
 * so the reference is shared across tiers and variants ---- */

static void accuracy_for(const struct nb_variant *v, const struct job *j, const struct nb_suite *s,
                         struct ref_cache *cache, struct accuracy_row *out)
{
    size_t k = s->full ? j->rows : (s->accuracy_rows < j->rows ? s->accuracy_rows : j->rows);
    memset(out, 0, sizeof *out);
    out->v = v;
    out->rows = j->rows;
    out->n = j->n;
    out->eps = j->eps;
    out->dist = s->dist;
    out->rows_checked = k;
    if (k == 0)
        return;
    struct study_cell cell = {.rows = k, .n = j->n, .eps = j->eps, .p = s->p, .dist = s->dist, .seed = s->seed};
    if (study_measure(v, &cell, cache, &out->s) != 0)
        out->rows_checked = 0;
}

/* acc[done] for job j: the outputs do not depend on the thread count, so a
 * shape already checked at another count is copied (and written once). */
static void accuracy_once(const struct nb_variant *v, const struct job *j, const struct nb_suite *s,
                          struct ref_cache *cache, const struct perf_row *perf, struct accuracy_row *acc,
                          size_t done)
{
    for (size_t k = done; k-- > 0;)
        if (perf[k].v == v && perf[k].rows == j->rows && perf[k].n == j->n && perf[k].eps == j->eps &&
            !acc[k].repeat) {
            acc[done] = acc[k];
            acc[done].repeat = 1;
            return;
        }
    accuracy_for(v, j, s, cache, &acc[done]);
}

/* ---- the run ---- */

static int make_run_dir(char *out, size_t len, const char *requested, const char *suite_name)
{
    if (requested) {
        snprintf(out, len, "%s", requested);
    } else {
        if (mkdir("results", 0777) != 0 && errno != EEXIST) {
            nb_error("run", "cannot create results/: %s", strerror(errno));
            return 3;
        }
        char stamp[32];
        time_t now = time(NULL);
        struct tm tmv;
        gmtime_r(&now, &tmv);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tmv);
        snprintf(out, len, "results/%s-%.64s", stamp, suite_name);
        for (int k = 2; access(out, F_OK) == 0 && k < 100; k++)
            snprintf(out, len, "results/%s-%.64s-%d", stamp, suite_name, k);
    }
    if (make_dir_parents(out) != 0) {
        nb_error("run", "cannot create the output directory '%s': %s", out, strerror(errno));
        return 3;
    }
    char probe[8300];
    snprintf(probe, sizeof probe, "%s/.write-test", out);
    FILE *fp = fopen(probe, "w");
    if (!fp) {
        nb_error("run", "cannot write to the output directory '%s': %s", out, strerror(errno));
        return 3;
    }
    fclose(fp);
    unlink(probe);
    return 0;
}

/* Takes back a run's data files when their meta.csv cannot vouch for them. */
static void remove_data_files(const char *dir)
{
    static const char *const names[] = {"perf.csv", "samples.csv", "accuracy.csv"};
    char path[4200];
    for (size_t f = 0; f < 3; f++) {
        snprintf(path, sizeof path, "%.4000s/%s", dir, names[f]);
        unlink(path);
    }
}

/* A result row for job j, every measurement still n/a. */
static void perf_row_init(struct perf_row *r, const struct job *j, const struct nb_suite *s)
{
    memset(r, 0, sizeof *r);
    r->v = j->v;
    r->rows = j->rows;
    r->n = j->n;
    r->threads = j->threads;
    r->eps = j->eps;
    r->cold = s->cold;
    r->tier = j->tier;
    r->bytes = traffic_bytes(j->v, j->rows, j->n);
    r->time.min = r->time.median = r->time.mean = r->time.stddev = r->time.mad = r->time.cv = NAN;
    r->bandwidth_gbs = r->ceiling_gbs = r->roofline_share = r->tsc_per_elem = NAN;
    r->speedup_vs_naive = r->speedup_rms_vs_ln = r->instructions_per_call = NAN;
    for (size_t e = 0; e < NB_MAX_EVENTS; e++)
        r->events_per_call[e] = NAN;
}

static void print_table_header(void)
{
    printf("%-34s %-4s %6s %7s %11s %8s %6s %8s %8s\n", "variant", "tier", "n", "rows", "median_us", "GB/s",
           "roof", "x_naive", "max_ulp");
}

static void print_table_row(const struct perf_row *r, const struct accuracy_row *a)
{
    char ulp[32] = "";
    if (a && a->rows_checked)
        snprintf(ulp, sizeof ulp, "%.3g", a->s.max_ulp);
    char speedup[32] = "";
    if (!isnan(r->speedup_vs_naive))
        snprintf(speedup, sizeof speedup, "%.2f", r->speedup_vs_naive);
    printf("%-34s %-4s %6zu %7zu %11.3f %8.2f %6.2f %8s %8s\n", r->v->name, tier_name(r->tier), r->n, r->rows,
           r->time.median / 1000.0, r->bandwidth_gbs, r->roofline_share, speedup, ulp);
    fflush(stdout);
}

/* Row i's speedups against the rows measured so far (rows[0..count)). */
static void compute_speedups_of(struct perf_row *rows, size_t count, size_t i)
{
    struct perf_row *r = &rows[i];
    r->speedup_vs_naive = NAN;
    r->speedup_rms_vs_ln = NAN;
    for (size_t k = 0; k < count; k++) {
        const struct perf_row *o = &rows[k];
        if (o->n != r->n || o->rows != r->rows || o->eps != r->eps || o->threads != r->threads ||
            o->cold != r->cold || o->v->dtype != r->v->dtype || o->v->mode != r->v->mode)
            continue;
        if (o->v->norm == r->v->norm && strcmp(o->v->algorithm, "naive") == 0)
            r->speedup_vs_naive = o->time.median / r->time.median;
        /* RMSNorm against LayerNorm of the same algorithm and ISA: fused
         * RMSNorm is set against twopass LayerNorm, the fused one both
         * frameworks ship */
        if (r->v->norm == NB_RMSNORM && o->v->norm == NB_LAYERNORM && o->v->isa == r->v->isa) {
            int same = strcmp(o->v->algorithm, r->v->algorithm) == 0 ||
                       (strcmp(r->v->algorithm, "fused") == 0 && strcmp(o->v->algorithm, "twopass") == 0);
            if (same)
                r->speedup_rms_vs_ln = o->time.median / r->time.median;
        }
    }
}

static void compute_speedups(struct perf_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++)
        compute_speedups_of(rows, count, i);
}

int run_suite(const struct nb_suite *s_in, const char *out_dir, char *dir_used, size_t dir_len)
{
    struct nb_suite suite_copy = *s_in, *s = &suite_copy;
    char err[1200];
    int rc = 0;
    /* variants */
    size_t nvar = 0, matched = 0;
    const struct nb_variant **vars = calloc(registry_count(), sizeof *vars);
    if (!vars)
        return NB_EXIT_ENV;
    for (size_t i = 0; i < registry_count(); i++) {
        const struct nb_variant *v = registry_at(i);
        if (v->isa == NB_ISA_MPFR || !glob_list_match(s->kernels, v->name) || !dtype_selected(s, v))
            continue;
        matched++;
        const char *why = registry_unavailable(v);
        if (why) {
            fprintf(stderr, "skipped %s: %s%s\n", v->name, why,
                    s->count_instructions && cpu_detect()->under_valgrind ? " (not counted: gated by time only)" : "");
            continue;
        }
        vars[nvar++] = v;
    }
    if (matched == 0) {
        nb_error("run", "no variant matches '%s'%s%s", s->kernels, s->dtypes[0] ? " with dtype " : "", s->dtypes);
        free(vars);
        return NB_EXIT_USAGE;
    }
    if (nvar == 0) {
        nb_error("run", "none of the %zu matching variants can run on this machine", matched);
        free(vars);
        return NB_EXIT_ENV;
    }
    /* counters */
    struct counters ctr;
    rc = counters_setup(&ctr, s->events, err, sizeof err);
    if (rc) {
        nb_error("run", "%s", err);
        free(vars);
        return NB_EXIT_USAGE;
    }
    if (ctr.init_error[0])
        fprintf(stderr, "warning: %s: running without counters\n", ctr.init_error);
    /* topology and pinning */
    struct nb_topology topo;
    char hwloc_state[300] = "loaded", binding[300];
    if (topology_load(&topo, err, sizeof err) != 0) {
        fprintf(stderr, "warning: %s\n", err);
        snprintf(hwloc_state, sizeof hwloc_state, "failed: %.250s", err);
    }
    if (s->cpu < 0) /* auto: interrupts and housekeeping favour CPU 0 */
        s->cpu = topo.pus > 0 ? topo.pus - 1 : 0;
    if (topo.pus > 0 && s->cpu >= topo.pus) {
        nb_error("run", "there is no CPU %d (this machine has CPUs 0 to %d)", s->cpu, topo.pus - 1);
        counters_teardown(&ctr);
        free(vars);
        return NB_EXIT_USAGE;
    }
    snprintf(binding, sizeof binding, "measuring thread pinned to CPU %d", s->cpu);
    if (topology_bind_thread(s->cpu, err, sizeof err) != 0) {
        fprintf(stderr, "warning: %s: the run is not pinned\n", err);
        snprintf(binding, sizeof binding, "not pinned: %.250s", err);
    }
    provenance_warn(&topo);
    struct timer_info ti;
    timer_calibrate(&ti);

    /* plan */
    size_t cap = nvar * s->nhidden * (s->rows_auto ? NB_TIER_COUNT : s->nrows) * s->neps * s->nthread_counts, njobs = 0;
    struct job *jobs = calloc(cap ? cap : 1, sizeof *jobs);
    struct perf_row *perf = calloc(cap ? cap : 1, sizeof *perf);
    struct accuracy_row *acc = calloc(cap ? cap : 1, sizeof *acc);
    int tiers_used[NB_TIER_COUNT] = {0};
    size_t biggest = 0;
    if (!jobs || !perf || !acc) {
        nb_error("run", "out of memory planning %zu measurements", cap);
        rc = NB_EXIT_ENV;
        goto out;
    }
    for (size_t h = 0; h < s->nhidden; h++)
        for (size_t ti_ = 0; ti_ < (s->rows_auto ? NB_TIER_COUNT : s->nrows); ti_++) {
            int said = 0;
            for (size_t e = 0; e < s->neps; e++)
                for (size_t vi = 0; vi < nvar; vi++) {
                    const struct nb_variant *v = vars[vi];
                    size_t n = s->hidden[h], es = nb_dtype_size(v->dtype), rows;
                    enum nb_tier tier;
                    if (s->rows_auto) {
                        tier = (enum nb_tier)ti_;
                        /* the same rows for every variant of a dtype: x and y,
                         * g and b, so speedups compare like with like */
                        rows = tier_rows(&topo, tier, 2 * n * es, 2 * n * es);
                        if (rows == 0) {
                            if (!said && vi == 0 && e == 0) {
                                fprintf(stderr, "skipped tier %s for n = %zu: one row (%zu bytes with g and b) does not fit in %zu bytes\n",
                                        tier_name(tier), n, 4 * n * es, tier_target_bytes(&topo, tier));
                                said = 1;
                            }
                            continue;
                        }
                    } else {
                        rows = s->rows[ti_];
                        tier = tier_of_footprint(&topo, footprint_bytes(v, rows, n));
                    }
                    size_t need = footprint_bytes(v, rows, n) + registry_workspace_bytes(v, rows, n) * s->threads;
                    if (need > biggest)
                        biggest = need;
                    /* the thread counts of one shape back to back: their
                     * ratio is taken under the same host conditions */
                    for (size_t tc = 0; tc < s->nthread_counts; tc++)
                        jobs[njobs++] = (struct job){v, n, rows, s->eps[e], tier, s->thread_counts[tc]};
                    tiers_used[tier] = 1;
                }
        }
    if (njobs == 0) {
        nb_error("run", "no shape fits: every (hidden size, tier) was skipped");
        rc = NB_EXIT_USAGE;
        goto out;
    }
    size_t avail = mem_available();
    if (biggest > avail / 10 * 9) {
        nb_error("run", "the largest measurement needs %.2f GiB and %.2f GiB are available: refusing before allocating",
                 (double)biggest / (1 << 30), (double)avail / (1 << 30));
        rc = NB_EXIT_ENV;
        goto out;
    }
    char dir[4096];
    rc = make_run_dir(dir, sizeof dir, out_dir, s->name);
    if (rc)
        goto out;
    snprintf(dir_used, dir_len, "%s", dir);

    struct measure_config mc = {
        .reps = s->reps, .min_time_ns = s->min_time_s * 1e9, .warmup_ns = s->warmup_s * 1e9,
        .resolution_ns = ti.resolution_ns, .cold = s->cold, .threads = 1, .cpu0 = s->cpu,
        .npus = topo.pus, .counters = NULL, .interrupted = interrupted,
    };
    /* ceilings, for the tiers this run measures */
    const int callgrind = s->count_instructions && instr_count_under_valgrind();
    struct ceiling ceil_[NB_TIER_COUNT] = {0};
    for (int t = 0; t < NB_TIER_COUNT && !interrupted() && !callgrind; t++)
        if (tiers_used[t]) {
            ceiling_measure(&ceil_[t], &topo, (enum nb_tier)t, &mc);
            fprintf(stderr, "ceiling %-4s (%zu KiB): copy %.1f GB/s (%s), copy (non-temporal) %.1f GB/s, read %.1f GB/s\n",
                    tier_name((enum nb_tier)t), ceil_[t].bytes >> 10, ceil_[t].copy_gbs, ceil_[t].copy_by,
                    ceil_[t].copy_nt_gbs, ceil_[t].read_gbs);
        }

    const size_t llc = topology_last_level_bytes(&topo);
    char nt_threshold[200];
    if (ceiling_nt_threshold(&ceil_[NB_TIER_DRAM], llc, 1, nt_threshold, sizeof nt_threshold) != SIZE_MAX &&
        s->threads > 1)
        snprintf(nt_threshold + strlen(nt_threshold), sizeof nt_threshold - strlen(nt_threshold),
                 ", divided by the thread count in rows of several threads");

    double cold_ratio = s->cold ? ceiling_cold_check(16 << 10, &mc) : NAN;
    if (s->cold && !(cold_ratio > 2))
        fprintf(stderr, "warning: cold check: a flushed 16 KiB read is only %.1fx slower than hot: cold figures are suspect\n", cold_ratio);
    print_table_header();
    struct ref_cache cache = {0};
    size_t done = 0;
    const int progress = isatty(2);
    int64_t started = timer_ns();
    for (size_t jn = 0; jn < njobs && !interrupted(); jn++) {
        const struct job *j = &jobs[jn];
        const struct nb_variant *v = j->v;
        const size_t es = nb_dtype_size(v->dtype), total = j->rows * j->n;
        size_t stride = registry_workspace_bytes(v, (j->rows + j->threads - 1) / j->threads, j->n);
        void *x = topology_alloc(total * es), *y = topology_alloc(total * es);
        void *g = topology_alloc(j->n * es), *b = topology_alloc(j->n * es);
        void *res = norm_uses_residual(v->norm) ? topology_alloc(total * es) : NULL;
        void *work = stride ? topology_alloc(stride * j->threads) : NULL;
        nb_nt_threshold_bytes = ceiling_nt_threshold(&ceil_[NB_TIER_DRAM], llc, (unsigned)j->threads, NULL, 0);
        if (!x || !y || !g || !b || (norm_uses_residual(v->norm) && !res) || (stride && !work)) {
            nb_error("run", "out of memory allocating %.1f MiB for %s", (double)footprint_bytes(v, j->rows, j->n) / (1 << 20), v->name);
            rc = NB_EXIT_ENV;
        } else {
            /* 64 generated rows, repeated: a DRAM tensor has tens of millions
             * of values, and their content does not change the timing */
            size_t block = j->rows < 64 ? j->rows : 64;
            datagen_fill(x, block, j->n, v->dtype, &s->dist, s->seed);
            for (size_t r0 = block; r0 < j->rows; r0 += block)
                memcpy((char *)x + r0 * j->n * es, x, (j->rows - r0 < block ? j->rows - r0 : block) * j->n * es);
            datagen_gain(g, j->n, v->dtype, v->norm == NB_GEMMARMSNORM, s->seed);
            datagen_bias(b, j->n, v->dtype, s->seed);
            memset(y, 0, total * es);
            if (res) {
                /* zeros: the residual grows by x each call; from zero it
                 * stays finite over any run length that matters */
                memset(res, 0, total * es);
            }
            struct nb_args a = {.rows = j->rows, .n = j->n, .x = x, .y = y, .g = g, .b = b, .residual = res,
                                .eps = j->eps, .p = s->p, .work = work};
            struct measure_config c = mc;
            c.threads = j->threads;
            c.counters = j->threads == 1 ? &ctr : NULL;
            c.work_stride = stride;
            c.nspans = 0;
            const void *spans[] = {x, y, g, b, res, work};
            size_t sizes[] = {total * es, total * es, j->n * es, j->n * es, res ? total * es : 0, stride * j->threads};
            for (int k = 0; k < 6; k++)
                if (spans[k] && sizes[k])
                    c.spans[c.nspans++] = (struct flush_span){spans[k], sizes[k]};
            struct measurement m;
            int mrc;
            if (callgrind) { /* count, do not time: times under valgrind mean nothing */
                memset(&m, 0, sizeof m);
                char why[300] = "";
                double ins = instr_count_callgrind(v->fn, &a, 3, why, sizeof why);
                struct perf_row *r = &perf[done];
                perf_row_init(r, j, s);
                r->instructions_per_call = ins;
                snprintf(r->note, sizeof r->note, "%s", isnan(ins) ? why : "instructions counted by callgrind; not timed");
                accuracy_once(v, j, s, &cache, perf, acc, done);
                printf("%-34s %-4s %6zu %7zu %14.0f instructions per call\n", v->name, tier_name(j->tier), j->n, j->rows, ins);
                fflush(stdout);
                done++;
                mrc = -1;
            } else {
                mrc = measure_kernel(v->fn, &a, es, &c, &m);
            }
            if (mrc == -1) {
                /* counted above */
            } else
            if (mrc == 3) {
                rc = NB_EXIT_ENV;
            } else if (m.reps > 0) {
                struct perf_row *r = &perf[done];
                perf_row_init(r, j, s);
                r->reps = m.reps;
                r->calls = m.calls;
                r->time = m.time;
                r->bandwidth_gbs = r->bytes / r->time.median;
                r->ceiling_gbs = ceil_[j->tier].copy_gbs;
                if (j->tier == NB_TIER_DRAM && isfinite(ceil_[j->tier].copy_nt_gbs) &&
                    ceil_[j->tier].copy_nt_gbs > r->ceiling_gbs)
                    r->ceiling_gbs = ceil_[j->tier].copy_nt_gbs;
                r->roofline_share = r->bandwidth_gbs / r->ceiling_gbs;
                /* m.tsc_per_call is not needed after this: sort it in place */
                r->tsc_per_elem = stats_median_inplace(m.tsc_per_call, m.reps) / (double)total;
                if (c.counters) {
                    for (size_t e = 0; e < ctr.count; e++) {
                        if (!ctr.available[e])
                            continue;
                        double *per = malloc(m.reps * sizeof *per);
                        if (!per)
                            continue;
                        for (size_t k = 0; k < m.reps; k++)
                            per[k] = (double)m.events[k * ctr.count + e] / (double)m.calls;
                        r->events_per_call[e] = stats_median_inplace(per, m.reps);
                        if (s->count_instructions && !strcmp(ctr.names[e], "PAPI_TOT_INS"))
                            r->instructions_per_call = r->events_per_call[e];
                        free(per);
                    }
                    counters_note(&ctr, r->note, sizeof r->note);
                } else if (ctr.count) {
                    snprintf(r->note, sizeof r->note, "not counted: counters follow one thread, this row has %zu", j->threads);
                }
                if (m.warning[0])
                    snprintf(r->note + strlen(r->note), sizeof r->note - strlen(r->note), "%s%s",
                             r->note[0] ? "; " : "", m.warning);
                r->samples = m.ns_per_call;
                r->nsamples = m.reps;
                m.ns_per_call = NULL;
                accuracy_once(v, j, s, &cache, perf, acc, done);
                compute_speedups_of(perf, done + 1, done); /* for the console: naive variants run first */
                if (progress)
                    fprintf(stderr, "\r\033[K");
                print_table_row(r, &acc[done]);
                done++;
            }
            if (mrc != -1)
                measurement_free(&m);
        }
        topology_free(x, total * es);
        topology_free(y, total * es);
        topology_free(g, j->n * es);
        topology_free(b, j->n * es);
        topology_free(res, total * es);
        topology_free(work, stride * j->threads);
        if (rc)
            break;
        if (progress) {
            double elapsed = (double)(timer_ns() - started) / 1e9;
            double left = elapsed / (double)(jn + 1) * (double)(njobs - jn - 1);
            fprintf(stderr, "\r\033[K[%zu/%zu] %s, about %.0f s left", jn + 1, njobs, v->name, left);
        }
    }
    if (progress)
        fprintf(stderr, "\r\033[K");
    if (cache.ref_values)
        fprintf(stderr, "accuracy: %zu reference values in %.2f s (%.0f per second)\n", cache.ref_values,
                cache.ref_seconds, (double)cache.ref_values / cache.ref_seconds);
    compute_speedups(perf, done);

    /* files: data first, meta last with the run's status */
    struct meta_list meta = {0};
    provenance_collect(&meta, &topo, &ti, &ctr, s);
    for (int t = 0; t < NB_TIER_COUNT; t++)
        if (ceil_[t].measured) {
            char key[64];
            snprintf(key, sizeof key, "ceiling_%s_copy_gbs", tier_name((enum nb_tier)t));
            meta_add(&meta, key, "%.2f", ceil_[t].copy_gbs);
            snprintf(key, sizeof key, "ceiling_%s_copy_by", tier_name((enum nb_tier)t));
            meta_add(&meta, key, "%s", ceil_[t].copy_by);
            snprintf(key, sizeof key, "ceiling_%s_copy_nt_gbs", tier_name((enum nb_tier)t));
            if (isfinite(ceil_[t].copy_nt_gbs))
                meta_add(&meta, key, "%.2f", ceil_[t].copy_nt_gbs);
            else
                meta_add(&meta, key, "n/a (the non-temporal copy needs AVX-512)");
            snprintf(key, sizeof key, "ceiling_%s_read_gbs", tier_name((enum nb_tier)t));
            meta_add(&meta, key, "%.2f", ceil_[t].read_gbs);
            snprintf(key, sizeof key, "ceiling_%s_bytes", tier_name((enum nb_tier)t));
            meta_add(&meta, key, "%zu", ceil_[t].bytes);
        }
    meta_add(&meta, "nt_threshold", "%s", nt_threshold);
    meta_add(&meta, "hwloc", "%s", hwloc_state);
    meta_add(&meta, "binding", "%s", binding);
    meta_add(&meta, "papi_library", "%s", ctr.init_error[0] ? ctr.init_error : "initialised");
    if (s->cold)
        meta_add(&meta, "cold_check", "reading 16 KiB after the flush takes %.1fx as long as hot", cold_ratio);
    const char *status = stop_signal ? "interrupted" : rc ? "failed" : "complete";
    if (s->count_instructions)
        meta_add(&meta, "instructions", "%s", callgrind ? "callgrind (valgrind), kernel calls only" : "PAPI_TOT_INS");
    meta_add(&meta, "reference_values", "%zu in %.3f s", cache.ref_values, cache.ref_seconds);
    ref_cache_free(&cache);
    char path[4200];
    int wrc = 0;
    snprintf(path, sizeof path, "%s/perf.csv", dir);
    if (!wrc && (wrc = write_perf_csv(path, perf, done, &ctr, err, sizeof err)))
        nb_error("run", "%s", err);
    snprintf(path, sizeof path, "%s/samples.csv", dir);
    if (!wrc && (wrc = write_samples_csv(path, perf, done, err, sizeof err)))
        nb_error("run", "%s", err);
    snprintf(path, sizeof path, "%s/accuracy.csv", dir);
    if (!wrc && (wrc = write_accuracy_csv(path, acc, done, err, sizeof err)))
        nb_error("run", "%s", err);
    if (!wrc && s->json_path[0]) {
        char exe[4096];
        ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[len > 0 ? len : 0] = '\0';
        if ((wrc = write_gbench_json(s->json_path, perf, done, &topo, &ti, exe, err, sizeof err)))
            nb_error("run", "%s", err);
    }
    if (wrc) {
        /* data files without a complete meta.csv must not look like a run:
         * take back what was written, then say in meta.csv (if the disk
         * still lets us) why there is nothing */
        remove_data_files(dir);
        status = "failed";
        meta_add(&meta, "error", "%s", err);
        rc = NB_EXIT_ENV;
    }
    /* meta.csv last: its status says whether the files before it are whole */
    meta_add(&meta, "status", "%s", status);
    meta_add(&meta, "rows_measured", "%zu of %zu", done, njobs);
    snprintf(path, sizeof path, "%s/meta.csv", dir);
    if (write_meta_csv(path, meta.e, meta.count, err, sizeof err)) {
        nb_error("run", "%s", err);
        rc = NB_EXIT_ENV;
        remove_data_files(dir); /* whole perhaps, but nothing says so */
    }
    meta_free(&meta);
    /* results/latest names the last complete run only */
    if (!rc && !stop_signal && !out_dir) {
        unlink("results/latest");
        if (symlink(dir + strlen("results/"), "results/latest") != 0)
            fprintf(stderr, "warning: cannot point results/latest at %s: %s\n", dir, strerror(errno));
    }
    fprintf(stderr, "%s: %zu rows in %s\n", status, done, dir);
    if (stop_signal)
        rc = 128 + stop_signal;
out:
    for (size_t i = 0; i < njobs && perf; i++)
        free(perf[i].samples);
    free(jobs);
    free(perf);
    free(acc);
    free(vars);
    counters_teardown(&ctr);
    return rc;
}
