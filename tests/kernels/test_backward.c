/* The backward passes: the MPFR reference against finite differences of
 * the forward loss, and every backward variant against the reference on
 * many sizes, row counts past one dg row block, misaligned buffers and
 * NaN/Inf rows, held to its bound at the magnitude of the terms. */
#include <criterion/criterion.h>
#include <mpfr.h>
#include <stdio.h>

#include "../../src/accuracy.h"
#include "../../src/cpu_features.h"
#include "../../src/datagen.h"
#include "../../src/reference_bwd.h"
#include "../../src/study_backward.h"
#include "../../src/registry.h"
#include "../test_util.h"

struct bwd_problem {
    enum nb_norm norm;
    enum nb_dtype dt;
    size_t rows, n;
    char *blocks[7];
    void *x, *dy, *g, *dx, *dg, *db, *work;
};

static void *block(struct bwd_problem *p, int k, size_t bytes, size_t misalign)
{
    return offset_alloc(&p->blocks[k], bytes, misalign);
}

static void bwd_init(struct bwd_problem *p, enum nb_norm norm, enum nb_dtype dt, size_t rows, size_t n,
                     size_t misalign, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    p->norm = norm, p->dt = dt, p->rows = rows, p->n = n;
    const size_t es = nb_dtype_size(dt), off = misalign * es;
    p->x = block(p, 0, rows * n * es, off);
    p->dy = block(p, 1, rows * n * es, off);
    p->g = block(p, 2, n * es, off);
    p->dx = block(p, 3, rows * n * es, off);
    p->dg = block(p, 4, n * es, off);
    p->db = block(p, 5, n * es, off);
    p->work = block(p, 6, nb_bwd_workspace_bytes(rows, n), 0);
    struct nb_distribution d = {.kind = NB_DIST_NORMAL, .scale = 1.0};
    datagen_fill(p->x, rows, n, dt, &d, seed);
    datagen_fill(p->dy, rows, n, dt, &d, seed + 1000);
    datagen_gain(p->g, n, dt, 0, seed + 7);
}

static void bwd_free(struct bwd_problem *p)
{
    for (int k = 0; k < 7; k++)
        free(p->blocks[k]);
}

static struct nb_args bwd_args(struct bwd_problem *p, void *dx, void *dg, void *db, double eps)
{
    return (struct nb_args){.rows = p->rows, .n = p->n, .x = p->x, .y = dx, .g = p->g, .eps = eps,
                            .work = p->work, .dy = p->dy, .dg = dg, .db = norm_has_db(p->norm) ? db : NULL};
}

/* the backward kernels: the registry's backward variants but the references */
static size_t bwd_count(void)
{
    size_t c = 0;
    for (size_t i = 0; i < registry_count(); i++)
        c += norm_is_backward(registry_at(i)->norm) && registry_at(i)->isa != NB_ISA_MPFR;
    return c;
}

static const struct nb_variant *bwd_at(size_t k)
{
    for (size_t i = 0; i < registry_count(); i++) {
        const struct nb_variant *v = registry_at(i);
        if (norm_is_backward(v->norm) && v->isa != NB_ISA_MPFR && k-- == 0)
            return v;
    }
    return NULL;
}

static double ld(const void *v, size_t i, enum nb_dtype dt)
{
    return nb_load(v, i, dt);
}

/* the magnitudes each output sums (study_backward.c): the ULP of the bound
 * is taken at max(|exact|, this) */
static struct bwd_terms term_magnitudes(struct bwd_problem *p, double eps)
{
    struct bwd_terms t;
    const struct nb_args a = bwd_args(p, NULL, NULL, NULL, eps);
    cr_assert_eq(bwd_terms_compute(p->norm, p->dt, &a, &t), 0);
    return t;
}

static double err_at_terms(double y, double exact, double terms, enum nb_dtype dt)
{
    if (isnan(y) || isnan(exact))
        return isnan(y) && isnan(exact) ? 0 : INFINITY;
    return fabs(y - exact) / accuracy_ulp(fmax(fabs(exact), terms), dt);
}

