/* What a sweep writes: sweep.csv, summary.md and the plots, and the
 * verdict on each cell. */
#include "sweep_report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "csv_io.h"
#include "plot.h"
#include "reference.h"
#include "results.h"
#include "run.h"


/* The variant broke: NaN, Inf or zero where the correctly rounded result
 * is finite and non-zero (a NaN the reference also gives, from inputs that
 * overflowed the storage type, is not the kernel's doing). */
static int broken(const struct accuracy_summary *s)
{
    return s->false_nonfinite + s->false_zero > 0;
}

/* A cell's verdict. Inputs lost to the storage type (overflowed or flushed
 * to zero when stored) make a cell say nothing about the kernel: it is not
 * data, whatever the error. `nat` variants are reported, not bounded (as in
 * run), unless they broke. */
enum cell_verdict { CELL_WITHIN, CELL_BEYOND, CELL_NOT_BOUNDED, CELL_INPUTS_LOST };

static enum cell_verdict cell_verdict(const struct nb_variant *v, const struct accuracy_summary *s)
{
    if (s->inputs_lost)
        return CELL_INPUTS_LOST;
    if (broken(s))
        return CELL_BEYOND;
    if (v->ulp_bound < 0)
        return CELL_NOT_BOUNDED;
    return s->max_ulp_terms <= v->ulp_bound ? CELL_WITHIN : CELL_BEYOND;
}

static const char *const verdict_names[] = {"yes", "no", "not bounded", "inputs lost"};

/* the cell counts as a result on the kernel: within its bound, or a nat
 * variant that did not break */
int sweep_cell_holds(const struct nb_variant *v, const struct accuracy_summary *s)
{
    enum cell_verdict c = cell_verdict(v, s);
    return c == CELL_WITHIN || c == CELL_NOT_BOUNDED;
}



static const char *const sweep_extra_columns[] = {"offset", "max_ulp_terms", "false_nonfinite", "bound_ulp",
                                                  "within_bound", "inputs_lost", "holds_from", "breaks_at",
                                                  "kept_from", "lost_from", "up_max_ulp", "up_equal_share",
                                                  "accurate_from", NULL};

int sweep_write_csv(const char *path, const struct sweep_row *rows, size_t count, size_t nrows_data,
                           char *err, size_t errlen)
{
    struct csv_out o;
    int rc = csv_out_open(&o, path, err, errlen);
    if (rc)
        return rc;
    for (size_t i = 0; accuracy_columns[i]; i++)
        csv_out_field(&o, accuracy_columns[i]);
    for (size_t i = 0; sweep_extra_columns[i]; i++)
        csv_out_field(&o, sweep_extra_columns[i]);
    csv_out_end_row(&o);
    char buf[40];
    for (size_t i = 0; i < count; i++) {
        const struct sweep_row *r = &rows[i];
        const struct accuracy_summary *s = &r->s;
        csv_out_field(&o, r->v->name);
        csv_out_field(&o, norm_name(r->v->norm));
        csv_out_field(&o, r->v->dtype_name);
        csv_out_fieldf(&o, "%zu", nrows_data);
        csv_out_fieldf(&o, "%zu", r->n);
        format_double(buf, sizeof buf, r->eps);
        csv_out_field(&o, buf);
        csv_out_field(&o, dist_name(r->dist.kind));
        format_double(buf, sizeof buf, r->dist.scale);
        csv_out_field(&o, buf);
        csv_out_fieldf(&o, "%zu", nrows_data);
        const double v[] = {s->max_ulp, accuracy_mean_ulp(s), s->max_rel, accuracy_rms_rel(s), accuracy_nmse(s),
                            s->count ? (double)s->correctly_rounded / (double)s->count : NAN};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
            format_double(buf, sizeof buf, v[k]);
            csv_out_field(&o, buf);
        }
        csv_out_fieldf(&o, "%zu", s->nan);
        csv_out_fieldf(&o, "%zu", s->pos_inf);
        csv_out_fieldf(&o, "%zu", s->neg_inf);
        csv_out_fieldf(&o, "%zu", s->false_zero);
        format_double(buf, sizeof buf, r->dist.offset);
        csv_out_field(&o, buf);
        format_double(buf, sizeof buf, s->max_ulp_terms);
        csv_out_field(&o, buf);
        csv_out_fieldf(&o, "%zu", s->false_nonfinite);
        if (r->v->ulp_bound >= 0)
            format_double(buf, sizeof buf, r->v->ulp_bound);
        csv_out_field(&o, r->v->ulp_bound >= 0 ? buf : "");
        csv_out_field(&o, verdict_names[cell_verdict(r->v, s)]);
        csv_out_fieldf(&o, "%zu", s->inputs_lost);
        const double br[] = {r->holds_from, r->breaks_at, r->kept_from, r->lost_from};
        for (size_t k = 0; k < 4; k++) {
            if (isfinite(br[k]))
                snprintf(buf, sizeof buf, "%.9g", br[k]);
            csv_out_field(&o, isfinite(br[k]) ? buf : "");
        }
        /* llama mode against the same ISA's up variant; empty elsewhere */
        format_double(buf, sizeof buf, s->twin_count ? s->twin_max_ulp : NAN);
        csv_out_field(&o, buf);
        format_double(buf, sizeof buf, s->twin_count ? (double)s->twin_equal / (double)s->twin_count : NAN);
        csv_out_field(&o, buf);
        if (isfinite(r->accurate_from))
            snprintf(buf, sizeof buf, "%.9g", r->accurate_from);
        csv_out_field(&o, isfinite(r->accurate_from) ? buf : "");
        csv_out_end_row(&o);
    }
    return csv_out_commit(&o, err, errlen);
}

