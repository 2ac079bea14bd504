/* Tensors in CSV: one row per line, values in decimal or C99 hex-float,
 * rounded once to the storage type. */
#ifndef NB_TENSOR_CSV_H
#define NB_TENSOR_CSV_H

#include <stddef.h>
#include "../kernels/kernel.h"

struct nb_tensor {
    enum nb_dtype dtype;
    size_t rows, n;
    void *data;       /* rows x n values of dtype, 64-byte aligned; free() it */
    size_t inexact;   /* values that were not exactly representable */
};

/* Refuse tensors larger than this many values (a CSV this large is not an
 * input anyone writes by hand; it also bounds memory). */
#define NB_TENSOR_MAX_VALUES ((size_t)1 << 28)

/* Returns 0, 2 with "path:row:col: what" in err for bad input, 3 when out
 * of memory. */
int tensor_csv_read(const char *path, enum nb_dtype dt, struct nb_tensor *t, char *err, size_t errlen);

/* Parses one value (decimal, hex-float, inf, nan) and rounds it once to dt.
 * Returns 0 and the value as float, or -1 if text is not a number.
 * *inexact is set when rounding changed the value. */
int parse_value(const char *text, enum nb_dtype dt, float *out, int *inexact);

/* Writes t (to stdout when path is NULL), each value printed so that it
 * reads back exactly. Returns 0 or 3 with the reason in err; a file appears
 * only when complete. */
int tensor_csv_write(const char *path, const struct nb_tensor *t, int hex, char *err, size_t errlen);

#endif
