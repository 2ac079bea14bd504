#include "timer.h"

#include <papi.h>
#include <time.h>

#include "arch.h"
#include "stats.h"

int64_t timer_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* x86: the TSC through PAPI; aarch64: the virtual counter (a constant
 * rate, commonly 25 MHz to 1 GHz, not the core clock) */
int64_t timer_tsc(void)
{
#if defined(__aarch64__)
    return arch_counter();
#else
    return (int64_t)PAPI_get_real_cyc();
#endif
}

const char *timer_counter_name(void)
{
    return NB_ARCH_COUNTER;
}

const char *timer_counter_source(void)
{
#if defined(__aarch64__)
    return "mrs";
#else
    return "PAPI_get_real_cyc";
#endif
}

void timer_calibrate(struct timer_info *info)
{
    enum { SAMPLES = 101 };
    double step[SAMPLES], cost[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
        int64_t a = timer_ns(), b;
        while ((b = timer_ns()) == a)
            ;
        step[i] = (double)(b - a);
        int64_t t0 = timer_ns();
        for (int k = 0; k < 100; k++)
            (void)timer_ns();
        cost[i] = (double)(timer_ns() - t0) / 100.0;
    }
    double min_step = step[0];
    for (int i = 1; i < SAMPLES; i++)
        if (step[i] < min_step)
            min_step = step[i];
    info->resolution_ns = min_step;
    info->overhead_ns = stats_median_inplace(cost, SAMPLES);
    int64_t n0 = timer_ns(), c0 = timer_tsc();
    while (timer_ns() - n0 < 20000000)
        ;
    int64_t n1 = timer_ns(), c1 = timer_tsc();
    info->tsc_ghz = c1 > c0 ? (double)(c1 - c0) / (double)(n1 - n0) : 0.0;
}
