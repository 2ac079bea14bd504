/* Correctly rounded gradients with MPFR.
 *
 * Both norms' gradients are written with exact dyadic numbers and one
 * irrational factor. With a_j = g_j dy_j:
 *   rmsnorm: D = sum x_j^2 + n eps, P = sum a_j x_j, K = n;
 *            dx_i = (a_i D - x_i P) sqrt(K / D^3),   dg term dy_i x_i sqrt(K / D)
 *   layernorm: S = sum x_j, A = sum a_j, Q = sum a_j x_j,
 *            D = n sum x_j^2 - S^2 + n^2 eps, K = 1;
 *            dx_i = ((n a_i - A) D - (n x_i - S)(n Q - S A)) sqrt(K / D^3),
 *            dg term dy_i (n x_i - S) sqrt(K / D),   db_i = sum_rows dy_i
 * (from README "Backward": r^2 = n / D for rmsnorm and n^2 / D for
 * layernorm). The numerators and D are exact; dx_i is evaluated at P bits
 * with a relative error under 2^(2-P), and dg as a sum of such terms with
 * its absolute error bound, and each is rounded when the bound decides the
 * rounding (mpfr_can_round), else again at twice the precision (Ziv's
 * strategy). A value computed without any rounding is rounded directly,
 * ties to even; a zero numerator is an exact zero. */
#include "reference_bwd.h"

#include <stdlib.h>
#include <string.h>

#include "mpfr_exact.h"
#include "reference_bwd_fast.h"
#include "../kernels/kernels.h"

#define START_PREC 128

struct bwd_row {
    int special;            /* NaN or Inf in the row's x or dy, or D = 0 */
    mpfr_t d, d3, p, s, a;  /* D, D^3, P (rmsnorm) or n Q - S A (layernorm), S, A */
};

struct bwd_ctx {
    enum nb_norm norm;
    enum nb_dtype dt;
    const struct nb_args *a;
    const struct ref_format *f;
    struct bwd_row *rows;
    int bad_gain;
    unsigned long k;        /* K: n or 1 */
    mpfr_t t[8];            /* scratch */
    mpfr_t num;             /* a dx numerator */
    mpfr_ptr *ptrs;
    mpfr_t *terms;          /* n, or rows, exact or at P bits */
    size_t nterms;
    struct ref_counts *counts;
};

static void set_stored(mpfr_t r, const void *p, size_t i, enum nb_dtype dt)
{
    mpfr_set_prec(r, 24);
    mpfr_set_flt(r, nb_load(p, i, dt), MPFR_RNDN); /* exact */
}

/* r = u v exactly, from stored values */
static void stored_product(struct bwd_ctx *c, mpfr_t r, const void *u, size_t i, const void *v, size_t j)
{
    set_stored(c->t[6], u, i, c->dt);
    set_stored(c->t[7], v, j, c->dt);
    mul_exact(r, c->t[6], c->t[7]);
}

/* r = sum over the row of what fill(c, row, j, term) puts in term, exactly */
static void row_sum(struct bwd_ctx *c, size_t row, mpfr_t r,
                    void (*fill)(struct bwd_ctx *c, size_t row, size_t j, mpfr_t term))
{
    for (size_t j = 0; j < c->a->n; j++) {
        fill(c, row, j, c->terms[j]);
        c->ptrs[j] = c->terms[j];
    }
    sum_terms(r, c->ptrs, c->a->n, 0);
}

static void fill_x(struct bwd_ctx *c, size_t row, size_t j, mpfr_t term)
{
    set_stored(term, c->a->x, row * c->a->n + j, c->dt);
}

static void fill_x2(struct bwd_ctx *c, size_t row, size_t j, mpfr_t term)
{
    set_stored(c->t[5], c->a->x, row * c->a->n + j, c->dt);
    mul_exact(term, c->t[5], c->t[5]);
}

