/* A whole CSV file in memory, cells looked up by column name: for reading
 * back run files (report, compare). Read with libcsv. */
#ifndef NB_CSV_TABLE_H
#define NB_CSV_TABLE_H

#include <stddef.h>

struct csv_table {
    char *path;
    size_t ncols, nrows;   /* nrows excludes the header */
    char **header;         /* ncols names */
    char **cells;          /* nrows x ncols */
};

/* Returns 0, or 2 with "path:row:col: what" in err (ragged rows, no
 * header, too large), 3 when out of memory. */
int csv_table_read(const char *path, struct csv_table *t, char *err, size_t errlen);
void csv_table_free(struct csv_table *t);

/* Keeps the rows i with keep[i] nonzero, in their order; frees the rest. */
void csv_table_keep_rows(struct csv_table *t, const unsigned char *keep);

/* Column index by name, or -1. */
int csv_table_col(const struct csv_table *t, const char *name);
const char *csv_table_get(const struct csv_table *t, size_t row, int col);
/* Rows a and b hold the same text in column col. */
int csv_table_same(const struct csv_table *t, size_t a, size_t b, int col);
/* The cell as a number; NaN if empty or not a number. */
double csv_table_num(const struct csv_table *t, size_t row, int col);

#endif
