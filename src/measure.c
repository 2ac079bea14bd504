#include "measure.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "timer.h"
#include "topology.h"

volatile unsigned char measure_sink;

void measure_consume(const void *p, size_t bytes)
{
    const unsigned char *c = p;
    unsigned char acc = 0;
    for (size_t i = 0; i < bytes; i += 64)
        acc ^= c[i];
    measure_sink ^= acc;
}

static void flush_spans(const struct measure_config *cfg)
{
    for (size_t s = 0; s < cfg->nspans; s++) {
        const char *p = cfg->spans[s].p;
        for (size_t i = 0; i < cfg->spans[s].bytes; i += 64)
            arch_flush_line(p + i);
        if (cfg->spans[s].bytes)
            arch_flush_line(p + cfg->spans[s].bytes - 1);
    }
    arch_fence();
}

/* ---- a pool of pinned threads, each with its share of the rows ---- */

struct pool;

struct worker {
    struct pool *pool;
    struct nb_args args;
    int cpu;
    pthread_t thread;
    int bind_failed;
};

struct pool {
    nb_kernel_fn fn;
    size_t nthreads;
    struct worker *workers;
    pthread_barrier_t start, done;
    size_t calls;
    int stop;
};

static void run_calls(nb_kernel_fn fn, const struct nb_args *a, size_t calls)
{
    for (size_t c = 0; c < calls; c++)
        fn(a);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char err[160];
    w->bind_failed = topology_bind_thread(w->cpu, err, sizeof err) != 0;
    for (;;) {
        pthread_barrier_wait(&w->pool->start);
        if (w->pool->stop)
            break;
        run_calls(w->pool->fn, &w->args, w->pool->calls);
        pthread_barrier_wait(&w->pool->done);
    }
    return NULL;
}

static int pool_start(struct pool *p, nb_kernel_fn fn, const struct nb_args *args, size_t elem_bytes,
                      const struct measure_config *cfg)
{
    memset(p, 0, sizeof *p);
    p->fn = fn;
    p->nthreads = cfg->threads > args->rows ? args->rows : cfg->threads;
    if (p->nthreads < 1)
        p->nthreads = 1;
    p->workers = calloc(p->nthreads, sizeof *p->workers);
    if (!p->workers)
        return -1;
    const size_t n = args->n;
    for (size_t t = 0; t < p->nthreads; t++) {
        size_t r0 = args->rows * t / p->nthreads, r1 = args->rows * (t + 1) / p->nthreads;
        struct nb_args a = *args;
        a.rows = r1 - r0;
        a.x = (const char *)args->x + r0 * n * elem_bytes;
        a.y = (char *)args->y + r0 * n * elem_bytes;
        if (args->residual)
            a.residual = (char *)args->residual + r0 * n * elem_bytes;
        /* backward: each thread its rows' dy and its own dg and db (the
         * partials a threaded kernel sums once at the end, not timed here) */
        if (args->dy)
            a.dy = (const char *)args->dy + r0 * n * elem_bytes;
        if (args->dg)
            a.dg = (char *)args->dg + t * n * elem_bytes;
        if (args->db)
            a.db = (char *)args->db + t * n * elem_bytes;
        /* naive variants: each thread its own slice of the workspace */
        if (args->work)
            a.work = (char *)args->work + t * cfg->work_stride;
        p->workers[t].args = a;
        p->workers[t].pool = p;
        p->workers[t].cpu = cfg->npus > 0 ? (cfg->cpu0 + (int)t) % cfg->npus : (int)t;
    }
    if (p->nthreads == 1)
        return 0;
    pthread_barrier_init(&p->start, NULL, (unsigned)p->nthreads);
    pthread_barrier_init(&p->done, NULL, (unsigned)p->nthreads);
    for (size_t t = 1; t < p->nthreads; t++)
        if (pthread_create(&p->workers[t].thread, NULL, worker_main, &p->workers[t]) != 0)
            return -1;
    return 0;
}

/* Runs `calls` calls on every thread; the caller is thread 0. */
static void pool_run(struct pool *p, size_t calls)
{
    if (p->nthreads == 1) {
        run_calls(p->fn, &p->workers[0].args, calls);
        return;
    }
    p->calls = calls;
    pthread_barrier_wait(&p->start);
    run_calls(p->fn, &p->workers[0].args, calls);
    pthread_barrier_wait(&p->done);
}

static void pool_stop(struct pool *p)
{
    if (p->nthreads > 1) {
        p->stop = 1;
        pthread_barrier_wait(&p->start);
        for (size_t t = 1; t < p->nthreads; t++)
            pthread_join(p->workers[t].thread, NULL);
        pthread_barrier_destroy(&p->start);
        pthread_barrier_destroy(&p->done);
    }
    free(p->workers);
}

static double time_calls(void *pool, size_t calls)
{
    int64_t t0 = timer_ns();
    pool_run(pool, calls);
    return (double)(timer_ns() - t0);
}

size_t measure_calibrate(double (*timed)(void *ctx, size_t calls), void *ctx, double target_ns)
{
    size_t calls = 1;
    for (;;) {
        double t = timed(ctx, calls);
        if (t >= target_ns || calls >= ((size_t)1 << 40))
            return calls;
        /* aim 20% past the target, growing at least 1.5x and at most 100x
         * a step, so a noisy first reading cannot overshoot wildly */
        double grow = t > 0 ? 1.2 * target_ns / t : 10.0;
        size_t next = (size_t)ceil((double)calls * fmin(fmax(grow, 1.5), 100.0));
        calls = next > calls ? next : calls + 1;
    }
}

