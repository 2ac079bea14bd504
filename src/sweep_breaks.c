#include "sweep_breaks.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* what a bisection asks of a scale */
struct probe {
    const struct nb_variant *v;
    struct study_cell cell;
    struct ref_cache *cache;
    int (*interrupted)(void);
    int oom;
    double accurate_limit; /* accurate_at: the error at the terms allowed */
};

static struct accuracy_summary measure_at(struct probe *p, double scale)
{
    struct accuracy_summary s;
    memset(&s, 0, sizeof s);
    p->cell.dist.scale = scale;
    if (study_measure(p->v, &p->cell, p->cache, &s) != 0)
        p->oom = 1;
    return s;
}

static int holds_at(struct probe *p, double scale)
{
    const struct accuracy_summary s = measure_at(p, scale);
    return sweep_cell_holds(p->v, &s);
}

static int accurate_at(struct probe *p, double scale)
{
    const struct accuracy_summary s = measure_at(p, scale);
    return sweep_cell_holds(p->v, &s) && s.max_ulp_terms <= p->accurate_limit;
}

static int lost_at(struct probe *p, double scale)
{
    p->cell.dist.scale = scale;
    return study_inputs_lost(p->v, &p->cell) > 0;
}

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static double float_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* The smallest f32 scale in (a, b] at which test gives what it gives at b,
 * where it gives the other answer at a (0 < a < b): positive floats order
 * as their bit patterns, so this bisects the patterns, one ULP at the end. */
static double bisect(struct probe *p, int (*test)(struct probe *, double), double a, double b)
{
    uint32_t lo = bits_of((float)a), hi = bits_of((float)b);
    const int at_b = test(p, float_of(hi));
    while (hi - lo > 1 && !p->oom && !(p->interrupted && p->interrupted())) {
        const uint32_t mid = lo + (hi - lo) / 2;
        if (test(p, float_of(mid)) == at_b)
            hi = mid;
        else
            lo = mid;
    }
    return float_of(hi);
}

static int same_line(const struct sweep_row *r, const struct sweep_row *f)
{
    return r->v == f->v && r->n == f->n && r->eps == f->eps && r->dist.kind == f->dist.kind &&
           r->dist.offset == f->dist.offset;
}

static int by_scale(const void *a, const void *b)
{
    const struct sweep_row *x = *(const struct sweep_row *const *)a, *y = *(const struct sweep_row *const *)b;
    return (x->dist.scale > y->dist.scale) - (x->dist.scale < y->dist.scale);
}

/* the first index from `from` whose cell says `want` to pick, m if none */
static size_t first_where(struct sweep_row **line, size_t m, size_t from, int (*pick)(const struct sweep_row *),
                          int want)
{
    size_t k = from;
    while (k < m && pick(line[k]) != want)
        k++;
    return k;
}

static int row_holds(const struct sweep_row *r)
{
    return sweep_cell_holds(r->v, &r->s);
}

static int row_lost(const struct sweep_row *r)
{
    return r->s.inputs_lost > 0;
}

static int accurate_at_row(const struct sweep_row *r, double limit)
{
    return row_holds(r) && r->s.max_ulp_terms <= limit;
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* accurate_from (sweep_breaks.h), nat variants only: the limit is twice
 * the median error of the line's cells that hold (at least 2 ULP); from the cell nearest 1
 * within it, downwards, the first cell beyond it brackets the point */
static double accurate_from(struct sweep_row **line, size_t m, struct probe *p)
{
    if (m == 0 || line[0]->v->ulp_bound >= 0)
        return NAN; /* a bounded variant's holds_from is the point */
    double *err = malloc((m ? m : 1) * sizeof *err);
    size_t held = 0;
    for (size_t k = 0; err && k < m; k++)
        if (!row_lost(line[k]) && row_holds(line[k]))
            err[held++] = line[k]->s.max_ulp_terms;
    if (!err || held == 0) {
        free(err);
        return NAN;
    }
    qsort(err, held, sizeof *err, by_value);
    p->accurate_limit = fmax(2 * err[held / 2], 2.0);
    free(err);
    size_t one = m;
    for (size_t k = 0; k < m; k++)
        if (!row_lost(line[k]) && accurate_at_row(line[k], p->accurate_limit) &&
            (one == m || fabs(log2(line[k]->dist.scale)) < fabs(log2(line[one]->dist.scale))))
            one = k;
    for (size_t k = one; one < m && k-- > 0;) {
        const struct sweep_row *r = line[k];
        if (row_lost(r))
            return NAN; /* the storage type lost the inputs first */
        if (!accurate_at_row(r, p->accurate_limit))
            return bisect(p, accurate_at, r->dist.scale, line[k + 1]->dist.scale);
    }
    return NAN;
}

/* one line, sorted by scale: its five break points */
static void line_breaks(struct sweep_row **line, size_t m, struct probe *p, double out[5])
{
    for (int k = 0; k < 5; k++)
        out[k] = NAN;
    out[4] = accurate_from(line, m, p);
    const size_t lo = first_where(line, m, 0, row_holds, 1);
    if (lo < m) {
        if (lo > 0 && !row_lost(line[lo - 1]))
            out[0] = bisect(p, holds_at, line[lo - 1]->dist.scale, line[lo]->dist.scale);
        const size_t hi = first_where(line, m, lo, row_holds, 0);
        if (hi < m && !row_lost(line[hi]))
            out[1] = bisect(p, holds_at, line[hi - 1]->dist.scale, line[hi]->dist.scale);
    }
    const size_t kept = first_where(line, m, 0, row_lost, 0);
    if (kept < m) {
        if (kept > 0)
            out[2] = bisect(p, lost_at, line[kept - 1]->dist.scale, line[kept]->dist.scale);
        const size_t lost = first_where(line, m, kept, row_lost, 1);
        if (lost < m)
            out[3] = bisect(p, lost_at, line[lost - 1]->dist.scale, line[lost]->dist.scale);
    }
}

int sweep_find_breaks(struct sweep_row *rows, size_t count, const struct nb_suite *s, struct ref_cache *cache,
                      int (*interrupted)(void))
{
    struct sweep_row **line = malloc((count ? count : 1) * sizeof *line);
    char *done = calloc(count ? count : 1, 1);
    int rc = line && done ? 0 : 3;
    for (size_t i = 0; i < count; i++)
        rows[i].holds_from = rows[i].breaks_at = rows[i].kept_from = rows[i].lost_from = rows[i].accurate_from = NAN;
    for (size_t i = 0; !rc && i < count; i++) {
        if (done[i] || rows[i].dist.scale <= 0)
            continue;
        size_t m = 0;
        for (size_t k = i; k < count; k++)
            if (!done[k] && same_line(&rows[k], &rows[i])) {
                line[m++] = &rows[k];
                done[k] = 1;
            }
        qsort(line, m, sizeof *line, by_scale);
        struct probe p = {.v = rows[i].v,
                          .cell = {.rows = s->sweep_rows, .n = rows[i].n, .eps = rows[i].eps, .p = s->p,
                                   .dist = rows[i].dist, .seed = s->seed, .dy_is_x = s->dy_is_x},
                          .cache = cache, .interrupted = interrupted};
        double b[5];
        line_breaks(line, m, &p, b);
        if (p.oom)
            rc = 3;
        for (size_t k = 0; k < m; k++) {
            line[k]->holds_from = b[0];
            line[k]->breaks_at = b[1];
            line[k]->kept_from = b[2];
            line[k]->lost_from = b[3];
            line[k]->accurate_from = b[4];
        }
    }
    free(line);
    free(done);
    return rc;
}
