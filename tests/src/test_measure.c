/* Statistics, calibration, tier selection, counters, configs and the CSV
 * schema of the measurement engine. No test here asserts a timing. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../kernels/ceiling.h"
#include "../../kernels/kernels.h"
#include "../../src/ceilings.h"
#include "../../src/cpu_features.h"
#include "../../src/config.h"
#include "../../src/counters.h"
#include "../../src/measure.h"
#include "../../src/results.h"
#include "../../src/shape_group.h"
#include "../../src/stats.h"
#include "../../src/timer.h"
#include "../../src/topology.h"

Test(stats, known_samples)
{
    const double v[] = {4, 1, 3, 2, 100};
    struct stats s;
    cr_assert_eq(stats_compute(v, 5, &s), 0);
    cr_expect_eq(s.min, 1);
    cr_expect_eq(s.max, 100);
    cr_expect_eq(s.median, 3);
    cr_expect_eq(s.mean, 22);
    cr_expect_float_eq(s.stddev, sqrt((18 * 18 + 21 * 21 + 19 * 19 + 20 * 20 + 78 * 78) / 4.0), 1e-12);
    cr_expect_eq(s.mad, 1); /* |v - 3| = 1, 2, 0, 1, 97 -> median 1 */
    cr_expect_float_eq(s.cv, s.stddev / 22, 1e-15);
    const double even[] = {1, 2, 3, 4};
    cr_assert_eq(stats_compute(even, 4, &s), 0);
    cr_expect_eq(s.median, 2.5);
    cr_assert_eq(stats_compute(even, 0, &s), 0);
    cr_expect(isnan(s.median));
}

Test(stats, stddev_is_stable_for_large_offsets)
{
    /* naive sum-of-squares would cancel: 1e9 + {0, 1, 2} */
    const double v[] = {1e9, 1e9 + 1, 1e9 + 2};
    struct stats s;
    stats_compute(v, 3, &s);
    cr_expect_float_eq(s.stddev, 1.0, 1e-9);
}

static const struct nb_topology machine = {
    .cores = 2, .pus = 2, .numa_nodes = 1, .cache_bytes = {32 << 10, 1 << 20, 32 << 20}};

Test(tiers, rows_fill_each_level_away_from_its_edge)
{
    /* f32, n = 768: 6 KiB of x and y per row, 6 KiB of g and b */
    size_t row = 2 * 768 * 4, fixed = 2 * 768 * 4;
    cr_expect_eq(tier_target_bytes(&machine, NB_TIER_L1), 16 << 10);
    cr_expect_eq(tier_rows(&machine, NB_TIER_L1, row, fixed), 1);
    cr_expect_eq(tier_target_bytes(&machine, NB_TIER_L2), 512 << 10);
    cr_expect_eq(tier_rows(&machine, NB_TIER_L2, row, fixed), ((512 << 10) - fixed) / row);
    cr_expect_eq(tier_target_bytes(&machine, NB_TIER_L3), 16 << 20);
    cr_expect_eq(tier_target_bytes(&machine, NB_TIER_DRAM), 128 << 20); /* 4x the last level */
    /* n = 4096 f32 does not fit a 32 KiB L1 with its output: skipped */
    cr_expect_eq(tier_rows(&machine, NB_TIER_L1, 2 * 4096 * 4, 2 * 4096 * 4), 0);
    cr_expect_eq(tier_of_footprint(&machine, 20 << 10), NB_TIER_L1);
    cr_expect_eq(tier_of_footprint(&machine, 40 << 10), NB_TIER_L2);
    cr_expect_eq(tier_of_footprint(&machine, 64 << 20), NB_TIER_DRAM);
    /* an L2 barely bigger than L1 is not a separate tier target */
    const struct nb_topology odd = {.cache_bytes = {64 << 10, 96 << 10, 0}};
    cr_expect_eq(tier_target_bytes(&odd, NB_TIER_L2), 0);
    cr_expect_eq(tier_target_bytes(&odd, NB_TIER_L3), 0);
}

static void tiny_kernel(const struct nb_args *a)
{
    ((float *)a->y)[0] += ((const float *)a->x)[0];
}

