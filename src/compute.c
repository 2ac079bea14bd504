#include "compute.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "../kernels/ceiling.h"
#include "cpu_features.h"
#include "stats.h"
#include "timer.h"
#include "topology.h"

#define COMPUTE_SAMPLE_NS 1e7
#define COMPUTE_MAX_SAMPLES 15

/* one probe call: `iters` rounds of `ops_per_iter` operations */
struct probe {
    int kind; /* 0: add chain, 1: vector multiply, 2: vector multiply-add */
    float (*vec)(size_t, float);
    double ops_per_iter;
};

static double probe_ns(const struct probe *p, size_t iters)
{
    /* volatile: the compiler must not know the step or the factor */
    volatile uint64_t step = 1;
    volatile float one = 1.0f;
    volatile uint64_t sink_u;
    volatile float sink_f;
    int64_t t0 = timer_ns();
    if (p->kind == 0)
        sink_u = ceiling_add_chain(iters, step);
    else
        sink_f = p->vec(iters, one);
    (void)sink_u;
    (void)sink_f;
    return (double)(timer_ns() - t0);
}

/* iterations for one call of about 10 ms */
static size_t probe_calibrate(const struct probe *p)
{
    size_t iters = 1 << 12;
    while (probe_ns(p, iters) < COMPUTE_SAMPLE_NS && iters < ((size_t)1 << 40))
        iters *= 2;
    return iters;
}

static double probe_rate(const struct probe *p, size_t iters)
{
    return (double)iters * p->ops_per_iter / probe_ns(p, iters);
}

static int clamp_samples(int samples)
{
    return samples < 1 ? 1 : samples > COMPUTE_MAX_SAMPLES ? COMPUTE_MAX_SAMPLES : samples;
}

enum partner_state { PARTNER_STARTING, PARTNER_IDLE, PARTNER_BUSY, PARTNER_STOP, PARTNER_UNBOUND };

struct partner {
    int cpu;
    atomic_int state;
    double busy_ops, busy_ns;
};

