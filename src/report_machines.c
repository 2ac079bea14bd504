/* report.md of a run merged from several machines (normbench merge): each
 * machine's caches and ceilings, the best variant per shape on each, and
 * every variant's share of its own machine's copy ceiling side by side. */
#include "report_machines.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology.h"

/* A ratio of shares across machines at least this large is marked: the
 * kernel suits one microarchitecture much better than another. */
#define STANDS_OUT 1.5

struct machines {
    const char *name[REPORT_MAX_MACHINES];
    size_t count;
};

static size_t machines_of(const struct csv_table *perf, struct machines *m)
{
    const int col = csv_table_col(perf, "machine");
    m->count = 0;
    for (size_t r = 0; col >= 0 && r < perf->nrows; r++) {
        const char *name = csv_table_get(perf, r, col);
        size_t k = 0;
        while (k < m->count && strcmp(m->name[k], name))
            k++;
        if (k == m->count && m->count < REPORT_MAX_MACHINES)
            m->name[m->count++] = name;
    }
    return m->count;
}

size_t report_machine_count(const struct csv_table *perf)
{
    struct machines m;
    return machines_of(perf, &m);
}

static const char *meta_value(const struct csv_table *meta, const char *key)
{
    for (size_t i = 0; i < meta->nrows; i++)
        if (!strcmp(csv_table_get(meta, i, 0), key))
            return csv_table_get(meta, i, 1);
    return "n/a";
}

/* the index k (from 1) of merge's machine_k_* lines for this machine */
static size_t meta_index(const struct csv_table *meta, const char *machine)
{
    size_t k = 0;
    for (size_t i = 0; i < meta->nrows; i++)
        if (!strcmp(csv_table_get(meta, i, 0), "machine")) {
            k++;
            if (!strcmp(csv_table_get(meta, i, 1), machine))
                return k;
        }
    return 0;
}

static const char *machine_meta(const struct csv_table *meta, const char *machine, const char *key)
{
    char full[128];
    snprintf(full, sizeof full, "machine_%zu_%s", meta_index(meta, machine), key);
    return meta_value(meta, full);
}

static void machines_table(FILE *md, const struct machines *m, const struct csv_table *meta)
{
    fprintf(md, "## Machines\n\nEach machine's caches and the copy ceiling it measured (GB/s, one thread; the "
                "machine's first part's, as merged). Shares below are against each row's own machine.\n\n"
                "| | machine | cores | L1d | L2 | L3 |");
    for (int t = 0; t < NB_TIER_COUNT; t++)
        fprintf(md, " copy %s |", tier_name((enum nb_tier)t));
    fprintf(md, "\n|---|---|---|---|---|---|");
    for (int t = 0; t < NB_TIER_COUNT; t++)
        fprintf(md, "---|");
    fprintf(md, "\n");
    for (size_t k = 0; k < m->count; k++) {
        fprintf(md, "| M%zu | %s | %s | %s | %s | %s |", k + 1, m->name[k], machine_meta(meta, m->name[k], "cores"),
                machine_meta(meta, m->name[k], "l1d_bytes"), machine_meta(meta, m->name[k], "l2_bytes"),
                machine_meta(meta, m->name[k], "l3_bytes"));
        for (int t = 0; t < NB_TIER_COUNT; t++) {
            char key[64];
            snprintf(key, sizeof key, "ceiling_%s_copy_gbs", tier_name((enum nb_tier)t));
            fprintf(md, " %s |", machine_meta(meta, m->name[k], key));
        }
        fprintf(md, "\n");
    }
    fprintf(md, "\n");
}

struct cols {
    int machine, variant, norm, dtype, tier, n, threads, gbs, share;
};

static int one_thread(const struct csv_table *p, const struct cols *c, size_t r)
{
    return c->threads < 0 || !strcmp(csv_table_get(p, r, c->threads), "1");
}

static int same_shape(const struct csv_table *p, const struct cols *c, size_t a, size_t b, int with_variant)
{
    return csv_table_same(p, a, b, c->norm) && csv_table_same(p, a, b, c->dtype) && csv_table_same(p, a, b, c->tier) &&
           csv_table_same(p, a, b, c->n) && (!with_variant || csv_table_same(p, a, b, c->variant));
}

/* the first row (in file order) of each key, one thread */
static int first_of_key(const struct csv_table *p, const struct cols *c, size_t r, int with_variant)
{
    if (!one_thread(p, c, r))
        return 0;
    for (size_t k = 0; k < r; k++)
        if (one_thread(p, c, k) && same_shape(p, c, k, r, with_variant))
            return 0;
    return 1;
}

/* " M1 | M2 |" (then extra), the separator row for lead + machines (+1
 * with extra) columns, and the newline */
