#include "config.h"
#include "input_file.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What `normbench` and `make run` measure: the f32 and bf16 RMSNorm and
 * LayerNorm variants and pRMSNorm f32 at three hidden sizes, in every
 * cache tier, within two minutes here. */
const char nb_default_suite_ini[] =
#include "default-suite.inc" /* configs/default.ini, made a string by the Makefile */
    ;

void suite_defaults(struct nb_suite *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "custom");
    snprintf(s->kernels, sizeof s->kernels, "*");
    s->hidden[0] = 4096;
    s->nhidden = 1;
    s->rows_auto = 1;
    s->eps[0] = 1e-6;
    s->neps = 1;
    s->reps = 10;
    s->passes = 5;
    s->min_time_s = 0.02;
    s->warmup_s = 0.02;
    s->threads = 1;
    s->thread_counts[0] = 1;
    s->nthread_counts = 1;
    s->cpu = -1;
    snprintf(s->events, sizeof s->events, "PAPI_TOT_CYC,PAPI_TOT_INS,PAPI_L1_DCM,PAPI_L2_DCM");
    s->p = 6.25;
    s->accuracy_rows = 4;
    s->full = 1; /* every row: the fast reference keeps up (reference_fast.c) */
    s->dist.kind = NB_DIST_NORMAL;
    s->dist.scale = 1;
    s->dist.factor = 100;
    s->dist.channels = 4;
    s->dist.value = 1;
    s->seed = 42;
    s->scales[0] = 1;
    s->nscales = 1;
    s->dists[0] = NB_DIST_NORMAL;
    s->ndists = 1;
    s->offsets[0] = 0;
    s->noffsets = 1;
    s->sweep_rows = 4;
}


static int parse_size(const char *v, size_t *out)
{
    char *end;
    errno = 0;
    while (*v == ' ')
        v++;
    if (*v == '-' || *v == '\0')
        return -1;
    unsigned long long x = strtoull(v, &end, 10);
    while (*end == ' ')
        end++;
    if (*end || errno)
        return -1;
    *out = (size_t)x;
    return 0;
}

/* "none" (0), or bytes with an optional K, M or G (powers of 1024) */
static int parse_bytes(const char *v, size_t *out)
{
    char *end;
    while (*v == ' ')
        v++;
    if (!strcmp(v, "none")) {
        *out = 0;
        return 0;
    }
    if (*v < '0' || *v > '9')
        return -1;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    const char *units = "KMG", *u = *end ? strchr(units, *end) : NULL;
    int shift = u ? 10 * (int)(u - units + 1) : 0;
    if (u)
        end++;
    if (*end || errno || x == 0 || x > (~0ull >> shift))
        return -1;
    *out = (size_t)(x << shift);
    return 0;
}

static int parse_num(const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    while (*end == ' ')
        end++;
    if (end == v || *end || errno == ERANGE || !isfinite(x))
        return -1;
    *out = x;
    return 0;
}

/* "768," or "a,,b": an empty element is a typo, never a value */
static int list_has_empty(const char *v)
{
    const char *p = v;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == ',' || !*p)
        return 1;
    for (; *p; p++)
        if (*p == ',') {
            const char *q = p + 1;
            while (isspace((unsigned char)*q))
                q++;
            if (*q == ',' || *q == '\0')
                return 1;
        }
    return 0;
}

/* "2^-24..2^16" (every power of two between), "2^-24..2^16/4" (four
 * points an octave: 2^-24, 2^-23.75, ...), or a list of numbers, each
 * decimal or 2^k. */
