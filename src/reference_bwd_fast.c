/* The backward reference's fast path, Ziv's first step as in the forward
 * one (reference_fast.c): every gradient as a double-word number with a
 * proven bound on its error; when the bound decides the rounding of every
 * output, those are the correctly rounded gradients (the bits the MPFR
 * path gives), else the call goes to MPFR (reference_bwd.c).
 *
 * With the forms of reference_bwd.c (a_j = g_j dy_j, exact in a double):
 *  - per row, the sums D, P (RMSNorm) or S, A, Q and sum x^2 (LayerNorm) by
 *    Sum2 and Dot2 (Ogita, Rump, Oishi 2005): within gamma_m^2 sum |terms|;
 *    D = sum x^2 + n eps or n sum x^2 - S^2 + n^2 eps, and LayerNorm's
 *    W = n Q - S A, in binary128 (2^-113 an operation) with their bounds
 *    carried; the factors sqrt(K / D^3) and sqrt(K / D) by one Newton step
 *    in binary128 from the double square root (2^-105), to within
 *    1.5 and 0.5 times D's relative error plus 2^-103;
 *  - per output, the numerator (a_i D - x_i P, or (n a_i - A) D -
 *    (n x_i - S) W) and the product with the factor in double-word
 *    arithmetic, each operation within 8 u^2 of its result;
 *  - dg and db summed over the rows in double words, within
 *    gamma_(2 rows)^2 of the sum of |terms| beyond the terms' own bounds.
 * Every bound is taken 5% larger, as in the forward path. */
#include "reference_bwd_fast.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "ref_eft.h"
#include "reference.h"
#include "reference_fast.h"

#define SAFETY 1.05
#define DW_REL 0x1p-102 /* a double-word product or sum: 8 u^2 of its result, rounded up */

/* a double-word value and the bound on its distance from the exact one */
struct dw {
    double h, l, err;
};

static struct dw dw_of_quad(quad q, double err)
{
    struct dw d = {(double)q, 0, err};
    d.l = (double)(q - (quad)d.h);
    return d;
}

/* (ah + al) (bh + bl), both exact inputs' errors propagated */
static inline struct dw dw_mul(struct dw a, struct dw b)
{
    double ph, pl;
    two_prod(a.h, b.h, &ph, &pl);
    struct dw r;
    fast_two_sum(ph, pl + (a.h * b.l + a.l * b.h), &r.h, &r.l);
    const double aa = fabs(a.h) + fabs(a.l), ab = fabs(b.h) + fabs(b.l);
    r.err = aa * b.err + ab * a.err + a.err * b.err + DW_REL * fabs(r.h);
    return r;
}

/* a - b */
static inline struct dw dw_sub(struct dw a, struct dw b)
{
    double sh, sl;
    two_sum(a.h, -b.h, &sh, &sl);
    struct dw r;
    fast_two_sum(sh, sl + (a.l - b.l), &r.h, &r.l);
    r.err = a.err + b.err + DW_REL * (fabs(a.h) + fabs(b.h));
    return r;
}

/* One row's statistics, as double words with bounds. */
struct row_stats {
    struct dw d;    /* D */
    struct dw p;    /* P (RMSNorm) or W = n Q - S A (LayerNorm) */
    struct dw s, a; /* LayerNorm: S and A */
    struct dw f;    /* sqrt(K / D^3) */
    struct dw gk;   /* sqrt(K / D) */
};

/* sum of t_j and of |t_j| by Sum2 (one pass), as a quad and the bound */
struct sum2 {
    double p, sg, abs;
    size_t m;
};

static inline void sum2_add(struct sum2 *s, double t)
{
    double e;
    two_sum(s->p, t, &s->p, &e);
    s->sg += e;
    s->abs += fabs(t);
    s->m++;
}

static inline void dot2_step(struct sum2 *s, double a, double b)
{
    dot2_add(a, b, &s->p, &s->sg);
    s->abs += fabs(a * b);
    s->m++;
}

static inline double sum2_err(const struct sum2 *s)
{
    return SAFETY * (gamma_sq(s->m + 1) + 0x1p-108) * s->abs;
}

/* 1 / sqrt(m) relative to 2^-105, m > 0 in quad, from the double root */
static int inv_root(quad m, quad *out)
{
    const double md = (double)m;
    if (!(md >= 0x1p-900 && md <= 0x1p900))
        return 0;
    const double s0 = sqrt(md);
    *out = 1 / (((quad)s0 + m / (quad)s0) / 2);
    return 1;
}

