#include "topology.h"

#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

static hwloc_topology_t topo;
static int topo_loaded;

void topology_cpu_model(char *out, size_t len)
{
    snprintf(out, len, "unknown");
    FILE *fp = fopen("/proc/cpuinfo", "r");
    if (!fp)
        return;
    char line[512];
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon) {
                colon++;
                while (*colon == ' ' || *colon == '\t')
                    colon++;
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(out, len, "%s", colon);
            }
            break;
        }
    }
    fclose(fp);
}

int topology_load(struct nb_topology *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    topology_cpu_model(t->cpu_model, sizeof t->cpu_model);
    if (!topo_loaded) {
        int inited = hwloc_topology_init(&topo) == 0;
        if (!inited || hwloc_topology_load(topo) != 0) {
            int why = errno;
            if (inited)
                hwloc_topology_destroy(topo);
            errno = why;
            /* go on with what the C library knows, so tiers still mean
             * something; the run is unpinned and says so */
            snprintf(err, errlen, "hwloc could not load the topology (%s): cache sizes from sysconf, no pinning",
                     strerror(errno));
            long pus = sysconf(_SC_NPROCESSORS_ONLN);
            t->pus = t->cores = pus > 0 ? (int)pus : 1;
            t->numa_nodes = 1;
            const int names[3] = {_SC_LEVEL1_DCACHE_SIZE, _SC_LEVEL2_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE};
            for (int l = 0; l < 3; l++) {
                long bytes = sysconf(names[l]);
                t->cache_bytes[l] = bytes > 0 ? (size_t)bytes : 0;
            }
            return -1;
        }
        topo_loaded = 1;
    }
    t->cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    t->pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    t->numa_nodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    const hwloc_obj_type_t levels[3] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE};
    for (int l = 0; l < 3; l++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(topo, levels[l], 0);
        /* skip instruction caches at L1 */
        for (int i = 1; o && o->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION; i++)
            o = hwloc_get_obj_by_type(topo, levels[l], (unsigned)i);
        t->cache_bytes[l] = o ? (size_t)o->attr->cache.size : 0;
    }
    return 0;
}

int topology_auto_cpu(const struct nb_topology *t)
{
    int last = t->pus > 0 ? t->pus - 1 : 0;
    if (!topo_loaded)
        return last;
    hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
    if (!allowed)
        return last;
    /* the process's binding: all CPUs, or the ones a batch system (Slurm's
     * task/affinity, a cgroup, taskset) gave it */
    if (hwloc_get_cpubind(topo, allowed, HWLOC_CPUBIND_PROCESS) == 0)
        for (int i = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU) - 1; i >= 0; i--) {
            hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)i);
            if (pu && hwloc_bitmap_isincluded(pu->cpuset, allowed)) {
                last = i;
                break;
            }
        }
    hwloc_bitmap_free(allowed);
    return last;
}

int topology_bind_thread(int cpu, char *err, size_t errlen)
{
    if (!topo_loaded) {
        snprintf(err, errlen, "no topology");
        return -1;
    }
    hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)cpu);
    if (!pu) {
        snprintf(err, errlen, "there is no CPU %d (this machine has %d)", cpu,
                 hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU));
        return -1;
    }
    if (hwloc_set_cpubind(topo, pu->cpuset, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT) != 0 &&
        hwloc_set_cpubind(topo, pu->cpuset, HWLOC_CPUBIND_THREAD) != 0) {
        snprintf(err, errlen, "hwloc cannot bind to CPU %d: %s", cpu, strerror(errno));
        return -1;
    }
    return 0;
}

/* Buffers are whole 2 MiB pages, 2 MiB aligned, with transparent huge
 * pages asked for: with 4 KiB pages the physical placement (and so which
 * L2 and L3 sets a buffer's lines fall in) changes from process to process,
 * and with it a kernel's speed by several percent; within a 2 MiB page the
 * virtual offset decides. Where huge pages are not granted the buffer still
 * works, on small pages. */
#define NB_HUGE ((size_t)2 << 20)

static size_t alloc_bytes(size_t bytes)
{
    return (bytes + NB_HUGE - 1) / NB_HUGE * NB_HUGE;
}

void *topology_alloc(size_t bytes)
{
    size_t rounded = alloc_bytes(bytes ? bytes : 1);
    char *raw = mmap(NULL, rounded + NB_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    char *p = (char *)(((uintptr_t)raw + NB_HUGE - 1) & ~(uintptr_t)(NB_HUGE - 1));
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    if (raw + rounded + NB_HUGE > p + rounded)
        munmap(p + rounded, (size_t)(raw + rounded + NB_HUGE - (p + rounded)));
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE);
#endif
    if (topo_loaded) { /* near the measuring thread; failing that, anywhere */
        hwloc_cpuset_t set = hwloc_bitmap_alloc();
        if (set && hwloc_get_cpubind(topo, set, HWLOC_CPUBIND_THREAD) == 0)
            hwloc_set_area_membind(topo, p, rounded, set, HWLOC_MEMBIND_BIND, 0);
        hwloc_bitmap_free(set);
    }
    return p;
}

void topology_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, alloc_bytes(bytes ? bytes : 1));
}

static const char *const tier_names[NB_TIER_COUNT] = {"L1", "L2", "L3", "DRAM"};

const char *tier_name(enum nb_tier tier) { return tier_names[tier]; }

int tier_parse(const char *name, enum nb_tier *tier)
{
    for (int i = 0; i < NB_TIER_COUNT; i++)
        if (strcmp(name, tier_names[i]) == 0) {
            *tier = (enum nb_tier)i;
            return 0;
        }
    return -1;
}

size_t topology_last_level_bytes(const struct nb_topology *t)
{
    for (int l = 2; l >= 0; l--)
        if (t->cache_bytes[l])
            return t->cache_bytes[l];
    return 0;
}

size_t tier_target_bytes(const struct nb_topology *t, enum nb_tier tier)
{
    if (tier == NB_TIER_DRAM)
        return 4 * (topology_last_level_bytes(t) ? topology_last_level_bytes(t) : (size_t)32 << 20);
    size_t size = t->cache_bytes[tier];
    if (!size)
        return 0;
    size_t target = size / 2;
    size_t below = tier > NB_TIER_L1 ? t->cache_bytes[tier - 1] : 0;
    if (below && target < 4 * below)
        target = 4 * below < size ? 4 * below : 0; /* too close to the level below */
    return target;
}

size_t tier_rows(const struct nb_topology *t, enum nb_tier tier, size_t row_bytes, size_t fixed_bytes)
{
    size_t target = tier_target_bytes(t, tier);
    if (target == 0 || row_bytes == 0 || fixed_bytes + row_bytes > target)
        return 0;
    return (target - fixed_bytes) / row_bytes;
}

int tier_edge_level(const struct nb_topology *t, size_t bytes)
{
    for (int l = 0; l < 3; l++)
        if (t->cache_bytes[l] && bytes > t->cache_bytes[l] / 2 && bytes / 2 < t->cache_bytes[l])
            return l;
    return -1;
}

enum nb_tier tier_of_footprint(const struct nb_topology *t, size_t bytes)
{
    for (int l = 0; l < 3; l++)
        if (t->cache_bytes[l] && bytes <= t->cache_bytes[l])
            return (enum nb_tier)l;
    return NB_TIER_DRAM;
}
