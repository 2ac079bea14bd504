#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double stats_median_inplace(double *v, size_t count)
{
    if (count == 0)
        return NAN;
    qsort(v, count, sizeof *v, cmp_double);
    return count % 2 ? v[count / 2] : 0.5 * (v[count / 2 - 1] + v[count / 2]);
}

int stats_compute(const double *v, size_t count, struct stats *out)
{
    out->count = count;
    if (count == 0) {
        out->min = out->max = out->median = out->mean = out->stddev = out->mad = out->cv = NAN;
        return 0;
    }
    double *tmp = malloc(count * sizeof *tmp);
    if (!tmp)
        return -1;
    double sum = 0;
    out->min = out->max = v[0];
    for (size_t i = 0; i < count; i++) {
        sum += v[i];
        out->min = fmin(out->min, v[i]);
        out->max = fmax(out->max, v[i]);
    }
    out->mean = sum / (double)count;
    double ss = 0;
    for (size_t i = 0; i < count; i++)
        ss += (v[i] - out->mean) * (v[i] - out->mean);
    out->stddev = count > 1 ? sqrt(ss / (double)(count - 1)) : 0.0;
    out->cv = out->mean != 0 ? out->stddev / out->mean : NAN;
    memcpy(tmp, v, count * sizeof *tmp);
    out->median = stats_median_inplace(tmp, count);
    for (size_t i = 0; i < count; i++)
        tmp[i] = fabs(v[i] - out->median);
    out->mad = stats_median_inplace(tmp, count);
    free(tmp);
    return 0;
}
