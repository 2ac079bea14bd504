/* normbench run: measure a suite (a config file, or the embedded default,
 * with command-line overrides). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "suite_cli.h"
#include "run.h"
#include "counters.h"
#include "instr_count.h"

static const char run_usage[] =
    "usage: normbench run [--config F] [--kernels GLOB,..] [--hidden N,..] [--rows N,..|auto]\n"
    "                     [--dtype D,..] [--eps E,..] [--reps N] [--min-time S] [--threads N,..]\n"
    "                     [--cpu N] [--cache hot|cold] [--events E,..] [--accuracy-rows N]\n"
    "                     [--full] [--p P] [--out DIR] [--no-report]\n"
    "                     [--count instructions|lines] [--json FILE] [--schedule interleaved|sequential]\n"
    "                     [--passes N] [--reference fast|mpfr] [--shard I/N] [--max-footprint B]\n"
    "\n"
    "Measures every variant matching the globs at each hidden size, rows (auto:\n"
    "one row count per cache tier), eps and thread count, and writes perf.csv, samples.csv,\n"
    "accuracy.csv and meta.csv to DIR (default results/<run-id>/, with\n"
    "results/latest pointing at it), then report.md and plots/ (normbench\n"
    "report). Options override the config file, which defaults to the\n"
    "embedded default suite (configs/default.ini). --count instructions adds\n"
    "instructions per kernel call: PAPI_TOT_INS where the machine counts it,\n"
    "else the run re-executes under valgrind's callgrind and counts the kernel\n"
    "calls only (no timing then; AVX-512 variants cannot run there).\n"
    "--count lines runs under callgrind with its cache simulation, an L1d and\n"
    "an L2 of this machine's sizes and ways (LRU, no prefetcher), and adds the\n"
    "lines each call brings into each (l1_lines_per_call, l2_lines_per_call):\n"
    "a deterministic count of how much of the tensor a schedule reads again.\n"
    "--json FILE also writes the run in Google Benchmark's JSON format.\n"
    "--schedule: interleaved (default) measures the variants of one shape and\n"
    "the copy ceiling in rounds, one repetition of each per round in a seeded\n"
    "order that changes every round, so that ratios are paired; sequential runs\n"
    "each variant's repetitions back to back. --passes N (default 5, at most\n"
    "reps) spreads each shape's rounds over N passes of the whole suite, so a\n"
    "burst of load on a shared machine reaches few of a shape's rounds.\n"
    "Accuracy: every row of every shape is checked against the correctly\n"
    "rounded reference; --accuracy-rows N checks the first N rows only.\n"
    "--reference mpfr computes it with MPFR alone instead of the fast path\n"
    "(the same bits, 15 to 30 times slower).\n"
    "--shard I/N measures part I (0 to N-1) of the shapes only, every variant\n"
    "of a shape in the same shard; normbench merge joins the N directories.\n"
    "--max-footprint B (bytes, with K, M or G, or none) skips every rows = auto\n"
    "tier whose footprint is larger, and says so (the default suite: 192M).\n";

int cmd_run(int argc, char **argv)
{
    static const struct option own[] = {
        {"full", no_argument, 0, 'f'},      {"out", required_argument, 0, 'o'},
        {"no-report", no_argument, 0, 'N'}, {"count", required_argument, 0, 'I'},
        {"json", required_argument, 0, 'J'}, {"shard", required_argument, 0, 'X'},
        {"help", no_argument, 0, 'h'},      {0, 0, 0, 0},
    };
    struct option opts[SUITE_CLI_NOPTIONS + sizeof own / sizeof own[0]];
    suite_cli_options_with(own, sizeof own / sizeof own[0], opts);
    struct suite_cli sc = {0};
    const char *out = NULL;
    int full = 0, report = 1, count = 0;
    const char *json = NULL, *shard = NULL;
    optind = 0; /* 0, not 1: glibc then also forgets a half-parsed option cluster */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        int took = suite_cli_take(&sc, c, optarg, "run");
        if (took < 0)
            return NB_EXIT_USAGE;
        if (took)
            continue;
        switch (c) {
        case 'o': out = optarg; break;
        case 'f': full = 1; break;
        case 'N': report = 0; break;
        case 'J': json = optarg; break;
        case 'X': shard = optarg; break;
        case 'I':
            if (strcmp(optarg, "instructions") && strcmp(optarg, "lines")) {
                nb_error("run", "--count wants 'instructions' or 'lines', not '%s'", optarg);
                return NB_EXIT_USAGE;
            }
            count = strcmp(optarg, "lines") == 0 ? 2 : 1;
            break;
        case 'h': fputs(run_usage, stdout); return NB_EXIT_OK;
        default: return option_error("run", c, argv);
        }
    }
    if (optind < argc) {
        nb_error("run", "unexpected argument '%s'", argv[optind]);
        return NB_EXIT_USAGE;
    }
    struct nb_suite suite;
    char err[600];
    int rc = suite_cli_load(&sc, &suite, "run");
    if (rc)
        return rc;
    if (full)
        suite.full = 1;
    if (shard && parse_shard_option(shard, &suite.shard_index, &suite.shard_count)) {
        nb_error("run", "--shard wants I/N with 0 <= I < N (N at most 100000), not '%s'", shard);
        return NB_EXIT_USAGE;
    }
    if (json)
        snprintf(suite.json_path, sizeof suite.json_path, "%s", json);
    if (nb_parse_only)
        return NB_EXIT_OK;
    if (count) {
        suite.count_instructions = 1;
        suite.count_lines = count == 2;
        if (count == 2 && !instr_count_under_valgrind())
            return instr_count_reexec(argc, argv, 1);
        if (!instr_count_under_valgrind()) {
            /* PAPI where the machine counts instructions, else callgrind */
            struct counters probe;
            int papi = counters_setup(&probe, "PAPI_TOT_INS", err, sizeof err) == 0 && probe.available[0];
            counters_teardown(&probe);
            if (papi)
                snprintf(suite.events, sizeof suite.events, "PAPI_TOT_INS");
            else
                return instr_count_reexec(argc, argv, 0);
        }
    }
    run_install_signal_handlers();
    char dir[4096] = "";
    rc = run_suite(&suite, out, dir, sizeof dir);
    /* a failed accuracy check (exit 1) still gets its report: it says which */
    if ((rc == NB_EXIT_OK || rc == NB_EXIT_FAILED) && report) {
        char *report_argv[] = {"report", dir, NULL};
        int rrc = cmd_report(2, report_argv);
        if (rrc)
            rc = rrc;
    }
    return rc;
}
