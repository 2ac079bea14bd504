/* normbench merge OUT DIR...: shards and machines' runs (or sweeps) into
 * one directory (src/merge.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "merge.h"
#include "run_dir.h"

static const char merge_usage[] =
    "usage: normbench merge OUT DIR...\n"
    "\n"
    "Merges run directories (or sweep directories) into OUT: the N shards of a\n"
    "--shard I/N run, and runs of several machines. Rows keep their machine\n"
    "(host and CPU model from meta.csv) in a `machine` column, in the order an\n"
    "unsharded run writes them. Refused (exit 2) before anything is written:\n"
    "incomplete runs, shards of different job lists, a shard given twice, a\n"
    "missing shard (named), runs and sweeps mixed. Then `normbench report OUT`\n"
    "(a report per machine and side by side), or for sweeps OUT/summary.md.\n";

int cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(merge_usage, stdout);
            return NB_EXIT_OK;
        }
        return option_error("merge", c, argv);
    }
    if (argc - optind < 2) {
        nb_error("merge", "want OUT and at least one DIR (normbench merge --help)");
        return NB_EXIT_USAGE;
    }
    if (nb_parse_only)
        return NB_EXIT_OK;
    const char *out = argv[optind];
    for (int i = optind + 1; i < argc; i++)
        if (!strcmp(argv[i], out)) {
            nb_error("merge", "%s is both the output and a source", out);
            return NB_EXIT_USAGE;
        }
    struct merge_set m;
    char err[1600] = "";
    int rc = merge_load(&m, argv + optind + 1, (size_t)(argc - optind - 1), err, sizeof err);
    char dir[4096];
    if (rc)
        nb_error("merge", "%s", err);
    else if (!(rc = run_dir_make("merge", dir, sizeof dir, out, "merge"))) {
        rc = merge_write(&m, dir, err, sizeof err);
        if (rc) {
            nb_error("merge", "%s", err);
            run_dir_remove_data(dir);
        } else {
            fprintf(stderr, "merged %zu director%s of %zu machine%s into %s\n", m.nsrc, m.nsrc == 1 ? "y" : "ies",
                    m.nmachines, m.nmachines == 1 ? "" : "s", dir);
        }
    }
    merge_free(&m);
    return rc;
}
