/* Exact MPFR helpers and rounding to a storage format (src/mpfr_exact.c). */
#ifndef NB_MPFR_EXACT_H
#define NB_MPFR_EXACT_H

#include <gmp.h>
#include <mpfr.h>

#include "reference_fast.h"

/* Ziv's loops stop doubling the precision here. */
#define PREC_CAP 65536

/* Bits that hold a sum of `terms` values between 2^lsb and 2^top exactly. */
mpfr_prec_t bits_for_sum(mpfr_exp_t top, mpfr_exp_t lsb, unsigned long terms);
/* r = a, at a's precision */
void set_exact(mpfr_t r, const mpfr_t a);
/* r = a + s*b exactly (s = +1 or -1); r must not alias a or b. */
void add_exact(mpfr_t r, const mpfr_t a, const mpfr_t b, int s);
/* r = a b exactly; r must not alias a or b. */
void mul_exact(mpfr_t r, const mpfr_t a, const mpfr_t b);
/* r = sum of tab[0..count) at precision prec, or exactly when prec == 0. */
void sum_terms(mpfr_t r, mpfr_ptr *tab, size_t count, mpfr_prec_t prec);
/* v rounded once, to nearest even, to format f (subnormals, overflow to
 * infinity), as a double; scratch is any initialised mpfr_t. */
double round_to_format(const mpfr_t v, const struct ref_format *f, mpfr_t scratch);

/* y[i] = v, a value of dt already (the conversion is exact) */
void store_in_format(void *y, size_t i, double v, enum nb_dtype dt);

#endif
