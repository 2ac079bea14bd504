#include "results.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_io.h"

const char *const perf_columns[] = {
    "variant", "norm", "algorithm", "isa", "dtype", "rows", "n", "eps", "threads", "cache", "tier", "reps",
    "min_ns", "median_ns", "mean_ns", "stddev_ns", "mad_ns", "cv", "ns_per_row", "bytes", "bandwidth_gbs",
    "ceiling_gbs", "roofline_share", "speedup_vs_naive", NULL};
/* after the per-event columns and counters_note: */
static const char *const perf_tail_columns[] = {
    "calls_per_rep", "tsc_cycles_per_element", "speedup_rms_vs_layernorm", "instructions_per_call",
    "roofline_share_lo", "roofline_share_hi", "speedup_vs_naive_lo", "speedup_vs_naive_hi",
    "speedup_rms_vs_layernorm_lo", "speedup_rms_vs_layernorm_hi", "round_group", "schedule", "p",
    "l1_lines_per_call", "l2_lines_per_call", NULL};
const char *const samples_columns[] = {"variant", "rows", "n", "eps", "threads", "cache", "rep", "calls",
                                       "ns_per_call", "round_group", NULL};
const char *const accuracy_columns[] = {"variant", "norm", "dtype", "rows", "n", "eps", "dist", "scale",
                                        "rows_checked", "max_ulp", "mean_ulp", "max_rel", "rms_rel", "nmse",
                                        "exact_share", "nan", "pos_inf", "neg_inf", "false_zero", NULL};
/* after SPEC's columns: the error the bound applies to, and the bound */
static const char *const accuracy_tail_columns[] = {"max_ulp_terms", "bound_ulp", "p", "up_max_ulp",
                                                    "up_equal_share", "dx_max_ulp_terms", "dg_max_ulp_terms",
                                                    "db_max_ulp_terms", NULL};

