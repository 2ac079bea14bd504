/* The driver: one table of commands, each in its own file. Adding a command:
 * write src/cmd_NAME.c with int cmd_NAME(int argc, char **argv), declare it
 * in commands.h, add a line to the table below, and document it in README.md. */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

#ifndef NB_VERSION
#define NB_VERSION "0.1.0"
#endif
#ifndef NB_GIT_REV
#define NB_GIT_REV "unknown"
#endif

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"list", cmd_list, "variants, availability and why not"},
    {"eval", cmd_eval, "run one variant on CSV tensors; error against the MPFR reference"},
};

void nb_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "normbench%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int glob_list_match(const char *globs, const char *name)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", globs);
    for (char *save = NULL, *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save))
        if (fnmatch(g, name, 0) == 0)
            return 1;
    return 0;
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

static void usage(FILE *to)
{
    fprintf(to, "usage: normbench <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\n'normbench <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return NB_EXIT_OK;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return NB_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("normbench %s (%s)\n", NB_VERSION, NB_GIT_REV);
        return NB_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    nb_error(NULL, "unknown command '%s'", name);
    usage(stderr);
    return NB_EXIT_USAGE;
}