Test(measure, calibration_and_repetitions)
{
    float x[1] = {1}, y[1] = {0};
    struct nb_args a = {.rows = 1, .n = 1, .x = x, .y = y};
    struct timer_info ti;
    timer_calibrate(&ti);
    cr_expect_gt(ti.resolution_ns, 0);
    struct measure_config c = {.reps = 7, .min_time_ns = 2e5, .warmup_ns = 1e5, .resolution_ns = ti.resolution_ns,
                               .threads = 1};
    struct measurement m;
    cr_assert_eq(measure_kernel(tiny_kernel, &a, 4, &c, &m), 0);
    cr_expect_eq(m.reps, 7);
    cr_expect_geq(m.calls, 1);
    cr_expect_eq(m.time.count, 7);
    for (size_t r = 0; r < m.reps; r++)
        cr_expect_gt(m.ns_per_call[r], 0);
    measurement_free(&m);
    /* cold: one call per repetition, on flushed lines */
    c.cold = 1;
    c.nspans = 1;
    c.spans[0] = (struct flush_span){x, sizeof x};
    cr_assert_eq(measure_kernel(tiny_kernel, &a, 4, &c, &m), 0);
    cr_expect_eq(m.calls, 1);
    measurement_free(&m);
}

/* Calibration on a clock that does not depend on the machine: a call
 * "takes" 5 ns, or the clock is too coarse to see one. */
static double five_ns_a_call(void *ctx, size_t calls)
{
    (void)ctx;
    return 5.0 * (double)calls;
}

static double coarse_clock(void *ctx, size_t calls)
{
    (void)ctx;
    return calls < 1000 ? 0.0 : 1e6; /* nothing until a thousand calls, then one tick */
}

Test(measure, calibration_reaches_the_target)
{
    size_t calls = measure_calibrate(five_ns_a_call, NULL, 2e5);
    cr_expect_geq(5.0 * (double)calls, 2e5, "%zu calls of 5 ns do not last 0.2 ms", calls);
    cr_expect_leq(5.0 * (double)calls, 1.5 * 2e5, "%zu calls overshoot 0.2 ms by more than half", calls);
    calls = measure_calibrate(coarse_clock, NULL, 1e5);
    cr_expect_geq(calls, 1000, "a clock that shows nothing must not stop the growth (%zu calls)", calls);
}

/* autont streams only above the last-level cache, and never where the run
 * saw non-temporal stores lose in DRAM */
Test(ceilings, nt_threshold_follows_the_measurement)
{
    char why[200];
    struct ceiling dram = {.measured = 1, .copy_gbs = 11.3, .copy_nt_gbs = 7.5};
    cr_expect_eq(ceiling_nt_threshold(&dram, 32 << 20, 1, why, sizeof why), (size_t)0);
    cr_expect(strstr(why, "never") && strstr(why, "7.50"), "%s", why);
    dram.copy_nt_gbs = 19.0;
    cr_expect_eq(ceiling_nt_threshold(&dram, 32 << 20, 2, why, sizeof why), (size_t)16 << 20);
    cr_expect(strstr(why, "2 threads"), "%s", why);
    dram.copy_nt_gbs = NAN;
    cr_expect_eq(ceiling_nt_threshold(&dram, 32 << 20, 1, why, sizeof why), (size_t)0);
    struct ceiling unmeasured = {0};
    cr_expect_eq(ceiling_nt_threshold(&unmeasured, 32 << 20, 1, why, sizeof why), (size_t)32 << 20);
    cr_expect(strstr(why, "not measured"), "%s", why);
    cr_expect_eq(ceiling_nt_threshold(&unmeasured, 0, 1, why, sizeof why), (size_t)0);
    /* meta.csv's note: the division among threads only where there is a threshold */
    ceiling_nt_threshold_note(&unmeasured, 32 << 20, 1, why, sizeof why);
    cr_expect(strstr(why, "divided by the thread count"), "%s", why);
    ceiling_nt_threshold_note(&dram, 32 << 20, 1, why, sizeof why);
    cr_expect(strstr(why, "never") && !strstr(why, "divided"), "%s", why);
    /* the kernels' per-call setting wants the number only */
    cr_expect_eq(ceiling_nt_threshold(&dram, 32 << 20, 2, NULL, 0), (size_t)0);
}

/* the rounds' ceiling: the non-temporal copies in DRAM, and in L3 only
 * where one beat the normal copies at the tier's footprint (Zen 3: the
 * streaming kernels had reached 1.48 of a normal-copy ceiling there) */