static void fill_gdy(struct bwd_ctx *c, size_t row, size_t j, mpfr_t term)
{
    stored_product(c, term, c->a->g, j, c->a->dy, row * c->a->n + j);
}

static void fill_gdyx(struct bwd_ctx *c, size_t row, size_t j, mpfr_t term)
{
    stored_product(c, c->t[4], c->a->g, j, c->a->dy, row * c->a->n + j);
    set_stored(c->t[5], c->a->x, row * c->a->n + j, c->dt);
    mul_exact(term, c->t[4], c->t[5]);
}

/* r = v * m exactly, m a positive integer */
static void mul_int(mpfr_t r, const mpfr_t v, unsigned long m)
{
    mpfr_set_prec(r, mpfr_get_prec(v) + 64);
    mpfr_mul_ui(r, v, m, MPFR_RNDN);
}

static int row_special(const struct bwd_ctx *c, size_t row)
{
    for (size_t j = 0; j < c->a->n; j++)
        if (!isfinite(nb_load(c->a->x, row * c->a->n + j, c->dt)) ||
            !isfinite(nb_load(c->a->dy, row * c->a->n + j, c->dt)))
            return 1;
    return 0;
}

/* The row's exact D, D^3, P (or n Q - S A), S and A */
static void row_stats(struct bwd_ctx *c, size_t row)
{
    struct bwd_row *w = &c->rows[row];
    const unsigned long n = (unsigned long)c->a->n;
    if ((w->special = row_special(c, row)))
        return;
    mpfr_t *t = c->t;
    mpfr_set_prec(t[0], 53);
    mpfr_set_d(t[0], c->a->eps, MPFR_RNDN);            /* exact */
    row_sum(c, row, t[1], fill_x2);                    /* sum x^2 */
    if (c->norm == NB_RMSNORM_BWD) {
        mul_int(t[2], t[0], n);                        /* n eps */
        add_exact(w->d, t[1], t[2], 1);
        row_sum(c, row, w->p, fill_gdyx);
    } else {
        row_sum(c, row, w->s, fill_x);
        row_sum(c, row, w->a, fill_gdy);
        mul_int(t[2], t[1], n);                        /* n sum x^2 */
        mul_exact(t[3], w->s, w->s);
        add_exact(t[4], t[2], t[3], -1);
        mul_int(t[2], t[0], n);
        mul_int(t[3], t[2], n);                        /* n^2 eps */
        add_exact(w->d, t[4], t[3], 1);
        row_sum(c, row, t[1], fill_gdyx);              /* Q */
        mul_int(t[2], t[1], n);
        mul_exact(t[3], w->s, w->a);
        add_exact(w->p, t[2], t[3], -1);               /* n Q - S A */
    }
    mul_exact(t[1], w->d, w->d);
    mul_exact(w->d3, t[1], w->d);
    /* D = 0 (a zero or, for layernorm, constant row with eps = 0): y is
     * 0/0 there and has no gradient; NaN, as for a NaN input */
    w->special = mpfr_zero_p(w->d);
}

/* the bits of f an output of exponent e keeps (fewer below the normal range) */
static mpfr_prec_t target_bits(const struct ref_format *f, mpfr_exp_t e)
{
    long q = (e > f->emin ? (long)e : f->emin) - f->p;
    long bits = (long)e - q;
    return bits < 1 ? 2 : (mpfr_prec_t)bits + 1;
}


/* v = num * sqrt(K / den) rounded to f, by Ziv's loop; *exact the double
 * nearest the value */
