#include "run_dir.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"

int run_dir_make(const char *cmd, char *out, size_t len, const char *requested, const char *name)
{
    if (requested) {
        snprintf(out, len, "%s", requested);
    } else {
        if (mkdir("results", 0777) != 0 && errno != EEXIST) {
            nb_error(cmd, "cannot create results/: %s", strerror(errno));
            return NB_EXIT_ENV;
        }
        char stamp[32];
        time_t now = time(NULL);
        struct tm tmv;
        gmtime_r(&now, &tmv);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tmv);
        snprintf(out, len, "results/%s-%.64s", stamp, name);
        for (int k = 2; access(out, F_OK) == 0 && k < 100; k++)
            snprintf(out, len, "results/%s-%.64s-%d", stamp, name, k);
    }
    if (make_dir_parents(out) != 0) {
        nb_error(cmd, "cannot create the output directory '%s': %s", out, strerror(errno));
        return NB_EXIT_ENV;
    }
    char probe[8300];
    snprintf(probe, sizeof probe, "%s/.write-test", out);
    FILE *fp = fopen(probe, "w");
    if (!fp) {
        nb_error(cmd, "cannot write to the output directory '%s': %s", out, strerror(errno));
        return NB_EXIT_ENV;
    }
    fclose(fp);
    unlink(probe);
    return 0;
}

void run_dir_remove_data(const char *dir)
{
    static const char *const names[] = {"perf.csv", "samples.csv", "accuracy.csv", "ab.csv"};
    char path[4200];
    for (size_t f = 0; f < sizeof names / sizeof names[0]; f++) {
        snprintf(path, sizeof path, "%.4000s/%s", dir, names[f]);
        unlink(path);
    }
}

void run_dir_point_latest(const char *dir)
{
    unlink("results/latest");
    if (symlink(dir + strlen("results/"), "results/latest") != 0)
        fprintf(stderr, "warning: cannot point results/latest at %s: %s\n", dir, strerror(errno));
}
