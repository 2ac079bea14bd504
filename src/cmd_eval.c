/* normbench eval: one variant on CSV tensors, its output written as CSV and
 * its error against the correctly rounded reference of the same norm and dtype. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accuracy.h"
#include "commands.h"
#include "eval_backward.h"
#include "csv_io.h"
#include "reference.h"
#include "registry.h"
#include "tensor_csv.h"
#include "tensor_npy.h"

static const char eval_usage[] =
    "usage: normbench eval --kernel NAME --x X.csv --g G.csv [--b B.csv]\n"
    "                      [--residual R.csv] --eps E [--p P] [--prec BITS] [--out Y.csv] [--hex]\n"
    "                      [--against NAME] [--reference fast|mpfr]\n"
    "       normbench eval --kernel NORM-bwd/... --x X.csv --dy DY.csv --g G.csv --eps E\n"
    "                      [--out DX.csv] [--dg-out DG.csv] [--db-out DB.csv] [--hex]\n"
    "\n"
    "Runs one variant (or a NORM/ref/mpfr/DTYPE reference) on x, one row per\n"
    "line, with gain g (one row of n values) and, for layernorm, bias b; for\n"
    "addrmsnorm, the residual (rows x n). Values are decimal or C99 hex-float,\n"
    "rounded to the variant's dtype. Writes y (stdout without --out), each value\n"
    "as the shortest decimal that reads back as the same double (so exactly in\n"
    "the storage type), or in C99 hex-float with --hex, and the error against\n"
    "the correctly rounded reference on stderr. Any input, and --out, may\n"
           "instead be a NumPy .npy file (numpy.save): '<f4' for f32, '<f2' for f16, bf16\n"
           "as its uint16 bit patterns ('<u2'); 1-D (one row) or 2-D (rows x n).\n"
    "  --eps E       eps >= 0 (the double nearest the decimal)\n"
    "  --p P         prmsnorm only: the percentage of the row the RMS covers (default 6.25)\n"
    "  --hex         write y as C99 hex-floats (%a)\n"
    "  --against W   also run W (same norm and storage type) on the inputs and say how far\n"
    "                y is from W's outputs (max and mean ULP of W's, share equal)\n"
    "  --prec BITS   MPFR working precision of the reference (default 256)\n"
    "  --reference M fast (default: double-word arithmetic with a proven bound, MPFR\n"
    "                for what the bound cannot decide) or mpfr (MPFR for every row);\n"
    "                both give the same bits\n"
    "A backward variant (rmsnorm-bwd/..., layernorm-bwd/...) takes the forward's x\n"
    "and g and the gradient dy of y (rows x n), writes dx (--out or stdout) and,\n"
    "where asked, dg and db (one row each), and says each one's error against the\n"
    "correctly rounded gradients (plain ULPs of the storage type).\n";

struct eval_inputs {
    struct nb_tensor x, g, b, residual;
};

static void free_inputs(struct eval_inputs *in)
{
    free(in->x.data);
    free(in->g.data);
    free(in->b.data);
    free(in->residual.data);
}

static void *alloc_tensor(size_t bytes)
{
    return aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
}

/* --against W: W run on the same inputs (args, with the original residual
 * in res0), and how far v's outputs y are from W's, in ULPs of W's, on
 * stderr: how two casting modes or two orders differ, output for output. */
static int report_against(const struct nb_variant *w, const struct nb_args *args, const void *res0, const void *y)
{
    const enum nb_dtype dt = w->dtype;
    const size_t total = args->rows * args->n, es = nb_dtype_size(dt);
    const size_t work_bytes = registry_workspace_bytes(w, args->rows, args->n);
    void *y2 = alloc_tensor(total * es), *work = work_bytes ? alloc_tensor(work_bytes) : NULL;
    void *res = res0 ? alloc_tensor(total * es) : NULL;
    int rc = NB_EXIT_ENV;
    if (y2 && (!work_bytes || work) && (!res0 || res)) {
        struct nb_args a = *args;
        a.y = y2;
        a.work = work;
        a.residual = res;
        if (res0)
            memcpy(res, res0, total * es);
        w->fn(&a);
        struct accuracy_summary s = {0};
        for (size_t i = 0; i < total; i++)
            accuracy_add(&s, nb_load(y, i, dt), nb_load(y2, i, dt), nb_load(y2, i, dt), dt);
        fprintf(stderr, "against %s: max %.3g ULP, mean %.3g ULP, %.1f%% equal\n", w->name, s.max_ulp,
                accuracy_mean_ulp(&s), 100.0 * (double)s.correctly_rounded / (double)s.count);
        rc = 0;
    } else {
        nb_error("eval", "out of memory running %s", w->name);
    }
    free(y2);
    free(work);
    free(res);
    return rc;
}

