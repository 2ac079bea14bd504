/* Tensors in NumPy's .npy format (format versions 1.0 to 3.0, as
 * numpy.save writes them): little-endian float32 ('<f4') for f32, float16
 * ('<f2') for f16, and bf16 as its uint16 bit patterns ('<u2'), 1-D (one
 * row) or 2-D (rows x n), C order. No Debian package reads .npy from C;
 * the format is a magic string, a header length, a Python dict literal
 * and the raw values. */
#ifndef NB_TENSOR_NPY_H
#define NB_TENSOR_NPY_H

#include <stddef.h>

#include "tensor_csv.h"

/* 1 when path names a .npy file (by its extension), else 0. */
int tensor_npy_path(const char *path);

/* Reads path into t as dt. Returns 0, 2 with "path: what" in err for a file
 * that is not a .npy of dt (bad magic or header, another dtype, big-endian,
 * Fortran order, not 1-D or 2-D, truncated, trailing bytes), 3 when out of
 * memory or unreadable. */
int tensor_npy_read(const char *path, enum nb_dtype dt, struct nb_tensor *t, char *err, size_t errlen);

/* Writes t as a version 1.0 .npy (2-D, rows x n). Returns 0 or 3 with the
 * reason in err; the file appears only when complete. */
int tensor_npy_write(const char *path, const struct nb_tensor *t, char *err, size_t errlen);

/* .npy or CSV by path's extension: tensor_npy_read or tensor_csv_read. */
int tensor_read_any(const char *path, enum nb_dtype dt, struct nb_tensor *t, char *err, size_t errlen);

#endif
