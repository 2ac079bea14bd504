/* Summary statistics of repeated measurements. */
#ifndef NB_STATS_H
#define NB_STATS_H

#include <stddef.h>

struct stats {
    size_t count;
    double min, max, median, mean, stddev, mad, cv;
};

/* Computes over v[0..count); v is not modified. stddev is the sample
 * standard deviation, computed in two passes around the mean (stable); mad
 * is the median absolute deviation from the median (unscaled); cv is
 * stddev / mean. With count == 0 every field is NaN. Returns -1 if it cannot
 * allocate its scratch copy, else 0. */
int stats_compute(const double *v, size_t count, struct stats *out);

double stats_median_inplace(double *v, size_t count);

#endif
