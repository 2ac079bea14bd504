/* The report of a run merged from several machines (src/report_machines.c). */
#ifndef NB_REPORT_MACHINES_H
#define NB_REPORT_MACHINES_H

#include <stddef.h>
#include <stdio.h>

#include "csv_table.h"

#define REPORT_MAX_MACHINES 64

/* Distinct values of perf.csv's machine column (0 without one). */
size_t report_machine_count(const struct csv_table *perf);

/* The machines, best variant per shape on each, and shares side by side;
 * -1 when perf lacks a column it needs. */
int report_machines(FILE *md, const struct csv_table *perf, const struct csv_table *meta);

#endif
