/* Wall-clock timing: CLOCK_MONOTONIC nanoseconds and the TSC (read through
 * PAPI_get_real_cyc), with the resolution and overhead measured as STREAM
 * does before trusting either. */
#ifndef NB_TIMER_H
#define NB_TIMER_H

#include <stdint.h>


struct timer_info {
    double resolution_ns;  /* smallest non-zero step seen between readings */
    double overhead_ns;    /* median cost of one reading */
    double tsc_ghz;        /* TSC ticks per ns, against CLOCK_MONOTONIC */
};

/* Measures the clock's resolution and overhead and the TSC rate (~50 ms). */
void timer_calibrate(struct timer_info *info);

int64_t timer_ns(void);
int64_t timer_tsc(void);
/* What timer_tsc reads ("TSC", "CNTVCT_EL0") and how ("PAPI_get_real_cyc", "mrs") */
const char *timer_counter_name(void);
const char *timer_counter_source(void);

#endif