struct bwd_check {
    double dx, dg, db; /* worst errors */
    size_t worst;
};

/* runs v on p and measures its outputs against the reference */
static struct bwd_check check_bwd(const struct nb_variant *v, struct bwd_problem *p, double eps, size_t skip_row)
{
    const size_t es = nb_dtype_size(p->dt), total = p->rows * p->n;
    double *edx = malloc(total * sizeof(double)), *edg = malloc(p->n * sizeof(double)),
           *edb = malloc(p->n * sizeof(double));
    char *rdx = malloc(total * es + 1), *rdg = malloc(p->n * es + 1), *rdb = malloc(p->n * es + 1);
    cr_assert(edx && edg && edb && rdx && rdg && rdb);
    struct nb_args ra = bwd_args(p, rdx, rdg, rdb, eps);
    struct ref_counts counts = {0};
    struct bwd_exact ex = {edx, edg, edb};
    cr_assert_eq(reference_bwd_compute(p->norm, p->dt, &ra, &ex, &counts), 0);
    cr_expect_eq(counts.undecided, 0, "%s rows=%zu n=%zu: the reference left %zu roundings undecided", v->name,
                 p->rows, p->n, counts.undecided);
    struct nb_args ka = bwd_args(p, p->dx, p->dg, p->db, eps);
    v->fn(&ka);
    struct bwd_terms t = term_magnitudes(p, eps);
    struct bwd_check c = {0, 0, 0, 0};
    for (size_t i = 0; i < total; i++) {
        if (i / p->n == skip_row)
            continue;
        double e = err_at_terms(ld(p->dx, i, p->dt), edx[i], t.dx[i], p->dt);
        if (!(e <= c.dx)) {
            c.dx = e;
            c.worst = i;
        }
    }
    for (size_t i = 0; skip_row == (size_t)-1 && i < p->n; i++) {
        c.dg = fmax(c.dg, err_at_terms(ld(p->dg, i, p->dt), edg[i], t.dg[i], p->dt));
        if (norm_has_db(p->norm))
            c.db = fmax(c.db, err_at_terms(ld(p->db, i, p->dt), edb[i], t.db[i], p->dt));
    }
    bwd_terms_free(&t);
    free(edx), free(edg), free(edb), free(rdx), free(rdg), free(rdb);
    return c;
}

static int testable(const struct nb_variant *v)
{
    return registry_unavailable(v) == NULL;
}

Test(backward, variants_within_bound)
{
    static const size_t sizes[] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 127, 256, 257, 768, 4096};
    static const size_t row_counts[] = {1, 3, 70};
    const int slow = cpu_detect()->under_valgrind;
    size_t checked = 0;
    for (size_t k = 0; k < bwd_count(); k++) {
        const struct nb_variant *v = bwd_at(k);
        if (!testable(v))
            continue;
        struct bwd_check worst = {0, 0, 0, 0};
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
            for (size_t rc = 0; rc < sizeof row_counts / sizeof *row_counts; rc++) {
                const size_t n = sizes[s], rows = row_counts[rc];
                if (rows * n > (slow ? 4096u : 70000u))
                    continue;
                struct bwd_problem p;
                bwd_init(&p, v->norm, v->dtype, rows, n, (s + rc) % 2, 31 + n + rows);
                struct bwd_check c = check_bwd(v, &p, 1e-5, (size_t)-1);
                /* nat: reported, not bounded (nat_rounds_in_the_storage_type) */
                cr_expect(v->ulp_bound < 0 || (c.dx <= v->ulp_bound && c.dg <= v->ulp_bound && c.db <= v->ulp_bound),
                          "%s rows=%zu n=%zu: dx %.3g ULP (at %zu), dg %.3g, db %.3g; bound %.3g", v->name, rows, n,
                          c.dx, c.worst, c.dg, c.db, v->ulp_bound);
                checked++;
                worst.dx = fmax(worst.dx, c.dx), worst.dg = fmax(worst.dg, c.dg), worst.db = fmax(worst.db, c.db);
                bwd_free(&p);
            }
        cr_log_info("%s: worst dx %.3g, dg %.3g, db %.3g ULP at the terms", v->name, worst.dx, worst.dg, worst.db);
    }
    cr_assert_gt(checked, 0);
    cr_log_info("%zu backward checks", checked);
}

