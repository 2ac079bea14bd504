#include "report_pairs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const key_cols[] = {"variant", "rows", "n", "eps", "threads", "cache"};
#define NKEY 6

void report_pairs_open(struct report_pairs *rp, const char *dir)
{
    char path[4200], err[600];
    memset(rp, 0, sizeof *rp);
    snprintf(path, sizeof path, "%s/samples.csv", dir);
    if (csv_table_read(path, &rp->samples, err, sizeof err) != 0)
        return;
    rp->have = csv_table_col(&rp->samples, "round_group") >= 0 && csv_table_col(&rp->samples, "ns_per_call") >= 0;
    if (!rp->have)
        csv_table_free(&rp->samples);
}

void report_pairs_close(struct report_pairs *rp)
{
    if (rp->have)
        csv_table_free(&rp->samples);
    rp->have = 0;
}

/* The samples of perf row `row`, in round order; the count, 0 if none. */
static size_t samples_of(const struct report_pairs *rp, const struct csv_table *p, size_t row, double **out)
{
    const struct csv_table *s = &rp->samples;
    int pc[NKEY], sc[NKEY];
    for (int k = 0; k < NKEY; k++)
        if ((pc[k] = csv_table_col(p, key_cols[k])) < 0 || (sc[k] = csv_table_col(s, key_cols[k])) < 0)
            return 0;
    int pg = csv_table_col(p, "round_group"), sg = csv_table_col(s, "round_group");
    int ns = csv_table_col(s, "ns_per_call"), rep = csv_table_col(s, "rep");
    if (pg < 0 || rep < 0)
        return 0;
    size_t count = 0, cap = 0;
    *out = NULL;
    for (size_t i = 0; i < s->nrows; i++) {
        int same = !strcmp(csv_table_get(s, i, sg), csv_table_get(p, row, pg));
        for (int k = 0; k < NKEY && same; k++)
            same = !strcmp(csv_table_get(s, i, sc[k]), csv_table_get(p, row, pc[k]));
        if (!same)
            continue;
        double r = csv_table_num(s, i, rep);
        if (!(r >= 0) || r != floor(r)) /* a broken rep column: no pairing */
            break;
        size_t at = (size_t)r;
        if (at >= cap) {
            size_t ncap = at + 16;
            double *grown = realloc(*out, ncap * sizeof *grown);
            if (!grown)
                break;
            for (size_t z = cap; z < ncap; z++)
                grown[z] = NAN;
            *out = grown;
            cap = ncap;
        }
        (*out)[at] = csv_table_num(s, i, ns);
        if (at + 1 > count)
            count = at + 1;
    }
    return count;
}

void report_pair(const struct report_pairs *rp, const struct csv_table *p, size_t slow, size_t fast,
                 struct ratio_ci *out)
{
    int med = csv_table_col(p, "median_ns"), grp = csv_table_col(p, "round_group");
    *out = (struct ratio_ci){NAN, NAN, NAN, 0};
    if (med < 0)
        return;
    if (rp->have && grp >= 0 && !strcmp(csv_table_get(p, slow, grp), csv_table_get(p, fast, grp))) {
        double *a = NULL, *b = NULL;
        size_t na = samples_of(rp, p, slow, &a), nb = samples_of(rp, p, fast, &b);
        if (na > 0 && na == nb) {
            paired_ratio(a, b, na, out);
            ratio_ci_widen(out, PAIRED_RUN_FLOOR);
        }
        free(a);
        free(b);
        if (out->n > 0)
            return;
    }
    out->mid = csv_table_num(p, slow, med) / csv_table_num(p, fast, med);
}

void report_ratio_cell(FILE *md, const struct ratio_ci *r)
{
    if (!isfinite(r->mid))
        fprintf(md, " n/a |");
    else if (!isfinite(r->lo) || !isfinite(r->hi))
        fprintf(md, " %.2f |", r->mid);
    else
        fprintf(md, " %.2f [%.2f, %.2f] |", r->mid, r->lo, r->hi);
}

void report_ratio_column_cell(FILE *md, const struct csv_table *p, size_t row, const char *column)
{
    char lo[80], hi[80];
    snprintf(lo, sizeof lo, "%s_lo", column);
    snprintf(hi, sizeof hi, "%s_hi", column);
    int c = csv_table_col(p, column), cl = csv_table_col(p, lo), ch = csv_table_col(p, hi);
    struct ratio_ci r = {c >= 0 ? csv_table_num(p, row, c) : NAN, cl >= 0 ? csv_table_num(p, row, cl) : NAN,
                         ch >= 0 ? csv_table_num(p, row, ch) : NAN, 0};
    report_ratio_cell(md, &r);
}
