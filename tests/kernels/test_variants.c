/* Every available variant of the registry against the MPFR reference, on
 * many sizes, misaligned buffers, NaN and Inf rows. Variants come from the
 * table, so a new one is tested the moment it is registered. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "../../src/accuracy.h"
#include "../../src/arch.h"
#include "../../src/cpu_features.h"
#include "../../src/datagen.h"
#include "../../src/reference.h"
#include "../../src/registry.h"
#include "../test_util.h"

static const size_t sizes[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,  12,  13,  14,  15,  16,  17,
                               18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,  29,  30,  31,  32,  33,
                               64, 127, 128, 255, 256, 257, 768, 4096, 8192};

/* The error measure the bound applies to. Layernorm and gemma add terms
 * that can cancel: x - mu and t + b, and gemma's 1 + g. Near cancellation
 * the unavoidable rounding of the terms (mu in f32, 1 + g in f32) is large
 * relative to the tiny result, so the ULP is taken at the magnitude of the
 * terms, as error bounds of sums are: layernorm's y_i sums x_i r g_i, every
 * -x_j / n r g_i and b_i, so (|x_i| + mean |x|) r |g_i| + |b_i|; gemma's
 * max(|y|, |y / (1 + g)|). The bound then speaks of the
 * kernel's rounding, not of the conditioning every kernel inherits. */
/* Per-row mean and 1/sqrt(var + eps) of the inputs, in double: the
 * magnitudes term_scale needs, computed once per row. */
struct row_stats {
    double *mean_abs, *r;
};

static struct row_stats row_stats_of(const struct problem *p, double eps)
{
    struct row_stats st = {calloc(p->rows, sizeof(double)), calloc(p->rows, sizeof(double))};
    cr_assert(st.mean_abs && st.r);
    for (size_t row = 0; row < p->rows; row++) {
        double mu = 0, mean_abs = 0, var = 0;
        for (size_t j = 0; j < p->n; j++) {
            mu += nb_load(p->x, row * p->n + j, p->dt);
            mean_abs += fabs(nb_load(p->x, row * p->n + j, p->dt));
        }
        mu /= (double)p->n;
        mean_abs /= (double)p->n;
        for (size_t j = 0; j < p->n; j++) {
            double d = nb_load(p->x, row * p->n + j, p->dt) - mu;
            var += d * d;
        }
        st.mean_abs[row] = mean_abs;
        st.r[row] = 1.0 / sqrt(var / (double)p->n + eps);
    }
    return st;
}

static double term_scale(const struct nb_variant *v, const struct problem *p, const struct row_stats *st,
                         size_t i, double exact)
{
    size_t row = i / p->n, col = i % p->n;
    if (v->norm == NB_GEMMARMSNORM)
        return fmax(fabs(exact), fabs(exact / (1.0 + nb_load(p->g, col, p->dt))));
    return (fabs(nb_load(p->x, i, p->dt)) + st->mean_abs[row]) * st->r[row] * fabs(nb_load(p->g, col, p->dt)) +
           fabs(nb_load(p->b, col, p->dt));
}

static double bounded_error(const struct nb_variant *v, const struct problem *p, const struct row_stats *st,
                            size_t i, double y, double exact, double rounded)
{
    double e = accuracy_ulp_error(y, exact, rounded, p->dt);
    if (!isfinite(e) || !isfinite(exact) || (v->norm != NB_LAYERNORM && v->norm != NB_GEMMARMSNORM))
        return e;
    return fabs(y - exact) / accuracy_ulp(fmax(fabs(exact), term_scale(v, p, st, i, exact)), p->dt);
}

struct case_result {
    double max_err;
    size_t worst_i;
};