struct bench {
    struct pool pool;
    struct measure_config cfg;
    const void *y;
    size_t y_bytes;
    size_t calls;
    char warning[160];
};

struct bench *bench_open(nb_kernel_fn fn, const struct nb_args *args, size_t elem_bytes,
                         const struct measure_config *cfg)
{
    struct bench *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cfg = *cfg;
    b->y = args->y;
    b->y_bytes = args->rows * args->n * elem_bytes;
    b->calls = 1;
    if (pool_start(&b->pool, fn, args, elem_bytes, cfg) != 0) {
        free(b->pool.workers);
        free(b);
        return NULL;
    }
    return b;
}

void bench_calibrate(struct bench *b)
{
    if (b->cfg.cold) {
        pool_run(&b->pool, 1); /* one call per repetition, on flushed caches */
        b->calls = 1;
        return;
    }
    int64_t until = timer_ns() + (int64_t)b->cfg.warmup_ns;
    do
        pool_run(&b->pool, 1);
    while (timer_ns() < until);
    const double tick_floor = 20.0 * (b->cfg.resolution_ns > 1 ? b->cfg.resolution_ns : 1);
    b->calls = measure_calibrate(time_calls, &b->pool, fmax(b->cfg.min_time_ns, tick_floor));
}

size_t bench_calls(const struct bench *b)
{
    return b->calls;
}

void bench_set_calls(struct bench *b, size_t calls)
{
    b->calls = calls ? calls : 1;
}

void bench_slice(struct bench *b, int warm_call, size_t calls, double *ns, double *tsc, long long *events)
{
    const struct measure_config *cfg = &b->cfg;
    const size_t nev = cfg->counters ? cfg->counters->count : 0;
    if (cfg->cold)
        flush_spans(cfg);
    else if (warm_call && cfg->warm_each_rep)
        pool_run(&b->pool, 1);
    if (nev)
        counters_start(cfg->counters);
    int64_t c0 = timer_tsc(), t0 = timer_ns();
    pool_run(&b->pool, calls);
    int64_t t1 = timer_ns(), c1 = timer_tsc();
    if (nev) {
        long long ev[NB_MAX_EVENTS];
        counters_stop(cfg->counters, ev);
        for (size_t e = 0; e < nev; e++)
            events[e] += ev[e];
    }
    *ns = (double)(t1 - t0);
    *tsc = (double)(c1 - c0);
}

void bench_rep(struct bench *b, int warm_call, double *ns_per_call, double *tsc_per_call, long long *events)
{
    const size_t nev = b->cfg.counters ? b->cfg.counters->count : 0;
    for (size_t e = 0; e < nev; e++)
        events[e] = 0;
    double ns, tsc;
    bench_slice(b, warm_call, b->calls, &ns, &tsc, events);
    *ns_per_call = ns / (double)b->calls;
    *tsc_per_call = tsc / (double)b->calls;
}

const char *bench_warning(const struct bench *b)
{
    for (size_t t = 0; t < b->pool.nthreads; t++)
        if (b->pool.workers[t].bind_failed) {
            snprintf((char *)b->warning, sizeof b->warning, "thread %zu could not be bound to CPU %d", t,
                     b->pool.workers[t].cpu);
            return b->warning;
        }
    return "";
}

void bench_close(struct bench *b)
{
    if (!b)
        return;
    pool_stop(&b->pool);
    measure_consume(b->y, b->y_bytes);
    free(b);
}

enum nb_status measure_kernel(nb_kernel_fn fn, const struct nb_args *args, size_t elem_bytes,
                              const struct measure_config *cfg, struct measurement *m)
{
    memset(m, 0, sizeof *m);
    const size_t nev = cfg->counters ? cfg->counters->count : 0;
    m->ns_per_call = calloc(cfg->reps ? cfg->reps : 1, sizeof *m->ns_per_call);
    m->tsc_per_call = calloc(cfg->reps ? cfg->reps : 1, sizeof *m->tsc_per_call);
    m->events = calloc((cfg->reps ? cfg->reps : 1) * (nev ? nev : 1), sizeof *m->events);
    m->nevents = nev;
    struct bench *b = m->ns_per_call && m->tsc_per_call && m->events ? bench_open(fn, args, elem_bytes, cfg) : NULL;
    if (!b) {
        measurement_free(m);
        return NB_ERR_NOMEM;
    }
    bench_calibrate(b);
    m->calls = bench_calls(b);
    enum nb_status rc = NB_OK;
    for (size_t r = 0; r < cfg->reps; r++) {
        if (cfg->interrupted && cfg->interrupted()) {
            rc = NB_ERR_INTERRUPTED;
            break;
        }
        bench_rep(b, 0, &m->ns_per_call[r], &m->tsc_per_call[r], nev ? &m->events[r * nev] : NULL);
        m->reps = r + 1;
    }
    snprintf(m->warning, sizeof m->warning, "%s", bench_warning(b));
    bench_close(b);
    if (stats_compute(m->ns_per_call, m->reps, &m->time) != 0)
        rc = NB_ERR_NOMEM;
    return rc;
}

void measurement_free(struct measurement *m)
{
    free(m->ns_per_call);
    free(m->tsc_per_call);
    free(m->events);
    m->ns_per_call = m->tsc_per_call = NULL;
    m->events = NULL;
}