void format_double(char *out, size_t len, double v)
{
    if (isnan(v)) {
        snprintf(out, len, "%s", ""); /* empty: not measured */
        return;
    }
    if (isinf(v)) {
        snprintf(out, len, "%s", v > 0 ? "inf" : "-inf");
        return;
    }
    /* integers as integers: "399360", never "3.9936e+05", which int() and
     * most readers refuse */
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, len, "%.0f", v);
        return;
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(out, len, "%.*g", digits, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

static void field_double(struct csv_out *o, double v)
{
    char buf[40];
    format_double(buf, sizeof buf, v);
    csv_out_field(o, buf);
}

static void header(struct csv_out *o, const char *const *cols)
{
    for (size_t i = 0; cols[i]; i++)
        csv_out_field(o, cols[i]);
}

static void event_column(char *out, size_t len, const char *event)
{
    /* PAPI_TOT_CYC -> papi_tot_cyc_per_call, perf::TASK-CLOCK -> perf_task_clock_per_call */
    size_t j = 0;
    for (size_t i = 0; event[i] && j + 1 < len; i++) {
        unsigned char ch = (unsigned char)event[i];
        char c = isalnum(ch) ? (char)tolower(ch) : '_';
        if (c == '_' && j > 0 && out[j - 1] == '_')
            continue;
        out[j++] = c;
    }
    out[j] = '\0';
    strncat(out, "_per_call", len - strlen(out) - 1);
}

int write_perf_csv(const char *path, const struct perf_row *rows, size_t count, const struct counters *c,
                   char *err, size_t errlen)
{
    struct csv_out o;
    int rc = csv_out_open(&o, path, err, errlen);
    if (rc)
        return rc;
    header(&o, perf_columns);
    for (size_t e = 0; c && e < c->count; e++) {
        char name[96];
        event_column(name, sizeof name, c->names[e]);
        csv_out_field(&o, name);
    }
    csv_out_field(&o, "counters_note");
    header(&o, perf_tail_columns);
    csv_out_end_row(&o);
    for (size_t i = 0; i < count; i++) {
        const struct perf_row *r = &rows[i];
        csv_out_field(&o, r->v->name);
        csv_out_field(&o, norm_name(r->v->norm));
        csv_out_field(&o, r->v->algorithm);
        csv_out_field(&o, isa_name(r->v->isa));
        csv_out_field(&o, r->v->dtype_name);
        csv_out_fieldf(&o, "%zu", r->rows);
        csv_out_fieldf(&o, "%zu", r->n);
        field_double(&o, r->eps);
        csv_out_fieldf(&o, "%zu", r->threads);
        csv_out_field(&o, r->cold ? "cold" : "hot");
        csv_out_field(&o, tier_name(r->tier));
        csv_out_fieldf(&o, "%zu", r->reps);
        field_double(&o, r->time.min);
        field_double(&o, r->time.median);
        field_double(&o, r->time.mean);
        field_double(&o, r->time.stddev);
        field_double(&o, r->time.mad);
        field_double(&o, r->time.cv);
        field_double(&o, r->time.median / (double)r->rows);
        field_double(&o, r->bytes);
        field_double(&o, r->bandwidth_gbs);
        field_double(&o, r->ceiling_gbs);
        field_double(&o, r->roofline_share);
        field_double(&o, r->speedup_vs_naive);
        for (size_t e = 0; c && e < c->count; e++)
            field_double(&o, r->events_per_call[e]);
        csv_out_field(&o, r->note);
        csv_out_fieldf(&o, "%zu", r->calls);
        field_double(&o, r->tsc_per_elem);
        field_double(&o, r->speedup_rms_vs_ln);
        field_double(&o, r->instructions_per_call);
        const struct ratio_ci *ci[] = {&r->share_ci, &r->naive_ci, &r->rms_ln_ci};
        for (int k = 0; k < 3; k++) {
            field_double(&o, ci[k]->lo);
            field_double(&o, ci[k]->hi);
        }
        csv_out_fieldf(&o, "%zu", r->round_group);
        csv_out_field(&o, r->schedule ? r->schedule : "");
        field_double(&o, r->v->norm == NB_PRMSNORM ? r->p : NAN);
        field_double(&o, r->l1_lines_per_call);
        field_double(&o, r->l2_lines_per_call);
        csv_out_end_row(&o);
    }
    return csv_out_commit(&o, err, errlen);
}

int write_samples_csv(const char *path, const struct perf_row *rows, size_t count, char *err, size_t errlen)
{
    struct csv_out o;
    int rc = csv_out_open(&o, path, err, errlen);
    if (rc)
        return rc;
    header(&o, samples_columns);
    csv_out_end_row(&o);
    for (size_t i = 0; i < count; i++) {
        const struct perf_row *r = &rows[i];
        for (size_t k = 0; k < r->nsamples; k++) {
            csv_out_field(&o, r->v->name);
            csv_out_fieldf(&o, "%zu", r->rows);
            csv_out_fieldf(&o, "%zu", r->n);
            field_double(&o, r->eps);
            csv_out_fieldf(&o, "%zu", r->threads);
            csv_out_field(&o, r->cold ? "cold" : "hot");
            csv_out_fieldf(&o, "%zu", k);
            csv_out_fieldf(&o, "%zu", r->calls);
            field_double(&o, r->samples[k]);
            csv_out_fieldf(&o, "%zu", r->round_group);
            csv_out_end_row(&o);
        }
    }
    return csv_out_commit(&o, err, errlen);
}

int write_accuracy_csv(const char *path, const struct accuracy_row *rows, size_t count, char *err, size_t errlen)
{
    struct csv_out o;
    int rc = csv_out_open(&o, path, err, errlen);
    if (rc)
        return rc;
    header(&o, accuracy_columns);
    header(&o, accuracy_tail_columns);
    csv_out_end_row(&o);
    for (size_t i = 0; i < count; i++) {
        const struct accuracy_row *r = &rows[i];
        if (r->repeat)
            continue;
        csv_out_field(&o, r->v->name);
        csv_out_field(&o, norm_name(r->v->norm));
        csv_out_field(&o, r->v->dtype_name);
        csv_out_fieldf(&o, "%zu", r->rows);
        csv_out_fieldf(&o, "%zu", r->n);
        field_double(&o, r->eps);
        csv_out_field(&o, dist_name(r->dist.kind));
        field_double(&o, r->dist.scale);
        csv_out_fieldf(&o, "%zu", r->rows_checked);
        /* maxima over no outputs are n/a (empty), not 0 */
        const int checked = r->s.count > 0;
        field_double(&o, checked ? r->s.max_ulp : NAN);
        field_double(&o, accuracy_mean_ulp(&r->s));
        field_double(&o, checked ? r->s.max_rel : NAN);
        field_double(&o, accuracy_rms_rel(&r->s));
        field_double(&o, accuracy_nmse(&r->s));
        field_double(&o, r->s.count ? (double)r->s.correctly_rounded / (double)r->s.count : NAN);
        csv_out_fieldf(&o, "%zu", r->s.nan);
        csv_out_fieldf(&o, "%zu", r->s.pos_inf);
        csv_out_fieldf(&o, "%zu", r->s.neg_inf);
        csv_out_fieldf(&o, "%zu", r->s.false_zero);
        field_double(&o, checked ? r->s.max_ulp_terms : NAN);
        if (r->v->ulp_bound >= 0)
            field_double(&o, r->v->ulp_bound);
        else
            csv_out_field(&o, ""); /* nat: reported, not bounded */
        field_double(&o, r->v->norm == NB_PRMSNORM ? r->p : NAN);
        /* llama mode against the same ISA's up variant; empty elsewhere */
        const int twin = r->s.twin_count > 0;
        field_double(&o, twin ? r->s.twin_max_ulp : NAN);
        field_double(&o, twin ? (double)r->s.twin_equal / (double)r->s.twin_count : NAN);
        /* backward: max_ulp_terms by gradient; empty for forward rows and
         * for a db RMSNorm does not have */
        for (int k = 0; k < NB_GRAD_COUNT; k++)
            field_double(&o, r->s.grad_count[k] ? r->s.grad_max_ulp_terms[k] : NAN);
        csv_out_end_row(&o);
    }
    return csv_out_commit(&o, err, errlen);
}

int write_meta_csv(const char *path, const struct meta_entry *entries, size_t count, char *err, size_t errlen)
{
    struct csv_out o;
    int rc = csv_out_open(&o, path, err, errlen);
    if (rc)
        return rc;
    csv_out_field(&o, "key");
    csv_out_field(&o, "value");
    csv_out_end_row(&o);
    for (size_t i = 0; i < count; i++) {
        csv_out_field(&o, entries[i].key);
        csv_out_field(&o, entries[i].value);
        csv_out_end_row(&o);
    }
    return csv_out_commit(&o, err, errlen);
}