/* a power of two, or 2^(i/16) as a grid of K points an octave makes it */
static int is_pow2(double v)
{
    if (!(v > 0 && isfinite(v)))
        return 0;
    double e16 = log2(v) * 16;
    return fabs(e16 - nearbyint(e16)) < 1e-9;
}

/* Scales read as 2^k when the whole grid is powers of two, else as
 * configured (shortest round trip), as offsets always are. */
static int grid_is_pow2(const struct sweep_row *rows, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!is_pow2(rows[i].dist.scale))
            return 0;
    return count > 0;
}

static void fmt_axis(char *out, size_t len, double v, int pow2)
{
    if (pow2 && is_pow2(v))
        snprintf(out, len, "2^%g", nearbyint(log2(v) * 16) / 16);
    else
        format_double(out, len, v);
}

static int same_line(const struct sweep_row *r, const struct sweep_row *f, int by_offset)
{
    return r->v == f->v && r->n == f->n && r->eps == f->eps && r->dist.kind == f->dist.kind &&
           (by_offset ? r->dist.scale == f->dist.scale : r->dist.offset == f->dist.offset);
}

/* What one line along the swept axis says: where it holds (within bound,
 * or finite for a nat variant), its first break, where the inputs were lost
 * to the storage type, and its worst error on cells that are data. */
struct line_summary {
    double lo, hi, first_bad, worst;
    size_t bad_nonfinite, bad_zero, holes;
};

static void widen(double *lo, double *hi, double axis)
{
    *lo = isnan(*lo) ? axis : fmin(*lo, axis);
    *hi = isnan(*hi) ? axis : fmax(*hi, axis);
}

