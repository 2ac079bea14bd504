#include "machine.h"

#include <stdio.h>
#include <unistd.h>

#include "commands.h"
#include "provenance.h"

int machine_setup(struct machine *m, struct nb_suite *s, const char *cmd)
{
    char err[1200];
    snprintf(m->hwloc_state, sizeof m->hwloc_state, "loaded");
    if (counters_setup(&m->ctr, s->events, err, sizeof err)) {
        nb_error(cmd, "%s", err);
        return NB_EXIT_USAGE;
    }
    if (m->ctr.init_error[0])
        fprintf(stderr, "warning: %s: running without counters\n", m->ctr.init_error);
    if (topology_load(&m->topo, err, sizeof err) != 0) {
        fprintf(stderr, "warning: %s\n", err);
        snprintf(m->hwloc_state, sizeof m->hwloc_state, "failed: %.250s", err);
    }
    if (s->cpu < 0)
        s->cpu = topology_auto_cpu(&m->topo);
    if (m->topo.pus > 0 && s->cpu >= m->topo.pus) {
        nb_error(cmd, "there is no CPU %d (this machine has CPUs 0 to %d)", s->cpu, m->topo.pus - 1);
        counters_teardown(&m->ctr);
        return NB_EXIT_USAGE;
    }
    snprintf(m->binding, sizeof m->binding, "measuring thread pinned to CPU %d", s->cpu);
    if (topology_bind_thread(s->cpu, err, sizeof err) != 0) {
        fprintf(stderr, "warning: %s: the run is not pinned\n", err);
        snprintf(m->binding, sizeof m->binding, "not pinned: %.250s", err);
    }
    provenance_warn(&m->topo);
    timer_calibrate(&m->ti);
    return 0;
}

void machine_teardown(struct machine *m)
{
    counters_teardown(&m->ctr);
}

size_t machine_mem_available(void)
{
    FILE *fp = fopen("/proc/meminfo", "r");
    size_t kb = 0;
    if (fp) {
        char line[256];
        while (fgets(line, sizeof line, fp))
            if (sscanf(line, "MemAvailable: %zu kB", &kb) == 1)
                break;
        fclose(fp);
    }
    if (!kb)
        return (size_t)sysconf(_SC_AVPHYS_PAGES) * (size_t)sysconf(_SC_PAGESIZE);
    return kb * 1024;
}
