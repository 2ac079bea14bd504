#include "accuracy.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

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

/* 2^k for k in double's normal range, from its bits */
static inline double pow2(int k)
{
    uint64_t bits = (uint64_t)(k + 1023) << 52;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* on the bits of the double: this runs once or twice per checked output */
static inline double ulp_of(double v, const struct format_limits *f)
{
    uint64_t bits;
    double a = fabs(v);
    memcpy(&bits, &a, sizeof bits);
    int e = (int)(bits >> 52) - 1023; /* a in [2^e, 2^(e+1)); NaN and Inf: 1024 */
    if (a == 0.0 || isnan(a) || e < f->emin)
        e = f->emin;
    else if (e > f->emax)
        e = f->emax;
    return pow2(e - f->p + 1);
}

double accuracy_ulp(double v, enum nb_dtype dt)
{
    return ulp_of(v, &limits[dt]);
}

static inline double ulp_error(double y, double exact, double rounded, const struct format_limits *f)
{
    if (isnan(exact) || isnan(rounded))
        return isnan(y) ? 0.0 : INFINITY;
    if (isnan(y))
        return INFINITY;
    if (isinf(y))
        return (y == rounded || y == exact) ? 0.0 : INFINITY;
    if (isinf(exact))
        return INFINITY; /* finite y, infinite exact value */
    return fabs(y - exact) / ulp_of(exact, f);
}

double accuracy_ulp_error(double y, double exact, double rounded, enum nb_dtype dt)
{
    return ulp_error(y, exact, rounded, &limits[dt]);
}

void accuracy_add(struct accuracy_summary *s, double y, double exact, double rounded, enum nb_dtype dt)
{
    accuracy_add_scaled(s, y, exact, rounded, fabs(exact), dt);
}

static inline void add_one(struct accuracy_summary *s, double y, double exact, double rounded, double scale,
                           const struct format_limits *f)
{
    double ulp = ulp_error(y, exact, rounded, f);
    double terms = ulp;
    /* an infinite y that is the correctly rounded overflow has its plain
     * error (0), not an infinite distance from the finite exact value */
    if (isfinite(ulp) && isfinite(exact) && isfinite(y) && scale > fabs(exact))
        terms = fabs(y - exact) / ulp_of(scale, f);
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
    if (y == 0.0 && rounded != 0.0 && isfinite(rounded) && fabs(exact) >= ulp_of(scale, f))
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

void accuracy_add_scaled(struct accuracy_summary *s, double y, double exact, double rounded, double scale,
                         enum nb_dtype dt)
{
    add_one(s, y, exact, rounded, scale, &limits[dt]);
}

static double max_or_nan(double a, double b)
{
    return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
}

void accuracy_add_gradient(struct accuracy_summary *s, enum nb_grad k, double y, double exact, double rounded,
                           double scale, enum nb_dtype dt)
{
    struct accuracy_summary one = {0};
    add_one(&one, y, exact, rounded, scale, &limits[dt]);
    s->grad_max_ulp_terms[k] = s->grad_count[k] ? max_or_nan(s->grad_max_ulp_terms[k], one.max_ulp_terms)
                                                : one.max_ulp_terms;
    s->grad_count[k]++;
    accuracy_merge(s, &one);
}

void accuracy_add_row(struct accuracy_summary *s, const void *y, const void *rounded, const double *exact,
                      const double *scale, size_t n, enum nb_dtype dt)
{
    const struct format_limits *f = &limits[dt];
    for (size_t i = 0; i < n; i++)
        add_one(s, nb_load(y, i, dt), exact[i], nb_load(rounded, i, dt), scale ? scale[i] : fabs(exact[i]), f);
}


void accuracy_merge(struct accuracy_summary *s, const struct accuracy_summary *t)
{
    s->count += t->count;
    s->max_ulp = max_or_nan(s->max_ulp, t->max_ulp);
    s->sum_ulp += t->sum_ulp;
    s->max_rel = s->max_rel > t->max_rel ? s->max_rel : t->max_rel;
    s->sum_rel2 += t->sum_rel2;
    s->sum_err2 += t->sum_err2;
    s->sum_ref2 += t->sum_ref2;
    s->correctly_rounded += t->correctly_rounded;
    s->nan += t->nan;
    s->pos_inf += t->pos_inf;
    s->neg_inf += t->neg_inf;
    s->false_zero += t->false_zero;
    s->false_nonfinite += t->false_nonfinite;
    s->max_ulp_terms = max_or_nan(s->max_ulp_terms, t->max_ulp_terms);
    s->twin_count += t->twin_count;
    s->twin_equal += t->twin_equal;
    s->twin_max_ulp = max_or_nan(s->twin_max_ulp, t->twin_max_ulp);
    for (int k = 0; k < NB_GRAD_COUNT; k++) {
        if (t->grad_count[k])
            s->grad_max_ulp_terms[k] = s->grad_count[k] ? max_or_nan(s->grad_max_ulp_terms[k], t->grad_max_ulp_terms[k])
                                                        : t->grad_max_ulp_terms[k];
        s->grad_count[k] += t->grad_count[k];
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