static struct line_summary summarise(const struct sweep_row *rows, size_t count, size_t first, int by_offset)
{
    const struct sweep_row *f = &rows[first];
    struct line_summary ls = {NAN, NAN, NAN, 0, 0, 0, 0};
    for (size_t i = first; i < count; i++) {
        const struct sweep_row *r = &rows[i];
        if (!same_line(r, f, by_offset))
            continue;
        const double axis = by_offset ? r->dist.offset : r->dist.scale;
        if (r->s.inputs_lost)
            continue;
        if (sweep_cell_holds(r->v, &r->s))
            widen(&ls.lo, &ls.hi, axis);
        if (broken(&r->s) && (isnan(ls.first_bad) || axis < ls.first_bad)) {
            ls.first_bad = axis;
            ls.bad_nonfinite = r->s.false_nonfinite;
            ls.bad_zero = r->s.false_zero;
        }
        if (r->s.max_ulp_terms > ls.worst || isnan(r->s.max_ulp_terms))
            ls.worst = r->s.max_ulp_terms;
    }
    /* cells that are data but do not hold between lo and hi: holes */
    for (size_t i = first; i < count && !isnan(ls.lo); i++) {
        const struct sweep_row *r = &rows[i];
        const double axis = by_offset ? r->dist.offset : r->dist.scale;
        ls.holes += same_line(r, f, by_offset) && axis > ls.lo && axis < ls.hi && !r->s.inputs_lost &&
                    !sweep_cell_holds(r->v, &r->s);
    }
    return ls;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The line's cells with lost inputs as runs along the axis ("2^-24 to
 * 2^-14, 2^15 to 2^16"): overflow and underflow are told apart. */
static void lost_runs(char *out, size_t len, const struct sweep_row *rows, size_t count, size_t first, int by_offset,
                      int pow2)
{
    double *axis = malloc((count - first) * sizeof *axis);
    int *lost = malloc((count - first) * sizeof *lost);
    size_t m = 0;
    snprintf(out, len, "none");
    for (size_t i = first; axis && lost && i < count; i++)
        if (same_line(&rows[i], &rows[first], by_offset))
            axis[m++] = by_offset ? rows[i].dist.offset : rows[i].dist.scale;
    if (axis && lost && m)
        qsort(axis, m, sizeof *axis, cmp_double);
    for (size_t k = 0; axis && lost && k < m; k++) {
        lost[k] = 0;
        for (size_t i = first; i < count; i++)
            if (same_line(&rows[i], &rows[first], by_offset) &&
                (by_offset ? rows[i].dist.offset : rows[i].dist.scale) == axis[k])
                lost[k] |= rows[i].s.inputs_lost > 0;
    }
    size_t at = 0;
    for (size_t k = 0; axis && lost && k < m; k++) {
        if (!lost[k] || (k > 0 && lost[k - 1]))
            continue;
        size_t e = k;
        while (e + 1 < m && lost[e + 1])
            e++;
        char a[40], b[40];
        fmt_axis(a, sizeof a, axis[k], pow2);
        fmt_axis(b, sizeof b, axis[e], pow2);
        if (at < len)
            at += (size_t)snprintf(out + at, len - at, e == k ? "%s%s" : "%s%s to %s", at ? ", " : "", a, b);
    }
    free(axis);
    free(lost);
}

static void fmt_break(char *out, size_t len, double v)
{
    if (isnan(v))
        snprintf(out, len, "none in range");
    else
        snprintf(out, len, "%.9g", v);
}

/* The break points of each line of dist (sweep_breaks.h), one row a line. */
static void break_table(FILE *md, const struct sweep_row *rows, size_t count, enum nb_dist dist)
{
    fprintf(md, "Break points, bisected to one f32 ULP of the scale between the grid points that bracket them "
                "(the variant's own, then the storage type's: where it starts and stops holding the inputs; "
                "accurate from, for `nat` variants, which have no bound: below it underflow costs accuracy, the "
                "error at the terms exceeding twice its median over the line, and 2 ULP at least; a bounded "
                "variant's is its holds from):\n\n"
                "| variant | n | eps | holds from | breaks at | inputs kept from | inputs lost from | accurate from |\n"
                "|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < count; i++) {
        const struct sweep_row *r = &rows[i];
        int first = r->dist.kind == dist;
        for (size_t k = 0; k < i && first; k++)
            first = !(same_line(&rows[k], r, 0) && rows[k].dist.offset == r->dist.offset);
        if (!first)
            continue;
        char a[32], b[32], c[32], d[32], e[32], f[32];
        fmt_break(f, sizeof f, r->accurate_from);
        fmt_break(a, sizeof a, r->holds_from);
        fmt_break(b, sizeof b, r->breaks_at);
        fmt_break(c, sizeof c, r->kept_from);
        fmt_break(d, sizeof d, r->lost_from);
        format_double(e, sizeof e, r->eps);
        fprintf(md, "| %s | %zu | %s | %s | %s | %s | %s | %s |\n", r->v->name, r->n, e, a, b, c, d, f);
    }
    fprintf(md, "\n");
}

static void summarise_line(FILE *md, const struct sweep_row *rows, size_t count, size_t first, int by_offset,
                           int pow2)
{
    const struct sweep_row *f = &rows[first];
    const struct line_summary ls = summarise(rows, count, first, by_offset);
    const int p2 = pow2 && !by_offset;
    char a[40], b[40], c[40], e[40], lost[200];
    fmt_axis(a, sizeof a, ls.lo, p2);
    fmt_axis(b, sizeof b, ls.hi, p2);
    fmt_axis(c, sizeof c, ls.first_bad, p2);
    lost_runs(lost, sizeof lost, rows, count, first, by_offset, p2);
    format_double(e, sizeof e, f->eps);
    fprintf(md, "| %s | %zu | %s | ", f->v->name, f->n, e);
    const char *what = f->v->ulp_bound < 0 ? "not bounded; no break" : "within";
    if (isnan(ls.lo) && f->v->ulp_bound >= 0)
        fprintf(md, "never (bound %.3g) | ", f->v->ulp_bound);
    else if (isnan(ls.lo))
        fprintf(md, "not bounded; broken everywhere | ");
    else
        fprintf(md, "%s %s to %s%s | ", what, a, b, ls.holes ? " (with holes)" : "");
    if (isnan(ls.first_bad))
        fprintf(md, "none | ");
    else
        fprintf(md, "%s: %zu NaN/Inf, %zu zeros | ", c, ls.bad_nonfinite, ls.bad_zero);
    fprintf(md, "%s | ", lost);
    fprintf(md, "%.3g |\n", ls.worst);
}


/* One plot per (dist, n, eps): max ULP against the swept axis, a line per
 * variant, non-finite or zero outputs marked at the top. */
static int plot_lines(const char *dir, const struct sweep_row *rows, size_t count, size_t first, int by_offset,
                      int index, char *name, size_t namelen)
{
    char plots[4200], path[4400];
    if (snprintf(plots, sizeof plots, "%s/plots", dir) >= (int)sizeof plots)
        return -1;
    mkdir(plots, 0777);
    snprintf(name, namelen, "sweep-%d", index);
    snprintf(path, sizeof path, "%s/%s.dat", plots, name);
    FILE *dat = fopen(path, "w");
    if (!dat)
        return -1;
    const struct sweep_row *f = &rows[first];
    const struct nb_variant **seen = calloc(count - first + 1, sizeof *seen);
    size_t nseen = 0, lost = 0;
    if (!seen) {
        fclose(dat);
        return -1;
    }
    for (size_t i = first; i < count; i++) {
        const struct sweep_row *r = &rows[i];
        if (r->n != f->n || r->eps != f->eps || r->dist.kind != f->dist.kind)
            continue;
        int dup = 0;
        for (size_t k = 0; k < nseen; k++)
            dup |= seen[k] == r->v;
        if (dup)
            continue;
        seen[nseen++] = r->v;
        fprintf(dat, "# %s\n", r->v->name);
        for (size_t k = first; k < count; k++) {
            const struct sweep_row *q = &rows[k];
            if (q->v != r->v || q->n != f->n || q->eps != f->eps || q->dist.kind != f->dist.kind)
                continue;
            double axis = by_offset ? q->dist.offset : q->dist.scale;
            double err = q->s.max_ulp_terms;
            if (q->s.inputs_lost) { /* not data: drawn apart, below */
                lost++;
                continue;
            }
            /* non-finite or zero outputs: drawn at the top, marked */
            fprintf(dat, "%g %g\n", axis, isfinite(err) && !broken(&q->s) ? fmax(err, 1e-3) : 1e7);
        }
        fprintf(dat, "\n\n");
    }
    /* the last block: every cell whose inputs were lost, at the bottom */
    fprintf(dat, "# inputs lost in storage\n");
    for (size_t k = first; k < count; k++) {
        const struct sweep_row *q = &rows[k];
        if (q->n == f->n && q->eps == f->eps && q->dist.kind == f->dist.kind && q->s.inputs_lost)
            fprintf(dat, "%g 2e-3\n", by_offset ? q->dist.offset : q->dist.scale);
    }
    fprintf(dat, "\n\n");
    fclose(dat);
    snprintf(path, sizeof path, "%s/%s.gp", plots, name);
    FILE *gp = fopen(path, "w");
    if (!gp) {
        free(seen);
        return -1;
    }
    char e[32];
    format_double(e, sizeof e, f->eps);

    fprintf(gp, "set terminal svg size 960,600 dynamic\nset output '%s.svg'\nset logscale xy\nset grid\n"
                "set title '%s inputs, n = %zu, eps = %s: error against %s' noenhanced\n"
                "set xlabel '%s'\nset ylabel 'max error (ULP of the storage type, at the terms)'\n"
                "set yrange [1e-3:3e7]\nset key outside right noenhanced\n"
                "set label 1 'non-finite or zero outputs' at graph 0.02, graph 0.97\n"
                "set object 1 rect from graph 0, graph 0.93 to graph 1, graph 1 fc rgb '#ffdddd' fs solid 0.5 behind\n",
            name, dist_name(f->dist.kind), f->n, e, by_offset ? "offset" : "input scale",
            by_offset ? "offset M (mean of the inputs)" : "input scale S");
    /* scales on a power-of-two grid read as 2^k, not 0.00000001 ... 10000.0000000 */
    if (!by_offset)
        fprintf(gp, "set logscale x 2\nset format x '2^{%%L}'\n");
    /* a colour and a point shape per series: gnuplot's 8 default colours
     * repeat past the eighth, so the pair tells twelve series apart */
    static const char *const colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                                          "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8"};
    /* each variant's bisected break point, a dashed line in its colour */
    for (size_t k = 0; k < nseen && !by_offset; k++)
        for (size_t i = first; i < count; i++) {
            const struct sweep_row *q = &rows[i];
            if (q->v == seen[k] && q->n == f->n && q->eps == f->eps && q->dist.kind == f->dist.kind) {
                if (isfinite(q->breaks_at))
                    fprintf(gp, "set arrow from %.9g, graph 0 to %.9g, graph 1 nohead dt 2 lc rgb '%s'\n",
                            q->breaks_at, q->breaks_at, colours[k % 12]);
                break;
            }
        }
    fprintf(gp, "plot ");
    for (size_t k = 0; k < nseen; k++)
        fprintf(gp, "%s'%s.dat' index %zu using 1:2 with linespoints lc rgb '%s' pt %zu title '%s'", k ? ", " : "",
                name, k, colours[k % 12], k % 13 + 1, seen[k]->name);
    if (lost)
        fprintf(gp, ", '%s.dat' index %zu using 1:2 with points lc rgb '#c0c0c0' pt 2 ps 2 "
                    "title 'inputs lost in storage (not data)'",
                name, nseen);
    fprintf(gp, "\n");
    fclose(gp);
    free(seen);
    char script[80], why[200];
    snprintf(script, sizeof script, "%s.gp", name);
    return plot_run_gnuplot(plots, script, why, sizeof why);
}