static double scaled_rounded(struct bwd_ctx *c, const mpfr_t num, const mpfr_t den, double *exact)
{
    mpfr_t *t = c->t;
    if (mpfr_zero_p(num)) {
        *exact = 0.0;
        return 0.0;
    }
    for (mpfr_prec_t p = START_PREC;; p *= 2) {
        mpfr_set_prec(t[0], p);
        mpfr_set_prec(t[1], p);
        int inexact = mpfr_ui_div(t[0], c->k, den, MPFR_RNDN);
        inexact |= mpfr_sqrt(t[0], t[0], MPFR_RNDN);
        inexact |= mpfr_mul(t[1], num, t[0], MPFR_RNDN);
        const int decided = !inexact || !mpfr_regular_p(t[1]) ||
                            mpfr_can_round(t[1], p - 2, MPFR_RNDN, MPFR_RNDZ, target_bits(c->f, mpfr_get_exp(t[1])));
        if (decided || p >= PREC_CAP) {
            if (!decided && c->counts)
                c->counts->undecided++;
            *exact = mpfr_get_d(t[1], MPFR_RNDN);
            return round_to_format(t[1], c->f, t[2]);
        }
    }
}

/* dx of one row */
static void row_dx(struct bwd_ctx *c, size_t row, double *exact)
{
    const struct bwd_row *w = &c->rows[row];
    const size_t n = c->a->n;
    mpfr_t *t = c->t;
    for (size_t i = 0; i < n; i++) {
        double v = NAN, e = NAN;
        if (!w->special && !c->bad_gain) {
            stored_product(c, t[3], c->a->g, i, c->a->dy, row * n + i); /* a_i */
            set_stored(t[4], c->a->x, row * n + i, c->dt);
            if (c->norm == NB_RMSNORM_BWD) {
                mul_exact(t[5], t[3], w->d);
                mul_exact(t[6], t[4], w->p);
            } else {
                mul_int(t[7], t[3], (unsigned long)n);
                add_exact(t[2], t[7], w->a, -1);       /* n a_i - A */
                mul_exact(t[5], t[2], w->d);
                mul_int(t[7], t[4], (unsigned long)n);
                add_exact(t[2], t[7], w->s, -1);       /* n x_i - S */
                mul_exact(t[6], t[2], w->p);
            }
            add_exact(c->num, t[5], t[6], -1);
            v = scaled_rounded(c, c->num, w->d3, &e);
        }
        store_in_format(c->a->y, row * n + i, v, c->dt);
        if (exact)
            exact[row * n + i] = e;
    }
}

/* the dg term of row r, column i, exactly: dy x (rmsnorm) or dy (n x - S) */
static void dg_numerator(struct bwd_ctx *c, size_t r, size_t i, mpfr_t out)
{
    const size_t n = c->a->n;
    set_stored(c->t[4], c->a->dy, r * n + i, c->dt);
    set_stored(c->t[5], c->a->x, r * n + i, c->dt);
    if (c->norm == NB_RMSNORM_BWD) {
        mul_exact(out, c->t[4], c->t[5]);
        return;
    }
    mul_int(c->t[6], c->t[5], (unsigned long)n);
    add_exact(c->t[7], c->t[6], c->rows[r].s, -1);
    mul_exact(out, c->t[4], c->t[7]);
}

/* dg_i at p bits into t[1]; returns nonzero when no operation rounded,
 * and the bound on its error in *err_exp (err < 2^*err_exp) */
