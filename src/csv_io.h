/* CSV through libcsv: a streaming reader that reports row and column
 * numbers, and a writer that writes to a temporary name and renames on
 * success, so that no reader ever sees a half-written file. */
#ifndef NB_CSV_IO_H
#define NB_CSV_IO_H

#include <stddef.h>
#include <stdio.h>

/* Called per field (row and col from 1) and at the end of each row. Return
 * non-zero to stop reading; the reader then returns that value. */
struct csv_reader_calls {
    int (*field)(void *ctx, size_t row, size_t col, const char *text, size_t len);
    int (*row_end)(void *ctx, size_t row, size_t ncols);
    void *ctx;
};

/* Reads path. Returns 0, the non-zero value a callback returned, or 2 (with
 * "path: why" in err) when the file cannot be read or is not CSV. */
int csv_read_file(const char *path, const struct csv_reader_calls *calls, char *err, size_t errlen);

struct csv_out {
    FILE *fp;
    char *path;      /* final name */
    char *tmp_path;  /* written here, renamed on csv_out_commit */
    int fields;      /* fields written in the current row */
    int failed;      /* a write failed: commit will refuse */
};

/* Opens path's temporary sibling. Returns 0, or 3 with errno's text in err. */
int csv_out_open(struct csv_out *out, const char *path, char *err, size_t errlen);
/* Writes to an open stream (stdout): no temporary, no rename. */
int csv_out_open_stream(struct csv_out *out, FILE *fp);
void csv_out_field(struct csv_out *out, const char *text);
void csv_out_fieldf(struct csv_out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void csv_out_end_row(struct csv_out *out);
/* Flushes, closes and renames to the final name. Returns 0, or 3 (the
 * temporary is removed and err says why). */
int csv_out_commit(struct csv_out *out, char *err, size_t errlen);
/* Drops the temporary: for errors and interrupted runs. */
void csv_out_abort(struct csv_out *out);

#endif
