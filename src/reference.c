/* Correctly rounded references with MPFR.
 *
 * Every norm is written as  y_i = A_i + B_i / sqrt(N / K)  where A, B and N
 * are exact dyadic numbers and K a positive integer:
 *   rmsnorm (and prmsnorm, addrmsnorm, gemmarmsnorm):
 *       A = 0, B = x_i g_i, N = sum_{j<k} x_j^2 + k eps, K = k
 *   layernorm, with S = sum x_j and D_i = n x_i - S (so x_i - mu = D_i / n):
 *       A = b_i, B = D_i g_i, N = sum D_j^2 + n^3 eps, K = n
 * (var + eps = N / n^3, and D/n / sqrt(N/n^3) = D / sqrt(N/n)).
 *
 * y is evaluated at P bits with a proven bound on its error; when both ends
 * of [y - err, y + err] round to the same value of the target format, that
 * value is the correctly rounded result. Otherwise the interval holds the
 * midpoint m between two neighbours, and whether y = m is decided exactly:
 * y = m  <=>  sign(B) = sign(m - A) and B^2 K = (m - A)^2 N, all exact. A tie
 * is rounded to even; anything else is retried at twice the precision (Ziv's
 * strategy), which must succeed because y != m. */
#include "reference.h"
#include "reference_fast.h"
#include "mpfr_exact.h"
#include "../kernels/kernels.h"

#include <gmp.h>
#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


double reference_round_double(double v, enum nb_dtype dt)
{
    mpfr_t x, s;
    mpfr_init2(x, 53);
    mpfr_init2(s, 53);
    mpfr_set_d(x, v, MPFR_RNDN);
    double r = round_to_format(x, &ref_formats[dt], s);
    mpfr_clear(x);
    mpfr_clear(s);
    return r;
}


static void set_stored(mpfr_t r, const void *p, size_t i, enum nb_dtype dt)
{
    mpfr_set_prec(r, 24);
    mpfr_set_flt(r, nb_load(p, i, dt), MPFR_RNDN); /* exact */
}

/* ---- one row ---- */

struct row_work {
    size_t cap;
    mpfr_t *terms;      /* x_j or D_j, exact */
    mpfr_t *squares;    /* their squares, exact */
    mpfr_ptr *ptrs;
    mpfr_t s, nk, eps, kk, keps, t, y, lo, hi, err, a, b, m, r, scratch, lhs, rhs, q;
};

/* 0, or -1 when out of memory (nothing left allocated) */
static int work_init(struct row_work *w, size_t n)
{
    w->cap = n;
    w->terms = malloc((n ? n : 1) * sizeof *w->terms);
    w->squares = malloc((n ? n : 1) * sizeof *w->squares);
    w->ptrs = malloc((n ? n : 1) * sizeof *w->ptrs);
    if (!w->terms || !w->squares || !w->ptrs) {
        free(w->terms);
        free(w->squares);
        free(w->ptrs);
        return -1;
    }
    for (size_t j = 0; j < n; j++) {
        mpfr_init2(w->terms[j], 24);
        mpfr_init2(w->squares[j], 48);
    }
    mpfr_ptr scalars[] = {w->s, w->nk, w->eps, w->kk, w->keps, w->t, w->y, w->lo, w->hi, w->err,
                          w->a, w->b, w->m, w->r, w->scratch, w->lhs, w->rhs, w->q};
    for (size_t j = 0; j < sizeof scalars / sizeof scalars[0]; j++)
        mpfr_init2(scalars[j], 64);
    return 0;
}

static void work_free(struct row_work *w)
{
    for (size_t j = 0; j < w->cap; j++) {
        mpfr_clear(w->terms[j]);
        mpfr_clear(w->squares[j]);
    }
    free(w->terms);
    free(w->squares);
    free(w->ptrs);
    mpfr_ptr scalars[] = {w->s, w->nk, w->eps, w->kk, w->keps, w->t, w->y, w->lo, w->hi, w->err,
                          w->a, w->b, w->m, w->r, w->scratch, w->lhs, w->rhs, w->q};
    for (size_t j = 0; j < sizeof scalars / sizeof scalars[0]; j++)
        mpfr_clear(scalars[j]);
}

/* w->nk = N (sum of the k squares plus K eps) at precision prec, or exactly
 * when prec == 0. */
