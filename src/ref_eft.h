/* Error-free transformations and the bounds of summation shared by the
 * fast paths of the references (reference_fast.c, reference_bwd_fast.c). */
#ifndef NB_REF_EFT_H
#define NB_REF_EFT_H

#include <math.h>
#include <stddef.h>

#if defined(__x86_64__) || defined(__i386__)
typedef __float128 quad; /* libgcc's soft binary128, correctly rounded */
#else
typedef long double quad; /* binary128 on aarch64 */
#endif

#define U 0x1p-53

/* ---- error-free transformations ---- */

static inline __attribute__((always_inline)) void two_sum(double a, double b, double *s, double *e)
{
    double x = a + b, bv = x - a, av = x - bv;
    *s = x;
    *e = (a - av) + (b - bv);
}

static inline __attribute__((always_inline)) void fast_two_sum(double a, double b, double *s, double *e) /* |a| >= |b| */
{
    double x = a + b;
    *s = x;
    *e = b - (x - a);
}

/* fma is exact-then-rounded everywhere: one instruction in the clones
 * built for CPUs with FMA (FAST_CLONES), glibc's otherwise */
static inline __attribute__((always_inline)) void two_prod(double a, double b, double *p, double *e)
{
    *p = a * b;
    *e = fma(a, b, -*p);
}

/* The per-row functions are built twice on x86-64, for CPUs with FMA and
 * without, and the loader picks one (GCC's target_clones). */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define FAST_CLONES __attribute__((target_clones("fma", "default")))
#endif
#endif
#ifndef FAST_CLONES
#define FAST_CLONES
#endif

static inline double gamma_sq(size_t m)
{
    double g = (double)m * U / (1 - (double)m * U);
    return g * g;
}

/* Dot2 step: p + sigma += a b */
static inline __attribute__((always_inline)) void dot2_add(double a, double b, double *p, double *sg)
{
    double h, r, q;
    two_prod(a, b, &h, &r);
    two_sum(*p, h, p, &q);
    *sg += q + r;
}

#endif
