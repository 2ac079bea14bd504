#include "tensor_csv.h"

#include "results.h"

#include <ctype.h>
#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_io.h"
#include "reference.h"

int parse_value(const char *text, enum nb_dtype dt, float *out, int *inexact)
{
    while (isspace((unsigned char)*text))
        text++;
    if (*text == '\0' || *text == '@')
        return -1;
    /* Parse toward zero at 53 bits and set the last bit if that was
     * inexact: round-to-odd, which keeps the following rounding to the
     * format (at most 24 bits, so 53 >= p + 2) a single correct rounding.
     * strtod then a rounding would round twice. */
    mpfr_t v;
    mpfr_init2(v, 53);
    char *end;
    int ternary = mpfr_strtofr(v, text, &end, 0, MPFR_RNDZ);
    while (isspace((unsigned char)*end))
        end++;
    if (end == text || *end != '\0') {
        mpfr_clear(v);
        return -1;
    }
    double dv = mpfr_get_d(v, MPFR_RNDZ);
    int was_nan = mpfr_nan_p(v), was_inf = mpfr_inf_p(v);
    mpfr_clear(v);
    if (ternary != 0 && isfinite(dv) && dv != 0.0) {
        uint64_t bits;
        memcpy(&bits, &dv, sizeof bits);
        bits |= 1u;
        memcpy(&dv, &bits, sizeof bits);
    }
    double rounded = was_nan ? NAN : reference_round_double(dv, dt);
    *inexact = !was_nan && (ternary != 0 || (rounded != dv && !was_inf));
    *out = (float)rounded;
    return 0;
}

struct tensor_read {
    const char *path;
    enum nb_dtype dt;
    float *values;
    size_t count, cap;
    size_t n;            /* values per row, from the first row */
    size_t inexact;
    char *err;
    size_t errlen;
};

static int on_value(void *ctx, size_t row, size_t col, const char *text, size_t len)
{
    struct tensor_read *tr = ctx;
    (void)len;
    float v;
    int inexact = 0;
    if (parse_value(text, tr->dt, &v, &inexact) != 0) {
        char shown[40];
        snprintf(shown, sizeof shown, "%s", text);
        snprintf(tr->err, tr->errlen, "%s:%zu:%zu: not a number: '%s'%s", tr->path, row, col, shown,
                 strlen(text) >= sizeof shown ? "..." : "");
        return 2;
    }
    if (tr->count == tr->cap) {
        if (tr->cap >= NB_TENSOR_MAX_VALUES) {
            snprintf(tr->err, tr->errlen, "%s:%zu:%zu: more than %zu values", tr->path, row, col,
                     (size_t)NB_TENSOR_MAX_VALUES);
            return 2;
        }
        size_t cap = tr->cap ? tr->cap * 2 : 1024;
        float *p = realloc(tr->values, cap * sizeof *p);
        if (!p) {
            snprintf(tr->err, tr->errlen, "%s: out of memory after %zu values", tr->path, tr->count);
            return 3;
        }
        tr->values = p;
        tr->cap = cap;
    }
    tr->values[tr->count++] = v;
    tr->inexact += (size_t)inexact;
    return 0;
}

static int on_row_end(void *ctx, size_t row, size_t ncols)
{
    struct tensor_read *tr = ctx;
    if (row == 1)
        tr->n = ncols;
    else if (ncols != tr->n) {
        snprintf(tr->err, tr->errlen, "%s:%zu: %zu values, but row 1 has %zu", tr->path, row, ncols, tr->n);
        return 2;
    }
    return 0;
}

int tensor_csv_read(const char *path, enum nb_dtype dt, struct nb_tensor *t, char *err, size_t errlen)
{
    struct tensor_read tr = {.path = path, .dt = dt, .err = err, .errlen = errlen};
    struct csv_reader_calls calls = {on_value, on_row_end, &tr};
    memset(t, 0, sizeof *t);
    int rc = csv_read_file(path, &calls, err, errlen);
    if (rc == 0 && tr.count == 0) {
        snprintf(err, errlen, "%s: no values", path);
        rc = 2;
    }
    if (rc != 0) {
        free(tr.values);
        return rc;
    }
    size_t es = nb_dtype_size(dt);
    size_t bytes = (tr.count * es + 63) / 64 * 64;
    void *data = aligned_alloc(64, bytes);
    if (!data) {
        free(tr.values);
        snprintf(err, errlen, "%s: out of memory", path);
        return 3;
    }
    for (size_t i = 0; i < tr.count; i++)
        nb_store(data, i, tr.values[i], dt); /* exact: values are already in dt */
    free(tr.values);
    t->dtype = dt;
    t->rows = tr.count / tr.n;
    t->n = tr.n;
    t->data = data;
    t->inexact = tr.inexact;
    return 0;
}

int tensor_csv_write(const char *path, const struct nb_tensor *t, int hex, char *err, size_t errlen)
{
    struct csv_out out;
    int rc = path ? csv_out_open(&out, path, err, errlen) : csv_out_open_stream(&out, stdout);
    if (rc)
        return rc;
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t i = 0; i < t->n; i++) {
            float v = nb_load(t->data, r * t->n + i, t->dtype);
            /* the shortest decimal that reads back as this double: a reader
             * parsing doubles (Python's float()) gets the stored value, not
             * one nine digits near it */
            char buf[48];
            if (isnan(v))
                csv_out_field(&out, "nan");
            else if (isinf(v))
                csv_out_field(&out, v > 0 ? "inf" : "-inf");
            else if (hex)
                csv_out_fieldf(&out, "%a", (double)v);
            else {
                format_double(buf, sizeof buf, (double)v);
                csv_out_field(&out, buf);
            }
        }
        csv_out_end_row(&out);
    }
    return csv_out_commit(&out, err, errlen);
}