/* Runs v on p and checks it against the reference outputs. */
static struct case_result check_variant(const struct nb_variant *v, struct problem *p, const void *y_ref,
                                        const double *exact, const void *res_ref, double eps)
{
    size_t es = nb_dtype_size(p->dt), total = p->rows * p->n;
    char *yblock, *rblock;
    void *y = offset_alloc(&yblock, total * es, es); /* misaligned by one element */
    void *res = offset_alloc(&rblock, total * es, es);
    memcpy(res, p->residual, total * es);
    struct nb_args a = problem_args(p, y, res, eps);
    v->fn(&a);
    struct case_result cr = {0, 0};
    struct row_stats st = row_stats_of(p, eps);
    for (size_t i = 0; i < total; i++) {
        double yi = nb_load(y, i, p->dt), ri = nb_load(y_ref, i, p->dt);
        double e = bounded_error(v, p, &st, i, yi, exact[i], ri);
        if (e > cr.max_err || isnan(e)) {
            cr.max_err = e;
            cr.worst_i = i;
        }
    }
    if (norm_uses_residual(v->norm))
        cr_expect(memcmp(res, res_ref, total * es) == 0, "%s n=%zu: residual written back differs", v->name, p->n);
    free(st.mean_abs);
    free(st.r);
    free(yblock);
    free(rblock);
    return cr;
}

/* the forward kernels (tests/kernels/test_backward.c has the backward ones) */
static int testable(const struct nb_variant *v)
{
    return v->isa != NB_ISA_MPFR && !norm_is_backward(v->norm) && registry_unavailable(v) == NULL;
}

/* The reference's rounded outputs (returned) and exact values of p. */
static void *reference_outputs(struct problem *p, double eps, double **exact)
{
    size_t total = p->rows * p->n;
    void *y_ref = malloc(total * nb_dtype_size(p->dt));
    *exact = malloc(total * sizeof **exact);
    cr_assert(y_ref && *exact);
    struct nb_args ra = problem_args(p, y_ref, p->residual_ref, eps);
    struct ref_counts counts = {0};
    cr_assert_eq(reference_compute(p->norm, p->dt, &ra, y_ref, *exact, REF_METHOD_FAST, &counts), 0);
    cr_assert_eq(counts.undecided, 0, "MPFR decided every rounding it was given");
    return y_ref;
}

/* The rows a model's activations look like, as `run` and `sweep` generate
 * them (src/datagen.c): 16 rows of N(0,1) or U(-1,1), gains 1 + 0.1 N(0,1),
 * biases 0.1 N(0,1), at the hidden sizes of real models. Small biases leave
 * LayerNorm's outputs near the scale of x - mu, where an error in the mean
 * shows, and 16 rows give the statistics more chances to be unlucky than
 * the two or three above. */
Test(variants, within_ulp_bound_on_model_rows, .timeout = 600)
{
    static const size_t hidden[] = {768, 4096, 8192};
    /* under valgrind (about 40 times slower) the smallest size and 4 rows:
     * what memcheck is there for is the memory, not the statistics */
    const int slow = cpu_detect()->under_valgrind;
    size_t checked = 0;
    for (int norm = 0; norm < NB_NORM_COUNT; norm++)
        for (int dt = 0; dt < NB_DTYPE_COUNT; dt++)
            for (size_t h = 0; h < (slow ? 1u : 3u); h++)
                for (int dist = 0; dist < 2; dist++) {
                    const size_t n = hidden[h], rows = slow ? 4 : 16;
                    struct problem p;
                    problem_init(&p, (enum nb_norm)norm, (enum nb_dtype)dt, rows, n, 0, 7 + n + (size_t)dist);
                    struct nb_distribution d = {.kind = dist ? NB_DIST_UNIFORM : NB_DIST_NORMAL, .scale = 1.0};
                    datagen_fill(p.x, rows, n, p.dt, &d, 42 + (uint64_t)dist);
                    datagen_gain(p.g, n, p.dt, p.norm == NB_GEMMARMSNORM, 42);
                    datagen_bias(p.b, n, p.dt, 42);
                    double *exact;
                    void *y_ref = reference_outputs(&p, 1e-5, &exact);
                    for (size_t k = 0; k < registry_count(); k++) {
                        const struct nb_variant *v = registry_at(k);
                        if (!testable(v) || (int)v->norm != norm || (int)v->dtype != dt || v->ulp_bound == NB_REPORTED)
                            continue;
                        struct case_result cr = check_variant(v, &p, y_ref, exact, p.residual_ref, 1e-5);
                        checked++;
                        cr_expect(cr.max_err <= v->ulp_bound, "%s n=%zu %s rows: %.3g ULP at element %zu exceeds its bound %.3g",
                                  v->name, n, dist ? "uniform" : "normal", cr.max_err, cr.worst_i, v->ulp_bound);
                    }
                    free(y_ref);
                    free(exact);
                    problem_free(&p);
                }
    cr_log_info("%zu model-row checks", checked);
}

