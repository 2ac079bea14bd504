/* normbench compare BASE NEW: the CI gate between two runs. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "csv_table.h"
#include "gate.h"
#include "stats.h"

struct run_data {
    char dir[4096];
    struct csv_table perf, samples, acc, meta;
    int have_samples, have_acc, have_meta;
};

static const char *const key_cols[] = {"variant", "rows", "n", "eps", "threads", "cache"};
#define NKEY 6

static void free_run(struct run_data *r)
{
    csv_table_free(&r->perf);
    if (r->have_samples)
        csv_table_free(&r->samples);
    if (r->have_acc)
        csv_table_free(&r->acc);
    if (r->have_meta)
        csv_table_free(&r->meta);
}

static int load_run_inner(const char *path, struct run_data *r, const char *metric_col, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    struct stat st;
    char perf[4200], p2[4200];
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: no such run directory or file", path);
        return 2;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(r->dir, sizeof r->dir, "%s", path);
        snprintf(perf, sizeof perf, "%s/perf.csv", path);
    } else { /* a perf.csv: its directory holds the rest */
        snprintf(perf, sizeof perf, "%s", path);
        snprintf(r->dir, sizeof r->dir, "%s", path);
        char *slash = strrchr(r->dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(r->dir, sizeof r->dir, ".");
    }
    int rc = csv_table_read(perf, &r->perf, err, errlen);
    if (rc)
        return rc;
    const char *need[NKEY + 1];
    memcpy(need, key_cols, sizeof key_cols);
    need[NKEY] = metric_col;
    for (int i = 0; i <= NKEY; i++)
        if (csv_table_col(&r->perf, need[i]) < 0) {
            snprintf(err, errlen, "%s: no column '%s'%s", perf, need[i],
                     strcmp(need[i], "instructions_per_call") == 0 ? " (run with --count instructions)" : "");
            return 2;
        }
    if (r->perf.nrows == 0) {
        snprintf(err, errlen, "%s: no measurements (a header only)", perf);
        return 2;
    }
    int mc = csv_table_col(&r->perf, metric_col), any = 0;
    for (size_t i = 0; i < r->perf.nrows && !any; i++)
        any = isfinite(csv_table_num(&r->perf, i, mc));
    if (!any) {
        snprintf(err, errlen, "%s: no value in column '%s'%s", perf, metric_col,
                 strcmp(metric_col, "instructions_per_call") == 0 ? " (run with --count instructions)" : "");
        return 2;
    }
    snprintf(p2, sizeof p2, "%s/samples.csv", r->dir);
    r->have_samples = csv_table_read(p2, &r->samples, err, errlen) == 0;
    snprintf(p2, sizeof p2, "%s/accuracy.csv", r->dir);
    r->have_acc = csv_table_read(p2, &r->acc, err, errlen) == 0;
    snprintf(p2, sizeof p2, "%s/meta.csv", r->dir);
    r->have_meta = csv_table_read(p2, &r->meta, err, errlen) == 0;
    err[0] = '\0';
    if (r->have_meta) {
        const char *status = NULL;
        for (size_t i = 0; i < r->meta.nrows; i++)
            if (!strcmp(csv_table_get(&r->meta, i, 0), "status"))
                status = csv_table_get(&r->meta, i, 1);
        if (status && strcmp(status, "complete")) {
            snprintf(err, errlen, "%s: the run is not complete (status %s)", r->dir, status);
            return 2;
        }
    }
    return 0;
}


static int load_run(const char *path, struct run_data *r, const char *metric_col, char *err, size_t errlen)
{
    int rc = load_run_inner(path, r, metric_col, err, errlen);
    if (rc)
        free_run(r); /* whatever was read before the error */
    return rc;
}

static void row_key(const struct csv_table *t, size_t row, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (int k = 0; k < NKEY; k++)
        used += (size_t)snprintf(out + used, len > used ? len - used : 0, "%s%s", k ? "|" : "",
                                 csv_table_get(t, row, csv_table_col(t, key_cols[k])));
}

/* Per tier (and one slot for rows of no known tier), the drift of the
 * matched rows' times from base to cur. */
