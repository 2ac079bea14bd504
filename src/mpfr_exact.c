/* Exact MPFR arithmetic (each result's precision chosen so that the
 * operation cannot round) and rounding once to a storage format: shared by
 * the forward and backward references. */
#include "mpfr_exact.h"

#include <math.h>

#include "../kernels/kernel.h"

/* ---- exact arithmetic helpers: the result's precision is chosen so that
 * the operation cannot round ---- */

mpfr_prec_t bits_for_sum(mpfr_exp_t top, mpfr_exp_t lsb, unsigned long terms)
{
    mpfr_prec_t p = (mpfr_prec_t)(top - lsb) + 2;
    while (terms > 1) {
        p++;
        terms >>= 1;
    }
    return p < MPFR_PREC_MIN ? MPFR_PREC_MIN : p;
}

void set_exact(mpfr_t r, const mpfr_t a)
{
    mpfr_set_prec(r, mpfr_get_prec(a));
    mpfr_set(r, a, MPFR_RNDN);
}

/* r = a + s*b exactly (s = +1 or -1); r must not alias a or b. */
void add_exact(mpfr_t r, const mpfr_t a, const mpfr_t b, int s)
{
    if (!mpfr_regular_p(a) || !mpfr_regular_p(b)) {
        mpfr_prec_t pa = mpfr_get_prec(a), pb = mpfr_get_prec(b);
        mpfr_set_prec(r, pa > pb ? pa : pb);
    } else {
        mpfr_exp_t ea = mpfr_get_exp(a), eb = mpfr_get_exp(b);
        mpfr_exp_t la = ea - (mpfr_exp_t)mpfr_min_prec(a), lb = eb - (mpfr_exp_t)mpfr_min_prec(b);
        mpfr_set_prec(r, bits_for_sum(ea > eb ? ea : eb, la < lb ? la : lb, 2));
    }
    if (s > 0)
        mpfr_add(r, a, b, MPFR_RNDN);
    else
        mpfr_sub(r, a, b, MPFR_RNDN);
}

void mul_exact(mpfr_t r, const mpfr_t a, const mpfr_t b)
{
    mpfr_prec_t p = mpfr_min_prec(a) + mpfr_min_prec(b);
    mpfr_set_prec(r, p < MPFR_PREC_MIN ? MPFR_PREC_MIN : p);
    mpfr_mul(r, a, b, MPFR_RNDN);
}

/* r = sum of tab[0..count) at precision prec, or exactly when prec == 0. */
void sum_terms(mpfr_t r, mpfr_ptr *tab, size_t count, mpfr_prec_t prec)
{
    if (prec == 0) {
        mpfr_exp_t top = 0, lsb = 0;
        int any = 0;
        for (size_t j = 0; j < count; j++) {
            if (!mpfr_regular_p(tab[j]))
                continue;
            mpfr_exp_t e = mpfr_get_exp(tab[j]), l = e - (mpfr_exp_t)mpfr_min_prec(tab[j]);
            if (!any || e > top) top = e;
            if (!any || l < lsb) lsb = l;
            any = 1;
        }
        prec = any ? bits_for_sum(top, lsb, count) : MPFR_PREC_MIN;
    }
    mpfr_set_prec(r, prec);
    mpfr_sum(r, (const mpfr_ptr *)tab, count, MPFR_RNDN);
}

/* ---- rounding to the target format ---- */

double round_to_format(const mpfr_t v, const struct ref_format *f, mpfr_t scratch)
{
    if (mpfr_nan_p(v))
        return NAN;
    if (mpfr_inf_p(v))
        return mpfr_sgn(v) > 0 ? INFINITY : -INFINITY;
    if (mpfr_zero_p(v))
        return mpfr_signbit(v) ? -0.0 : 0.0;
    mpfr_exp_t e = mpfr_get_exp(v);
    long q = (e > f->emin ? (long)e : f->emin) - f->p; /* exponent of one ulp */
    mpfr_prec_t sp = mpfr_get_prec(v);
    mpfr_set_prec(scratch, sp > f->p + 2 ? sp : f->p + 2);
    mpfr_mul_2si(scratch, v, -q, MPFR_RNDN);       /* exact */
    mpfr_rint(scratch, scratch, MPFR_RNDN);        /* ties to even, exact: < 2^(p+1) */
    double r = ldexp(mpfr_get_d(scratch, MPFR_RNDN), (int)q);
    if (fabs(r) >= ldexp(1.0, (int)f->emax))
        return r > 0 ? INFINITY : -INFINITY;
    if (r == 0.0)
        return mpfr_signbit(v) ? -0.0 : 0.0;
    return r;
}

void store_in_format(void *y, size_t i, double v, enum nb_dtype dt)
{
    /* v is a value of the format already: these conversions are exact */
    if (dt == NB_F32)
        ((float *)y)[i] = (float)v;
    else if (dt == NB_BF16)
        ((uint16_t *)y)[i] = nb_f32_to_bf16((float)v);
    else
        ((uint16_t *)y)[i] = nb_f32_to_f16((float)v);
}