static void sleep_ns(long ns)
{
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

/* Runs the chain in 1 ms calls while told to be busy, sleeps while idle:
 * a spinning wait would itself load the CPU. */
static void *partner_main(void *arg)
{
    struct partner *p = arg;
    char err[256];
    if (topology_bind_thread(p->cpu, err, sizeof err) != 0) {
        atomic_store(&p->state, PARTNER_UNBOUND);
        return NULL;
    }
    const struct probe chain = {0, NULL, 16};
    size_t iters = probe_calibrate(&chain) / 10;
    atomic_store(&p->state, PARTNER_IDLE);
    for (int st; (st = atomic_load(&p->state)) != PARTNER_STOP;) {
        if (st == PARTNER_BUSY) {
            p->busy_ns += probe_ns(&chain, iters);
            p->busy_ops += (double)iters * chain.ops_per_iter;
        } else {
            sleep_ns(100000);
        }
    }
    return NULL;
}

static void partner_set(struct partner *p, enum partner_state st)
{
    atomic_store(&p->state, st);
    sleep_ns(3000000); /* the partner's current call (1 ms) or nap ends */
}

/* This CPU's clock with a thread on pair_cpu busy over idle, in rounds
 * that alternate the two, and the median of the per-round ratios; iters is
 * the clock probe's, already calibrated. */
static int pair_measure(struct compute_rates *r, int samples, int pair_cpu, size_t iters, char *err, size_t errlen)
{
    struct partner p = {.cpu = pair_cpu};
    atomic_init(&p.state, PARTNER_STARTING);
    pthread_t th;
    if (pthread_create(&th, NULL, partner_main, &p) != 0) {
        snprintf(err, errlen, "the pair test could not start a thread");
        return -1;
    }
    while (atomic_load(&p.state) == PARTNER_STARTING)
        sleep_ns(100000);
    int ok = atomic_load(&p.state) == PARTNER_IDLE;
    const struct probe chain = {0, NULL, 16};
    double ratio[COMPUTE_MAX_SAMPLES];
    for (int i = 0; ok && i < samples; i++) {
        partner_set(&p, PARTNER_IDLE);
        double alone = probe_rate(&chain, iters);
        partner_set(&p, PARTNER_BUSY);
        ratio[i] = probe_rate(&chain, iters) / alone;
    }
    atomic_store(&p.state, PARTNER_STOP);
    pthread_join(th, NULL);
    if (!ok) {
        snprintf(err, errlen, "the pair test could not bind a thread to CPU %d", pair_cpu);
        return -1;
    }
    r->pair_cpu = pair_cpu;
    r->pair_ratio = stats_median_inplace(ratio, (size_t)samples);
    r->pair_other_ghz = p.busy_ops / p.busy_ns;
    return 0;
}

/* The probes of this CPU: the clock first, then a multiply and a
 * multiply-add per vector ISA, in sample rounds so that each vector rate is
 * divided by the clock of its own round (the clock drifts by some percent
 * between seconds on a shared host). */
static size_t probes_of_cpu(struct compute_rates *r, struct probe *p)
{
    const unsigned f = cpu_detect()->features;
    const struct {
        const char *isa;
        int lanes, usable;
        float (*mul)(size_t, float), (*fma)(size_t, float);
    } isas[] = {
        {"avx2", 8, (f & NB_CPU_AVX2) && (f & NB_CPU_FMA) && ceiling_mul_avx2, ceiling_mul_avx2, ceiling_fma_avx2},
        {"avx512", 16, (f & NB_CPU_AVX512F) && ceiling_mul_avx512, ceiling_mul_avx512, ceiling_fma_avx512},
    };
    size_t np = 0;
    p[np++] = (struct probe){0, NULL, 16};
    for (size_t i = 0; i < sizeof isas / sizeof isas[0]; i++) {
        if (!isas[i].usable)
            continue;
        r->vec[r->nvec++] = (struct vector_rate){isas[i].isa, isas[i].lanes, NAN, NAN};
        p[np++] = (struct probe){1, isas[i].mul, 12};
        p[np++] = (struct probe){2, isas[i].fma, 12};
    }
    return np;
}

int compute_measure(struct compute_rates *r, int samples, int pair_cpu, char *err, size_t errlen)
{
    *r = (struct compute_rates){.core_ghz = NAN, .pair_cpu = -1, .pair_ratio = NAN, .pair_other_ghz = NAN};
    samples = clamp_samples(samples);
    struct probe p[5];
    size_t np = probes_of_cpu(r, p), iters[5];
    for (size_t k = 0; k < np; k++)
        iters[k] = probe_calibrate(&p[k]);
    double clock[COMPUTE_MAX_SAMPLES], per_cycle[4][COMPUTE_MAX_SAMPLES];
    r->core_ghz_lo = INFINITY;
    r->core_ghz_hi = 0;
    for (int s = 0; s < samples; s++) {
        clock[s] = probe_rate(&p[0], iters[0]);
        r->core_ghz_lo = fmin(r->core_ghz_lo, clock[s]);
        r->core_ghz_hi = fmax(r->core_ghz_hi, clock[s]);
        for (size_t k = 1; k < np; k++)
            per_cycle[k - 1][s] = probe_rate(&p[k], iters[k]) / clock[s];
    }
    r->core_ghz = stats_median_inplace(clock, (size_t)samples);
    for (size_t v = 0; v < r->nvec; v++) {
        r->vec[v].mul_per_cycle = stats_median_inplace(per_cycle[2 * v], (size_t)samples);
        r->vec[v].fma_per_cycle = stats_median_inplace(per_cycle[2 * v + 1], (size_t)samples);
    }
    if (pair_cpu >= 0)
        return pair_measure(r, samples, pair_cpu, iters[0], err, errlen);
    return 0;
}

double compute_core_ghz(int samples)
{
    samples = clamp_samples(samples);
    const struct probe chain = {0, NULL, 16};
    size_t iters = probe_calibrate(&chain);
    double rate[COMPUTE_MAX_SAMPLES];
    for (int i = 0; i < samples; i++)
        rate[i] = probe_rate(&chain, iters);
    return stats_median_inplace(rate, (size_t)samples);
}
