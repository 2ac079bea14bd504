/* The suite options that run and ab share (--config, --kernels, --hidden,
 * ...): each maps to a config key, so the command line overrides the
 * config file with the same checks and messages. */
#ifndef NB_SUITE_CLI_H
#define NB_SUITE_CLI_H

#include <getopt.h>
#include <stddef.h>

#include "config.h"

/* getopt_long entries for every suite option, ended by a zero entry; a
 * command copies them before its own. */
extern const struct option suite_cli_options[];
#define SUITE_CLI_NOPTIONS 18

/* out (SUITE_CLI_NOPTIONS + the own entries, zero entry included) = the
 * suite options, then the command's own (own ends with a zero entry). */
void suite_cli_options_with(const struct option *own, size_t nown, struct option *out);

struct suite_cli {
    const char *config;
    struct {
        int opt;
        const char *value;
    } overrides[64];
    size_t count;
};

/* 1 when c was a suite option (kept), 0 when it is the command's own, -1
 * when there are too many (said on stderr). */
int suite_cli_take(struct suite_cli *sc, int c, const char *arg, const char *cmd);
/* The config (or the embedded default) with the overrides applied: 0 or
 * an exit status, the reason said as "normbench CMD: ...". */
int suite_cli_load(const struct suite_cli *sc, struct nb_suite *s, const char *cmd);

#endif
