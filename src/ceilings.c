#include "ceilings.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../kernels/ceiling.h"
#include "cpu_features.h"

/* Median ns per call of fn copying or reading `floats` values, on fresh
 * buffers near the bound thread; cold flushes them before each call. NaN if
 * the buffers cannot be had. */
static double ceiling_median_ns(nb_kernel_fn fn, size_t floats, const struct measure_config *cfg, int cold)
{
    float *x = topology_alloc(floats * 4), *y = topology_alloc(floats * 4);
    double ns = NAN;
    if (x && y) {
        for (size_t i = 0; i < floats; i++) {
            x[i] = (float)(i % 1024) * 0.5f;
            y[i] = 0;
        }
        struct nb_args a = {.rows = 1, .n = floats, .x = x, .y = y};
        struct measure_config c = *cfg;
        c.counters = NULL;
        c.threads = 1;
        c.work_stride = 0;
        c.cold = cold;
        c.nspans = 2;
        c.spans[0] = (struct flush_span){x, floats * 4};
        c.spans[1] = (struct flush_span){y, floats * 4};
        struct measurement m;
        if (measure_kernel(fn, &a, 4, &c, &m) == 0)
            ns = m.time.median;
        measurement_free(&m);
    }
    topology_free(x, floats * 4);
    topology_free(y, floats * 4);
    return ns;
}

static double ceiling_run(nb_kernel_fn fn, size_t floats, double bytes_per_call, const struct measure_config *cfg)
{
    return bytes_per_call / ceiling_median_ns(fn, floats, cfg, cfg->cold);
}

struct ceiling_impl {
    nb_kernel_fn fn;
    const char *name;
    int usable;
};

/* The fastest usable implementation's GB/s (NaN if none is usable), and
 * its name in *by. */
static double best_of(const struct ceiling_impl *impl, size_t count, size_t floats, double bytes,
                      const struct measure_config *cfg, const char **by, nb_kernel_fn *fn, double *each)
{
    double best = NAN;
    *by = "none";
    for (size_t i = 0; i < count; i++) {
        if (each)
            each[i] = NAN;
        if (!impl[i].usable)
            continue;
        double g = ceiling_run(impl[i].fn, floats, bytes, cfg);
        if (each)
            each[i] = g;
        if (isnan(best) || g > best) {
            best = g;
            *by = impl[i].name;
            if (fn)
                *fn = impl[i].fn;
        }
    }
    return best;
}

/* The rounds time every copy the CPU has, fastest first. Picking the two
 * fastest here, at the tier's own footprint where they nearly tie, left
 * out the one that was fastest at an edge shape's footprint in some
 * processes and not in others (Zen 5, 256 x 768: a ceiling of 116 or 145
 * GB/s). The non-temporal copies in DRAM, and in L3 only where one beat
 * every normal copy at the tier's footprint: timed in L3 rounds they slowed
 * the kernels beside them (fused RMSNorm at 256 x 4096 to 0.82 and 0.79 of
 * its sequential rate in two repro studies on Zen 5, against 0.94 without),
 * but where they are faster (Zen 3 on a loaded host: 37 to 40 GB/s against
 * 31) the normal copy alone is no ceiling: the streaming kernels reached
 * 1.15 to 1.48 of it. */
void ceiling_order_round_copies(struct ceiling *c, enum nb_tier tier, const nb_kernel_fn fns[5], const double each[5])
{
    static const char *const names[5] = {"avx512", "avx2", "memcpy", "avx512 non-temporal", "avx2 non-temporal"};
    double left[5];
    memcpy(left, each, sizeof left);
    /* fmax passes over a NaN, a copy this CPU lacks */
    const double best_normal = fmax(fmax(each[0], each[1]), each[2]), best_nt = fmax(each[3], each[4]);
    const int nt_in_rounds = tier == NB_TIER_DRAM || (tier == NB_TIER_L3 && best_nt > best_normal);
    c->nround_fns = 0;
    for (;;) {
        int best = -1;
        for (int i = 0; i < (nt_in_rounds ? 5 : 3); i++)
            if (isfinite(left[i]) && (best < 0 || left[i] > left[best]))
                best = i;
        if (best < 0)
            break;
        c->round_names[c->nround_fns] = names[best];
        c->round_fns[c->nround_fns++] = fns[best];
        left[best] = NAN;
    }
}