static void compute_n(struct row_work *w, size_t count, mpfr_prec_t prec)
{
    for (size_t j = 0; j < count; j++)
        w->ptrs[j] = w->squares[j];
    sum_terms(w->q, w->ptrs, count, prec);
    mul_exact(w->keps, w->kk, w->eps); /* k eps for rmsnorm, n^3 eps for layernorm */
    if (prec == 0) {
        add_exact(w->nk, w->q, w->keps, 1);
    } else {
        mpfr_set_prec(w->nk, prec);
        mpfr_add(w->nk, w->q, w->keps, MPFR_RNDN);
    }
}

/* w->s = sqrt(N / K) at precision prec; K is the statistic's count. */
static void compute_s(struct row_work *w, size_t count, unsigned long k_int, mpfr_prec_t prec)
{
    compute_n(w, count, prec);
    mpfr_set_prec(w->s, prec);
    mpfr_div_ui(w->s, w->nk, k_int, MPFR_RNDN);
    mpfr_sqrt(w->s, w->s, MPFR_RNDN);
}

/* Is A + B / sqrt(N / K) exactly m? w->a = A, w->b = B. */
static int equals_exactly(struct row_work *w, double m, size_t count, unsigned long k_int)
{
    mpfr_set_prec(w->m, 53);
    mpfr_set_d(w->m, m, MPFR_RNDN);
    add_exact(w->r, w->m, w->a, -1); /* R = m - A */
    if (mpfr_zero_p(w->r) || mpfr_zero_p(w->b) || mpfr_sgn(w->r) != mpfr_sgn(w->b))
        return 0;
    compute_n(w, count, 0); /* N exactly */
    mpfr_t kq;
    mpfr_init2(kq, 64);
    mpfr_set_ui(kq, k_int, MPFR_RNDN);
    mpfr_t b2, r2;
    mpfr_inits2(64, b2, r2, (mpfr_ptr)0);
    mul_exact(b2, w->b, w->b);
    mul_exact(w->lhs, b2, kq);
    mul_exact(r2, w->r, w->r);
    mul_exact(w->rhs, r2, w->nk);
    int eq = mpfr_equal_p(w->lhs, w->rhs);
    mpfr_clears(kq, b2, r2, (mpfr_ptr)0);
    return eq;
}

/* Decides one output element from w->a = A, w->b = B and w->s = sqrt(N/K)
 * at precision prec0. Returns 1 if the precision cap was reached (then the
 * nearest rounding of the last approximation is used), else 0. */
static int decide(struct row_work *w, const struct ref_format *f, size_t count, unsigned long k_int,
                  mpfr_prec_t prec0, double *rounded, double *nearest)
{
    mpfr_prec_t prec = prec0;
    int capped = 0;
    for (;;) {
        mpfr_set_prec(w->t, prec);
        mpfr_div(w->t, w->b, w->s, MPFR_RNDN);
        if (!mpfr_number_p(w->s) || mpfr_zero_p(w->s) || !mpfr_number_p(w->a) ||
            !mpfr_number_p(w->b)) {
            /* special values follow IEEE rules and every result is exact:
             * NaN, an infinity, or A + (+-0) */
            add_exact(w->y, w->t, w->a, 1);
            *rounded = round_to_format(w->y, f, w->scratch);
            *nearest = mpfr_get_d(w->y, MPFR_RNDN);
            break;
        }
        mpfr_set_prec(w->y, prec);
        int inexact_sum = mpfr_add(w->y, w->t, w->a, MPFR_RNDN);
        *nearest = mpfr_get_d(w->y, MPFR_RNDN);
        /* |error| < 2^(EXP(t) - P + 3): N, N/K, sqrt and B/s round once each,
         * a relative error below 4 * 2^-P on t, and |t| < 2^EXP(t);
         * plus 2^(EXP(y) - P) for the final addition when it rounded. */
        mpfr_set_prec(w->err, 16);
        mpfr_set_ui(w->err, 0, MPFR_RNDN);
        if (!mpfr_zero_p(w->t))
            mpfr_set_ui_2exp(w->err, 1, mpfr_get_exp(w->t) - prec + 3, MPFR_RNDN);
        if (inexact_sum) {
            mpfr_set_prec(w->lo, 16);
            mpfr_set_ui_2exp(w->lo, 1, mpfr_get_exp(w->y) - prec + 1, MPFR_RNDN);
            mpfr_add(w->err, w->err, w->lo, MPFR_RNDU);
        }
        add_exact(w->lo, w->y, w->err, -1);
        add_exact(w->hi, w->y, w->err, 1);
        double rlo = round_to_format(w->lo, f, w->scratch);
        double rhi = round_to_format(w->hi, f, w->scratch);
        if (rlo == rhi) { /* true for -0 == +0 too: the sign of zero is not decided */
            *rounded = rhi == 0.0 ? (mpfr_signbit(w->y) ? -0.0 : 0.0) : rhi;
            break;
        }
        const double overflow_mid = ldexp(1.0, (int)f->emax) - ldexp(1.0, (int)f->emax - f->p - 1);
        double mid = isinf(rhi) ? overflow_mid : isinf(rlo) ? -overflow_mid : (rlo + rhi) / 2;
        if (equals_exactly(w, mid, count, k_int)) {
            mpfr_set_prec(w->m, 53);
            mpfr_set_d(w->m, mid, MPFR_RNDN);
            *rounded = round_to_format(w->m, f, w->scratch); /* ties to even */
            *nearest = mid;
            break;
        }
        if (prec >= PREC_CAP) {
            *rounded = round_to_format(w->y, f, w->scratch);
            capped = 1;
            break;
        }
        prec = prec * 2 > PREC_CAP ? PREC_CAP : prec * 2;
        compute_s(w, count, k_int, prec);
    }
    if (prec != prec0)
        compute_s(w, count, k_int, prec0); /* the next element works at prec0 again */
    return capped;
}