/* Constant rows, the worst case of a lane-parallel sum: every lane adds the
 * same square with the same rounding, so the errors add up instead of
 * averaging out. One row a scale, 2^-10 to 2^4 a quarter-octave apart (the
 * f32 SIMD kernels once reached 9.8 ULP at 2^-4.75, n = 8192, before
 * their sums got a second level). LayerNorm is left out: a constant row
 * has no variance, every output is the bias plus noise. */
Test(variants, within_ulp_bound_on_constant_rows, .timeout = 600)
{
    static const size_t hidden[] = {4096, 8192};
    static const enum nb_norm norms[] = {NB_RMSNORM, NB_PRMSNORM, NB_GEMMARMSNORM};
    const int slow = cpu_detect()->under_valgrind;
    const size_t rows = slow ? 4 : 57;
    size_t checked = 0;
    for (size_t k = 0; k < sizeof norms / sizeof *norms; k++)
        for (int dt = 0; dt < NB_DTYPE_COUNT; dt++)
            for (size_t h = 0; h < (slow ? 1u : 2u); h++) {
                const size_t n = hidden[h];
                struct problem p;
                problem_init(&p, norms[k], (enum nb_dtype)dt, rows, n, 0, 11 + n);
                for (size_t r = 0; r < rows; r++)
                    for (size_t j = 0; j < n; j++)
                        nb_store(p.x, r * n + j, (float)ldexp(1.0, -10 + (int)r / 4) * powf(2.0f, 0.25f * (float)(r % 4)),
                                 p.dt);
                datagen_gain(p.g, n, p.dt, p.norm == NB_GEMMARMSNORM, 42);
                double *exact;
                void *y_ref = reference_outputs(&p, 1e-6, &exact);
                for (size_t i = 0; i < registry_count(); i++) {
                    const struct nb_variant *v = registry_at(i);
                    if (!testable(v) || v->norm != norms[k] || (int)v->dtype != dt || v->ulp_bound == NB_REPORTED)
                        continue;
                    struct case_result cr = check_variant(v, &p, y_ref, exact, p.residual_ref, 1e-6);
                    checked++;
                    cr_expect(cr.max_err <= v->ulp_bound, "%s n=%zu constant rows: %.3g ULP in row %zu exceeds its bound %.3g",
                              v->name, n, cr.max_err, cr.worst_i / n, v->ulp_bound);
                }
                free(y_ref);
                free(exact);
                problem_free(&p);
            }
    cr_log_info("%zu constant-row checks", checked);
}

Test(variants, within_ulp_bound_on_all_sizes, .timeout = 600)
{
    size_t checked = 0;
    for (int norm = 0; norm < NB_NORM_COUNT; norm++)
        for (int dt = 0; dt < NB_DTYPE_COUNT; dt++)
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
                size_t n = sizes[s], rows = n >= 4096 ? 2 : 3;
                struct problem p;
                problem_init(&p, (enum nb_norm)norm, (enum nb_dtype)dt, rows, n, 1, 1000 + n * 7 + (size_t)dt);
                double *exact;
                void *y_ref = reference_outputs(&p, 1e-6, &exact);
                for (size_t k = 0; k < registry_count(); k++) {
                    const struct nb_variant *v = registry_at(k);
                    if (!testable(v) || (int)v->norm != norm || (int)v->dtype != dt)
                        continue;
                    struct case_result cr = check_variant(v, &p, y_ref, exact, p.residual_ref, 1e-6);
                    checked++;
                    if (v->ulp_bound != NB_REPORTED)
                        cr_expect(cr.max_err <= v->ulp_bound,
                                  "%s n=%zu rows=%zu: %.3g ULP at element %zu exceeds its bound %.3g",
                                  v->name, n, rows, cr.max_err, cr.worst_i, v->ulp_bound);
                    else if (n <= 4 && v->norm != NB_LAYERNORM)
                        /* rounding every op to 8/11 bits: with 4 terms the
                         * a-priori bound is about (k + 6) u relative (not for
                         * layernorm, whose onepass nat cancels by design) */
                        cr_expect(cr.max_err <= 16.0, "%s n=%zu: %.3g ULP on a tiny row", v->name, n, cr.max_err);
                }
                free(y_ref);
                free(exact);
                problem_free(&p);
            }
    cr_assert_gt(checked, 1000, "only %zu (variant, size) cases ran", checked);
}