/* dg and db over 16 385 rows (257 row blocks, one partial each): the f32
 * variants within their bound there too, the reference computed once per
 * norm (a million values). Summed one after another, 257 partials took dg
 * to 11.7 ULP at the terms (configs/backward-rows.ini); pairwise, they stay
 * near the error of one block. */
Test(backward, dg_over_many_rows_within_bound)
{
    static const enum nb_norm norms[] = {NB_RMSNORM_BWD, NB_LAYERNORM_BWD};
    const size_t rows = NB_BWD_ROW_BLOCK * 256 + 1, n = 64;
    if (cpu_detect()->under_valgrind)
        return; /* a million MPFR values: the other tests cover valgrind */
    size_t checked = 0;
    for (size_t k = 0; k < 2; k++) {
        struct bwd_problem p;
        bwd_init(&p, norms[k], NB_F32, rows, n, 0, 42);
        /* every row block the same rows, as run's timed data repeats its
         * generated block: the partials are equal, and their errors add up
         * instead of cancelling */
        for (size_t r = NB_BWD_ROW_BLOCK; r < rows; r++) {
            memcpy((float *)p.x + r * n, (float *)p.x + r % NB_BWD_ROW_BLOCK * n, n * 4);
            memcpy((float *)p.dy + r * n, (float *)p.dy + r % NB_BWD_ROW_BLOCK * n, n * 4);
        }
        float *rdg = malloc(n * 4), *rdb = malloc(n * 4), *rdx = malloc(rows * n * 4);
        double *edg = malloc(n * 8), *edb = malloc(n * 8);
        cr_assert(rdg && rdb && rdx && edg && edb);
        struct nb_args ra = bwd_args(&p, rdx, rdg, rdb, 1e-5);
        struct bwd_exact ex = {NULL, edg, edb};
        cr_assert_eq(reference_bwd_compute(norms[k], NB_F32, &ra, &ex, NULL), 0);
        struct bwd_terms t = term_magnitudes(&p, 1e-5);
        for (size_t i = 0; i < bwd_count(); i++) {
            const struct nb_variant *v = bwd_at(i);
            if (v->norm != norms[k] || v->dtype != NB_F32 || !testable(v))
                continue;
            struct nb_args a = bwd_args(&p, p.dx, p.dg, p.db, 1e-5);
            v->fn(&a);
            double dg = 0, db = 0;
            for (size_t j = 0; j < n; j++) {
                dg = fmax(dg, err_at_terms(ld(p.dg, j, NB_F32), edg[j], t.dg[j], NB_F32));
                if (norm_has_db(v->norm))
                    db = fmax(db, err_at_terms(ld(p.db, j, NB_F32), edb[j], t.db[j], NB_F32));
            }
            cr_log_info("%s over %zu rows: dg %.3g, db %.3g ULP at the terms", v->name, rows, dg, db);
            cr_expect(dg <= v->ulp_bound && db <= v->ulp_bound, "%s over %zu rows: dg %.3g, db %.3g ULP; bound %.3g",
                      v->name, rows, dg, db, v->ulp_bound);
            checked++;
        }
        bwd_terms_free(&t);
        free(rdg), free(rdb), free(rdx), free(edg), free(edb);
        bwd_free(&p);
    }
    cr_assert_gt(checked, 0);
}

/* A NaN or Inf in one row's x or dy makes that row's dx non-finite and
 * leaves every other row's dx correct. */