static int dg_at(struct bwd_ctx *c, size_t i, mpfr_prec_t p, mpfr_t *terms, mpfr_exp_t *err_exp)
{
    mpfr_t *t = c->t;
    int exact = 1;
    mpfr_set_prec(t[3], 64);
    mpfr_set_ui(t[3], 0, MPFR_RNDN);
    for (size_t r = 0; r < c->a->rows; r++) {
        dg_numerator(c, r, i, t[2]);
        mpfr_set_prec(t[0], p);
        mpfr_set_prec(terms[r], p);
        int inexact = mpfr_ui_div(t[0], c->k, c->rows[r].d, MPFR_RNDN);
        inexact |= mpfr_sqrt(t[0], t[0], MPFR_RNDN);
        inexact |= mpfr_mul(terms[r], t[2], t[0], MPFR_RNDN);
        exact &= !inexact || mpfr_zero_p(t[2]); /* 0 times anything is exact */
        c->ptrs[r] = terms[r];
        mpfr_abs(t[0], terms[r], MPFR_RNDN);
        mpfr_add(t[3], t[3], t[0], MPFR_RNDU);     /* sum |terms|, rounded up */
    }
    mpfr_set_prec(t[1], p);
    exact &= mpfr_sum(t[1], (const mpfr_ptr *)c->ptrs, c->a->rows, MPFR_RNDN) == 0;
    /* each term within 2^(2-p) of itself, the sum's rounding 2^-p of it */
    mpfr_mul_2si(t[3], t[3], 2 - (long)p, MPFR_RNDU);
    mpfr_abs(t[0], t[1], MPFR_RNDN);
    mpfr_mul_2si(t[0], t[0], -(long)p, MPFR_RNDU);
    mpfr_add(t[3], t[3], t[0], MPFR_RNDU);
    *err_exp = mpfr_zero_p(t[3]) ? mpfr_get_emin() : mpfr_get_exp(t[3]);
    return exact;
}

static double dg_rounded(struct bwd_ctx *c, size_t i, mpfr_t *terms, double *exact)
{
    mpfr_t *t = c->t;
    for (mpfr_prec_t p = START_PREC;; p *= 2) {
        mpfr_exp_t err_exp;
        const int all_exact = dg_at(c, i, p, terms, &err_exp);
        int decided = all_exact;
        if (!decided && mpfr_regular_p(t[1])) {
            mpfr_exp_t err = mpfr_get_exp(t[1]) - err_exp;
            decided = err > 1 && mpfr_can_round(t[1], err, MPFR_RNDN, MPFR_RNDZ, target_bits(c->f, mpfr_get_exp(t[1])));
        }
        if (decided || p >= PREC_CAP) {
            if (!decided && c->counts)
                c->counts->undecided++;
            *exact = mpfr_get_d(t[1], MPFR_RNDN);
            return round_to_format(t[1], c->f, t[2]);
        }
    }
}

static void columns(struct bwd_ctx *c, const struct bwd_exact *ex, mpfr_t *terms)
{
    const size_t n = c->a->n, rows = c->a->rows;
    int any_special = c->bad_gain;
    for (size_t r = 0; r < rows; r++)
        any_special |= c->rows[r].special;
    for (size_t i = 0; i < n; i++) {
        double v = NAN, e = NAN;
        if (!any_special && rows > 0)
            v = dg_rounded(c, i, terms, &e);
        else if (rows == 0)
            v = e = 0.0;
        store_in_format(c->a->dg, i, v, c->dt);
        if (ex && ex->dg)
            ex->dg[i] = e;
        if (c->norm != NB_LAYERNORM_BWD)
            continue;
        for (size_t r = 0; r < rows; r++) {
            set_stored(terms[r], c->a->dy, r * n + i, c->dt);
            c->ptrs[r] = terms[r];
        }
        sum_terms(c->t[1], c->ptrs, rows, 0);   /* exact: dy's IEEE specials stay */
        store_in_format(c->a->db, i, round_to_format(c->t[1], c->f, c->t[2]), c->dt);
        if (ex && ex->db)
            ex->db[i] = mpfr_get_d(c->t[1], MPFR_RNDN);
    }
}

static int ctx_init(struct bwd_ctx *c)
{
    const size_t n = c->a->n, rows = c->a->rows;
    c->nterms = n > rows ? n : rows;
    c->rows = calloc(rows ? rows : 1, sizeof *c->rows);
    c->terms = malloc((c->nterms ? c->nterms : 1) * sizeof *c->terms);
    c->ptrs = malloc((c->nterms ? c->nterms : 1) * sizeof *c->ptrs);
    if (!c->rows || !c->terms || !c->ptrs) {
        free(c->rows);
        free(c->terms);
        free(c->ptrs);
        return -1;
    }
    for (size_t j = 0; j < c->nterms; j++)
        mpfr_init2(c->terms[j], 48);
    for (size_t r = 0; r < rows; r++) {
        struct bwd_row *w = &c->rows[r];
        mpfr_inits2(64, w->d, w->d3, w->p, w->s, w->a, (mpfr_ptr)0);
    }
    for (int k = 0; k < 8; k++)
        mpfr_init2(c->t[k], 64);
    mpfr_init2(c->num, 64);
    return 0;
}

