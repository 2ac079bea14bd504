/* merge: a sweep's parts. sweep.csv in the order the unsharded sweep writes
 * (distribution, offset, n, eps, scale, then variant, as the config lists
 * them), and summary.md written again from the merged rows, one per
 * machine. */
#include "merge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "config.h"
#include "registry.h"
#include "sweep_report.h"

static size_t index_of(const double *list, size_t count, double v)
{
    for (size_t i = 0; i < count; i++)
        if (list[i] == v)
            return i;
    return count;
}

/* the variants' order: norm, dtype, then the registry's (cmd_sweep's) */
static double variant_rank(const struct nb_variant *v)
{
    size_t i = 0;
    while (registry_at(i) != v)
        i++;
    return ((double)v->norm * NB_DTYPE_COUNT + (double)v->dtype) * (double)registry_count() + (double)i;
}

static double sweep_key(void *ctx, size_t src, const struct csv_table *t, size_t row)
{
    (void)src;
    const struct nb_suite *s = ctx;
    const struct nb_variant *v = registry_find(csv_table_get(t, row, csv_table_col(t, "variant")));
    enum nb_dist kind;
    if (!v || dist_parse(csv_table_get(t, row, csv_table_col(t, "dist")), &kind))
        return NAN;
    size_t d = 0;
    while (d < s->ndists && s->dists[d] != kind)
        d++;
    const double n = csv_table_num(t, row, csv_table_col(t, "n"));
    size_t h = 0;
    while (h < s->nhidden && (double)s->hidden[h] != n)
        h++;
    const size_t o = kind == NB_DIST_OFFSET
                         ? index_of(s->offsets, s->noffsets, csv_table_num(t, row, csv_table_col(t, "offset")))
                         : 0;
    const size_t e = index_of(s->eps, s->neps, csv_table_num(t, row, csv_table_col(t, "eps")));
    const size_t sc = index_of(s->scales, s->nscales, csv_table_num(t, row, csv_table_col(t, "scale")));
    if (d == s->ndists || h == s->nhidden || o == (kind == NB_DIST_OFFSET ? s->noffsets : 1) || e == s->neps ||
        sc == s->nscales)
        return NAN;
    double cell = ((((double)d * (double)(s->noffsets + 1) + (double)o) * (double)s->nhidden + (double)h) *
                       (double)s->neps + (double)e) * (double)s->nscales + (double)sc;
    return cell * (double)NB_NORM_COUNT * NB_DTYPE_COUNT * (double)registry_count() + variant_rank(v);
}

static double num_or_nan(const struct csv_table *t, size_t row, const char *col)
{
    return csv_table_num(t, row, csv_table_col(t, col));
}

/* sweep.csv's figures back into the summary a cell had: its count, sums
 * and maxima (the sums from the means the file holds) */
static void row_from_csv(struct sweep_row *r, const struct csv_table *t, size_t row)
{
    memset(r, 0, sizeof *r);
    r->v = registry_find(csv_table_get(t, row, csv_table_col(t, "variant")));
    r->n = (size_t)num_or_nan(t, row, "n");
    r->eps = num_or_nan(t, row, "eps");
    dist_parse(csv_table_get(t, row, csv_table_col(t, "dist")), &r->dist.kind);
    r->dist.scale = num_or_nan(t, row, "scale");
    r->dist.offset = num_or_nan(t, row, "offset");
    struct accuracy_summary *s = &r->s;
    s->count = (size_t)num_or_nan(t, row, "rows_checked") * r->n;
    s->max_ulp = num_or_nan(t, row, "max_ulp");
    s->sum_ulp = num_or_nan(t, row, "mean_ulp") * (double)s->count;
    s->max_rel = num_or_nan(t, row, "max_rel");
    const double rms = num_or_nan(t, row, "rms_rel");
    s->sum_rel2 = rms * rms * (double)s->count;
    s->sum_ref2 = 1;
    s->sum_err2 = num_or_nan(t, row, "nmse");
    s->correctly_rounded = (size_t)nearbyint(num_or_nan(t, row, "exact_share") * (double)s->count);
    s->nan = (size_t)num_or_nan(t, row, "nan");
    s->pos_inf = (size_t)num_or_nan(t, row, "pos_inf");
    s->neg_inf = (size_t)num_or_nan(t, row, "neg_inf");
    s->false_zero = (size_t)num_or_nan(t, row, "false_zero");
    s->false_nonfinite = (size_t)num_or_nan(t, row, "false_nonfinite");
    s->max_ulp_terms = num_or_nan(t, row, "max_ulp_terms");
    s->inputs_lost = (size_t)num_or_nan(t, row, "inputs_lost");
    const double up = num_or_nan(t, row, "up_max_ulp");
    if (isfinite(up)) {
        s->twin_count = s->count;
        s->twin_max_ulp = up;
        s->twin_equal = (size_t)nearbyint(num_or_nan(t, row, "up_equal_share") * (double)s->count);
    }
    r->holds_from = num_or_nan(t, row, "holds_from");
    r->breaks_at = num_or_nan(t, row, "breaks_at");
    r->kept_from = num_or_nan(t, row, "kept_from");
    r->lost_from = num_or_nan(t, row, "lost_from");
    r->accurate_from = num_or_nan(t, row, "accurate_from");
}

