/* Fault injection for tests/e2e/test_faults.sh, loaded with LD_PRELOAD:
 * NB_FAULT (comma-separated) makes PAPI fail to initialise (papi_init),
 * an event set fail to start (papi_start), PAPI's perf_event component be
 * disabled with no event name resolving, as Debian 12's libpfm4 leaves it
 * on AMD Zen 5 (papi_no_perf_event), hwloc fail to load the topology
 * (hwloc_load) or to bind (hwloc_bind). Everything else goes to the real
 * library. normbench itself has no test hooks: the faults come from where
 * they would come from. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <hwloc.h>
#include <papi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fault(const char *name)
{
    const char *list = getenv("NB_FAULT");
    if (!list)
        return 0;
    size_t len = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += len)
        if ((p == list || p[-1] == ',') && (p[len] == '\0' || p[len] == ','))
            return 1;
    return 0;
}

int PAPI_library_init(int version)
{
    if (fault("papi_init"))
        return PAPI_ESYS;
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "PAPI_library_init");
    return real(version);
}

int PAPI_start(int set)
{
    if (fault("papi_start"))
        return PAPI_ECNFLCT;
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "PAPI_start");
    return real(set);
}

const PAPI_component_info_t *PAPI_get_component_info(int cid)
{
    static PAPI_component_info_t off;
    const PAPI_component_info_t *(*real)(int) =
        (const PAPI_component_info_t *(*)(int))dlsym(RTLD_NEXT, "PAPI_get_component_info");
    const PAPI_component_info_t *info = real(cid);
    if (!fault("papi_no_perf_event") || !info || strcmp(info->name, "perf_event"))
        return info;
    off = *info;
    off.disabled = PAPI_ENOCMP;
    snprintf(off.disabled_reason, sizeof off.disabled_reason, "Error libpfm4 no default PMU found (fault_shim)");
    return &off;
}

int PAPI_event_name_to_code(const char *name, int *code)
{
    if (fault("papi_no_perf_event"))
        return PAPI_ENOEVNT;
    int (*real)(const char *, int *) = (int (*)(const char *, int *))dlsym(RTLD_NEXT, "PAPI_event_name_to_code");
    return real(name, code);
}

int hwloc_topology_load(hwloc_topology_t topology)
{
    if (fault("hwloc_load")) {
        errno = EINVAL;
        return -1;
    }
    int (*real)(hwloc_topology_t) = (int (*)(hwloc_topology_t))dlsym(RTLD_NEXT, "hwloc_topology_load");
    return real(topology);
}

int hwloc_set_cpubind(hwloc_topology_t topology, hwloc_const_cpuset_t set, int flags)
{
    if (fault("hwloc_bind")) {
        errno = EPERM;
        return -1;
    }
    int (*real)(hwloc_topology_t, hwloc_const_cpuset_t, int) =
        (int (*)(hwloc_topology_t, hwloc_const_cpuset_t, int))dlsym(RTLD_NEXT, "hwloc_set_cpubind");
    return real(topology, set, flags);
}
