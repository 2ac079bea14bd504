/* libFuzzer target: the command line. The input is split at NUL bytes into
 * arguments after "normbench"; every command parses and checks them (and
 * loads a config it names) in parse-only mode, so nothing is measured or
 * written. Any input must end in 0, 2 or 3, never a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fuzz_util.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nb_parse_only = 1;
    char *text = fuzz_cstring(data, size);
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = "normbench";
    for (size_t i = 0; i <= size && argc < MAX_ARGS + 1;) {
        /* each argument its own allocation, so ASan sees a read past it */
        size_t len = strlen(text + i);
        argv[argc] = malloc(len + 1);
        if (!argv[argc])
            abort();
        memcpy(argv[argc++], text + i, len + 1);
        i += len + 1;
    }
    argv[argc] = NULL;
    int rc = normbench_main(argc, argv);
    if (rc != 0 && rc != 2 && rc != 3)
        abort();
    for (int i = 1; i < argc; i++)
        free(argv[i]);
    free(text);
    return 0;
}