/* SPEC section 9 for a study (study_cell_fails): each failing cell is named
 * on stderr; the count is returned. */
size_t sweep_bounded_failures(const struct sweep_row *rows, size_t count)
{
    size_t failed = 0;
    for (size_t i = 0; i < count; i++) {
        const struct sweep_row *r = &rows[i];
        if (!study_cell_fails(r->v, &r->dist, r->eps, &r->s))
            continue;
        char eps[32];
        format_double(eps, sizeof eps, r->eps);
        nb_error("sweep", "accuracy check failed: %s at n = %zu, eps = %s, %s scale %g: %.4g ULP against its bound %.3g",
                 r->v->name, r->n, eps, dist_name(r->dist.kind), r->dist.scale, r->s.max_ulp_terms, r->v->ulp_bound);
        failed++;
    }
    return failed;
}

/* llama-mode lines against their up twin: worst over the scales whose
 * inputs the storage type holds */
static void casting_table(FILE *md, const struct sweep_row *rows, size_t count, enum nb_dist dist)
{
    int any = 0;
    for (size_t i = 0; i < count; i++) {
        const struct sweep_row *r = &rows[i];
        int first = r->dist.kind == dist && r->s.twin_count > 0;
        for (size_t k = 0; k < i && first; k++)
            first = !(rows[k].v == r->v && rows[k].n == r->n && rows[k].eps == r->eps && rows[k].dist.kind == dist);
        if (!first)
            continue;
        if (!any)
            fprintf(md, "Casting modes: each `llama` variant against the same ISA's `up` variant on the same "
                        "inputs (ULPs of up's outputs), worst over the scales whose inputs the storage type "
                        "holds:\n\n| variant | n | eps | max ULP against the reference | max ULP against up | "
                        "lowest share equal to up |\n|---|---|---|---|---|---|\n");
        any = 1;
        double ref = NAN, up = NAN, eq = NAN;
        for (size_t k = i; k < count; k++) {
            const struct sweep_row *q = &rows[k];
            if (q->v != r->v || q->n != r->n || q->eps != r->eps || q->dist.kind != dist || q->s.inputs_lost ||
                !q->s.twin_count)
                continue;
            ref = fmax(ref, q->s.max_ulp_terms);
            up = fmax(up, q->s.twin_max_ulp);
            eq = fmin(eq, (double)q->s.twin_equal / (double)q->s.twin_count);
        }
        char e[32];
        format_double(e, sizeof e, r->eps);
        fprintf(md, "| %s | %zu | %s | %.3g | %.3g | %.1f%% |\n", r->v->name, r->n, e, ref, up, eq * 100);
    }
    if (any)
        fprintf(md, "\n");
}

