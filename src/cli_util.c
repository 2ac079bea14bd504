/* Small helpers every command uses: diagnostics, globs, strict numbers. */
#include <errno.h>
#include <math.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"

int nb_parse_only;

void nb_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "normbench%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int option_error(const char *cmd, int c, char **argv)
{
    /* getopt has moved past the offending argument */
    if (c == ':')
        nb_error(cmd, "option '%s' needs a value", argv[optind - 1]);
    else
        nb_error(cmd, "unknown option '%s'", argv[optind - 1]);
    return NB_EXIT_USAGE;
}

int glob_list_match(const char *globs, const char *name)
{
    char *buf = strdup(globs);
    int hit = 0;
    for (char *save = NULL, *g = buf ? strtok_r(buf, ",", &save) : NULL; g && !hit; g = strtok_r(NULL, ",", &save))
        hit = fnmatch(g, name, 0) == 0;
    free(buf);
    return hit;
}

int parse_double_option(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE)
        return -1;
    *out = v;
    return 0;
}

int parse_fraction_option(const char *text, double *out)
{
    char buf[64];
    size_t len = strlen(text);
    int percent = len > 0 && text[len - 1] == '%';
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, text, len + 1);
    if (percent)
        buf[len - 1] = '\0';
    double v;
    if (parse_double_option(buf, &v) || !isfinite(v))
        return -1;
    if (percent)
        v /= 100;
    else if (v >= 1) /* "5" is 5% or 500%? neither: say which */
        return -1;
    if (!(v > 0 && v < 1))
        return -1;
    *out = v;
    return 0;
}

int parse_size_option(const char *text, size_t *out)
{
    char *end;
    errno = 0;
    if (*text == '-' || *text == '\0')
        return -1;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    *out = (size_t)v;
    return 0;
}

int parse_shard_option(const char *text, size_t *index, size_t *count)
{
    const char *slash = strchr(text, '/');
    char head[32];
    if (!slash || (size_t)(slash - text) >= sizeof head)
        return -1;
    memcpy(head, text, (size_t)(slash - text));
    head[slash - text] = '\0';
    if (parse_size_option(head, index) || parse_size_option(slash + 1, count) || *count == 0 ||
        *count > 100000 || *index >= *count)
        return -1;
    return 0;
}

uint64_t hash_text(uint64_t h, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t used = len < 0 ? 0 : (size_t)len < sizeof buf ? (size_t)len : sizeof buf - 1;
    for (size_t i = 0; i < used; i++)
        h = (h ^ (unsigned char)buf[i]) * 0x100000001b3ull;
    return h;
}

int make_dir_parents(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}