/* f = sqrt(K / D^3) and gk = sqrt(K / D) from D and its bound */
static int factors(quad d, double ed, double k, struct row_stats *st)
{
    const double dd = (double)d;
    if (!(dd > 0) || !(ed / dd < 0x1p-60))
        return 0;
    quad r;
    if (!inv_root(d / (quad)k, &r)) /* sqrt(K / D) */
        return 0;
    const double rel = ed / dd;
    const quad f = r / d;
    st->gk = dw_of_quad(r, SAFETY * (0.51 * rel + 0x1p-103) * fabs((double)r));
    st->f = dw_of_quad(f, SAFETY * (1.52 * rel + 0x1p-102) * fabs((double)f));
    return isfinite(st->f.h) && isfinite(st->gk.h) && st->f.h != 0;
}

static inline double ld(const void *p, size_t i, enum nb_dtype dt)
{
    return nb_load(p, i, dt);
}

/* The row's statistics; 0 when the row is outside the path (non-finite
 * inputs, D not clearly positive, magnitudes beyond the bounds' range) */
static int row_stats(enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a, size_t r, struct row_stats *st)
{
    const size_t n = a->n;
    const char *x = (const char *)a->x + r * n * nb_dtype_size(dt), *dy = (const char *)a->dy + r * n * nb_dtype_size(dt);
    struct sum2 x2 = {0}, sx = {0}, sa = {0}, q = {0};
    for (size_t j = 0; j < n; j++) {
        const double xj = ld(x, j, dt), aj = ld(a->g, j, dt) * ld(dy, j, dt); /* 48 bits: exact */
        if (!isfinite(xj) || !isfinite(aj))
            return 0;
        sum2_add(&x2, xj * xj); /* 48 bits: exact */
        dot2_step(&q, aj, xj);
        if (norm == NB_LAYERNORM_BWD) {
            sum2_add(&sx, xj);
            sum2_add(&sa, aj);
        }
    }
    const double nd = (double)n, e2 = sum2_err(&x2), eq = sum2_err(&q);
    const quad X2 = (quad)x2.p + (quad)x2.sg, Q = (quad)q.p + (quad)q.sg, eps = (quad)a->eps;
    if (norm == NB_RMSNORM_BWD) {
        const quad d = X2 + (quad)nd * eps; /* n eps: exact */
        st->d = dw_of_quad(d, e2 + 0x1p-112 * fabs((double)d));
        st->p = dw_of_quad(Q, eq);
        return factors(d, st->d.err, nd, st);
    }
    const double es = sum2_err(&sx), ea = sum2_err(&sa);
    const quad S = (quad)sx.p + (quad)sx.sg, A = (quad)sa.p + (quad)sa.sg;
    const quad nx2 = (quad)nd * X2, s2 = S * S, ne = (quad)nd * (quad)nd * eps;
    const quad d = nx2 - s2 + ne;
    const double fs = fabs((double)S), fa = fabs((double)A);
    const double ed = nd * e2 + 2 * fs * es + es * es + 0x1p-110 * (fabs((double)nx2) + (double)s2 + (double)ne);
    const quad nq = (quad)nd * Q, sa_ = S * A, w = nq - sa_;
    const double ew = nd * eq + fs * ea + fa * es + es * ea + 0x1p-110 * (fabs((double)nq) + fabs((double)sa_));
    st->d = dw_of_quad(d, SAFETY * ed);
    st->p = dw_of_quad(w, SAFETY * ew);
    st->s = dw_of_quad(S, es);
    st->a = dw_of_quad(A, ea);
    return factors(d, st->d.err, 1.0, st);
}

/* n v - t as a double word (n v exact: n < 2^31, v 48 bits at most) */
static inline struct dw scaled_minus(double nd, double v, struct dw t)
{
    double ph, pl;
    two_prod(nd, v, &ph, &pl);
    return dw_sub((struct dw){ph, pl, 0}, t);
}

/* stores an output decided by its bound; 0 if the bound does not decide it */
static int put(struct dw v, enum nb_dtype dt, void *out, size_t k, double *exact)
{
    double r, d;
    if (v.h == 0 && v.l == 0 && v.err == 0) {
        r = d = 0.0; /* an exact zero, as in the MPFR path */
    } else if (v.l == 0 && v.err == 0) {
        r = reference_round_double(v.h, dt); /* exact: rounded directly, ties to even */
        d = v.h;
    } else if (!ref_fast_decide(v.h, v.l, v.err, &ref_formats[dt], &r, &d)) {
        return 0;
    }
    nb_store(out, k, (float)r, dt); /* r is a value of the format: exact */
    if (exact)
        exact[k] = d;
    return 1;
}

