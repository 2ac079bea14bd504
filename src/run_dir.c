#include "run_dir.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"

/* Names a run writes; only these are removed from a directory re-used. */
static const char *const run_files[] = {"perf.csv", "samples.csv", "accuracy.csv", "ab.csv", "meta.csv", "report.md",
                                        "summary.md", "sweep.csv"};
static const char *const run_dirs[] = {"plots", "base", "new"};

static int is_run_file(const char *name)
{
    for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++)
        if (!strcmp(name, run_files[i]))
            return 1;
    for (size_t i = 0; i < sizeof run_dirs / sizeof run_dirs[0]; i++)
        if (!strcmp(name, run_dirs[i]))
            return 1;
    return 0;
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    char sub[4400];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(sub, sizeof sub, "%.4000s/%s", path, e->d_name);
            remove_tree(sub);
        }
    closedir(d);
    rmdir(path);
}

/* An existing directory given with --out: empty, or a normbench run whose
 * files are removed now; anything else is refused. */
static int reuse_dir(const char *cmd, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0; /* not there yet: made below */
    int foreign = 0, any = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            any = 1;
            foreign |= !is_run_file(e->d_name);
        }
    closedir(d);
    if (!any)
        return 0;
    char meta[4200];
    snprintf(meta, sizeof meta, "%s/meta.csv", dir);
    if (foreign || access(meta, F_OK) != 0) {
        nb_error(cmd, "'%s' is not empty and holds no normbench run (a meta.csv): refusing to write a run among "
                      "other files", dir);
        return NB_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++) {
        snprintf(meta, sizeof meta, "%s/%s", dir, run_files[i]);
        unlink(meta);
    }
    for (size_t i = 0; i < sizeof run_dirs / sizeof run_dirs[0]; i++) {
        snprintf(meta, sizeof meta, "%s/%s", dir, run_dirs[i]);
        remove_tree(meta);
    }
    return 0;
}

int run_dir_check_output(const char *path, char *err, size_t errlen)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash == dir ? (void)(dir[1] = '\0') : (void)(*slash = '\0');
    else
        snprintf(dir, sizeof dir, ".");
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: is a directory", path);
        return -1;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: no directory %s to write it in", path, dir);
        return -1;
    }
    if (access(dir, W_OK) != 0) {
        snprintf(err, errlen, "%s: cannot write in %s: %s", path, dir, strerror(errno));
        return -1;
    }
    return 0;
}

int run_dir_make(const char *cmd, char *out, size_t len, const char *requested, const char *name)
{
    if (requested) {
        snprintf(out, len, "%s", requested);
        int rc = reuse_dir(cmd, out);
        if (rc)
            return rc;
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
