/* normbench list [GLOB]: every registered variant, and why it cannot run
 * here when it cannot. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "registry.h"

int cmd_list(int argc, char **argv)
{
    const char *globs = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: normbench list [GLOB[,GLOB...]]\n\n"
                   "Lists the kernel variants whose name matches a shell glob (all by\n"
                   "default): name, norm, algorithm, isa, dtype, compute mode, and\n"
                   "whether it can run on this machine, or why not.\n");
            return NB_EXIT_OK;
        }
        if (argv[i][0] == '-') {
            nb_error("list", "unknown option '%s'", argv[i]);
            return NB_EXIT_USAGE;
        }
        if (globs) {
            nb_error("list", "one glob list only (separate globs with commas)");
            return NB_EXIT_USAGE;
        }
        globs = argv[i];
    }
    if (nb_parse_only)
        return NB_EXIT_OK;
    size_t shown = 0, runnable = 0;
    int width = 0; /* the longest name, so that the columns stay aligned */
    for (size_t i = 0; i < registry_count(); i++) {
        int len = (int)strlen(registry_at(i)->name);
        width = len > width ? len : width;
    }
    printf("%-*s %-13s %-11s %-10s %-6s %-6s %-11s %s\n", width, "variant", "norm", "algorithm", "isa", "dtype",
           "mode", "sums", "available");
    for (size_t i = 0; i < registry_count(); i++) {
        const struct nb_variant *v = registry_at(i);
        if (globs && !glob_list_match(globs, v->name))
            continue;
        const char *why = registry_unavailable(v);
        printf("%-*s %-13s %-11s %-10s %-6s %-6s %-11s %s%s\n", width, v->name, norm_name(v->norm), v->algorithm,
               isa_name(v->isa), dtype_name(v->dtype), mode_name(v->mode), registry_sum_order(v),
               why ? "no: " : "yes", why ? why : "");
        shown++;
        runnable += why == NULL;
    }
    if (shown == 0) {
        nb_error("list", "no variant matches '%s'", globs);
        return NB_EXIT_USAGE;
    }
    fprintf(stderr, "%zu variants, %zu available here\n", shown, runnable);
    return NB_EXIT_OK;
}