/* the variant --against names: known, of v's norm and storage type, and
 * runnable here; else an exit status, said */
static int against_variant(const char *name, const struct nb_variant *v, const struct nb_variant **w)
{
    *w = NULL;
    if (!name)
        return 0;
    *w = registry_find(name);
    if (!*w) {
        nb_error("eval", "--against: unknown kernel '%s' (normbench list shows them)", name);
        return NB_EXIT_USAGE;
    }
    if ((*w)->norm != v->norm || (*w)->dtype != v->dtype) {
        nb_error("eval", "--against: %s is not %s of %s's storage type %s", name, norm_name(v->norm), v->name,
                 dtype_name(v->dtype));
        return NB_EXIT_USAGE;
    }
    const char *why = registry_unavailable(*w);
    if (why) {
        nb_error("eval", "--against: %s cannot run here: %s", name, why);
        return NB_EXIT_ENV;
    }
    return 0;
}

/* The checks of a backward eval's options, then eval_backward */
static int eval_backward_command(const struct nb_variant *v, const char *kernel, const char *xpath,
                                 const char *dypath, const char *gpath, const char *out, const char *dg_out,
                                 const char *db_out, double eps, int hex, int forward_options)
{
    if (!v) {
        nb_error("eval", "--dy, --dg-out and --db-out are for a backward variant (NORM-bwd/...), not '%s'", kernel);
        return NB_EXIT_USAGE;
    }
    const char *why = registry_unavailable(v);
    if (!dypath) {
        nb_error("eval", "%s needs the gradient of y: --dy DY.csv", v->name);
        return NB_EXIT_USAGE;
    }
    if (forward_options) {
        nb_error("eval", "--b, --residual, --p and --against are for forward variants, not %s", v->name);
        return NB_EXIT_USAGE;
    }
    if (db_out && !norm_has_db(v->norm)) {
        nb_error("eval", "--db-out is for layernorm-bwd; %s has no bias", v->name);
        return NB_EXIT_USAGE;
    }
    if (why) {
        nb_error("eval", "%s cannot run here: %s", v->name, why);
        return NB_EXIT_ENV;
    }
    if (nb_parse_only)
        return NB_EXIT_OK;
    const struct eval_bwd_paths paths = {xpath, dypath, gpath, out, dg_out, db_out};
    return eval_backward(v, &paths, eps, hex);
}

int cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        {"kernel", required_argument, 0, 'k'}, {"x", required_argument, 0, 'x'},
        {"g", required_argument, 0, 'g'},      {"b", required_argument, 0, 'b'},
        {"residual", required_argument, 0, 'r'}, {"eps", required_argument, 0, 'e'},
        {"p", required_argument, 0, 'p'},      {"prec", required_argument, 0, 'P'},
        {"out", required_argument, 0, 'o'},    {"hex", no_argument, 0, 'H'},
        {"against", required_argument, 0, 'A'}, {"reference", required_argument, 0, 'R'},
        {"dy", required_argument, 0, 'y'},     {"dg-out", required_argument, 0, 'G'},
        {"db-out", required_argument, 0, 'B'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *kernel = NULL, *xpath = NULL, *gpath = NULL, *bpath = NULL, *rpath = NULL;
    const char *out_path = NULL, *eps_text = NULL, *against = NULL, *dypath = NULL, *dg_out = NULL, *db_out = NULL;
    double p = 6.25;
    int p_given = 0, hex = 0;
    size_t prec = 256;
    enum ref_method method = REF_METHOD_FAST;
    optind = 0; /* 0, not 1: glibc then also forgets a half-parsed option cluster */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': kernel = optarg; break;
        case 'x': xpath = optarg; break;
        case 'g': gpath = optarg; break;
        case 'b': bpath = optarg; break;
        case 'r': rpath = optarg; break;
        case 'o': out_path = optarg; break;
        case 'e': eps_text = optarg; break;
        case 'H': hex = 1; break;
        case 'A': against = optarg; break;
        case 'y': dypath = optarg; break;
        case 'G': dg_out = optarg; break;
        case 'B': db_out = optarg; break;
        case 'R':
            if (ref_method_parse(optarg, &method) != 0) {
                nb_error("eval", "--reference wants fast or mpfr, not '%s'", optarg);
                return NB_EXIT_USAGE;
            }
            break;
        case 'p':
            p_given = 1;
            if (parse_double_option(optarg, &p) || !(p > 0 && p <= 100)) {
                nb_error("eval", "--p wants a percentage in (0, 100], not '%s'", optarg);
                return NB_EXIT_USAGE;
            }
            break;
        case 'P':
            if (parse_size_option(optarg, &prec) || prec < 32 || prec > 65536) {
                nb_error("eval", "--prec wants 32 to 65536 bits, not '%s'", optarg);
                return NB_EXIT_USAGE;
            }
            break;
        case 'h': fputs(eval_usage, stdout); return NB_EXIT_OK;
        default: return option_error("eval", c, argv);
        }
    }
    if (optind < argc) {
        nb_error("eval", "unexpected argument '%s'", argv[optind]);
        return NB_EXIT_USAGE;
    }
    if (!kernel || !xpath || !gpath || !eps_text) {
        nb_error("eval", "--kernel, --x, --g and --eps are required (see normbench eval --help)");
        return NB_EXIT_USAGE;
    }
    double eps;
    if (parse_double_option(eps_text, &eps) || !(eps >= 0) || isinf(eps)) {
        nb_error("eval", "--eps wants a finite number >= 0, not '%s'", eps_text);
        return NB_EXIT_USAGE;
    }
    const struct nb_variant *v = registry_find(kernel);
    if ((v && norm_is_backward(v->norm)) || dypath || dg_out || db_out)
        return eval_backward_command(v && norm_is_backward(v->norm) ? v : NULL, kernel, xpath, dypath, gpath, out_path, dg_out, db_out, eps, hex,
                                     bpath || rpath || p_given || against);
    if (!v) {
        nb_error("eval", "unknown kernel '%s' (normbench list shows them)", kernel);
        return NB_EXIT_USAGE;
    }
    const char *why = registry_unavailable(v);
    if (why) {
        nb_error("eval", "%s cannot run here: %s", v->name, why);
        return NB_EXIT_ENV;
    }
    const struct nb_variant *w;
    int arc = against_variant(against, v, &w);
    if (arc)
        return arc;
    if (p_given && v->norm != NB_PRMSNORM) {
        nb_error("eval", "--p is for prmsnorm; %s covers the whole row", v->name);
        return NB_EXIT_USAGE;
    }
    if (bpath && !norm_uses_bias(v->norm)) {
        nb_error("eval", "--b is for layernorm; %s has no bias", v->name);
        return NB_EXIT_USAGE;
    }
    if (!bpath && norm_uses_bias(v->norm)) {
        nb_error("eval", "%s needs a bias: --b B.csv", v->name);
        return NB_EXIT_USAGE;
    }
    if (rpath && !norm_uses_residual(v->norm)) {
        nb_error("eval", "--residual is for addrmsnorm; %s has none", v->name);
        return NB_EXIT_USAGE;
    }
    if (!rpath && norm_uses_residual(v->norm)) {
        nb_error("eval", "%s needs a residual: --residual R.csv", v->name);
        return NB_EXIT_USAGE;
    }
    if (nb_parse_only)
        return NB_EXIT_OK;

    const enum nb_dtype dt = v->dtype;
    struct eval_inputs in = {0};
    int rc = eval_read_tensor(xpath, "x", dt, &in.x);
    if (!rc)
        rc = eval_read_tensor(gpath, "g", dt, &in.g);
    if (!rc && bpath)
        rc = eval_read_tensor(bpath, "b", dt, &in.b);
    if (!rc && rpath)
        rc = eval_read_tensor(rpath, "residual", dt, &in.residual);
    if (!rc && (in.g.rows != 1 || in.g.n != in.x.n)) {
        nb_error("eval", "%s: the gain must be one row of %zu values (x has %zu per row), not %zu x %zu",
                 gpath, in.x.n, in.x.n, in.g.rows, in.g.n);
        rc = NB_EXIT_USAGE;
    }
    if (!rc && bpath && (in.b.rows != 1 || in.b.n != in.x.n)) {
        nb_error("eval", "%s: the bias must be one row of %zu values, not %zu x %zu", bpath, in.x.n,
                 in.b.rows, in.b.n);
        rc = NB_EXIT_USAGE;
    }
    if (!rc && rpath && (in.residual.rows != in.x.rows || in.residual.n != in.x.n)) {
        nb_error("eval", "%s: the residual must be %zu x %zu like x, not %zu x %zu", rpath, in.x.rows,
                 in.x.n, in.residual.rows, in.residual.n);
        rc = NB_EXIT_USAGE;
    }
    if (rc) {
        free_inputs(&in);
        return rc;
    }

    const size_t rows = in.x.rows, n = in.x.n, total = rows * n, es = nb_dtype_size(dt);
    void *y = alloc_tensor(total * es), *y_ref = alloc_tensor(total * es);
    double *exact = malloc(total * sizeof *exact);
    size_t work_bytes = registry_workspace_bytes(v, rows, n);
    void *work = work_bytes ? alloc_tensor(work_bytes) : NULL;
    void *res_kernel = rpath ? alloc_tensor(total * es) : NULL;
    void *res_ref = rpath ? alloc_tensor(total * es) : NULL;
    if (!y || !y_ref || !exact || (work_bytes && !work) || (rpath && (!res_kernel || !res_ref))) {
        nb_error("eval", "out of memory for %zu x %zu values", rows, n);
        rc = NB_EXIT_ENV;
        goto done;
    }
    if (rpath) {
        memcpy(res_kernel, in.residual.data, total * es);
        memcpy(res_ref, in.residual.data, total * es);
    }
    struct nb_args args = {
        .rows = rows, .n = n, .x = in.x.data, .y = y, .g = in.g.data, .b = in.b.data,
        .residual = res_kernel, .eps = eps, .p = p, .work = work, .ref_prec = (unsigned)prec,
    };
    v->fn(&args);
    args.y = y_ref;
    args.residual = res_ref;
    struct ref_counts counts = {0};
    if (reference_compute(v->norm, dt, &args, y_ref, exact, method, &counts) != 0) {
        nb_error("eval", "out of memory for the reference (n = %zu)", n);
        rc = NB_EXIT_ENV;
        goto done;
    }

    struct nb_tensor out = {.dtype = dt, .rows = rows, .n = n, .data = y};
    char err[512];
    rc = out_path && tensor_npy_path(out_path) ? tensor_npy_write(out_path, &out, err, sizeof err)
                                               : tensor_csv_write(out_path, &out, hex, err, sizeof err);
    if (rc) {
        nb_error("eval", "%s", err);
        goto done;
    }
    struct accuracy_summary s = {0};
    for (size_t i = 0; i < total; i++)
        accuracy_add(&s, nb_load(y, i, dt), exact[i], nb_load(y_ref, i, dt), dt);
    size_t inputs = total + n + (bpath ? n : 0) + (rpath ? total : 0);
    size_t inexact = in.x.inexact + in.g.inexact + in.b.inexact + in.residual.inexact;
    char eps_shown[32];
    for (int digits = 1; digits <= 17; digits++) { /* shortest text that reads back as eps */
        snprintf(eps_shown, sizeof eps_shown, "%.*g", digits, eps);
        if (strtod(eps_shown, NULL) == eps)
            break;
    }
    fprintf(stderr,
            "%s on %zu x %zu, eps %s: max %.3g ULP, mean %.3g ULP, %.1f%% correctly rounded, "
            "%zu NaN, %zu +Inf, %zu -Inf, %zu false zeros\n",
            v->name, rows, n, eps_shown, s.max_ulp, accuracy_mean_ulp(&s),
            100.0 * (double)s.correctly_rounded / (double)s.count, s.nan, s.pos_inf, s.neg_inf,
            s.false_zero);
    fprintf(stderr, "inputs: %zu of %zu values were not exact in %s and were rounded\n", inexact,
            inputs, dtype_name(dt));
    if (counts.undecided)
        fprintf(stderr, "warning: the reference could not decide %zu roundings within 65536 bits\n",
                counts.undecided);
    if (w)
        rc = report_against(w, &args, rpath ? in.residual.data : NULL, y);
done:
    free(y);
    free(y_ref);
    free(exact);
    free(work);
    free(res_kernel);
    free(res_ref);
    free_inputs(&in);
    return rc;
}
