/* The schedule of repetitions over several benches: interleaved rounds
 * (one repetition of each bench per round, in an order that changes from
 * round to round) or sequential (each bench's repetitions back to back).
 *
 * Interleaving is what makes ratios reproduce on a shared machine: the
 * host's slow drift lands on every bench of a round alike, so the ratio of
 * two benches' times in one round cancels it (Google Benchmark's random
 * interleaving does the same). */
#ifndef NB_ROUNDS_H
#define NB_ROUNDS_H

#include <stddef.h>
#include <stdint.h>

#include "measure.h"

enum nb_schedule { NB_SCHEDULE_INTERLEAVED, NB_SCHEDULE_SEQUENTIAL };

const char *schedule_name(enum nb_schedule s);
/* 0 and *out set, or -1 for a name that is neither. */
int schedule_parse(const char *name, enum nb_schedule *out);

/* The order of round `round` over k benches: a permutation of 0..k-1, the
 * same for the same (seed, round), different from round to round. */
void rounds_order(size_t k, uint64_t seed, size_t round, size_t *order);

/* Per bench, one value per completed round. */
struct round_samples {
    size_t rounds;          /* completed by every bench */
    double *ns_per_call;    /* [bench * reps + round] */
    double *tsc_per_call;
    long long *events;      /* [(bench * reps + round) * nevents + e] */
    size_t reps, nevents;
};

/* An interleaved round is cut into this many slices: each bench runs a
 * slice of its repetition's calls in every slice, in an order that changes
 * from slice to slice, and its repetition's time is the sum. The benches of
 * a round then interleave every min_time / ROUND_SLICES instead of every
 * min_time, so a burst of load that starts or ends inside a round hits them
 * alike (as in Google Benchmark's random interleaving, many short turns pair
 * better than a few long ones); rounds and repetitions stay one to one. */
#define ROUND_SLICES 8

/* Calibrates every bench, then runs `reps` rounds. A round stopped by an
 * interrupt is dropped whole, so every bench keeps the same rounds and the
 * ratios stay paired. NB_OK, NB_ERR_NOMEM, or NB_ERR_INTERRUPTED (the
 * completed rounds are kept). out: round_samples_free. */
enum nb_status rounds_run(struct bench *const *benches, size_t k, size_t reps, size_t nevents,
                          enum nb_schedule schedule, uint64_t seed, int (*interrupted)(void),
                          struct round_samples *out);
void round_samples_free(struct round_samples *s);

/* The pieces rounds_run is made of, for a schedule that spreads a group's
 * rounds over several passes (passes.h): samples for k benches and reps
 * rounds, all n/a (NB_OK or NB_ERR_NOMEM); every bench calibrated
 * (NB_ERR_INTERRUPTED if stopped first); interleaved rounds first ..
 * first + count - 1 into out, whose `rounds` then counts the rounds
 * completed from 0. The order of a round depends on (seed, round) only, so
 * a group's rounds are the same whether run in one pass or several. */
enum nb_status round_samples_init(struct round_samples *out, size_t k, size_t reps, size_t nevents);
enum nb_status rounds_calibrate(struct bench *const *benches, size_t k, int (*interrupted)(void));
enum nb_status rounds_run_range(struct bench *const *benches, size_t k, size_t first, size_t count,
                                uint64_t seed, int (*interrupted)(void), struct round_samples *out);

#endif