/* summary.md of machine k's rows of the merged sweep.csv */
static int machine_summary(const struct merge_set *m, size_t k, const struct csv_table *t, const char *out,
                           const struct nb_suite *s, const char *config)
{
    struct sweep_row *rows = calloc(t->nrows ? t->nrows : 1, sizeof *rows);
    if (!rows)
        return NB_EXIT_ENV;
    const int mc = csv_table_col(t, "machine");
    size_t count = 0;
    for (size_t r = 0; r < t->nrows; r++)
        if (!strcmp(csv_table_get(t, r, mc), m->machines[k]))
            row_from_csv(&rows[count++], t, r);
    char dir[4200], note[900];
    snprintf(dir, sizeof dir, "%s", out);
    if (m->nmachines > 1) {
        snprintf(dir, sizeof dir, "%s/machine-%zu", out, k + 1);
        mkdir(dir, 0777);
    }
    snprintf(note, sizeof note, "merged by normbench merge from %zu part%s%s%s", m->nsrc, m->nsrc == 1 ? "" : "s",
             m->nmachines > 1 ? "; the rows of " : "", m->nmachines > 1 ? m->machines[k] : "");
    int rc = sweep_write_summary(dir, rows, count, s, config, NULL, 1, note);
    free(rows);
    return rc;
}

int merge_sweep(const struct merge_set *m, const char *out, size_t *rows, char *err, size_t errlen)
{
    /* read from its absolute path, named as the sweep named it */
    const char *config = merge_meta(&m->src[0], "config"), *path_read = merge_meta(&m->src[0], "config_path");
    if (!path_read)
        path_read = config;
    struct nb_suite grid;
    suite_defaults(&grid);
    int rc = config ? suite_load_file(&grid, path_read, err, errlen) : NB_EXIT_USAGE;
    if (!config)
        snprintf(err, errlen, "%s/meta.csv: no config line: the sweep's grid is unknown", m->src[0].dir);
    if (rc)
        return rc;
    char clamp_note[300];
    sweep_clamp_scales(&grid, clamp_note, sizeof clamp_note);
    rc = merge_table(m, out, "sweep.csv", sweep_key, &grid, NULL, err, errlen);
    if (rc)
        return rc;
    char path[4200];
    snprintf(path, sizeof path, "%s/sweep.csv", out);
    /* the merged rows, as the summary of an unsharded sweep reads them */
    struct csv_table merged;
    if ((rc = csv_table_read(path, &merged, err, errlen)))
        return rc;
    *rows = merged.nrows;
    for (size_t k = 0; k < m->nmachines && !rc; k++)
        if (machine_summary(m, k, &merged, out, &grid, config)) {
            snprintf(err, errlen, "%s: summary.md could not be written", out);
            rc = NB_EXIT_ENV;
        }
    csv_table_free(&merged);
    return rc;
}