static void machine_columns(FILE *md, const struct machines *m, size_t lead, const char *extra)
{
    for (size_t k = 0; k < m->count; k++)
        fprintf(md, " M%zu |", k + 1);
    fprintf(md, "%s\n|", extra ? extra : "");
    for (size_t k = 0; k < lead + m->count + (extra != NULL); k++)
        fprintf(md, "---|");
    fprintf(md, "\n");
}

static void best_table(FILE *md, const struct machines *m, const struct csv_table *p, const struct cols *c)
{
    fprintf(md, "## Best variant per norm, dtype, tier and n\n\nOne thread; GB/s and share of the machine's copy "
                "ceiling.\n\n| norm | dtype | tier | n |");
    machine_columns(md, m, 4, NULL);
    for (int t = 0; t < NB_TIER_COUNT; t++)
        for (size_t r = 0; r < p->nrows; r++) {
            if (strcmp(csv_table_get(p, r, c->tier), tier_name((enum nb_tier)t)) || !first_of_key(p, c, r, 0))
                continue;
            fprintf(md, "| %s | %s | %s | %s |", csv_table_get(p, r, c->norm), csv_table_get(p, r, c->dtype),
                    csv_table_get(p, r, c->tier), csv_table_get(p, r, c->n));
            for (size_t k = 0; k < m->count; k++) {
                size_t best = p->nrows;
                for (size_t i = 0; i < p->nrows; i++)
                    if (one_thread(p, c, i) && same_shape(p, c, i, r, 0) &&
                        !strcmp(csv_table_get(p, i, c->machine), m->name[k]) &&
                        (best == p->nrows || csv_table_num(p, i, c->gbs) > csv_table_num(p, best, c->gbs)))
                        best = i;
                if (best == p->nrows)
                    fprintf(md, " n/a (not measured) |");
                else
                    fprintf(md, " %s %.1f (%.2f) |", csv_table_get(p, best, c->variant), csv_table_num(p, best, c->gbs),
                            csv_table_num(p, best, c->share));
            }
            fprintf(md, "\n");
        }
    fprintf(md, "\n");
}

static void share_table(FILE *md, const struct machines *m, const struct csv_table *p, const struct cols *c)
{
    fprintf(md, "## Share of each machine's copy ceiling, side by side\n\nOne thread. max/min: the largest share "
                "over the smallest; **bold** from %.1f on, a kernel that suits one machine much better than "
                "another.\n\n| variant | tier | n |", STANDS_OUT);
    machine_columns(md, m, 3, " max/min |");
    for (int t = 0; t < NB_TIER_COUNT; t++)
        for (size_t r = 0; r < p->nrows; r++) {
            if (strcmp(csv_table_get(p, r, c->tier), tier_name((enum nb_tier)t)) || !first_of_key(p, c, r, 1))
                continue;
            fprintf(md, "| %s | %s | %s |", csv_table_get(p, r, c->variant), csv_table_get(p, r, c->tier),
                    csv_table_get(p, r, c->n));
            double lo = NAN, hi = NAN;
            for (size_t k = 0; k < m->count; k++) {
                double share = NAN;
                for (size_t i = 0; i < p->nrows && isnan(share); i++)
                    if (one_thread(p, c, i) && same_shape(p, c, i, r, 1) &&
                        !strcmp(csv_table_get(p, i, c->machine), m->name[k]))
                        share = csv_table_num(p, i, c->share);
                if (isnan(share))
                    fprintf(md, " n/a |");
                else
                    fprintf(md, " %.2f |", share);
                lo = fmin(lo, share);
                hi = fmax(hi, share);
            }
            if (isfinite(lo) && lo > 0 && m->count > 1)
                fprintf(md, hi / lo >= STANDS_OUT ? " **%.2f** |\n" : " %.2f |\n", hi / lo);
            else
                fprintf(md, " n/a |\n");
        }
    fprintf(md, "\n");
}

int report_machines(FILE *md, const struct csv_table *perf, const struct csv_table *meta)
{
    struct machines m;
    machines_of(perf, &m);
    struct cols c = {csv_table_col(perf, "machine"), csv_table_col(perf, "variant"), csv_table_col(perf, "norm"),
                     csv_table_col(perf, "dtype"),   csv_table_col(perf, "tier"),    csv_table_col(perf, "n"),
                     csv_table_col(perf, "threads"), csv_table_col(perf, "bandwidth_gbs"),
                     csv_table_col(perf, "roofline_share")};
    if (c.machine < 0 || c.variant < 0 || c.norm < 0 || c.dtype < 0 || c.tier < 0 || c.n < 0 || c.gbs < 0 ||
        c.share < 0)
        return -1;
    fprintf(md, "Merged from %zu machines (`normbench merge`; %s). Rows measured on different machines are not "
                "paired: each machine's figures are its own run's, and a ratio across machines compares two "
                "runs.\n\n", m.count, meta_value(meta, "merged_from"));
    machines_table(md, &m, meta);
    best_table(md, &m, perf, &c);
    share_table(md, &m, perf, &c);
    return 0;
}
