/* A sweep's break points, exactly: along the scale axis of each line of the
 * grid (variant, n, eps, distribution), where the variant stops holding
 * (first NaN, Inf or false zero, or for a bounded variant the first error
 * beyond its bound), found by bisection between the grid points that
 * bracket it, to one ULP of the scale in f32; and beside it where the
 * storage type itself starts losing the inputs (overflow to Inf, or flush
 * to zero), so that the kernel's failure is told apart from the format's.
 * The normalised output of these norms is of order one at every scale, so
 * the correctly rounded result fails only where its inputs are lost. */
#ifndef NB_SWEEP_BREAKS_H
#define NB_SWEEP_BREAKS_H

#include <stddef.h>

#include "config.h"
#include "study.h"
#include "sweep_report.h"

/* Fills holds_from, breaks_at, kept_from, lost_from and accurate_from of every row of each
 * scale line of rows[0 .. count) (lines along offsets are left NAN):
 *   holds_from  the smallest scale that holds, where the grid cell below it
 *               does not (the small end's break, underflow);
 *   breaks_at   the smallest scale above the holding range that does not
 *               hold (the large end's break, overflow);
 *   kept_from   the smallest scale whose inputs the storage type keeps,
 *               where the cell below lost them;
 *   lost_from   the smallest scale above the kept range whose inputs are
 *               lost;
 *   accurate_from  nat variants (which have no bound to break): where
 *               underflow starts to cost accuracy, the smallest scale from
 *               which up to the line's cell nearest 1 the error at the
 *               terms stays within twice the line's median error (and at
 *               least 2 ULP), where the cell below it does not; for a
 *               bounded variant holds_from is that point.
 * NAN where the grid brackets no such change ("none in range"). Returns 0,
 * or 3 when out of memory; stops early when interrupted() says so. */
int sweep_find_breaks(struct sweep_row *rows, size_t count, const struct nb_suite *s, struct ref_cache *cache,
                      int (*interrupted)(void));

#endif
