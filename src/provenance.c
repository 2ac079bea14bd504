#include "provenance.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "cpu_features.h"
#include "version.h"


void meta_add(struct meta_list *m, const char *key, const char *fmt, ...)
{
    if (m->count == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        struct meta_entry *p = realloc(m->e, cap * sizeof *p);
        if (!p)
            return;
        m->e = p;
        m->cap = cap;
    }
    struct meta_entry *e = &m->e[m->count++];
    snprintf(e->key, sizeof e->key, "%s", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->value, sizeof e->value, fmt, ap);
    va_end(ap);
}

void meta_free(struct meta_list *m)
{
    free(m->e);
    m->e = NULL;
    m->count = m->cap = 0;
}

void read_first_line(const char *path, char *out, size_t len)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(out, len, "n/a (%s: %s)", path, strerror(errno));
        return;
    }
    if (!fgets(out, (int)len, fp))
        snprintf(out, len, "n/a (%s is empty)", path);
    out[strcspn(out, "\n")] = '\0';
    fclose(fp);
}

static void cpu_flags(char *out, size_t len, int *virtual_machine)
{
    *virtual_machine = 0;
    snprintf(out, len, "n/a");
    FILE *fp = fopen("/proc/cpuinfo", "r");
    if (!fp)
        return;
    char line[4096];
    while (fgets(line, sizeof line, fp))
        if (strncmp(line, "flags", 5) == 0) {
            char *colon = strchr(line, ':');
            if (colon) {
                colon += 2;
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(out, len, "%s", colon);
                *virtual_machine = strstr(colon, "hypervisor") != NULL;
            }
            break;
        }
    fclose(fp);
}

void provenance_machine(struct meta_list *m)
{
    char buf[256];
    if (gethostname(buf, sizeof buf) == 0)
        meta_add(m, "host_name", "%s", buf);
    topology_cpu_model(buf, sizeof buf);
    meta_add(m, "cpu_model", "%s", buf);
}

void provenance_collect(struct meta_list *m, const struct nb_topology *t, const struct timer_info *ti,
                        const struct counters *c, const struct nb_suite *s)
{
    char buf[1024];
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    meta_add(m, "date", "%s", buf);
    meta_add(m, "normbench_version", "%s", NB_VERSION);
    meta_add(m, "git_revision", "%s", NB_GIT_REV);
    meta_add(m, "compiler", "%s", __VERSION__);
    meta_add(m, "compiler_flags", "%s", NB_BUILD_FLAGS);
    provenance_machine(m);
    int vm;
    cpu_flags(buf, sizeof buf, &vm);
    meta_add(m, "cpu_flags", "%s", buf);
    meta_add(m, "virtual_machine", "%s", vm ? "yes (hypervisor flag)" : "no hypervisor flag");
    meta_add(m, "architecture", "%s", NB_ARCH_NAME);
    meta_add(m, "emulated", "%s", cpu_detect()->emulated ? cpu_detect()->emulated : "no");
    meta_add(m, "cores", "%d", t->cores);
    meta_add(m, "pus", "%d", t->pus);
    meta_add(m, "numa_nodes", "%d", t->numa_nodes);
    meta_add(m, "l1d_bytes", "%zu", t->cache_bytes[0]);
    meta_add(m, "l2_bytes", "%zu", t->cache_bytes[1]);
    meta_add(m, "l3_bytes", "%zu", t->cache_bytes[2]);
    read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf, sizeof buf);
    meta_add(m, "frequency_governor", "%s", buf);
    read_first_line("/proc/sys/kernel/randomize_va_space", buf, sizeof buf);
    meta_add(m, "aslr", "%s", buf);
    read_first_line("/proc/sys/kernel/perf_event_paranoid", buf, sizeof buf);
    meta_add(m, "perf_event_paranoid", "%s", buf);
    read_first_line("/proc/loadavg", buf, sizeof buf);
    meta_add(m, "load_average", "%s", buf);
    meta_add(m, "under_valgrind", "%s", cpu_detect()->under_valgrind ? "yes" : "no");
    meta_add(m, "timer", "CLOCK_MONOTONIC, resolution %.0f ns, overhead %.1f ns; %s %.4f GHz (%s)",
             ti->resolution_ns, ti->overhead_ns, timer_counter_name(), ti->tsc_ghz, timer_counter_source());
    meta_add(m, "papi_version", "%s", c->version);
    size_t used = 0;
    buf[0] = '\0';
    for (size_t e = 0; e < c->count && used < sizeof buf; e++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s=%s", e ? ";" : "", c->names[e],
                                 c->available[e] ? "counted" : c->why[e]);
    meta_add(m, "papi_events", "%s", c->count ? buf : "none requested");
    meta_add(m, "cpu", "%d", s->cpu);
    meta_add(m, "config", "%s", s->source);
    meta_add(m, "suite", "%s", s->name);
    meta_add(m, "kernels", "%s", s->kernels);
    meta_add(m, "dtype_filter", "%s", s->dtypes[0] ? s->dtypes : "all");
    meta_add(m, "prmsnorm_p", "%g", s->p);
    char threads[NB_MAX_LIST * 6] = "";
    for (size_t k = 0; k < s->nthread_counts; k++)
        snprintf(threads + strlen(threads), sizeof threads - strlen(threads), "%s%zu", k ? "," : "", s->thread_counts[k]);
    meta_add(m, "threads", "%s", threads);
    meta_add(m, "cache", "%s", s->cold ? "cold" : "hot");
    meta_add(m, "reps", "%zu", s->reps);
    meta_add(m, "min_time_s", "%g", s->min_time_s);
    meta_add(m, "seed", "%llu", (unsigned long long)s->seed);
}

int provenance_warn(const struct nb_topology *t)
{
    int warned = 0;
    char gov[256], load[256];
    read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", gov, sizeof gov);
    if (strncmp(gov, "n/a", 3) != 0 && strcmp(gov, "performance") != 0) {
        fprintf(stderr, "warning: CPU frequency scaling is on (governor '%s'): timings may be noisy\n", gov);
        warned++;
    }
    read_first_line("/proc/loadavg", load, sizeof load);
    double l1 = atof(load);
    if (t->pus > 0 && l1 > 0.5 * t->pus) {
        fprintf(stderr, "warning: the machine is loaded (load average %.2f on %d CPUs): timings may be distorted\n",
                l1, t->pus);
        warned++;
    }
    return warned;
}
