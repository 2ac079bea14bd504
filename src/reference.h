/* The correctly rounded reference: MPFR from the exact stored inputs,
 * rounded once to the storage type. */
#ifndef NB_REFERENCE_H
#define NB_REFERENCE_H

#include "../kernels/kernel.h"

#define NB_REF_DEFAULT_PREC 256

/* How reference_compute gets there: the fast path (reference_fast.c),
 * which hands MPFR each row it cannot decide, or MPFR for every row.
 * Both give the same bits. */
enum ref_method { REF_METHOD_FAST, REF_METHOD_MPFR };

/* What a computation did, added to by each call. */
struct ref_counts {
    size_t values;          /* outputs computed */
    size_t fallback_rows;   /* rows the fast path handed to MPFR (special inputs or undecided outputs) */
    size_t fallback_values; /* their outputs */
    size_t special_rows;    /* of those, rows with NaN or Inf inputs or out of the fast path's range */
    size_t unsure;          /* outputs the fast bound left undecided (ties, near-ties) */
    size_t undecided;       /* outputs MPFR could not decide within its precision cap (none seen; rounded
                               to nearest) */
};

/* Normalises a->rows rows like a kernel of `norm` with storage type dt.
 * y (may be NULL) gets the correctly rounded results in dt; exact (may be
 * NULL) gets, per element, the double nearest the exact result, which the
 * accuracy metrics measure errors against. addrmsnorm also overwrites
 * a->residual with x + residual, correctly rounded, as its kernels do.
 * counts (may be NULL) is added to. Returns 0, or -1 when out of memory
 * (then the outputs are incomplete). */
int reference_compute(enum nb_norm norm, enum nb_dtype dt, const struct nb_args *a, void *y, double *exact,
                      enum ref_method method, struct ref_counts *counts);

/* "fast" or "mpfr": 0, or -1 for anything else. */
int ref_method_parse(const char *text, enum ref_method *m);
const char *ref_method_name(enum ref_method m);

/* Rounds a double once, to nearest even, to dt (with subnormals and overflow
 * to infinity) and returns the result as a double. */
double reference_round_double(double v, enum nb_dtype dt);

/* The references as registry entries (kernels/variants.def), with the
 * signature of every kernel: NORM_ref_mpfr_DT calling kernel(NORM, DT, a). */
#define NB_REF_ENTRY(norm, NORM, dt, DT, kernel)                               \
    void norm##_ref_mpfr_##dt(const struct nb_args *a)                          \
    {                                                                           \
        kernel(NORM, DT, a);                                                    \
    }
#define NB_REF_ENTRIES(norm, NORM, kernel)                                     \
    NB_REF_ENTRY(norm, NORM, f32, NB_F32, kernel)                               \
    NB_REF_ENTRY(norm, NORM, bf16, NB_BF16, kernel)                             \
    NB_REF_ENTRY(norm, NORM, f16, NB_F16, kernel)

#endif
