#include "rounds.h"

#include <stdlib.h>
#include <string.h>

const char *schedule_name(enum nb_schedule s)
{
    return s == NB_SCHEDULE_SEQUENTIAL ? "sequential" : "interleaved";
}

int schedule_parse(const char *name, enum nb_schedule *out)
{
    if (!strcmp(name, "interleaved"))
        *out = NB_SCHEDULE_INTERLEAVED;
    else if (!strcmp(name, "sequential"))
        *out = NB_SCHEDULE_SEQUENTIAL;
    else
        return -1;
    return 0;
}

/* splitmix64: a tiny, well-mixed generator; the order needs no more */
static uint64_t mix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void rounds_order(size_t k, uint64_t seed, size_t round, size_t *order)
{
    uint64_t state = seed * 0x2545f4914f6cdd1dull + round;
    for (size_t i = 0; i < k; i++)
        order[i] = i;
    for (size_t i = k; i > 1; i--) { /* Fisher-Yates */
        size_t j = (size_t)(mix(&state) % i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

void round_samples_free(struct round_samples *s)
{
    free(s->ns_per_call);
    free(s->tsc_per_call);
    free(s->events);
    memset(s, 0, sizeof *s);
}

static void take_rep(struct bench *b, struct round_samples *out, size_t bench, size_t round, int warm)
{
    size_t at = bench * out->reps + round;
    bench_rep(b, warm, &out->ns_per_call[at], &out->tsc_per_call[at],
              out->nevents ? &out->events[at * out->nevents] : NULL);
}

/* Slice s of a repetition of `calls` calls: calls spread as evenly as the
 * count allows (a bench with fewer calls than slices sits some out). */
static size_t slice_calls(size_t calls, size_t s)
{
    return calls * (s + 1) / ROUND_SLICES - calls * s / ROUND_SLICES;
}

static enum nb_status run_interleaved(struct bench *const *benches, size_t k, size_t first, size_t count,
                                      uint64_t seed, int (*interrupted)(void), struct round_samples *out)
{
    size_t *order = malloc((k ? k : 1) * sizeof *order);
    double *ns = calloc(k ? k : 1, sizeof *ns), *tsc = calloc(k ? k : 1, sizeof *tsc);
    if (!order || !ns || !tsc) {
        free(order);
        free(ns);
        free(tsc);
        return NB_ERR_NOMEM;
    }
    enum nb_status rc = NB_OK;
    for (size_t r = first; r < first + count && r < out->reps && rc == NB_OK; r++) {
        for (size_t i = 0; i < k; i++) {
            ns[i] = tsc[i] = 0;
            for (size_t e = 0; e < out->nevents; e++)
                out->events[(i * out->reps + r) * out->nevents + e] = 0;
        }
        for (size_t s = 0; s < ROUND_SLICES && rc == NB_OK; s++) {
            rounds_order(k, seed, r * ROUND_SLICES + s, order);
            for (size_t i = 0; i < k && rc == NB_OK; i++) {
                const size_t b = order[i], calls = slice_calls(bench_calls(benches[b]), s);
                if (interrupted && interrupted()) {
                    rc = NB_ERR_INTERRUPTED;
                } else if (calls) { /* the bench before this one evicted its buffers: warm first */
                    double t, c;
                    bench_slice(benches[b], 1, calls, &t, &c,
                                out->nevents ? &out->events[(b * out->reps + r) * out->nevents] : NULL);
                    ns[b] += t;
                    tsc[b] += c;
                }
            }
        }
        if (rc != NB_OK)
            break;
        for (size_t i = 0; i < k; i++) {
            out->ns_per_call[i * out->reps + r] = ns[i] / (double)bench_calls(benches[i]);
            out->tsc_per_call[i * out->reps + r] = tsc[i] / (double)bench_calls(benches[i]);
        }
        out->rounds = r + 1;
    }
    free(order);
    free(ns);
    free(tsc);
    return rc;
}

static enum nb_status run_sequential(struct bench *const *benches, size_t k, int (*interrupted)(void),
                                     struct round_samples *out)
{
    for (size_t i = 0; i < k; i++) {
        bench_calibrate(benches[i]); /* as before interleaving: calibrate, then the repetitions */
        for (size_t r = 0; r < out->reps; r++) {
            if (interrupted && interrupted()) {
                out->rounds = 0; /* later benches have no repetitions: nothing is paired */
                return NB_ERR_INTERRUPTED;
            }
            take_rep(benches[i], out, i, r, 0);
        }
    }
    out->rounds = out->reps;
    return NB_OK;
}

enum nb_status round_samples_init(struct round_samples *out, size_t k, size_t reps, size_t nevents)
{
    memset(out, 0, sizeof *out);
    out->reps = reps;
    out->nevents = nevents;
    size_t cells = (k ? k : 1) * (reps ? reps : 1);
    out->ns_per_call = calloc(cells, sizeof *out->ns_per_call);
    out->tsc_per_call = calloc(cells, sizeof *out->tsc_per_call);
    out->events = calloc(cells * (nevents ? nevents : 1), sizeof *out->events);
    if (!out->ns_per_call || !out->tsc_per_call || !out->events) {
        round_samples_free(out);
        return NB_ERR_NOMEM;
    }
    return NB_OK;
}

enum nb_status rounds_calibrate(struct bench *const *benches, size_t k, int (*interrupted)(void))
{
    for (size_t i = 0; i < k; i++) {
        if (interrupted && interrupted())
            return NB_ERR_INTERRUPTED;
        bench_calibrate(benches[i]);
    }
    return NB_OK;
}

enum nb_status rounds_run_range(struct bench *const *benches, size_t k, size_t first, size_t count,
                                uint64_t seed, int (*interrupted)(void), struct round_samples *out)
{
    return run_interleaved(benches, k, first, count, seed, interrupted, out);
}

enum nb_status rounds_run(struct bench *const *benches, size_t k, size_t reps, size_t nevents,
                          enum nb_schedule schedule, uint64_t seed, int (*interrupted)(void),
                          struct round_samples *out)
{
    if (round_samples_init(out, k, reps, nevents) != NB_OK)
        return NB_ERR_NOMEM;
    if (schedule == NB_SCHEDULE_SEQUENTIAL)
        return run_sequential(benches, k, interrupted, out);
    enum nb_status rc = rounds_calibrate(benches, k, interrupted);
    return rc == NB_OK ? run_interleaved(benches, k, 0, reps, seed, interrupted, out) : rc;
}