/* Everything the MPFR path keeps across the rows of one call. */
struct mpfr_ctx {
    enum nb_norm norm;
    const struct ref_format *f;
    const struct nb_args *a;
    enum nb_dtype dt;
    mpfr_prec_t prec;
    size_t count;          /* values the statistics cover */
    unsigned long k_int;   /* K in N / K */
    struct row_work w;
    mpfr_t v, g, sum, nx;
};

static int mpfr_ctx_init(struct mpfr_ctx *c, enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a)
{
    const size_t n = a->n;
    c->norm = norm;
    c->dt = dt;
    c->a = a;
    c->f = &ref_formats[dt];
    c->prec = a->ref_prec ? (mpfr_prec_t)a->ref_prec : NB_REF_DEFAULT_PREC;
    c->count = norm == NB_LAYERNORM ? n : (norm == NB_PRMSNORM ? nb_prms_k(n, a->p) : n);
    c->k_int = (unsigned long)c->count;
    if (work_init(&c->w, n) != 0)
        return -1;
    struct row_work *w = &c->w;
    mpfr_set_prec(w->eps, 53);
    mpfr_set_d(w->eps, a->eps, MPFR_RNDN);
    if (norm == NB_LAYERNORM) { /* the multiple of eps in N: K for rmsnorm, n^3 for layernorm */
        mpfr_set_prec(w->kk, 192);
        mpfr_set_ui(w->kk, (unsigned long)n, MPFR_RNDN);
        mpfr_mul_ui(w->kk, w->kk, (unsigned long)n, MPFR_RNDN);
        mpfr_mul_ui(w->kk, w->kk, (unsigned long)n, MPFR_RNDN);
    } else {
        mpfr_set_prec(w->kk, 64);
        mpfr_set_ui(w->kk, c->k_int, MPFR_RNDN);
    }
    mpfr_inits2(64, c->v, c->g, c->sum, c->nx, (mpfr_ptr)0);
    return 0;
}

static void mpfr_ctx_free(struct mpfr_ctx *c)
{
    mpfr_clears(c->v, c->g, c->sum, c->nx, (mpfr_ptr)0);
    work_free(&c->w);
}