Test(ceilings, rounds_time_the_nt_copy_where_it_is_the_fastest)
{
    struct ceiling c;
    const nb_kernel_fn fns[5] = {ceiling_copy_avx512, ceiling_copy_avx2, ceiling_copy_scalar, ceiling_copy_nt_avx512,
                                 ceiling_copy_nt_avx2};
    const double nt_wins[5] = {NAN, 31.0, 30.5, NAN, 38.4}, copy_wins[5] = {NAN, 54.0, 53.9, NAN, 43.9};
    ceiling_order_round_copies(&c, NB_TIER_L3, fns, nt_wins);
    cr_assert_eq(c.nround_fns, (size_t)3);
    cr_expect_str_eq(c.round_names[0], "avx2 non-temporal");
    cr_expect_str_eq(c.round_names[1], "avx2");
    cr_expect_str_eq(c.round_names[2], "memcpy");
    cr_expect(c.round_fns[0] == ceiling_copy_nt_avx2 && c.round_fns[2] == ceiling_copy_scalar);
    ceiling_order_round_copies(&c, NB_TIER_L3, fns, copy_wins);
    cr_assert_eq(c.nround_fns, (size_t)2);
    cr_expect_str_eq(c.round_names[0], "avx2");
    ceiling_order_round_copies(&c, NB_TIER_L2, fns, nt_wins);
    cr_expect_eq(c.nround_fns, (size_t)2, "in L2 the non-temporal copy stays out");
    ceiling_order_round_copies(&c, NB_TIER_DRAM, fns, copy_wins);
    cr_expect_eq(c.nround_fns, (size_t)3, "in DRAM it is always timed");
    const double none[5] = {NAN, NAN, 12.0, NAN, NAN};
    ceiling_order_round_copies(&c, NB_TIER_L3, fns, none);
    cr_assert_eq(c.nround_fns, (size_t)1);
    cr_expect_str_eq(c.round_names[0], "memcpy");
}

/* ab times no ceilings, and its autont kernels must still stream above
 * the last-level cache as run's do (they once got 0, never, and ab
 * compared an unstreamed autont in DRAM) */
Test(ceilings, jobs_without_ceilings_stream_above_the_cache)
{
    const struct group_env ab = {.ceil = NULL, .llc_bytes = 32 << 20};
    cr_expect_eq(group_nt_threshold(&ab, 1), (size_t)32 << 20);
    cr_expect_eq(group_nt_threshold(&ab, 2), (size_t)16 << 20);
    struct ceiling ceil[NB_TIER_COUNT] = {0};
    ceil[NB_TIER_DRAM] = (struct ceiling){.measured = 1, .copy_gbs = 11.3, .copy_nt_gbs = 7.5};
    const struct group_env run = {.ceil = ceil, .llc_bytes = 32 << 20};
    cr_expect_eq(group_nt_threshold(&run, 1), (size_t)0, "the run saw the non-temporal copy lose");
    ceil[NB_TIER_DRAM].copy_nt_gbs = 19.0;
    cr_expect_eq(group_nt_threshold(&run, 1), (size_t)32 << 20);
}

Test(measure, threads_split_rows)
{
    enum { ROWS = 7, N = 33 };
    static float x[ROWS * N], y[ROWS * N], g[N];
    for (int i = 0; i < ROWS * N; i++)
        x[i] = (float)(i % 13) - 6;
    for (int i = 0; i < N; i++)
        g[i] = 1;
    struct nb_args a = {.rows = ROWS, .n = N, .x = x, .y = y, .g = g, .eps = 1e-6};
    struct measure_config c = {.reps = 2, .min_time_ns = 1e5, .resolution_ns = 1, .threads = 2, .npus = 2};
    struct measurement m;
    cr_assert_eq(measure_kernel(rmsnorm_fused_scalar_f32, &a, 4, &c, &m), 0);
    measurement_free(&m);
    float want[ROWS * N];
    struct nb_args b = a;
    b.y = want;
    rmsnorm_fused_scalar_f32(&b);
    cr_expect(memcmp(y, want, sizeof want) == 0, "two threads must cover every row exactly once");
}