static int parse_scales(const char *v, double *out, size_t *count)
{
    if (list_has_empty(v))
        return -1;
    int a, b, per = 1;
    char tail;
    int got = sscanf(v, " 2^%d..2^%d %c", &a, &b, &tail);
    if (got == 3 && tail == '/' && sscanf(v, " 2^%d..2^%d/%d %c", &a, &b, &per, &tail) == 3)
        got = 2;
    if (got == 2) {
        if (a > b || per < 1 || per > 16 || (size_t)(b - a) * (size_t)per + 1 > NB_MAX_SCALES || a < -1000 ||
            b > 1000)
            return -1;
        size_t k = 0;
        for (int i = 0; i <= (b - a) * per; i++) /* 2^(a + i / per): exact powers where i / per is whole */
            out[k++] = ldexp(exp2((double)(i % per) / per), a + i / per);
        *count = k;
        return 0;
    }
    char buf[512];
    size_t k = 0;
    snprintf(buf, sizeof buf, "%s", v);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        int e;
        double d;
        if (k == NB_MAX_SCALES)
            return -1;
        if (sscanf(t, "2^%d %c", &e, &tail) == 1 && e > -1100 && e < 1100)
            d = ldexp(1.0, e);
        else if (parse_num(t, &d))
            return -1;
        if (!(d > 0))
            return -1;
        out[k++] = d;
    }
    if (!k)
        return -1;
    *count = k;
    return 0;
}

/* "a,b,c" into sizes; each must be in [lo, hi]. */
static int parse_size_list(const char *v, size_t *out, size_t *count, size_t lo, size_t hi)
{
    if (list_has_empty(v))
        return -1;
    char buf[512];
    size_t k = 0;
    snprintf(buf, sizeof buf, "%s", v);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t x;
        if (k == NB_MAX_LIST || parse_size(t, &x) || x < lo || x > hi)
            return -1;
        out[k++] = x;
    }
    if (k == 0)
        return -1;
    *count = k;
    return 0;
}