void ceiling_measure(struct ceiling *c, const struct nb_topology *t, enum nb_tier tier,
                     const struct measure_config *cfg)
{
    const unsigned f = cpu_detect()->features;
    /* the CPU has the ISA and this build its code */
    const int avx512 = (f & NB_CPU_AVX512F) && ceiling_copy_avx512, avx2 = (f & NB_CPU_AVX2) && ceiling_copy_avx2;
    size_t floats = tier_target_bytes(t, tier) / 8;
    if (floats < 64)
        floats = 64;
    c->bytes = floats * 8;
    /* each ceiling is the best the machine does: on some CPUs 256-bit
     * copies beat 512-bit ones, and memcpy beats both from L2 */
    const struct ceiling_impl copies[] = {
        {ceiling_copy_avx512, "avx512", avx512}, {ceiling_copy_avx2, "avx2", avx2}, {ceiling_copy_scalar, "memcpy", 1}};
    const struct ceiling_impl nt[] = {
        {ceiling_copy_nt_avx512, "avx512", avx512}, {ceiling_copy_nt_avx2, "avx2", avx2}};
    const struct ceiling_impl reads[] = {
        {ceiling_read_avx512, "avx512", avx512}, {ceiling_read_avx2, "avx2", avx2}, {ceiling_read_scalar, "scalar", 1}};
    double each[5];
    c->copy_gbs = best_of(copies, 3, floats, (double)floats * 8, cfg, &c->copy_by, NULL, each);
    c->copy_nt_gbs = best_of(nt, 2, floats, (double)floats * 8, cfg, &c->copy_nt_by, NULL, each + 3);
    c->read_gbs = best_of(reads, 3, floats, (double)floats * 4, cfg, &c->read_by, NULL, NULL);
    const nb_kernel_fn fns[5] = {copies[0].fn, copies[1].fn, copies[2].fn, nt[0].fn, nt[1].fn};
    ceiling_order_round_copies(c, tier, fns, each);
    c->measured = 1;
}

size_t ceiling_nt_threshold(const struct ceiling *dram, size_t llc_bytes, unsigned threads, char *why,
                            size_t why_len)
{
    if (dram && dram->measured && !(dram->copy_nt_gbs > dram->copy_gbs)) {
        if (isfinite(dram->copy_nt_gbs))
            snprintf(why, why_len, "never: in DRAM the non-temporal copy (%.2f GB/s) is not faster than the copy (%.2f GB/s)",
                     dram->copy_nt_gbs, dram->copy_gbs);
        else
            snprintf(why, why_len, "never: no non-temporal copy on this CPU (needs AVX2)");
        return 0;
    }
    if (llc_bytes == 0) {
        snprintf(why, why_len, "never: the last-level cache size is unknown");
        return 0;
    }
    size_t t = llc_bytes / (threads ? threads : 1);
    snprintf(why, why_len, "%zu bytes: the last-level cache (%zu KiB) over %u thread%s%s", t, llc_bytes >> 10,
             threads ? threads : 1, threads > 1 ? "s" : "",
             dram && dram->measured ? "" : " (DRAM not measured in this run)");
    return t;
}

void ceiling_nt_threshold_note(const struct ceiling *dram, size_t llc_bytes, int several_threads, char *why,
                               size_t why_len)
{
    if (ceiling_nt_threshold(dram, llc_bytes, 1, why, why_len) != 0 && several_threads) {
        const size_t used = strlen(why);
        snprintf(why + used, why_len - used, ", divided by the thread count in rows of several threads");
    }
}

double ceiling_cold_check(size_t bytes, const struct measure_config *cfg)
{
    const unsigned f = cpu_detect()->features;
    nb_kernel_fn read = (f & NB_CPU_AVX512F) ? ceiling_read_avx512 : (f & NB_CPU_AVX2) ? ceiling_read_avx2 : ceiling_read_scalar;
    return ceiling_median_ns(read, bytes / 4, cfg, 1) / ceiling_median_ns(read, bytes / 4, cfg, 0);
}