Test(backward, nonfinite_input_stays_in_its_row)
{
    static const float bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t k = 0; k < bwd_count(); k++) {
        const struct nb_variant *v = bwd_at(k);
        if (!testable(v))
            continue;
        for (int b = 0; b < 6; b++) {
            struct bwd_problem p;
            bwd_init(&p, v->norm, v->dtype, 4, 37, 0, 77 + (uint64_t)b);
            nb_store(b < 3 ? p.x : p.dy, 1 * 37 + 5, bad[b % 3], p.dt);
            struct bwd_check c = check_bwd(v, &p, 1e-5, 1);
            cr_expect(v->ulp_bound < 0 || c.dx <= v->ulp_bound, "%s: rows beside a non-finite one: %.3g ULP", v->name,
                      c.dx);
            for (size_t i = 0; i < 37; i++)
                cr_expect(!isfinite(nb_load(p.dx, 37 + i, p.dt)), "%s: dx[1][%zu] finite beside %s in its row's %s",
                          v->name, i, b % 3 ? "Inf" : "NaN", b < 3 ? "x" : "dy");
            bwd_free(&p);
        }
    }
}

/* A nat variant rounds in the storage type: on 70 rows of n = 768 its dx
 * and dg are further from the reference than the up variant's (which
 * rounds once), and still finite and within a few hundred ULPs at the
 * terms (a nat kernel that overflowed or dropped a term would not be). */
Test(backward, nat_rounds_in_the_storage_type)
{
    static const char *const pairs[][2] = {
        {"rmsnorm-bwd/fused/scalar/bf16-nat", "rmsnorm-bwd/fused/scalar/bf16-up"},
        {"rmsnorm-bwd/fused/scalar/f16-nat", "rmsnorm-bwd/fused/scalar/f16-up"},
        {"layernorm-bwd/fused/scalar/bf16-nat", "layernorm-bwd/fused/scalar/bf16-up"},
        {"layernorm-bwd/fused/scalar/f16-nat", "layernorm-bwd/fused/scalar/f16-up"},
    };
    for (size_t k = 0; k < sizeof pairs / sizeof *pairs; k++) {
        const struct nb_variant *nat = registry_find(pairs[k][0]), *up = registry_find(pairs[k][1]);
        cr_assert(nat && up, "%s or %s is not registered", pairs[k][0], pairs[k][1]);
        struct bwd_problem p;
        bwd_init(&p, nat->norm, nat->dtype, 70, 768, 0, 11);
        struct bwd_check cn = check_bwd(nat, &p, 1e-5, (size_t)-1), cu = check_bwd(up, &p, 1e-5, (size_t)-1);
        cr_log_info("%s: dx %.3g, dg %.3g, db %.3g ULP at the terms (up: %.3g, %.3g, %.3g)", nat->name, cn.dx, cn.dg,
                    cn.db, cu.dx, cu.dg, cu.db);
        cr_expect(cn.dx > cu.dx && cn.dg > cu.dg, "%s: dx %.3g, dg %.3g ULP, not worse than %s's %.3g, %.3g", nat->name,
                  cn.dx, cn.dg, up->name, cu.dx, cu.dg);
        cr_expect(cn.dx < 500 && cn.dg < 500, "%s: dx %.3g, dg %.3g ULP at the terms", nat->name, cn.dx, cn.dg);
        bwd_free(&p);
    }
}

/* An all-zero row with eps = 0 is 0/0 forward and has no gradient: the
 * reference says NaN for its dx and for dg (a sum over it); with eps > 0
 * the same row has a finite dx (RMSNorm's g dy / sqrt(eps)). */
