/* Paired ratios between two rows of a run's perf.csv, for the report: from
 * samples.csv when both rows were timed in the same rounds (the same
 * round_group), else the ratio of their medians without an interval (runs
 * written before rounds existed, or rows of different shapes). */
#ifndef NB_REPORT_PAIRS_H
#define NB_REPORT_PAIRS_H

#include <stdio.h>

#include "csv_table.h"
#include "paired.h"

struct report_pairs {
    struct csv_table samples;
    int have;   /* samples.csv read, with round_group */
};

/* Reads dir/samples.csv if it is there; never fails (have says). */
void report_pairs_open(struct report_pairs *rp, const char *dir);
void report_pairs_close(struct report_pairs *rp);

/* time(slow) / time(fast) of rows slow and fast of p (perf.csv's columns). */
void report_pair(const struct report_pairs *rp, const struct csv_table *p, size_t slow, size_t fast,
                 struct ratio_ci *out);

/* A perf.csv ratio column with its _lo and _hi: " 1.47 [1.44, 1.50] |". */
void report_ratio_column_cell(FILE *md, const struct csv_table *p, size_t row, const char *column);
/* " 1.47 [1.44, 1.50] |", " 1.47 |" or " n/a |". */
void report_ratio_cell(FILE *md, const struct ratio_ci *r);

#endif
