/* libFuzzer target: the INI suite parser (inih plus normbench's keys),
 * from a string and from a file. Every input must give 0 or 2 with a
 * "name:line: what" message, never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstring(data, size);
    struct nb_suite s;
    char err[600];
    suite_defaults(&s);
    int rc = suite_load_string(&s, text, "fuzz.ini", err, sizeof err);
    if (rc != 0 && rc != 2)
        abort();
    if (rc == 2 && strncmp(err, "fuzz.ini:", 9) != 0)
        abort(); /* every error names the input */
    char path[64];
    int fd = fuzz_memfile(data, size, path, sizeof path);
    suite_defaults(&s);
    rc = suite_load_file(&s, path, err, sizeof err);
    if (rc != 0 && rc != 2)
        abort();
    fuzz_memfile_close(fd);
    free(text);
    return 0;
}
