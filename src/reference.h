/* The correctly rounded reference: MPFR from the exact stored inputs,
 * rounded once to the storage type. */
#ifndef NB_REFERENCE_H
#define NB_REFERENCE_H

#include "../kernels/kernel.h"

#define NB_REF_DEFAULT_PREC 256

/* Normalises a->rows rows like a kernel of `norm` with storage type dt.
 * y (may be NULL) gets the correctly rounded results in dt; exact (may be
 * NULL) gets, per element, the double nearest the exact result, which the
 * accuracy metrics measure errors against. addrmsnorm also overwrites
 * a->residual with x + residual, correctly rounded, as its kernels do.
 * *undecided (may be NULL) gets the number of elements whose rounding could
 * not be decided within the precision cap (0 in every case seen; rounded to
 * nearest if it happens). Returns 0, or -1 when out of memory (nothing
 * written). */
int reference_compute(enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a, void *y, double *exact,
                      size_t *undecided);

/* Rounds a double once, to nearest even, to dt (with subnormals and overflow
 * to infinity) and returns the result as a double. */
double reference_round_double(double v, enum nb_dtype dt);

#endif
