/* normbench topology: what this machine offers a measurement. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ceilings.h"
#include "commands.h"
#include "compute.h"
#include "counters.h"
#include "cpu_features.h"
#include "measure.h"
#include "timer.h"
#include "topology.h"

/* The clock and vector rates, and whether CPU 1 running slows CPU 0: on a
 * VM two vCPUs can be one core's two threads, or time-share one. */
static void print_compute(const struct nb_topology *t)
{
    char err[256];
    struct compute_rates r;
    int paired = compute_measure(&r, 7, t->pus > 1 ? 1 : -1, err, sizeof err) == 0;
    printf("compute (one thread, CPU 0, median of 7):\n");
    printf("  core clock  %.2f GHz (a chain of dependent adds; samples %.2f to %.2f)\n", r.core_ghz, r.core_ghz_lo,
           r.core_ghz_hi);
    for (size_t i = 0; i < r.nvec; i++)
        printf("  %-10s  %.2f multiplies and %.2f multiply-adds a cycle (%d f32 lanes each)\n", r.vec[i].isa,
               r.vec[i].mul_per_cycle, r.vec[i].fma_per_cycle, r.vec[i].lanes);
    if (r.nvec == 0)
        printf("  vectors     n/a (no vector probe for this CPU)\n");
    if (!paired) {
        printf("  CPU pair    n/a (%s)\n", t->pus > 1 ? err : "one CPU");
        return;
    }
    printf("  CPU pair    with CPU %d busy, CPU 0's clock is %.2f of its clock alone (CPU %d meanwhile %.2f GHz)%s\n",
           r.pair_cpu, r.pair_ratio, r.pair_cpu, r.pair_other_ghz,
           r.pair_ratio < 0.8 ? ": they share a core or time-share one, so two-thread figures are not two cores' worth"
                              : "");
}

int cmd_topology(int argc, char **argv)
{
    int measure = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: normbench topology [--no-ceilings]\n\n"
                   "What hwloc sees, the timer's resolution and overhead, the PAPI events\n"
                   "this machine can count, the copy and read ceilings per cache tier, and the\n"
                   "core clock, vector multiply rates and whether CPU 1 running slows CPU 0.\n");
            return NB_EXIT_OK;
        }
        if (strcmp(argv[i], "--no-ceilings") == 0) {
            measure = 0;
            continue;
        }
        if (argv[i][0] == '-')
            nb_error("topology", "unknown option '%s'", argv[i]);
        else
            nb_error("topology", "unexpected argument '%s' (topology takes none)", argv[i]);
        return NB_EXIT_USAGE;
    }
    if (nb_parse_only)
        return NB_EXIT_OK;
    char err[1024];
    struct nb_topology t;
    if (topology_load(&t, err, sizeof err) != 0)
        fprintf(stderr, "warning: %s\n", err);
    printf("cpu:        %s\n", t.cpu_model);
    printf("cores:      %d cores, %d PUs, %d NUMA node(s)\n", t.cores, t.pus, t.numa_nodes);
    printf("caches:     L1d %zu KiB, L2 %zu KiB, L3 %zu KiB (per instance)\n", t.cache_bytes[0] >> 10,
           t.cache_bytes[1] >> 10, t.cache_bytes[2] >> 10);
    const struct nb_cpu *cpu = cpu_detect();
    char names[512];
    cpu_features_format(cpu->features, names, sizeof names);
    printf("features:  %s%s\n", names, cpu->under_valgrind ? " (under valgrind)" : "");
    int papi_ok = counters_library_init(err, sizeof err) == 0;
    struct timer_info ti;
    timer_calibrate(&ti);
    printf("timer:      CLOCK_MONOTONIC resolution %.0f ns, overhead %.1f ns; TSC %.4f GHz\n", ti.resolution_ns,
           ti.overhead_ns, ti.tsc_ghz);
    if (papi_ok) {
        char avail[2048];
        counters_list_available(avail, sizeof avail);
        printf("papi:       presets available: %s\n", avail[0] ? avail : "none");
        if (counters_component_off()[0])
            printf("            %s: no event can be counted\n", counters_component_off());
        struct counters c;
        counters_setup(&c, "PAPI_TOT_CYC,PAPI_TOT_INS,PAPI_L1_DCM,PAPI_L2_DCM,perf::TASK-CLOCK", err, sizeof err);
        for (size_t e = 0; e < c.count; e++)
            printf("            %-18s %s\n", c.names[e], c.available[e] ? "counts here" : c.why[e]);
        counters_teardown(&c);
    } else {
        printf("papi:       %s\n", err);
    }
    if (!measure)
        return NB_EXIT_OK;
    if (cpu->under_valgrind) {
        printf("ceilings:   n/a (under valgrind: the times would be the emulator's)\n"
               "compute:    n/a (under valgrind: the times would be the emulator's)\n");
        return NB_EXIT_OK;
    }
    if (topology_bind_thread(0, err, sizeof err) != 0)
        fprintf(stderr, "warning: %s\n", err);
    struct measure_config mc = {.reps = 10, .min_time_ns = 1e7, .warmup_ns = 1e7,
                                .resolution_ns = ti.resolution_ns, .threads = 1};
    printf("ceilings (one thread, CPU 0, footprint = x and y, median of 10):\n");
    printf("  %-5s %10s %10s %-7s %12s %-7s %10s %-7s\n", "tier", "bytes", "copy GB/s", "by", "copy-nt GB/s", "by",
           "read GB/s", "by");
    for (int tier = 0; tier < NB_TIER_COUNT; tier++) {
        if (tier_target_bytes(&t, (enum nb_tier)tier) < 512)
            continue;
        struct ceiling c;
        ceiling_measure(&c, &t, (enum nb_tier)tier, &mc);
        char nt[32] = "n/a";
        if (isfinite(c.copy_nt_gbs))
            snprintf(nt, sizeof nt, "%.1f", c.copy_nt_gbs);
        printf("  %-5s %10zu %10.1f %-7s %12s %-7s %10.1f %-7s\n", tier_name((enum nb_tier)tier), c.bytes, c.copy_gbs,
               c.copy_by, nt, isfinite(c.copy_nt_gbs) ? c.copy_nt_by : "", c.read_gbs, c.read_by);
    }
    print_compute(&t);
    double ratio = ceiling_cold_check(16 << 10, &mc);
    if (isnan(ratio))
        printf("cold check: n/a (the measurement failed)\n");
    else
        printf("cold check: reading 16 KiB after the cold mode's flush takes %.1fx as long as hot%s\n", ratio,
               ratio > 2 ? " (cold is cold)" : " (the flush may not reach memory: cold figures are suspect)");
    return NB_EXIT_OK;
}