int suite_set(struct nb_suite *s, const char *section, const char *key, const char *value, char *err,
              size_t errlen)
{
#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)
    double d;
    size_t z;
    if (strcmp(section, "suite") == 0 && strcmp(key, "name") == 0) {
        snprintf(s->name, sizeof s->name, "%s", value);
    } else if (strcmp(section, "run") == 0) {
        if (strcmp(key, "kernels") == 0) {
            if (list_has_empty(value))
                BAD("kernels: want globs, comma separated, not '%s' (an empty element)", value);
            snprintf(s->kernels, sizeof s->kernels, "%s", value);
        } else if (strcmp(key, "dtype") == 0) {
            if (list_has_empty(value))
                BAD("dtype: want dtype globs, comma separated, not '%s' (an empty element)", value);
            snprintf(s->dtypes, sizeof s->dtypes, "%s", value);
        } else if (strcmp(key, "hidden") == 0) {
            if (parse_size_list(value, s->hidden, &s->nhidden, 1, (size_t)1 << 26))
                BAD("hidden: want sizes from 1 to 67108864, comma separated, not '%s'", value);
        } else if (strcmp(key, "rows") == 0) {
            if (strcmp(value, "auto") == 0) {
                s->rows_auto = 1;
            } else if (parse_size_list(value, s->rows, &s->nrows, 1, (size_t)1 << 30)) {
                BAD("rows: want 'auto' or counts >= 1, comma separated, not '%s'", value);
            } else {
                s->rows_auto = 0;
            }
        } else if (strcmp(key, "eps") == 0) {
            char buf[512];
            size_t k = 0;
            if (list_has_empty(value))
                BAD("eps: want finite values >= 0, comma separated, not '%s' (an empty element)", value);
            snprintf(buf, sizeof buf, "%s", value);
            for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (k == NB_MAX_LIST || parse_num(t, &d) || d < 0)
                    BAD("eps: want finite values >= 0, comma separated, not '%s'", value);
                s->eps[k++] = d;
            }
            if (!k)
                BAD("eps: empty");
            s->neps = k;
        } else if (strcmp(key, "reps") == 0) {
            if (parse_size(value, &z) || z < 1 || z > 100000)
                BAD("reps: want 1 to 100000, not '%s'", value);
            s->reps = z;
        } else if (strcmp(key, "min_time") == 0) {
            if (parse_num(value, &d) || d <= 0 || d > 60)
                BAD("min_time: want seconds in (0, 60], not '%s'", value);
            s->min_time_s = d;
        } else if (strcmp(key, "warmup") == 0) {
            if (parse_num(value, &d) || d < 0 || d > 60)
                BAD("warmup: want seconds in [0, 60], not '%s'", value);
            s->warmup_s = d;
        } else if (strcmp(key, "threads") == 0) {
            if (parse_size_list(value, s->thread_counts, &s->nthread_counts, 1, 1024))
                BAD("threads: want counts from 1 to 1024, comma separated, not '%s'", value);
            s->threads = 1;
            for (size_t k = 0; k < s->nthread_counts; k++) {
                for (size_t e = 0; e < k; e++)
                    if (s->thread_counts[e] == s->thread_counts[k])
                        BAD("threads: %zu is given twice (each count measures every shape once)", s->thread_counts[k]);
                if (s->thread_counts[k] > s->threads)
                    s->threads = s->thread_counts[k];
            }
        } else if (strcmp(key, "cpu") == 0) {
            if (strcmp(value, "auto") == 0)
                s->cpu = -1;
            else if (parse_size(value, &z) || z > 65535)
                BAD("cpu: want a CPU index or auto, not '%s'", value);
            else
                s->cpu = (int)z;
        } else if (strcmp(key, "cache") == 0) {
            if (strcmp(value, "hot") && strcmp(value, "cold"))
                BAD("cache: want hot or cold, not '%s'", value);
            s->cold = strcmp(value, "cold") == 0;
        } else if (strcmp(key, "passes") == 0) {
            if (parse_size(value, &z) || z < 1 || z > 100000)
                BAD("passes: want 1 to 100000, not '%s'", value);
            s->passes = z;
        } else if (strcmp(key, "max_footprint") == 0) {
            if (parse_bytes(value, &s->max_footprint))
                BAD("max_footprint: want bytes (with K, M or G) above 0, or none, not '%s'", value);
        } else if (strcmp(key, "schedule") == 0) {
            if (schedule_parse(value, &s->schedule))
                BAD("schedule: want interleaved or sequential, not '%s'", value);
        } else if (strcmp(key, "events") == 0) {
            snprintf(s->events, sizeof s->events, "%s", value);
        } else if (strcmp(key, "dy") == 0) {
            if (strcmp(value, "normal") && strcmp(value, "x"))
                BAD("dy: want normal or x, not '%s'", value);
            s->dy_is_x = strcmp(value, "x") == 0;
        } else if (strcmp(key, "p") == 0) {
            if (parse_num(value, &d) || !(d > 0 && d <= 100))
                BAD("p: want a percentage in (0, 100], not '%s'", value);
            s->p = d;
        } else {
            BAD("unknown key '%s' in [run]", key);
        }
    } else if (strcmp(section, "sweep") == 0) {
        s->has_sweep = 1;
        if (strcmp(key, "scales") == 0) {
            if (parse_scales(value, s->scales, &s->nscales))
                BAD("scales: want 2^a..2^b, 2^a..2^b/K (K points an octave, 1 to 16; at most %d scales) or positive "
                    "numbers (decimal or 2^k), comma separated, not '%s'", NB_MAX_SCALES, value);
        } else if (strcmp(key, "dists") == 0) {
            char buf[256];
            size_t k = 0;
            snprintf(buf, sizeof buf, "%s", value);
            for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
                if (k == NB_DIST_COUNT || dist_parse(t, &s->dists[k]))
                    BAD("dists: unknown distribution '%s' (normal, uniform, offset, outlier, zeros, constant)", t);
                k++;
            }
            if (!k)
                BAD("dists: empty");
            s->ndists = k;
        } else if (strcmp(key, "offsets") == 0) {
            char buf[512];
            size_t k = 0;
            snprintf(buf, sizeof buf, "%s", value);
            for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (k == NB_MAX_LIST || parse_num(t, &d))
                    BAD("offsets: want numbers, comma separated, not '%s'", value);
                s->offsets[k++] = d;
            }
            s->noffsets = k;
        } else if (strcmp(key, "rows") == 0) {
            if (parse_size(value, &z) || z < 1 || z > 4096)
                BAD("rows: want 1 to 4096, not '%s'", value);
            s->sweep_rows = z;
        } else {
            BAD("unknown key '%s' in [sweep]", key);
        }
    } else if (strcmp(section, "accuracy") == 0) {
        if (strcmp(key, "rows") == 0) {
            if (strcmp(value, "all") == 0) {
                s->full = 1;
            } else {
                if (parse_size(value, &z) || z > (size_t)1 << 20)
                    BAD("rows: want all or a row count, not '%s'", value);
                s->accuracy_rows = z;
                s->full = 0;
            }
        } else if (strcmp(key, "reference") == 0) {
            if (ref_method_parse(value, &s->ref_method))
                BAD("reference: want fast or mpfr, not '%s'", value);
        } else if (strcmp(key, "full") == 0) {
            s->full = strcmp(value, "true") == 0 || strcmp(value, "1") == 0 || strcmp(value, "yes") == 0;
        } else if (strcmp(key, "dist") == 0) {
            if (dist_parse(value, &s->dist.kind))
                BAD("dist: unknown distribution '%s' (normal, uniform, offset, outlier, zeros, constant)", value);
        } else if (strcmp(key, "scale") == 0) {
            if (parse_num(value, &d) || d <= 0)
                BAD("scale: want a number > 0, not '%s'", value);
            s->dist.scale = d;
        } else if (strcmp(key, "offset") == 0) {
            if (parse_num(value, &d))
                BAD("offset: want a number, not '%s'", value);
            s->dist.offset = d;
        } else if (strcmp(key, "factor") == 0) {
            if (parse_num(value, &d))
                BAD("factor: want a number, not '%s'", value);
            s->dist.factor = d;
        } else if (strcmp(key, "channels") == 0) {
            if (parse_size(value, &z))
                BAD("channels: want a count, not '%s'", value);
            s->dist.channels = z;
        } else if (strcmp(key, "value") == 0) {
            if (parse_num(value, &d))
                BAD("value: want a number, not '%s'", value);
            s->dist.value = d;
        } else if (strcmp(key, "seed") == 0) {
            if (parse_size(value, &z))
                BAD("seed: want a non-negative integer, not '%s'", value);
            s->seed = z;
        } else {
            BAD("unknown key '%s' in [accuracy]", key);
        }
    } else {
        BAD("unknown section [%s] or key '%s'", section, key);
    }
    return 0;
