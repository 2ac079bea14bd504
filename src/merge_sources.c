/* merge: reading the sources' meta.csv and checking that they fit together
 * (one job list per machine, every shard once). */
#include "merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

const char *merge_meta(const struct merge_source *s, const char *key)
{
    for (size_t i = 0; i < s->meta.nrows; i++)
        if (!strcmp(csv_table_get(&s->meta, i, 0), key))
            return csv_table_get(&s->meta, i, 1);
    return NULL;
}

static const char *meta_or(const struct merge_source *s, const char *key, const char *fallback)
{
    const char *v = merge_meta(s, key);
    return v ? v : fallback;
}

/* meta.csv read, complete, of a run or a sweep, with its shard */
static int load_source(struct merge_source *s, const char *dir, enum merge_kind *kind, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/meta.csv", dir);
    if (!(s->dir = strdup(dir)))
        return NB_EXIT_ENV;
    int rc = csv_table_read(path, &s->meta, err, errlen);
    if (rc)
        return rc;
    if (s->meta.ncols < 2) {
        snprintf(err, errlen, "%s: want key,value columns", path);
        return NB_EXIT_USAGE;
    }
    const char *status = meta_or(s, "status", "missing");
    if (strcmp(status, "complete")) {
        snprintf(err, errlen, "%s: status is %s, not complete: an incomplete run cannot be merged", path, status);
        return NB_EXIT_USAGE;
    }
    if (merge_meta(s, "merged_from")) {
        snprintf(err, errlen, "%s: a merged directory; merge its sources instead", dir);
        return NB_EXIT_USAGE;
    }
    const char *cmd = merge_meta(s, "command");
    if (cmd && !strcmp(cmd, "ab")) {
        snprintf(err, errlen, "%s: an ab directory; merge takes run and sweep directories", dir);
        return NB_EXIT_USAGE;
    }
    *kind = cmd && !strcmp(cmd, "sweep") ? MERGE_SWEEP : MERGE_RUN;
    const char *shard = merge_meta(s, "shard");
    if (!shard || !merge_meta(s, "job_list_hash")) {
        snprintf(err, errlen, "%s: no shard and job list in meta.csv (made by a normbench older than --shard)", path);
        return NB_EXIT_USAGE;
    }
    if (strcmp(shard, "none") && parse_shard_option(shard, &s->shard_index, &s->shard_count)) {
        snprintf(err, errlen, "%s: shard '%s' is not I/N", path, shard);
        return NB_EXIT_USAGE;
    }
    return 0;
}

static const char *host_of(const struct merge_source *s)
{
    return meta_or(s, "host_name", "unknown host");
}

static const char *cpu_of(const struct merge_source *s)
{
    return meta_or(s, "cpu_model", "unknown CPU");
}

/* Which sources belong together: an unsharded run is its host's; the
 * shards of one job list on one CPU model are one machine even when Slurm
 * ran them on several hosts of that type. */
static int same_group(const struct merge_source *a, const struct merge_source *b)
{
    if (a->shard_count != b->shard_count || strcmp(cpu_of(a), cpu_of(b)))
        return 0;
    if (!a->shard_count)
        return !strcmp(host_of(a), host_of(b));
    return !strcmp(merge_meta(a, "job_list_hash"), merge_meta(b, "job_list_hash"));
}

/* "host / CPU", or "CPU (K hosts: a, b, ...)" for shards spread over hosts */
static char *machine_label(const struct merge_set *m, size_t first)
{
    char label[700];
    const struct merge_source *a = &m->src[first];
    size_t hosts = 0;
    char list[400] = "";
    for (size_t i = 0; i < m->nsrc; i++) {
        if (!same_group(a, &m->src[i]))
            continue;
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++)
            seen = same_group(a, &m->src[k]) && !strcmp(host_of(&m->src[k]), host_of(&m->src[i]));
        if (!seen && hosts++ < 8)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", hosts > 1 ? ", " : "",
                     host_of(&m->src[i]));
    }
    if (hosts <= 1)
        snprintf(label, sizeof label, "%s / %s", host_of(a), cpu_of(a));
    else
        snprintf(label, sizeof label, "%s (%zu hosts: %s%s)", cpu_of(a), hosts, list, hosts > 8 ? ", ..." : "");
    return strdup(label);
}

/* Sources of one host and CPU that cannot be parts of one run */
static int check_pairs(const struct merge_set *m, char *err, size_t errlen)
{
    for (size_t i = 0; i < m->nsrc; i++)
        for (size_t j = i + 1; j < m->nsrc; j++) {
            const struct merge_source *a = &m->src[i], *b = &m->src[j];
            if (strcmp(host_of(a), host_of(b)) || strcmp(cpu_of(a), cpu_of(b)) || same_group(a, b) ||
                (!a->shard_count && !b->shard_count))
                continue;
            if (!strcmp(merge_meta(a, "job_list_hash"), merge_meta(b, "job_list_hash")))
                snprintf(err, errlen, "%s (shard %s) and %s (shard %s): the same job list split in different ways on %s / %s",
                         a->dir, merge_meta(a, "shard"), b->dir, merge_meta(b, "shard"), host_of(a), cpu_of(a));
            else
                snprintf(err, errlen, "%s and %s: shards of different job lists on %s / %s (job_list_hash %s, shard %s against %s, %s)",
                         a->dir, b->dir, host_of(a), cpu_of(a), merge_meta(a, "job_list_hash"), merge_meta(a, "shard"),
                         merge_meta(b, "job_list_hash"), merge_meta(b, "shard"));
            return NB_EXIT_USAGE;
        }
    return 0;
}

