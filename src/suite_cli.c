#include "suite_cli.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"

const struct option suite_cli_options[] = {
    {"config", required_argument, 0, 'c'},  {"kernels", required_argument, 0, 'k'},
    {"hidden", required_argument, 0, 'n'},  {"rows", required_argument, 0, 'r'},
    {"dtype", required_argument, 0, 'd'},   {"eps", required_argument, 0, 'e'},
    {"reps", required_argument, 0, 'R'},    {"min-time", required_argument, 0, 'm'},
    {"threads", required_argument, 0, 't'}, {"cpu", required_argument, 0, 'C'},
    {"cache", required_argument, 0, 'H'},   {"events", required_argument, 0, 'E'},
    {"accuracy-rows", required_argument, 0, 'a'}, {"p", required_argument, 0, 'p'},
    {"schedule", required_argument, 0, 'S'}, {"passes", required_argument, 0, 'Q'},
    {"reference", required_argument, 0, 'Z'}, {"max-footprint", required_argument, 0, 'W'},
    {0, 0, 0, 0},
};

_Static_assert(sizeof suite_cli_options / sizeof suite_cli_options[0] == SUITE_CLI_NOPTIONS + 1,
               "SUITE_CLI_NOPTIONS counts the suite options");

/* where an option goes in the suite: section and key */
static const struct {
    int opt;
    const char *section, *key;
} keys[] = {
    {'k', "run", "kernels"}, {'n', "run", "hidden"}, {'r', "run", "rows"}, {'d', "run", "dtype"},
    {'e', "run", "eps"}, {'R', "run", "reps"}, {'m', "run", "min_time"}, {'t', "run", "threads"},
    {'C', "run", "cpu"}, {'H', "run", "cache"}, {'E', "run", "events"}, {'a', "accuracy", "rows"},
    {'p', "run", "p"}, {'S', "run", "schedule"}, {'Q', "run", "passes"}, {'Z', "accuracy", "reference"},
    {'W', "run", "max_footprint"},
};

void suite_cli_options_with(const struct option *own, size_t nown, struct option *out)
{
    memcpy(out, suite_cli_options, SUITE_CLI_NOPTIONS * sizeof *out);
    memcpy(out + SUITE_CLI_NOPTIONS, own, nown * sizeof *own);
}

static const char *option_name(int opt)
{
    for (size_t i = 0; suite_cli_options[i].name; i++)
        if (suite_cli_options[i].val == opt)
            return suite_cli_options[i].name;
    return "?";
}

int suite_cli_take(struct suite_cli *sc, int c, const char *arg, const char *cmd)
{
    if (c == 'c') {
        sc->config = arg;
        return 1;
    }
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (keys[k].opt == c) {
            if (sc->count == sizeof sc->overrides / sizeof sc->overrides[0]) {
                nb_error(cmd, "too many options");
                return -1;
            }
            sc->overrides[sc->count].opt = c;
            sc->overrides[sc->count++].value = arg;
            return 1;
        }
    return 0;
}

int suite_cli_load(const struct suite_cli *sc, struct nb_suite *s, const char *cmd)
{
    suite_defaults(s);
    char err[600];
    int rc = sc->config ? suite_load_file(s, sc->config, err, sizeof err)
                        : suite_load_string(s, nb_default_suite_ini, "embedded default suite", err, sizeof err);
    if (rc) {
        nb_error(cmd, "%s", err);
        return rc;
    }
    for (size_t i = 0; i < sc->count; i++)
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            if (keys[k].opt != sc->overrides[i].opt)
                continue;
            if (suite_set(s, keys[k].section, keys[k].key, sc->overrides[i].value, err, sizeof err) != 0) {
                /* the message names the config key ("min_time: ..."): name the option instead */
                const char *rest = strchr(err, ':');
                nb_error(cmd, "--%s%s", option_name(keys[k].opt), rest ? rest : err);
                return NB_EXIT_USAGE;
            }
            if (keys[k].opt == 'k')
                s->kernels_line = 0; /* the command line's, not the file's */
        }
    return 0;
}