int sweep_write_summary(const char *dir, const struct sweep_row *rows, size_t done, const struct nb_suite *sp,
                        const char *config, const struct ref_cache *cachep, int plots, const char *note)
{
    char path[4200], err[600];
    int rc = 0;
    snprintf(path, sizeof path, "%s/summary.md", dir);
    struct csv_out out; /* a text file, written as the CSV files are: whole or not at all */
    FILE *md = NULL;
    if (csv_out_open(&out, path, err, sizeof err) != 0) {
        nb_error("sweep", "%s", err);
        rc = NB_EXIT_ENV;
    } else {
        md = out.fp;
    }
    if (md) {
        fprintf(md, "# normbench sweep: %s\n\nConfig `%s`, %zu rows of seeded data per cell, %zu results. "
                    "Errors are in ULPs of each variant's storage type, at the magnitude of the terms an output "
                    "sums (max_ulp_terms; equal to the plain ULP error for the forward RMSNorm family; a "
                    "backward row covers dx, dg and db). A variant is "
                    "within bound when that is at most its registry bound; `nat` variants are reported, not "
                    "bounded (where they do not break is given instead). Cells whose inputs overflowed "
                    "or flushed to zero (1%% of them or more) when stored in the variant's type are not data on the kernel: they are "
                    "listed apart and never counted as within bound.\n\n",
                sp->name, config, sp->sweep_rows, done);
        if (note && note[0])
            fprintf(md, "Note: %s.\n\n", note);
        int plot_index = 0, plot_failed = 0;
        const int pow2 = grid_is_pow2(rows, done);
        for (size_t d = 0; d < sp->ndists; d++) {
            int by_offset = sp->dists[d] == NB_DIST_OFFSET && sp->noffsets > 1;
            fprintf(md, "## %s inputs\n\n| variant | n | eps | %s within bound (nat: without a break) | first wrong NaN, Inf or zero "
                        "(where the reference is finite and non-zero) | inputs lost in storage | worst ULP "
                        "(on data) |\n|---|---|---|---|---|---|---|\n",
                    dist_name(sp->dists[d]), by_offset ? "offsets" : "scales");
            for (size_t i = 0; i < done; i++) {
                const struct sweep_row *r = &rows[i];
                if (r->dist.kind != sp->dists[d])
                    continue;
                /* the first row of each line */
                int first = 1;
                for (size_t k = 0; k < i && first; k++) {
                    const struct sweep_row *q = &rows[k];
                    first = !(q->v == r->v && q->n == r->n && q->eps == r->eps && q->dist.kind == r->dist.kind &&
                              (by_offset ? q->dist.scale == r->dist.scale : q->dist.offset == r->dist.offset));
                }
                if (first)
                    summarise_line(md, rows, done, i, by_offset, pow2);
            }
            fprintf(md, "\n");
            if (!by_offset)
                break_table(md, rows, done, sp->dists[d]);
            casting_table(md, rows, done, sp->dists[d]);
            if (plots)
                for (size_t i = 0; i < done; i++) {
                    const struct sweep_row *r = &rows[i];
                    int first = r->dist.kind == sp->dists[d];
                    for (size_t k = 0; k < i && first; k++)
                        first = !(rows[k].n == r->n && rows[k].eps == r->eps && rows[k].dist.kind == r->dist.kind);
                    if (!first)
                        continue;
                    char name[64];
                    if (plot_lines(dir, rows, done, i, by_offset, plot_index++, name, sizeof name) == 0) {
                        char e[32];
                        format_double(e, sizeof e, r->eps);
                        fprintf(md, "![%s n=%zu eps=%s](plots/%s.svg)\n", dist_name(r->dist.kind), r->n, e, name);
                    } else {
                        plot_failed = 1;
                    }
                }
            fprintf(md, "\n");
        }
        if (plot_failed)
            fprintf(md, "Note: gnuplot could not draw some plots; sweep.csv holds every figure.\n\n");
        char how[256] = "";
        if (cachep)
            ref_cache_describe(cachep, how, sizeof how);
        if (!cachep)
            fprintf(md, "Reference: computed by each merged part (their meta.csv, `reference`).\n");
        else if (cachep->ref_seconds > 0)
            fprintf(md, "Reference: %zu values in %.2f s (%.0f values per second; %s).\n", cachep->ref_values,
                    cachep->ref_seconds, (double)cachep->ref_values / cachep->ref_seconds, how);
        else
            fprintf(md, "Reference: n/a (no reference values were computed).\n");
        if (csv_out_commit(&out, err, sizeof err) != 0) {
            nb_error("sweep", "%s", err);
            rc = NB_EXIT_ENV;
        }
    }
    return rc;
}

