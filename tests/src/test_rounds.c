/* The round schedule: each bench once per round, in an order that varies
 * from round to round and is the same for the same seed. */
#include <criterion/criterion.h>
#include <string.h>

#include "../../src/rounds.h"

Test(rounds, each_round_is_a_permutation_and_orders_vary)
{
    enum { K = 6, R = 40 };
    size_t order[K], first[K];
    size_t distinct_first = 0;
    int seen_first[K] = {0};
    for (size_t r = 0; r < R; r++) {
        rounds_order(K, 42, r, order);
        int hit[K] = {0};
        for (size_t i = 0; i < K; i++) {
            cr_assert_lt(order[i], K);
            hit[order[i]]++;
        }
        for (size_t i = 0; i < K; i++)
            cr_expect_eq(hit[i], 1, "round %zu: bench %zu appears %d times", r, i, hit[i]);
        if (!seen_first[order[0]]++)
            distinct_first++;
        if (r == 0)
            memcpy(first, order, sizeof order);
    }
    cr_expect_geq(distinct_first, 4, "only %zu benches ever went first in %d rounds", distinct_first, R);
    rounds_order(K, 42, 0, order);
    cr_expect_arr_eq(order, first, sizeof order, "the same seed and round give the same order");
    size_t other[K];
    int differs = 0;
    for (size_t r = 0; r < 5 && !differs; r++) {
        rounds_order(K, 42, r, order);
        rounds_order(K, 43, r, other);
        differs = memcmp(order, other, sizeof order) != 0;
    }
    cr_expect(differs, "another seed gives other orders");
}

/* a kernel that logs which bench called it (args->n is the bench's id) */
static size_t call_log[4096], ncalls;

static void logging_kernel(const struct nb_args *a)
{
    if (ncalls < 4096)
        call_log[ncalls++] = a->n;
}

static struct bench *open_logging(size_t id, int cold)
{
    static float y[4];
    struct nb_args a = {.rows = 1, .n = id, .y = y};
    struct measure_config c = {.reps = 1, .min_time_ns = 1, .resolution_ns = 1, .cold = cold, .threads = 1};
    return bench_open(logging_kernel, &a, 0, &c);
}

Test(rounds, interleaved_runs_the_seeded_order)
{
    enum { K = 4, R = 12 };
    struct bench *b[K];
    for (size_t i = 0; i < K; i++)
        cr_assert(b[i] = open_logging(i, 1)); /* cold: one call a repetition, no warm-up */
    ncalls = 0;
    struct round_samples rs;
    cr_assert_eq(rounds_run(b, K, R, 0, NB_SCHEDULE_INTERLEAVED, 9, NULL, &rs), NB_OK);
    cr_expect_eq(rs.rounds, R);
    cr_assert_eq(ncalls, K + K * R, "calibration (one call each) and one call per bench per round");
    for (size_t r = 0; r < R; r++) {
        size_t order[K];
        /* one call a repetition (cold): it falls in the round's last slice */
        rounds_order(K, 9, r * ROUND_SLICES + ROUND_SLICES - 1, order);
        for (size_t i = 0; i < K; i++)
            cr_expect_eq(call_log[K + r * K + i], order[i], "round %zu, slot %zu", r, i);
    }
    for (size_t i = 0; i < K * R; i++)
        cr_expect_geq(rs.ns_per_call[i], 0);
    round_samples_free(&rs);
    for (size_t i = 0; i < K; i++)
        bench_close(b[i]);
}

/* passes.h: a group's rounds run in two passes, the second with the first
 * pass's calibration, are the same rounds in the same orders as one run */
