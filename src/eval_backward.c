/* normbench eval --kernel NORM-bwd/... --dy DY: one backward variant on
 * tensors, dx, dg and db written, and their errors against the correctly
 * rounded reference (src/reference_bwd.c). */
#include "eval_backward.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accuracy.h"
#include "commands.h"
#include "reference_bwd.h"
#include "tensor_csv.h"
#include "tensor_npy.h"

int eval_read_tensor(const char *path, const char *what, enum nb_dtype dt, struct nb_tensor *t)
{
    char err[512];
    int rc = tensor_read_any(path, dt, t, err, sizeof err);
    if (rc)
        nb_error("eval", "%s (%s)", err, what);
    return rc;
}

/* out (NULL: stdout, for dx only), as .npy or CSV by its name */
static int write_tensor(const char *path, enum nb_dtype dt, size_t rows, size_t n, void *data, int hex)
{
    struct nb_tensor t = {.dtype = dt, .rows = rows, .n = n, .data = data};
    char err[512];
    int rc = path && tensor_npy_path(path) ? tensor_npy_write(path, &t, err, sizeof err)
                                           : tensor_csv_write(path, &t, hex, err, sizeof err);
    if (rc)
        nb_error("eval", "%s", err);
    return rc;
}

static void say_error(const char *what, const void *got, const void *rounded, const double *exact, size_t count,
                      enum nb_dtype dt)
{
    struct accuracy_summary s = {0};
    for (size_t i = 0; i < count; i++)
        accuracy_add(&s, nb_load(got, i, dt), exact[i], nb_load(rounded, i, dt), dt);
    fprintf(stderr, "  %s: max %.3g ULP, mean %.3g ULP, %.1f%% correctly rounded, %zu NaN, %zu +Inf, %zu -Inf\n",
            what, s.max_ulp, accuracy_mean_ulp(&s), count ? 100.0 * (double)s.correctly_rounded / (double)count : 0.0,
            s.nan, s.pos_inf, s.neg_inf);
}

static void *zalloc(size_t bytes)
{
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    if (p)
        memset(p, 0, (bytes + 63) / 64 * 64 + 64);
    return p;
}

int eval_backward(const struct nb_variant *v, const struct eval_bwd_paths *paths, double eps, int hex)
{
    const enum nb_dtype dt = v->dtype;
    struct nb_tensor x = {0}, dy = {0}, g = {0};
    int rc = eval_read_tensor(paths->x, "x", dt, &x);
    if (!rc)
        rc = eval_read_tensor(paths->dy, "dy", dt, &dy);
    if (!rc)
        rc = eval_read_tensor(paths->g, "g", dt, &g);
    if (!rc && (dy.rows != x.rows || dy.n != x.n)) {
        nb_error("eval", "%s: dy must be %zu x %zu like x, not %zu x %zu", paths->dy, x.rows, x.n, dy.rows, dy.n);
        rc = NB_EXIT_USAGE;
    }
    if (!rc && (g.rows != 1 || g.n != x.n)) {
        nb_error("eval", "%s: the gain must be one row of %zu values, not %zu x %zu", paths->g, x.n, g.rows, g.n);
        rc = NB_EXIT_USAGE;
    }
    const size_t rows = x.rows, n = x.n, es = nb_dtype_size(dt);
    void *dx = NULL, *dg = NULL, *db = NULL, *rdx = NULL, *rdg = NULL, *rdb = NULL, *work = NULL;
    double *edx = NULL, *edg = NULL, *edb = NULL;
    if (!rc) {
        dx = zalloc(rows * n * es), dg = zalloc(n * es), db = zalloc(n * es), work = zalloc(nb_bwd_workspace_bytes(rows, n));
        rdx = zalloc(rows * n * es), rdg = zalloc(n * es), rdb = zalloc(n * es);
        edx = malloc(rows * n * sizeof *edx + 1), edg = malloc(n * sizeof *edg + 1), edb = malloc(n * sizeof *edb + 1);
        if (!dx || !dg || !db || !work || !rdx || !rdg || !rdb || !edx || !edg || !edb) {
            nb_error("eval", "out of memory for %zu x %zu values", rows, n);
            rc = NB_EXIT_ENV;
        }
    }
    if (!rc) {
        struct nb_args a = {.rows = rows, .n = n, .x = x.data, .y = dx, .g = g.data, .eps = eps, .work = work,
                            .dy = dy.data, .dg = dg, .db = norm_has_db(v->norm) ? db : NULL};
        v->fn(&a);
        struct nb_args ra = a;
        ra.y = rdx, ra.dg = rdg, ra.db = a.db ? rdb : NULL, ra.work = NULL;
        struct bwd_exact ex = {edx, edg, edb};
        struct ref_counts counts = {0};
        if (reference_bwd_compute(v->norm, dt, &ra, &ex, &counts) != 0) {
            nb_error("eval", "out of memory for the reference (n = %zu)", n);
            rc = NB_EXIT_ENV;
        } else {
            rc = write_tensor(paths->dx_out, dt, rows, n, dx, hex);
            if (!rc && paths->dg_out)
                rc = write_tensor(paths->dg_out, dt, 1, n, dg, hex);
            if (!rc && paths->db_out)
                rc = write_tensor(paths->db_out, dt, 1, n, db, hex);
            if (!rc) {
                fprintf(stderr, "%s on %zu x %zu, against the correctly rounded gradients:\n", v->name, rows, n);
                say_error("dx", dx, rdx, edx, rows * n, dt);
                say_error("dg", dg, rdg, edg, n, dt);
                if (norm_has_db(v->norm))
                    say_error("db", db, rdb, edb, n, dt);
                if (counts.undecided)
                    fprintf(stderr, "warning: the reference could not decide %zu roundings\n", counts.undecided);
            }
        }
    }
    free(x.data), free(dy.data), free(g.data);
    free(dx), free(dg), free(db), free(work), free(rdx), free(rdg), free(rdb), free(edx), free(edg), free(edb);
    return rc;
}