/* `nat` naive and fused variants perform the same operations in the same
 * order; only memory traffic differs, so their outputs must be identical. */
Test(variants, nat_naive_equals_nat_fused)
{
    size_t pairs = 0;
    for (size_t k = 0; k < registry_count(); k++) {
        const struct nb_variant *nv = registry_at(k);
        if (nv->mode != NB_MODE_NAT || strcmp(nv->algorithm, "naive") != 0)
            continue;
        char fused_name[96];
        snprintf(fused_name, sizeof fused_name, "%s/%s/scalar/%s", norm_name(nv->norm),
                 nv->norm == NB_LAYERNORM ? "twopass" : "fused", nv->dtype_name);
        const struct nb_variant *fv = registry_find(fused_name);
        cr_assert_not_null(fv, "no %s to compare %s with", fused_name, nv->name);
        for (size_t n = 1; n <= 300; n += 37) {
            struct problem p;
            problem_init(&p, nv->norm, nv->dtype, 3, n, 0, 77 + n);
            size_t bytes = 3 * n * nb_dtype_size(nv->dtype);
            void *y1 = calloc(1, bytes), *y2 = calloc(1, bytes);
            struct nb_args a = problem_args(&p, y1, p.residual, 1e-5);
            nv->fn(&a);
            memcpy(p.residual, p.residual_ref, bytes);
            a.y = y2;
            fv->fn(&a);
            cr_expect(memcmp(y1, y2, bytes) == 0, "%s and %s differ at n=%zu", nv->name, fv->name, n);
            free(y1);
            free(y2);
            problem_free(&p);
            pairs++;
        }
    }
    cr_assert_gt(pairs, 10);
}

/* llama rounds x r before the gain: with gains that are powers of two the
 * second rounding is exact and the output is its ISA's fused up output bit
 * for bit; with other gains some outputs differ from up's (the first
 * rounding is there) and none by more than the bound's 1.5 ULP plus. */
static size_t outputs_differing(const struct nb_variant *v, const struct nb_variant *up, struct problem *p, int pow2)
{
    const size_t total = p->rows * p->n, bytes = total * nb_dtype_size(v->dtype);
    for (size_t i = 0; pow2 && i < p->n; i++)
        nb_store(p->g, i, (float)(1 << (i % 3)) * (i % 2 ? -1.0f : 1.0f), v->dtype);
    void *y1 = calloc(1, bytes), *y2 = calloc(1, bytes);
    cr_assert(y1 && y2);
    struct nb_args a = problem_args(p, y1, NULL, 1e-5);
    v->fn(&a);
    a.y = y2;
    up->fn(&a);
    size_t differ = 0;
    for (size_t i = 0; i < total; i++)
        differ += nb_load(y1, i, v->dtype) != nb_load(y2, i, v->dtype);
    free(y1);
    free(y2);
    return differ;
}

Test(variants, llama_rounds_before_the_gain)
{
    size_t checked = 0;
    for (size_t k = 0; k < registry_count(); k++) {
        const struct nb_variant *v = registry_at(k);
        if (v->mode != NB_MODE_LLAMA || !testable(v))
            continue;
        char up_name[96];
        snprintf(up_name, sizeof up_name, "rmsnorm/fused/%s/%s-up", isa_name(v->isa), dtype_name(v->dtype));
        const struct nb_variant *up = registry_find(up_name);
        cr_assert_not_null(up, "no %s to compare %s with", up_name, v->name);
        struct problem p;
        problem_init(&p, v->norm, v->dtype, 4, 777, 0, 5);
        cr_expect_gt(outputs_differing(v, up, &p, 0), 0, "%s rounds as %s does with general gains", v->name, up->name);
        cr_expect_eq(outputs_differing(v, up, &p, 1), 0, "%s differs from %s with power-of-two gains", v->name,
                     up->name);
        problem_free(&p);
        checked++;
    }
    cr_assert_geq(checked, 2, "the scalar llama variants at least");
}

/* NaN or Inf in one row reaches that row's outputs only, and where it
 * reaches, the output is non-finite exactly where the reference's is. */
/* v's outputs on p (clean), then with `value` stored at index `at` of the
 * input buffer `in` (dirty), and the reference's on the changed inputs. */