Test(rounds, rounds_split_over_passes_keep_their_orders)
{
    enum { K = 3, R = 12, SPLIT = 5 };
    struct bench *b[K];
    for (size_t i = 0; i < K; i++)
        cr_assert(b[i] = open_logging(i, 1));
    ncalls = 0;
    struct round_samples whole;
    cr_assert_eq(rounds_run(b, K, R, 0, NB_SCHEDULE_INTERLEAVED, 4, NULL, &whole), NB_OK);
    size_t one_run[K * R];
    memcpy(one_run, &call_log[K], sizeof one_run); /* after the calibration calls */
    struct round_samples split;
    cr_assert_eq(round_samples_init(&split, K, R, 0), NB_OK);
    cr_expect_eq(split.rounds, 0);
    ncalls = 0;
    cr_assert_eq(rounds_calibrate(b, K, NULL), NB_OK);
    cr_assert_eq(rounds_run_range(b, K, 0, SPLIT, 4, NULL, &split), NB_OK);
    cr_expect_eq(split.rounds, SPLIT);
    for (size_t i = 0; i < K; i++) /* a new pass: new benches, the old call counts */
        bench_set_calls(b[i], bench_calls(b[i]));
    cr_assert_eq(rounds_run_range(b, K, SPLIT, R - SPLIT, 4, NULL, &split), NB_OK);
    cr_expect_eq(split.rounds, R, "rounds completed from 0: %zu", split.rounds);
    cr_assert_eq(ncalls, K + K * R);
    for (size_t i = 0; i < K * R; i++)
        cr_expect_eq(call_log[K + i], one_run[i], "call %zu", i);
    for (size_t i = 0; i < K * R; i++)
        cr_expect_geq(split.ns_per_call[i], 0);
    round_samples_free(&whole);
    round_samples_free(&split);
    for (size_t i = 0; i < K; i++)
        bench_close(b[i]);
}

Test(rounds, sequential_runs_each_bench_back_to_back)
{
    enum { K = 3, R = 5 };
    struct bench *b[K];
    for (size_t i = 0; i < K; i++)
        cr_assert(b[i] = open_logging(i, 1));
    ncalls = 0;
    struct round_samples rs;
    cr_assert_eq(rounds_run(b, K, R, 0, NB_SCHEDULE_SEQUENTIAL, 9, NULL, &rs), NB_OK);
    cr_assert_eq(ncalls, K * (R + 1));
    for (size_t i = 0; i < K; i++)
        for (size_t r = 0; r <= R; r++)
            cr_expect_eq(call_log[i * (R + 1) + r], i);
    round_samples_free(&rs);
    for (size_t i = 0; i < K; i++)
        bench_close(b[i]);
}

/* hot, no warm-up time: calibration stops at the first call count whose
 * repetition lasts 20 timer ticks */
static struct bench *open_hot(size_t id)
{
    static float y[4];
    struct nb_args a = {.rows = 1, .n = id, .y = y};
    struct measure_config c = {.reps = 1, .min_time_ns = 1, .resolution_ns = 1, .threads = 1};
    return bench_open(logging_kernel, &a, 0, &c);
}

Test(rounds, hot_repetitions_interleave_slice_by_slice)
{
    enum { K = 3, R = 2 };
    struct bench *b[K];
    for (size_t i = 0; i < K; i++)
        cr_assert(b[i] = open_hot(i));
    ncalls = 0;
    struct round_samples rs;
    cr_assert_eq(rounds_run(b, K, R, 0, NB_SCHEDULE_INTERLEAVED, 5, NULL, &rs), NB_OK);
    /* however the calls fall into slices, every bench runs in every round */
    size_t seen[K] = {0};
    for (size_t i = 0; i < ncalls; i++)
        seen[call_log[i]]++;
    for (size_t i = 0; i < K; i++)
        cr_expect_geq(seen[i], R, "bench %zu ran %zu times", i, seen[i]);
    cr_expect_eq(rs.rounds, R);
    round_samples_free(&rs);
    for (size_t i = 0; i < K; i++)
        bench_close(b[i]);
}

static int stop_now(void)
{
    return ncalls >= 4 + 4 * 3 + 2; /* mid-way through the fourth round */
}

Test(rounds, an_interrupted_round_is_dropped_whole)
{
    enum { K = 4, R = 10 };
    struct bench *b[K];
    for (size_t i = 0; i < K; i++)
        cr_assert(b[i] = open_logging(i, 1));
    ncalls = 0;
    struct round_samples rs;
    cr_expect_eq(rounds_run(b, K, R, 0, NB_SCHEDULE_INTERLEAVED, 1, stop_now, &rs), NB_ERR_INTERRUPTED);
    cr_expect_eq(rs.rounds, 3, "three whole rounds kept, not %zu", rs.rounds);
    round_samples_free(&rs);
    for (size_t i = 0; i < K; i++)
        bench_close(b[i]);
    cr_expect_eq(schedule_parse("sequential", &(enum nb_schedule){0}), 0);
    cr_expect_eq(schedule_parse("random", &(enum nb_schedule){0}), -1);
}
