/* Timing one kernel over one tensor: warm-up, calibration, repetitions. */
#ifndef NB_MEASURE_H
#define NB_MEASURE_H

#include <stddef.h>

#include "../kernels/kernel.h"
#include "counters.h"
#include "stats.h"

struct flush_span {
    const void *p;
    size_t bytes;
};

struct measure_config {
    size_t reps;
    double min_time_ns;        /* a repetition lasts at least this */
    double warmup_ns;
    double resolution_ns;      /* the timer's; a repetition spans >= 20 ticks */
    int cold;                  /* flush the spans before each (single-call) repetition */
    int warm_each_rep;         /* hot: an untimed call before each interleaved repetition
                                * (worth it only where the buffers fit in the caches) */
    struct flush_span spans[9];
    size_t nspans;
    size_t threads;            /* rows split over this many pinned threads */
    int cpu0;                  /* thread t runs on PU (cpu0 + t) mod PUs */
    int npus;
    size_t work_stride;        /* bytes of args->work per thread */
    struct counters *counters; /* NULL: no counting */
    int (*interrupted)(void);  /* polled between repetitions; may be NULL */
};

struct measurement {
    size_t reps;               /* repetitions done */
    size_t calls;              /* kernel calls per repetition */
    double *ns_per_call;       /* per repetition */
    double *tsc_per_call;
    long long *events;         /* per repetition x counters->count, -1 = not counted */
    size_t nevents;
    struct stats time;         /* over ns_per_call */
    char warning[160];         /* e.g. a thread could not be bound */
};

/* What library code returns; only commands turn it into an exit status. */
enum nb_status { NB_OK = 0, NB_ERR_NOMEM, NB_ERR_INTERRUPTED };

/* One thing to time: a kernel over its arguments, on a pool of pinned
 * threads each with its share of the rows. Opened once, then calibrated,
 * then asked for repetitions, in whatever order a schedule wants. */
struct bench;

/* NULL when out of memory. cfg is copied. */
struct bench *bench_open(nb_kernel_fn fn, const struct nb_args *args, size_t elem_bytes,
                         const struct measure_config *cfg);
/* Warm-up, then the call count that makes a repetition last min_time (one
 * call in cold mode). */
void bench_calibrate(struct bench *b);
size_t bench_calls(const struct bench *b);
/* The call count an earlier bench of the same kernel and tensor was
 * calibrated to: a group measured in several passes keeps its repetitions
 * the same length in each. */
void bench_set_calls(struct bench *b, size_t calls);
/* One repetition: in cold mode the spans are flushed first (not timed);
 * with warm_call, one untimed call first brings this bench's buffers back
 * into the caches after another bench ran. events gets counters->count
 * values when counting. */
void bench_rep(struct bench *b, int warm_call, double *ns_per_call, double *tsc_per_call, long long *events);
/* Part of a repetition: `calls` calls (with the same flush or warm-up
 * first), their total nanoseconds and TSC ticks, events added to
 * events[0..counters->count). */
void bench_slice(struct bench *b, int warm_call, size_t calls, double *ns, double *tsc, long long *events);
/* "" or why a thread could not be bound. */
const char *bench_warning(const struct bench *b);
void bench_close(struct bench *b);

/* A bench's repetitions back to back: NB_OK, NB_ERR_NOMEM, or
 * NB_ERR_INTERRUPTED (what was measured is kept). m's arrays are malloc'ed:
 * measurement_free. */
enum nb_status measure_kernel(nb_kernel_fn fn, const struct nb_args *args, size_t elem_bytes,
                              const struct measure_config *cfg, struct measurement *m);
void measurement_free(struct measurement *m);

/* Keeps the outputs observable so that no compiler can drop the work. */
void measure_consume(const void *p, size_t bytes);

/* The call count for a repetition: grown from 1 until timed(ctx, calls),
 * the nanoseconds that many calls take, reaches target_ns. */
size_t measure_calibrate(double (*timed)(void *ctx, size_t calls), void *ctx, double target_ns);

#endif