static void estimate_drift(const struct run_data *base, const struct run_data *cur, int bcol, int ncol, int tcol,
                           const char *const *tiers, struct gate_drift *drift)
{
    double *lr = malloc((cur->perf.nrows + 1) * sizeof *lr);
    char a[512], b[512];
    for (int t = 0; t < 5 && lr; t++) {
        size_t k = 0;
        for (size_t i = 0; i < cur->perf.nrows; i++) {
            const char *tier = tcol >= 0 ? csv_table_get(&cur->perf, i, tcol) : "";
            int known = 0;
            for (int q = 0; q < 4; q++)
                known |= !strcmp(tier, tiers[q]);
            if (t < 4 ? strcmp(tier, tiers[t]) != 0 : known)
                continue;
            row_key(&cur->perf, i, a, sizeof a);
            for (size_t j = 0; j < base->perf.nrows; j++) {
                row_key(&base->perf, j, b, sizeof b);
                if (strcmp(a, b))
                    continue;
                double r = csv_table_num(&cur->perf, i, ncol) / csv_table_num(&base->perf, j, bcol);
                if (isfinite(r) && r > 0)
                    lr[k++] = log(r);
                break;
            }
        }
        if (gate_drift_estimate(lr, k, &drift[t]) == 0)
            fprintf(stderr, "run-to-run drift in %s over %zu rows: median %+.1f%%, robust sd %.1f%%\n",
                    t < 4 ? tiers[t] : "other rows", k, expm1(drift[t].mid) * 100, drift[t].sd * 100);
    }
    free(lr);
}

static const char *meta_value(const struct run_data *r, const char *key)
{
    if (!r->have_meta)
        return "";
    for (size_t i = 0; i < r->meta.nrows; i++)
        if (!strcmp(csv_table_get(&r->meta, i, 0), key))
            return csv_table_get(&r->meta, i, 1);
    return "";
}

/* Per-repetition samples of one key from samples.csv. */
static size_t samples_for(const struct run_data *r, const char *key, double *out, size_t cap)
{
    if (!r->have_samples || csv_table_col(&r->samples, "ns_per_call") < 0)
        return 0;
    int col = csv_table_col(&r->samples, "ns_per_call");
    size_t k = 0;
    char rk[512];
    for (size_t i = 0; i < r->samples.nrows && k < cap; i++) {
        row_key(&r->samples, i, rk, sizeof rk);
        if (!strcmp(rk, key)) {
            double v = csv_table_num(&r->samples, i, col);
            if (isfinite(v))
                out[k++] = v;
        }
    }
    return k;
}

struct out_fmt {
    int md;
};

static void print_header(const struct out_fmt *f, int instructions)
{
    const char *metric = instructions ? "instructions" : "µs";
    if (f->md)
        printf("| variant | rows | n | eps | threads | cache | base %s | new %s | change | p | verdict |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|\n", metric, metric);
    else
        printf("%-34s %7s %6s %8s %3s %4s %14s %14s %9s %7s  %s\n", "variant", "rows", "n", "eps", "thr", "cache",
               instructions ? "base_ins" : "base_us", instructions ? "new_ins" : "new_us", "change", "p", "verdict");
}

static void print_row(const struct out_fmt *f, const struct csv_table *t, size_t row, double base, double cur,
                      double change, double p, const char *verdict, double scale)
{
    const char *v[NKEY];
    for (int k = 0; k < NKEY; k++)
        v[k] = csv_table_get(t, row, csv_table_col(t, key_cols[k]));
    char b[32] = "", c[32] = "", ch[32] = "", pv[32] = "";
    /* instruction counts whole (a 1% gate wants every digit), times in µs */
    const char *num = scale == 1.0 ? "%.0f" : "%.4g";
    if (isfinite(base)) snprintf(b, sizeof b, num, base / scale);
    if (isfinite(cur)) snprintf(c, sizeof c, num, cur / scale);
    if (isfinite(change)) snprintf(ch, sizeof ch, "%+.1f%%", change * 100);
    if (isfinite(p)) snprintf(pv, sizeof pv, "%.3g", p);
    if (f->md)
        printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", v[0], v[1], v[2], v[3], v[4], v[5], b, c,
               ch, pv, verdict);
    else
        printf("%-34s %7s %6s %8s %3s %4s %14s %14s %9s %7s  %s\n", v[0], v[1], v[2], v[3], v[4], v[5], b, c, ch, pv,
               verdict);
}

