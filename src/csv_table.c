#include "csv_table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_io.h"

#define MAX_CELLS ((size_t)1 << 24)

struct table_read {
    struct csv_table *t;
    char **row;        /* cells of the row being read */
    size_t row_len, row_cap;
    size_t cap;        /* cells allocated */
    char *err;
    size_t errlen;
};

static int on_field(void *ctx, size_t row, size_t col, const char *text, size_t len)
{
    struct table_read *r = ctx;
    (void)col;
    if (r->row_len == r->row_cap) {
        size_t cap = r->row_cap ? 2 * r->row_cap : 32;
        char **p = realloc(r->row, cap * sizeof *p);
        if (!p)
            return 3;
        r->row = p;
        r->row_cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return 3;
    memcpy(copy, text, len + 1);
    r->row[r->row_len++] = copy;
    (void)row;
    return 0;
}

static int on_row_end(void *ctx, size_t row, size_t ncols)
{
    struct table_read *r = ctx;
    struct csv_table *t = r->t;
    if (row == 1) {
        t->header = r->row;
        t->ncols = ncols;
        r->row = NULL;
        r->row_len = r->row_cap = 0;
        return 0;
    }
    if (ncols != t->ncols) {
        snprintf(r->err, r->errlen, "%s:%zu: %zu fields, but the header has %zu", t->path, row, ncols, t->ncols);
        return 2;
    }
    if ((t->nrows + 1) * t->ncols > MAX_CELLS) {
        snprintf(r->err, r->errlen, "%s:%zu: more than %zu cells", t->path, row, MAX_CELLS);
        return 2;
    }
    if ((t->nrows + 1) * t->ncols > r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 1024;
        while (cap < (t->nrows + 1) * t->ncols)
            cap *= 2;
        char **p = realloc(t->cells, cap * sizeof *p);
        if (!p)
            return 3;
        t->cells = p;
        r->cap = cap;
    }
    memcpy(t->cells + t->nrows * t->ncols, r->row, ncols * sizeof *r->row);
    t->nrows++;
    r->row_len = 0;
    return 0;
}

int csv_table_read(const char *path, struct csv_table *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->path = strdup(path);
    struct table_read r = {.t = t, .err = err, .errlen = errlen};
    struct csv_reader_calls calls = {on_field, on_row_end, &r};
    int rc = t->path ? csv_read_file(path, &calls, err, errlen) : 3;
    for (size_t i = 0; i < r.row_len; i++)
        free(r.row[i]);
    free(r.row);
    if (rc == 3)
        snprintf(err, errlen, "%s: out of memory", path);
    if (rc == 0 && !t->header) {
        snprintf(err, errlen, "%s: empty: no header row", path);
        rc = 2;
    }
    if (rc)
        csv_table_free(t);
    return rc;
}

void csv_table_free(struct csv_table *t)
{
    for (size_t i = 0; t->header && i < t->ncols; i++)
        free(t->header[i]);
    for (size_t i = 0; t->cells && i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->header);
    free(t->cells);
    free(t->path);
    memset(t, 0, sizeof *t);
}

void csv_table_keep_rows(struct csv_table *t, const unsigned char *keep)
{
    size_t kept = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        char **row = t->cells + i * t->ncols;
        if (!keep[i]) {
            for (size_t c = 0; c < t->ncols; c++)
                free(row[c]);
            continue;
        }
        memmove(t->cells + kept * t->ncols, row, t->ncols * sizeof *row);
        kept++;
    }
    t->nrows = kept;
}

int csv_table_same(const struct csv_table *t, size_t a, size_t b, int col)
{
    return strcmp(csv_table_get(t, a, col), csv_table_get(t, b, col)) == 0;
}

int csv_table_col(const struct csv_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->header[i], name) == 0)
            return (int)i;
    return -1;
}

const char *csv_table_get(const struct csv_table *t, size_t row, int col)
{
    if (col < 0 || (size_t)col >= t->ncols || row >= t->nrows)
        return "";
    return t->cells[row * t->ncols + (size_t)col];
}

double csv_table_num(const struct csv_table *t, size_t row, int col)
{
    const char *s = csv_table_get(t, row, col);
    char *end;
    double v = strtod(s, &end);
    return (*s && *end == '\0') ? v : NAN;
}