#undef BAD
}

struct parse_ctx {
    struct nb_suite *s;
    char msg[300];
    int kernels_seen; /* a later kernels line (or an indented continuation) extends the list */
};

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    struct parse_ctx *ctx = user;
    if (ctx->msg[0])
        return 0; /* keep the first error */
    if (!name) { /* a section header alone */
        if (strcmp(section, "suite") && strcmp(section, "run") && strcmp(section, "accuracy") &&
            strcmp(section, "sweep")) {
            snprintf(ctx->msg, sizeof ctx->msg, "unknown section [%s]", section);
            return 0;
        }
        if (!strcmp(section, "sweep"))
            ctx->s->has_sweep = 1;
        return 1;
    }
    if (!strcmp(section, "run") && !strcmp(name, "kernels")) {
        /* inih reads at most 199 characters a line: a long list continues
         * on indented lines, which arrive here as more values of the key */
        char joined[sizeof ctx->s->kernels];
        if (ctx->kernels_seen &&
            snprintf(joined, sizeof joined, "%s,%s", ctx->s->kernels, value) < (int)sizeof joined) {
            ctx->kernels_seen++;
            return suite_set(ctx->s, section, name, joined, ctx->msg, sizeof ctx->msg) == 0;
        }
        ctx->kernels_seen = 1;
    }
    return suite_set(ctx->s, section, name, value, ctx->msg, sizeof ctx->msg) == 0;
}

static int known_section(const char *name)
{
    return !strcmp(name, "suite") || !strcmp(name, "run") || !strcmp(name, "accuracy") || !strcmp(name, "sweep");
}

/* One rule for every key, checked before inih reads the text: a key is
 * given once per section (a second `eps =` would silently replace the
 * first, a second `kernels =` extend it); a list longer than a line
 * continues on indented lines. Unknown sections are reported at their own
 * line. Returns 0, or the offending line with ctx->msg set. */
