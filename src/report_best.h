/* report.md's summary of the best variant per norm, dtype, tier and hidden
 * size, with its speedup over oneDNN where the run measured oneDNN. */
#ifndef NB_REPORT_BEST_H
#define NB_REPORT_BEST_H

#include <stdio.h>

#include "csv_table.h"
#include "report_pairs.h"

void report_best_section(FILE *md, const struct csv_table *perf, const struct report_pairs *rp);

/* The end of a spread row of the report's tables, " k | min | median |
 * max |" and a newline, for v[0..k) (k > 0); returns the median. */
double report_spread_cells(FILE *md, const double *v, size_t k);

/* Partial RMSNorm's gain over RMSNorm per tier (best against best on the
 * same dtype and shape), and why it vanishes from DRAM. Nothing where the
 * run has no prmsnorm rows next to rmsnorm ones. */
void report_partial_section(FILE *md, const struct csv_table *perf, const struct report_pairs *rp);

#endif
