/* A run in Google Benchmark's JSON format (json_schema_version 1), so that
 * its tools/compare.py and dashboards built for that format read normbench
 * runs unchanged. */
#ifndef NB_GBENCH_JSON_H
#define NB_GBENCH_JSON_H

#include <stddef.h>

#include "results.h"
#include "timer.h"
#include "topology.h"

/* Benchmark names are the perf.csv key:
 *   VARIANT/rows:R/n:N/eps:E/threads:T/cache:C
 * one family per variant, one instance per shape. Returns 0 or 3. */
int write_gbench_json(const char *path, const struct perf_row *rows, size_t count, const struct nb_topology *t,
                      const struct timer_info *ti, const char *executable, char *err, size_t errlen);

#endif
