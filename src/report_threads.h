/* report.md's comparison of thread counts, for runs that measured each
 * shape at several (`threads = 1,2`). */
#ifndef NB_REPORT_THREADS_H
#define NB_REPORT_THREADS_H

#include <stdio.h>

#include "csv_table.h"
#include "report_pairs.h"

/* Writes the "Threads" section when perf has rows at more than one thread
 * count, then keeps only the rows at the smallest count in perf, so that
 * the rest of the report compares like with like (a file without a
 * threads column is left as it is). */
void report_threads_section(FILE *md, struct csv_table *perf, const struct report_pairs *rp);

#endif