static void outputs_with_special(const struct nb_variant *v, struct problem *p, void *in, size_t at, float value,
                                 void *clean, void *dirty, void *ref)
{
    const size_t bytes = p->rows * p->n * nb_dtype_size(v->dtype);
    struct nb_args a = problem_args(p, clean, p->residual, 1e-5);
    v->fn(&a);
    memcpy(p->residual, p->residual_ref, bytes);
    nb_store(in, at, value, v->dtype);
    a.y = dirty;
    v->fn(&a);
    memcpy(p->residual, p->residual_ref, bytes);
    struct nb_args ra = problem_args(p, ref, p->residual, 1e-5);
    cr_assert_eq(reference_compute(v->norm, v->dtype, &ra, ref, NULL, REF_METHOD_FAST, NULL), 0);
}

/* A NaN or infinity in x (row 1, inside every statistic) stays in its row;
 * one in the gain touches its column only, in every row (kernels that skip
 * NaN handling on rows whose statistics are finite must still see a
 * non-finite g); where they reach, non-finite as in the reference. */
static void expect_row_isolated(const struct nb_variant *v, const void *clean, const void *dirty, const void *ref,
                                size_t n, float special)
{
    const size_t es = nb_dtype_size(v->dtype);
    cr_expect(memcmp(clean, dirty, n * es) == 0, "%s: row 0 changed by a non-finite value in row 1", v->name);
    cr_expect(memcmp((const char *)clean + 2 * n * es, (const char *)dirty + 2 * n * es, n * es) == 0,
              "%s: row 2 changed by a non-finite value in row 1", v->name);
    for (size_t i = n; i < 2 * n; i++) {
        float yv = nb_load(dirty, i, v->dtype), rv = nb_load(ref, i, v->dtype);
        cr_expect(isnan(yv) == isnan(rv) && isinf(yv) == isinf(rv), "%s: x[1][1] = %g: output %zu is %g, reference %g",
                  v->name, (double)special, i - n, (double)yv, (double)rv);
    }
}

static void expect_column_isolated(const struct nb_variant *v, const void *clean, const void *dirty, const void *ref,
                                   size_t rows, size_t n, float special)
{
    const size_t es = nb_dtype_size(v->dtype);
    for (size_t i = 0; i < rows * n; i++) {
        float yv = nb_load(dirty, i, v->dtype), rv = nb_load(ref, i, v->dtype);
        if (i % n != 1)
            cr_expect(memcmp((const char *)clean + i * es, (const char *)dirty + i * es, es) == 0,
                      "%s: g[1] = %g changed output %zu of row %zu", v->name, (double)special, i % n, i / n);
        else
            cr_expect(isnan(yv) == isnan(rv) && isinf(yv) == isinf(rv), "%s: g[1] = %g: row %zu's output is %g, reference %g",
                      v->name, (double)special, i / n, (double)yv, (double)rv);
    }
}

Test(variants, nonfinite_input_stays_in_its_row_and_gain_in_its_column)
{
    const float specials[] = {NAN, INFINITY, -INFINITY};
    const size_t n = 37, rows = 3;
    size_t checked = 0;
    for (size_t k = 0; k < registry_count(); k++) {
        const struct nb_variant *v = registry_at(k);
        if (!testable(v))
            continue;
        const size_t bytes = rows * n * nb_dtype_size(v->dtype);
        for (size_t s = 0; s < 6; s++) {
            const float special = specials[s % 3];
            struct problem p;
            problem_init(&p, v->norm, v->dtype, rows, n, 1, 4242);
            void *clean = calloc(1, bytes), *dirty = calloc(1, bytes), *ref = calloc(1, bytes);
            if (s < 3) {
                outputs_with_special(v, &p, p.x, n + 1, special, clean, dirty, ref);
                expect_row_isolated(v, clean, dirty, ref, n, special);
            } else {
                outputs_with_special(v, &p, p.g, 1, special, clean, dirty, ref);
                expect_column_isolated(v, clean, dirty, ref, rows, n, special);
            }
            free(clean);
            free(dirty);
            free(ref);
            problem_free(&p);
            checked++;
        }
    }
    cr_assert_gt(checked, 200);
}

/* The table is what list shows: at least 50 variants, names well formed,
 * every norm and dtype has its reference. */