Test(backward, zero_row_without_eps_has_no_gradient)
{
    static const enum nb_norm norms[] = {NB_RMSNORM_BWD, NB_LAYERNORM_BWD};
    for (size_t k = 0; k < 2; k++)
        for (int with_eps = 0; with_eps < 2; with_eps++) {
            struct bwd_problem p;
            bwd_init(&p, norms[k], NB_F32, 2, 9, 0, 3);
            for (size_t i = 0; i < 9; i++)
                nb_store(p.x, i, 0.0f, NB_F32);
            float dx[18], dg[9], db[9];
            struct nb_args ra = bwd_args(&p, dx, dg, db, with_eps ? 0.25 : 0.0);
            cr_assert_eq(reference_bwd_compute(norms[k], NB_F32, &ra, NULL, NULL), 0);
            for (size_t i = 0; i < 9; i++) {
                cr_expect(with_eps ? isfinite(dx[i]) : isnan(dx[i]), "%s eps %d: dx[0][%zu] = %g", norm_name(norms[k]),
                          with_eps, i, dx[i]);
                cr_expect(isfinite(dx[9 + i]), "%s: the other row's dx[%zu] = %g", norm_name(norms[k]), i, dx[9 + i]);
                cr_expect(with_eps ? isfinite(dg[i]) : isnan(dg[i]), "%s eps %d: dg[%zu] = %g", norm_name(norms[k]),
                          with_eps, i, dg[i]);
            }
            if (with_eps && norms[k] == NB_RMSNORM_BWD)
                cr_expect_float_eq(dx[0], nb_load(p.g, 0, NB_F32) * nb_load(p.dy, 0, NB_F32) / 0.5f, 1e-6);
            bwd_free(&p);
        }
}

/* ---- the reference against central differences of the loss
 * L = sum_i dy_i y_i, evaluated with MPFR at 512 bits ---- */

#define FD_PREC 512

/* L for one row, with x_j (or g_j) moved by h */
static void loss(mpfr_t out, enum nb_norm norm, const double *x, const double *g, const double *b, const double *dy,
                 size_t n, double eps, size_t moved, int in_g, int in_b, const mpfr_t h)
{
    mpfr_t s, t, mu, v, r, xj;
    mpfr_inits2(FD_PREC, s, t, mu, v, r, xj, (mpfr_ptr)0);
    mpfr_set_ui(mu, 0, MPFR_RNDN);
#define XJ(j) (mpfr_set_d(xj, x[j], MPFR_RNDN), (!in_g && !in_b && (j) == moved) ? mpfr_add(xj, xj, h, MPFR_RNDN) : 0)
    if (norm == NB_LAYERNORM) {
        for (size_t j = 0; j < n; j++) {
            XJ(j);
            mpfr_add(mu, mu, xj, MPFR_RNDN);
        }
        mpfr_div_ui(mu, mu, (unsigned long)n, MPFR_RNDN);
    }
    mpfr_set_ui(v, 0, MPFR_RNDN);
    for (size_t j = 0; j < n; j++) {
        XJ(j);
        mpfr_sub(t, xj, mu, MPFR_RNDN);
        mpfr_fma(v, t, t, v, MPFR_RNDN);
    }
    mpfr_div_ui(v, v, (unsigned long)n, MPFR_RNDN);
    mpfr_add_d(v, v, eps, MPFR_RNDN);
    mpfr_rec_sqrt(r, v, MPFR_RNDN);
    mpfr_set_ui(out, 0, MPFR_RNDN);
    for (size_t j = 0; j < n; j++) {
        XJ(j);
        mpfr_sub(t, xj, mu, MPFR_RNDN);
        mpfr_mul(t, t, r, MPFR_RNDN);
        mpfr_set_d(s, g[j], MPFR_RNDN);
        if (in_g && j == moved)
            mpfr_add(s, s, h, MPFR_RNDN);
        mpfr_mul(t, t, s, MPFR_RNDN);
        if (norm == NB_LAYERNORM) {
            mpfr_set_d(s, b[j], MPFR_RNDN);
            if (in_b && j == moved)
                mpfr_add(s, s, h, MPFR_RNDN);
            mpfr_add(t, t, s, MPFR_RNDN);
        }
        mpfr_set_d(s, dy[j], MPFR_RNDN);
        mpfr_fma(out, t, s, out, MPFR_RNDN);
    }
#undef XJ
    mpfr_clears(s, t, mu, v, r, xj, (mpfr_ptr)0);
}