Test(counters, software_event_counts_and_missing_events_say_why)
{
    struct counters c;
    char err[2048];
    if (cpu_detect()->emulated)
        cr_skip("%s; qemu-user has no perf_event_open", cpu_detect()->emulated);
    cr_assert_eq(counters_setup(&c, "perf::TASK-CLOCK,PAPI_TOT_CYC", err, sizeof err), 0, "%s", err);
    if (!c.ready)
        cr_skip("PAPI cannot initialise here: %s", c.init_error);
    if (counters_component_off()[0]) {
        for (int i = 0; i < 2; i++) {
            cr_expect(!c.available[i], "%s counts though %s", c.names[i], counters_component_off());
            cr_expect_neq(strstr(c.why[i], "omponent"), NULL, "%s: %s", c.names[i], c.why[i]);
        }
        counters_teardown(&c);
        cr_expect_eq(counters_setup(&c, "PAPI_NOT_AN_EVENT", err, sizeof err), 0, "no name can be checked: %s", err);
        cr_expect_neq(strstr(c.why[0], "perf_event component is disabled"), NULL, "%s", c.why[0]);
        counters_teardown(&c);
        cr_skip("%s: nothing counts here (each event says so; checked)", counters_component_off());
    }
    cr_assert(c.available[0], "perf::TASK-CLOCK: %s", c.why[0]);
    long long v[NB_MAX_EVENTS];
    cr_assert_eq(counters_start(&c), 0);
    volatile double s = 0;
    for (int i = 0; i < 2000000; i++)
        s += i * 0.5;
    cr_assert_eq(counters_stop(&c, v), 0);
    cr_expect_gt(v[0], 0, "task clock must advance over real work");
    char note[600];
    counters_note(&c, note, sizeof note);
    if (c.available[1]) {
        cr_expect_geq(v[1], 0);
        cr_expect_eq(strstr(note, "PAPI_TOT_CYC"), NULL);
    } else {
        cr_expect_eq(v[1], -1, "an event this machine lacks is never a number");
        cr_expect_neq(strstr(note, "PAPI_TOT_CYC: "), NULL, "note: %s", note);
    }
    counters_teardown(&c);
    cr_expect_eq(counters_setup(&c, "PAPI_NOT_AN_EVENT", err, sizeof err), 2);
    cr_expect_neq(strstr(err, "unknown PAPI event 'PAPI_NOT_AN_EVENT'"), NULL, "%s", err);
    cr_expect_neq(strstr(err, "perf::TASK-CLOCK"), NULL, "the message lists events that exist: %s", err);
}

Test(config, shipped_default_equals_embedded)
{
    struct nb_suite a, b;
    char err[400];
    suite_defaults(&a);
    suite_defaults(&b);
    cr_assert_eq(suite_load_string(&a, nb_default_suite_ini, "embedded", err, sizeof err), 0, "%s", err);
    cr_assert_eq(suite_load_file(&b, "configs/default.ini", err, sizeof err), 0, "%s", err);
    memset(a.source, 0, sizeof a.source);
    memset(b.source, 0, sizeof b.source);
    a.kernels_line = b.kernels_line = 0;
    cr_expect(memcmp(&a, &b, sizeof a) == 0, "configs/default.ini and the embedded suite differ");
    for (const char *f = "configs/llama.ini"; f; f = strcmp(f, "configs/llama.ini") == 0 ? "configs/ci.ini" : NULL) {
        suite_defaults(&b);
        cr_expect_eq(suite_load_file(&b, f, err, sizeof err), 0, "%s", err);
    }
}

/* threads takes a list: each shape is measured at each count, and the
 * largest sizes the workspaces */
Test(config, thread_counts_are_a_list)
{
    struct nb_suite s;
    char err[400];
    suite_defaults(&s);
    cr_expect_eq(s.nthread_counts, 1);
    cr_expect_eq(s.thread_counts[0], 1);
    cr_assert_eq(suite_load_string(&s, "[run]\nthreads = 2,1\n", "t.ini", err, sizeof err), 0, "%s", err);
    cr_expect_eq(s.nthread_counts, 2);
    cr_expect_eq(s.thread_counts[0], 2);
    cr_expect_eq(s.thread_counts[1], 1);
    cr_expect_eq(s.threads, 2);
}