/* kernels/isa.def's arch per ISA: the kernels of `x86` ISAs are compiled on
 * x86-64 only; everything else everywhere */
static const char *const isa_arch[NB_ISA_COUNT] __attribute__((unused)) = {
#define NB_ISA(name, NAME, arch, valgrind, needs, flags) [NB_ISA_##NAME] = #arch,
#include "../../kernels/isa.def"
#undef NB_ISA
};

Test(registry, table_is_complete)
{
    cr_assert_geq(registry_count(), 50);
    for (size_t k = 0; k < registry_count(); k++) {
        const struct nb_variant *v = registry_at(k);
        /* the kernels are weak symbols: a kernel this architecture compiles
         * but nobody defined would otherwise pass as "not built" */
        if (!strcmp(isa_arch[v->isa], "any") || !strcmp(isa_arch[v->isa], NB_ARCH_FAMILY))
            cr_expect_not_null(v->fn, "%s: registered, compiled here, but no function defines it", v->name);
        cr_expect_not_null(strchr(v->name, '/'));
        cr_expect_eq(strchr(v->name, '_'), NULL, "%s: '_' in a name", v->name);
        cr_expect_not_null(registry_reference(v->norm, v->dtype), "%s has no reference", v->name);
        cr_expect_eq(registry_find(v->name), v);
    }
}

/* The pipelined kernels form each row's sums in the order their unpipelined
 * AVX-512 counterparts do, one row ahead; only the memory schedule (and,
 * for nt, the kind of store) differs, so the outputs must be identical. */
Test(variants, pipelined_equals_fused)
{
    size_t compared = 0;
    /* every variant with a partner in the list, with autont's streaming
     * never and always chosen, and its schedule for an unknown L1 and for a
     * 4 KiB one (rows from 342 values on take the blocked schedule) */
    size_t with_partner = 0;
    for (size_t k = 0; k < 4 * registry_count(); k++) {
        const size_t nt = k % 2; /* 1: stream every call; 0: never */
        const size_t l1 = (k / 2) % 2 ? 4096 : 0;
        const struct nb_variant *pv = registry_at(k / 4);
        if (!strcmp(pv->partner, "none"))
            continue;
        char partner[128];
        snprintf(partner, sizeof partner, "%s/%s/%s/%s", norm_name(pv->norm), pv->partner, isa_name(pv->isa),
                 pv->dtype_name);
        const struct nb_variant *fv = registry_find(partner);
        cr_assert(fv, "%s names %s as its partner, which is not registered", pv->name, partner);
        with_partner += nt == 0 && l1 == 0;
        if (!testable(pv) || !testable(fv))
            continue;
        /* small rows of every tail length, then shapes past one column
         * block (512) and one row group (8) of the blocked kernels */
        for (size_t s = 0; s < 24 * 4 + 6; s++) {
            static const size_t big[][2] = {{511, 9}, {512, 8}, {513, 17}, {1100, 3}, {1029, 16}, {4096, 10}};
            size_t n = s < 96 ? 1 + 13 * (s / 4) : big[s - 96][0];
            size_t rows = s < 96 ? 1 + s % 4 : big[s - 96][1];
            struct problem p;
            problem_init(&p, pv->norm, pv->dtype, rows, n, rows == 3, 900 + n + rows);
            size_t bytes = rows * n * nb_dtype_size(pv->dtype);
            /* 64-byte aligned, so that the nt kernels stream row 0 (and
             * the rows whose offset keeps the alignment) and store the rest */
            char *block1, *block2;
            void *y1 = offset_alloc(&block1, bytes, 0), *y2 = offset_alloc(&block2, bytes, 0);
            struct nb_args a = problem_args(&p, y1, p.residual, 1e-6);
            a.nt_threshold_bytes = nt;
            a.l1_bytes = l1;
            pv->fn(&a);
            a.y = y2;
            fv->fn(&a);
            cr_expect(memcmp(y1, y2, bytes) == 0, "%s and %s differ at n=%zu rows=%zu (nt threshold %zu, L1 %zu)",
                      pv->name, fv->name, n, rows, nt, l1);
            free(block1);
            free(block2);
            problem_free(&p);
            compared++;
        }
    }
    cr_expect_geq(with_partner, 20, "only %zu variants have a partner", with_partner);
    cr_log_info("%zu pipelined/fused comparisons", compared);
}

