#include "gbench_json.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "provenance.h"

static void add_str(json_object *o, const char *k, const char *v) { json_object_object_add(o, k, json_object_new_string(v)); }
static void add_int(json_object *o, const char *k, long long v) { json_object_object_add(o, k, json_object_new_int64(v)); }
static void add_num(json_object *o, const char *k, double v)
{
    json_object_object_add(o, k, isfinite(v) ? json_object_new_double(v) : NULL);
}

static json_object *context(const struct nb_topology *t, const struct timer_info *ti, const char *exe)
{
    json_object *c = json_object_new_object();
    char buf[256];
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+00:00", &tmv);
    add_str(c, "date", buf);
    if (gethostname(buf, sizeof buf) != 0)
        snprintf(buf, sizeof buf, "unknown");
    add_str(c, "host_name", buf);
    add_str(c, "executable", exe);
    add_int(c, "num_cpus", t->pus);
    add_int(c, "mhz_per_cpu", (long long)llround(ti->tsc_ghz * 1000));
    read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf, sizeof buf);
    json_object_object_add(c, "cpu_scaling_enabled",
                           json_object_new_boolean(strncmp(buf, "n/a", 3) != 0 && strcmp(buf, "performance") != 0));
    json_object *caches = json_object_new_array();
    const char *types[3] = {"Data", "Unified", "Unified"};
    for (int l = 0; l < 3; l++) {
        if (!t->cache_bytes[l])
            continue;
        json_object *cache = json_object_new_object();
        add_str(cache, "type", types[l]);
        add_int(cache, "level", l + 1);
        add_int(cache, "size", (long long)t->cache_bytes[l]);
        add_int(cache, "num_sharing", l == 2 ? t->pus : 1);
        json_object_array_add(caches, cache);
    }
    json_object_object_add(c, "caches", caches);
    read_first_line("/proc/loadavg", buf, sizeof buf);
    json_object *load = json_object_new_array();
    double l1, l5, l15;
    if (sscanf(buf, "%lf %lf %lf", &l1, &l5, &l15) == 3) {
        json_object_array_add(load, json_object_new_double(l1));
        json_object_array_add(load, json_object_new_double(l5));
        json_object_array_add(load, json_object_new_double(l15));
    }
    json_object_object_add(c, "load_avg", load);
    add_str(c, "library_build_type", "release");
    add_int(c, "json_schema_version", 1);
    return c;
}

static json_object *entry(const struct perf_row *r, const char *name, size_t family, size_t instance)
{
    json_object *b = json_object_new_object();
    add_str(b, "name", name);
    add_int(b, "family_index", (long long)family);
    add_int(b, "per_family_instance_index", (long long)instance);
    add_str(b, "run_name", name);
    add_int(b, "repetitions", (long long)r->reps);
    add_int(b, "threads", (long long)r->threads);
    return b;
}

int write_gbench_json(const char *path, const struct perf_row *rows, size_t count, const struct nb_topology *t,
                      const struct timer_info *ti, const char *executable, char *err, size_t errlen)
{
    json_object *root = json_object_new_object();
    json_object_object_add(root, "context", context(t, ti, executable));
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < count; i++) {
        const struct perf_row *r = &rows[i];
        if (!r->nsamples)
            continue;
        /* family: the variant's index among distinct variants; instance:
         * the shape's index within it */
        size_t first = 0, family = 0, instance = 0;
        while (rows[first].v != r->v)
            first++;
        for (size_t k = 0; k < first; k++) {
            int seen = 0;
            for (size_t q = 0; q < k; q++)
                seen |= rows[q].v == rows[k].v;
            family += !seen;
        }
        for (size_t k = 0; k < i; k++)
            instance += rows[k].v == r->v;
        char name[256], eps[40];
        format_double(eps, sizeof eps, r->eps);
        snprintf(name, sizeof name, "%s/rows:%zu/n:%zu/eps:%s/threads:%zu/cache:%s", r->v->name, r->rows, r->n, eps,
                 r->threads, r->cold ? "cold" : "hot");
        for (size_t k = 0; k < r->nsamples; k++) {
            json_object *b = entry(r, name, family, instance);
            add_str(b, "run_type", "iteration");
            add_int(b, "repetition_index", (long long)k);
            add_int(b, "iterations", (long long)r->calls);
            /* normbench times wall clock only: cpu_time repeats it */
            add_num(b, "real_time", r->samples[k]);
            add_num(b, "cpu_time", r->samples[k]);
            add_str(b, "time_unit", "ns");
            add_num(b, "bytes_per_second", r->bytes / r->samples[k] * 1e9);
            add_num(b, "items_per_second", (double)(r->rows * r->n) / r->samples[k] * 1e9);
            json_object_array_add(list, b);
        }
        const struct {
            const char *name;
            double value;
            const char *unit;
        } aggs[] = {{"mean", r->time.mean, "time"}, {"median", r->time.median, "time"},
                    {"stddev", r->time.stddev, "time"}, {"cv", r->time.cv, "percentage"}};
        for (size_t k = 0; k < 4; k++) {
            char aname[300];
            snprintf(aname, sizeof aname, "%s_%s", name, aggs[k].name);
            json_object *b = entry(r, aname, family, instance);
            json_object_object_add(b, "run_name", json_object_new_string(name));
            add_str(b, "run_type", "aggregate");
            add_str(b, "aggregate_name", aggs[k].name);
            add_str(b, "aggregate_unit", aggs[k].unit);
            add_int(b, "iterations", (long long)r->nsamples);
            add_num(b, "real_time", aggs[k].value);
            add_num(b, "cpu_time", aggs[k].value);
            add_str(b, "time_unit", "ns");
            if (k != 3)
                add_num(b, "bytes_per_second", r->bytes / aggs[k].value * 1e9);
            json_object_array_add(list, b);
        }
    }
    json_object_object_add(root, "benchmarks", list);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *fp = fopen(tmp, "w");
    int rc = 0;
    if (!fp) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        rc = 3;
    } else {
        const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        int bad = fputs(text, fp) == EOF || fputc('\n', fp) == EOF;
        if (fclose(fp) != 0 || bad || rename(tmp, path) != 0) {
            snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
            unlink(tmp);
            rc = 3;
        }
    }
    json_object_put(root);
    return rc;
}
