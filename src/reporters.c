#include "reporters.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "gbench_json.h"
#include "paired.h"

static void console_begin(const struct run_output *out)
{
    printf("%-34s %-4s %6s %7s %8s %3s %11s %8s %6s %-20s %8s\n", "variant", "tier", "n", "rows", "eps", "thr",
           out->counting ? "instr/call" : "median_us", "GB/s", "roof", "x_naive [95%]", "max_ulp");
}

/* n/a, never nan, on the console */
static void cell(char *out, size_t len, const char *fmt, double v)
{
    if (isfinite(v))
        snprintf(out, len, fmt, v);
    else
        snprintf(out, len, "n/a");
}

static void console_row(const struct run_output *out, const struct perf_row *r, const struct accuracy_row *a)
{
    char ulp[32] = "", speedup[48] = "", eps[32], first[32], gbs[32], roof[32];
    if (a && a->rows_checked)
        snprintf(ulp, sizeof ulp, "%.3g", a->s.max_ulp);
    if (!isnan(r->naive_ci.mid))
        ratio_ci_format(speedup, sizeof speedup, &r->naive_ci, "");
    format_double(eps, sizeof eps, r->eps);
    if (out->counting)
        cell(first, sizeof first, "%.0f", r->instructions_per_call);
    else
        cell(first, sizeof first, "%.3f", r->time.median / 1000.0);
    cell(gbs, sizeof gbs, "%.2f", r->bandwidth_gbs);
    cell(roof, sizeof roof, "%.2f", r->roofline_share);
    printf("%-34s %-4s %6zu %7zu %8s %3zu %11s %8s %6s %-20s %8s\n", r->v->name, tier_name(r->tier), r->n, r->rows,
           eps, r->threads, first, gbs, roof, speedup, ulp);
    fflush(stdout);
}

static int console_end(const struct run_output *out, char *err, size_t errlen)
{
    (void)out;
    (void)err;
    (void)errlen;
    return 0;
}

const struct reporter reporter_console = {"console", console_begin, console_row, console_end};

static void quiet_begin(const struct run_output *out)
{
    (void)out;
}

static void quiet_row(const struct run_output *out, const struct perf_row *r, const struct accuracy_row *a)
{
    (void)out;
    (void)r;
    (void)a;
}

static int csv_end(const struct run_output *out, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/perf.csv", out->dir);
    int rc = write_perf_csv(path, out->perf, out->count, out->ctr, err, errlen);
    snprintf(path, sizeof path, "%s/samples.csv", out->dir);
    if (!rc)
        rc = write_samples_csv(path, out->perf, out->count, err, errlen);
    snprintf(path, sizeof path, "%s/accuracy.csv", out->dir);
    if (!rc)
        rc = write_accuracy_csv(path, out->acc, out->count, err, errlen);
    return rc;
}

const struct reporter reporter_csv = {"csv", quiet_begin, quiet_row, csv_end};

static int json_end(const struct run_output *out, char *err, size_t errlen)
{
    if (!out->json_path || !out->json_path[0])
        return 0;
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[len > 0 ? len : 0] = '\0';
    return write_gbench_json(out->json_path, out->perf, out->count, out->topo, out->ti, exe, err, errlen);
}

const struct reporter reporter_json = {"json", quiet_begin, quiet_row, json_end};
