/* The machine a measurement runs on: counters, topology, the measuring
 * thread pinned, the timer calibrated. Warnings (no counters, no hwloc, no
 * binding) go to stderr and into the strings meta.csv records. */
#ifndef NB_MACHINE_H
#define NB_MACHINE_H

#include "config.h"
#include "counters.h"
#include "timer.h"
#include "topology.h"

struct machine {
    struct counters ctr;
    struct nb_topology topo;
    struct timer_info ti;
    char hwloc_state[300], binding[300];
};

/* Resolves s->cpu (auto: the last PU). 0, or an exit status with the
 * reason said as "normbench CMD: ..." */
int machine_setup(struct machine *m, struct nb_suite *s, const char *cmd);
void machine_teardown(struct machine *m);

/* MemAvailable from /proc/meminfo in bytes (failing that, free pages). */
size_t machine_mem_available(void);

#endif
