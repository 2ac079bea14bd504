/* The fast path of the correctly rounded reference: double-word arithmetic
 * with a proven bound on its error, which decides the rounding of almost
 * every output; rows it cannot decide go to MPFR (reference.c). */
#ifndef NB_REFERENCE_FAST_H
#define NB_REFERENCE_FAST_H

#include "../kernels/kernel.h"

/* A storage format as the rounding sees it: p significand bits, smallest
 * normal 2^(emin-1), every finite value below 2^emax. */
struct ref_format {
    int p;
    long emin, emax;
};

extern const struct ref_format ref_formats[NB_DTYPE_COUNT];

enum ref_fast_status {
    REF_FAST_DONE,    /* every output of the row decided and written */
    REF_FAST_SPECIAL, /* NaN or Inf inputs, eps < 0, or values outside the range the bound covers */
    REF_FAST_UNSURE   /* an output the bound could not decide (a tie or a near-tie) */
};

/* Per call: the inputs every row shares, converted once. */
struct ref_fast_ctx {
    enum nb_norm norm;
    enum nb_dtype dt;
    const struct nb_args *a;
    size_t count;     /* values the statistics cover (prmsnorm's k) */
    double *h;        /* n: the row the norm sees, as doubles */
    double *g, *b;    /* n: gains (1 + g for gemmarmsnorm) and biases */
    double *work;     /* 3 n: layernorm's approximations and bounds */
    int wide_gain;    /* gemmarmsnorm: 1 + g has up to 53 bits, x (1 + g) two doubles */
    int shared_ok;    /* g and b finite */
};

/* 0, or -1 when out of memory. */
int ref_fast_init(struct ref_fast_ctx *c, enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a);
void ref_fast_free(struct ref_fast_ctx *c);

/* Computes row `row` into y and exact (either may be NULL). Writes
 * addrmsnorm's residual only when it returns REF_FAST_DONE. On another
 * status the row's outputs are partly written and must be recomputed;
 * *unsure gets the number of outputs the bound left undecided. */
enum ref_fast_status ref_fast_row(const struct ref_fast_ctx *c, size_t row, void *y, double *exact,
                                  size_t *unsure);

/* Does every real within err of th + tl (|tl| at most half an ulp of th)
 * round to the same value of f and to the same double? Then *rounded and
 * *nearest get them: 1; else 0. */
int ref_fast_decide(double th, double tl, double err, const struct ref_format *f, double *rounded, double *nearest);

/* The format value nearest v (ties to even, overflow to infinity), and the
 * bounds of the interval of reals that round to it. */
double ref_round_cell(double v, const struct ref_format *f, double *lo, double *hi);

#endif