static int check_keys(const char *text, struct parse_ctx *ctx)
{
    enum { MAX_KEYS = 256 };
    static const char bom[] = "\xef\xbb\xbf";
    struct { char section[32], key[48]; int line; } seen[MAX_KEYS];
    size_t nseen = 0;
    char section[32] = "";
    if (!strncmp(text, bom, 3))
        text += 3;
    for (int lineno = 1; *text; lineno++) {
        const char *end = strchr(text, '\n');
        size_t len = end ? (size_t)(end - text) : strlen(text);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), text);
        text += len + (end != NULL);
        line[strcspn(line, "\r")] = '\0';
        if (!line[0] || line[0] == ';' || line[0] == '#' || isspace((unsigned char)line[0]))
            continue; /* blank, comment, or the continuation of a list */
        if (line[0] == '[') {
            char *close = strchr(line, ']');
            snprintf(section, sizeof section, "%.*s", close ? (int)(close - line - 1) : 0, line + 1);
            if (!known_section(section)) {
                snprintf(ctx->msg, sizeof ctx->msg, "unknown section [%s] (suite, run, accuracy, sweep)", section);
                return lineno;
            }
            continue;
        }
        size_t klen = strcspn(line, "=:");
        while (klen > 0 && isspace((unsigned char)line[klen - 1]))
            klen--;
        char key[48];
        snprintf(key, sizeof key, "%.*s", (int)(klen < sizeof key ? klen : sizeof key - 1), line);
        for (size_t i = 0; i < nseen; i++)
            if (!strcmp(seen[i].section, section) && !strcmp(seen[i].key, key)) {
                snprintf(ctx->msg, sizeof ctx->msg,
                         "'%s' is given twice in [%s] (first at line %d): each key once; a long list continues on "
                         "indented lines", key, section, seen[i].line);
                return lineno;
            }
        if (nseen < MAX_KEYS) {
            snprintf(seen[nseen].section, sizeof seen[nseen].section, "%s", section);
            snprintf(seen[nseen].key, sizeof seen[nseen].key, "%s", key);
            seen[nseen++].line = lineno;
        }
        if (!strcmp(section, "run") && !strcmp(key, "kernels"))
            ctx->s->kernels_line = lineno;
    }
    return 0;
}

static int finish(int rc, struct parse_ctx *ctx, const char *name, char *err, size_t errlen)
{
    if (rc == 0)
        return 0;
    if (rc < 0)
        snprintf(err, errlen, "%s: cannot read: %s", name, rc == -1 ? strerror(errno) : "out of memory");
    else
        snprintf(err, errlen, "%s:%d: %s", name, rc,
                 ctx->msg[0] ? ctx->msg : "not INI syntax (lines are at most 199 characters: continue a list on an indented line)");
    return 2;
}

int suite_load_file(struct nb_suite *s, const char *path, char *err, size_t errlen)
{
    struct parse_ctx ctx = {.s = s};
    snprintf(s->source, sizeof s->source, "%s", path);
    /* a suite is a few hundred bytes; a megabyte is not a config */
    FILE *fp = input_file_open(path, 1 << 20, err, errlen);
    if (!fp)
        return 2;
    char *text = malloc((1 << 20) + 1);
    size_t got = text ? fread(text, 1, 1 << 20, fp) : 0;
    int bad = ferror(fp);
    fclose(fp);
    if (!text || bad) {
        snprintf(err, errlen, "%s: cannot read: %s", path, text ? strerror(errno) : "out of memory");
        free(text);
        return 2;
    }
    text[got] = '\0';
    if (memchr(text, '\0', got)) {
        snprintf(err, errlen, "%s: not a text file (a NUL byte)", path);
        free(text);
        return 2;
    }
    int line = check_keys(text, &ctx);
    int rc = finish(line ? line : ini_parse_string(text, on_entry, &ctx), &ctx, path, err, errlen);
    free(text);
    return rc;
}

int suite_load_string(struct nb_suite *s, const char *text, const char *name, char *err, size_t errlen)
{
    struct parse_ctx ctx = {.s = s};
    snprintf(s->source, sizeof s->source, "%s", name);
    int line = check_keys(text, &ctx);
    return finish(line ? line : ini_parse_string(text, on_entry, &ctx), &ctx, name, err, errlen);
}