Test(config, errors_name_file_and_line)
{
    struct nb_suite s;
    char err[400];
    const char *cases[][2] = {
        {"[run]\nhidden = 768\nreps = many\n", "t.ini:3: reps: want 1 to 100000, not 'many'"},
        {"[run]\ncolour = blue\n", "t.ini:2: unknown key 'colour' in [run]"},
        {"[nosuch]\nx = 1\n", "t.ini:1: unknown section [nosuch]"},
        {"[run]\nhidden = 768\n[rnu]\n", "t.ini:3: unknown section [rnu]"},
        {"[run]\neps = 1e-6\nreps = 5\neps = 1e-5\n", "t.ini:4: 'eps' is given twice in [run] (first at line 2)"},
        {"[run]\nkernels = a/*\nkernels = b/*\n", "t.ini:3: 'kernels' is given twice"},
        {"[run]\nhidden = 768,\n", "t.ini:2: hidden:"},
        {"[run]\neps = 1e-6,,1e-5\n", "t.ini:2: eps:"},
        {"[run]\nkernels = a/*,\n", "t.ini:2: kernels:"},
        {"[run]\nthis is not ini\n", "t.ini:2: not INI syntax"},
        {"[run]\neps = -1\n", "t.ini:2: eps:"},
        {"[accuracy]\ndist = cauchy\n", "t.ini:2: dist: unknown distribution 'cauchy'"},
        {"[run]\nhidden = 0\n", "t.ini:2: hidden:"},
        {"[run]\nthreads = 1,0\n", "t.ini:2: threads: want counts from 1 to 1024"},
        {"[run]\nthreads = 2,x\n", "t.ini:2: threads:"},
        {"[run]\nthreads = 1,2,1\n", "t.ini:2: threads: 1 is given twice"},
        {"[run]\nhidden = 64\ndy = y\n", "t.ini:3: dy: want normal or x, not 'y'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        suite_defaults(&s);
        cr_expect_eq(suite_load_string(&s, cases[i][0], "t.ini", err, sizeof err), 2, "case %zu", i);
        cr_expect_neq(strstr(err, cases[i][1]), NULL, "case %zu: got '%s'", i, err);
    }
    suite_defaults(&s);
    cr_expect_eq(suite_load_file(&s, "/nonexistent/x.ini", err, sizeof err), 2);
    cr_expect_neq(strstr(err, "/nonexistent/x.ini: No such file"), NULL, "%s", err);
    /* a line over inih's 199 characters: the hint says how to continue */
    char longline[400] = "[run]\nkernels = ";
    memset(longline + strlen(longline), 'a', 250);
    suite_defaults(&s);
    cr_expect_eq(suite_load_string(&s, longline, "t.ini", err, sizeof err), 2);
    cr_expect_neq(strstr(err, "continue a list on an indented line"), NULL, "%s", err);
    /* a long kernels list continues on indented lines; its line is kept
     * for the message of a glob that matches nothing */
    suite_defaults(&s);
    cr_expect_eq(suite_load_string(&s, "[run]\nhidden = 64\nkernels = a/*\n  b/*\n  c/*\n", "t.ini", err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(s.kernels, "a/*,b/*,c/*");
    cr_expect_eq(s.kernels_line, 3);
    /* a byte-order mark and CRLF line ends, as spreadsheets and Windows editors write */
    suite_defaults(&s);
    cr_expect_eq(suite_load_string(&s, "\xef\xbb\xbf[run]\r\nhidden = 96\r\neps = 1e-5\r\n", "t.ini", err, sizeof err), 0, "%s", err);
    cr_expect_eq(s.hidden[0], 96);
    /* endless or blocking inputs are refused before reading */
    const char *not_files[] = {"/dev/zero", "/tmp", "/dev/null"};
    for (size_t i = 0; i < 3; i++) {
        suite_defaults(&s);
        cr_expect_eq(suite_load_file(&s, not_files[i], err, sizeof err), 2, "%s", not_files[i]);
        cr_expect_neq(strstr(err, "not a regular file"), NULL, "%s: %s", not_files[i], err);
    }
}

/* SPEC.md section 7: these columns, in this order, are a stable interface. */
Test(schema, golden_headers)
{
    const char *perf = "variant,norm,algorithm,isa,dtype,rows,n,eps,threads,cache,tier,reps,min_ns,median_ns,"
                       "mean_ns,stddev_ns,mad_ns,cv,ns_per_row,bytes,bandwidth_gbs,ceiling_gbs,roofline_share,"
                       "speedup_vs_naive";
    const char *samples = "variant,rows,n,eps,threads,cache,rep,calls,ns_per_call,round_group";
    const char *acc = "variant,norm,dtype,rows,n,eps,dist,scale,rows_checked,max_ulp,mean_ulp,max_rel,rms_rel,nmse,"
                      "exact_share,nan,pos_inf,neg_inf,false_zero";
    const char *const *lists[] = {perf_columns, samples_columns, accuracy_columns};
    const char *golden[] = {perf, samples, acc};
    for (int l = 0; l < 3; l++) {
        char joined[1024] = "";
        for (size_t i = 0; lists[l][i]; i++) {
            if (i)
                strcat(joined, ",");
            strcat(joined, lists[l][i]);
        }
        cr_expect_str_eq(joined, golden[l]);
    }
}