/* One row; returns the number of outputs left undecided at the cap. */
static size_t mpfr_row(struct mpfr_ctx *c, size_t row, void *y, double *exact)
{
    const struct nb_args *a = c->a;
    const size_t n = a->n, base = row * n;
    const enum nb_dtype dt = c->dt;
    struct row_work *w = &c->w;
    size_t undecided = 0;
    const void *x = a->x;
    if (c->norm == NB_ADDRMSNORM) {
        /* h = x + residual, rounded once, written back: the stored h is
         * what the norm then sees */
        for (size_t i = 0; i < n; i++) {
            set_stored(c->v, a->x, base + i, dt);
            set_stored(c->g, a->residual, base + i, dt);
            add_exact(c->sum, c->v, c->g, 1);
            store_in_format(a->residual, base + i, round_to_format(c->sum, c->f, w->scratch), dt);
        }
        x = a->residual;
    }
    for (size_t j = 0; j < n; j++) {
        mpfr_set_prec(w->terms[j], 24);
        mpfr_set_flt(w->terms[j], nb_load(x, base + j, dt), MPFR_RNDN);
    }
    if (c->norm == NB_LAYERNORM) {
        for (size_t j = 0; j < n; j++)
            w->ptrs[j] = w->terms[j];
        sum_terms(c->sum, w->ptrs, n, 0); /* S, exactly */
        for (size_t j = 0; j < n; j++) {
            mpfr_set_prec(c->nx, 24 + 64);
            mpfr_mul_ui(c->nx, w->terms[j], (unsigned long)n, MPFR_RNDN);
            add_exact(c->v, c->nx, c->sum, -1); /* D_j = n x_j - S */
            set_exact(w->terms[j], c->v);
        }
    }
    for (size_t j = 0; j < c->count; j++)
        mul_exact(w->squares[j], w->terms[j], w->terms[j]);
    compute_s(w, c->count, c->k_int, c->prec);
    for (size_t i = 0; i < n; i++) {
        set_stored(c->g, a->g, i, dt);
        if (c->norm == NB_GEMMARMSNORM) {
            mpfr_set_prec(c->v, 24);
            mpfr_set_ui(c->v, 1, MPFR_RNDN);
            add_exact(c->nx, c->v, c->g, 1);
            set_exact(c->g, c->nx);
        }
        mul_exact(w->b, w->terms[i], c->g);
        if (c->norm == NB_LAYERNORM) {
            set_stored(c->v, a->b, i, dt);
            set_exact(w->a, c->v);
        } else {
            mpfr_set_prec(w->a, 24);
            mpfr_set_zero(w->a, 1);
        }
        double r, d;
        undecided += (size_t)decide(w, c->f, c->count, c->k_int, c->prec, &r, &d);
        if (y)
            store_in_format((char *)y, base + i, r, dt);
        if (exact)
            exact[base + i] = d;
    }
    return undecided;
}

int reference_compute(enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a, void *y, double *exact,
                      enum ref_method method, struct ref_counts *counts)
{
    struct ref_counts local = {0};
    struct ref_counts *k = counts ? counts : &local;
    struct ref_fast_ctx fast;
    struct mpfr_ctx mp;
    int have_mp = 0;
    if (method == REF_METHOD_FAST && ref_fast_init(&fast, norm, dt, a) != 0)
        return -1;
    for (size_t row = 0; row < a->rows; row++) {
        if (method == REF_METHOD_FAST) {
            size_t unsure = 0;
            enum ref_fast_status st = ref_fast_row(&fast, row, y, exact, &unsure);
            k->unsure += unsure;
            if (st == REF_FAST_DONE)
                continue;
            k->special_rows += st == REF_FAST_SPECIAL;
            k->fallback_rows++;
            k->fallback_values += a->n;
        }
        if (!have_mp) {
            if (mpfr_ctx_init(&mp, norm, dt, a) != 0) {
                if (method == REF_METHOD_FAST)
                    ref_fast_free(&fast);
                return -1;
            }
            have_mp = 1;
        }
        k->undecided += mpfr_row(&mp, row, y, exact);
    }
    k->values += a->rows * a->n;
    if (method == REF_METHOD_FAST)
        ref_fast_free(&fast);
    if (have_mp)
        mpfr_ctx_free(&mp);
    return 0;
}

int ref_method_parse(const char *text, enum ref_method *m)
{
    if (strcmp(text, "fast") == 0)
        *m = REF_METHOD_FAST;
    else if (strcmp(text, "mpfr") == 0)
        *m = REF_METHOD_MPFR;
    else
        return -1;
    return 0;
}

const char *ref_method_name(enum ref_method m)
{
    return m == REF_METHOD_MPFR ? "mpfr" : "fast";
}

/* A kernel has no status to return: a reference that could not get its
 * memory leaves NaN everywhere, which every check counts as wrong */
static void reference_kernel(enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a)
{
    if (reference_compute(norm, dt, a, a->y, NULL, REF_METHOD_MPFR, NULL) != 0)
        for (size_t i = 0; i < a->rows * a->n; i++)
            nb_store(a->y, i, NAN, dt);
}

NB_REF_ENTRIES(rmsnorm, NB_RMSNORM, reference_kernel)
NB_REF_ENTRIES(prmsnorm, NB_PRMSNORM, reference_kernel)
NB_REF_ENTRIES(addrmsnorm, NB_ADDRMSNORM, reference_kernel)
NB_REF_ENTRIES(gemmarmsnorm, NB_GEMMARMSNORM, reference_kernel)
NB_REF_ENTRIES(layernorm, NB_LAYERNORM, reference_kernel)
