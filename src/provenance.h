/* Where and how a run was made, for meta.csv, and warnings about a machine
 * that may distort the figures. */
#ifndef NB_PROVENANCE_H
#define NB_PROVENANCE_H

#include <stddef.h>

#include "config.h"
#include "counters.h"
#include "results.h"
#include "timer.h"
#include "topology.h"

struct meta_list {
    struct meta_entry *e;
    size_t count, cap;
};

void meta_add(struct meta_list *m, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void meta_free(struct meta_list *m);

/* host_name and cpu_model: the machine's key in merged runs */
void provenance_machine(struct meta_list *m);

/* Adds the machine, build and environment facts. */
void provenance_collect(struct meta_list *m, const struct nb_topology *t, const struct timer_info *ti,
                        const struct counters *c, const struct nb_suite *s);

/* Prints warnings (frequency scaling, load) to stderr; returns how many. */
int provenance_warn(const struct nb_topology *t);

/* The first line of a small file under /proc or /sys, or "n/a (why)". */
void read_first_line(const char *path, char *out, size_t len);

#endif