/* 2^k as a grid of K points an octave writes it (k in sixteenths), else %g */
static void scale_text(char *out, size_t len, double v)
{
    const double e16 = v > 0 ? log2(v) * 16 : 0.5;
    if (fabs(e16 - nearbyint(e16)) < 1e-9)
        snprintf(out, len, "2^%g", nearbyint(e16) / 16);
    else
        snprintf(out, len, "%g", v);
}

void sweep_clamp_scales(struct nb_suite *s, char *note, size_t len)
{
    const double lo = 0x1p-150, hi = 0x1p127;
    size_t k = 0, clamped = 0;
    double first = 0, last = 0;
    for (size_t i = 0; i < s->nscales; i++) {
        double v = s->scales[i];
        if (v < lo || v > hi) {
            if (!clamped++)
                first = v;
            last = v;
            v = v < lo ? lo : hi;
        }
        if (k == 0 || s->scales[k - 1] != v)
            s->scales[k++] = v;
    }
    s->nscales = k;
    char a[32], b[32];
    scale_text(a, sizeof a, first);
    scale_text(b, sizeof b, last);
    if (clamped)
        snprintf(note, len, "%zu scales of the grid (%s to %s) lie beyond every storage type's range and were "
                 "clamped to 2^-150 and 2^127", clamped, a, b);
}
