#define _GNU_SOURCE /* qsort_r */
/* merge: the sources' CSV files into one each, rows in the order one
 * unsharded run per machine would have written them, with a machine
 * column; then meta.csv. */
#include "merge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "csv_io.h"
#include "provenance.h"
#include "results.h"

struct row_ref {
    size_t src, row;
    double key;
};

struct table_merge {
    const struct merge_set *m;
    struct csv_table *t; /* one per source */
    merge_key_fn key;
    void *ctx;
};

static int by_machine_key(const void *a, const void *b, void *arg)
{
    const struct table_merge *tm = arg;
    const struct row_ref *x = a, *y = b;
    size_t mx = tm->m->src[x->src].machine, my = tm->m->src[y->src].machine;
    if (mx != my)
        return mx < my ? -1 : 1;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

static int same_header(const struct csv_table *a, const struct csv_table *b)
{
    if (a->ncols != b->ncols)
        return 0;
    for (size_t c = 0; c < a->ncols; c++)
        if (strcmp(a->header[c], b->header[c]))
            return 0;
    return 1;
}

/* reads every source's name into tm->t; 1: no source has it */
static int read_tables(struct table_merge *tm, const char *name, char *err, size_t errlen)
{
    size_t have = 0;
    char path[4200];
    for (size_t i = 0; i < tm->m->nsrc; i++) {
        snprintf(path, sizeof path, "%s/%s", tm->m->src[i].dir, name);
        FILE *fp = fopen(path, "r");
        if (fp) {
            fclose(fp);
            have++;
        }
    }
    if (have == 0)
        return 1;
    for (size_t i = 0; i < tm->m->nsrc; i++) {
        snprintf(path, sizeof path, "%s/%s", tm->m->src[i].dir, name);
        int rc = csv_table_read(path, &tm->t[i], err, errlen);
        if (rc)
            return rc;
        if (csv_table_col(&tm->t[i], "machine") >= 0) {
            snprintf(err, errlen, "%s: has a machine column already (a merged file)", path);
            return NB_EXIT_USAGE;
        }
        if (!same_header(&tm->t[0], &tm->t[i])) {
            snprintf(err, errlen, "%s/%s and %s: different columns (made by different normbench versions?)",
                     tm->m->src[0].dir, name, path);
            return NB_EXIT_USAGE;
        }
    }
    return 0;
}

static int write_table(const struct table_merge *tm, const char *out, const char *name, char *err, size_t errlen)
{
    size_t total = 0;
    for (size_t i = 0; i < tm->m->nsrc; i++)
        total += tm->t[i].nrows;
    struct row_ref *refs = calloc(total ? total : 1, sizeof *refs);
    if (!refs) {
        snprintf(err, errlen, "out of memory for %zu rows of %s", total, name);
        return NB_EXIT_ENV;
    }
    size_t k = 0;
    for (size_t i = 0; i < tm->m->nsrc; i++)
        for (size_t r = 0; r < tm->t[i].nrows; r++, k++) {
            refs[k] = (struct row_ref){i, r, tm->key(tm->ctx, i, &tm->t[i], r)};
            if (isnan(refs[k].key)) {
                snprintf(err, errlen, "%s/%s: row %zu does not belong to the job list (for a sweep: its config's grid; was the config changed?)", tm->m->src[i].dir,
                         name, r + 2);
                free(refs);
                return NB_EXIT_USAGE;
            }
        }
    qsort_r(refs, total, sizeof *refs, by_machine_key, (void *)tm);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", out, name);
    struct csv_out o;
    int rc = csv_out_open(&o, path, err, errlen);
    if (!rc) {
        const struct csv_table *t0 = &tm->t[0];
        for (size_t c = 0; c < t0->ncols; c++)
            csv_out_field(&o, t0->header[c]);
        csv_out_field(&o, "machine");
        csv_out_end_row(&o);
        for (size_t j = 0; j < total; j++) {
            const struct csv_table *t = &tm->t[refs[j].src];
            for (size_t c = 0; c < t->ncols; c++)
                csv_out_field(&o, csv_table_get(t, refs[j].row, (int)c));
            csv_out_field(&o, tm->m->machines[tm->m->src[refs[j].src].machine]);
            csv_out_end_row(&o);
        }
        rc = csv_out_commit(&o, err, errlen);
    }
    free(refs);
    return rc;
}

int merge_table(const struct merge_set *m, const char *out, const char *name, merge_key_fn key, void *ctx,
                struct csv_table *keep, char *err, size_t errlen)
{
    struct table_merge tm = {m, calloc(m->nsrc, sizeof(struct csv_table)), key, ctx};
    if (!tm.t) {
        snprintf(err, errlen, "out of memory");
        return NB_EXIT_ENV;
    }
    int rc = read_tables(&tm, name, err, errlen);
    if (rc == 0)
        rc = write_table(&tm, out, name, err, errlen);
    else if (rc == 1)
        rc = 0; /* no source has it: nothing to merge */
    for (size_t i = 0; i < m->nsrc; i++) {
        if (keep && rc == 0)
            keep[i] = tm.t[i];
        else
            csv_table_free(&tm.t[i]);
    }
    free(tm.t);
    return rc;
}

/* ---- a run's files: perf.csv and samples.csv by round_group (the shape
 * group's id in the whole plan, the order of an unsharded run), accuracy.csv
 * by the round_group of its perf.csv row ---- */

static double round_group_key(void *ctx, size_t src, const struct csv_table *t, size_t row)
{
    (void)ctx;
    (void)src;
    return csv_table_num(t, row, csv_table_col(t, "round_group"));
}

static int same_cell(const struct csv_table *a, size_t ra, const struct csv_table *b, size_t rb, const char *col)
{
    return !strcmp(csv_table_get(a, ra, csv_table_col(a, col)), csv_table_get(b, rb, csv_table_col(b, col)));
}

static double accuracy_key(void *ctx, size_t src, const struct csv_table *t, size_t row)
{
    const struct csv_table *perf = &((const struct csv_table *)ctx)[src];
    static const char *const cols[] = {"variant", "rows", "n", "eps"};
    for (size_t r = 0; r < perf->nrows; r++) {
        size_t c = 0;
        while (c < 4 && same_cell(perf, r, t, row, cols[c]))
            c++;
        if (c == 4)
            return csv_table_num(perf, r, csv_table_col(perf, "round_group")) + (double)r / (double)(perf->nrows + 1);
    }
    return NAN;
}

static int merge_run_tables(const struct merge_set *m, const char *out, size_t *rows, char *err, size_t errlen)
{
    struct csv_table *perf = calloc(m->nsrc, sizeof *perf);
    if (!perf) {
        snprintf(err, errlen, "out of memory");
        return NB_EXIT_ENV;
    }
    int rc = merge_table(m, out, "perf.csv", round_group_key, NULL, perf, err, errlen);
    if (!rc)
        rc = merge_table(m, out, "samples.csv", round_group_key, NULL, NULL, err, errlen);
    if (!rc)
        rc = merge_table(m, out, "accuracy.csv", accuracy_key, perf, NULL, err, errlen);
    *rows = 0;
    for (size_t i = 0; i < m->nsrc; i++) {
        *rows += perf[i].nrows;
        csv_table_free(&perf[i]);
    }
    free(perf);
    return rc;
}

/* ---- meta.csv: the first source's facts (the machine's, for a report of
 * one machine), then what was merged, then each machine's ceilings ---- */

static int merged_away(const char *key)
{
    static const char *const keys[] = {"status", "shard", "job_list", "rows_measured", "results", NULL};
    for (size_t i = 0; keys[i]; i++)
        if (!strcmp(key, keys[i]))
            return 1;
    return 0;
}

static void machine_lines(struct meta_list *meta, const struct merge_set *m)
{
    for (size_t k = 0, i = 0; k < m->nmachines; k++) {
        while (m->src[i].machine != k)
            i++;
        const struct merge_source *s = &m->src[i];
        size_t parts = 0;
        for (size_t j = i; j < m->nsrc && m->src[j].machine == k; j++)
            parts++;
        meta_add(meta, "machine", "%s", m->machines[k]);
        char key[96];
        snprintf(key, sizeof key, "machine_%zu_parts", k + 1);
        meta_add(meta, key, "%zu (%s)", parts, s->shard_count ? "shards" : "unsharded");
        /* ceilings and caches: the machine's first part's (every part
         * measured its own; each row's share is against its part's) */
        for (size_t r = 0; r < s->meta.nrows; r++) {
            const char *name = csv_table_get(&s->meta, r, 0);
            if (strncmp(name, "ceiling_", 8) && strcmp(name, "cpu_model") && strcmp(name, "host_name") &&
                strcmp(name, "cores") && strncmp(name, "l1d_", 4) && strncmp(name, "l2_", 3) && strncmp(name, "l3_", 3))
                continue;
            snprintf(key, sizeof key, "machine_%zu_%s", k + 1, name);
            meta_add(meta, key, "%s", csv_table_get(&s->meta, r, 1));
        }
    }
}

static int write_meta(const struct merge_set *m, const char *out, size_t rows, char *err, size_t errlen)
{
    struct meta_list meta = {0};
    const struct merge_source *first = &m->src[0];
    for (size_t r = 0; r < first->meta.nrows; r++)
        if (!merged_away(csv_table_get(&first->meta, r, 0)))
            meta_add(&meta, csv_table_get(&first->meta, r, 0), "%s", csv_table_get(&first->meta, r, 1));
    char list[8192] = "";
    for (size_t i = 0; i < m->nsrc; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "; " : "", m->src[i].dir);
    meta_add(&meta, "merged_from", "%s", list);
    meta_add(&meta, "machines", "%zu", m->nmachines);
    machine_lines(&meta, m);
    /* of how many: each machine's whole job list ("k of N jobs, ..." in
     * every part; a sweep's "k of N lines" counts lines, not rows) */
    size_t planned = 0;
    for (size_t i = 0; i < m->nsrc; i++) {
        size_t part, whole;
        if (i == 0 || m->src[i].machine != m->src[i - 1].machine)
            if (sscanf(merge_meta(&m->src[i], "job_list"), "%zu of %zu jobs", &part, &whole) == 2)
                planned += whole;
    }
    if (m->kind == MERGE_RUN && planned)
        meta_add(&meta, "rows_measured", "%zu of %zu", rows, planned);
    else
        meta_add(&meta, m->kind == MERGE_SWEEP ? "results" : "rows_measured", "%zu", rows);
    meta_add(&meta, "status", "complete");
    char path[4200];
    snprintf(path, sizeof path, "%s/meta.csv", out);
    int rc = write_meta_csv(path, meta.e, meta.count, err, errlen);
    meta_free(&meta);
    return rc;
}

int merge_write(const struct merge_set *m, const char *out, char *err, size_t errlen)
{
    size_t rows = 0;
    int rc = m->kind == MERGE_SWEEP ? merge_sweep(m, out, &rows, err, errlen)
                                    : merge_run_tables(m, out, &rows, err, errlen);
    if (!rc)
        rc = write_meta(m, out, rows, err, errlen);
    return rc;
}
