/* normbench merge: run or sweep directories (shards of one job list, runs
 * of several machines) into one directory whose rows carry their machine.
 * Everything is checked before anything is written: shards of different job
 * lists, the same shard twice, a missing shard or an incomplete run are
 * refused (exit 2). */
#ifndef NB_MERGE_H
#define NB_MERGE_H

#include <stddef.h>

#include "csv_table.h"

enum merge_kind { MERGE_RUN, MERGE_SWEEP };

struct merge_source {
    char *dir;
    struct csv_table meta;
    size_t machine;                  /* index into merge_set.machines */
    size_t shard_index, shard_count; /* shard_count 0: not sharded */
};

struct merge_set {
    enum merge_kind kind;
    struct merge_source *src; /* sorted by machine, then shard */
    size_t nsrc;
    char **machines;          /* "host / cpu model", in order of first appearance */
    size_t nmachines;
};

/* meta.csv's value for key, or NULL */
const char *merge_meta(const struct merge_source *s, const char *key);

/* Reads and checks the sources' meta.csv. 0, or 2 (bad or inconsistent
 * input) or 3 (out of memory), with one line in err naming the directory. */
int merge_load(struct merge_set *m, char *const *dirs, size_t ndirs, char *err, size_t errlen);
void merge_free(struct merge_set *m);

/* Writes the merged CSV files, meta.csv last (and for a sweep its
 * summary.md), into out, which exists. 0, or an exit status with err. */
int merge_write(const struct merge_set *m, const char *out, char *err, size_t errlen);

/* Shared by the writers of merge_tables.c and merge_sweep.c: the sources'
 * file `name` into out/name with a machine column, rows ordered by
 * machine, then key (NAN: the row is refused), then source and row. keep
 * (nsrc tables, or NULL) receives the sources' tables. 0 also when no
 * source has the file. */
typedef double (*merge_key_fn)(void *ctx, size_t src, const struct csv_table *t, size_t row);
int merge_table(const struct merge_set *m, const char *out, const char *name, merge_key_fn key, void *ctx,
                struct csv_table *keep, char *err, size_t errlen);
/* sweep.csv, in the unsharded order, and summary.md (one per machine) */
int merge_sweep(const struct merge_set *m, const char *out, size_t *rows, char *err, size_t errlen);

#endif
