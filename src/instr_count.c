#include "instr_count.h"

#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS_AT(x)
#define RUNNING_ON_VALGRIND 0
#endif

extern char **environ;

static int dumps; /* callgrind numbers its dumps from 1 */

int instr_count_under_valgrind(void)
{
    return RUNNING_ON_VALGRIND ? 1 : 0;
}

double instr_count_callgrind(nb_kernel_fn fn, const struct nb_args *args, int calls, char *why, size_t whylen)
{
    const char *dir = getenv("NB_CALLGRIND_DIR");
    if (!dir || !instr_count_under_valgrind()) {
        snprintf(why, whylen, "not running under normbench's callgrind");
        return NAN;
    }
    fn(args); /* warm-up, not counted */
    CALLGRIND_ZERO_STATS;
    CALLGRIND_TOGGLE_COLLECT;
    for (int c = 0; c < calls; c++)
        fn(args);
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT("normbench kernel calls");
    dumps++;
    char path[4200];
    snprintf(path, sizeof path, "%s/cg.%ld.%d", dir, (long)getpid(), dumps);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(why, whylen, "no callgrind dump %s: %s", path, strerror(errno));
        return NAN;
    }
    char line[512];
    double total = NAN;
    while (fgets(line, sizeof line, fp))
        if (strncmp(line, "summary:", 8) == 0) {
            total = strtod(line + 8, NULL);
            break;
        }
    fclose(fp);
    unlink(path);
    if (isnan(total))
        snprintf(why, whylen, "%s has no summary line", path);
    return total / calls;
}

int instr_count_reexec(int argc, char **argv)
{
    char dir[] = "/tmp/normbench-callgrind-XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "normbench run: cannot create a directory for callgrind: %s\n", strerror(errno));
        return 3;
    }
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        fprintf(stderr, "normbench run: cannot find this program's path\n");
        rmdir(dir);
        return 3;
    }
    self[len] = '\0';
    char outfile[4200];
    snprintf(outfile, sizeof outfile, "--callgrind-out-file=%s/cg.%%p", dir);
    char **av = calloc((size_t)argc + 8, sizeof *av);
    if (!av)
        return 3;
    int k = 0;
    av[k++] = "valgrind";
    av[k++] = "-q";
    av[k++] = "--tool=callgrind";
    av[k++] = "--collect-atstart=no";
    av[k++] = outfile;
    av[k++] = self;
    av[k++] = "run";
    for (int i = 1; i < argc; i++)
        av[k++] = argv[i];
    av[k] = NULL;
    setenv("NB_CALLGRIND_DIR", dir, 1);
    /* hwloc's x86 backend cannot run under valgrind and says so */
    setenv("HWLOC_COMPONENTS", "-x86", 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, "valgrind", NULL, NULL, av, environ);
    free(av);
    int status = 0;
    if (rc != 0) {
        fprintf(stderr, "normbench run: --count instructions needs PAPI_TOT_INS or valgrind, and valgrind "
                        "cannot be started: %s\n", strerror(rc));
        status = 3;
    } else if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
        status = 3;
    } else {
        status = WEXITSTATUS(status);
    }
    /* the dump callgrind writes at exit */
    char last[4300];
    snprintf(last, sizeof last, "%s/cg.%ld", dir, (long)pid);
    unlink(last);
    rmdir(dir);
    return status;
}
