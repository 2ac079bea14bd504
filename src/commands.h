/* The subcommands: one file each (src/cmd_NAME.c), one entry point that
 * takes the arguments after the command name and returns the exit status. */
#ifndef NB_COMMANDS_H
#define NB_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

/* Exit statuses (SPEC.md section 9). */
enum {
    NB_EXIT_OK = 0,
    NB_EXIT_FAILED = 1,   /* a regression or a failed accuracy check */
    NB_EXIT_USAGE = 2,    /* bad usage or bad input */
    NB_EXIT_ENV = 3,      /* out of memory, cannot write, no timer */
};

/* The whole command line, argv[0] included: what main() calls. */
int normbench_main(int argc, char **argv);

/* When set, each command parses and checks its arguments (and its config),
 * then returns 0 instead of doing the work: the command-line fuzzer's mode. */
extern int nb_parse_only;

int cmd_list(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_topology(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_ab(int argc, char **argv);
int cmd_merge(int argc, char **argv);

/* Diagnostics go to stderr as "normbench CMD: message". */
void nb_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The diagnostic for getopt's ':' (missing value) or '?' (unknown
 * option) c; returns NB_EXIT_USAGE. */
int option_error(const char *cmd, int c, char **argv);

/* Does name match one of the comma-separated shell globs in globs? */
int glob_list_match(const char *globs, const char *name);

/* Strict number parsing for options: the whole text must be the number. */
int parse_double_option(const char *text, double *out);
int parse_size_option(const char *text, size_t *out);
/* "I/N" with 0 <= I < N <= 100000 (--shard): 0, or -1 */
int parse_shard_option(const char *text, size_t *index, size_t *count);
/* FNV-1a 64 of the formatted text (at most 511 bytes) continued from h;
 * start from NB_HASH_INIT. Job lists are hashed with it (merge compares). */
#define NB_HASH_INIT 0xcbf29ce484222325ull
uint64_t hash_text(uint64_t h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A share strictly between 0 and 1, written "5%" or "0.05"; a bare number
 * of 1 or more ("5") is refused as ambiguous. 0 or -1. */
int parse_fraction_option(const char *text, double *out);

/* mkdir -p: 0, or -1 with errno set. */
int make_dir_parents(const char *path);

#endif
