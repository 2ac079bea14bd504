/* Where a run's rows go: the console as they complete, the CSV files and
 * the JSON file at the end. Each is a reporter behind one interface, so a
 * new output is one more reporter, not a change to the engine. */
#ifndef NB_REPORTERS_H
#define NB_REPORTERS_H

#include <stddef.h>

#include "counters.h"
#include "results.h"
#include "timer.h"
#include "topology.h"

struct run_output {
    const struct perf_row *perf;
    const struct accuracy_row *acc;
    size_t count;
    const struct counters *ctr;
    const struct nb_topology *topo;
    const struct timer_info *ti;
    const char *dir;
    const char *json_path;   /* "" = none */
    int counting;            /* instructions counted, not timed */
};

struct reporter {
    const char *name;
    void (*begin)(const struct run_output *out);
    void (*row)(const struct run_output *out, const struct perf_row *r, const struct accuracy_row *a);
    /* 0, or 3 with err set: nothing that looks complete is left behind */
    int (*end)(const struct run_output *out, char *err, size_t errlen);
};

extern const struct reporter reporter_console, reporter_csv, reporter_json;

#endif