/* outputs equal element by element, bit for bit or both NaN (two ISAs may
 * propagate different NaN payloads); the first index that differs, or total */
static size_t first_difference(const void *y1, const void *y2, size_t total, enum nb_dtype dt)
{
    const size_t es = nb_dtype_size(dt);
    for (size_t i = 0; i < total; i++)
        if (memcmp((const char *)y1 + i * es, (const char *)y2 + i * es, es) &&
            !(isnan(nb_load(y1, i, dt)) && isnan(nb_load(y2, i, dt))))
            return i;
    return total;
}

/* Hardware fp16 (NB_V_NATIVE8: neonfp16, avx512fp16) rounds every operation
 * once, the multiply-adds included, in one order; the portable model
 * rmsnorm/fmalanes/scalar/f16-nat must give the same bits, so that the
 * numerics of either can be studied on any machine. Every tail length,
 * misaligned, rows scaled from underflow (1e-3: the squares vanish) to
 * overflow (300: the sum of squares becomes inf), NaN and Inf inputs, and a
 * first row whose one multiply-add lands just above a midpoint of fp16's
 * grid: 47^2 + 2^-14 (47^2 = 2209 lies halfway between the fp16 values 2208
 * and 2210; rounded first to f32, the 2^-14 is lost and the tie goes to
 * 2208, where one rounding gives 2210). */
static void midpoint_row(struct problem *p)
{
    for (size_t i = 0; i < p->n; i++)
        nb_store(p->x, i, 0.0f, p->dt);
    nb_store(p->x, 0, 0x1p-7f, p->dt);                        /* its square 2^-14 is in the accumulator */
    nb_store(p->x, p->n > 8 ? 8 : p->n - 1, 47.0f, p->dt); /* the same lane, or the tail */
}

Test(variants, hardware_fp16_equals_its_portable_model)
{
    static const float scales[] = {1.0f, 12.0f, 1e-3f, 300.0f, 1.0f};
    static const float specials[] = {NAN, INFINITY, -INFINITY};
    size_t compared = 0, native = 0;
    for (size_t k = 0; k < registry_count(); k++) {
        const struct nb_variant *hv = registry_at(k);
        if (!(hv->flags & NB_V_NATIVE8) || hv->isa == NB_ISA_SCALAR)
            continue;
        char model[128];
        snprintf(model, sizeof model, "%s/fmalanes/scalar/%s", norm_name(hv->norm), hv->dtype_name);
        const struct nb_variant *mv = registry_find(model);
        cr_assert(mv && (mv->flags & NB_V_NATIVE8), "%s has no portable model %s", hv->name, model);
        native++;
        if (!testable(hv))
            continue;
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
            for (size_t c = 0; c < 5 + 3; c++) {
                const size_t n = sizes[s], rows = 3, total = rows * n;
                struct problem p;
                problem_init(&p, hv->norm, hv->dtype, rows, n, 1 + c % 2, 31 + n + c);
                for (size_t i = 0; i < total; i++)
                    nb_store(p.x, i, nb_load(p.x, i, p.dt) * scales[c % 5], p.dt);
                if (c == 4 && n >= 2)
                    midpoint_row(&p);
                if (c >= 5)
                    nb_store(p.x, n + n / 2, specials[c - 5], p.dt);
                const size_t bytes = total * nb_dtype_size(p.dt);
                void *y1 = calloc(1, bytes), *y2 = calloc(1, bytes);
                struct nb_args a = problem_args(&p, y1, NULL, 1e-5);
                hv->fn(&a);
                a.y = y2;
                mv->fn(&a);
                const size_t at = first_difference(y1, y2, total, p.dt);
                cr_expect(at == total, "%s and %s differ at n=%zu, scale %g%s, element %zu: %a against %a", hv->name,
                          mv->name, n, (double)scales[c % 5], c == 4 ? " (midpoint row)" : c >= 5 ? " with a non-finite input" : "", at,
                          at < total ? (double)nb_load(y1, at, p.dt) : 0.0, at < total ? (double)nb_load(y2, at, p.dt) : 0.0);
                free(y1);
                free(y2);
                problem_free(&p);
                compared++;
            }
    }
    cr_expect_geq(native, 1, "no NB_V_NATIVE8 variant is registered");
    cr_log_info("%zu hardware fp16 / model comparisons", compared);
}