static int assign_machines(struct merge_set *m)
{
    for (size_t i = 0; i < m->nsrc; i++) {
        size_t k = 0;
        while (k < i && !same_group(&m->src[k], &m->src[i]))
            k++;
        if (k < i) {
            m->src[i].machine = m->src[k].machine;
            continue;
        }
        if (!(m->machines[m->nmachines] = machine_label(m, i)))
            return NB_EXIT_ENV;
        m->src[i].machine = m->nmachines++;
    }
    return 0;
}

static int by_machine_then_shard(const void *a, const void *b)
{
    const struct merge_source *x = a, *y = b;
    if (x->machine != y->machine)
        return x->machine < y->machine ? -1 : 1;
    return x->shard_index < y->shard_index ? -1 : x->shard_index > y->shard_index;
}

/* The sources of machine k, src[first .. first + count): one job list,
 * each of its N shards exactly once (or one unsharded run). */
static int check_machine(const struct merge_set *m, size_t first, size_t count, char *err, size_t errlen)
{
    const struct merge_source *a = &m->src[first];
    for (size_t i = first + 1; i < first + count; i++) {
        const struct merge_source *b = &m->src[i];
        if (b->shard_index == m->src[i - 1].shard_index) {
            snprintf(err, errlen, "%s and %s: the same %s twice on %s", m->src[i - 1].dir, b->dir,
                     a->shard_count ? "shard" : "unsharded run", m->machines[a->machine]);
            if (a->shard_count)
                snprintf(err + strlen(err), errlen - strlen(err), " (shard %s)", merge_meta(b, "shard"));
            return NB_EXIT_USAGE;
        }
    }
    if (a->shard_count == 0 || count == a->shard_count)
        return 0;
    int len = snprintf(err, errlen, "%s: %zu of %zu shards given; missing shard%s", m->machines[a->machine], count,
                       a->shard_count, a->shard_count - count == 1 ? "" : "s");
    size_t i = first, listed = 0;
    for (size_t want = 0; want < a->shard_count && len > 0 && (size_t)len < errlen; want++) {
        while (i < first + count && m->src[i].shard_index < want)
            i++;
        if (i < first + count && m->src[i].shard_index == want)
            continue;
        if (listed++ == 20) {
            len += snprintf(err + len, errlen - (size_t)len, " ...");
            break;
        }
        len += snprintf(err + len, errlen - (size_t)len, " %zu/%zu", want, a->shard_count);
    }
    return NB_EXIT_USAGE;
}

int merge_load(struct merge_set *m, char *const *dirs, size_t ndirs, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->src = calloc(ndirs, sizeof *m->src);
    m->machines = calloc(ndirs, sizeof *m->machines);
    if (!m->src || !m->machines) {
        snprintf(err, errlen, "out of memory");
        return NB_EXIT_ENV;
    }
    for (size_t i = 0; i < ndirs; i++) {
        enum merge_kind kind;
        int rc = load_source(&m->src[i], dirs[i], &kind, err, errlen);
        m->nsrc = i + 1;
        if (!rc && i > 0 && kind != m->kind) {
            snprintf(err, errlen, "%s is a %s directory and %s a %s one: merge one kind at a time", dirs[0],
                     m->kind == MERGE_SWEEP ? "sweep" : "run", dirs[i], kind == MERGE_SWEEP ? "sweep" : "run");
            rc = NB_EXIT_USAGE;
        }
        m->kind = kind;
        if (rc) {
            if (rc == NB_EXIT_ENV && !err[0])
                snprintf(err, errlen, "out of memory");
            return rc;
        }
    }
    int rc = check_pairs(m, err, errlen);
    if (!rc && (rc = assign_machines(m)))
        snprintf(err, errlen, "out of memory");
    if (rc)
        return rc;
    qsort(m->src, m->nsrc, sizeof *m->src, by_machine_then_shard);
    for (size_t first = 0, i = 1; i <= m->nsrc; i++)
        if (i == m->nsrc || m->src[i].machine != m->src[first].machine) {
            if ((rc = check_machine(m, first, i - first, err, errlen)))
                return rc;
            first = i;
        }
    return 0;
}

void merge_free(struct merge_set *m)
{
    for (size_t i = 0; i < m->nsrc; i++) {
        free(m->src[i].dir);
        csv_table_free(&m->src[i].meta);
    }
    for (size_t k = 0; k < m->nmachines; k++)
        free(m->machines[k]);
    free(m->src);
    free(m->machines);
    memset(m, 0, sizeof *m);
}
