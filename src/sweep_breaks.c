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
};

static int holds_at(struct probe *p, double scale)
{
    struct accuracy_summary s;
    memset(&s, 0, sizeof s);
    p->cell.dist.scale = scale;
    if (study_measure(p->v, &p->cell, p->cache, &s) != 0)
        p->oom = 1;
    return sweep_cell_holds(p->v, &s);
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

/* one line, sorted by scale: its four break points */
static void line_breaks(struct sweep_row **line, size_t m, struct probe *p, double out[4])
{
    for (int k = 0; k < 4; k++)
        out[k] = NAN;
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
        rows[i].holds_from = rows[i].breaks_at = rows[i].kept_from = rows[i].lost_from = NAN;
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
                                   .dist = rows[i].dist, .seed = s->seed},
                          .cache = cache, .interrupted = interrupted};
        double b[4];
        line_breaks(line, m, &p, b);
        if (p.oom)
            rc = 3;
        for (size_t k = 0; k < m; k++) {
            line[k]->holds_from = b[0];
            line[k]->breaks_at = b[1];
            line[k]->kept_from = b[2];
            line[k]->lost_from = b[3];
        }
    }
    free(line);
    free(done);
    return rc;
}
