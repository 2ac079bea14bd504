#include "accuracy.h"

#include <math.h>

struct format_limits {
    int p;       /* significand bits */
    int emin;    /* exponent of the smallest normal, 2^emin */
    int emax;    /* exponent of the largest finite binade */
};

static const struct format_limits limits[NB_DTYPE_COUNT] = {
    [NB_F32] = {24, -126, 127},
    [NB_BF16] = {8, -126, 127},
    [NB_F16] = {11, -14, 15},
};

double accuracy_ulp(double v, enum nb_dtype dt)
{
    const struct format_limits *f = &limits[dt];
    double a = fabs(v);
    int e;
    if (a == 0.0 || isnan(a))
        e = f->emin;
    else if (isinf(a))
        e = f->emax;
    else {
        (void)frexp(a, &e);
        e -= 1; /* a in [2^e, 2^(e+1)) */
        if (e < f->emin)
            e = f->emin;
        if (e > f->emax)
            e = f->emax;
    }
    return ldexp(1.0, e - f->p + 1);
}

double accuracy_ulp_error(double y, double exact, double rounded, enum nb_dtype dt)
{
    if (isnan(exact) || isnan(rounded))
        return isnan(y) ? 0.0 : INFINITY;
    if (isnan(y))
        return INFINITY;
    if (isinf(y))
        return (y == rounded || y == exact) ? 0.0 : INFINITY;
    if (isinf(exact))
        return INFINITY; /* finite y, infinite exact value */
    return fabs(y - exact) / accuracy_ulp(exact, dt);
}

void accuracy_add(struct accuracy_summary *s, double y, double exact, double rounded, enum nb_dtype dt)
{
    accuracy_add_scaled(s, y, exact, rounded, fabs(exact), dt);
}

void accuracy_add_scaled(struct accuracy_summary *s, double y, double exact, double rounded, double scale,
                         enum nb_dtype dt)
{
    double ulp = accuracy_ulp_error(y, exact, rounded, dt);
    double terms = ulp;
    if (isfinite(ulp) && isfinite(exact) && scale > fabs(exact))
        terms = fabs(y - exact) / accuracy_ulp(scale, dt);
    if (terms > s->max_ulp_terms || isnan(terms))
        s->max_ulp_terms = terms;
    s->count++;
    if (ulp > s->max_ulp || isnan(ulp))
        s->max_ulp = ulp;
    s->sum_ulp += ulp;
    if (isnan(y))
        s->nan++;
    else if (isinf(y))
        (y > 0 ? s->pos_inf++ : s->neg_inf++);
    /* a zero is false where the exact value is at least an ULP at the
     * terms' magnitude: LayerNorm's t + b can cancel to below that, and a
     * zero there is a small error at the terms (max_ulp_terms), not a break */
    if (y == 0.0 && rounded != 0.0 && isfinite(rounded) && fabs(exact) >= accuracy_ulp(scale, dt))
        s->false_zero++;
    if (!isfinite(y) && isfinite(rounded))
        s->false_nonfinite++;
    if (y == rounded || (isnan(y) && isnan(rounded)))
        s->correctly_rounded++;
    if (isfinite(exact)) {
        double rel;
        if (exact == 0.0)
            rel = y == 0.0 ? 0.0 : INFINITY;
        else
            rel = isfinite(y) ? fabs(y - exact) / fabs(exact) : INFINITY;
        if (rel > s->max_rel)
            s->max_rel = rel;
        s->sum_rel2 += rel * rel;
        double d = isfinite(y) ? y - exact : INFINITY;
        s->sum_err2 += d * d;
        s->sum_ref2 += exact * exact;
    }
}

double accuracy_mean_ulp(const struct accuracy_summary *s)
{
    return s->count ? s->sum_ulp / (double)s->count : NAN;
}

double accuracy_rms_rel(const struct accuracy_summary *s)
{
    return s->count ? sqrt(s->sum_rel2 / (double)s->count) : NAN;
}

double accuracy_nmse(const struct accuracy_summary *s)
{
    return s->sum_ref2 > 0 ? s->sum_err2 / s->sum_ref2 : NAN;
}