/* (L(+h) - L(-h)) / 2h */
static double central_difference(enum nb_norm norm, const double *x, const double *g, const double *b,
                                 const double *dy, size_t n, double eps, size_t moved, int in_g, int in_b)
{
    mpfr_t h, lp, lm;
    mpfr_inits2(FD_PREC, h, lp, lm, (mpfr_ptr)0);
    mpfr_set_ui_2exp(h, 1, -120, MPFR_RNDN);
    loss(lp, norm, x, g, b, dy, n, eps, moved, in_g, in_b, h);
    mpfr_neg(h, h, MPFR_RNDN);
    loss(lm, norm, x, g, b, dy, n, eps, moved, in_g, in_b, h);
    mpfr_sub(lp, lp, lm, MPFR_RNDN);
    mpfr_mul_2si(lp, lp, 119, MPFR_RNDN);
    double d = mpfr_get_d(lp, MPFR_RNDN);
    mpfr_clears(h, lp, lm, (mpfr_ptr)0);
    return d;
}

Test(backward, reference_equals_finite_differences)
{
    static const size_t sizes[] = {1, 2, 5, 17, 64};
    static const enum nb_norm norms[] = {NB_RMSNORM, NB_LAYERNORM}, bwd[] = {NB_RMSNORM_BWD, NB_LAYERNORM_BWD};
    size_t compared = 0;
    for (size_t k = 0; k < 2; k++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            const size_t n = sizes[s];
            struct bwd_problem p;
            bwd_init(&p, bwd[k], NB_F32, 1, n, 0, 5 + n);
            double x[64], g[64], b[64], dy[64], edx[64], edg[64], edb[64];
            for (size_t j = 0; j < n; j++) {
                x[j] = ld(p.x, j, NB_F32), g[j] = ld(p.g, j, NB_F32), dy[j] = ld(p.dy, j, NB_F32);
                b[j] = 0.25;
            }
            float rdx[64], rdg[64], rdb[64];
            struct nb_args ra = bwd_args(&p, rdx, rdg, rdb, 1e-5);
            struct bwd_exact ex = {edx, edg, edb};
            cr_assert_eq(reference_bwd_compute(bwd[k], NB_F32, &ra, &ex, NULL), 0);
            for (size_t j = 0; j < n; j++) {
                const double fd[3] = {central_difference(norms[k], x, g, b, dy, n, 1e-5, j, 0, 0),
                                      central_difference(norms[k], x, g, b, dy, n, 1e-5, j, 1, 0),
                                      central_difference(norms[k], x, g, b, dy, n, 1e-5, j, 0, 1)};
                const double ref[3] = {edx[j], edg[j], edb[j]};
                for (int w = 0; w < (norms[k] == NB_LAYERNORM ? 3 : 2); w++) {
                    cr_expect(fabs(fd[w] - ref[w]) <= 1e-13 * (1 + fabs(ref[w])),
                              "%s n=%zu %s[%zu]: reference %.17g, finite difference %.17g", norm_name(norms[k]), n,
                              (const char *[]){"dx", "dg", "db"}[w], j, ref[w], fd[w]);
                    compared++;
                }
            }
            bwd_free(&p);
        }
    cr_log_info("%zu gradients against finite differences", compared);
}

/* a backward variant of a scalar or other built ISA has its code */
Test(backward, every_listed_variant_has_code)
{
    cr_assert_geq(bwd_count(), 8);
    for (size_t k = 0; k < bwd_count(); k++) {
        const struct nb_variant *v = bwd_at(k);
        cr_expect(v->isa != NB_ISA_SCALAR || v->fn, "%s has no function", v->name);
        cr_expect(!strncmp(v->name, norm_name(v->norm), strlen(norm_name(v->norm))) && strstr(v->name, "-bwd/"),
                  "%s: not named norm-bwd/...", v->name);
    }
}
