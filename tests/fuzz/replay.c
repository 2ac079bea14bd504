/* Runs a fuzz target over files (its corpus) without libFuzzer, so that
 * `make check` replays every seed and every input a fuzzer once crashed on,
 * with the ordinary compiler and under the sanitizers. usage: replay FILE|DIR... */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* present in sanitizer builds only: their reports must still be seen */
extern void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

static FILE *report;
static size_t replayed;
static int verbose; /* REPLAY_VERBOSE=1: name each input before it runs */

static void replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(report, "replay: %s: cannot open\n", path);
        exit(2);
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, got;
    uint8_t chunk[65536];
    while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (len + got > cap) {
            cap = (len + got) * 2;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        memcpy(buf + len, chunk, got);
        len += got;
    }
    fclose(fp);
    if (verbose) {
        fprintf(report, "replay: %s\n", path);
        fflush(report);
    }
    /* the exact size, so that ASan catches a read one past the input */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact)
        abort();
    if (len)
        memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    replayed++;
}

static void replay_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        struct dirent **names;
        int n = scandir(path, &names, NULL, alphasort);
        for (int i = 0; i < n; i++) {
            if (names[i]->d_name[0] != '.') {
                char sub[4096];
                snprintf(sub, sizeof sub, "%s/%s", path, names[i]->d_name);
                replay_path(sub);
            }
            free(names[i]);
        }
        free(names);
    } else {
        replay_file(path);
    }
}

int main(int argc, char **argv)
{
    /* the target's own chatter (usage, one-line errors) is not the test's */
    int saved = dup(2);
    report = fdopen(saved, "w");
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    if (__sanitizer_set_report_fd)
        __sanitizer_set_report_fd((void *)(intptr_t)saved);
    verbose = getenv("REPLAY_VERBOSE") != NULL;
    for (int i = 1; i < argc; i++)
        replay_path(argv[i]);
    fprintf(report, "replay: %zu inputs, no crash (REPLAY_VERBOSE=1 names each)\n", replayed);
    return 0;
}
