/* The machine as hwloc sees it, thread pinning, NUMA-near buffers, and the
 * choice of rows that puts a footprint in a given cache level. */
#ifndef NB_TOPOLOGY_H
#define NB_TOPOLOGY_H

#include <stddef.h>

enum nb_tier { NB_TIER_L1, NB_TIER_L2, NB_TIER_L3, NB_TIER_DRAM, NB_TIER_COUNT };

struct nb_topology {
    int cores, pus, numa_nodes;
    size_t cache_bytes[3];   /* data/unified cache per level (L1d, L2, L3), 0 if absent */
    char cpu_model[128];
};

/* Loads the topology once. Returns 0, or -1 with a reason in err (then the
 * fields hold what /proc and sysconf could tell). */
int topology_load(struct nb_topology *t, char *err, size_t errlen);
/* /proc/cpuinfo's model name, or "unknown" */
void topology_cpu_model(char *out, size_t len);

/* Binds the calling thread to processing unit `cpu` (hwloc's logical
 * index). Returns 0, or -1 with hwloc's reason in err: a warning, the run
 * goes on unbound. */
int topology_bind_thread(int cpu, char *err, size_t errlen);
/* `cpu = auto`: the last CPU the process may run on (the machine's last,
 * unless a batch system or taskset gave it fewer; interrupts and
 * housekeeping favour CPU 0) */
int topology_auto_cpu(const struct nb_topology *t);

/* Memory near the bound thread: whole 2 MiB pages, 2 MiB aligned, with
 * transparent huge pages asked for (madvise) and bound with hwloc where it
 * loaded; zero-filled. NULL when out of memory. */
void *topology_alloc(size_t bytes);
void topology_free(void *p, size_t bytes);

/* The size of the last cache level the machine has, 0 if none is known. */
size_t topology_last_level_bytes(const struct nb_topology *t);

const char *tier_name(enum nb_tier tier);
int tier_parse(const char *name, enum nb_tier *tier);

/* The footprint normbench aims at for a tier: half of the level's size (a
 * footprint on the very edge of a cache measures neither level), but at
 * least four times the level below; DRAM is four times the last level, as
 * STREAM requires. 0 if the machine has no such level. */
size_t tier_target_bytes(const struct nb_topology *t, enum nb_tier tier);

/* Rows of n values that fill the tier's target with x and y (row_bytes per
 * row) plus the per-call vectors (fixed_bytes: g and b). 0 when even one
 * row does not fit: the tier is skipped. */
size_t tier_rows(const struct nb_topology *t, enum nb_tier tier, size_t row_bytes, size_t fixed_bytes);

/* The tier a footprint lands in. */
enum nb_tier tier_of_footprint(const struct nb_topology *t, size_t bytes);

/* The cache level (0 = L1d, 1 = L2, 2 = L3) whose size bytes is within a
 * factor of two of (between half and twice it), or -1: a footprint at a
 * cache's edge, where how much of it stays in the cache differs from
 * process to process. */
int tier_edge_level(const struct nb_topology *t, size_t bytes);

#endif