/* Accuracy: a larger max ULP than the baseline's beyond the slack, or any
 * non-finite output the baseline did not have. */
static size_t gate_accuracy(const struct run_data *base, const struct run_data *cur, double slack,
                            const struct out_fmt *f)
{
    if (!base->have_acc || !cur->have_acc)
        return 0;
    const char *cols[] = {"variant", "rows", "n", "eps", "dist", "scale"};
    int bm = csv_table_col(&base->acc, "max_ulp"), nm = csv_table_col(&cur->acc, "max_ulp");
    if (bm < 0 || nm < 0)
        return 0;
    size_t regressions = 0;
    for (size_t i = 0; i < cur->acc.nrows; i++)
        for (size_t j = 0; j < base->acc.nrows; j++) {
            int same = 1;
            for (int k = 0; k < 6 && same; k++)
                same = !strcmp(csv_table_get(&cur->acc, i, csv_table_col(&cur->acc, cols[k])),
                               csv_table_get(&base->acc, j, csv_table_col(&base->acc, cols[k])));
            if (!same)
                continue;
            /* a run that checked no rows has no maxima (empty cells), which
             * is no verdict, not the NaN a broken kernel produces */
            if (csv_table_num(&base->acc, j, csv_table_col(&base->acc, "rows_checked")) == 0 ||
                csv_table_num(&cur->acc, i, csv_table_col(&cur->acc, "rows_checked")) == 0)
                break;
            double bu = csv_table_num(&base->acc, j, bm), nu = csv_table_num(&cur->acc, i, nm);
            double bnf = 0, nnf = 0;
            const char *nf[] = {"nan", "pos_inf", "neg_inf"};
            for (int k = 0; k < 3; k++) {
                bnf += csv_table_num(&base->acc, j, csv_table_col(&base->acc, nf[k]));
                nnf += csv_table_num(&cur->acc, i, csv_table_col(&cur->acc, nf[k]));
            }
            const char *why = NULL;
            char buf[160];
            if (nnf > 0 && !(bnf > 0)) {
                snprintf(buf, sizeof buf, "%.0f new non-finite outputs", nnf);
                why = buf;
            } else if (nu > bu + slack || (isnan(nu) && !isnan(bu))) {
                snprintf(buf, sizeof buf, "max ULP %.4g -> %.4g (slack %.3g)", bu, nu, slack);
                why = buf;
            }
            if (why) {
                regressions++;
                if (f->md)
                    printf("| %s | %s | %s | accuracy | | | | | | | **regression**: %s |\n",
                           csv_table_get(&cur->acc, i, 0), csv_table_get(&cur->acc, i, 3),
                           csv_table_get(&cur->acc, i, 4), why);
                else
                    printf("%-34s %7s %6s accuracy regression: %s\n", csv_table_get(&cur->acc, i, 0),
                           csv_table_get(&cur->acc, i, 3), csv_table_get(&cur->acc, i, 4), why);
            }
            break;
        }
    return regressions;
}

int cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {
        {"threshold", required_argument, 0, 't'}, {"alpha", required_argument, 0, 'a'},
        {"ulp-slack", required_argument, 0, 'u'}, {"cv-cap", required_argument, 0, 'c'},
        {"metric", required_argument, 0, 'm'},    {"format", required_argument, 0, 'f'},
        {"force", no_argument, 0, 'F'},           {"drift-z", required_argument, 0, 'z'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    struct gate_params gp = {.threshold = NAN, .alpha = 0.05, .cv_cap = 0.10, .min_samples = 5};
    double slack = 0.5, drift_z = 3.0;
    int instructions = 0, force = 0;
    struct out_fmt fmt = {0};
    optind = 0; /* 0, not 1: glibc then also forgets a half-parsed option cluster */
    opterr = 0;
    int c, which = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, &which)) != -1) {
        double *target = NULL;
        switch (c) {
        case 't':
            if (parse_fraction_option(optarg, &gp.threshold)) {
                nb_error("compare", "--threshold wants a share such as 5%% or 0.05, not '%s'", optarg);
                return NB_EXIT_USAGE;
            }
            break;
        case 'a':
            if (parse_fraction_option(optarg, &gp.alpha)) {
                nb_error("compare", "--alpha wants a probability in (0, 1) such as 0.05, not '%s'", optarg);
                return NB_EXIT_USAGE;
            }
            break;
        case 'u': target = &slack; break;
        case 'c': target = &gp.cv_cap; break;
        case 'z': target = &drift_z; break;
        case 'F': force = 1; break;
        case 'm':
            if (!strcmp(optarg, "instructions"))
                instructions = 1;
            else if (strcmp(optarg, "time")) {
                nb_error("compare", "--metric wants time or instructions, not '%s'", optarg);
                return NB_EXIT_USAGE;
            }
            break;
        case 'f':
            if (!strcmp(optarg, "md"))
                fmt.md = 1;
            else if (strcmp(optarg, "text")) {
                nb_error("compare", "--format wants text or md, not '%s'", optarg);
                return NB_EXIT_USAGE;
            }
            break;
        case 'h':
            printf("usage: normbench compare BASE NEW [--metric time|instructions] [--threshold R]\n"
                   "                         [--alpha A] [--cv-cap C] [--ulp-slack U] [--format text|md] [--force]\n\n"
                   "Compares two runs (directories, or their perf.csv) row by row and exits 1 if\n"
                   "any row regressed: slower by more than the threshold (5%% or 0.05; default 5%%\n"
                   "for time, 1%% for instructions) with a Mann-Whitney U test over the per-repetition\n"
                   "samples significant at alpha (0.05); more max ULP than the baseline's plus\n"
                   "the slack (0.5); or non-finite outputs the baseline did not have. Rows with\n"
                   "fewer than 5 repetitions or a robust CV (1.4826 MAD / median) above the cap\n"
                   "(0.10) and a change under three of them are 'noisy', never a\n"
                   "regression. Runs on a shared machine drift as a whole and row by row:\n"
                   "with 20 or more rows in a tier, a time regression must also stand out from the\n"
                   "run-to-run spread of all rows (its log change above the median by more\n"
                   "than --drift-z, default 3, robust standard deviations; 0 turns this off).\n"
                   "Times from two separate runs are not paired: to gate a code change on time,\n"
                   "use normbench ab (one process, interleaved rounds, a paired test).\n"
                   "Exit 0 no regression, 1 regression, 2 bad usage or input.\n");
            return NB_EXIT_OK;
        default: return option_error("compare", c, argv);
        }
        if (target && (parse_double_option(optarg, target) || !isfinite(*target) || *target < 0)) {
            nb_error("compare", "--%s wants a finite number >= 0, not '%s'", opts[which].name, optarg);
            return NB_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        nb_error("compare", "want two runs: normbench compare BASE NEW");
        return NB_EXIT_USAGE;
    }
    if (nb_parse_only)
        return NB_EXIT_OK;
    if (isnan(gp.threshold))
        gp.threshold = instructions ? 0.01 : 0.05;
    const char *metric_col = instructions ? "instructions_per_call" : "median_ns";
    struct run_data base, cur;
    char err[9000];
    int rc = load_run(argv[optind], &base, metric_col, err, sizeof err);
    if (rc) {
        nb_error("compare", "%s", err);
        return rc;
    }
    rc = load_run(argv[optind + 1], &cur, metric_col, err, sizeof err);
    if (rc) {
        nb_error("compare", "%s", err);
        free_run(&base);
        return rc;
    }
    /* provenance */
    const char *prov[] = {"cpu_model", "compiler", "normbench_version", "papi_events"};
    int cpu_differs = 0;
    for (size_t k = 0; k < 4 && base.have_meta && cur.have_meta; k++) {
        const char *a = meta_value(&base, prov[k]), *b = meta_value(&cur, prov[k]);
        if (strcmp(a, b)) {
            fprintf(stderr, "note: the runs differ in %s: '%s' against '%s'\n", prov[k], a, b);
            cpu_differs |= k == 0;
        }
    }
    if (!base.have_meta || !cur.have_meta)
        fprintf(stderr, "note: %s has no meta.csv: provenance not checked\n", base.have_meta ? cur.dir : base.dir);
    if (cpu_differs && !instructions && !force) {
        nb_error("compare", "times from different CPU models are not comparable (--force to compare anyway)");
        free_run(&base);
        free_run(&cur);
        return NB_EXIT_USAGE;
    }
    int bcol = csv_table_col(&base.perf, metric_col), ncol = csv_table_col(&cur.perf, metric_col);
    const double scale = instructions ? 1.0 : 1000.0;
    if (!instructions)
        fprintf(stderr, "warning: times from two separate runs are not paired: on a shared machine the drift between "
                        "them can exceed any threshold worth gating on. To gate a code change on time, build each "
                        "revision's kernels with make lib and compare them in one process: normbench ab BASE.so NEW.so\n");
    print_header(&fmt, instructions);
    size_t matched = 0, regressions = 0, counts[4] = {0}, added = 0, removed = 0, untested = 0;
    double log_sum = 0;
    size_t log_n = 0;
    /* run-to-run drift, per cache tier (a shared machine disturbs the tiers
     * differently): the median and robust spread of the matched rows' log
     * changes */
    static const char *const drift_tiers[] = {"L1", "L2", "L3", "DRAM", ""};
    struct gate_drift drift[5];
    for (int t = 0; t < 5; t++)
        drift[t] = (struct gate_drift){0, NAN};
    int tcol_cur = csv_table_col(&cur.perf, "tier");
    if (!instructions && drift_z > 0)
        estimate_drift(&base, &cur, bcol, ncol, tcol_cur, drift_tiers, drift);
    /* a key's samples cannot outnumber its file's rows */
    const size_t CAP = 1 + (base.have_samples ? base.samples.nrows : 0) + (cur.have_samples ? cur.samples.nrows : 0);
    double *sb = malloc(CAP * sizeof *sb), *sn = malloc(CAP * sizeof *sn);
    char key[512], k2[512];
    /* per variant: matched rows, and rows slower beyond the drift. A code
     * change slows a kernel at every shape; a burst on a shared machine hits
     * one row. */
    size_t *var_rows = calloc(cur.perf.nrows + 1, sizeof *var_rows);
    size_t *var_slow = calloc(cur.perf.nrows + 1, sizeof *var_slow);
    size_t *var_fast = calloc(cur.perf.nrows + 1, sizeof *var_fast);
    int vcol = csv_table_col(&cur.perf, "variant");
    for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < cur.perf.nrows && sb && sn && var_rows && var_slow && var_fast; i++) {
        /* the index of the first row of this variant: its counters */
        size_t vi = 0;
        while (strcmp(csv_table_get(&cur.perf, vi, vcol), csv_table_get(&cur.perf, i, vcol)))
            vi++;
        row_key(&cur.perf, i, key, sizeof key);
        size_t j;
        for (j = 0; j < base.perf.nrows; j++) {
            row_key(&base.perf, j, k2, sizeof k2);
            if (!strcmp(key, k2))
                break;
        }
        if (j == base.perf.nrows) {
            if (pass) {
                print_row(&fmt, &cur.perf, i, NAN, csv_table_num(&cur.perf, i, ncol), NAN, NAN, "added", scale);
                added++;
            }
            continue;
        }
        if (pass)
            matched++;
        double bv = csv_table_num(&base.perf, j, bcol), nv = csv_table_num(&cur.perf, i, ncol);
        if (instructions) {
            if (!pass)
                continue;
            if (!isfinite(bv) || !isfinite(nv)) {
                print_row(&fmt, &cur.perf, i, bv, nv, NAN, NAN, "not counted (the time gate, ab, times it where the CPU can run it)", scale);
                untested++;
                continue;
            }
            double change;
            enum verdict v = gate_instructions(bv, nv, gp.threshold, &change);
            counts[v]++;
            log_sum += log(nv / bv);
            log_n++;
            char text[64];
            snprintf(text, sizeof text, "%s%s", verdict_name(v), v == VERDICT_SLOWER ? " (regression)" : "");
            regressions += v == VERDICT_SLOWER;
            print_row(&fmt, &cur.perf, i, bv, nv, change, NAN, text, scale);
            continue;
        }
        size_t nb_ = samples_for(&base, key, sb, CAP), nn = samples_for(&cur, key, sn, CAP);
        struct gate_result g;
        if (nb_ == 0 || nn == 0) {
            g.verdict = VERDICT_NOISY;
            g.why = "no samples.csv";
            g.base_median = bv;
            g.new_median = nv;
            g.change = nv / bv - 1;
            g.p_value = NAN;
        } else {
            gate_compare(sb, nb_, sn, nn, &gp, &g);
            /* slower and significant, but not beyond what every row drifts */
            int t = 4;
            for (int q = 0; q < 4; q++)
                if (tcol_cur >= 0 && !strcmp(csv_table_get(&cur.perf, i, tcol_cur), drift_tiers[q]))
                    t = q;
            gate_apply_drift(&g, &drift[t], drift_z);
        }
        if (!pass) {
            var_rows[vi] += g.verdict != VERDICT_NOISY || strcmp(g.why, "within the run-to-run drift") == 0;
            var_slow[vi] += g.verdict == VERDICT_SLOWER;
            var_fast[vi] += g.verdict == VERDICT_FASTER;
            continue;
        }
        gate_apply_isolation(&g, var_rows[vi], var_slow[vi], var_fast[vi]);
        counts[g.verdict]++;
        if (isfinite(g.change)) {
            log_sum += log1p(g.change);
            log_n++;
        }
        char text[96];
        snprintf(text, sizeof text, "%s%s%s%s", verdict_name(g.verdict), g.verdict == VERDICT_NOISY ? " (" : "",
                 g.verdict == VERDICT_NOISY ? g.why : "", g.verdict == VERDICT_NOISY ? ")" : "");
        if (g.verdict == VERDICT_SLOWER) {
            regressions++;
            strncat(text, " (regression)", sizeof text - strlen(text) - 1);
        }
        print_row(&fmt, &cur.perf, i, g.base_median, g.new_median, g.change, g.p_value, text, scale);
    }
    for (size_t j = 0; j < base.perf.nrows; j++) {
        row_key(&base.perf, j, k2, sizeof k2);
        int found = 0;
        for (size_t i = 0; i < cur.perf.nrows && !found; i++) {
            row_key(&cur.perf, i, key, sizeof key);
            found = !strcmp(key, k2);
        }
        if (!found) {
            print_row(&fmt, &base.perf, j, csv_table_num(&base.perf, j, bcol), NAN, NAN, NAN, "removed", scale);
            removed++;
        }
    }
    free(sb);
    free(sn);
    free(var_rows);
    free(var_slow);
    free(var_fast);
    size_t acc_regressions = gate_accuracy(&base, &cur, slack, &fmt);
    /* no row with a ratio: the mean is n/a, never a printed nan */
    char geo[32] = "n/a";
    if (log_n)
        snprintf(geo, sizeof geo, "%+.2f%%", expm1(log_sum / (double)log_n) * 100);
    if (fmt.md)
        printf("\n**geometric mean change: %s** over %zu rows; %zu faster, %zu slower, %zu same, %zu noisy, "
               "%zu added, %zu removed%s; %zu regressions (%zu accuracy).\n",
               geo, log_n, counts[VERDICT_FASTER], counts[VERDICT_SLOWER], counts[VERDICT_SAME],
               counts[VERDICT_NOISY], added, removed, untested ? ", some not counted" : "",
               regressions + acc_regressions, acc_regressions);
    else
        printf("%-34s %7s %6s %8s %3s %4s %14s %14s %9s\n"
               "%zu rows matched: %zu faster, %zu slower, %zu same, %zu noisy%s; %zu added, %zu removed; "
               "%zu regressions (%zu accuracy)\n",
               "geomean", "", "", "", "", "", "", "", geo, matched, counts[VERDICT_FASTER],
               counts[VERDICT_SLOWER], counts[VERDICT_SAME], counts[VERDICT_NOISY],
               untested ? ", some not counted (ab times them where the CPU can run them)" : "", added, removed,
               regressions + acc_regressions, acc_regressions);
    free_run(&base);
    free_run(&cur);
    if (matched == 0) {
        nb_error("compare", "the runs have no row in common (variant, rows, n, eps, threads, cache)");
        return NB_EXIT_USAGE;
    }
    return regressions + acc_regressions ? NB_EXIT_FAILED : NB_EXIT_OK;
}