static void ctx_free(struct bwd_ctx *c)
{
    for (size_t j = 0; j < c->nterms; j++)
        mpfr_clear(c->terms[j]);
    for (size_t r = 0; r < c->a->rows; r++) {
        struct bwd_row *w = &c->rows[r];
        mpfr_clears(w->d, w->d3, w->p, w->s, w->a, (mpfr_ptr)0);
    }
    for (int k = 0; k < 8; k++)
        mpfr_clear(c->t[k]);
    mpfr_clear(c->num);
    free(c->rows);
    free(c->terms);
    free(c->ptrs);
}

int reference_bwd_compute(enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a,
                          const struct bwd_exact *exact, struct ref_counts *counts)
{
    if (norm != NB_RMSNORM_BWD && norm != NB_LAYERNORM_BWD)
        return -2;
    struct bwd_ctx c = {.norm = norm, .dt = dt, .a = a, .f = &ref_formats[dt], .counts = counts,
                        .k = norm == NB_RMSNORM_BWD ? (unsigned long)a->n : 1};
    if (ctx_init(&c))
        return -1;
    for (size_t i = 0; i < a->n; i++)
        c.bad_gain |= !isfinite(nb_load(a->g, i, dt));
    for (size_t r = 0; r < a->rows; r++) {
        row_stats(&c, r);
        row_dx(&c, r, exact ? exact->dx : NULL);
    }
    columns(&c, exact, c.terms);
    if (counts)
        counts->values += a->rows * a->n + a->n * (norm == NB_LAYERNORM_BWD ? 2 : 1);
    ctx_free(&c);
    return 0;
}

int reference_bwd_compute_with(enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a,
                               const struct bwd_exact *exact, enum ref_method method, struct ref_counts *counts)
{
    if (norm != NB_RMSNORM_BWD && norm != NB_LAYERNORM_BWD)
        return -2;
    const size_t values = a->rows * a->n + a->n * (norm == NB_LAYERNORM_BWD ? 2 : 1);
    if (method == REF_METHOD_FAST) {
        size_t unsure = 0;
        const int st = reference_bwd_fast(norm, dt, a, exact, &unsure);
        if (st == REF_BWD_FAST_NOMEM)
            return -1;
        if (st == REF_BWD_FAST_DONE) {
            if (counts)
                counts->values += values;
            return 0;
        }
        /* dg sums every row: the whole call goes to MPFR */
        if (counts) {
            counts->fallback_rows += a->rows;
            counts->fallback_values += values;
            counts->unsure += unsure;
            counts->special_rows += st == REF_BWD_FAST_SPECIAL ? a->rows : 0;
        }
    }
    return reference_bwd_compute(norm, dt, a, exact, counts);
}

/* A kernel has no status to return: a reference that could not get its
 * memory leaves NaN everywhere, which every check counts as wrong */
static void reference_bwd_kernel(enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a)
{
    if (reference_bwd_compute(norm, dt, a, NULL, NULL) == 0)
        return;
    for (size_t i = 0; i < a->rows * a->n; i++)
        nb_store(a->y, i, NAN, dt);
    for (size_t i = 0; i < a->n; i++) {
        nb_store(a->dg, i, NAN, dt);
        if (a->db)
            nb_store(a->db, i, NAN, dt);
    }
}

NB_REF_ENTRIES(rmsnorm_bwd, NB_RMSNORM_BWD, reference_bwd_kernel)
NB_REF_ENTRIES(layernorm_bwd, NB_LAYERNORM_BWD, reference_bwd_kernel)
