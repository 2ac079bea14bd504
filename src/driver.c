/* The driver: one table of commands, each in its own file. Adding a command:
 * write src/cmd_NAME.c with int cmd_NAME(int argc, char **argv), declare it
 * in commands.h, add a line to the table below, and document it in README.md.
 * main() lives in main.c so that the command-line fuzzer can link this. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "version.h"


static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"run", cmd_run, "measure a suite: time, bandwidth, roofline share, accuracy"},
    {"topology", cmd_topology, "caches, timers, counters and measured ceilings of this machine"},
    {"report", cmd_report, "report.md and plots from a run directory"},
    {"sweep", cmd_sweep, "accuracy studies: overflow, eps and cancellation grids"},
    {"compare", cmd_compare, "CI gate between two runs: U test, accuracy, instructions"},
    {"ab", cmd_ab, "A/B of two builds' kernel libraries in one process, interleaved and paired"},
    {"merge", cmd_merge, "join shards and machines' runs or sweeps into one directory"},
    {"list", cmd_list, "variants, availability and why not"},
    {"eval", cmd_eval, "run one variant on CSV tensors; error against the correctly rounded reference"},
};

static void usage(FILE *to)
{
    fprintf(to, "usage: normbench <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\n'normbench <command> --help' describes a command's options.\n");
}

int normbench_main(int argc, char **argv)
{
    /* a file size limit (ulimit -f) must be a write error we report, not a
     * signal that kills the run halfway through a file */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) /* the embedded default suite: what `make run` does */
        return cmd_run(1, argv);
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
        if (strcmp(name, commands[i].name) == 0) {
            /* --version on every command (SPEC section 6), wherever it
             * stands before a "--" */
            for (int a = 2; a < argc && strcmp(argv[a], "--"); a++)
                if (!strcmp(argv[a], "--version")) {
                    printf("normbench %s %s (%s)\n", name, NB_VERSION, NB_GIT_REV);
                    return NB_EXIT_OK;
                }
            return commands[i].run(argc - 1, argv + 1);
        }
    nb_error(NULL, "unknown command '%s' (normbench --help lists them)", name);
    return NB_EXIT_USAGE;
}
