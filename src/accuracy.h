/* Error of kernel outputs against the correctly rounded reference. */
#ifndef NB_ACCURACY_H
#define NB_ACCURACY_H

#include <stddef.h>
#include "../kernels/kernel.h"

/* The unit in the last place of the storage type at the exact value v:
 * 2^(max(e, emin) - p + 1) with e = floor(log2 |v|), emin the smallest
 * normal exponent (so subnormals share the smallest subnormal's ulp), the
 * smallest subnormal at v = 0, and the largest finite binade's ulp beyond
 * the largest finite value. */
double accuracy_ulp(double v, enum nb_dtype dt);

/* |y - exact| in ULPs of dt at the exact value (see accuracy_ulp). A
 * correctly rounded result is at most 0.5. Infinite results: 0 when y is the
 * correctly rounded infinity (or the exact value is that infinity), else
 * +Inf; NaN is 0 against a NaN reference, else +Inf. */
double accuracy_ulp_error(double y, double exact, double rounded, enum nb_dtype dt);

enum nb_grad { NB_GRAD_DX, NB_GRAD_DG, NB_GRAD_DB, NB_GRAD_COUNT };

struct accuracy_summary {
    size_t count;
    double max_ulp, sum_ulp;
    double max_rel, sum_rel2;
    double sum_err2, sum_ref2;   /* for the normalised mean squared error */
    size_t correctly_rounded;     /* y equals the correctly rounded value */
    size_t nan, pos_inf, neg_inf; /* non-finite outputs */
    size_t false_zero;            /* y == 0 where the rounded reference is finite, non-zero */
    size_t false_nonfinite;       /* y NaN or infinite where the rounded reference is finite */
    double max_ulp_terms;         /* ULPs at the magnitude of the terms summed (see accuracy_add_scaled) */
    /* llama-mode variants: their outputs against the same ISA's `up`
     * variant on the same inputs (study.c), in ULPs of up's outputs */
    size_t twin_count, twin_equal;
    double twin_max_ulp;
    size_t inputs_lost;           /* studies: inputs that overflowed or flushed to zero when stored, counted
                                     when any overflowed or at least 1% flushed (else 0) */
    /* backward variants: the figures above cover dx, dg and db together;
     * these split max_ulp_terms by gradient (count 0: not a gradient) */
    size_t grad_count[NB_GRAD_COUNT];
    double grad_max_ulp_terms[NB_GRAD_COUNT];
};

/* Adds one output: y (the kernel's, as stored), exact (the double nearest
 * the exact result) and rounded (the correctly rounded result). */
void accuracy_add(struct accuracy_summary *s, double y, double exact, double rounded, enum nb_dtype dt);

/* As accuracy_add, and also the error in ULPs taken at max(|exact|, scale):
 * for outputs that are sums of terms that can cancel (layernorm's
 * (x - mu) r g + b, gemma's 1 + g), scale is the magnitude of the terms, and
 * this measure speaks of the kernel's rounding rather than the cancellation
 * every kernel inherits. accuracy_add uses scale = |exact|. */
void accuracy_add_scaled(struct accuracy_summary *s, double y, double exact, double rounded, double scale,
                         enum nb_dtype dt);

/* accuracy_add_scaled over one row: y and rounded in dt, scale NULL for
 * |exact|. */
void accuracy_add_row(struct accuracy_summary *s, const void *y, const void *rounded, const double *exact,
                      const double *scale, size_t n, enum nb_dtype dt);

/* accuracy_add_scaled for gradient k of a backward variant, counted in
 * grad_count[k] and grad_max_ulp_terms[k] too */
void accuracy_add_gradient(struct accuracy_summary *s, enum nb_grad k, double y, double exact, double rounded,
                           double scale, enum nb_dtype dt);

/* s += t, as if t's outputs had been added to s one by one (inputs_lost
 * is left alone). */
void accuracy_merge(struct accuracy_summary *s, const struct accuracy_summary *t);

double accuracy_mean_ulp(const struct accuracy_summary *s);
double accuracy_rms_rel(const struct accuracy_summary *s);
double accuracy_nmse(const struct accuracy_summary *s);

#endif