/* per column of dg (and db): the double-word sum over the rows so far and
 * the bounds */
struct column {
    double h, l, err, abs;
    int inexact; /* else h is the exact sum (db's terms are doubles, their sums often exact) */
};

static inline void column_add(struct column *c, struct dw t)
{
    double e;
    two_sum(c->h, t.h, &c->h, &e);
    c->inexact |= e != 0 || t.l != 0 || t.err != 0;
    c->l += e + t.l;
    c->err += t.err;
    c->abs += fabs(t.h) + fabs(t.l);
}

static int column_put(const struct column *c, size_t rows, enum nb_dtype dt, void *out, size_t i, double *exact)
{
    struct dw v;
    fast_two_sum(c->h, c->l, &v.h, &v.l);
    if (v.h == 0 && rows > 0)
        return 0; /* a sum that cancels to zero, or of signed zeros: MPFR says which zero */
    v.err = c->inexact ? c->err + SAFETY * (gamma_sq(2 * rows + 2) + 0x1p-104) * c->abs : 0;
    return put(v, dt, out, i, exact);
}

/* dx of row r and its dg (db) terms; the count of dx the bound left undecided */
static size_t row_outputs(enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a, size_t r,
                       const struct row_stats *st, struct column *dg, struct column *db, double *exact_dx)
{
    const size_t n = a->n;
    const double nd = (double)n;
    const char *x = (const char *)a->x + r * n * nb_dtype_size(dt), *dy = (const char *)a->dy + r * n * nb_dtype_size(dt);
    size_t missed = 0;
    for (size_t i = 0; i < n; i++) {
        const double xi = ld(x, i, dt), dyi = ld(dy, i, dt), ai = ld(a->g, i, dt) * dyi;
        struct dw num, term;
        if (norm == NB_RMSNORM_BWD) {
            num = dw_sub(dw_mul((struct dw){ai, 0, 0}, st->d), dw_mul((struct dw){xi, 0, 0}, st->p));
            term = dw_mul((struct dw){dyi * xi, 0, 0}, st->gk); /* dy x: 48 bits */
        } else {
            const struct dw u = scaled_minus(nd, ai, st->a), v = scaled_minus(nd, xi, st->s);
            num = dw_sub(dw_mul(u, st->d), dw_mul(v, st->p));
            term = dw_mul(dw_mul((struct dw){dyi, 0, 0}, v), st->gk);
            column_add(&db[i], (struct dw){dyi, 0, 0});
        }
        /* a numerator that is exactly zero: its inputs make both products 0 */
        if (num.h == 0 && num.l == 0 && num.err == 0) {
            nb_store(a->y, r * n + i, 0.0f, dt);
            if (exact_dx)
                exact_dx[r * n + i] = 0.0;
        } else {
            missed += !put(dw_mul(num, st->f), dt, a->y, r * n + i, exact_dx);
        }
        column_add(&dg[i], term);
    }
    return missed;
}

int reference_bwd_fast(enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a, const struct bwd_exact *exact,
                       size_t *unsure)
{
    const size_t n = a->n;
    *unsure = 0;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(ld(a->g, i, dt)))
            return REF_BWD_FAST_SPECIAL;
    struct column *dg = calloc(n ? n : 1, sizeof *dg), *db = calloc(n ? n : 1, sizeof *db);
    int rc = dg && db ? REF_BWD_FAST_DONE : REF_BWD_FAST_NOMEM;
    for (size_t r = 0; rc == REF_BWD_FAST_DONE && r < a->rows; r++) {
        struct row_stats st;
        if (!row_stats(norm, dt, a, r, &st))
            rc = REF_BWD_FAST_SPECIAL;
        else
            *unsure += row_outputs(norm, dt, a, r, &st, dg, db, exact ? exact->dx : NULL);
    }
    for (size_t i = 0; rc == REF_BWD_FAST_DONE && i < n; i++) {
        *unsure += !column_put(&dg[i], a->rows, dt, a->dg, i, exact ? exact->dg : NULL);
        if (norm == NB_LAYERNORM_BWD)
            *unsure += !column_put(&db[i], a->rows, dt, a->db, i, exact ? exact->db : NULL);
    }
    if (rc == REF_BWD_FAST_DONE && *unsure)
        rc = REF_BWD_FAST_UNSURE;
    free(dg);
    free(db);
    return rc;
}
